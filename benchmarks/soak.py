"""Soak: many 640x480 frames through one pipeline, in one process; watch RSS, fds and threads.

Usage: python benchmarks/soak.py [--frames 10000] [--warmup 500] [--json out/soak.json]

The frames cycle through a clean photo, a fully pixelated one, a censored region and a
pixelated frame with JPEG on top, so detection and restoration both run all the time; every
fourth frame goes through a VIDEO-mode pipeline as well. After ``--warmup`` frames the
resident set size (VmRSS), open file descriptors and threads are sampled every ``--every``
frames. Passes (exit 0) when RSS grew by at most ``--max-rss-mb`` after warm-up and the fd
and thread counts did not grow.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

import unpixel as up
from unpixel.demo import sample_image
from unpixel.options import RunningMode


def rss_mb() -> float:
    """Resident set size of this process (MB, from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def fds() -> int:
    """Open file descriptors of this process."""
    return sum(1 for _ in Path("/proc/self/fd").iterdir())


def os_threads() -> int:
    """Threads of this process as the kernel counts them (native ones included)."""
    return sum(1 for _ in Path("/proc/self/task").iterdir())


def frames() -> list[np.ndarray]:
    """Four 640x480 frames: clean, mosaic b=4, censored region b=10, mosaic b=6 + JPEG q80."""
    photo = cv2.resize(sample_image("coffee.jpg"), (640, 480), interpolation=cv2.INTER_AREA)
    return [
        photo,
        up.pixelate(photo, 4, phase=(1, 3)),
        up.pixelate(photo, 10, phase=(4, 7), region=(200, 120, 240, 200)),
        up.jpeg(up.pixelate(photo, 6, phase=(2, 0)), 80),
    ]


def sample(i: int, t0: float) -> dict[str, float]:
    """One row of figures after frame ``i``."""
    return {
        "frame": i,
        "seconds": round(time.perf_counter() - t0, 1),
        "rss_mb": round(rss_mb(), 2),
        "fds": fds(),
        "threads": os_threads(),
        "py_threads": threading.active_count(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=10_000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--every", type=int, default=500)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-rss-mb", type=float, default=5.0)
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args(argv)

    bank = frames()
    options = up.PipelineOptions(num_threads=args.threads)
    video_options = up.PipelineOptions(num_threads=args.threads, running_mode=RunningMode.VIDEO)
    rows: list[dict[str, float]] = []
    restored = 0
    t0 = time.perf_counter()
    with up.Pipeline.create(options) as pipe, up.Pipeline.create(video_options) as video:
        for i in range(1, args.frames + 1):
            frame = bank[i % len(bank)]
            res = video.process_for_video(frame, i * 33) if i % 4 == 0 else pipe.process(frame)
            restored += res.detection.pixelated
            if i == args.warmup or (i > args.warmup and i % args.every == 0):
                rows.append(sample(i, t0))
                print(json.dumps(rows[-1]), flush=True)
    elapsed = time.perf_counter() - t0
    base, last = rows[0], rows[-1]
    summary = {
        "frames": args.frames,
        "size": "640x480",
        "warmup": args.warmup,
        "seconds": round(elapsed, 1),
        "fps": round(args.frames / elapsed, 1),
        "pixelated_frames": restored,
        "rss_after_warmup_mb": base["rss_mb"],
        "rss_end_mb": last["rss_mb"],
        "rss_peak_mb": max(r["rss_mb"] for r in rows),
        "rss_growth_mb": round(last["rss_mb"] - base["rss_mb"], 2),
        "fds": [base["fds"], last["fds"]],
        "max_fds": max(r["fds"] for r in rows),
        "threads": [base["threads"], last["threads"]],
        "max_threads": max(r["threads"] for r in rows),
    }
    ok = (
        summary["rss_growth_mb"] <= args.max_rss_mb
        and summary["max_fds"] <= base["fds"]
        and summary["max_threads"] <= base["threads"]
    )
    summary["passed"] = ok
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "samples": rows}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
