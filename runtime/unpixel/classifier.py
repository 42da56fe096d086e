"""The tile classifier: native-resolution tiles of a frame -> P(pixelated) per tile."""

from __future__ import annotations

import numpy as np

from unpixel.engines import Engine
from unpixel.errors import ModelError
from unpixel.tiles import batches, cut_tiles, lattice_shape

SHAPE_STEP = 8
"""Batches are padded (the last tile repeated) to a multiple of this many tiles: LiteRT
reallocates its tensors for every new batch size, and VIDEO mode's sweeps and checks score a
varying number of tiles from frame to frame."""
BATCH = 256
"""Most tiles per model invocation. A backend's buffers grow with the batch (LiteRT int8:
about 90 kB a 64 px tile, 1.5 GB for the 16,384 tiles of an 8192x8192 frame), so a frame's
tiles are cut and scored in batches of at most this many."""


class Classifier:
    """Scores the tiles of a frame (:func:`unpixel.tiles.cut_tiles` order), a batch at a time."""

    def __init__(self, engine: Engine, threshold: float) -> None:
        shape = engine.input.shape
        if len(shape) != 4 or shape[1] != shape[2] or shape[1] < 16 or shape[3] != 3:
            raise ModelError(f"classifier input must be (N, T, T, 3) tiles, got {shape}")
        if engine.output.shape[-1] != 1:
            raise ModelError(f"classifier output must be (N, 1), got {engine.output.shape}")
        self.engine = engine
        self.threshold = threshold
        self.tile = int(shape[1])

    def scores(self, frame_rgb: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
        """P(pixelated) of tiles of a frame.

        Args:
            frame_rgb: HxWx3 RGB uint8 (smaller than a tile: edge-padded).
            index: positions (cut_tiles order) of the tiles to score; None: every tile.

        Returns:
            float32 scores in [0, 1], one per tile scored.

        """
        if index is None:
            rows, cols = lattice_shape(*frame_rgb.shape[:2], self.tile)
            index = np.arange(rows * cols)
        index = np.asarray(index, dtype=np.intp).ravel()
        out = np.empty(index.size, np.float32)
        spans = batches(index.size, BATCH)
        size = -(-(spans[0][1] - spans[0][0]) // SHAPE_STEP) * SHAPE_STEP if spans else 0
        for start, stop in spans:
            part = index[start:stop]
            spare = size - part.size  # padded: few distinct shapes, see SHAPE_STEP
            if spare:
                part = np.concatenate((part, np.repeat(part[-1:], spare)))
            scored = self.engine.run(cut_tiles(frame_rgb, self.tile, part))[:, 0]
            out[start:stop] = scored[: stop - start]
        return out

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()
