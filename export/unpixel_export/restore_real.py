"""Restoration of real damage given the true grid: each restorer tier against oracle Lanczos.

The real-world evaluation (:mod:`unpixel_export.realworld_eval`) measures the whole pipeline,
so a missed detection counts against the restorer there. This one isolates the restorer: the
damaged frames of the real-world cases (made by Pillow, OpenCV and libx264, not by unpixel)
whose mosaic covers the whole frame on an integer grid, the LR image read from the damaged
frame at the true cells as the runtime reads it (the mean of each cell), upscaled by each
tier's shipped restorers (the runtime's :class:`~unpixel.restorer.Restorer`, cascades
included), and pasted over the cells. PSNR (RGB) over the mosaic less one cell at each side,
against the frame before damage: the damaged input, each tier's output, Lanczos from the
same LR, and the oracle Lanczos (the true LR, undamaged, by the true period).
"""

from __future__ import annotations

import math
import sys
import time
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np

from unpixel.geometry import Box, edge_means
from unpixel.metrics import psnr
from unpixel_export import realworld as rw
from unpixel_export.realworld_cases import Case, Sample, cases
from unpixel_export.restore_eval import resize_up

RESIZES = ("pillow", "linear", "area")
FAMILIES = {
    "mean": ("pillow_b2", "pillow_b3", "pillow_b4", "pillow_b8", "opencv_b4", "opencv_b12"),
    "sampled": ("sample_b4", "sample_b8", "sample_b12", "min_b6", "min_b10", "max_b6", "max_b10"),
    "jpeg": tuple(f"jpeg_q{q}_b{b}" for q in (50, 75, 90) for b in (4, 8, 16)),
    "jpeg_q30": ("jpeg_q30_b4", "jpeg_q30_b8", "jpeg_q30_b16"),
    "h264": ("h264_crf18_follow", "h264_crf23_follow", "h264_crf28_follow"),
    "resized": tuple(f"resize_{h}_x0.75_b{b}" for h in RESIZES for b in (8, 16)),
}
"""Report rows: a family and the real-world cases pooled into it."""
SAME_DB = 0.05


def _cell_edges(index: np.ndarray) -> np.ndarray:
    """Cell edges (0, starts..., n) from the LR index of each pixel along an axis."""
    return np.concatenate(([0], 1 + np.flatnonzero(np.diff(index) != 0), [index.size]))


def restore_at_truth(image: np.ndarray, truth: rw.Truth, upscale: Any) -> np.ndarray:
    """``image`` with its whole-frame mosaic restored at the true (integer) cells."""
    b = truth.block
    assert b is not None
    ey, ex = _cell_edges(truth.rows), _cell_edges(truth.cols)
    lr = edge_means(image, ey, ex)
    hr = upscale(lr, b)
    top, left = b - int(ey[1]), b - int(ex[1])  # the first cell's pixels cut by the frame
    h, w = image.shape[:2]
    return hr[top : top + h, left : left + w]


def _lanczos(lr: np.ndarray, b: int) -> np.ndarray:
    return resize_up(lr, b, cv2.INTER_LANCZOS4)


def score(sample: Sample, upscalers: Mapping[str, Any]) -> dict[str, float]:
    """PSNR of the input, each upscaler's restoration, same-LR Lanczos and the oracle."""
    truth = sample.truth
    assert truth is not None and truth.block is not None
    cell = truth.block
    x, y, w, h = truth.box
    c = min(cell, (w - 1) // 2, (h - 1) // 2)
    inner = Box(x + c, y + c, w - 2 * c, h - 2 * c)
    cut = lambda img: img[inner.y : inner.y + inner.h, inner.x : inner.x + inner.w]  # noqa: E731
    ref = cut(sample.clean)
    row = {
        "input": psnr(ref, cut(sample.image)),
        "oracle": psnr(ref, rw.oracle_lanczos(truth, inner)),
        "lanczos": psnr(ref, cut(restore_at_truth(sample.image, truth, _lanczos))),
    }
    for name, fn in upscalers.items():
        row[name] = psnr(ref, cut(restore_at_truth(sample.image, truth, fn)))
    return row


def _samples(case: Case, photos: Sequence[np.ndarray], n: int, seed: int) -> list[Sample]:
    rng = np.random.default_rng([seed, zlib.crc32(case.name.encode())])
    out: list[Sample] = []
    for i in range(n):
        made = case.make(photos[i % len(photos)], rng)
        out += made if isinstance(made, list) else [made]
    return [s for s in out if s.truth is not None and s.truth.block is not None]


def summarise(rows: list[dict[str, float]], tiers: Sequence[str]) -> dict[str, Any]:
    """Means, and per tier: mean gain over the oracle, share >= oracle, share worse than input."""
    rows = [r for r in rows if all(math.isfinite(v) for v in r.values())]
    out: dict[str, Any] = {"n": len(rows)}
    for key in ("input", "lanczos", "oracle", *tiers):
        out[key] = float(np.mean([r[key] for r in rows])) if rows else None
    share = lambda xs: float(np.mean(xs)) if rows else None  # noqa: E731
    for t in tiers:
        out[f"{t}_gain"] = share([r[t] - r["oracle"] for r in rows])
        out[f"{t}_ge_oracle"] = share([r[t] >= r["oracle"] for r in rows])
        out[f"{t}_worse_than_input"] = share([r[t] < r["input"] - SAME_DB for r in rows])
    return out


def evaluate(
    photos: Sequence[np.ndarray],
    upscalers: Mapping[str, Any],
    *,
    per_case: int = 16,
    clips: int = 4,
    seed: int = 0,
    log: bool = False,
) -> dict[str, Any]:
    """Every family of :data:`FAMILIES`; ``upscalers``: tier -> ``upscale(lr, block)``."""
    by_name = {c.name: c for c in cases()}
    h264 = rw.h264_available()
    start = time.perf_counter()
    report: dict[str, Any] = {"families": {}, "cases": {}, "not_run": {}}
    for family, names in FAMILIES.items():
        pooled: list[dict[str, float]] = []
        for name in names:
            case = by_name[name]
            if case.clip and h264 is not None:
                report["not_run"][name] = h264
                continue
            t0 = time.perf_counter()
            samples = _samples(case, photos, clips if case.clip else per_case, seed)
            rows = [score(s, upscalers) for s in samples]
            report["cases"][name] = summarise(rows, list(upscalers))
            pooled += rows
            if log:
                print(f"{name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        report["families"][family] = summarise(pooled, list(upscalers))
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def to_markdown(report: Mapping[str, Any], tiers: Sequence[str]) -> str:
    """One table: a row per family, then per case."""
    cols = " | ".join(f"{t} | {t} - oracle | {t} ≥ oracle | {t} worse than input" for t in tiers)
    head = f"| family / case | n | input | Lanczos (same LR) | oracle Lanczos | {cols} |"
    lines = [head, "|---|" + "---:|" * (4 + 4 * len(tiers))]

    def row(name: str, s: Mapping[str, Any]) -> str:
        if not s["n"]:
            return f"| {name} | 0 |" + " - |" * (3 + 4 * len(tiers))
        cells = [f"{s['input']:.2f}", f"{s['lanczos']:.2f}", f"{s['oracle']:.2f}"]
        for t in tiers:
            cells += [
                f"{s[t]:.2f}",
                f"{s[t + '_gain']:+.2f}",
                f"{100 * s[t + '_ge_oracle']:.0f}%",
                f"{100 * s[t + '_worse_than_input']:.0f}%",
            ]
        return f"| {name} | {s['n']} | " + " | ".join(cells) + " |"

    for family, s in report["families"].items():
        lines.append(row(f"**{family}**", s))
    for name, s in report["cases"].items():
        lines.append(row(name, s))
    return "\n".join(lines)
