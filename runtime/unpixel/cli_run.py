"""``unpixel detect`` and ``unpixel restore``: images, folders and video files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from unpixel.errors import SourceError, UnpixelError


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """The shared model flags: backend, precision, threads, delegate."""
    p.add_argument("--backend", choices=("litert", "onnx"), default="litert")
    p.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="int8")
    p.add_argument("--threads", type=int, default=2, help="CPU threads per model (default 2)")
    p.add_argument("--delegate", default="cpu", help="cpu, gpu or a delegate library path")
    p.add_argument("--models-dir", type=Path, help="a folder with manifest.json (default: shipped)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def pipeline_from(args: argparse.Namespace, **kw: Any) -> Any:
    """A pipeline built from the shared flags."""
    from unpixel.options import PipelineOptions
    from unpixel.pipeline import Pipeline

    return Pipeline.create(PipelineOptions(
        backend=args.backend, precision=args.precision, num_threads=args.threads,
        delegate=args.delegate, models_dir=args.models_dir, **kw,
    ))  # fmt: skip


def expand(inputs: list[str]) -> list[Path]:
    """Files and the images/videos inside folders, in order."""
    from unpixel.io import IMAGE_SUFFIXES
    from unpixel.video import VIDEO_SUFFIXES

    paths: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            paths += sorted(f for f in p.iterdir() if f.is_file()
                            and f.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES)  # fmt: skip
        else:
            paths.append(p)
    return paths


def _row(path: Path, det: Any, frames: int = 1) -> dict[str, Any]:
    g = det.grid
    return {"input": str(path), "pixelated": det.pixelated, "score": round(det.score, 4),
            "block": g.block if g else None, "phase": list(g.phase) if g else None,
            "pixelated_share": round(float(det.mask.mean()), 4),
            "unresolved_regions": len(det.unresolved), "frames": frames}  # fmt: skip


def _say(row: dict[str, Any], quiet: bool) -> None:
    if quiet:
        return
    verdict = (f"pixelated  block {row['block']}  phase {tuple(row['phase'])}  "
               f"score {row['score']:.2f}  area {row['pixelated_share']:.0%}"
               if row["pixelated"] else f"clean  score {row['score']:.2f}")  # fmt: skip
    print(f"{row['input']}: {verdict}", flush=True)


def run_detect(args: argparse.Namespace) -> int:
    """Detect on each input (videos: the first frame)."""
    from unpixel.io import read_image
    from unpixel.video import VideoReader, is_video

    rows, failed = [], 0
    with pipeline_from(args) as pipe:
        for path in expand(args.inputs):
            try:
                if is_video(path):
                    reader = VideoReader(path)
                    frame = next(iter(reader))
                    reader.close()
                else:
                    frame = read_image(path)
                rows.append(_row(path, pipe.detect(frame)))
                _say(rows[-1], args.json)
            except (UnpixelError, ValueError) as exc:
                print(f"error: {path}: {exc}", file=sys.stderr)
                failed += 1
    if args.json:
        print(json.dumps(rows, indent=1))
    return 1 if failed else 0


def _restore_video(pipe: Any, src: Path, dest: Path) -> dict[str, Any]:
    from unpixel.progress import progress
    from unpixel.video import VideoReader, VideoWriter

    reader = VideoReader(src)
    last = None
    try:
        with VideoWriter(dest, reader.fps) as writer:
            for i, frame in enumerate(progress(reader, total=reader.frames, label=src.name)):
                res = pipe.process_for_video(frame, int(i * 1000 / reader.fps))
                writer.write(res.image)
                last = res.detection if res.detection.pixelated or last is None else last
            frames = writer.count
    finally:
        reader.close()
    print(f"note: {dest}: video only, audio is not carried over", file=sys.stderr)
    return _row(src, last, frames) | {"output": str(dest), "fps": reader.fps}


def run_restore(args: argparse.Namespace) -> int:
    """Restore each input into ``--output`` (a folder; the same file names)."""
    from unpixel.io import read_image, write_image
    from unpixel.options import RunningMode
    from unpixel.video import is_video

    paths = expand(args.inputs)
    if not paths:
        raise SourceError("no images or videos among the inputs")
    out = Path(args.output)
    rows, failed = [], 0
    videos = [p for p in paths if is_video(p)]
    with pipeline_from(args) as pipe:
        for path in [p for p in paths if not is_video(p)]:
            try:
                res = pipe.process(read_image(path))
                dest = out / path.name
                write_image(dest, res.image)
                rows.append(_row(path, res.detection) | {"output": str(dest)})
                _say(rows[-1], args.json)
            except (UnpixelError, ValueError) as exc:
                print(f"error: {path}: {exc}", file=sys.stderr)
                failed += 1
    for path in videos:
        try:
            with pipeline_from(args, running_mode=RunningMode.VIDEO) as pipe:
                rows.append(_restore_video(pipe, path, out / path.name))
            _say(rows[-1], args.json)
        except (UnpixelError, ValueError) as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            failed += 1
    if args.json:
        print(json.dumps(rows, indent=1))
    return 1 if failed else 0
