"""The tile lattice of a frame: tile origins, tiles cut for the classifier, flagged groups.

:func:`batches` splits a frame's tiles into equal batches of bounded size for the models.
"""

from __future__ import annotations

import cv2
import numpy as np

from unpixel.geometry import Box


def tile_origins(height: int, width: int, tile: int) -> tuple[list[int], list[int]]:
    """Row and column origins of tiles covering a frame; the last ones touch the far edge.

    A frame smaller than a tile has one origin, 0, on that axis (the caller pads).
    """
    ys = sorted({*range(0, max(height - tile, 0) + 1, tile), max(height - tile, 0)})
    xs = sorted({*range(0, max(width - tile, 0) + 1, tile), max(width - tile, 0)})
    return ys, xs


def cut_tiles(frame: np.ndarray, tile: int, index: np.ndarray | None = None) -> np.ndarray:
    """Tiles of a frame, row by row, as (N, tile, tile, C); small frames are edge-padded.

    ``index`` picks some of them (positions in that row-by-row order); default: all. Only
    the tiles returned are padded (a tile past the bottom or right edge repeats the frame's
    last row or column, as if the whole frame had been padded), so a frame far wider than
    tall is never copied whole.
    """
    h, w = frame.shape[:2]
    ys, xs = tile_origins(max(h, tile), max(w, tile), tile)
    origins = [(y, x) for y in ys for x in xs]
    if index is not None:
        origins = [origins[i] for i in index]
    tiles = [frame[y : y + tile, x : x + tile] for y, x in origins]
    if h < tile or w < tile:
        pad = ((0, max(0, tile - h)), (0, max(0, tile - w)), (0, 0))
        tiles = [np.pad(t, pad[: t.ndim], mode="edge") for t in tiles]
    return np.stack(tiles)


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
        parts = [
            Box(int(xs[c]), int(ys[r]), min(tile, width - xs[c]), min(tile, height - ys[r]))
            for r, c in zip(rows, cols, strict=True)
        ]
        groups.append((Box(int(x0), int(y0), int(x1 - x0), int(y1 - y0)), parts))
    return groups


def flagged_regions(flags: np.ndarray, height: int, width: int, tile: int) -> list[Box]:
    """Bounding boxes ``(x, y, w, h)`` of 8-connected groups of flagged tiles."""
    return [box for box, _ in flagged_groups(flags, height, width, tile)]


def tiles_in(box: Box, h: int, w: int, tile: int) -> np.ndarray:
    """Indices (cut_tiles order) of the tiles whose origin lies inside ``box``."""
    ys, xs = (np.asarray(o) for o in tile_origins(h, w, tile))
    x, y, bw, bh = box
    rows = np.flatnonzero((ys >= y) & (ys < y + bh))
    cols = np.flatnonzero((xs >= x) & (xs < x + bw))
    return (rows[:, None] * len(xs) + cols[None, :]).ravel()


def lattice_shape(height: int, width: int, tile: int) -> tuple[int, int]:
    """Rows and columns of the tile lattice of a frame (see :func:`tile_origins`)."""
    ys, xs = tile_origins(height, width, tile)
    return len(ys), len(xs)


def grow_flags(flags: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Flat tile flags (cut_tiles order) grown by one tile in every direction (8-neighbours).

    ``shape``: the lattice's rows and columns (:func:`lattice_shape`).
    """
    grid = flags.reshape(shape).view(np.uint8)
    return cv2.dilate(grid, np.ones((3, 3), np.uint8)).ravel() > 0


def batches(count: int, most: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of equal batches of at most ``most`` of ``count`` items, in order.

    Every batch but the last holds ``size = ceil(count / n)`` items (``n`` the fewest
    batches); the last may hold fewer, and the caller pads it to ``size`` so the model
    sees one input shape (resizing a backend's tensors costs more than a few spare items).
    """
    if count <= 0:
        return []
    n = -(-count // max(1, most))
    size = -(-count // n)
    return [(start, min(start + size, count)) for start in range(0, count, size)]
