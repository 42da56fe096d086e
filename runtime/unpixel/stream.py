"""Per-stream memory of a VIDEO or LIVE_STREAM pipeline; no stage ever sees it.

What one stream remembers between frames: the timestamps, the last tile scores and how far the
sweep's rotating lattice has gone, and the previous detection that VIDEO mode may reuse.
"""

from __future__ import annotations

import numpy as np

from unpixel.classifier import Classifier
from unpixel.results import Detection
from unpixel.tiles import grow_flags, lattice_shape

REUSE_SHARE = 0.9
"""VIDEO mode reuses the previous detection while this share of its mosaic cells is still flat."""


class StreamState:
    """The state of one stream of frames (see :class:`~unpixel.options.RunningMode`).

    Args:
        classifier: the pipeline's classifier (scores the tiles the sweep picks).
        sweep: ``PipelineOptions.sweep``: classify a rotating 1/``sweep`` of the tiles.
        keep_scores: remember full-frame scores too (VIDEO mode checks reuse against them).

    """

    def __init__(self, classifier: Classifier, sweep: int, keep_scores: bool) -> None:
        self.classifier = classifier
        self.sweep = sweep
        self.keep_scores = keep_scores or sweep > 1
        self.previous: tuple[Detection, np.ndarray] | None = None
        """VIDEO: the last pixelated detection and the frame it was made on."""
        self.scores: np.ndarray | None = None
        """The last tile scores (every tile has one; the sweep refreshes some a frame)."""
        self.shape: tuple[int, ...] | None = None
        """The shape of the frame :attr:`scores` belong to."""
        self.frames = 0
        """Frames since the last full classification: the sweep lattice's position."""
        self.settled = True
        """Every tile at or next to the last detection has a score from its own frame."""
        self.ran: np.ndarray | None = None
        """The tiles classified in the current frame."""
        self.last_timestamp: int | None = None

    def check_timestamp(self, timestamp_ms: int) -> None:
        """Record the next frame's timestamp.

        Raises:
            ValueError: it does not increase.

        """
        if self.last_timestamp is not None and timestamp_ms <= self.last_timestamp:
            raise ValueError(
                f"timestamps must increase: {timestamp_ms} after {self.last_timestamp}"
            )
        self.last_timestamp = timestamp_ms

    def near(self, scores: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """Tiles (flat, cut_tiles order) that are flagged or touch a flagged one."""
        return grow_flags(scores >= self.classifier.threshold, shape)

    def classify(
        self, rgb: np.ndarray, within: np.ndarray | None = None, done: np.ndarray | None = None
    ) -> tuple[np.ndarray, int]:
        """Tile scores of an RGB frame and how many tiles ran through the classifier.

        With ``sweep`` > 1 only this frame's share of the rotating lattice and the tiles at or
        next to the last detection run (``within``, while a detection is reused: the lattice
        share of these tiles alone, those away from the detection); the others keep their
        last score. ``done``: tiles already classified in this frame (skipped, and the lattice
        does not advance again). A first frame, or one of another size, runs every tile.
        """
        if self.sweep == 1 or self.scores is None or self.shape != rgb.shape:
            scores = self.classifier.scores(rgb)
            if self.keep_scores:
                self.scores, self.shape, self.frames = scores, rgb.shape, 0
            self.settled = True
            self.ran = np.ones(scores.size, bool)
            return scores, int(scores.size)
        scores = self.scores.copy()
        shape = lattice_shape(*rgb.shape[:2], self.classifier.tile)
        rows, cols = np.divmod(np.arange(scores.size), shape[1])
        if done is None:
            self.frames += 1
            done = np.zeros(scores.size, bool)
        ran = (rows + cols) % self.sweep == self.frames % self.sweep
        if within is None:
            ran |= self.near(scores, shape)
        else:
            ran &= within
        index = np.flatnonzero(ran & ~done)
        count = index.size
        while index.size:
            scores[index] = self.classifier.scores(rgb, index)
            ran[index] = True
            if within is not None:
                break
            # tiles next to what this frame flagged that have not run yet run now, until none
            # is left: the detection settles in its own frame (a codec's flicker at its edge
            # would otherwise keep it unsettled, and never reused, frame after frame)
            index = np.flatnonzero(self.near(scores, shape) & ~(ran | done))
            count += index.size
        self.ran = ran | done
        if within is None:  # settled: every tile at or next to this detection ran now
            self.settled = not (self.near(scores, shape) & ~self.ran).any()
        self.scores = scores
        return scores, int(count)

    def mosaic_away(self, rgb: np.ndarray) -> tuple[bool, int, np.ndarray | None]:
        """While a detection is reused: whether a tile away from it is flagged (a new mosaic).

        Classifies the tiles away from the flags the detection came from (with ``sweep`` > 1:
        this frame's lattice share of them; the detection's own tiles are checked by its
        mosaic cells instead, and run again when it ends).

        Returns:
            (found, tiles classified, the tiles classified in this frame to pass to
            :meth:`classify` as ``done``, or None).

        """
        assert self.scores is not None
        threshold = self.classifier.threshold
        shape = lattice_shape(*rgb.shape[:2], self.classifier.tile)
        away = ~grow_flags(self.scores >= threshold, shape)
        if self.sweep > 1:
            scores, tiles = self.classify(rgb, within=away)
            return bool((scores[away] >= threshold).any()), tiles, self.ran
        index = np.flatnonzero(away)
        if not index.size:
            return False, 0, None
        scores = self.classifier.scores(rgb, index)
        return bool((scores >= threshold).any()), int(index.size), None

    def reusable(self, frame: np.ndarray) -> Detection | None:
        """The previous detection if it was made on a frame of this shape, else None."""
        if self.previous is None or self.previous[1].shape != frame.shape:
            return None
        return self.previous[0]

    @staticmethod
    def still_fits(previous: Detection, mask: np.ndarray) -> bool:
        """Whether this frame's mosaic cells (``mask``) keep enough of the previous ones."""
        kept = np.count_nonzero(mask & previous.mask)
        return kept >= REUSE_SHARE * np.count_nonzero(previous.mask)
