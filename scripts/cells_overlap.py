"""What seeking the mosaic cells on a worker thread, while the restorer runs, buys.

The pipeline as shipped (``Pipeline.process``: cells sought on a worker thread during the
restorer's invocation) against the same stages run in order on the calling thread
(:class:`unpixel.stages.FrameStages` ``detect`` then ``restore`` on the pipeline's own
models: cells, then the restorer; the cell areas are computed again for the restore), on
the bench's 1280x720 fully pixelated b = 4 frame, int8 LiteRT, 2 threads; interleaved
rounds, medians of 15 frames each. ``overhead`` is `unpixel bench`'s figure: the share of
the frame's wall time outside the engines' backend calls (an
:class:`unpixel.engines.InvokeTimer`). On a machine with as many cores as interpreter
threads the worker competes with the restorer, and that slows the invocation: the time
counts as invocation. The in-order row shows what the overhead is without that overlap.

Run: .venv/bin/python scripts/cells_overlap.py
"""

from __future__ import annotations

import time

import numpy as np

from unpixel.bench.image_fps import run_frame, summarize_frames, timed_pipeline
from unpixel.bench.workloads import bench_frame
from unpixel.results import Result
from unpixel.stages import FrameStages

ROUNDS, FRAMES = 3, 15


class InOrder:
    """One frame's stages in order on the calling thread: detect (with cells), then restore."""

    def __init__(self, stages: FrameStages) -> None:
        self.stages = stages

    def process(self, frame: np.ndarray) -> Result:
        """Like ``Pipeline.process``, without the worker thread."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        det, _, lrs = self.stages.detect(frame, timings)
        t1 = time.perf_counter()
        image = self.stages.restore(frame, det, lrs) if det.pixelated else frame.copy()
        t2 = time.perf_counter()
        timings.update(restore=(t2 - t1) * 1e3, total=(t2 - t0) * 1e3)
        return Result(image=image, detection=det, timings=timings)


def main() -> None:
    """Print frame time, invoke time, overhead and stages of both, interleaved."""
    frame = bench_frame(1280, 720, 1.0, 4)
    rows: dict[str, list[dict[str, float]]] = {"worker thread (shipped)": [], "in order": []}
    with timed_pipeline("litert", "int8", 2) as (pipe, timer):
        # no close(): it would close the pipeline's models; its worker thread never starts
        in_order = InOrder(FrameStages(pipe.classifier, pipe.restorer))
        for _ in range(ROUNDS):
            for name, runner in (("worker thread (shipped)", pipe), ("in order", in_order)):
                for _ in range(2):
                    runner.process(frame)
                rows[name] += [run_frame(runner, timer, frame) for _ in range(FRAMES)]
    for name, frames in rows.items():
        s = summarize_frames(frames)
        stages = " / ".join(
            f"{s['stages_ms'][k]:.1f}" for k in ("classify", "grid", "cells", "restore")
        )
        print(
            f"{name:24s} frame {s['frame_ms']['p50']:5.1f} ms, invoke {s['invoke_ms']:5.1f} ms, "
            f"overhead {s['overhead_pct']:4.1f}%, classify / grid / cells / restore {stages} ms"
        )
    print(f"({ROUNDS} interleaved rounds of {FRAMES} frames each; medians)")


if __name__ == "__main__":
    main()
