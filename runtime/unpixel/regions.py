"""The regions stage: flagged tiles -> regions, each with the grid of its mosaic (or None)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from unpixel.geometry import Box
from unpixel.grid import Grid, region_grid
from unpixel.period import estimate_period
from unpixel.results import Region
from unpixel.tiles import flagged_groups, tiles_in


def find_regions(
    frame: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    tile: int,
    known: Callable[[Box], Grid | None] | None = None,
) -> list[Region]:
    """Group the flagged tiles of ``frame`` into regions and seek each region's grid.

    Args:
        frame: the frame the tiles were cut from (HxWx3 BGR uint8).
        scores: one score per tile, in :func:`~unpixel.tiles.cut_tiles` order.
        threshold: a tile is flagged when its score is at least this.
        tile: the tile size in pixels.
        known: a grid already found for a region's box, or None to seek it (the whole-frame
            fast path, :mod:`~unpixel.wholeframe`, knows the whole frame's).

    Returns:
        One :class:`~unpixel.results.Region` per 8-connected group of flagged tiles: its
        bounding box, the best score of the tiles inside it and its grid (None when no
        grid is found there, see :func:`~unpixel.grid.region_grid`; failing that, a grid of
        non-integer period, :func:`~unpixel.period.estimate_period`).

    """
    h, w = frame.shape[:2]
    regions = []
    for box, parts in flagged_groups(scores >= threshold, h, w, tile):
        grid = known(box) if known else None
        grid = grid or region_grid(frame, box, parts) or estimate_period(frame, region=tuple(box))
        inside = tiles_in(box, h, w, tile)
        regions.append(Region(box, float(scores[inside].max()), grid))
    return regions
