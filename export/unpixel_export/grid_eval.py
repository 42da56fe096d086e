"""Accuracy of :func:`unpixel.estimate_grid` on photos: the bars of the foundation issue.

Protocol (fixed seed): each photo is shrunk so its longer side is at most 1280 px, then per
block size 2..16 and trial a random crop of 256-512 px gets a mean mosaic with a random
phase; the estimate is exact when block and phase both match. The same crops after JPEG
quality 75 make the second column. Clean cases: per photo and trial a random crop plain,
after JPEG at q 50, 75 and 95, and a bicubic blur-upscale; plus generated text and UI
renders. A clean case passes when the estimate is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from unpixel.degrade import blur_upscale, jpeg, pixelate
from unpixel.grid import estimate_grid
from unpixel.image import to_luma
from unpixel_export.synthetic import render_text, render_ui

BLOCKS = tuple(range(2, 17))
MIN_DETAIL = 1.0
CLEAN_VARIANTS = ("plain", "jpeg50", "jpeg75", "jpeg95", "blur2", "text", "ui")


def shrink(image: np.ndarray, max_side: int = 1280) -> np.ndarray:
    """Downscale (area) so the longer side is at most ``max_side``."""
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return image
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def random_crop(
    image: np.ndarray, rng: np.random.Generator, lo: int = 256, hi: int = 512
) -> np.ndarray:
    """A random crop with sides in ``lo..hi`` (clipped to the image)."""
    h, w = image.shape[:2]
    ch = int(min(h, rng.integers(lo, hi + 1)))
    cw = int(min(w, rng.integers(lo, hi + 1)))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    return image[y : y + ch, x : x + cw]


def has_detail(image: np.ndarray, min_step: float = MIN_DETAIL) -> bool:
    """True when the mean absolute luma step is at least ``min_step`` in both directions.

    A flat crop carries no evidence of a grid, pixelated or not.
    """
    luma = to_luma(image)
    return bool(
        np.abs(np.diff(luma, axis=0)).mean() >= min_step
        and np.abs(np.diff(luma, axis=1)).mean() >= min_step
    )


def detailed_crop(
    image: np.ndarray, rng: np.random.Generator, tries: int = 20
) -> np.ndarray | None:
    """A random crop with detail (see :func:`has_detail`), or None after ``tries`` misses."""
    for _ in range(tries):
        crop = random_crop(image, rng)
        if has_detail(crop):
            return crop
    return None


@dataclass
class GridReport:
    """Counts per block size and per clean variant."""

    exact: dict[int, int] = field(default_factory=dict)
    exact_jpeg: dict[int, int] = field(default_factory=dict)
    trials: dict[int, int] = field(default_factory=dict)
    clean_none: dict[str, int] = field(default_factory=dict)
    clean_trials: dict[str, int] = field(default_factory=dict)
    flat_skipped: int = 0

    def rate(self, jpeg75: bool = False, block: int | None = None) -> float:
        """Share of exact estimates, over one block size or all."""
        counts = self.exact_jpeg if jpeg75 else self.exact
        keys = [block] if block is not None else list(self.trials)
        return sum(counts[b] for b in keys) / max(1, sum(self.trials[b] for b in keys))

    def clean_rate(self, variant: str | None = None) -> float:
        """Share of clean cases estimated as None, over one variant or all."""
        keys = [variant] if variant is not None else list(self.clean_trials)
        ok = sum(self.clean_none[k] for k in keys)
        return ok / max(1, sum(self.clean_trials[k] for k in keys))

    def to_markdown(self) -> str:
        """The per-block-size table and the clean table, as Markdown."""
        lines = [
            "| block | cases | exact (mean mosaic) | exact after JPEG q75 |",
            "|---:|---:|---:|---:|",
        ]
        for b in sorted(self.trials):
            lines.append(
                f"| {b} | {self.trials[b]} | {self.rate(False, b):.1%} | {self.rate(True, b):.1%} |"
            )
        lines.append(
            f"| **all** | {sum(self.trials.values())} | **{self.rate(False):.1%}** "
            f"| **{self.rate(True):.1%}** |"
        )
        lines += ["", "| clean variant | cases | None (no grid) |", "|---|---:|---:|"]
        for v in self.clean_trials:
            lines.append(f"| {v} | {self.clean_trials[v]} | {self.clean_rate(v):.1%} |")
        lines.append(
            f"| **all** | {sum(self.clean_trials.values())} | **{self.clean_rate():.1%}** |"
        )
        if self.flat_skipped:
            lines.append(f"\n{self.flat_skipped} mosaic cases skipped: no crop with detail found.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Rates for JSON output."""
        return {
            "flat_skipped": self.flat_skipped,
            "exact_mean": self.rate(False),
            "exact_jpeg75": self.rate(True),
            "clean_none": self.clean_rate(),
            "per_block": {
                b: {
                    "cases": self.trials[b],
                    "exact": self.rate(False, b),
                    "exact_jpeg75": self.rate(True, b),
                }
                for b in sorted(self.trials)
            },
            "per_clean_variant": {
                v: {"cases": self.clean_trials[v], "none": self.clean_rate(v)}
                for v in self.clean_trials
            },
        }


def _clean_case(variant: str, crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if variant == "plain":
        return crop
    if variant.startswith("jpeg"):
        return jpeg(crop, int(variant[4:]))
    if variant == "blur2":
        return blur_upscale(crop, 2)
    h, w = crop.shape[:2]
    return render_text(rng, h, w) if variant == "text" else render_ui(rng, h, w)


def evaluate_grid(
    photos: Sequence[np.ndarray], trials: int = 2, seed: int = 0, **grid_kwargs: float
) -> GridReport:
    """Run the protocol in the module docstring over ``photos`` (BGR uint8)."""
    rng = np.random.default_rng(seed)
    report = GridReport()
    for b in BLOCKS:
        report.exact[b] = report.exact_jpeg[b] = report.trials[b] = 0
    for v in CLEAN_VARIANTS:
        report.clean_none[v] = report.clean_trials[v] = 0
    for photo in photos:
        photo = shrink(photo)
        for b in BLOCKS:
            for _ in range(trials):
                crop = detailed_crop(photo, rng)
                if crop is None:
                    report.flat_skipped += 1
                    continue
                phase = (int(rng.integers(0, b)), int(rng.integers(0, b)))
                mosaic = pixelate(crop, b, phase=phase)
                report.trials[b] += 1
                for image, counts in (
                    (mosaic, report.exact),
                    (jpeg(mosaic, 75), report.exact_jpeg),
                ):
                    grid = estimate_grid(image, **grid_kwargs)
                    counts[b] += grid is not None and grid.block == b and grid.phase == phase
        for _ in range(trials):
            crop = random_crop(photo, rng)
            for v in CLEAN_VARIANTS:
                case = _clean_case(v, crop, rng)
                report.clean_trials[v] += 1
                report.clean_none[v] += estimate_grid(case, **grid_kwargs) is None
    return report
