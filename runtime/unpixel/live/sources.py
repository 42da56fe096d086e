"""Frame sources of the live loop: OpenCV captures, image folders, in-memory frames.

A source is a small object with :meth:`Source.read` (the next frame, or None at the end of
the stream), :meth:`Source.close`, a nominal ``fps`` and a ``live`` flag. Live sources (cameras,
network streams) run behind a capture thread that keeps only the latest frame; the others (files,
folders, the sample clip) give every frame in order. Sources with ``can_reopen`` (cameras,
streams) can be opened again in place by :meth:`Source.reopen` after they were lost: the live
loop's reconnect. Video files are read by :class:`VideoFileSource` (through
:class:`unpixel.video.VideoReader`, the reader the CLI uses too). picamera2 and the sample
clip live in their own modules; :func:`unpixel.live.opening.open_source` turns a command-line
spec into the right source.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.errors import SourceError
from unpixel.redact import redact
from unpixel.validate import opencv_str

URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "udp://", "tcp://", "rtmp://")
OPEN_TIMEOUT_MS = 5000
"""How long OpenCV may take to open a network stream (and to wait for one of its frames)."""


@dataclass(frozen=True)
class Frame:
    """One captured frame.

    Attributes:
        image: HxWx3 uint8 BGR.
        timestamp_ms: capture time (live sources: monotonic clock; files: position in the
            stream), strictly increasing: a frame that would share the last one's millisecond
            (above 1000 fps) gets the next one.
        index: position among the frames the source produced (0, 1, ...).
        captured_at: ``time.perf_counter()`` when the frame was read (the start of its latency).
        lores: an optional smaller BGR copy of the same scene (picamera2's lores stream).

    """

    image: np.ndarray
    timestamp_ms: int
    index: int
    captured_at: float
    lores: np.ndarray | None = None


class Source:
    """Base class of the sources.

    Subclasses implement :meth:`_read_image` (and :meth:`close` if they hold anything);
    :meth:`read` numbers and stamps the frames.
    """

    name: str = "source"
    fps: float = 30.0
    live: bool = False
    can_reopen: bool = False
    """True when :meth:`reopen` can bring the source back after a loss (cameras, streams)."""
    _last_ts: int = -1

    def __init__(self) -> None:
        self._count = 0
        self._t0: float | None = None

    def _read_image(self) -> np.ndarray | tuple[np.ndarray, np.ndarray | None] | None:
        raise NotImplementedError

    def read(self) -> Frame | None:
        """The next frame, or None at the end of the stream; SourceError when the source fails."""
        got = self._read_image()
        if got is None:
            return None
        image, lores = got if isinstance(got, tuple) else (got, None)
        now = time.perf_counter()
        if self.live:
            self._t0 = now if self._t0 is None else self._t0
            ts = int((now - self._t0) * 1000)
        else:
            ts = round(self._count * 1000 / self.fps)
        # strictly increasing: above 1000 fps (or two reads in one ms) a frame gets the next ms
        ts = self._last_ts = max(ts, self._last_ts + 1)
        frame = Frame(image, ts, self._count, now, lores)
        self._count += 1
        return frame

    def close(self) -> None:
        """Release the device or file (idempotent)."""

    def reopen(self) -> None:
        """Close the source and open it again in place, with the settings it was opened with.

        Frame numbers and timestamps go on from where they were, so the frames after a
        reconnect follow the ones before. :class:`SourceError` when the device cannot be
        opened (yet); sources without ``can_reopen`` always raise it.
        """
        raise SourceError(f"{self.name} cannot be reopened")

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ArraySource(Source):
    """Frames from memory, in order (tests, benchmarks, embedding)."""

    def __init__(
        self,
        frames: Sequence[np.ndarray],
        fps: float = 30.0,
        *,
        loops: int = 1,
        name: str = "frames",
    ) -> None:
        super().__init__()
        if not len(frames):
            raise SourceError("no frames given")
        self.frames, self.fps, self.loops, self.name = frames, float(fps), loops, name
        self._i = 0

    def _read_image(self) -> np.ndarray | None:
        if self._i >= len(self.frames) * self.loops:
            return None
        image = self.frames[self._i % len(self.frames)]
        self._i += 1
        return image


class FolderSource(Source):
    """The images of a folder (or a list of image files), in name order."""

    def __init__(self, paths: str | os.PathLike[str] | Sequence[Path], fps: float = 10.0) -> None:
        from unpixel.io import list_images

        super().__init__()
        if isinstance(paths, (str, os.PathLike)):
            self.name = str(paths)
            self.paths = list_images(paths)
        else:
            self.paths = [Path(p) for p in paths]
            self.name = str(self.paths[0]) if self.paths else "images"
        if not self.paths:
            raise SourceError(f"no images in {self.name}")
        self.fps = float(fps)
        self._i = 0

    def _read_image(self) -> np.ndarray | None:
        from unpixel.io import read_image
        from unpixel.video import check_regular_file

        if self._i >= len(self.paths):
            return None
        self._i += 1
        path = self.paths[self._i - 1]
        check_regular_file(path, "image")  # a FIFO named .png would block the read
        return read_image(path)


class VideoFileSource(Source):
    """The frames of a video file, every one in order, through :class:`~unpixel.video.VideoReader`.

    The same reader as ``unpixel restore``: frames above :data:`unpixel.image.MAX_PIXELS`
    are refused and ``fps`` is :func:`unpixel.video.frame_rate` of the container's. A file
    ends; it is not reopened.

    Args:
        path: the video file.

    Raises:
        SourceError: no such file, not a regular file, frames too large, or not a readable
            video; while reading, :data:`unpixel.video.MAX_BAD_FRAMES` undecodable frames in
            a row (single bad frames are skipped, counted in :attr:`skipped` and logged).

    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import logging

        from unpixel.video import VideoReader

        super().__init__()
        # frames that cannot be decoded are skipped and logged as the live loop's warnings
        self._reader: Any = VideoReader(path, logger=logging.getLogger(__name__))
        self.name = str(path)
        self.fps = self._reader.fps
        self.frames = self._reader.frames

    def _read_image(self) -> np.ndarray | None:
        return self._reader.read()

    @property
    def skipped(self) -> int:
        """Frames that could not be decoded and were skipped."""
        return int(self._reader.skipped)

    def close(self) -> None:
        """Release the file."""
        self._reader.close()


class OpenCVSource(Source):
    """Frames through cv2.VideoCapture: cameras, streams and pipelines.

    A camera index, /dev/videoN, an RTSP/HTTP URL or a GStreamer pipeline string (OpenCV
    must be built with GStreamer; pip wheels are not). A failed read is a lost camera
    (:class:`SourceError`), not the end of the stream; with ``live=False`` it ends the
    stream instead. Video files are :class:`VideoFileSource`'s (a file spec is accepted
    only with ``live=True``, a file standing in for a device). ``fps``: the given one, else
    :func:`unpixel.video.frame_rate` of what the device reports.

    Raises:
        ValueError: a video file without ``live=True``.
        SourceError: the capture cannot be opened.

    """

    def __init__(
        self,
        spec: str | int,
        *,
        live: bool | None = None,
        fps: float | None = None,
        size: tuple[int, int] | None = None,
    ) -> None:
        import cv2

        from unpixel.video import frame_rate

        super().__init__()
        self.name = redact(str(spec))  # logs, errors and stats never carry a password
        self._spec, self._size = spec, size
        if spec_kind(spec) == "file" and live is not True:
            raise ValueError(
                f"{self.name!r} is a video file: read it with VideoFileSource (open_source "
                "picks it), which applies the pixel limit and the frame-rate rule"
            )
        self.live = True if live is None else live
        self.can_reopen = self.live  # a camera or stream may come back; live=False ends
        self._cap: Any = self._open()
        self.fps = float(fps or frame_rate(self._cap.get(cv2.CAP_PROP_FPS)))
        self._reads = 0

    def _open(self) -> Any:
        """A cv2.VideoCapture of the spec, open (SourceError otherwise)."""
        import cv2

        kind = spec_kind(self._spec)
        args: list = [int(self._spec) if kind == "index" else opencv_str(str(self._spec))]
        if kind == "gstreamer":
            args.append(cv2.CAP_GSTREAMER)
        elif kind == "url":
            args += [
                cv2.CAP_FFMPEG,
                [
                    cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                    OPEN_TIMEOUT_MS,
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                    OPEN_TIMEOUT_MS,
                ],
            ]
        cap = cv2.VideoCapture(*args)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"cannot open {self.name!r}{_HINTS.get(kind, '')}")
        if self._size is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        return cap

    def _read_image(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        ok, image = self._cap.read()
        if ok and image is not None:
            self._reads += 1
            return image
        if not self.live:
            if self._reads == 0:
                raise SourceError(
                    f"{self.name} is not a readable video (empty, truncated or unknown format)"
                )
            return None
        raise SourceError(f"lost {self.name!r} after {self._reads} frames (no frame came)")

    def close(self) -> None:
        """Release the capture."""
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def reopen(self) -> None:
        """Release the capture and open the same camera, URL or pipeline again (same size)."""
        if not self.can_reopen:
            raise SourceError(f"{self.name} is a file: it ends, it is not reopened")
        self.close()
        self._cap = self._open()
        self._reads = 0


_HINTS = {
    "index": " (no such camera, or it is busy)",
    "device": " (no such device, or it is busy)",
    "url": " (unreachable, or not a stream OpenCV's FFmpeg can read)",
    "gstreamer": " (this OpenCV has no GStreamer support, or the pipeline is wrong; "
    "it must end in 'appsink')",
    "file": " (not a video OpenCV can read)",
}


def spec_kind(spec: str | int) -> str:
    """What a source spec names: "index", "device", "url", "gstreamer" or "file".

    Args:
        spec: a camera index, ``/dev/videoN``, a URL, a GStreamer pipeline or a path.

    Returns:
        The kind; anything not recognised as one of the others is a "file" (or folder).

    """
    text = str(spec)
    if isinstance(spec, int) or text.isdigit():
        return "index"
    if text.startswith("/dev/video"):
        return "device"
    if text.lower().startswith(URL_SCHEMES):
        return "url"
    if "!" in text:
        return "gstreamer"
    return "file"
