"""Typed results of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from unpixel.geometry import Box
from unpixel.grid import Grid


@dataclass(frozen=True)
class Region:
    """A group of flagged tiles: its :class:`~unpixel.geometry.Box`, best tile score and grid.

    ``grid`` is None when no mosaic grid could be found there: the region is then left as is
    (and does not make the frame count as pixelated).
    """

    box: Box
    score: float
    grid: Grid | None


@dataclass(frozen=True)
class Detection:
    """Is the frame pixelated, and where.

    Attributes:
        pixelated: a region of flagged tiles where a grid was found.
        score: the highest tile score of the frame.
        grid: the grid of the largest such region (None when not pixelated).
        mask: HxW bool, True on the mosaic cells that restoration replaces.
        regions: every region of flagged tiles, with its grid or None.

    """

    pixelated: bool
    score: float
    grid: Grid | None
    mask: np.ndarray
    regions: tuple[Region, ...] = ()

    @property
    def unresolved(self) -> tuple[Region, ...]:
        """Flagged regions whose grid could not be found (left untouched)."""
        return tuple(r for r in self.regions if r.grid is None)


@dataclass(frozen=True)
class Result:
    """A processed frame: the cleaned image, its detection and per-stage timings (ms).

    ``timings``: ``classify``, ``grid``, ``cells`` (reading the LR image off the cells, and
    waiting for the mosaic cells a worker thread seeks while the restorer runs), ``restore``
    (the restorer and pasting), ``total``; counts and flags beside them: ``tiles``
    classified, ``reused_detection`` (VIDEO).
    """

    image: np.ndarray
    detection: Detection
    timings: dict[str, float] = field(default_factory=dict)
