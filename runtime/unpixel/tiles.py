"""Tiles of a frame, flagged tiles grouped into regions, and the geometry of region boxes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from unpixel.grid import Grid


def tile_origins(height: int, width: int, tile: int) -> tuple[list[int], list[int]]:
    """Row and column origins of tiles covering a frame; the last ones touch the far edge.

    A frame smaller than a tile has one origin, 0, on that axis (the caller pads).
    """
    ys = sorted({*range(0, max(height - tile, 0) + 1, tile), max(height - tile, 0)})
    xs = sorted({*range(0, max(width - tile, 0) + 1, tile), max(width - tile, 0)})
    return ys, xs


def cut_tiles(frame: np.ndarray, tile: int, index: np.ndarray | None = None) -> np.ndarray:
    """Tiles of a frame, row by row, as (N, tile, tile, C); small frames are edge-padded.

    ``index`` picks some of them (positions in that row-by-row order); default: all.
    """
    h, w = frame.shape[:2]
    if h < tile or w < tile:
        pad = ((0, max(0, tile - h)), (0, max(0, tile - w)), (0, 0))
        frame = np.pad(frame, pad, mode="edge")
        h, w = frame.shape[:2]
    ys, xs = tile_origins(h, w, tile)
    origins = [(y, x) for y in ys for x in xs]
    if index is not None:
        origins = [origins[i] for i in index]
    return np.stack([frame[y : y + tile, x : x + tile] for y, x in origins])


Box = tuple[int, int, int, int]
"""``(x, y, w, h)`` in frame pixels."""


def flagged_groups(
    flags: np.ndarray, height: int, width: int, tile: int
) -> list[tuple[Box, list[Box]]]:
    """8-connected groups of flagged tiles: each group's bounding box and its tiles' boxes.

    ``flags`` holds one bool per tile in :func:`cut_tiles` order.
    """
    ys, xs = tile_origins(height, width, tile)
    grid = np.asarray(flags, dtype=np.uint8).reshape(len(ys), len(xs))
    count, labels = cv2.connectedComponents(grid, connectivity=8)
    groups = []
    for label in range(1, count):
        rows, cols = np.nonzero(labels == label)
        y0, x0 = ys[rows.min()], xs[cols.min()]
        y1 = min(height, ys[rows.max()] + tile)
        x1 = min(width, xs[cols.max()] + tile)
        parts = [(int(xs[c]), int(ys[r]), min(tile, width - xs[c]), min(tile, height - ys[r]))
                 for r, c in zip(rows, cols, strict=True)]  # fmt: skip
        groups.append(((int(x0), int(y0), int(x1 - x0), int(y1 - y0)), parts))
    return groups


def flagged_regions(flags: np.ndarray, height: int, width: int, tile: int) -> list[Box]:
    """Bounding boxes ``(x, y, w, h)`` of 8-connected groups of flagged tiles."""
    return [box for box, _ in flagged_groups(flags, height, width, tile)]


def grow(box: Box, margin: int, shape: tuple[int, ...]) -> tuple:
    """``(x, y, w, h)`` grown by ``margin`` pixels on every side, clipped to the frame."""
    x, y, w, h = box
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(shape[1], x + w + margin), min(shape[0], y + h + margin)
    return x0, y0, x1 - x0, y1 - y0


def cell_area(box: Box, grid: Grid, shape: tuple[int, ...]) -> tuple:
    """The box grown to whole cells of ``grid`` (clipped to the frame): (y0, y1, x0, x1)."""
    x, y, w, h = box
    b, (py, px) = grid.block, grid.phase
    y0 = max(0, py + (y - py) // b * b)
    x0 = max(0, px + (x - px) // b * b)
    y1 = min(shape[0], py + -(-(y + h - py) // b) * b)
    x1 = min(shape[1], px + -(-(x + w - px) // b) * b)
    return y0, y1, x0, x1


def tiles_in(box: Box, h: int, w: int, tile: int) -> np.ndarray:
    """Indices (cut_tiles order) of the tiles whose origin lies inside ``box``."""
    ys, xs = (np.asarray(o) for o in tile_origins(h, w, tile))
    x, y, bw, bh = box
    rows = np.flatnonzero((ys >= y) & (ys < y + bh))
    cols = np.flatnonzero((xs >= x) & (xs < x + bw))
    return (rows[:, None] * len(xs) + cols[None, :]).ravel()


def local_phase(grid: Grid, y0: int, x0: int) -> tuple[int, int]:
    """The grid's phase in the coordinates of an area starting at row ``y0``, column ``x0``."""
    return (grid.phase[0] - y0) % grid.block, (grid.phase[1] - x0) % grid.block
