"""A quick real-world run while working on detection: chosen cases, few frames, one table.

The full report is ``unpixel eval --task realworld`` (``make reports``); this runs the same
:func:`unpixel_export.realworld_eval.evaluate` on the validation photos for the cases whose
names start with the given prefixes and prints one line per case.

    .venv/bin/python scripts/realworld_quick.py [--per-case N] [--clips N] PREFIX...
"""

from __future__ import annotations

import argparse
from pathlib import Path

from unpixel_export.eval_cli import load_photos, photo_paths
from unpixel_export.realworld_eval import evaluate

KEYS = ("detected", "period_right", "covers", "iou", "ge_lanczos", "far_changed", "fpr")


def main() -> None:
    """Parse the arguments, run the chosen cases, print their figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("prefixes", nargs="*")
    p.add_argument("--per-case", type=int, default=12)
    p.add_argument("--clips", type=int, default=3)
    p.add_argument("--photos", type=int, default=0, help="use only the first N photos")
    a = p.parse_args()
    paths = photo_paths(None, Path("data/corpus.json"), "validation")
    photos = load_photos(paths[: a.photos] if a.photos else paths)
    report = evaluate(photos, per_case=a.per_case, clips=a.clips, only=a.prefixes)
    for name, s in report["cases"].items():
        cells = [f"{k}={s[k]}" for k in KEYS if s.get(k) is not None]
        print(f"{name:32s} n={s['n']:3d} " + " ".join(cells))
    for e in report["errors"]:
        print("error:", e)


if __name__ == "__main__":
    main()
