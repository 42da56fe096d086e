"""Video files through OpenCV: read frames, write a video atomically (temp file + rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from unpixel.errors import SinkError, SourceError

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
    never sees half a video under the final name. Audio is not carried over.
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
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR frame (the first fixes the size)."""
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*FOURCC.get(self.path.suffix.lower(), "mp4v"))
            h, w = frame.shape[:2]
            self._writer = cv2.VideoWriter(str(self._tmp), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                self.abort()
                raise SinkError(f"cannot encode video {self.path} ({self.path.suffix})")
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
        self._tmp.replace(self.path)

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
