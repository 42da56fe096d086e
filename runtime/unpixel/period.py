"""Grids whose period is not an integer: mosaics shown with nearest-neighbour by odd factors.

A mosaic upscaled with nearest-neighbour by ``s`` (854x480 -> 1920x1080 is 2.25) has cells of
``floor(s)`` and ``ceil(s)`` pixels in turn; its cell borders lie at ``round(origin + k * s)``.
Folding by an integer finds no single residue for them, so :func:`estimate_period` looks for
the period directly: the column-step profile (:func:`~unpixel.grid.step_profile`) is matched
against combs of every period in 1.25..16 (the profile's Fourier coefficient at ``1 / s``:
how much of the steps lie on one lattice of spacing ``s``), the largest strongly matching
period is refined to the comb that collects the most step, and both axes must agree on it and
pass the integer grid's bars (strength, coverage). Periods within 2% of an integer are left to
:func:`~unpixel.grid.estimate_grid`.
"""

from __future__ import annotations

import numpy as np

from unpixel.grid import MIN_COVERAGE, MIN_STRENGTH, Grid, step_profile
from unpixel.image import check_image, luma8

MIN_PERIOD = 1.25
MAX_PERIOD = 16.0
COARSE_STEP = 1.004
"""Candidate periods grow by this factor from MIN_PERIOD to MAX_PERIOD."""
MATCH = 0.35
"""A period's comb must collect this share of the profile's steps (its Fourier coefficient's
magnitude over their sum; 1.0 is a perfect lattice) to be a candidate."""
HARMONIC = 0.8
"""The largest candidate within this share of the best match is taken (``s / 2`` matches the
borders of a period ``s`` as well as ``s`` does)."""
AGREE = 0.01
"""Both axes' periods within this share of each other (cells are square)."""
INTEGER = 0.02
"""Periods within this share of an integer are the integer grid estimator's."""
MIN_CELLS = 12
"""Cells an area must hold along each axis: a period is measured, not read off one residue."""


def _match(profile: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Complex comb match of ``profile`` for each period: sum of steps * exp(-2 pi i x / p).

    A step after index ``i`` is a border at ``x = i + 1`` (where the next cell starts).
    """
    x = np.arange(1, profile.size + 1, dtype=np.float64)
    total = max(float(profile.sum()), 1e-9)
    return (profile[None, :] * np.exp(-2j * np.pi * x[None, :] / periods[:, None])).sum(1) / total


def _borders(profile: np.ndarray, period: float, origin: float) -> np.ndarray:
    """Profile indices of the borders ``round(origin + k * period)`` (a step after i - 1)."""
    cuts = np.round(origin + np.arange(np.ceil((1 - origin) / period), profile.size) * period)
    cuts = cuts[(cuts >= 1) & (cuts <= profile.size)].astype(np.intp)
    return np.unique(cuts) - 1


def _refine(profile: np.ndarray, period: float, origin: float) -> tuple[float, float]:
    """The period and origin near the given ones whose borders land on the most steps.

    Scored by how many predicted borders carry a step, then by the step they collect: the
    rounding of ``origin + k * period`` must match the scaler's to the pixel, so the search
    is fine (1/200 px in origin) once the comb has found the neighbourhood.
    """
    n = profile.size
    padded = np.concatenate(([0.0], profile, [0.0]))  # index 0 and n + 1: outside
    hit = (padded > 0).astype(np.float64)
    weight = hit + padded / (float(profile.sum()) + 1.0)
    best = (-1.0, period, origin)
    for span, count, o_span, o_count in ((0.004, 17, 0.5, 21), (0.0006, 13, 0.05, 21)):
        p0, o0 = best[1], best[2]
        origins = o0 + np.linspace(-o_span, o_span, o_count)
        for p in p0 * (1.0 + np.linspace(-span, span, count)):
            k = np.arange(np.floor(-origins.max() / p), np.ceil((n + 1 - origins.min()) / p) + 1)
            cuts = np.round(origins[:, None] + k[None, :] * p).astype(np.intp)
            inside = (cuts >= 1) & (cuts <= n)
            score = np.where(inside, weight[np.clip(cuts, 0, n + 1)], 0.0).sum(axis=1)
            j = int(np.argmax(score))
            if score[j] > best[0]:
                best = (float(score[j]), float(p), float(origins[j]))
    return best[1], best[2] % best[1]


def _axis(profile: np.ndarray) -> tuple[float, float, float, float] | None:
    """(period, origin, strength, coverage) of one axis's lattice, or None."""
    longest = min(MAX_PERIOD, profile.size / MIN_CELLS)
    if longest < MIN_PERIOD or not profile.any():
        return None
    count = int(np.log(longest / MIN_PERIOD) / np.log(COARSE_STEP)) + 1
    periods = MIN_PERIOD * COARSE_STEP ** np.arange(count)
    z = _match(profile, periods)
    magnitude = np.abs(z)
    top = float(magnitude.max())
    if top < MATCH:
        return None
    peak = np.zeros(magnitude.size, bool)  # local maxima: the comb's lobes, one a period
    peak[1:-1] = (magnitude[1:-1] >= magnitude[:-2]) & (magnitude[1:-1] >= magnitude[2:])
    peak[[0, -1]] = True
    strong = np.flatnonzero(peak & (magnitude >= HARMONIC * top))
    i = int(strong.max())  # the largest period matching about as well as the best
    if abs(periods[i] - round(periods[i])) <= INTEGER * periods[i]:
        # Cells of 1 and 2 pixels in turn (x1.5) repeat every 3 pixels: an integer period
        # as strong as a fraction of it is that fraction's pattern.
        for m in (2, 3, 4):
            near = strong[np.abs(periods[strong] * m / periods[i] - 1.0) <= AGREE]
            if near.size:
                i = int(near.max())
                break
    origin = (-np.angle(z[i]) / (2 * np.pi) * periods[i]) % periods[i]
    period, origin = _refine(profile, float(periods[i]), float(origin))
    border = _borders(profile, period, origin)
    if border.size < MIN_CELLS:
        return None
    others = np.ones(profile.size, bool)
    others[border] = False
    inside = float(profile[others].mean()) if others.any() else 0.0
    strength = float(profile[border].mean()) / max(inside, 1e-3)
    coverage = float(np.count_nonzero(profile[border] > 0)) / border.size
    return period, origin, strength, coverage


def estimate_period(
    image: np.ndarray, *, region: tuple[int, int, int, int] | None = None
) -> Grid | None:
    """Find a mosaic grid of non-integer period in ``image`` (or a region of it).

    Args:
        image: HxW or HxWx3 (BGR) uint8 array.
        region: ``(x, y, w, h)`` to look only there; the grid is in the whole image's
            coordinates.

    Returns:
        A :class:`~unpixel.grid.Grid` with ``period`` and ``origin`` set (``block`` its
        nearest integer, ``phase`` where the first whole cell starts), or None when the
        area shows no such grid, its two axes disagree, or its period is within 2% of an
        integer (see :func:`~unpixel.grid.estimate_grid` for those).

    Raises:
        ValueError: a non-uint8, empty or wrongly shaped array.

    """
    check_image(image)
    x, y, w, h = region if region is not None else (0, 0, image.shape[1], image.shape[0])
    luma = luma8(image[y : y + h, x : x + w])
    fy, fx = _axis(step_profile(luma, 0)), _axis(step_profile(luma, 1))
    if fy is None or fx is None:
        return None
    (py, oy, sy, cy), (px, ox, sx, cx) = fy, fx
    if abs(py - px) > AGREE * max(py, px):
        return None
    period = (py + px) / 2
    if abs(period - round(period)) <= INTEGER * period:
        return None
    if min(sy, sx) < MIN_STRENGTH or min(cy, cx) < MIN_COVERAGE:
        return None
    origin = (oy + y, ox + x)
    block = max(2, round(period))
    phase = (round(origin[0]) % block, round(origin[1]) % block)
    confidence = 1.0 - 1.0 / (min(sy, sx) / MIN_STRENGTH * 2.0)
    return Grid(
        block,
        phase,
        round(max(confidence, 0.0), 4),
        period=period,
        origin=origin,
        pitch=(py, px),
    )
