"""Representative data for int8 calibration, drawn from the training photos only."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from unpixel_export.data import (
    PhotoBank,
    random_classifier_sample,
    restorer_pair,
    to_model_input,
)

CLASSIFIER_SAMPLES = 256
RESTORER_SAMPLES = 64
RESTORER_LR_SIZE = 48


def full_range(h: int, w: int) -> np.ndarray:
    """A BGR ramp holding every level 0..255 in each channel.

    Calibrating on it pins the input's range to exactly [0, 1], so the int8 models read
    raw uint8 pixels (scale 1/255, zero point 0) with no requantisation.
    """
    ramp = np.resize(np.arange(256, dtype=np.uint8), h * w).reshape(h, w)
    return np.stack([ramp, ramp[::-1], ramp.T[::-1].reshape(h, w) if h == w else ramp], -1)


def classifier_samples(
    bank: PhotoBank, tile: int, n: int = CLASSIFIER_SAMPLES, seed: int = 0
) -> list[np.ndarray]:
    """``n`` training-mix tiles (half pixelated) plus one full-range ramp, as model inputs."""
    rng = np.random.default_rng(seed)
    tiles = [random_classifier_sample(rng, bank, tile)[0] for _ in range(n)]
    return [to_model_input(t)[None] for t in [full_range(tile, tile), *tiles]]


def restorer_samples(
    bank: PhotoBank,
    scale: int,
    n: int = RESTORER_SAMPLES,
    size: int = RESTORER_LR_SIZE,
    seed: int = 0,
) -> list[np.ndarray]:
    """``n`` LR crops (block means of training photos) plus one full-range ramp."""
    rng = np.random.default_rng(seed)
    crops = [restorer_pair(rng, bank, scale, size)[0] for _ in range(n)]
    return [to_model_input(c)[None] for c in [full_range(size, size), *crops]]


def as_generator(samples: list[np.ndarray]) -> Callable[[], Iterable[np.ndarray]]:
    """The samples as the converters' ``representative`` callable."""
    return lambda: iter(samples)
