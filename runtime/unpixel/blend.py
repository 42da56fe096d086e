"""The blend stage: upscaled areas pasted into the frame's mosaic cells, and nowhere else."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from unpixel.cells import CellArea


def paste(out: np.ndarray, upscaled: np.ndarray, area: CellArea, where: np.ndarray) -> None:
    """Copy ``upscaled`` into ``out`` over ``area``, on the pixels ``where`` is True.

    Args:
        out: the frame being restored (HxWx3 uint8), changed in place.
        upscaled: the area's LR image upscaled by its block size: its first cell is whole,
            so it starts ``(block - phase) % block`` pixels before the area does; for a grid
            of non-integer period, :func:`to_cells` of it (the area's own size).
        area: the region's :class:`~unpixel.cells.CellArea`.
        where: the frame's mask cropped to ``area.box`` (bool).

    """
    b, (py, px) = area.block, area.phase
    oy, ox = (0, 0) if area.pitch is not None else ((b - py) % b, (b - px) % b)
    hr = upscaled[oy : oy + area.box.h, ox : ox + area.box.w]
    cv2.copyTo(hr, where.view(np.uint8), out[area.box.slices])


def _coordinates(edges: np.ndarray, pitch: float, scale: int) -> np.ndarray:
    """Per pixel along an axis: where its centre falls in an image upscaled by ``scale``.

    A pixel of cell ``k`` lies ``(x + 0.5 - start) / pitch`` of the way through it, the
    start of a cell cut by the area's side lying one pitch before the next cell's.
    """
    lengths = np.diff(edges)
    starts = edges[:-1].astype(np.float64)
    if len(edges) > 2:
        starts[0] = edges[1] - pitch
    cell = np.repeat(np.arange(lengths.size), lengths)
    x = np.arange(int(edges[-1]), dtype=np.float64)
    u = cell + (x + 0.5 - starts[cell]) / pitch  # in LR cells, 0 at cell 0's start
    return (u * scale - 0.5).astype(np.float32)


def to_cells(upscaled: np.ndarray, area: CellArea) -> np.ndarray:
    """``upscaled`` (the area's LR image upscaled by ``area.block``) fitted to its cells.

    For a grid of non-integer period the cells are ``pitch`` pixels apart, not ``block``:
    the image is resampled (bicubic) so each cell's pixels show that cell of the upscaled
    image; an integer grid's is returned as it is.
    """
    if area.pitch is None:
        return upscaled
    py, px = area.pitch
    map_y = _coordinates(area.edges_y, py, area.block)
    map_x = _coordinates(area.edges_x, px, area.block)
    grid_x, grid_y = np.meshgrid(map_x, map_y)
    return cv2.remap(upscaled, grid_x, grid_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def blend(
    frame: np.ndarray,
    mask: np.ndarray,
    areas: Sequence[CellArea | None],
    upscaled: Sequence[np.ndarray | None],
) -> np.ndarray:
    """A copy of ``frame`` with each area's upscaled image pasted on its masked pixels.

    Args:
        frame: HxWx3 uint8.
        mask: HxW bool, True on the mosaic cells (:attr:`Detection.mask`).
        areas: one per region, None for a region without a grid.
        upscaled: one per region, None where nothing is to be pasted.

    Returns:
        The restored frame; pixels outside ``mask`` are those of ``frame``.

    """
    out = frame.copy()
    for area, hr in zip(areas, upscaled, strict=True):
        if area is None or hr is None:
            continue
        where = mask[area.box.slices]
        if where.any():
            paste(out, hr, area, where)
    return out
