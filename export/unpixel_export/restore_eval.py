"""Restoration quality per block size: the restorer against the mosaic, bicubic and Lanczos.

Protocol (fixed seed): per photo (longer side <= 1280) and block size, a random phase; the
photo is cropped to whole cells of that grid, mean-pixelated, and the LR image read back as
cell means (exact for mean mosaics). Every method upscales that LR image by the block size;
PSNR (RGB, 0-255) and SSIM are measured against the photo with a border of ``block`` pixels
ignored. A photo whose mosaic equals it (a flat graphic: nothing to restore, PSNR infinite)
is left out of that block's means and counted. Block sizes without their own restorer are
reached by a cascade of the shipped scales whose product is the block (6 = 3 x 2,
8 = 4 x 2, ...), or else the largest scale then Lanczos to size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from unpixel.degrade import pixelate
from unpixel.geometry import cell_means
from unpixel.metrics import psnr, ssim
from unpixel.restorer import plan

Upscale = Callable[[np.ndarray], np.ndarray]
"""Takes an LR BGR uint8 image, returns it upscaled by the model's scale (BGR uint8)."""

BLOCKS = (2, 3, 4, 6, 8)
BASELINES = ("mosaic", "bicubic", "lanczos")


def resize_up(lr: np.ndarray, factor: int, interpolation: int) -> np.ndarray:
    """OpenCV resize by an integer factor (half-pixel centres: aligned with cell means)."""
    h, w = lr.shape[:2]
    return cv2.resize(lr, (w * factor, h * factor), interpolation=interpolation)


def cascade(restorers: Mapping[int, Upscale], block: int) -> Upscale | None:
    """An upscaler by ``block`` from the restorers, following the runtime's plan.

    :func:`unpixel.restorer.plan`: direct, a product of two, or the largest then Lanczos.
    """
    steps = plan(block, tuple(restorers)) if restorers else []
    if not steps:
        return None

    def upscale(lr: np.ndarray) -> np.ndarray:
        out = lr
        for scale in steps:
            out = restorers[scale](out)
        h, w = lr.shape[:2]
        if out.shape[:2] != (h * block, w * block):
            out = cv2.resize(out, (w * block, h * block), interpolation=cv2.INTER_LANCZOS4)
        return out

    return upscale


@dataclass
class RestoreReport:
    """Mean PSNR / SSIM per block size and method."""

    psnr: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    ssim: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    lossless: dict[int, int] = field(default_factory=dict)

    def mean(self, metric: str, block: int, method: str) -> float:
        """Mean of one metric over the photos."""
        return float(np.mean(getattr(self, metric)[block][method]))

    def methods(self) -> list[str]:
        """Method names in table order."""
        first = next(iter(self.psnr.values()))
        return list(first)

    def to_markdown(self) -> str:
        """PSNR and SSIM tables, one row per block size."""
        methods = self.methods()
        learned = [m for m in methods if m not in BASELINES]
        lines = [
            "| block | "
            + " | ".join(f"PSNR {m}" for m in methods)
            + "".join(f" | {m} - Lanczos" for m in learned)
            + " |",
            "|---:|" + "---:|" * (len(methods) + len(learned)),
        ]
        for b in sorted(self.psnr):
            vals = [self.mean("psnr", b, m) for m in methods]
            gains = [self.mean("psnr", b, m) - self.mean("psnr", b, "lanczos") for m in learned]
            cells = " | ".join(f"{v:.2f}" for v in vals)
            lines.append(f"| {b} | {cells}" + "".join(f" | {g:+.2f} dB" for g in gains) + " |")
        lines += [
            "",
            "| block | " + " | ".join(f"SSIM {m}" for m in methods) + " |",
            "|---:|" + "---:|" * len(methods),
        ]
        for b in sorted(self.ssim):
            lines.append(
                f"| {b} | " + " | ".join(f"{self.mean('ssim', b, m):.4f}" for m in methods) + " |"
            )
        counted = {b: len(self.psnr[b][methods[0]]) for b in self.psnr}
        lines.append(
            f"\nPhotos per block size: {counted}; left out as lossless mosaics "
            f"(flat graphics): {self.lossless}."
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Means per block and method, for JSON."""
        doc: dict[str, object] = {
            metric: {b: {m: self.mean(metric, b, m) for m in self.methods()} for b in table}
            for metric, table in (("psnr", self.psnr), ("ssim", self.ssim))
        }
        doc["lossless_left_out"] = self.lossless
        return doc


def evaluate_restoration(
    photos: Sequence[np.ndarray],
    restorers: Mapping[int, Upscale],
    blocks: Sequence[int] = BLOCKS,
    seed: int = 0,
    others: Mapping[str, Mapping[int, Upscale]] | None = None,
) -> RestoreReport:
    """Run the protocol in the module docstring.

    ``restorers``: the method named "restorer" (the fast tier); ``others``: more named sets
    of restorers (e.g. "quality"), each measured the same way.
    """
    rng = np.random.default_rng(seed)
    report = RestoreReport()
    for b in blocks:
        methods: dict[str, Upscale | None] = {
            "mosaic": lambda lr, b=b: resize_up(lr, b, cv2.INTER_NEAREST),
            "bicubic": lambda lr, b=b: resize_up(lr, b, cv2.INTER_CUBIC),
            "lanczos": lambda lr, b=b: resize_up(lr, b, cv2.INTER_LANCZOS4),
            "restorer": cascade(restorers, b),
            **{name: cascade(models, b) for name, models in (others or {}).items()},
        }
        active = {k: f for k, f in methods.items() if f is not None}
        report.psnr[b] = {k: [] for k in active}
        report.ssim[b] = {k: [] for k in active}
        report.lossless[b] = 0
        for photo in photos:
            py, px = int(rng.integers(0, b)), int(rng.integers(0, b))
            h, w = (photo.shape[0] - py) // b * b, (photo.shape[1] - px) // b * b
            hr = np.ascontiguousarray(photo[py : py + h, px : px + w])
            mosaic = pixelate(hr, b)
            if np.array_equal(mosaic, hr):
                report.lossless[b] += 1
                continue
            lr = cell_means(mosaic, b, (0, 0))
            for name, fn in active.items():
                out = fn(lr)
                report.psnr[b][name].append(psnr(hr, out, border=b))
                report.ssim[b][name].append(ssim(hr, out, border=b))
    return report
