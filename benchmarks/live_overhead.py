"""The live loop's cost: overhead over the pipeline at 640x480, and latency under load.

1. Overhead. The same 90 frames of the sample clip (640x480, in memory: clean, whole-frame
   mosaic, censored region) go through the shipped int8 pipeline in VIDEO mode: a bare
   ``process_for_video`` loop, and ``LiveLoop`` (a source, the processor, the FPS meter,
   stats, packets; no sink, then with the overlay drawn). The headline is measured inside one
   run, so machine noise moves both sides alike: the loop's wall time outside the pipeline
   call over the time inside it (median of rounds; the bar is <= 10%). As a cross-check the
   best round of each against the bare loop (rounds alternate; on a shared machine this
   comparison is noisier).
2. Latency. A simulated 30 FPS camera (the clip paced in real time, read on the capture
   thread) feeds a pipeline made slower by a fixed extra time per frame, so frames arrive
   faster than they are processed. Latency (capture -> every sink had the frame) must stay
   bounded: p95 is reported for the whole run and for its first and last thirds (a backlog
   would make the last third grow by a frame interval per frame).

Run: .venv/bin/python -m benchmarks.live_overhead [--rounds 5] [--json out/bench/live.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.live import (
    ArraySource,
    DelayedProcessor,
    LiveLoop,
    LiveOptions,
    PacedSource,
    PipelineProcessor,
    SampleClip,
)
from unpixel.live.stats import percentile
from unpixel.options import PipelineOptions, RunningMode

SIZE = (640, 480)


def bare(pipe: Any, frames: list[np.ndarray], t0_ms: int) -> tuple[float, int]:
    """The pipeline alone: seconds per frame, and the next free timestamp."""
    start = time.perf_counter()
    for i, frame in enumerate(frames):
        pipe.process_for_video(frame, t0_ms + i * 33)
    return (time.perf_counter() - start) / len(frames), t0_ms + len(frames) * 33


class Timed:
    """Wraps the processor: the time spent inside the pipeline call, summed."""

    def __init__(self, inner: PipelineProcessor) -> None:
        self.inner, self.inside = inner, 0.0

    def __call__(self, frame: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.inner(frame)
        finally:
            self.inside += time.perf_counter() - t0


def looped(
    processor: PipelineProcessor, frames: list[np.ndarray], overlay: bool
) -> tuple[float, float]:
    """The same frames through LiveLoop: seconds per frame, and the loop's own share of them
    (time outside the pipeline call over time inside it, measured in this same run)."""
    timed = Timed(processor)
    options = LiveOptions(overlay=overlay, handle_signals=False)
    stats = LiveLoop(ArraySource(frames, fps=30), timed, [], options).run()
    assert stats.frames == len(frames)
    return stats.elapsed_s / stats.frames, (stats.elapsed_s - timed.inside) / timed.inside


def overhead(frames: list[np.ndarray], rounds: int, threads: int) -> dict[str, Any]:
    from unpixel.pipeline import Pipeline

    opts = PipelineOptions(num_threads=threads, running_mode=RunningMode.VIDEO)
    times: dict[str, list[float]] = {"bare": [], "loop": [], "loop+overlay": []}
    inside: dict[str, list[float]] = {"loop": [], "loop+overlay": []}
    # Each processor keeps its own pipeline: VIDEO timestamps must increase per pipeline.
    with (
        Pipeline.create(opts) as pipe,
        PipelineProcessor.create(opts) as p1,
        PipelineProcessor.create(opts) as p2,
    ):
        bare(pipe, frames[:10], 0)  # warm-up
        looped(p1, frames[:10], False)
        looped(p2, frames[:10], True)
        ts = 10_000
        for _ in range(rounds):
            per_frame, ts = bare(pipe, frames, ts)
            times["bare"].append(per_frame)
            for key, proc, draw in (("loop", p1, False), ("loop+overlay", p2, True)):
                per_frame, share = looped(proc, frames, draw)
                times[key].append(per_frame)
                inside[key].append(share)
    best = {k: min(v) * 1e3 for k, v in times.items()}
    return {
        "frames": len(frames),
        "rounds": rounds,
        "size": list(SIZE),
        "in_run_overhead_pct": {k: round(100 * statistics.median(v), 2) for k, v in inside.items()},
        "best_ms_per_frame": {k: round(v, 2) for k, v in best.items()},
        "best_vs_bare_pct": {
            k: round(100 * (best[k] / best["bare"] - 1), 2) for k in ("loop", "loop+overlay")
        },
        "all_rounds_ms": {k: [round(x * 1e3, 2) for x in v] for k, v in times.items()},
    }


def latency(
    frames: list[np.ndarray], seconds: float, extra_ms: float, threads: int
) -> dict[str, Any]:
    fps = 30.0
    loops = max(1, round(seconds * fps / len(frames)))
    source = PacedSource(ArraySource(frames, fps=fps, loops=loops), fps=fps)
    opts = PipelineOptions(num_threads=threads, running_mode=RunningMode.VIDEO)
    with PipelineProcessor.create(opts) as inner:
        slow = DelayedProcessor(inner, extra_ms)
        stats = LiveLoop(source, slow, [], LiveOptions(handle_signals=False)).run()
    lat, third = stats.latency_ms, max(1, len(stats.latency_ms) // 3)

    def p(values: list[float], q: float) -> float:
        return round(percentile(values, q) or 0.0, 1)

    mean_proc = statistics.mean(stats.process_ms)
    return {
        "source_fps": fps,
        "extra_ms": extra_ms,
        "elapsed_s": round(stats.elapsed_s, 2),
        "captured": stats.captured,
        "processed": stats.frames,
        "dropped": stats.dropped,
        "loop_fps": round(stats.fps, 2),
        "process_ms": {"p50": p(stats.process_ms, 50), "p95": p(stats.process_ms, 95)},
        "latency_ms": {
            "p50": p(lat, 50),
            "p95": p(lat, 95),
            "max": round(max(lat), 1),
            "p95_first_third": p(lat[:third], 95),
            "p95_last_third": p(lat[-third:], 95),
        },
        "bound_ms": round(p(stats.process_ms, 95) + 1000 / fps, 1),
        "fifo_backlog_s_at_end": round(stats.dropped * mean_proc / 1e3, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="latency run length")
    parser.add_argument("--extra-ms", type=float, default=60.0, help="added to each frame")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    clip = SampleClip(args.frames, SIZE)
    frames = [clip.frame(i) for i in range(args.frames)]
    over = overhead(frames, args.rounds, args.threads)
    ms, pct, own = over["best_ms_per_frame"], over["best_vs_bare_pct"], over["in_run_overhead_pct"]
    print(f"overhead at {SIZE[0]}x{SIZE[1]}, {args.frames} frames x {args.rounds} rounds:")
    print("  loop time outside the pipeline call / inside it, same run (median of rounds):")
    print(f"    LiveLoop            {own['loop']:+6.2f}%   (bar: +10%)")
    print(f"    LiveLoop + overlay  {own['loop+overlay']:+6.2f}%")
    print("  best round, ms per frame, against the pipeline alone:")
    print(f"    pipeline alone      {ms['bare']:7.2f}")
    print(f"    LiveLoop            {ms['loop']:7.2f}   {pct['loop']:+.1f}%")
    print(f"    LiveLoop + overlay  {ms['loop+overlay']:7.2f}   {pct['loop+overlay']:+.1f}%")
    lat = latency(frames, args.seconds, args.extra_ms, args.threads)
    lm = lat["latency_ms"]
    print(
        f"latency: 30 FPS simulated camera, pipeline + {args.extra_ms:g} ms/frame "
        f"(p50 {lat['process_ms']['p50']} ms):"
    )
    print(
        f"  {lat['captured']} captured, {lat['processed']} processed ({lat['loop_fps']} FPS), "
        f"{lat['dropped']} dropped"
    )
    print(
        f"  latency p50 {lm['p50']} ms, p95 {lm['p95']} ms (first third {lm['p95_first_third']}, "
        f"last third {lm['p95_last_third']}), max {lm['max']} ms; "
        f"bound p95 process + 1 frame = {lat['bound_ms']} ms"
    )
    print(f"  a FIFO without dropping would end {lat['fifo_backlog_s_at_end']} s behind")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"overhead": over, "latency": lat}, indent=1) + "\n")


if __name__ == "__main__":
    main()
