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

from unpixel.borders import border_evidence, evidence_hull
from unpixel.geometry import (
    Box,
    block_edges,
    cell_area,
    cell_means,
    channel_sums,
    deviation_sums,
    edge_means,
    expand_cells,
    expand_edges,
    grow,
    local_phase,
)
from unpixel.image import luma8
from unpixel.results import Region

MOSAIC_TOL = 4.0
"""Largest mean absolute deviation (levels) of a cell's pixels from the cell mean for it to
count as a mosaic cell (after heavy JPEG); textured clean cells are far above it."""
MIN_TOL = 0.75
"""Exact mosaics deviate by rounding only (<= 0.5): the adaptive tolerance starts here."""
MIN_CELLS = 6
"""A group of mosaic cells smaller than this is treated as clean (flat clean patches)."""
EXACT_BLOCK = 2
"""Cells of this size or smaller must be exactly flat: a smooth x2 upscale (bicubic) is as
flat as a compressed mosaic of 2-pixel cells, and far more common."""
EXACT_SHARE = 0.25
TEXTURED = 16
"""...and this share of the cells where the mosaic was seen that step by TEXTURED levels or
more to a neighbour must be: a mosaic is exact on texture too, a smooth upscale only where
the picture is smooth (so where fewer than MIN_CELLS cells are textured there is nothing to
tell them apart by, and no cells are taken)."""
STEP_TOL = 0.1
"""A cell's tolerance grows by this many levels per level of step to its neighbours (JPEG
and H.264 ring around a cell border in proportion to its step)."""


def cell_deviation(
    area: np.ndarray,
    block: int,
    phase: tuple[int, int],
    means: np.ndarray | None = None,
    cuts: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Mean absolute deviation of each cell's pixels from the cell mean, shape (cells y, x).

    ``means``: ``cell_means(area, block, phase)`` when the caller has it already. ``cuts``:
    the cells' row and column edges instead of ``block`` and ``phase`` (cells of unequal
    sizes: a grid of non-integer period).
    """
    h, w = area.shape[:2]
    if cuts is None:
        ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    else:
        ey, ex = cuts
    ly, lx = np.diff(ey), np.diff(ex)
    means = edge_means(area, ey, ex) if means is None else means
    channels = area.shape[2] if area.ndim == 3 else 1
    if cuts is None:
        sums = deviation_sums(area, means, block, phase)
    else:
        sums = channel_sums(cv2.absdiff(area, expand_edges(means, ey, ex)), ey, ex)
    return sums / (ly[:, None] * lx[None, :] * channels)


def adaptive_tol(deviation: np.ndarray) -> float:
    """The flatness tolerance for one region: from its flattest quarter of cells.

    An exact mosaic's cells deviate by rounding only, so smooth clean cells next to it
    (deviating by a level or two) are kept out; a JPEG'd mosaic's cells deviate more and
    the tolerance grows with them, up to :data:`MOSAIC_TOL`.
    """
    low = float(np.percentile(deviation, 25)) if deviation.size else 0.0
    return float(np.clip(2.5 * low + 0.5, MIN_TOL, MOSAIC_TOL))


def _channel_max(diff: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The largest of each pixel's channels, as an array of ``shape``.

    An elementwise maximum of the channel planes: numpy's max over a short last axis is
    many times slower.
    """
    d = diff.reshape(*shape, -1)
    out = d[:, :, 0]
    for c in range(1, d.shape[2]):
        out = np.maximum(out, d[:, :, c])
    return np.ascontiguousarray(out)


def neighbour_steps(means: np.ndarray) -> np.ndarray:
    """Largest difference (levels, any channel) of each cell's mean to its 4 neighbours'."""
    m = means if means.ndim == 3 else means[:, :, None]
    dx = _channel_max(cv2.absdiff(m[:, 1:], m[:, :-1]), (m.shape[0], m.shape[1] - 1))
    dy = _channel_max(cv2.absdiff(m[1:], m[:-1]), (m.shape[0] - 1, m.shape[1]))
    steps = np.zeros(m.shape[:2], np.uint8)
    np.maximum(steps[:, :-1], dx, out=steps[:, :-1])
    np.maximum(steps[:, 1:], dx, out=steps[:, 1:])
    np.maximum(steps[:-1], dy, out=steps[:-1])
    np.maximum(steps[1:], dy, out=steps[1:])
    return steps


def without_strips(cells: np.ndarray) -> np.ndarray:
    """``cells`` (uint8 0/1) less every cell in no 2x2 square of cells: strips, lone cells.

    A mosaic is at least two cells across.
    """
    square = np.ones((2, 2), np.uint8)
    # Even kernels: erode looks at (r..r+1, c..c+1), dilate back over (r-1..r, c-1..c).
    starts = cv2.erode(cells, square, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.dilate(starts, square, anchor=(1, 1), borderType=cv2.BORDER_CONSTANT, borderValue=0)


def _groups(flat: np.ndarray, within: np.ndarray, core: Box | None) -> np.ndarray:
    """Flat cells inside ``within`` (plus lone gaps), less strips, in groups that count."""
    cells = flat & within
    if cells.shape[0] >= 3 and cells.shape[1] >= 3:
        cross = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], np.uint8)
        neighbours = cv2.filter2D(cells, -1, cross, borderType=cv2.BORDER_CONSTANT)
        cells = cells | ((neighbours == 4) & (within == 1)).astype(np.uint8)
    cells = without_strips(cells)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cells, connectivity=8)
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_CELLS
    if core is not None:
        seen = np.zeros(count, bool)
        seen[labels[core.slices]] = True
        keep &= seen
    return keep[labels]


SPANS_FRAME = 0.9
WHOLE_FLAT = 0.9
"""A frame-sized area seen pixelated across (its core spanning it) whose cells are flat but
for this share is a whole-frame mosaic without looking for its borders (a screenshot with
a censored box flagged across is 30% text)."""
"""Mosaic cells whose extent covers this share of a frame-sized area's rows and columns are a
whole-frame mosaic (a censored box of up to 40% of a frame cannot)."""


def _spans_frame(cells: np.ndarray) -> bool:
    """Whether ``cells``' bounding rows and columns cover :data:`SPANS_FRAME` of the area."""
    rows, cols = np.flatnonzero(cells.any(axis=1)), np.flatnonzero(cells.any(axis=0))
    if not rows.size:
        return False
    tall = (rows[-1] - rows[0] + 1) / cells.shape[0]
    wide = (cols[-1] - cols[0] + 1) / cells.shape[1]
    return bool(min(tall, wide) >= SPANS_FRAME)


def mosaic_cells(
    area: np.ndarray,
    block: int,
    phase: tuple[int, int],
    tol: float | None = None,
    means: np.ndarray | None = None,
    core: Box | None = None,
    edges: tuple[bool, bool, bool, bool] = (True, True, True, True),
    prior: np.ndarray | None = None,
    cuts: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Bool mask over the cells that are mosaic cells.

    A cell is a mosaic cell when it is flat up to compression noise: its deviation is within
    the region's tolerance (see :func:`adaptive_tol`; ``tol`` when given), which grows with
    the step to its neighbours (:data:`STEP_TOL`: a codec rings more around larger steps);
    cells of :data:`EXACT_BLOCK` pixels or fewer must be exactly flat. A single cell
    failing that whose four neighbours pass counts too. And it must lie inside the mosaic's
    outermost visible cell borders (:func:`~unpixel.borders.evidence_hull`), so flat clean
    cells next to a mosaic (sky beside a censored box) are left alone; unless the mosaic was
    seen across a frame-sized area that is all but flat (:data:`WHOLE_FLAT`) or its cells
    already span it (:data:`SPANS_FRAME`): a whole-frame mosaic has no clean area beside
    it, and every flat cell counts, smooth ones without visible borders too. Strips one
    cell wide and groups under MIN_CELLS are dropped. Cells straddling the edge of a
    censored area are part texture: not flat, so the clean pixels in them are kept.
    ``means``: ``cell_means(area, block, phase)`` when the caller has it.

    ``core``: the cells (a :class:`~unpixel.geometry.Box` in cell units) where the mosaic
    was seen (the flagged tiles) inside a larger ``area``: the tolerance comes from the
    core's cells, and only groups reaching into the core count, so a mosaic is followed past
    the flagged tiles as far as its cells stay flat, and flat patches elsewhere in the area
    are left alone. ``edges``: ``(top, bottom, left, right)``, which sides of ``area`` are
    the frame's edges. ``prior``: bool per cell, the cells a previous frame of the stream
    found (VIDEO mode): those need no visible border while they stay flat, so a detection
    holds across a compressed clip whose codec noise hides a border now and then.
    ``cuts``: the cells' row and column edges, for a grid of non-integer period (``block``
    is then its nearest integer).
    """
    h, w = area.shape[:2]
    if cuts is None:
        ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    else:
        ey, ex = cuts
    means = edge_means(area, ey, ex) if means is None else means
    deviation = cell_deviation(area, block, phase, means, cuts)
    inner = deviation if core is None else deviation[core.slices]
    if tol is not None:
        allowed = np.full(deviation.shape, tol)
    elif block <= EXACT_BLOCK:
        allowed = np.full(deviation.shape, MIN_TOL)
    else:
        allowed = adaptive_tol(inner) + STEP_TOL * neighbour_steps(means)
    flat = (deviation <= allowed).astype(np.uint8)
    if block <= EXACT_BLOCK and not _exact_on_texture(flat, means, core):
        return np.zeros(flat.shape, bool)  # exact in smooth places only: a smooth upscale
    everywhere = np.ones_like(flat)
    seen_across = core is not None and _spans_frame(_box_cells(core, flat.shape))
    if all(edges) and seen_across and flat.mean() >= WHOLE_FLAT:
        return _groups(flat, everywhere, core)  # a mosaic across the frame, all but flat
    hull = evidence_hull(*border_evidence(luma8(area), ey, ex), edges)
    if prior is not None:
        hull = hull | prior
    cells = _groups(flat, hull.astype(np.uint8), core)
    if all(edges) and _spans_frame(cells):
        cells = _groups(flat, everywhere, core)
    return cells


def _exact_on_texture(flat: np.ndarray, means: np.ndarray, core: Box | None) -> bool:
    """Whether :data:`EXACT_SHARE` of the core's textured cells are flat (see TEXTURED)."""
    where = ... if core is None else core.slices
    textured = neighbour_steps(means)[where] >= TEXTURED
    if np.count_nonzero(textured) < MIN_CELLS:
        return False  # smooth only: a smooth upscale is as exactly flat there as a mosaic
    return float(flat[where][textured].mean()) >= EXACT_SHARE


def _box_cells(box: Box, shape: tuple[int, int]) -> np.ndarray:
    cells = np.zeros(shape, bool)
    cells[box.slices] = True
    return cells


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
        pitch: ``(y, x)`` cell sizes of a grid of non-integer period (``block`` is then
            the nearest integer, ``phase`` unused: cells lie between the edges), else None.

    """

    box: Box
    block: int
    phase: tuple[int, int]
    core: Box
    edges_y: np.ndarray
    edges_x: np.ndarray
    pitch: tuple[float, float] | None = None

    @property
    def cuts(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The cell edges where cells are of unequal sizes (non-integer period), else None."""
        return None if self.pitch is None else (self.edges_y, self.edges_x)


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
    if grid.pitch is not None:
        return _period_area(region, margin, shape)
    b = grid.block
    box = cell_area(grow(region.box, margin, shape), grid, shape)
    phase = local_phase(grid, box.y, box.x)
    own = cell_area(region.box, grid, shape)
    ey, ex = block_edges(box.h, b, phase[0]), block_edges(box.w, b, phase[1])
    r0, r1 = np.searchsorted(ey, [own.y - box.y, own.y1 - box.y])
    c0, c1 = np.searchsorted(ex, [own.x - box.x, own.x1 - box.x])
    core = Box(int(c0), int(r0), int(c1 - c0), int(r1 - r0))
    return CellArea(box, b, phase, core, ey, ex)


def _period_area(region: Region, margin: int, shape: tuple[int, ...]) -> CellArea:
    """:func:`area_of` for a grid of non-integer period: the box snapped to its cell edges."""
    grid = region.grid
    assert grid is not None and grid.pitch is not None
    grown = grow(region.box, margin, shape)
    spans = []
    for axis, (start, length) in enumerate(((grown.y, grown.h), (grown.x, grown.w))):
        frame_edges = grid.edges(0, shape[axis], axis)
        lo = frame_edges[np.searchsorted(frame_edges, start, side="right") - 1]
        hi = frame_edges[np.searchsorted(frame_edges, start + length, side="left")]
        spans.append((int(lo), int(hi)))
    (y0, y1), (x0, x1) = spans
    box = Box(x0, y0, x1 - x0, y1 - y0)
    ey, ex = grid.edges(y0, box.h, 0), grid.edges(x0, box.w, 1)
    r0, r1 = np.searchsorted(ey, [region.box.y - y0, region.box.y1 - y0])
    c0, c1 = np.searchsorted(ex, [region.box.x - x0, region.box.x1 - x0])
    core = Box(int(c0), int(r0), max(int(c1 - c0), 1), max(int(r1 - r0), 1))
    return CellArea(box, grid.block, (0, 0), core, ey, ex, grid.pitch)


def read_lr(frame: np.ndarray, area: CellArea) -> np.ndarray:
    """The area's LR image: the mean of each cell, shape (cells y, cells x, 3), uint8."""
    if area.pitch is not None:
        return edge_means(frame[area.box.slices], area.edges_y, area.edges_x)
    return cell_means(frame[area.box.slices], area.block, area.phase)


def mark_cells(
    frame: np.ndarray,
    area: CellArea,
    lr: np.ndarray,
    mask: np.ndarray,
    prior: np.ndarray | None = None,
) -> int:
    """Set ``mask`` (HxW bool, the frame's) on the area's mosaic cells; return how many.

    Args:
        frame: the frame (HxWx3 uint8).
        area: where to look (:func:`area_of`).
        lr: :func:`read_lr` of the same frame and area.
        mask: updated in place (OR), so several regions can share one mask.
        prior: a previous frame's mask (HxW bool) on the same grid (see
            :func:`mosaic_cells`), or None.

    Returns:
        The number of mosaic cells found.

    """
    box, (h, w) = area.box, frame.shape[:2]
    edges = (box.y == 0, box.y1 == h, box.x == 0, box.x1 == w)
    before = None
    if prior is not None:  # one value a cell: the cell's first pixel
        before = prior[box.slices][area.edges_y[:-1]][:, area.edges_x[:-1]]
    cells = mosaic_cells(
        frame[box.slices],
        area.block,
        area.phase,
        means=lr,
        core=area.core,
        edges=edges,
        prior=before,
        cuts=area.cuts,
    )
    if area.pitch is not None:
        mask[area.box.slices] |= expand_edges(cells, area.edges_y, area.edges_x)
    else:
        ly, lx = np.diff(area.edges_y), np.diff(area.edges_x)
        mask[area.box.slices] |= expand_cells(cells, area.block, ly, lx)
    return int(cells.sum())
