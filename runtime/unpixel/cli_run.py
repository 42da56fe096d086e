"""``unpixel detect`` and ``unpixel restore``: images, folders and video files."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from unpixel.errors import SinkError, SourceError, UnpixelError
from unpixel.formats import BACKENDS, PRECISIONS, precisions_of
from unpixel.interrupt import StopRequest, stop_on_signals
from unpixel.terminal import closed, say, write

EXIT_UNREAD = 141
"""``detect`` stopped because nobody reads its output (``| head -1``): 128 + SIGPIPE, the
status a shell reports for a program ended by a closed pipe."""


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """The shared model flags: backend, precision, threads, delegate."""
    per_backend = "; ".join(f"{b}: {', '.join(precisions_of(b))}" for b in BACKENDS)
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="litert",
        help="inference runtime (default litert; onnx needs the onnx extra)",
    )
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="int8",
        help=f"model precision (default int8; {per_backend})",
    )
    p.add_argument("--threads", type=int, default=2, help="CPU threads per model (default 2)")
    p.add_argument("--delegate", default="cpu", help="cpu, gpu or a delegate library path")
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail if the delegate does not load (default: use the CPU)",
    )
    p.add_argument("--models-dir", type=Path, help="a folder with manifest.json (default: shipped)")
    p.add_argument(
        "--sweep",
        type=int,
        default=1,
        metavar="K",
        help="videos, live feeds: classify 1/K of the tiles per frame (plus those "
        "near the last detection); new mosaics found within K frames",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def pipeline_from(args: argparse.Namespace, **kw: Any) -> Any:
    """A pipeline built from the shared flags."""
    from unpixel.options import PipelineOptions, RunningMode
    from unpixel.pipeline import Pipeline

    if kw.get("running_mode", RunningMode.IMAGE) is not RunningMode.IMAGE:
        kw.setdefault("sweep", getattr(args, "sweep", 1))
    return Pipeline.create(
        PipelineOptions(
            backend=args.backend,
            precision=args.precision,
            num_threads=args.threads,
            delegate=args.delegate,
            strict=args.strict,
            models_dir=args.models_dir,
            **kw,
        )
    )


def expand(inputs: list[str]) -> list[Path]:
    """Files and the images/videos inside folders, in order."""
    from unpixel.io import IMAGE_SUFFIXES
    from unpixel.video import VIDEO_SUFFIXES

    paths: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            paths += sorted(
                f
                for f in p.iterdir()
                if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES
            )
        else:
            paths.append(p)
    return paths


def _row(path: Path, det: Any, frames: int = 1) -> dict[str, Any]:
    g = det.grid
    return {
        "input": str(path),
        "pixelated": det.pixelated,
        "score": round(det.score, 4),
        "block": g.block if g else None,
        "phase": list(g.phase) if g else None,
        "pixelated_share": round(float(det.mask.mean()), 4),
        "unresolved_regions": len(det.unresolved),
        "frames": frames,
    }


def _say(row: dict[str, Any], quiet: bool) -> None:
    """One result line on stdout (names escaped, see :func:`unpixel.terminal.shown`)."""
    if quiet:
        return
    verdict = (
        f"pixelated  block {row['block']}  phase {tuple(row['phase'])}  "
        f"score {row['score']:.2f}  area {row['pixelated_share']:.0%}"
        if row["pixelated"]
        else f"clean  score {row['score']:.2f}"
    )
    say(f"{row['input']}: {verdict}")


def _each(
    paths: list[Path],
    work: Callable[[Path], dict[str, Any]],
    rows: list[dict[str, Any]],
    quiet: bool,
    stop: StopRequest | None = None,
    *,
    while_read: bool = False,
) -> int:
    """Run ``work`` on each path, collecting rows; a failing input is reported, not fatal.

    Any error of one input (a bad file, a name OpenCV cannot write, a symlink loop, an
    unreadable file) is one ``error: PATH: ...`` line on stderr, and the next input goes on.
    Stops before the next path once ``stop`` is set, and with ``while_read`` once nobody
    reads stdout any more. Returns how many inputs failed.
    """
    failed = 0
    for path in paths:
        if stop or (while_read and closed()):
            break
        try:
            rows.append(work(path))
        except (UnpixelError, ValueError, OSError) as exc:
            say(f"error: {path}: {exc}", err=True)
            failed += 1
        except Exception as exc:  # one input's bug never ends the batch
            say(f"error: {path}: {type(exc).__name__}: {exc}", err=True)
            failed += 1
        else:
            _say(rows[-1], quiet)
    return failed


def _finish(rows: list[dict[str, Any]], failed: int, as_json: bool) -> int:
    if as_json:
        write(json.dumps(rows, indent=1) + "\n")
    return 1 if failed else 0


def _first_frame(path: Path) -> Any:
    from unpixel.io import read_image
    from unpixel.video import VideoReader, is_video

    if not is_video(path):
        return read_image(path)
    reader = VideoReader(path)
    try:
        return next(iter(reader))
    finally:
        reader.close()


def run_detect(args: argparse.Namespace) -> int:
    """Detect on each input (videos: the first frame)."""
    rows: list[dict[str, Any]] = []
    with pipeline_from(args) as pipe:
        failed = _each(
            expand(args.inputs),
            lambda p: _row(p, pipe.detect(_first_frame(p))),
            rows,
            args.json,
            while_read=True,
        )
    result = _finish(rows, failed, args.json)
    return EXIT_UNREAD if closed() else result


def timestamps(fps: float) -> Callable[[int], int]:
    """Frame index -> a millisecond timestamp that always increases (above 1000 fps too).

    ``int(i * 1000 / fps)`` repeats a value once frames are less than 1 ms apart; each
    timestamp is at least the last one + 1.
    """
    last = -1

    def at(i: int) -> int:
        nonlocal last
        last = max(int(i * 1000 / fps), last + 1)
        return last

    return at


def _restore_video(pipe: Any, src: Path, dest: Path, stop: StopRequest) -> dict[str, Any]:
    """Restore a video frame by frame; on a stop request the frames done so far are kept."""
    from unpixel.progress import progress
    from unpixel.video import MAX_FPS, VideoReader, VideoWriter

    reader = VideoReader(src)
    last = None
    at = timestamps(reader.fps)
    fps = min(reader.fps, MAX_FPS)
    if fps < reader.fps:
        say(
            f"note: {dest}: written at {fps:g} fps, the most a video file holds "
            f"({src} has {reader.fps:g}); it plays {reader.fps / fps:.3g} times slower",
            err=True,
        )
    try:
        with VideoWriter(dest, fps) as writer:
            for i, frame in enumerate(progress(reader, total=reader.frames, label=src.name)):
                res = pipe.process_for_video(frame, at(i))
                writer.write(res.image)
                last = res.detection if res.detection.pixelated or last is None else last
                if stop:
                    break
            frames = writer.count
    finally:
        reader.close()
    if stop:
        write("\n", err=True)
        say(f"{stop.name}: {dest} finalised with the {frames} frames restored so far", err=True)
    say(f"note: {dest}: video only, audio is not carried over", err=True)
    return _row(src, last, frames) | {"output": str(dest), "fps": fps}


def resolved(path: Path) -> Path:
    """``path.resolve()``; :class:`SourceError` for a symlink loop (RuntimeError or ELOOP)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:
        raise SourceError(f"cannot resolve {path}: {exc}") from None


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: any spelling, symlinks and hard links.

    Both existing: the same device and inode (``os.stat``). Otherwise the same resolved path.
    """
    try:
        sa, sb = a.stat(), b.stat()
    except (OSError, ValueError):
        return resolved(a) == resolved(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def destination(out: Path, path: Path, taken: set[Path]) -> Path:
    """Where ``path`` is restored to: ``out / path.name``.

    It must stay inside ``out`` (a link there pointing elsewhere is refused), must not be an
    input itself (not even through a hard link) and must not be claimed by another input;
    :class:`SinkError` otherwise.
    """
    dest = out / path.name
    if path.name in ("", ".", "..") or resolved(dest).parent != resolved(out):
        raise SinkError(f"{path}: output {dest} would lie outside {out}")
    if same_file(dest, path):
        raise SinkError(f"{path}: output would overwrite the input; choose another --output")
    if resolved(dest) in taken:
        raise SinkError(f"{path}: another input already writes {dest}")
    taken.add(resolved(dest))
    return dest


def run_restore(args: argparse.Namespace) -> int:
    """Restore each input into ``--output`` (a folder; the same file names)."""
    import cv2

    from unpixel.io import read_image, write_image
    from unpixel.options import RunningMode
    from unpixel.video import is_video

    paths = expand(args.inputs)
    if not paths:
        raise SourceError("no images or videos among the inputs")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise SinkError(f"--output {out} is a file; it must be a folder")
    rows: list[dict[str, Any]] = []
    taken: set[Path] = set()

    def image(path: Path) -> dict[str, Any]:
        dest = destination(out, path, taken)
        if not cv2.haveImageWriter(str(dest)):
            raise SinkError(f"cannot write {dest}: OpenCV has no image format for its name")
        res = pipe.process(read_image(path))
        write_image(dest, res.image)
        return _row(path, res.detection) | {"output": str(dest)}

    def video(path: Path) -> dict[str, Any]:
        dest = destination(out, path, taken)
        with pipeline_from(args, running_mode=RunningMode.VIDEO) as video_pipe:
            return _restore_video(video_pipe, path, dest, stop)

    with stop_on_signals() as stop:
        with pipeline_from(args) as pipe:
            failed = _each([p for p in paths if not is_video(p)], image, rows, args.json, stop)
        failed += _each([p for p in paths if is_video(p)], video, rows, args.json, stop)
    result = _finish(rows, failed, args.json)
    return stop.exit_code or result
