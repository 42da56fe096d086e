"""Training and evaluation data made on the fly from photos.

Classifier tiles (native resolution, never resized after the crop):

- positives: mean or sample mosaics, b = 2..16, random phase, whole-tile or partial
  (a mosaic rectangle covering at least 40% of the tile), some JPEG q 50-95 afterwards,
  from photos and from text/UI renders (censored text);
- negatives: clean crops, JPEG-compressed clean crops (q 50-95), bicubic blur-upscales,
  text and UI renders, fine patterns (1-pixel checkerboards, gratings).

Restorer pairs: an HR crop aligned to a random grid, its mean mosaic (sometimes JPEG'd),
and the LR image read back as cell means, as the runtime does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from unpixel.degrade import blur_upscale, jpeg, pixelate
from unpixel.geometry import cell_means
from unpixel.io import read_image
from unpixel.progress import progress
from unpixel_export.synthetic import render_text, render_ui

BLOCKS = tuple(range(2, 17))
NEGATIVE_KINDS = ("photo", "jpeg", "blur", "text", "ui", "pattern")
NEGATIVE_MIXES = {
    "base": (0.36, 0.24, 0.16, 0.10, 0.08, 0.06),
    "jpeg-heavy": (0.30, 0.34, 0.14, 0.09, 0.07, 0.06),
}
"""Shares of the negative kinds, in :data:`NEGATIVE_KINDS` order, per named mix."""
MIN_POSITIVE_DETAIL = 0.5
"""A positive tile's clean crop needs this mean absolute luma step (flat tiles show nothing)."""


@dataclass
class PhotoBank:
    """Photos in memory at two scales (longer side <= 1280 and <= 640), BGR uint8."""

    images: list[np.ndarray]

    @classmethod
    def from_paths(cls, paths: Sequence[Path], max_side: int = 1280) -> PhotoBank:
        """Load and shrink photos; both scales of each photo go in."""
        images: list[np.ndarray] = []
        for path in progress(list(paths), label="loading photos"):
            image = read_image(path)
            for side in (max_side, max_side // 2):
                h, w = image.shape[:2]
                scale = min(1.0, side / max(h, w))
                size = (max(1, round(w * scale)), max(1, round(h * scale)))
                images.append(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        if not images:
            raise ValueError("no photos to draw from")
        return cls(images)

    def full_scale(self) -> list[np.ndarray]:
        """The photos at the larger of the two scales, one per photo, in loading order."""
        return self.images[::2]

    def crop(self, rng: np.random.Generator, h: int, w: int) -> np.ndarray:
        """A random crop of a random photo (photos smaller than the crop are skipped)."""
        for _ in range(100):
            image = self.images[int(rng.integers(len(self.images)))]
            ih, iw = image.shape[:2]
            if ih >= h and iw >= w:
                y, x = int(rng.integers(0, ih - h + 1)), int(rng.integers(0, iw - w + 1))
                return image[y : y + h, x : x + w]
        raise ValueError(f"no photo is at least {w}x{h}")


def _mean_step(image: np.ndarray) -> float:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.abs(np.diff(gray, axis=0)).mean() + np.abs(np.diff(gray, axis=1)).mean()) / 2


def positive_tile(
    rng: np.random.Generator,
    bank: PhotoBank,
    tile: int,
    block: int,
    *,
    mode: str = "mean",
    quality: int | None = None,
    partial: bool = False,
    source: str = "photo",
) -> np.ndarray:
    """A pixelated tile (BGR uint8, tile x tile) with a random phase."""
    for _ in range(20):
        if source == "photo":
            crop = bank.crop(rng, tile, tile)
        else:
            crop = (render_text if source == "text" else render_ui)(rng, tile, tile)
        if _mean_step(crop) >= MIN_POSITIVE_DETAIL:
            break
    phase = (int(rng.integers(0, block)), int(rng.integers(0, block)))
    region = None
    if partial:
        side = lambda: int(rng.integers(int(0.63 * tile), tile + 1))  # noqa: E731
        w, h = side(), side()
        region = (int(rng.integers(0, tile - w + 1)), int(rng.integers(0, tile - h + 1)), w, h)
        if min(w, h) < block:
            region = None
    out = pixelate(crop, block, phase=phase, mode=mode, region=region)  # type: ignore[arg-type]
    return jpeg(out, quality) if quality else out


def pattern_tile(rng: np.random.Generator, tile: int) -> np.ndarray:
    """A fine clean pattern: a 1-pixel checkerboard or a sinusoidal grating, two colours."""
    yy, xx = np.mgrid[0:tile, 0:tile].astype(np.float32)
    if rng.random() < 0.4:
        mask = ((yy + xx) % 2).astype(np.float32)
    else:
        angle, period = rng.uniform(0, np.pi), rng.uniform(2.5, 12)
        mask = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    out = a[None, None, :] * (1 - mask[:, :, None]) + b[None, None, :] * mask[:, :, None]
    return out.astype(np.uint8)


def negative_tile(rng: np.random.Generator, bank: PhotoBank, tile: int, kind: str) -> np.ndarray:
    """A clean tile of one of :data:`NEGATIVE_KINDS` (BGR uint8, tile x tile)."""
    if kind == "photo":
        return bank.crop(rng, tile, tile).copy()
    if kind == "jpeg":
        return jpeg(np.ascontiguousarray(bank.crop(rng, tile, tile)), int(rng.integers(50, 96)))
    if kind == "blur":
        return blur_upscale(np.ascontiguousarray(bank.crop(rng, tile, tile)), rng.uniform(1.5, 4))
    if kind == "text":
        return render_text(rng, tile, tile)
    if kind == "ui":
        return render_ui(rng, tile, tile)
    if kind == "pattern":
        return pattern_tile(rng, tile)
    raise ValueError(f"unknown negative kind {kind!r}")


def random_classifier_sample(
    rng: np.random.Generator, bank: PhotoBank, tile: int, mix: str = "base"
) -> tuple[np.ndarray, float]:
    """One training sample: (tile BGR uint8, label 1.0 pixelated / 0.0 clean), 50/50.

    ``mix`` names the shares of the negative kinds (:data:`NEGATIVE_MIXES`).
    """
    if rng.random() < 0.5:
        weights = NEGATIVE_MIXES[mix]
        kind = NEGATIVE_KINDS[int(rng.choice(len(NEGATIVE_KINDS), p=weights))]
        return negative_tile(rng, bank, tile, kind), 0.0
    block = int(rng.choice((2, 3))) if rng.random() < 0.2 else int(rng.integers(2, 17))
    quality = int(rng.integers(50, 96)) if rng.random() < 0.4 else None
    source = "photo" if rng.random() < 0.9 else str(rng.choice(("text", "ui")))
    tile_img = positive_tile(
        rng,
        bank,
        tile,
        block,
        mode="mean" if rng.random() < 0.7 else "sample",
        quality=quality,
        partial=rng.random() < 0.25,
        source=source,
    )
    return tile_img, 1.0


def to_model_input(tiles: np.ndarray) -> np.ndarray:
    """BGR uint8 (..., H, W, 3) -> RGB float32 in [0, 1], the models' input."""
    return tiles[..., ::-1].astype(np.float32) / 255.0


def restorer_pair(
    rng: np.random.Generator, bank: PhotoBank, scale: int, lr: int, *, jpeg_prob: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """(LR, HR) BGR uint8: LR = cell means of the (sometimes JPEG'd, q 80-95) mean mosaic."""
    hr = np.ascontiguousarray(bank.crop(rng, lr * scale, lr * scale))
    mosaic = pixelate(hr, scale)
    if rng.random() < jpeg_prob:
        mosaic = jpeg(mosaic, int(rng.integers(80, 96)))
    return cell_means(mosaic, scale, (0, 0)), hr
