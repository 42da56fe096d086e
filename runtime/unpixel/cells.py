"""The cells stage: where a region's mosaic lies, cell by cell, and its low-resolution image.

A region with a grid gets a :class:`CellArea` (its box grown by one tile, then to whole
cells); :func:`read_lr` reads one value a cell off it (the LR image the restorer upscales)
and :func:`mark_cells` marks the cells that are mosaic cells: flat, up to compression noise.
The pipeline restores only these, so clean pixels around a censored area (and clean
textures a tile happened to share with it) are left untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from unpixel.geometry import (
    Box,
    block_edges,
    cell_area,
    cell_means,
    cell_sums,
    expand_cells,
    grow,
    local_phase,
)
from unpixel.results import Region

MOSAIC_TOL = 4.0
"""Largest mean absolute deviation (levels) of a cell's pixels from the cell mean for it to
count as a mosaic cell (after heavy JPEG); textured clean cells are far above it."""
MIN_TOL = 0.75
"""Exact mosaics deviate by rounding only (<= 0.5): the adaptive tolerance starts here."""
MIN_CELLS = 6
"""A group of mosaic cells smaller than this is treated as clean (flat clean patches)."""


def cell_deviation(
    area: np.ndarray, block: int, phase: tuple[int, int], means: np.ndarray | None = None
) -> np.ndarray:
    """Mean absolute deviation of each cell's pixels from the cell mean, shape (cells y, x).

    ``means``: ``cell_means(area, block, phase)`` when the caller has it already.
    """
    h, w = area.shape[:2]
    ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    ly, lx = np.diff(ey), np.diff(ex)
    means = cell_means(area, block, phase) if means is None else means
    dev = cv2.absdiff(area, expand_cells(means, block, ly, lx))
    channels = dev.shape[2] if dev.ndim == 3 else 1
    # Channels interleaved on a row: a cell's columns x0..x1 are flat columns C x0..C x1, so
    # one single-channel integral image gives the sums over all channels at once.
    sums = cell_sums(dev.reshape(h, w * channels), ey, ex * channels)[:, :, 0]
    return sums / (ly[:, None] * lx[None, :] * channels)


def adaptive_tol(deviation: np.ndarray) -> float:
    """The flatness tolerance for one region: from its flattest quarter of cells.

    An exact mosaic's cells deviate by rounding only, so smooth clean cells next to it
    (deviating by a level or two) are kept out; a JPEG'd mosaic's cells deviate more and
    the tolerance grows with them, up to :data:`MOSAIC_TOL`.
    """
    low = float(np.percentile(deviation, 25)) if deviation.size else 0.0
    return float(np.clip(2.5 * low + 0.5, MIN_TOL, MOSAIC_TOL))


def mosaic_cells(
    area: np.ndarray,
    block: int,
    phase: tuple[int, int],
    tol: float | None = None,
    means: np.ndarray | None = None,
    core: Box | None = None,
) -> np.ndarray:
    """Bool mask over the cells that are mosaic cells.

    Flat cells (see :func:`adaptive_tol`), plus single non-flat cells whose four neighbours
    are all flat (compression noise inside a mosaic); groups under MIN_CELLS dropped. Cells
    straddling the edge of a censored area are part texture: not flat, so the clean pixels in
    them are kept. ``means``: ``cell_means(area, block, phase)`` when the caller has it.

    ``core``: the cells (a :class:`~unpixel.geometry.Box` in cell units) where the mosaic
    was seen (the flagged tiles) inside a larger ``area``: the tolerance comes from the
    core's cells, and
    only groups reaching into the core count, so a mosaic is followed past the flagged tiles
    as far as its cells stay flat, and flat patches elsewhere in the area are left alone.
    """
    deviation = cell_deviation(area, block, phase, means)
    inner = deviation if core is None else deviation[core.slices]
    tol = adaptive_tol(inner) if tol is None else tol
    flat = (deviation <= tol).astype(np.uint8)
    if flat.shape[0] >= 3 and flat.shape[1] >= 3:
        cross = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.uint8)
        neighbours = cv2.filter2D(flat, -1, cross, borderType=cv2.BORDER_CONSTANT)
        flat = flat | (neighbours == 4).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=8)
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_CELLS
    if core is not None:
        seen = np.zeros(count, bool)
        seen[labels[core.slices]] = True
        keep &= seen
    return keep[labels]


@dataclass(frozen=True, eq=False)
class CellArea:
    """Where one region's mosaic cells are sought and restored.

    Attributes:
        box: the area in frame pixels: the region's box grown by one tile, then to whole
            cells of its grid (clipped to the frame).
        block: the grid's cell size.
        phase: the grid's phase inside ``box`` (``(y, x)``).
        core: the cells (in cell units) of the region's own box, where its mosaic was seen.
        edges_y: cell row edges inside ``box`` (:func:`~unpixel.geometry.block_edges`).
        edges_x: cell column edges inside ``box``.

    """

    box: Box
    block: int
    phase: tuple[int, int]
    core: Box
    edges_y: np.ndarray
    edges_x: np.ndarray


def area_of(region: Region, margin: int, shape: tuple[int, ...]) -> CellArea:
    """The :class:`CellArea` of a region that has a grid.

    Args:
        region: a flagged region whose ``grid`` is not None.
        margin: pixels the search reaches past the region's box (the pipeline: one tile,
            since a tile the mosaic only partly covers may stay unflagged).
        shape: the frame's shape.

    Returns:
        The area, its grid phase, cell edges and core.

    Raises:
        ValueError: the region has no grid.

    """
    grid = region.grid
    if grid is None:
        raise ValueError("a region without a grid has no cells")
    b = grid.block
    box = cell_area(grow(region.box, margin, shape), grid, shape)
    phase = local_phase(grid, box.y, box.x)
    own = cell_area(region.box, grid, shape)
    ey, ex = block_edges(box.h, b, phase[0]), block_edges(box.w, b, phase[1])
    r0, r1 = np.searchsorted(ey, [own.y - box.y, own.y1 - box.y])
    c0, c1 = np.searchsorted(ex, [own.x - box.x, own.x1 - box.x])
    core = Box(int(c0), int(r0), int(c1 - c0), int(r1 - r0))
    return CellArea(box, b, phase, core, ey, ex)


def read_lr(frame: np.ndarray, area: CellArea) -> np.ndarray:
    """The area's LR image: the mean of each cell, shape (cells y, cells x, 3), uint8."""
    return cell_means(frame[area.box.slices], area.block, area.phase)


def mark_cells(frame: np.ndarray, area: CellArea, lr: np.ndarray, mask: np.ndarray) -> int:
    """Set ``mask`` (HxW bool, the frame's) on the area's mosaic cells; return how many.

    Args:
        frame: the frame (HxWx3 uint8).
        area: where to look (:func:`area_of`).
        lr: :func:`read_lr` of the same frame and area.
        mask: updated in place (OR), so several regions can share one mask.

    Returns:
        The number of mosaic cells found.

    """
    cells = mosaic_cells(frame[area.box.slices], area.block, area.phase, means=lr, core=area.core)
    ly, lx = np.diff(area.edges_y), np.diff(area.edges_x)
    mask[area.box.slices] |= expand_cells(cells, area.block, ly, lx)
    return int(cells.sum())
