"""``unpixel data``: gather the photo corpus (:func:`unpixel_export.corpus.gather`).

The manifest is written only when photos were found: an empty one would make every later
command (train, export's calibration, eval) fail far from the cause.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from unpixel.terminal import say

NO_PHOTOS = (
    "error: no photos found, so {output} was not written: install the photo packages "
    "(run `unpixel data` as root without --no-install, or `apt-get install "
    "lomiri-wallpapers-16.04 mate-backgrounds plasma-workspace-wallpapers opencv-doc`) or "
    "`pip install scikit-image scikit-learn matplotlib`; or skip the corpus: "
    "`unpixel train ... --images DIR` on your own photos"
)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``unpixel data``.

    Args:
        p: the (sub)parser to add them to.

    """
    p.add_argument(
        "--output",
        type=Path,
        default=Path("data/corpus.json"),
        help="the manifest to write (default data/corpus.json; not written when no photo is found)",
    )
    p.add_argument("--no-install", action="store_true", help="do not apt-get missing packages")
    p.add_argument(
        "--validation", type=_share, default=0.2, help="share of validation photos (default 0.2)"
    )


def run(args: argparse.Namespace) -> int:
    """Gather the photos, write the manifest, print the counts and the notes.

    Args:
        args: the parsed options of :func:`add_arguments`.

    Returns:
        0 when photos were found and the manifest written; 1 when none were (nothing is
        written).

    """
    from unpixel_export.corpus import gather, write_manifest

    entries, notes = gather(install=not args.no_install, validation_fraction=args.validation)
    for note in notes:
        say(f"note: {note}", err=True)
    if not entries:
        say(NO_PHOTOS.format(output=args.output), err=True)
        return 1
    write_manifest(entries, notes, args.output)
    counts = {s: sum(e.split == s for e in entries) for s in ("train", "validation")}
    say(
        f"{len(entries)} photos ({counts['train']} train, {counts['validation']} validation) "
        f"-> {args.output}"
    )
    return 0
