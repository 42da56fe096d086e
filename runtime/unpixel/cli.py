"""The ``unpixel`` command line. Each subcommand imports what it needs when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from unpixel.errors import UnpixelError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

_PENDING: dict[str, tuple[str, str]] = {}


def _cmd_detect(args: argparse.Namespace) -> int:
    from unpixel.cli_run import run_detect

    return run_detect(args)


def _cmd_restore(args: argparse.Namespace) -> int:
    from unpixel.cli_run import run_restore

    return run_restore(args)


def _cmd_live(args: argparse.Namespace) -> int:
    from unpixel.live.cli_live import run_live

    return run_live(args)


def _cmd_bench(args: argparse.Namespace) -> int:
    from unpixel.bench.cli_bench import run_bench_command

    return run_bench_command(args)


def _cmd_eval(args: argparse.Namespace) -> int:
    from unpixel_export.eval_cli import run_eval

    return run_eval(args)


def _cmd_train(args: argparse.Namespace) -> int:
    from unpixel_export.train_cli import run_train

    return run_train(args)


def _cmd_export(args: argparse.Namespace) -> int:
    from unpixel_export.export_cli import run_export

    return run_export(args)


def _cmd_data(args: argparse.Namespace) -> int:
    from unpixel_export.corpus import gather, write_manifest

    entries, notes = gather(install=not args.no_install, validation_fraction=args.validation)
    write_manifest(entries, notes, args.output)
    counts = {s: sum(e.split == s for e in entries) for s in ("train", "validation")}
    print(f"{len(entries)} photos ({counts['train']} train, {counts['validation']} validation) "
          f"-> {args.output}")  # fmt: skip
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_OK if entries else EXIT_FAIL


def _cmd_demo(args: argparse.Namespace) -> int:
    from unpixel.demo import run_demo

    summary = run_demo(args.output)
    return EXIT_OK if summary["correct"] == summary["cases"] else EXIT_FAIL


def _pending(name: str, owner: str) -> Callable[[argparse.Namespace], int]:
    def run(_: argparse.Namespace) -> int:
        print(f"unpixel {name}: not built yet (owned by {owner})", file=sys.stderr)
        return EXIT_USAGE

    return run


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from unpixel import __version__

    parser = argparse.ArgumentParser(
        prog="unpixel", description="Detect pixelation in images and camera feeds and remove it."
    )
    parser.add_argument("--version", action="version", version=f"unpixel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    from unpixel.cli_run import add_model_arguments

    p = sub.add_parser("detect", help="is it pixelated? score, block size, phase")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="images, videos or folders")
    add_model_arguments(p)
    p.set_defaults(func=_cmd_detect)

    p = sub.add_parser("restore", help="remove pixelation from images, folders and videos")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="images, videos or folders")
    p.add_argument("-o", "--output", required=True, help="output folder (same file names)")
    add_model_arguments(p)
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser("live", help="clean a camera feed, stream or the sample clip in real time")
    from unpixel.live.cli_live import add_arguments as add_live_arguments

    add_live_arguments(p)
    add_model_arguments(p)
    p.set_defaults(func=_cmd_live)

    p = sub.add_parser("bench", help="latency, memory and FPS tables; --json, --plot")
    from unpixel.bench.cli_bench import add_arguments as add_bench_arguments

    add_bench_arguments(p)
    p.set_defaults(func=_cmd_bench)

    for name, (text, owner) in _PENDING.items():
        q = sub.add_parser(name, help=f"{text} (not built yet)")
        q.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        q.set_defaults(func=_pending(name, owner))

    p = sub.add_parser("eval", help="quality report on a folder of clean photos")
    p.add_argument("--task", choices=("detect", "restore", "grid", "parity", "pipeline"),
                   default="detect", help="what to evaluate (default: detect)")  # fmt: skip
    p.add_argument("--images", type=Path, help="folder of clean photos (default: corpus)")
    p.add_argument("--corpus", type=Path, default=Path("data/corpus.json"),
                   help="corpus manifest used when --images is not given")  # fmt: skip
    p.add_argument("--split", choices=("train", "validation"), default="validation")
    p.add_argument("--trials", type=int, default=4, help="cases per photo and block size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiles", type=int, default=200, help="detect: tiles per case")
    p.add_argument("--classifier", type=Path, default=Path("models/classifier.keras"))
    p.add_argument("--threshold", type=float, help="detect: default calibrated on train photos")
    p.add_argument("--target-fpr", type=float, default=0.005,
                   help="detect: calibration target, per clean tile kind")  # fmt: skip
    p.add_argument("--recalibrate", action="store_true",
                   help="detect, parity: calibrate thresholds on train photos (parity: one per "
                        "exported classifier), ignore the manifest")  # fmt: skip
    p.add_argument("--restorers", type=Path, default=Path("models"),
                   help="restore, parity: the models folder")  # fmt: skip
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    p.add_argument("--markdown", type=Path, metavar="FILE", help="also write it as Markdown")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("train", help="train the classifier or a restorer (export extra)")
    from unpixel_export import train_cli  # argument definitions only; no TensorFlow

    train_cli.add_arguments(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("export", help="export models to TFLite and ONNX (export extra)")
    from unpixel_export import export_cli  # argument definitions only; no TensorFlow

    export_cli.add_arguments(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("data", help="gather the photo corpus from packages (export extra)")
    p.add_argument("--output", type=Path, default=Path("data/corpus.json"))
    p.add_argument("--no-install", action="store_true", help="do not apt-get missing packages")
    p.add_argument("--validation", type=float, default=0.2, help="share of validation photos")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("demo", help="the main job on the bundled sample")
    p.add_argument("--output", type=Path, default=Path("out/demo"))
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``unpixel`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UnpixelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
