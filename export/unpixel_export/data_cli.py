"""``unpixel data``: gather the photo corpus (:func:`unpixel_export.corpus.gather`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``unpixel data``.

    Args:
        p: the (sub)parser to add them to.

    """
    p.add_argument("--output", type=Path, default=Path("data/corpus.json"))
    p.add_argument("--no-install", action="store_true", help="do not apt-get missing packages")
    p.add_argument("--validation", type=float, default=0.2, help="share of validation photos")


def run(args: argparse.Namespace) -> int:
    """Gather the photos, write the manifest, print the counts and the notes.

    Args:
        args: the parsed options of :func:`add_arguments`.

    Returns:
        0 when photos were found, 1 when none were.

    """
    from unpixel_export.corpus import gather, write_manifest

    entries, notes = gather(install=not args.no_install, validation_fraction=args.validation)
    write_manifest(entries, notes, args.output)
    counts = {s: sum(e.split == s for e in entries) for s in ("train", "validation")}
    print(
        f"{len(entries)} photos ({counts['train']} train, {counts['validation']} validation) "
        f"-> {args.output}"
    )
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0 if entries else 1
