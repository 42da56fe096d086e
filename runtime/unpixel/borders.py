"""Where a mosaic's cell borders show: sharp steps on the grid lines, and the cells they bound.

Inside a mosaic a luma step happens from one pixel to the next exactly on a grid line, while
the pixels on either side barely change (up to compression noise). Across the grid lines of
clean content a step is no larger than the steps beside it. A grid line segment (the border
between two neighbouring cells) is *evidence* of the mosaic when its step stands well above
the change inside both cells. A flat clean area next to a mosaic (sky beside a censored box)
shows no evidence of its own, only the step on the one line it shares with the mosaic, so the
mosaic is taken to be the cells between two evidence borders of a row or column (at most
:data:`MAX_GAP` cells apart), or beside one (:func:`evidence_hull`).
"""

from __future__ import annotations

import cv2
import numpy as np

from unpixel.geometry import cell_sums

JUMP_RATIO = 3.0
"""A border's step must exceed this many times the larger change inside its two cells..."""
JUMP_MARGIN = 0.5
"""...plus this many levels (0-255 luma) to count as evidence."""
EDGE_REACH = 1
"""Cells between a row's outermost evidence and the frame's edge that the edge may bound."""
MAX_GAP = 8
"""Two evidence borders farther apart than this many cells bound nothing between them: a
clean edge that happens to lie on a grid line far from the mosaic must not pull in the flat
clean cells on the way."""


def _along(luma: np.ndarray, ey: np.ndarray, ex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal change inside each cell (cells y, x) and on each border (cells y, x - 1).

    A cell's change is the smaller of its mean step between neighbouring columns and its mean
    net change from its first column to its last: a mosaic cell keeps both small up to noise
    (ringing makes the first large but not the second); smooth clean content has a small
    step but a net change ``block - 1`` times it, texture has both large.
    """
    n = ex.size - 1
    rows = np.diff(ey).astype(np.float64)[:, None]
    first, last = luma[:, ex[:-1]], luma[:, ex[1:] - 1]
    both = np.concatenate([cv2.absdiff(last, first), cv2.absdiff(first[:, 1:], last[:, :-1])], 1)
    sums = np.add.reduceat(both, ey[:-1], axis=0, dtype=np.int32) / rows
    net, jump = sums[:, :n], sums[:, n:]
    steps = cv2.absdiff(luma[:, 1:], luma[:, :-1])
    if steps.shape[1] == 0:
        return net, jump
    # Step columns: cell c's inside is [ex[c], ex[c + 1] - 1).
    edges = np.empty(2 * n, np.intp)
    edges[0::2], edges[1::2] = ex[:-1], ex[1:] - 1
    inside = cell_sums(steps, ey, edges)[:, 0::2, 0] / (rows * np.maximum(np.diff(ex) - 1, 1))
    return np.minimum(net, inside), jump


def border_evidence(
    luma: np.ndarray, ey: np.ndarray, ex: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which cell borders show a mosaic's sharp step.

    Args:
        luma: the area's luma (HxW uint8).
        ey: cell row edges (:func:`~unpixel.geometry.block_edges`).
        ex: cell column edges.

    Returns:
        ``(vertical, horizontal)``: bool arrays of shape (cells y, cells x - 1), True where
        the border between cells ``(r, c)`` and ``(r, c + 1)`` is evidence, and (cells y - 1,
        cells x) for the borders between ``(r, c)`` and ``(r + 1, c)``.

    """
    inside_x, border_x = _along(luma, ey, ex)
    inside_y, border_y = _along(np.ascontiguousarray(luma.T), ex, ey)
    inside_y, border_y = inside_y.T, border_y.T
    vertical = border_x > JUMP_RATIO * np.maximum(inside_x[:, :-1], inside_x[:, 1:]) + JUMP_MARGIN
    horizontal = border_y > JUMP_RATIO * np.maximum(inside_y[:-1], inside_y[1:]) + JUMP_MARGIN
    return vertical, horizontal


def _span(lines: np.ndarray, near: bool, far: bool) -> np.ndarray:
    """Per row of ``lines`` (rows, cells - 1), the cells between two True borders.

    ``lines`` are the borders between neighbouring cells; two of them bound the cells between
    when they are at most :data:`MAX_GAP` cells apart. ``near`` / ``far``: the row's ends
    are the frame's edges, which bound it when its outermost border lies within EDGE_REACH.
    """
    rows, n = lines.shape[0], lines.shape[1] + 1
    full = np.zeros((rows, n + 1), bool)  # line j lies before cell j
    full[:, 1:-1] = lines
    seen = lines.any(axis=1)
    first = np.where(seen, np.argmax(lines, axis=1) + 1, n)
    last = np.where(seen, n - 1 - np.argmax(lines[:, ::-1], axis=1), 0)
    full[:, 0] = near & seen & (first <= EDGE_REACH)
    full[:, -1] = far & seen & (n - last <= EDGE_REACH)
    index = np.arange(n + 1)
    before = np.maximum.accumulate(np.where(full, index, -1), axis=1)[:, :-1]
    after = np.minimum.accumulate(np.where(full, index, n + 1)[:, ::-1], axis=1)[:, ::-1][:, 1:]
    return (before >= 0) & (after <= n) & (after - before <= MAX_GAP)


def evidence_hull(
    vertical: np.ndarray, horizontal: np.ndarray, edges: tuple[bool, bool, bool, bool]
) -> np.ndarray:
    """Cells lying between two evidence borders in their row or in their column, or on one.

    Args:
        vertical: :func:`border_evidence`'s vertical borders.
        horizontal: its horizontal borders.
        edges: ``(top, bottom, left, right)``: whether that side of the area is the frame's
            edge. A mosaic reaching the frame's edge has no border there: the edge bounds a
            row (column) whose outermost evidence lies within :data:`EDGE_REACH` cells of it.

    Returns:
        Bool (cells y, cells x).

    """
    top, bottom, left, right = edges
    hull = _span(vertical, left, right) | _span(horizontal.T, top, bottom).T
    hull[:, :-1] |= vertical  # and the cells on either side of an evidence border
    hull[:, 1:] |= vertical
    hull[:-1] |= horizontal
    hull[1:] |= horizontal
    return hull
