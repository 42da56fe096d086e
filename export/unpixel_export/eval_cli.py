"""``unpixel eval``: quality reports on the validation photos or any folder of clean photos."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from unpixel.errors import SourceError
from unpixel.io import read_image, write_atomic
from unpixel.progress import progress
from unpixel_export.corpus import load_manifest
from unpixel_export.grid_eval import evaluate_grid, shrink

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def photo_paths(images: Path | None, corpus: Path, split: str) -> list[Path]:
    """The photos to evaluate on: a user's folder, or one split of the corpus manifest."""
    if images is not None:
        if not images.is_dir():
            raise SourceError(f"{images} is not a folder")
        paths = sorted(p for p in images.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    else:
        if not corpus.is_file():
            raise SourceError(
                f"no corpus manifest at {corpus}; run `unpixel data` or pass --images"
            )
        paths = [Path(e.path) for e in load_manifest(corpus, split)]
    if not paths:
        raise SourceError("no photos to evaluate on")
    return paths


def load_photos(paths: list[Path]) -> list[np.ndarray]:
    """Read and shrink the photos, with a progress bar."""
    return [shrink(read_image(p)) for p in progress(paths, label="reading")]


def run_eval(args: argparse.Namespace) -> int:
    """Run the report named by ``args.task`` and print it as Markdown."""
    photos = load_photos(photo_paths(args.images, args.corpus, args.split))
    report = evaluate_grid(photos, trials=args.trials, seed=args.seed)
    source = str(args.images) if args.images else f"{args.corpus} ({args.split} split)"
    print(f"Grid estimation on {len(photos)} photos from {source}, "
          f"{args.trials} trials, seed {args.seed}\n")  # fmt: skip
    print(report.to_markdown())
    if args.json:
        doc = {"task": args.task, "photos": len(photos), "source": source,
               "trials": args.trials, "seed": args.seed, **report.to_dict()}  # fmt: skip
        write_atomic(args.json, (json.dumps(doc, indent=1) + "\n").encode())
    return 0
