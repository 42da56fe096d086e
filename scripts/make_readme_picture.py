"""The README's before/after picture: a bundled photo, pixelated, restored by the shipped pipeline.

Two cases side by side, each "pixelated | unpixel": the whole frame at block 8 (a low-res
frame shown with nearest upscaling) and a censored rectangle at block 10 in a sharp photo.
The default pipeline (int8 LiteRT, 2 threads) does the restoring; the PSNR against the clean
photo is printed for each. Writes docs/img/before_after.png (atomic, < 300 kB).

Run: .venv/bin/python scripts/make_readme_picture.py
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

import unpixel as up

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "before_after.png"


def _label(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    cv2.rectangle(out, (0, 0), (8 + 9 * len(text), 22), (0, 0, 0), -1)
    cv2.putText(out, text, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _case(pipe: up.Pipeline, clean: np.ndarray, damaged: np.ndarray, name: str) -> np.ndarray:
    restored = pipe.process(damaged).image
    before, after = up.metrics.psnr(clean, damaged), up.metrics.psnr(clean, restored)
    print(f"{name}: PSNR {before:.2f} -> {after:.2f} dB")
    return np.hstack(
        [_label(damaged, f"pixelated {before:.1f} dB"), _label(restored, f"unpixel {after:.1f} dB")]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--output", type=Path, default=OUT, help="the PNG to write")
    args = p.parse_args(argv)
    data = resources.files("unpixel") / "data"
    with (
        resources.as_file(data / "astronaut.jpg") as a,
        resources.as_file(data / "coffee.jpg") as c,
    ):
        face = up.read_image(a)[48:272, 144:368]  # 224 x 224
        cup = up.read_image(c)[88:312, 188:412]
    box = (52, 60, 120, 100)  # x, y, w, h inside the crop
    with up.Pipeline.create() as pipe:
        rows = [
            _case(pipe, face, up.pixelate(face, 8, phase=(3, 5)), "whole frame, b = 8"),
            _case(pipe, cup, up.pixelate(cup, 10, region=box), "censored box, b = 10"),
        ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    up.write_image(args.output, np.vstack(rows))
    print(f"{args.output}: {args.output.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
