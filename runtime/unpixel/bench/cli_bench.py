"""``unpixel bench``: arguments and the command (tables on stdout, JSON and PNG on request)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from unpixel.formats import DEPLOY_FORMATS


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``bench`` flags."""
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        help="the default: LiteRT fp32/int8, 2 threads, few runs, VIDEO clips (~1 min)",
    )
    mode.add_argument(
        "--full",
        action="store_true",
        help="every format, 1 and 2 threads, 4 pipeline formats, more runs",
    )
    p.add_argument(
        "--formats",
        nargs="+",
        choices=DEPLOY_FORMATS,
        metavar="FORMAT",
        help=f"model formats ({', '.join(DEPLOY_FORMATS)})",
    )
    p.add_argument("--models", nargs="+", metavar="NAME", help="e.g. classifier restorer_x4")
    p.add_argument("--threads", nargs="+", type=int, help="thread counts for the models")
    p.add_argument("--runs", type=int, help="timed runs per model configuration")
    p.add_argument(
        "--pipeline-formats",
        nargs="+",
        choices=DEPLOY_FORMATS,
        metavar="FORMAT",
        help="formats the pipeline runs in (default: tflite-int8)",
    )
    p.add_argument("--pipeline-runs", type=int, help="timed frames per pipeline case")
    p.add_argument(
        "--video-frames",
        type=int,
        metavar="N",
        help="timed frames per VIDEO-mode clip (default 30, --full 60)",
    )
    p.add_argument(
        "--no-video", action="store_true", help="skip the VIDEO-mode section (clips, sweep)"
    )
    p.add_argument("--no-keras", action="store_true", help="skip the Keras baseline")
    p.add_argument("--no-models", action="store_true", help="skip the per-model table")
    p.add_argument(
        "--in-process",
        action="store_true",
        help="models run here, not one process each (shared peak RSS)",
    )
    p.add_argument("--models-dir", type=Path, help="a folder with manifest.json")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    p.add_argument(
        "--plot",
        type=Path,
        metavar="DIR",
        help="also write PNG charts there (the bench extra: matplotlib)",
    )


def settings_from(args: argparse.Namespace) -> object:
    """:class:`~unpixel.bench.run.BenchSettings` from the flags."""
    from unpixel.bench.run import BenchSettings

    s = BenchSettings.full() if args.full else BenchSettings.quick()
    changes: dict[str, object] = {}
    for flag, name in (
        ("formats", "formats"),
        ("models", "models"),
        ("threads", "threads"),
        ("pipeline_formats", "pipeline_formats"),
    ):
        if getattr(args, flag):
            changes[name] = tuple(getattr(args, flag))
    if args.runs:
        changes["model_runs"] = args.runs
    if args.pipeline_runs:
        changes["pipeline_runs"] = args.pipeline_runs
    if args.video_frames is not None:
        if args.video_frames < 1:
            raise ValueError(f"--video-frames must be positive, got {args.video_frames}")
        changes["video_frames"] = args.video_frames
    if args.no_video:
        changes["video_resolutions"] = ()
    if args.threads and any(t < 1 for t in args.threads):
        raise ValueError(f"--threads must be positive, got {args.threads}")
    changes.update(
        keras=not args.no_keras,
        skip_models=args.no_models,
        in_process=args.in_process,
        models_dir=args.models_dir,
    )
    return replace(s, **changes)


def run_bench_command(args: argparse.Namespace) -> int:
    """Measure, print the tables, write JSON / charts; 0 (the bench reports, it never fails)."""
    from unpixel.bench.report import full_report
    from unpixel.bench.run import run_bench

    settings = settings_from(args)
    if args.plot:
        from unpixel.bench.plot import pyplot

        pyplot()  # a missing extra fails before the minute of measuring
    result = run_bench(settings)  # type: ignore[arg-type]
    print(full_report(result))
    if args.json:
        from unpixel.io import write_atomic

        write_atomic(args.json, (json.dumps(result, indent=1) + "\n").encode())
        print(f"JSON -> {args.json}", file=sys.stderr)
    if args.plot:
        from unpixel.bench.plot import write_plots

        for path in write_plots(result, args.plot):
            print(f"chart -> {path}", file=sys.stderr)
    return 0
