"""Video files through OpenCV: read frames, write a video atomically (temp file + rename).

One reader (:class:`VideoReader`) and one frame-rate rule (:func:`frame_rate`) for the CLI and
the live loop's file source.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from unpixel.errors import SinkError, SourceError
from unpixel.image import MAX_PIXELS
from unpixel.io import publish

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")
FOURCC = {
    ".mp4": "mp4v",
    ".m4v": "mp4v",
    ".mov": "mp4v",
    ".avi": "MJPG",
    ".mkv": "MJPG",
    ".webm": "VP80",
}


def is_video(path: Path) -> bool:
    """True for a file name with a video suffix."""
    return path.suffix.lower() in VIDEO_SUFFIXES


DEFAULT_FPS = 30.0
"""The frame rate of a video or camera that reports none (0, negative, NaN or infinite)."""


def frame_rate(reported: float | None) -> float:
    """The frame rate to use for a stream that reports ``reported`` frames per second.

    The one rule of the package (CLI and live loop): the container's or device's own rate
    when it gives one, :data:`DEFAULT_FPS` when it gives none.

    Args:
        reported: what the container or device says (``CAP_PROP_FPS``), or None.

    Returns:
        ``reported`` when it is a finite number above 0, else :data:`DEFAULT_FPS`.

    """
    try:
        fps = float(reported) if reported is not None else 0.0
    except (TypeError, ValueError):
        return DEFAULT_FPS
    return fps if math.isfinite(fps) and fps > 0 else DEFAULT_FPS


class VideoReader:
    """Frames of a video file (BGR uint8) plus its fps and frame count.

    The one video-file reader of the package: ``unpixel detect`` / ``restore`` and the live
    loop's file source both read through it. Frames above
    :data:`unpixel.image.MAX_PIXELS` are refused (from the header, before a frame is
    decoded, and again on the first frame); ``fps`` follows :func:`frame_rate`.

    Args:
        path: the video file.

    Raises:
        SourceError: no such file, frames too large, or not a readable video (empty,
            truncated or unknown format).

    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"no video file at {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._check_size(width, height)  # from the header, before a frame is decoded
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise SourceError(
                f"{self.path} is not a readable video (empty, truncated or unknown format)"
            )
        self._check_size(first.shape[1], first.shape[0])
        self._first: np.ndarray | None = first
        self.fps = frame_rate(self._cap.get(cv2.CAP_PROP_FPS))
        self.frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))

    def _check_size(self, width: int, height: int) -> None:
        if width * height > MAX_PIXELS:
            self._cap.release()
            raise SourceError(
                f"{self.path} is {width}x{height}; frames above {MAX_PIXELS} pixels are refused"
            )

    def read(self) -> np.ndarray | None:
        """The next frame (HxWx3 uint8 BGR), or None at the end of the file (or once closed)."""
        if self._first is not None:
            first, self._first = self._first, None
            return first
        ok, frame = self._cap.read()
        return frame if ok and frame is not None else None

    def __iter__(self) -> Iterator[np.ndarray]:
        while (frame := self.read()) is not None:
            yield frame

    def close(self) -> None:
        """Release the capture (idempotent)."""
        self._first = None
        self._cap.release()


class VideoWriter:
    """Writes frames to a temporary file next to ``path``; :meth:`close` renames it into place.

    :meth:`abort` (or an exception inside ``with``) removes the temporary file: a reader
    never sees half a video under the final name. OpenCV's encoder does not report failed
    writes (a full disk), so :meth:`close` reads the file back (frame count, last frame)
    before it is renamed and raises :class:`SinkError` if it is not whole. Audio is not
    carried over.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float) -> None:
        self.path = Path(path)
        self.fps = fps
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.stem}.", suffix=self.path.suffix
            )
            os.close(fd)
        except OSError as exc:
            raise SinkError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._tmp = Path(tmp)
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, ...] = ()
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR uint8 frame (the first fixes the size; OpenCV would drop others)."""
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"video frames must be HxWx3 uint8, got {frame.dtype} {frame.shape}")
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*FOURCC.get(self.path.suffix.lower(), "mp4v"))
            h, w = frame.shape[:2]
            self._size = frame.shape
            self._writer = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                self.abort()
                raise SinkError(f"cannot encode video {self.path} ({self.path.suffix})")
        elif frame.shape != self._size:
            raise ValueError(f"frame {frame.shape} differs from the video's {self._size}")
        self._writer.write(frame)
        self.count += 1

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self.count == 0:
            self.abort()
            raise SinkError(f"no frames to write to {self.path}")
        problem = self._check_written()
        if problem:
            self.abort()
            raise SinkError(f"cannot write {self.path}: {problem}")
        try:
            publish(self._tmp, self.path)
        except OSError as exc:
            self.abort()
            raise SinkError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def _check_written(self) -> str | None:
        """Read the temporary file back: None when it holds every frame written, else why not."""
        cap = cv2.VideoCapture(str(self._tmp))
        try:
            if not cap.isOpened():
                return "the encoded file cannot be read back (disk full?)"
            found = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            if found != self.count:
                return f"the file holds {found} of {self.count} frames (disk full?)"
            cap.set(cv2.CAP_PROP_POS_FRAMES, self.count - 1)
            if not cap.read()[0]:
                return "the last frame cannot be read back (disk full?)"
            return None
        finally:
            cap.release()

    def abort(self) -> None:
        """Drop the temporary file."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        with contextlib.suppress(OSError):
            self._tmp.unlink()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
