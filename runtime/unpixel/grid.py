"""Classical (not learned) estimation of a mosaic's grid: block size and phase.

A mosaic is flat inside every cell, so the steps between neighbouring columns (rows)
vanish everywhere except on the cell borders. Folding the column-step profile modulo a
candidate block size ``b`` piles every border onto one residue when ``b`` divides the true
block size, and onto several residues otherwise. The estimate is the largest ``b`` whose
folded profile, in both directions, has one residue standing far above the others:

- *strength*: the peak over the median of the other residues (borders vs interiors);
- *uniqueness*: the peak over the next-highest residue (rules out multiples of the block);
- *coverage*: the share of border lines that carry a step at all (rules out a few
  coincident edges, as in screenshots).

A flagged region that holds a mosaic and much clean texture beside it can hide the grid from
the region as a whole; :func:`region_grid` then lets the region's tiles vote (:func:`vote_grid`).

The steps are taken on the luma rounded to uint8 (OpenCV's fixed-point BT.601), so every
pass over the region reads and writes one byte a pixel. Steps below a noise floor (JPEG
ringing, sensor noise) are shrunk away first. A grid whose border steps lie mostly on JPEG's
8x8 block lines in either direction (image coordinates) needs far stronger evidence and
visible steps, because a strongly compressed smooth photo is a mosaic of flat 8x8 cells there.
Thresholds were tuned on the corpus *train* split only (``unpixel eval --task grid``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from unpixel.geometry import Box, block_edges
from unpixel.image import check_image, check_region, luma8

MIN_BLOCK = 2
MAX_BLOCK = 16
MIN_CELLS = 6
"""A candidate block size needs at least this many cells along each axis."""
NOISE_FLOOR = 3.0
"""Luma steps are shrunk by this many levels (0-255) before they count."""
MIN_STRENGTH = 2.5
MIN_UNIQUENESS = 2.5
MIN_COVERAGE = 0.2
JPEG_ALIGNED_FACTOR = 12.0
"""Strength multiplier required for a grid that coincides with the JPEG block grid."""
JPEG_ALIGNED_MIN_STEP = 2.0
"""Mean border step (levels above the noise floor) required of such a grid: JPEG's own
blocks in smooth areas have steps of a few levels, a mosaic worth restoring has more."""
OFF_LATTICE = 2.0
"""An axis off JPEG's lattice standing this many times above the usual strength vouches for
the other axis of its grid: a clean JPEG shows no period-8 borders off its own lattice."""
SQUARE_STEPS = 0.25
"""...when that axis's mean border step is at least this share of the other's (a mosaic's
cells are square: its borders step alike in both directions)."""


_EPS = 1e-3
JPEG_SHARE = 0.6
"""A grid whose border steps lie this much or more on JPEG's 8x8 block lines, in either
direction, is suspect."""


def _jpeg_share(profile: np.ndarray, residue: int, block: int, offset: int) -> float:
    """Share of the border steps (index = residue mod block) that fall on JPEG block lines.

    ``offset`` is the profile's position in the image: JPEG lines lie after image index
    ``8 m - 1``.
    """
    border = profile[residue::block]
    on_jpeg = (np.arange(residue, profile.size, block) + 1 + offset) % 8 == 0
    total = float(border.sum())
    return float(border[on_jpeg].sum()) / total if total > 0 else 0.0


@dataclass(frozen=True)
class Grid:
    """A mosaic's grid.

    Attributes:
        block: cell size in pixels (cells are square); for a non-integer period, the
            nearest integer (the restorer's scale).
        phase: ``(y, x)``: cells start at rows ``y + k * block`` and columns
            ``x + k * block`` of the image given (its origin, also for a region).
        confidence: 0..1, how far the cell borders stand above the cell interiors.
        period: None for the integer grid above; else the cell size in pixels, not an
            integer (a mosaic upscaled with nearest-neighbour by a factor like 2.25): cells
            then alternate between ``floor`` and ``ceil`` of it, and start at rows
            ``round(origin[0] + k * pitch[0])`` and columns ``round(origin[1] + k *
            pitch[1])``. ``period`` is the mean of the two pitches.
        origin: ``(y, x)``, with ``period``: where cell 0 starts (pixels, fractional).
        pitch: ``(y, x)``, with ``period``: the cell size along each axis (a frame scaled to
            whole pixels is scaled by slightly different factors along its two sides).

    """

    block: int
    phase: tuple[int, int]
    confidence: float
    period: float | None = None
    origin: tuple[float, float] | None = None
    pitch: tuple[float, float] | None = None

    def edges(self, start: int, length: int, axis: int) -> np.ndarray:
        """Where cells start along ``axis`` (0: rows) in ``[start, start + length)``.

        Relative to ``start``: the first entry is 0 and the last ``length`` (the ends may cut
        cells), as :func:`~unpixel.geometry.block_edges` gives them for an integer grid.
        """
        if self.period is None:
            return block_edges(length, self.block, (self.phase[axis] - start) % self.block)
        origin, p = self.origin[axis], self.pitch[axis]  # type: ignore[index]
        k = np.arange(
            np.floor((start - origin) / p) - 1, np.ceil((start + length - origin) / p) + 2
        )
        cuts = np.round(origin + k * p).astype(np.intp) - start
        inner = np.unique(cuts[(cuts > 0) & (cuts < length)])
        return np.concatenate(([0], inner, [length])).astype(np.intp)


@dataclass(frozen=True)
class _AxisFit:
    residue: int
    strength: float
    uniqueness: float
    coverage: float
    step: float


def step_profile(luma: np.ndarray, axis: int) -> np.ndarray:
    """Mean shrunk absolute step between neighbouring columns (axis=1) or rows (axis=0).

    ``luma``: uint8 (see :func:`unpixel.image.luma8`). Entry ``k`` is the step between
    index ``k`` and ``k + 1``; the steps are whole levels, shrunk by ``NOISE_FLOOR`` (uint8
    subtraction saturates at 0) and summed exactly in int32.
    """
    if axis == 1:
        steps = cv2.absdiff(luma[:, 1:], luma[:, :-1])
    else:
        steps = cv2.absdiff(luma[1:], luma[:-1])
    steps = cv2.subtract(steps, NOISE_FLOOR)
    sums = cv2.reduce(steps, 1 - axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    return sums / float(steps.shape[1 - axis])


def _fit(profile: np.ndarray, block: int) -> _AxisFit:
    """Fold ``profile`` modulo ``block``: the border residue and how far it stands out."""
    n = profile.size
    full = n - n % block
    sums = profile[:full].reshape(-1, block).sum(axis=0, dtype=np.float64)
    counts = np.full(block, n // block, dtype=np.float64)
    sums[: n - full] += profile[full:]
    counts[: n - full] += 1
    folded = sums / counts
    order = np.argsort(folded)
    peak_residue = int(order[-1])
    ranked = folded[order]
    peak, second = ranked[-1], ranked[-2]
    m = block - 1  # the median of the other residues, read off the sorted values
    others = (ranked[(m - 1) // 2] + ranked[m // 2]) / 2
    border = profile[peak_residue::block]
    return _AxisFit(
        residue=peak_residue,
        strength=float(peak / max(others, _EPS)),
        uniqueness=float(peak / max(second, _EPS)),
        coverage=float(np.count_nonzero(border > 0) / border.size),
        step=float(peak),
    )


def _may_pass(fit: _AxisFit, lowest_strength: float) -> bool:
    """Whether an axis meets the bars that do not depend on the JPEG check."""
    return (
        fit.strength >= lowest_strength
        and fit.uniqueness >= MIN_UNIQUENESS
        and fit.coverage >= MIN_COVERAGE
    )


def estimate_grid(
    image: np.ndarray,
    *,
    region: tuple[int, int, int, int] | None = None,
    min_strength: float = MIN_STRENGTH,
) -> Grid | None:
    """Find the mosaic grid of ``image``, or return None when it shows none.

    Args:
        image: HxW, HxWx1, HxWx3 (BGR) or HxWx4 (BGRA; alpha is ignored) uint8 array.
            The grid is sought on the luma.
        region: ``(x, y, w, h)`` to look only there (the pipeline passes the area its
            classifier flagged); the phase is still given in the whole image's coordinates.
        min_strength: how many times the borders must stand above the cell interiors;
            higher is stricter (fewer false grids, more missed ones).

    Returns:
        A :class:`Grid` with block size in 2..16, or None when no block size fits, the
        area is flat, or it is too small to hold six cells of a candidate size.

    Raises:
        ValueError: a non-uint8, empty or wrongly shaped array, a region outside it, or a
            ``min_strength`` that is not a number above 0.

    """
    check_image(image)
    x, y, w, h = check_region(region, image.shape)
    strength_ok = isinstance(min_strength, (int, float)) and not isinstance(min_strength, bool)
    if not strength_ok or not min_strength > 0:  # NaN too
        raise ValueError(f"min_strength must be a number above 0, got {min_strength!r}")
    max_block = min(MAX_BLOCK, min(h, w) // MIN_CELLS)
    if max_block < MIN_BLOCK:
        return None
    luma = luma8(image[y : y + h, x : x + w])
    prof_x, prof_y = step_profile(luma, axis=1), step_profile(luma, axis=0)
    if not prof_x.any() or not prof_y.any():
        return None  # flat in one direction: no evidence of a grid
    lowest = min(min_strength, min_strength * JPEG_ALIGNED_FACTOR)  # what any grid needs
    for block in range(max_block, MIN_BLOCK - 1, -1):
        fx = _fit(prof_x, block)
        if not _may_pass(fx, lowest):
            continue  # the x axis alone rules this block size out
        fy = _fit(prof_y, block)
        if not _may_pass(fy, lowest):
            continue
        # A border after index r means the next cell starts at r + 1.
        phase = ((fy.residue + 1 + y) % block, (fx.residue + 1 + x) % block)
        shares = [
            _jpeg_share(prof, fit.residue, block, offset)
            for fit, prof, offset in ((fx, prof_x, x), (fy, prof_y, y))
        ]
        margins = [
            _margin(fit, share, min_strength) for fit, share in zip((fx, fy), shares, strict=True)
        ]
        for axis in (0, 1):  # one axis on JPEG's lattice, the other clearly off it
            fit, other = (fx, fy)[axis], (fx, fy)[1 - axis]
            if (
                shares[1 - axis] < JPEG_SHARE
                and other.strength >= OFF_LATTICE * min_strength
                and fit.step >= SQUARE_STEPS * other.step
            ):
                margins[axis] = max(margins[axis], fit.strength / min_strength)
        if min(margins) >= 1.0:
            confidence = 1.0 - 1.0 / min(min(margins) * 2.0, fx.uniqueness, fy.uniqueness)
            return Grid(block=block, phase=phase, confidence=round(max(confidence, 0.0), 4))
    return None


def _margin(fit: _AxisFit, jpeg_share: float, min_strength: float) -> float:
    """How many times an axis's strength exceeds what it needs (0: it fails outright).

    An axis whose borders lie on JPEG's block lines needs far more strength and a visible
    step (unless the grid's other axis vouches for it, see :data:`OFF_LATTICE`).
    """
    if jpeg_share < JPEG_SHARE:
        return fit.strength / min_strength
    if fit.step < JPEG_ALIGNED_MIN_STEP:
        return 0.0
    return fit.strength / (min_strength * JPEG_ALIGNED_FACTOR)


MIN_VOTES = 2
"""Tiles that must agree on a grid when a region's tiles vote (a lone tile is not enough)."""


def vote_grid(image: np.ndarray, boxes: list[Box], min_votes: int = MIN_VOTES) -> Grid | None:
    """The grid most ``boxes`` find on their own (same block size and phase), or None.

    None when fewer than ``min_votes`` boxes agree or two grids tie. The confidence is the
    mean of the agreeing boxes' confidences times their share of all ``boxes``.
    """
    votes: dict[tuple[int, tuple[int, int]], list[Grid]] = {}
    for box in boxes:
        grid = estimate_grid(image, region=box)
        if grid is not None:
            votes.setdefault((grid.block, grid.phase), []).append(grid)
    ranked = sorted(votes.values(), key=len, reverse=True)
    if not ranked or len(ranked[0]) < min_votes:
        return None
    if len(ranked) > 1 and len(ranked[1]) == len(ranked[0]):
        return None
    best = ranked[0]
    confidence = float(np.mean([g.confidence for g in best])) * len(best) / len(boxes)
    grid = Grid(block=best[0].block, phase=best[0].phase, confidence=round(confidence, 4))
    agreeing = [b for b in boxes if estimate_grid(image, region=b) in best]
    return doubled(image, _union(agreeing), grid) or grid


def _union(boxes: list[Box]) -> Box:
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


DOUBLE_RATIO = 4.0
"""A grid of block ``b`` is one of block ``2 b`` when, folded modulo ``2 b``, one of its two
border residues stands this many times above the other on both axes."""


def doubled(image: np.ndarray, box: Box, grid: Grid) -> Grid | None:
    """The grid of twice ``grid``'s block if ``box`` shows only every other border, else None.

    Tiles too small to hold six cells of a large block find half of it (a 64-pixel tile
    cannot show a 12-pixel grid); the borders tell: a mosaic of block ``2 b`` has a step on
    every other line of the ``b`` grid only.
    """
    b2 = 2 * grid.block
    if b2 > MAX_BLOCK:
        return None
    x, y, w, h = box
    if min(w, h) < 2 * b2:
        return None
    luma = luma8(image[y : y + h, x : x + w])
    phase = []
    for axis, offset in ((0, y), (1, x)):
        profile = step_profile(luma, axis)
        n = profile.size - profile.size % b2
        if n < b2:
            return None
        folded = profile[:n].reshape(-1, b2).mean(axis=0)
        a = (grid.phase[axis] - 1 - offset) % b2
        strong, weak = sorted((a, (a + grid.block) % b2), key=lambda r: folded[r], reverse=True)
        if folded[strong] < DOUBLE_RATIO * max(folded[weak], _EPS):
            return None
        phase.append((strong + 1 + offset) % b2)
    return Grid(block=b2, phase=(phase[0], phase[1]), confidence=grid.confidence)


def region_grid(image: np.ndarray, box: Box, parts: list[Box] = ()) -> Grid | None:
    """The grid of a flagged region ``box``: sought on the whole box, else voted by ``parts``.

    ``parts``: the boxes of the region's flagged tiles (:func:`unpixel.tiles.flagged_groups`).
    A mosaic covering part of a region whose clean rest is textured can hide its grid from
    the whole box; the tiles inside the mosaic still show it.
    """
    grid = estimate_grid(image, region=box)
    if grid is None and len(parts) >= MIN_VOTES:
        grid = vote_grid(image, list(parts))
    return grid
