"""The inputs every benchmark runs on, made the same way in every process.

A frame is the bundled astronaut photo resized to the resolution, with a block-mean mosaic
over a centred share of its area; model inputs are the work of one 1280x720 frame (all its
classifier tiles, or its whole LR image for a restorer).
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080))
"""Pipeline frame sizes (width, height)."""
COVERAGES = (0.0, 0.25, 1.0)
"""Share of the frame that is pixelated."""
BLOCK = 4
"""Mosaic block size of the pipeline frames (the runtime issue's speed bars use b = 4)."""
MODEL_FRAME = (1280, 720)
"""Model benchmarks run the work of one frame of this size (width, height)."""


@lru_cache(maxsize=8)
def _photo(width: int, height: int) -> np.ndarray:
    from unpixel.demo import sample_image

    image = sample_image("astronaut.jpg")
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)


def photo(width: int, height: int) -> np.ndarray:
    """The clean bench photo resized to ``width`` x ``height`` (cached: do not modify it)."""
    return _photo(width, height)


def mosaic_box(width: int, height: int, coverage: float) -> tuple[int, int, int, int] | None:
    """The centred (x, y, w, h) box covering ``coverage`` of the frame; None for 0."""
    if not 0.0 <= coverage <= 1.0:
        raise ValueError(f"coverage must be in [0, 1], got {coverage}")
    if coverage == 0.0:
        return None
    side = math.sqrt(coverage)
    w, h = round(width * side), round(height * side)
    return (width - w) // 2, (height - h) // 2, w, h


def bench_frame(width: int, height: int, coverage: float, block: int = BLOCK) -> np.ndarray:
    """A BGR uint8 frame of the given size with ``coverage`` of its area pixelated."""
    from unpixel.degrade import pixelate

    frame = _photo(width, height).copy()
    box = mosaic_box(width, height, coverage)
    if box is None:
        return frame
    return pixelate(frame, block, region=None if coverage == 1.0 else box)


def model_input(
    task: str, scale: int | None, tile: int = 64, frame: tuple[int, int] = MODEL_FRAME
) -> np.ndarray:
    """The uint8 RGB (N, H, W, 3) input of one model run: the work of one frame.

    Classifier: every ``tile`` px tile of the frame; restorer: the frame's LR image at
    ``scale`` (restoring a whole frame of that block size).
    """
    width, height = frame
    rgb = _photo(width, height)[:, :, ::-1]
    if task == "classifier":
        from unpixel.tiles import cut_tiles

        return cut_tiles(np.ascontiguousarray(rgb), tile)
    if task == "restorer" and scale:
        lr = cv2.resize(
            rgb, (-(-width // scale), -(-height // scale)), interpolation=cv2.INTER_AREA
        )
        return np.ascontiguousarray(lr[None])
    raise ValueError(f"no benchmark input for task {task!r} (scale {scale})")
