"""``unpixel export``: arguments around :func:`unpixel_export.export.export_all`."""

from __future__ import annotations

import argparse
from pathlib import Path

from unpixel.formats import DEPLOY_FORMATS, get_format

NO_KERAS = (
    "{what} in {folder}: the Keras models are not in the wheel (it ships the exported "
    ".tflite and .onnx files only); they are in models/ of the source repository: run "
    "`unpixel export` in a clone, or pass --models-dir FOLDER with your .keras files "
    "(`unpixel train` writes them)"
)


def _format_name(name: str) -> str:
    try:
        return get_format(name).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``unpixel export``.

    Args:
        p: the (sub)parser to add them to.

    """
    p.add_argument(
        "--formats",
        nargs="+",
        type=_format_name,
        metavar="FORMAT",
        help=f"formats (default: all: {', '.join(DEPLOY_FORMATS)})",
    )
    p.add_argument(
        "--models",
        nargs="+",
        metavar="NAME",
        help="e.g. classifier restorer_x2 (default: every .keras)",
    )
    p.add_argument(
        "--models-dir",
        type=Path,
        default=Path("models"),
        help="folder of the .keras files and their manifest",
    )
    p.add_argument(
        "--output", type=Path, help="where the artifacts and manifest go (default: --models-dir)"
    )
    p.add_argument(
        "--corpus",
        type=Path,
        default=Path("data/corpus.json"),
        help="int8 calibration photos: the corpus train split",
    )
    p.add_argument("--images", type=Path, help="int8 calibration photos: your own folder")
    p.add_argument(
        "--samples",
        type=int,
        default=None,
        help="calibration samples per model (default 256 tiles, 64 crops)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the calibration samples (default 0)"
    )


def run(args: argparse.Namespace) -> int:
    """Export, then register the artifacts in the output folder's manifest.

    Args:
        args: the parsed options of :func:`add_arguments`.

    Returns:
        0 (failures raise).

    Raises:
        ModelError: no ``.keras`` models to export, or a ``--models`` file is missing
            (the message says where the models are).

    """
    from unpixel.errors import ModelError

    if args.models:
        paths = [args.models_dir / f"{Path(m).stem}.keras" for m in args.models]
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            raise ModelError(
                NO_KERAS.format(what=f"no {', '.join(missing)}", folder=args.models_dir)
            )
    else:
        paths = sorted(args.models_dir.glob("*.keras"))
        if not paths:
            raise ModelError(NO_KERAS.format(what="no .keras models", folder=args.models_dir))

    from unpixel_export.data import PhotoBank
    from unpixel_export.export import Source, export_all, parse_formats
    from unpixel_export.representative import classifier_samples, restorer_samples
    from unpixel_export.ship import write_manifest
    from unpixel_export.train_cli import split_paths

    formats = parse_formats(args.formats)
    sources = [Source.from_path(p) for p in paths]
    out = args.output or args.models_dir
    bank: list[PhotoBank] = []

    def representatives(source: Source):
        if not bank:
            bank.append(PhotoBank.from_paths(split_paths(args.images, args.corpus)[0]))
        n = {} if args.samples is None else {"n": args.samples}
        if source.task == "classifier":
            samples = classifier_samples(
                bank[0], int(source.extra.get("tile", 64)), seed=args.seed, **n
            )
        else:
            samples = restorer_samples(bank[0], int(source.scale or 2), seed=args.seed, **n)
        return lambda: iter(samples)

    entries = export_all(sources, formats, out, representatives)
    write_manifest(entries, out)
    print(f"registered {len(entries)} artifacts in {out / 'manifest.json'}")
    return 0
