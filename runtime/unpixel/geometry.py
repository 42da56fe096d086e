"""Geometry every stage shares: boxes, and the cells of a grid along an axis and in an area.

One box type, :class:`Box`, in the ``(x, y, w, h)`` layout its fields name; pixels of a
frame or, where a docstring says so, cells of a grid. A cell grid along an axis is given by
its edges (:func:`block_edges`): cells start at ``phase + k * block``, the first and the last
one may be partial.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

if TYPE_CHECKING:
    from unpixel.grid import Grid


class Box(NamedTuple):
    """A rectangle: left column ``x``, top row ``y``, width ``w``, height ``h``."""

    x: int
    y: int
    w: int
    h: int

    @property
    def x1(self) -> int:
        """One past the rightmost column."""
        return self.x + self.w

    @property
    def y1(self) -> int:
        """One past the bottom row."""
        return self.y + self.h

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, columns)`` to index an array with: ``array[box.slices]``."""
        return slice(self.y, self.y + self.h), slice(self.x, self.x + self.w)


def grow(box: Box, margin: int, shape: tuple[int, ...]) -> Box:
    """``box`` grown by ``margin`` pixels on every side, clipped to a frame of ``shape``."""
    x, y, w, h = box
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(shape[1], x + w + margin), min(shape[0], y + h + margin)
    return Box(x0, y0, x1 - x0, y1 - y0)


def cell_area(box: Box, grid: Grid, shape: tuple[int, ...]) -> Box:
    """``box`` grown to whole cells of ``grid``, clipped to a frame of ``shape``."""
    x, y, w, h = box
    b, (py, px) = grid.block, grid.phase
    y0 = max(0, py + (y - py) // b * b)
    x0 = max(0, px + (x - px) // b * b)
    y1 = min(shape[0], py + -(-(y + h - py) // b) * b)
    x1 = min(shape[1], px + -(-(x + w - px) // b) * b)
    return Box(x0, y0, x1 - x0, y1 - y0)


def local_phase(grid: Grid, y0: int, x0: int) -> tuple[int, int]:
    """The grid's phase in the coordinates of an area starting at row ``y0``, column ``x0``."""
    return (grid.phase[0] - y0) % grid.block, (grid.phase[1] - x0) % grid.block


def block_edges(length: int, block: int, phase: int) -> np.ndarray:
    """Start index of every block along an axis of ``length`` pixels, then ``length``.

    Blocks start at ``phase + k * block``; when ``phase > 0`` a partial block ``[0, phase)``
    comes first, and the last block may be partial too.
    """
    starts = np.arange(phase % block, length, block)
    if starts.size == 0 or starts[0] != 0:
        starts = np.concatenate(([0], starts))
    return np.concatenate((starts, [length])).astype(np.intp)


def lr_size(length: int, block: int, phase: int) -> int:
    """Number of cells (full or partial) along an axis: the low-resolution length."""
    return len(block_edges(length, block, phase)) - 1


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
    channels = area.shape[2] if area.ndim == 3 else 1
    row_values = area.shape[1] * channels
    tallest = int(np.diff(ey).max()) if ey.size > 1 else 1
    widest = int(np.diff(ex).max()) if ex.size > 1 else 1
    step = max(1, STRIP_VALUES // max(1, row_values * tallest))
    parts = []
    for i in range(0, ey.size - 1, step):
        edges = ey[i : i + step + 1]
        strip = area[edges[0] : edges[-1]]
        big = strip.shape[0] * row_values * 255 >= 2**31
        # a strip one cell row high can still be huge (32 x 2,097,152): runs of whole cells
        per = max(1, STRIP_VALUES // max(1, strip.shape[0] * channels * widest))
        runs = []
        for j in range(0, ex.size - 1, per):
            cols = ex[j : j + per + 1]
            s = cv2.integral(strip[:, cols[0] : cols[-1]], sdepth=cv2.CV_64F if big else cv2.CV_32S)
            c = s.take(edges - edges[0], axis=0).take(cols - cols[0], axis=1)
            if c.ndim == 2:
                c = c[:, :, None]
            runs.append(np.diff(np.diff(c, axis=0), axis=1))
        parts.append(runs[0] if len(runs) == 1 else np.concatenate(runs, axis=1))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def expand_cells(small: np.ndarray, block: int, ly: np.ndarray, lx: np.ndarray) -> np.ndarray:
    """One value per cell -> one per pixel, cells of ``ly`` x ``lx`` pixels (see block_edges).

    Equals ``np.repeat`` along both axes; done as an exact nearest-neighbour resize of the
    whole-cell grid, then cropped by the partial first cell. Bool arrays stay bool.
    """
    src = small.view(np.uint8) if small.dtype == bool else small
    big = cv2.resize(src, (len(lx) * block, len(ly) * block), interpolation=cv2.INTER_NEAREST_EXACT)
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
    return _rounded_means(block_sums(area, block, phase), ey, ex, area.ndim)


BLOCK_SUMS_MAX = 16
"""Cells up to this size are summed by :func:`block_sums` in uint16 (16 x 16 x 255 fits)."""
BLOCK_SUMS_MIN = 1 << 16
"""Areas of fewer pixels go to :func:`cell_sums`: a few calls beat many for them."""


def block_sums(area: np.ndarray, block: int, phase: tuple[int, int]) -> np.ndarray:
    """:func:`cell_sums` of a uint8 array on a grid of integer ``block`` (equal values).

    Cells of one size allow adding whole pixel rows a cell apart, then whole pixel columns,
    instead of building integral images: a fraction of the memory traffic (the sums then
    come as float32 holding exact integers). Small areas, blocks over
    :data:`BLOCK_SUMS_MAX` and other dtypes go to :func:`cell_sums`.
    """
    h, w = area.shape[:2]
    ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    if not _by_rows(area, block):
        return cell_sums(area, ey, ex)
    channels = area.shape[2] if area.ndim == 3 else 1
    cols = _row_sums(area, ey, ex, block, None)
    # a cell's b pixels of C channels lie side by side: a C-channel row of b to reduce
    out = cv2.reduce(cols.reshape(-1, block, channels), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32F)
    return out.reshape(len(ey) - 1, len(ex) - 1, channels)


def deviation_sums(
    area: np.ndarray, means: np.ndarray, block: int, phase: tuple[int, int]
) -> np.ndarray:
    """Per cell, the sum over its pixels and channels of ``|pixel - the cell's value|``.

    ``means``: one value a cell (cells y, x[, C]) uint8, as :func:`cell_means` gives.
    Floats holding exact integers, shape (cells y, cells x). The cells' values are spread
    along the pixel rows only, and each cell row's pixel rows are compared and added in
    turn (see :func:`block_sums`): no frame-sized array is made.
    """
    h, w = area.shape[:2]
    ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    channels = area.shape[2] if area.ndim == 3 else 1
    ny, nx = len(ey) - 1, len(ex) - 1
    if not _by_rows(area, block):
        dev = cv2.absdiff(area, expand_cells(means, block, np.diff(ey), np.diff(ex)))
        return channel_sums(dev, ey, ex).astype(np.float64)
    wide = cv2.resize(
        means.reshape(ny, nx, channels), (nx * block, ny), interpolation=cv2.INTER_NEAREST_EXACT
    )
    left, _ = _padding(ex, block)
    spread = wide.reshape(ny, nx * block, channels)[:, left : left + w].reshape(ny, w * channels)
    cols = _row_sums(area, ey, ex, block, spread).reshape(ny * nx, block * channels)
    return cv2.reduce(cols, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32F).reshape(ny, nx)


def channel_sums(area: np.ndarray, ey: np.ndarray, ex: np.ndarray) -> np.ndarray:
    """Per cell, the sum of its values over all channels: :func:`cell_sums` added up, (cells y, x).

    Channels interleaved on a row: a cell's columns x0..x1 are flat columns C x0..C x1, so one
    single-channel integral image gives the sums over all channels at once.
    """
    h, w = area.shape[:2]
    channels = area.shape[2] if area.ndim == 3 else 1
    return cell_sums(area.reshape(h, w * channels), ey, ex * channels)[:, :, 0]


def _by_rows(area: np.ndarray, block: int) -> bool:
    big = area.shape[0] * area.shape[1] >= BLOCK_SUMS_MIN
    return big and block <= BLOCK_SUMS_MAX and area.dtype == np.uint8


ROW_STRIP = 1 << 16
"""About how many values a strip of cell rows adds at a time (its sums stay in cache)."""


def _row_sums(
    area: np.ndarray, ey: np.ndarray, ex: np.ndarray, block: int, spread: np.ndarray | None
) -> np.ndarray:
    """Per cell row, the sum of its pixel rows (of ``|row - spread|`` when given), uint16.

    Shape (cells y, cells x x block x C): zero columns make the partial end cells whole.
    ``spread``: one row of values a cell row, shape (cells y, W x C).
    """
    h = area.shape[0]
    flat = area.reshape(h, -1)
    channels = area.shape[2] if area.ndim == 3 else 1
    ny, ly, width = len(ey) - 1, np.diff(ey), flat.shape[1]
    left, right = (p * channels for p in _padding(ex, block))
    out = np.zeros((ny, left + width + right), np.uint16)
    body = out[:, left : left + width]
    step = max(1, ROW_STRIP // width)
    tmp = np.empty((step, width), np.uint16)
    pair = np.empty((2, step, width), np.uint8)
    whole = np.flatnonzero(ly == block)
    groups = []
    if whole.size:
        first, end = int(whole[0]), int(whole[-1]) + 1
        groups = [(r, min(r + step, end)) for r in range(first, end, step)]
    groups += [(r, r + 1) for r in range(ny) if ly[r] != block]  # the partial end rows
    for r0, r1 in groups:
        n = r1 - r0
        height = int(ly[r0]) if n == 1 else block
        rows = flat[ey[r0] : ey[r0] + n * height].reshape(n, height, width)
        dst = body[r0:r1]

        def row(i: int, r0: int = r0, n: int = n, rows: np.ndarray = rows) -> np.ndarray:
            if spread is None:
                return rows[:, i]
            return cv2.absdiff(rows[:, i], spread[r0 : r0 + n], dst=pair[i % 2, :n])

        # uint8 + uint8 -> uint16 in pairs, then uint16 + uint16: OpenCV's fast paths
        for i in range(0, height - 1, 2):
            cv2.add(row(i), row(i + 1), dst=tmp[:n] if i else dst, dtype=cv2.CV_16U)
            if i:
                cv2.add(dst, tmp[:n], dst=dst)
        if height % 2:
            np.add(dst, row(height - 1), out=dst) if height > 1 else np.copyto(dst, row(0))
    return out


def _padding(edges: np.ndarray, block: int) -> tuple[int, int]:
    """Zero pixels before and after an axis that make its partial end cells whole."""
    if edges.size == 2:  # one cell: pad after it only
        return 0, block - int(edges[1])
    return block - int(edges[1] - edges[0]), block - int(edges[-1] - edges[-2])


def expand_edges(small: np.ndarray, ey: np.ndarray, ex: np.ndarray) -> np.ndarray:
    """One value per cell -> one per pixel, for cells between any edges (see edge_means)."""
    return np.repeat(np.repeat(small, np.diff(ey), axis=0), np.diff(ex), axis=1)


def edge_means(area: np.ndarray, ey: np.ndarray, ex: np.ndarray) -> np.ndarray:
    """:func:`cell_means` for cells between row edges ``ey`` and column edges ``ex``.

    Any edges from 0 to the area's size (cells of unequal sizes too: a grid of non-integer
    period, :meth:`~unpixel.grid.Grid.edges`).
    """
    return _rounded_means(cell_sums(area, ey, ex), ey, ex, area.ndim)


def _rounded_means(sums: np.ndarray, ey: np.ndarray, ex: np.ndarray, ndim: int) -> np.ndarray:
    """Cell sums (cells y, x, C) over the cells' pixel counts, rounded half up to uint8."""
    ly, lx = np.diff(ey), np.diff(ex)
    # Round half up: floor(sum / count + 1/2). k + 1/2 itself is exact in floating point; any
    # other quotient of integers lies >= 1 / (2 count) away from it: beyond float32's error
    # (~5e-5 at 255) for cells up to FLOAT32_CELL pixels, beyond float64's for any.
    small_cells = int(ly.max()) * int(lx.max()) <= FLOAT32_CELL
    wide = np.float32 if small_cells else np.float64
    counts = (ly[:, None] * lx[None, :])[:, :, None].astype(wide)
    means = np.floor(sums.astype(wide) / counts + wide(0.5)).astype(np.uint8)
    return means if ndim == 3 else means[:, :, 0]
