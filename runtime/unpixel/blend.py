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
            so it starts ``(block - phase) % block`` pixels before the area does.
        area: the region's :class:`~unpixel.cells.CellArea`.
        where: the frame's mask cropped to ``area.box`` (bool).

    """
    b, (py, px) = area.block, area.phase
    oy, ox = (b - py) % b, (b - px) % b
    hr = upscaled[oy : oy + area.box.h, ox : ox + area.box.w]
    cv2.copyTo(hr, where.view(np.uint8), out[area.box.slices])


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
