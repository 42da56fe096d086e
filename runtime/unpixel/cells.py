"""Which cells of a found grid are mosaic cells: flat, up to compression noise.

The pipeline restores only these, so clean pixels around a censored area (and clean
textures a tile happened to share with it) are left untouched.
"""

from __future__ import annotations

import cv2
import numpy as np

from unpixel.degrade import block_edges, cell_means, cell_sums, expand_cells

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
    core: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Bool mask over the cells that are mosaic cells.

    Flat cells (see :func:`adaptive_tol`), plus single non-flat cells whose four neighbours
    are all flat (compression noise inside a mosaic); groups under MIN_CELLS dropped. Cells
    straddling the edge of a censored area are part texture: not flat, so the clean pixels in
    them are kept. ``means``: ``cell_means(area, block, phase)`` when the caller has it.

    ``core``: cell rows and columns ``(r0, r1, c0, c1)`` where the mosaic was seen (the
    flagged tiles) inside a larger ``area``: the tolerance comes from the core's cells, and
    only groups reaching into the core count, so a mosaic is followed past the flagged tiles
    as far as its cells stay flat, and flat patches elsewhere in the area are left alone.
    """
    deviation = cell_deviation(area, block, phase, means)
    inner = deviation if core is None else deviation[core[0] : core[1], core[2] : core[3]]
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
        seen[labels[core[0] : core[1], core[2] : core[3]]] = True
        keep &= seen
    return keep[labels]
