"""Real-world evaluation: the shipped pipeline on damage made by Pillow, OpenCV and libx264.

Every case of :mod:`unpixel_export.realworld_cases` is made ``per_case`` times (photos taken
in turn, random crops, seeded per case) and run through ``Pipeline.create()`` (the shipped
int8 models, IMAGE mode, public API only); H.264 clips also through a fresh VIDEO-mode
pipeline per clip (``process_for_video``). Per case: the share of frames *found* (a region
with a grid over the mosaic), *period right* (within 2%), *cells right* (>= 90% of the true
cell edges on the found grid, exactly, or within 1 px after antialiased resizes), the share
of the true mosaic the mask covers and its IoU, RGB PSNR against the undamaged frame over
the mosaic less one cell at each side (input, output, and an oracle: Lanczos upscale of
the true LR image by the true period, cell-aligned), better / same / worse (+-0.05 dB),
the share of frames >= the oracle, and input pixels changed outside the mosaic (share, and
frames with a change farther than one cell from it). Clean controls: frames flagged, pixels
changed on those, and unflagged frames that are not bit-identical.

Run by ``unpixel eval --task realworld [--images DIR] --per-case N --clips N --json F
--markdown F`` (:mod:`unpixel_export.eval_cli`).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
import zlib
from collections.abc import Sequence

import cv2
import numpy as np

import unpixel as up
from unpixel.geometry import Box
from unpixel.metrics import psnr
from unpixel_export import realworld as rw
from unpixel_export.realworld_cases import CLIP_FRAMES, Case, Sample, cases
from unpixel_export.realworld_report import summarise


def _overlap(a: Box, b: Box) -> int:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def grid_match(grid: up.Grid, truth: rw.Truth) -> tuple[bool, float]:
    """Whether the grid's period is within 2% of the truth's, and its share of true edges hit.

    A grid's period is its ``period`` attribute where it has one, else its ``block``; its
    edges are ``round(origin + k * pitch)`` in frame coordinates (``origin`` and ``pitch``:
    the grid's, per axis, where it has them, else its ``phase`` and period).
    """
    period = float(getattr(grid, "period", None) or grid.block)
    period_ok = abs(period - truth.period) <= 0.02 * truth.period
    shares = []
    for axis in (0, 1):
        edges = truth.edges(axis)
        if not len(edges):
            continue
        origin, pitch = getattr(grid, "origin", None), getattr(grid, "pitch", None)
        ph = float(origin[axis] if origin is not None else grid.phase[axis])
        step = float(pitch[axis]) if pitch is not None else period
        k = np.arange(
            math.floor((edges.min() - ph) / step) - 1, math.ceil((edges.max() - ph) / step) + 2
        )
        pred = np.round(ph + k * step)
        dist = np.abs(edges[:, None] - pred[None, :]).min(axis=1)
        shares.append(float((dist <= truth.tol).mean()))
    return period_ok, min(shares) if shares else 0.0


def _inner(box: Box, cell: int) -> Box:
    x, y, w, h = box
    c = min(cell, (w - 1) // 2, (h - 1) // 2)
    return Box(x + c, y + c, w - 2 * c, h - 2 * c)


def _cut(img: np.ndarray, box: Box) -> np.ndarray:
    x, y, w, h = box
    return img[y : y + h, x : x + w]


def score(sample: Sample, result: up.Result) -> dict[str, object]:
    """One frame's measurements (see the module doc)."""
    image, clean, truth = sample.image, sample.clean, sample.truth
    det, out = result.detection, result.image
    diff = np.abs(out.astype(np.int16) - image.astype(np.int16)).max(axis=2)
    changed = diff > 0
    if truth is None:
        return {
            "flagged": bool(det.pixelated),
            "changed": float(changed.mean()),
            "identical": not bool(changed.any()),
        }
    tmask = truth.mask(image.shape)
    over = [r for r in det.regions if r.grid is not None and _overlap(r.box, truth.box) > 0]
    period_ok, edge_share = False, 0.0
    if over:
        best = max(over, key=lambda r: _overlap(r.box, truth.box))
        period_ok, edge_share = grid_match(best.grid, truth)
    union = int((det.mask | tmask).sum())
    cell = math.ceil(truth.period)
    inner = _inner(truth.box, cell)
    ref = _cut(clean, inner)
    oracle = rw.oracle_lanczos(truth, inner)
    near = cv2.dilate(tmask.astype(np.uint8), np.ones((2 * cell + 1, 2 * cell + 1), np.uint8))
    far = near == 0
    outside = ~tmask
    return {
        "detected": bool(over),
        "period_right": bool(over and period_ok),
        "cells_right": bool(over and period_ok and edge_share >= 0.9),
        "covers": float(det.mask[tmask].mean()),
        "iou": float((det.mask & tmask).sum() / union) if union else 0.0,
        "psnr_in": psnr(ref, _cut(image, inner)),
        "psnr_out": psnr(ref, _cut(out, inner)),
        "psnr_oracle": psnr(ref, oracle),
        "outside_changed": float(changed[outside].mean()) if outside.any() else None,
        "far_changed": bool(changed[far].any()),
        "far_max": int(diff[far].max()) if far.any() else 0,
    }


def _seeded(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _run_clip(case: Case, samples: list[Sample], pipe: up.Pipeline, rows: dict) -> None:
    rows.setdefault(case.name, []).extend(score(s, pipe.process(s.image)) for s in samples)
    video = dataclasses.replace(pipe.options, running_mode=up.RunningMode.VIDEO)
    with up.Pipeline.create(video) as vpipe:
        rows.setdefault(case.name + "_video", []).extend(
            score(s, vpipe.process_for_video(s.image, 40 * t)) for t, s in enumerate(samples)
        )


def evaluate(
    photos: list[np.ndarray],
    *,
    per_case: int,
    clips: int,
    seed: int = 0,
    only: Sequence[str] = (),
    log: bool = False,
    restorer: str = "fast",
) -> dict[str, object]:
    """Run every case (or those whose name starts with one of ``only``); a JSON-able report.

    Args:
        photos: BGR photos the cases are cut from (taken in turn).
        per_case: frames per image case.
        clips: clips per H.264 case (each :data:`CLIP_FRAMES` frames, IMAGE and VIDEO mode).
        seed: the base seed (each case draws from its own generator).
        only: name prefixes to run (empty: all).
        log: print one line per case to stderr.
        restorer: the restorer tier (:attr:`unpixel.PipelineOptions.restorer`).

    Returns:
        ``cases`` (name -> family, summary), ``families`` (pooled), ``not_run``, ``errors``.

    """
    chosen = [c for c in cases() if not only or c.name.startswith(tuple(only))]
    h264 = rw.h264_available()
    rows: dict[str, list[dict[str, object]]] = {}
    families: dict[str, str] = {}
    not_run: dict[str, str] = {}
    errors: list[str] = []
    start = time.perf_counter()
    with up.Pipeline.create(up.PipelineOptions(restorer=restorer)) as pipe:
        for case in chosen:
            names = (case.name, case.name + "_video") if case.clip else (case.name,)
            for name in names:
                families[name] = case.family
            if case.clip and h264 is not None:
                not_run.update(dict.fromkeys(names, h264))
                continue
            rng = _seeded(seed, case.name)
            t0 = time.perf_counter()
            for i in range(clips if case.clip else per_case):
                photo = photos[i % len(photos)]
                try:
                    made = case.make(photo, rng)
                    if case.clip:
                        _run_clip(case, made, pipe, rows)
                    else:
                        rows.setdefault(case.name, []).append(score(made, pipe.process(made.image)))
                except Exception as exc:  # reported, not hidden: a case's failure is a finding
                    errors.append(f"{case.name} #{i}: {type(exc).__name__}: {exc}")
            if log:
                print(f"{case.name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    report_cases = {
        name: {"family": families[name], **summarise(rows[name])}
        for name in families
        if name in rows
    }
    pooled: dict[str, list[dict[str, object]]] = {}
    for name, fam in families.items():
        key = fam + ("_video" if name.endswith("_video") else "")
        pooled.setdefault(key, []).extend(rows.get(name, []))
    return {
        "per_case": per_case,
        "clips": clips,
        "frames_per_clip": CLIP_FRAMES,
        "seed": seed,
        "restorer": restorer,
        "cases": report_cases,
        "families": {k: summarise(v) for k, v in pooled.items() if v},
        "not_run": not_run,
        "errors": errors,
        "seconds": round(time.perf_counter() - start, 1),
    }
