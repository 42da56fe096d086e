"""What seeking the mosaic cells on a worker thread, while the restorer runs, buys.

The pipeline as shipped (cells sought on a worker thread during the restorer's invocation)
against the same work done in order on the calling thread (cells, then the restorer), on the
bench's 1280x720 fully pixelated b = 4 frame, int8 LiteRT, 2 threads; interleaved rounds,
medians of 15 frames each. ``overhead`` is `unpixel bench`'s figure: the share of the frame's
wall time outside the engines' invoke calls. On a machine with as many cores as interpreter
threads the worker competes with the restorer, and that slows the invocation: the time counts
as invocation. The in-order row shows what the overhead is without that overlap.

Run: .venv/bin/python scripts/cells_overlap.py
"""

from concurrent.futures import Future
from typing import Any

from unpixel.bench.pipeline import run_frame, summarize_frames, timed_pipeline
from unpixel.bench.workloads import bench_frame

ROUNDS, FRAMES = 3, 15


class InOrder:
    """Runs a submitted job at once on the calling thread (the executor the pipeline uses)."""

    def submit(self, fn: Any, *args: Any) -> Future:
        future: Future = Future()
        future.set_result(fn(*args))
        return future

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to wait for."""


frame = bench_frame(1280, 720, 1.0, 4)
rows: dict[str, list[dict]] = {"worker thread (shipped)": [], "in order": []}
with timed_pipeline("litert", "int8", 2) as (pipe, clock):
    shipped = pipe._cell_finder
    for _ in range(ROUNDS):
        for name, finder in (("worker thread (shipped)", shipped), ("in order", InOrder())):
            pipe._cell_finder = finder
            for _ in range(2):
                pipe.process(frame)
            rows[name] += [run_frame(pipe, clock, frame) for _ in range(FRAMES)]
    pipe._cell_finder = shipped
for name, frames in rows.items():
    s = summarize_frames(frames)
    stages = " / ".join(
        f"{s['stages_ms'][k]:.1f}" for k in ("classify", "grid", "cells", "restore")
    )
    print(f"{name:24s} frame {s['frame_ms']['p50']:5.1f} ms, invoke {s['invoke_ms']:5.1f} ms, "
          f"overhead {s['overhead_pct']:4.1f}%, classify / grid / cells / restore {stages} ms")  # fmt: skip
print(f"({ROUNDS} interleaved rounds of {FRAMES} frames each; medians)")
