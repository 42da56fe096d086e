"""The tile classifier: native-resolution tiles of a frame -> P(pixelated) per tile."""

from __future__ import annotations

import numpy as np

from unpixel.engines import Engine
from unpixel.errors import ModelError
from unpixel.tiles import cut_tiles


class Classifier:
    """Scores every tile of a frame (:func:`unpixel.tiles.cut_tiles` order) in one batch."""

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
        return self.engine.run(cut_tiles(frame_rgb, self.tile, index))[:, 0]

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()
