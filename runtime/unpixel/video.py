"""Video files through OpenCV: read frames, write a video atomically (temp file + rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from unpixel.image import MAX_PIXELS
from unpixel.errors import SinkError, SourceError
from unpixel.io import publish

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")
FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG",
          ".webm": "VP80"}  # fmt: skip


def is_video(path: Path) -> bool:
    """True for a file name with a video suffix."""
    return path.suffix.lower() in VIDEO_SUFFIXES


class VideoReader:
    """Frames of a video file (BGR uint8) plus its fps and frame count."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"no video file at {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width * height > MAX_PIXELS:  # from the header, before a frame is decoded
            self._cap.release()
            raise SourceError(f"{self.path} is {width}x{height}; frames above {MAX_PIXELS} "
                              "pixels are refused")  # fmt: skip
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"{self.path} is not a readable video (empty, truncated or "
                              "unknown format)")  # fmt: skip
        self._first: np.ndarray | None = first
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 25.0
        self.frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        while True:
            ok, frame = self._cap.read()
            if not ok:
                return
            yield frame

    def close(self) -> None:
        """Release the capture."""
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
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.stem}.",
                                       suffix=self.path.suffix)  # fmt: skip
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
