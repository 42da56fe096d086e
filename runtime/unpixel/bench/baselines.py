"""Baselines measured in the same run: OpenCV bicubic and the original design's Keras loop.

Bicubic upscaling of the LR image is the speed ceiling of the restore step; the Keras
``model.predict`` patch loop runs in its own process (TensorFlow never enters this one).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import cv2

from unpixel.bench.measure import summarize, time_ms
from unpixel.bench.workloads import BLOCK, bench_frame

KERAS_TIMEOUT_S = 600


def bench_bicubic(width: int, height: int, runs: int, block: int = BLOCK) -> dict[str, Any]:
    """cv2.resize INTER_CUBIC of a frame's LR image (block means) back to the frame size."""
    frame = bench_frame(width, height, 1.0, block)
    lr = cv2.resize(frame, (-(-width // block), -(-height // block)), interpolation=cv2.INTER_AREA)
    latency = summarize(
        time_ms(lambda: cv2.resize(lr, (width, height), interpolation=cv2.INTER_CUBIC), runs)
    )
    return {
        "width": width,
        "height": height,
        "block": block,
        "frame_ms": latency,
        "fps": 1e3 / latency["p50"],
        "threads": cv2.getNumThreads(),
    }


def bench_keras(
    width: int,
    height: int,
    threads: int,
    max_patches: int | None,
    coverage: float = 1.0,
    block: int = BLOCK,
) -> dict[str, Any]:
    """The Keras ``model.predict`` patch loop on the same frame, in a subprocess.

    Runs :mod:`unpixel_export.keras_baseline`; ``{"skipped": why}`` without TensorFlow or
    when it fails.
    """
    cmd = [
        sys.executable,
        "-m",
        "unpixel_export.keras_baseline",
        "--width",
        str(width),
        "--height",
        str(height),
        "--coverage",
        str(coverage),
        "--block",
        str(block),
        "--threads",
        str(threads),
    ]
    if max_patches:
        cmd += ["--max-patches", str(max_patches)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=KERAS_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"skipped": f"the Keras baseline ran past {KERAS_TIMEOUT_S} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"the Keras baseline failed: {tail}"}
    return json.loads(lines[-1])
