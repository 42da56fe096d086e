"""Videos for ``unpixel detect`` and ``unpixel restore``: segments found, frames restored.

With PyAV (the ``video`` extra) videos are read with their container's timestamps and
written as H.264 (``--codec``) with the audio streams copied; without it, through OpenCV
(:mod:`unpixel.video`). ``detect`` reads every frame and reports segments: runs of frames
with one grid, each with its first and last frame and the share of its frames found
pixelated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unpixel.errors import MissingExtraError
from unpixel.interrupt import StopRequest
from unpixel.terminal import say, write

MERGE_GAP = 5
"""Frames of another grid (a missed detection) a segment bridges when its grid comes back."""


def detection_row(path: Path, det: Any, frames: int = 1) -> dict[str, Any]:
    """The result row of one input: verdict, score, grid, area, frames."""
    g = det.grid
    return {
        "input": str(path),
        "pixelated": det.pixelated,
        "score": round(det.score, 4),
        "block": g.block if g else None,
        "phase": list(g.phase) if g else None,
        "period": round(g.period, 4) if g and g.period else None,  # non-integer grids
        "pixelated_share": round(float(det.mask.mean()), 4),
        "unresolved_regions": len(det.unresolved),
        "frames": frames,
    }


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


def open_reader(path: Path) -> Any:
    """PyAV's reader (container timestamps) when the video extra is installed, else OpenCV's."""
    from unpixel.video_av import AvReader, have_av

    if have_av():
        return AvReader(path)
    from unpixel.video import VideoReader

    return VideoReader(path)


def frame_ms(reader: Any, index: int, fallback: Callable[[int], int]) -> int:
    """The time of the frame just read, in ms: the container's (PyAV), else by the frame rate."""
    times = getattr(reader, "times", None)
    return int(times[-1] * 1000) if times else fallback(index)


Found = tuple[int, tuple[int, int]] | None
"""One frame's grid, (block, phase), or None where it was not found pixelated."""


@dataclass
class Segment:
    """A run of frames with one block size (None: clean); phases may move (a pan)."""

    block: int | None
    first: int
    last: int
    phases: Counter[tuple[int, int]] = field(default_factory=Counter)
    score: float = 0.0

    def add(self, index: int, found: Found, score: float) -> None:
        """Extend the run to frame ``index``."""
        self.last, self.score = index, max(self.score, score)
        if found is not None:
            self.phases[found[1]] += 1

    def row(self) -> dict[str, Any]:
        """The segment as a JSON row (phase: its most frequent one)."""
        frames = self.last - self.first + 1
        phase = self.phases.most_common(1)[0][0] if self.phases else None
        return {
            "first_frame": self.first,
            "last_frame": self.last,
            "block": self.block,
            "phase": list(phase) if phase else None,
            "pixelated_frames": round(sum(self.phases.values()) / frames, 4),
            "score": round(self.score, 4),
        }


def segments(found: list[Found], scores: list[float]) -> list[Segment]:
    """Runs of frames with one block size (``found``: each frame's grid, or None).

    A run of at most :data:`MERGE_GAP` frames between two runs of one block size (the
    detector missed a few frames, or read another block on them) joins them; the share of
    pixelated frames counts the frames where a grid was found. Clean runs are never joined
    across a pixelated one: a short mosaic is reported.
    """
    runs: list[Segment] = []
    for i, (grid, score) in enumerate(zip(found, scores, strict=True)):
        block = grid[0] if grid is not None else None
        if not runs or runs[-1].block != block:
            runs.append(Segment(block, i, i))
        runs[-1].add(i, grid, score)
    merged: list[Segment] = []
    for run in runs:
        if (
            run.block is not None
            and len(merged) >= 2
            and merged[-2].block == run.block
            and merged[-1].last - merged[-1].first < MERGE_GAP
        ):
            gap = merged.pop()
            joined = merged[-1]
            joined.last = run.last
            joined.phases.update(gap.phases)
            joined.phases.update(run.phases)
            joined.score = max(joined.score, gap.score, run.score)
        else:
            merged.append(run)
    return merged


def detect_video(pipe: Any, path: Path) -> dict[str, Any]:
    """Detect on every frame of a video; the row has the segments found.

    Args:
        pipe: an IMAGE-mode pipeline.
        path: the video file.

    Returns:
        The result row: the verdict of the most pixelated frame, ``frames``,
        ``pixelated_frames`` (share of frames found pixelated) and ``segments``.

    """
    from unpixel.progress import progress

    reader = open_reader(path)
    keys: list[Found] = []
    scores: list[float] = []
    best = None
    try:
        for frame in progress(reader, total=reader.frames, label=path.name):
            det = pipe.detect(frame)
            keys.append((det.grid.block, tuple(det.grid.phase)) if det.pixelated else None)
            scores.append(det.score)
            if best is None or (det.pixelated, det.mask.mean()) > (
                best.pixelated,
                best.mask.mean(),
            ):
                best = det
    finally:
        reader.close()
    found = segments(keys, scores)
    return detection_row(path, best, len(keys)) | {
        "pixelated_frames": round(sum(k is not None for k in keys) / max(len(keys), 1), 4),
        "segments": [s.row() for s in found],
    }


def open_writer(dest: Path, reader: Any, fps: float, codec: str | None) -> Any:
    """PyAV's writer (``codec``, audio of the source) or OpenCV's fallback.

    PyAV's keeps the source's timestamps, unless ``fps`` is below the source's (a rate no
    container holds) or the container keeps none (AVI): then frames are ``1 / fps`` apart.

    Raises:
        MissingExtraError: ``codec`` given and PyAV not installed.

    """
    from unpixel.video_av import AvWriter, have_av

    if have_av():
        keep_times = fps == reader.fps and getattr(reader, "times", None) is not None
        return AvWriter(
            dest,
            fps,
            codec=codec,
            time_base=reader.time_base if keep_times else None,
            audio_from=reader.path,
        )
    if codec is not None:
        raise MissingExtraError("av", "video", needed_by="--codec")
    from unpixel.video import VideoWriter

    return VideoWriter(dest, fps)


def restore_video(
    pipe: Any, src: Path, dest: Path, stop: StopRequest, codec: str | None = None
) -> dict[str, Any]:
    """Restore a video frame by frame; on a stop request the frames done so far are kept.

    Args:
        pipe: a VIDEO-mode pipeline.
        src: the video file.
        dest: the output file.
        stop: set by a signal: finish the file with the frames done.
        codec: ``--codec`` (needs PyAV), or None for the default.

    Returns:
        The result row (``output``, ``fps``, ``frames`` written).

    """
    from unpixel.progress import progress
    from unpixel.video import MAX_FPS
    from unpixel.video_av import AvWriter

    reader = open_reader(src)
    if getattr(reader, "depth", 8) > 8:
        say(f"note: {dest}: {src} has {reader.depth}-bit samples; written as 8-bit", err=True)
    last = None
    fallback = timestamps(reader.fps)
    fps = min(reader.fps, MAX_FPS)
    if fps < reader.fps:
        say(
            f"note: {dest}: written at {fps:g} fps, the most a video file holds "
            f"({src} has {reader.fps:g}); it plays {reader.fps / fps:.3g} times slower",
            err=True,
        )
    try:
        with open_writer(dest, reader, fps, codec) as writer:
            done = -1
            for i, frame in enumerate(progress(reader, total=reader.frames, label=src.name)):
                ms = max(frame_ms(reader, i, fallback), done + 1)
                done = ms
                res = pipe.process_for_video(frame, ms)
                if isinstance(writer, AvWriter) and writer.timed:  # at the frame's own time
                    writer.write(res.image, round(reader.times[-1] / writer.time_base))
                else:
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
    dropped = getattr(writer, "dropped_audio", None)
    if dropped is None:
        say(
            f"note: {dest}: video only, audio is not carried over (install unpixel[video])",
            err=True,
        )
    for reason in dropped or ():
        say(f"note: {dest}: audio not carried over: {reason}", err=True)
    return detection_row(src, last, frames) | {"output": str(dest), "fps": fps}
