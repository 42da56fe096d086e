"""Degradations: synthetic mosaics and the other damage training and evaluation need.

Everything here is deterministic for a given input; randomness (which block size, which phase,
which JPEG quality) belongs to the caller.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from unpixel.image import check_image, check_region

MIN_BLOCK = 2
"""Smallest block size a mosaic can have (1 would be the image itself)."""

Mode = Literal["mean", "sample"]


def block_edges(length: int, block: int, phase: int) -> np.ndarray:
    """Start index of every block along an axis of ``length`` pixels, then ``length``.

    Blocks start at ``phase + k * block``; when ``phase > 0`` a partial block ``[0, phase)``
    comes first, and the last block may be partial too.
    """
    starts = np.arange(phase % block, length, block)
    if starts.size == 0 or starts[0] != 0:
        starts = np.concatenate(([0], starts))
    return np.concatenate((starts, [length])).astype(np.intp)


def _check_block_phase(block: int, phase: tuple[int, int], h: int, w: int) -> tuple[int, int]:
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)):
        raise ValueError(f"block must be an integer, got {block!r}")
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


STRIP_VALUES = 1 << 18
"""About how many values (pixels x channels) :func:`cell_sums` integrates at a time: a strip's
integral image (4 bytes a value) stays in a core's L2 cache instead of going out to memory."""


def cell_sums(area: np.ndarray, ey: np.ndarray, ex: np.ndarray) -> np.ndarray:
    """Sum of every cell between row edges ``ey`` and column edges ``ex``: (cells y, x, C).

    Read off integral images (exact, any cell sizes), instead of reducing pixel by pixel:
    one per strip of whole cell rows of about :data:`STRIP_VALUES` values. int32 (every
    cell sum of a uint8 strip below 2**31 fits), float64 holding exact integers for strips
    so large that the integral image itself needs it.
    """
    row_values = area.shape[1] * (area.shape[2] if area.ndim == 3 else 1)
    tallest = int(np.diff(ey).max()) if ey.size > 1 else 1
    step = max(1, STRIP_VALUES // max(1, row_values * tallest))
    parts = []
    for i in range(0, ey.size - 1, step):
        edges = ey[i : i + step + 1]
        strip = area[edges[0] : edges[-1]]
        big = strip.shape[0] * row_values * 255 >= 2**31
        s = cv2.integral(strip, sdepth=cv2.CV_64F if big else cv2.CV_32S)
        c = s.take(edges - edges[0], axis=0).take(ex, axis=1)
        if c.ndim == 2:
            c = c[:, :, None]
        parts.append(np.diff(np.diff(c, axis=0), axis=1))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def expand_cells(small: np.ndarray, block: int, ly: np.ndarray, lx: np.ndarray) -> np.ndarray:
    """One value per cell -> one per pixel, cells of ``ly`` x ``lx`` pixels (see block_edges).

    Equals ``np.repeat`` along both axes; done as an exact nearest-neighbour resize of the
    whole-cell grid, then cropped by the partial first cell. Bool arrays stay bool.
    """
    src = small.view(np.uint8) if small.dtype == bool else small
    big = cv2.resize(src, (len(lx) * block, len(ly) * block),
                     interpolation=cv2.INTER_NEAREST_EXACT)  # fmt: skip
    oy, ox = block - int(ly[0]), block - int(lx[0])
    big = big[oy : oy + int(ly.sum()), ox : ox + int(lx.sum())]
    if big.ndim < small.ndim:
        big = big[:, :, None]
    return big.view(bool) if small.dtype == bool else big


FLOAT32_CELL = 1024
"""Cells up to this many pixels (32 x 32) get their means rounded in float32 (exact)."""


def cell_means(area: np.ndarray, block: int, phase: tuple[int, int]) -> np.ndarray:
    """Mean of every cell (full or partial) of a (H, W, C) uint8 array, rounded half up.

    This is the low-resolution image a mean mosaic was made from: one pixel per cell,
    shape ``(lr_size(H), lr_size(W), C)``. On a JPEG-compressed mosaic it also averages
    the compression noise away.
    """
    h, w = area.shape[:2]
    ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    ly, lx = np.diff(ey), np.diff(ex)
    sums = cell_sums(area, ey, ex)
    # Round half up: floor(sum / count + 1/2). k + 1/2 itself is exact in floating point; any
    # other quotient of integers lies >= 1 / (2 count) away from it: beyond float32's error
    # (~5e-5 at 255) for cells up to FLOAT32_CELL pixels, beyond float64's for any.
    small_cells = int(ly.max()) * int(lx.max()) <= FLOAT32_CELL
    wide = np.float32 if small_cells else np.float64
    counts = (ly[:, None] * lx[None, :])[:, :, None].astype(wide)
    means = np.floor(sums.astype(wide) / counts + wide(0.5)).astype(np.uint8)
    return means if area.ndim == 3 else means[:, :, 0]


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
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"JPEG quality must be in 1..100, got {quality}")
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


def lr_size(length: int, block: int, phase: int) -> int:
    """Number of cells (full or partial) along an axis: the low-resolution length."""
    return len(block_edges(length, block, phase)) - 1
