"""Does forcing each restored cell's mean to its LR value help? (issue 19, deliverable 4)

For each family of the given-the-true-grid evaluation (``unpixel_export.restore_real``), the
tier's restorers as shipped against the same output corrected so each cell's mean equals the
LR value it was read from (the correction spread evenly over the cell's pixels, clipped).

    python scripts/mean_consistency.py MODELS_DIR [--per-case N] [--markdown FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from unpixel.io import write_atomic
from unpixel_export.eval_cli import load_photos, photo_paths
from unpixel_export.keras_infer import load_keras, restorer_upscale
from unpixel_export.restore_eval import cascade
from unpixel_export.restore_real import evaluate, to_markdown


def consistent(upscale):
    """``upscale`` whose output cells (b x b) average to the LR pixel they came from."""

    def run(lr: np.ndarray, b: int) -> np.ndarray:
        hr = upscale(lr, b).astype(np.float32)
        h, w = lr.shape[:2]
        means = hr.reshape(h, b, w, b, 3).mean(axis=(1, 3))
        fix = cv2.resize(
            lr.astype(np.float32) - means, (w * b, h * b), interpolation=cv2.INTER_NEAREST
        )
        return np.clip(np.rint(hr + fix), 0, 255).astype(np.uint8)

    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", type=Path)
    p.add_argument("--per-case", type=int, default=8)
    p.add_argument("--clips", type=int, default=2)
    p.add_argument("--markdown", type=Path)
    a = p.parse_args()
    models = {s: restorer_upscale(load_keras(a.models / f"restorer_x{s}.keras")) for s in (2, 3, 4)}
    plain = lambda lr, b: cascade(models, b)(lr)  # noqa: E731
    photos = load_photos(photo_paths(None, Path("data/corpus.json"), "validation"))
    tiers = {"plain": plain, "consistent": consistent(plain)}
    report = evaluate(photos, tiers, per_case=a.per_case, clips=a.clips)
    text = (
        f"# Exact cell-mean consistency, restorers of {a.models}\n\n"
        f"`python scripts/mean_consistency.py {a.models} --per-case {a.per_case} --clips "
        f"{a.clips}` ({report['seconds']:.0f} s), validation photos.\n\n"
        + to_markdown(report, list(tiers))
    )
    print(text)
    if a.markdown:
        write_atomic(a.markdown, (text + "\n").encode())


if __name__ == "__main__":
    main()
