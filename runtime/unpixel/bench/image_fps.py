"""IMAGE-mode pipeline FPS per resolution and pixelated share, with the per-stage breakdown.

Each frame's ``Result.timings`` gives the stages; the time spent inside model invocation is
added up by an :class:`~unpixel.engines.InvokeTimer` set on every engine of the pipeline (the
backend call, after quantisation), so ``overhead`` = frame time outside the models, as a
share of the frame time. VIDEO mode is :mod:`unpixel.bench.video_fps`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.bench.measure import summarize
from unpixel.bench.workloads import BLOCK, bench_frame
from unpixel.engines import InvokeTimer

NOT_STAGES = frozenset({"total", "wall", "invoke", "pixelated", "tiles", "reused_detection"})
"""Keys of a frame's timings that are not stage times in ms (totals, counts, flags)."""


def pipeline_engines(pipe: Any) -> list[Any]:
    """Every engine a pipeline holds (classifier and restorers)."""
    return [pipe.classifier.engine, *pipe.restorer.engines.values()]


@contextmanager
def timed_pipeline(
    backend: str,
    precision: str,
    threads: int,
    models_dir: Path | None = None,
    restorer: str = "fast",
) -> Iterator[tuple[Any, InvokeTimer]]:
    """A pipeline on the shipped models (or ``models_dir``'s), its engines timed by one timer.

    ``restorer``: the restorer tier (:attr:`~unpixel.options.PipelineOptions.restorer`).

    Yields:
        The pipeline and the :class:`~unpixel.engines.InvokeTimer` set on all its engines.

    """
    from unpixel.options import PipelineOptions
    from unpixel.pipeline import Pipeline

    options = PipelineOptions(
        backend=backend,
        precision=precision,
        num_threads=threads,
        models_dir=models_dir,
        restorer=restorer,
    )
    with Pipeline.create(options) as pipe:
        timer = InvokeTimer()
        for engine in pipeline_engines(pipe):
            engine.timer = timer
        yield pipe, timer


def run_frame(pipe: Any, timer: InvokeTimer, frame: np.ndarray) -> dict[str, float]:
    """Process one frame; its stage timings plus ``invoke`` (ms) and ``wall`` (ms)."""
    timer.reset()
    t0 = time.perf_counter()
    result = pipe.process(frame)
    wall = (time.perf_counter() - t0) * 1e3
    return {
        **result.timings,
        "invoke": timer.ms,
        "wall": wall,
        "pixelated": float(result.detection.pixelated),
    }


def summarize_frames(rows: list[dict[str, float]]) -> dict[str, Any]:
    """Medians of a case's frames: frame time, FPS, stages, invoke time, overhead share."""
    wall = summarize([r["wall"] for r in rows])
    stages = {
        k: float(np.median([r.get(k, 0.0) for r in rows])) for k in rows[0] if k not in NOT_STAGES
    }
    overhead = [100.0 * (1.0 - r["invoke"] / r["wall"]) for r in rows]
    return {
        "frame_ms": wall,
        "fps": 1e3 / wall["p50"],
        "stages_ms": stages,
        "invoke_ms": float(np.median([r["invoke"] for r in rows])),
        "overhead_pct": float(np.median(overhead)),
        "detected": bool(np.median([r["pixelated"] for r in rows]) >= 0.5),
    }


def bench_pipeline(
    backend: str,
    precision: str,
    threads: int,
    resolutions: tuple[tuple[int, int], ...],
    coverages: tuple[float, ...],
    runs: int,
    warmup: int = 1,
    block: int = BLOCK,
    models_dir: Path | None = None,
    restorer: str = "fast",
) -> list[dict[str, Any]]:
    """Frame time of every resolution x coverage: medians of ``runs`` frames after warm-up."""
    out = []
    with timed_pipeline(backend, precision, threads, models_dir, restorer) as (pipe, timer):
        for width, height in resolutions:
            for coverage in coverages:
                frame = bench_frame(width, height, coverage, block)
                for _ in range(warmup):
                    pipe.process(frame)
                rows = [run_frame(pipe, timer, frame) for _ in range(runs)]
                out.append(
                    {
                        "backend": backend,
                        "precision": precision,
                        "threads": threads,
                        "width": width,
                        "height": height,
                        "coverage": coverage,
                        "block": block,
                        "restorer": restorer,
                        "runs": runs,
                        **summarize_frames(rows),
                    }
                )
    return out
