"""Degradations: synthetic mosaics and the other damage training and evaluation need.

Everything here is deterministic for a given input; randomness (which block size, which phase,
which JPEG quality) belongs to the caller.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from unpixel.geometry import block_edges, cell_means, expand_cells
from unpixel.image import check_image, check_region
from unpixel.validate import check_int

MIN_BLOCK = 2
"""Smallest block size a mosaic can have (1 would be the image itself)."""

Mode = Literal["mean", "sample"]


def _check_block_phase(block: int, phase: tuple[int, int], h: int, w: int) -> tuple[int, int]:
    check_int("block", block, numpy=True)
    if block < MIN_BLOCK:
        raise ValueError(f"block must be at least {MIN_BLOCK}, got {block}")
    if block > min(h, w):
        raise ValueError(f"block {block} is larger than the {w}x{h} area it should cover")
    try:
        py, px = (int(p) for p in phase)
    except (TypeError, ValueError):
        raise ValueError(f"phase must be (y, x) integers, got {phase!r}") from None
    if not (0 <= py < block and 0 <= px < block):
        raise ValueError(f"phase {phase!r} must lie in 0..{block - 1} for block {block}")
    return py, px


def _mosaic(area: np.ndarray, block: int, py: int, px: int, mode: Mode) -> np.ndarray:
    """Mosaic a 3-D uint8 array (H, W, C) with blocks anchored at (py, px)."""
    h, w = area.shape[:2]
    ey = block_edges(h, block, py)
    ex = block_edges(w, block, px)
    ly, lx = np.diff(ey), np.diff(ex)
    if mode == "mean":
        small = cell_means(area, block, (py, px))
    elif mode == "sample":
        small = area[ey[:-1] + ly // 2][:, ex[:-1] + lx // 2]
    else:
        raise ValueError(f"mode must be 'mean' or 'sample', got {mode!r}")
    return expand_cells(small, block, ly, lx)


def pixelate(
    image: np.ndarray,
    block: int,
    *,
    phase: tuple[int, int] = (0, 0),
    mode: Mode = "mean",
    region: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Return a mosaic of ``image``: each ``block`` x ``block`` cell becomes one flat colour.

    Args:
        image: HxW, HxWx1, HxWx3 (BGR) or HxWx4 (BGRA) uint8 array; every channel, alpha
            included, is treated alike. The input is never modified.
        block: cell size in pixels, 2 up to the smaller side of the area covered.
        phase: ``(y, x)`` offset of the grid, each in ``0..block-1``: cells start at rows
            ``y + k * block`` and columns ``x + k * block``, measured from the image origin
            (also when ``region`` is given, so a region's grid lines up with the frame's).
            Cells cut by the image or region border are partial and are handled alike.
        mode: ``"mean"``: each cell is its exact mean, rounded half up (GIMP Pixelize,
            OpenCV INTER_AREA down then INTER_NEAREST up). ``"sample"``: each cell repeats
            its centre pixel (index ``start + length // 2``), as NEAREST down then up.
        region: ``(x, y, w, h)`` to pixelate only that rectangle (a censored area); pixels
            outside it are copied unchanged. None pixelates the whole image.

    Returns:
        A new array with the shape and dtype of ``image``.

    Raises:
        ValueError: a non-uint8 or empty array, a block below 2 or larger than the area,
            a phase outside ``0..block-1``, a region outside the image, an unknown mode.

    """
    check_image(image)
    x, y, w, h = check_region(region, image.shape)
    py, px = _check_block_phase(block, phase, h, w)
    out = image.copy()
    area = image[y : y + h, x : x + w]
    area3 = area if area.ndim == 3 else area[:, :, None]
    # Anchor the grid at the image origin: shift the phase into the region's coordinates.
    mosaic = _mosaic(area3, int(block), (py - y) % block, (px - x) % block, mode)
    out[y : y + h, x : x + w] = mosaic if area.ndim == 3 else mosaic[:, :, 0]
    return out


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Round-trip ``image`` through JPEG at ``quality`` (1-100, 4:2:0 chroma as usual)."""
    check_image(image)
    check_int("JPEG quality", quality, 1, 100, numpy=True, type_error=TypeError)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV encodes every valid uint8 image
        raise ValueError("OpenCV could not encode the image as JPEG")
    flag = cv2.IMREAD_GRAYSCALE if image.ndim == 2 or image.shape[2] == 1 else cv2.IMREAD_COLOR
    out = cv2.imdecode(buf, flag)
    return out.reshape(image.shape) if image.ndim == 3 and image.shape[2] == 1 else out


def blur_upscale(image: np.ndarray, factor: float) -> np.ndarray:
    """Downscale by ``factor`` with area averaging, then upscale back with bicubic.

    The result is blurry but not blocky: the hard negative a detector must not flag.
    """
    check_image(image)
    if not factor > 1:
        raise ValueError(f"factor must be above 1, got {factor}")
    h, w = image.shape[:2]
    small_size = (max(1, round(w / factor)), max(1, round(h / factor)))
    small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
    out = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return out.reshape(image.shape)
