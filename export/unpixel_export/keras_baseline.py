"""The original design's way, as a speed baseline: Keras ``model.predict`` over small patches.

Each 64 px patch of the frame goes through ``classifier.predict``; a patch it flags has its
LR read off (block means at the true block size: this baseline is given the grid) and goes
through ``restorer.predict`` and back. No batching, no LiteRT: what the runtime replaces.

Run in its own process by ``unpixel bench`` (TensorFlow never enters the runtime's process):
``python -m unpixel_export.keras_baseline --width 1280 --height 720 --coverage 1 --block 4``
prints one JSON object: frame time in ms (measured, or extrapolated from ``--max-patches``
patches spread over the frame), patches, flagged patches, and the TensorFlow version; or
``{"skipped": why}`` when TensorFlow is not installed (the export extra).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from unpixel.bench.workloads import bench_frame
from unpixel.manifest import load_manifest
from unpixel.tiles import tile_origins


def load_models(models_dir: Path, block: int, threads: int) -> tuple[Any, Any, float, int]:
    """The .keras classifier and x``block`` restorer, the threshold and the tile size."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from unpixel_export.keras_infer import load_keras

    entries = {(e.name, e.format): e for e in load_manifest(models_dir / "manifest.json")}
    clf = entries[("classifier", "keras")]
    classifier = load_keras(clf.path(models_dir))
    restorer = load_keras(entries[(f"restorer_x{block}", "keras")].path(models_dir))
    return classifier, restorer, float(clf.extra["threshold"]), int(clf.extra.get("tile", 64))


def patch_loop(
    frame: np.ndarray,
    classifier: Any,
    restorer: Any,
    threshold: float,
    tile: int,
    block: int,
    max_patches: int | None = None,
) -> dict[str, Any]:
    """Run the patch loop on ``frame`` (BGR uint8); times in ms."""
    from unpixel_export.data import to_model_input

    h, w = frame.shape[:2]
    ys, xs = tile_origins(h, w, tile)
    origins = [(y, x) for y in ys for x in xs]
    chosen = origins
    if max_patches and max_patches < len(origins):
        picks = np.linspace(0, len(origins) - 1, max_patches).round().astype(int)
        chosen = [origins[i] for i in picks]
    out = frame.copy()
    per_patch, flagged = [], 0
    for y, x in chosen:
        t0 = time.perf_counter()
        patch = frame[y : y + tile, x : x + tile]
        score = float(classifier.predict(to_model_input(patch)[None], verbose=0)[0, 0])
        if score >= threshold:
            flagged += 1
            lr = cv2.resize(patch, (tile // block, tile // block), interpolation=cv2.INTER_AREA)
            hr = restorer.predict(to_model_input(lr)[None], verbose=0)[0]
            out[y : y + tile, x : x + tile] = np.clip(np.rint(hr[:, :, ::-1] * 255), 0, 255)
        per_patch.append((time.perf_counter() - t0) * 1e3)
    frame_ms = float(np.mean(per_patch)) * len(origins)
    return {
        "frame_ms": frame_ms,
        "patches": len(origins),
        "timed_patches": len(chosen),
        "flagged_timed": flagged,
        "extrapolated": len(chosen) < len(origins),
        "patch_ms_median": float(np.median(per_patch)),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: measure one frame, print JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--coverage", type=float, default=1.0)
    p.add_argument("--block", type=int, default=4, choices=(2, 3, 4))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-patches", type=int, help="time this many patches and extrapolate")
    p.add_argument("--models", type=Path, default=Path(__file__).resolve().parents[2] / "models")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        print(
            json.dumps({"skipped": "TensorFlow is not installed (pip install 'unpixel[export]')"})
        )
        return 0
    import keras

    t0 = time.perf_counter()
    classifier, restorer, threshold, tile = load_models(args.models, args.block, args.threads)
    frame = bench_frame(args.width, args.height, args.coverage, args.block)
    warm = frame[:tile, :tile]
    from unpixel_export.data import to_model_input

    classifier.predict(to_model_input(warm)[None], verbose=0)
    restorer.predict(
        to_model_input(warm[: tile // args.block, : tile // args.block])[None], verbose=0
    )
    load_ms = (time.perf_counter() - t0) * 1e3
    result = patch_loop(frame, classifier, restorer, threshold, tile, args.block, args.max_patches)
    result.update(
        width=args.width,
        height=args.height,
        coverage=args.coverage,
        block=args.block,
        threads=args.threads,
        load_ms=load_ms,
        keras=keras.__version__,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
