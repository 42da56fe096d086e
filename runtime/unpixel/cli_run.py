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
from unpixel.options import RESTORER_TIERS
from unpixel.terminal import closed, say, write
from unpixel.validate import opencv_str

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
        "--restorer",
        choices=RESTORER_TIERS,
        default="fast",
        help="restorer tier: fast (default) or quality (better, about 3x the restore cost)",
    )
    p.add_argument(
        "--sweep",
        type=int,
        default=1,
        metavar="K",
        help="videos, live feeds: classify 1/K of the tiles per frame (plus those "
        "near the last detection); new mosaics found within K frames",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def options_from(args: argparse.Namespace, **kw: Any) -> Any:
    """The pipeline options the shared flags give (``kw``: further options)."""
    from unpixel.options import PipelineOptions, RunningMode

    if kw.get("running_mode", RunningMode.IMAGE) is not RunningMode.IMAGE:
        kw.setdefault("sweep", getattr(args, "sweep", 1))
    if getattr(args, "tile", None) is not None:  # restore's --tile
        kw.setdefault("restore_tile", args.tile)
    return PipelineOptions(
        backend=args.backend,
        precision=args.precision,
        num_threads=args.threads,
        delegate=args.delegate,
        strict=args.strict,
        models_dir=args.models_dir,
        restorer=getattr(args, "restorer", "fast"),
        **kw,
    )


def pipeline_from(args: argparse.Namespace, **kw: Any) -> Any:
    """A pipeline built from the shared flags."""
    from unpixel.pipeline import Pipeline

    return Pipeline.create(options_from(args, **kw))


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


def _say(row: dict[str, Any], quiet: bool) -> None:
    """One result line on stdout (names escaped, see :func:`unpixel.terminal.shown`).

    A video's line is followed by one indented line per segment.
    """
    if quiet:
        return
    period = f"period {row['period']}  " if row.get("period") else ""
    verdict = (
        f"pixelated  block {row['block']}  phase {tuple(row['phase'])}  {period}"
        f"score {row['score']:.2f}  area {row['pixelated_share']:.0%}"
        if row["pixelated"]
        else f"clean  score {row['score']:.2f}"
    )
    if "segments" in row:
        verdict += f"  ({row['frames']} frames, {row['pixelated_frames']:.0%} pixelated)"
    say(f"{row['input']}: {verdict}")
    for seg in row.get("segments", ()):
        grid = f"block {seg['block']}  phase {tuple(seg['phase'])}" if seg["block"] else "clean"
        say(
            f"  frames {seg['first_frame']}-{seg['last_frame']}: {grid}  "
            f"{seg['pixelated_frames']:.0%} of frames pixelated"
        )


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


def add_detect_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``unpixel detect``: its inputs and the shared model flags."""
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="images, videos or folders of them (a video: every frame, reported by segment)",
    )
    add_model_arguments(p)


def run_detect(args: argparse.Namespace) -> int:
    """Detect on each input (videos: every frame, by segment)."""
    from unpixel.cli_video import detect_video, detection_row
    from unpixel.io import read_image
    from unpixel.video import is_video

    def work(path: Path) -> dict[str, Any]:
        if is_video(path):
            return detect_video(pipe, path)
        return detection_row(path, pipe.detect(read_image(path)))

    rows: list[dict[str, Any]] = []
    with pipeline_from(args) as pipe:
        failed = _each(expand(args.inputs), work, rows, args.json, while_read=True)
    result = _finish(rows, failed, args.json)
    return EXIT_UNREAD if closed() else result


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


def _quality(text: str) -> int:
    """``--quality``: an integer 1-100 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be 1 to 100, got {value}")
    return value


def add_restore_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``unpixel restore``: inputs, output, tile, quality, codec, model flags."""
    from unpixel.video_av import CODECS

    p.add_argument("inputs", nargs="+", metavar="INPUT", help="images, videos or folders of them")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="a folder (created if needed; outputs keep the input names) or, for one image "
        "or video, the output file",
    )
    p.add_argument(
        "--tile",
        type=int,
        default=64,
        metavar="N",
        help="restorer tile size in low-resolution pixels, 16-512 (default 64)",
    )
    p.add_argument(
        "--quality",
        type=_quality,
        metavar="Q",
        help="JPEG outputs: quality 1-100 (default: the input JPEG's own, estimated from its "
        "quantisation tables; 95 for other inputs)",
    )
    p.add_argument(
        "--codec",
        choices=tuple(CODECS),
        help="video outputs: the encoder (needs the video extra; default h264, vp9 for "
        ".webm; without the extra OpenCV writes mp4v / MJPEG)",
    )
    add_model_arguments(p)


def outputs(output: str, inputs: list[str], paths: list[Path]) -> Callable[[Path, set[Path]], Path]:
    """Where each input goes: ``-o`` as a file for one image or video, else a folder.

    ``-o`` is a file when it is not a folder and its name has an image or video suffix;
    then exactly one input (not a folder) must be given, of the same kind (image, video).
    Otherwise ``-o`` is a folder (created if needed), which must not be an existing file.

    Raises:
        SinkError: ``-o`` is a file but several inputs (or a folder) are given, an image
            would be written under a video name or the other way round, or ``-o`` is an
            existing file without such a suffix.

    """
    from unpixel.io import IMAGE_SUFFIXES
    from unpixel.video import VIDEO_SUFFIXES, is_video

    out = Path(output)
    named = out.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES
    one = len(inputs) == 1 and len(paths) == 1 and not Path(inputs[0]).is_dir()
    if out.is_dir() or not named:
        if out.exists() and not out.is_dir():
            raise SinkError(f"--output {out} is a file; it must be a folder or an image name")
        return lambda path, taken: destination(out, path, taken)
    if not one:
        raise SinkError(f"--output {out} is a file; for several inputs it must be a folder")
    if is_video(paths[0]) != is_video(out):
        kind = {True: "a video", False: "an image"}
        raise SinkError(
            f"{paths[0]} is {kind[is_video(paths[0])]}; --output {out} names {kind[is_video(out)]}"
        )

    def to_file(path: Path, taken: set[Path]) -> Path:
        if same_file(out, path):
            raise SinkError(f"{path}: output would overwrite the input; choose another --output")
        return out

    return to_file


def restore_image(pipe: Any, path: Path, dest: Path, quality: int | None = None) -> dict[str, Any]:
    """Restore one image file to ``dest`` (what ``unpixel restore`` does for each image).

    Through :mod:`unpixel.faithful`: every frame restored, alpha, depth and layout kept, a
    copy of the input when nothing changed.

    Args:
        pipe: an IMAGE-mode pipeline.
        path: the image file.
        dest: the output file.
        quality: JPEG outputs: ``--quality``, or None for the input's own.

    Returns:
        The result row (``output``, ``copied``: whether the input was copied unchanged).

    Raises:
        SourceError: the input cannot be read.
        SinkError: the output cannot be written as the input's frames need.

    """
    import cv2

    from unpixel.cli_video import detection_row
    from unpixel.faithful import bgr8, put_back, read_image_file, write_image_file

    if not cv2.haveImageWriter(opencv_str(dest)):
        raise SinkError(f"cannot write {dest}: OpenCV has no image format for its name")
    source = read_image_file(path)
    frames, found = [], None
    for frame in source.frames:
        view = bgr8(frame)
        res = pipe.process(view)
        frames.append(put_back(frame, view, res.image))
        if found is None or (res.detection.pixelated and not found.pixelated):
            found = res.detection
    copied = write_image_file(dest, source, frames, quality=quality)
    row = detection_row(path, found, len(frames))
    return row | {"output": str(dest), "copied": copied}


def run_restore(args: argparse.Namespace) -> int:
    """Restore each input into ``--output`` (a folder, or the file for one input).

    Images go through :mod:`unpixel.faithful`: every frame restored, alpha, depth and
    layout kept, a copy of the input when nothing changed. Videos go through
    :mod:`unpixel.cli_video`.
    """
    from unpixel.cli_video import restore_video
    from unpixel.options import RunningMode
    from unpixel.video import is_video

    paths = expand(args.inputs)
    if not paths:
        raise SourceError("no images or videos among the inputs")
    where = outputs(args.output, args.inputs, paths)
    rows: list[dict[str, Any]] = []
    taken: set[Path] = set()

    def image(path: Path) -> dict[str, Any]:
        return restore_image(pipe, path, where(path, taken), args.quality)

    def video(path: Path) -> dict[str, Any]:
        dest = where(path, taken)
        with pipeline_from(args, running_mode=RunningMode.VIDEO) as video_pipe:
            return restore_video(video_pipe, path, dest, stop, args.codec)

    with stop_on_signals() as stop:
        with pipeline_from(args) as pipe:
            failed = _each([p for p in paths if not is_video(p)], image, rows, args.json, stop)
        failed += _each([p for p in paths if is_video(p)], video, rows, args.json, stop)
    result = _finish(rows, failed, args.json)
    return stop.exit_code or result
