"""How often the live loop's lores gate lets a pixelated frame through to the full pipeline.

The gate (``unpixel live --lores WxH``) runs detection on the camera's small stream and passes
frames with no flagged tile straight through. A 2x downscale of a mosaic whose cells start at
odd pixels blends every cell border, which the classifier was not trained on; this measures,
on the validation photos (longer side at most 1024), the share of whole-frame mosaics (b = 4..16,
random phase) whose 2x INTER_AREA lores still has a flagged tile, and of clean frames that do.

Run: .venv/bin/python scripts/lores_gate_recall.py [--classifier PATH ...] [--markdown FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

BLOCKS = (4, 6, 8, 10, 12, 16)


def caught(engine, threshold: float, image: np.ndarray) -> bool:
    """Whether the 2x INTER_AREA lores of ``image`` has a tile at or above ``threshold``."""
    from unpixel.tiles import cut_tiles

    h, w = image.shape[:2]
    lores = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    scores = engine.run(cut_tiles(cv2.cvtColor(lores, cv2.COLOR_BGR2RGB), 64))[:, 0]
    return bool((scores >= threshold).any())


def main() -> None:
    """Print (and optionally write) the gate's catch rates per block size."""
    import unpixel as up
    from unpixel.engines.litert import LiteRTEngine
    from unpixel.zoo import resolve
    from unpixel_export.corpus import load_manifest
    from unpixel_export.data import PhotoBank

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--classifier", type=Path, nargs="*", help="int8 .tflite (default: shipped)")
    ap.add_argument("--threshold", type=float, help="default: the manifest's")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()
    files = resolve(up.PipelineOptions())
    paths = args.classifier or [files.classifier]
    threshold = args.threshold if args.threshold is not None else files.threshold
    entries = load_manifest(Path("data/corpus.json"), "validation")
    photos = PhotoBank.from_paths([Path(e.path) for e in entries]).full_scale()
    photos = [
        cv2.resize(
            p,
            None,
            fx=min(1.0, 1024 / max(p.shape[:2])),
            fy=min(1.0, 1024 / max(p.shape[:2])),
            interpolation=cv2.INTER_AREA,
        )
        for p in photos
    ]
    lines = [
        f"Lores gate on {len(photos)} validation photos (longer side <= 1024, lores 2x "
        f"INTER_AREA), threshold {threshold:.3f}: share of frames with a flagged lores "
        "tile (pixelated frames: sent to the pipeline; clean: not gated).",
        "",
        "| classifier | clean | " + " | ".join(f"b = {b}" for b in BLOCKS) + " |",
        "|---|" + "---:|" * (len(BLOCKS) + 1),
    ]
    for path in paths:
        rng = np.random.default_rng(0)
        with LiteRTEngine(path, 2) as engine:
            clean = np.mean([caught(engine, threshold, p) for p in photos])
            rates = []
            for b in BLOCKS:
                hits = [
                    caught(
                        engine,
                        threshold,
                        up.pixelate(p, b, phase=(int(rng.integers(0, b)), int(rng.integers(0, b)))),
                    )
                    for p in photos
                ]
                rates.append(np.mean(hits))
        lines.append(
            f"| {Path(path).name} | {clean:.0%} | " + " | ".join(f"{r:.0%}" for r in rates) + " |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
