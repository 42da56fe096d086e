"""Video files through OpenCV: read frames, write a video atomically (temp file + rename).

One frame-rate rule (:func:`frame_rate`) and one size limit for every video reader; the
reader of the live loop's file source, and of ``unpixel detect`` / ``restore`` without PyAV
(with it, :mod:`unpixel.video_av` reads the container's timestamps and writes H.264 with
the audio).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from unpixel.errors import SinkError, SourceError
from unpixel.image import MAX_PIXELS
from unpixel.io import FinishOnExit, publish, temp_beside
from unpixel.validate import opencv_str

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")
FOURCC = {
    ".mp4": "mp4v",
    ".m4v": "mp4v",
    ".mov": "mp4v",
    ".avi": "MJPG",
    ".mkv": "MJPG",
    ".webm": "VP80",
}
ODD_SIZE_SUFFIXES = (".avi",)
"""Suffixes that keep an odd frame width or height: OpenCV's own MJPEG writer (AVI only).
OpenCV's FFmpeg writer (every other suffix) drops the last odd column and row."""
MAX_FPS = 1000.0
"""The highest frame rate :class:`VideoWriter` accepts: AVI's time base and Matroska's
millisecond timestamps cannot hold a faster one (FFmpeg writes 600 fps, or loses frames)."""
MAX_BAD_FRAMES = 25
"""Consecutive frames that fail to decode before :class:`VideoReader` gives up on a file."""
RESERVE_BYTES = 320 * 1024
"""Free space :class:`VideoWriter` keeps on the disk besides two frames and the index: FFmpeg
holds up to 256 KiB of encoded frames before they reach the disk, and the rest is room for
the trailer (and a summary file beside the video)."""

log = logging.getLogger(__name__)


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


MPEG4_TIME_BASE = 65535
"""MPEG-4 part 2 caps its time base's denominator here; OpenCV's FFmpeg writer makes it
``round(fps * 1000)`` for a frame rate that is not whole (76.923 fps: 76923, refused)."""


def encoder_fps(fps: float) -> float:
    """``fps``, or the nearest whole one where its time base exceeds MPEG4_TIME_BASE."""
    if fps != int(fps) and round(fps * 1000) > MPEG4_TIME_BASE:
        return float(round(fps))
    return fps


def check_fps(fps: object) -> float:
    """``fps`` as a float; ValueError / TypeError unless finite, above 0 and <= MAX_FPS."""
    if isinstance(fps, bool) or not isinstance(fps, (int, float)):
        raise TypeError(f"fps must be a number, got {fps!r}")
    if not (math.isfinite(fps) and 0 < fps <= MAX_FPS):
        raise ValueError(f"fps must be finite, above 0 and at most {MAX_FPS:g}; got {fps!r}")
    return float(fps)


def check_regular_file(path: Path, what: str = "video file") -> None:
    """SourceError unless ``path`` is a regular file (a FIFO or device would block a read)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        raise SourceError(f"no {what} at {path}") from None
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a FIFO or device?)"
        raise SourceError(f"{path} is {kind}; a {what} is read from a regular file")


class VideoReader:
    """Frames of a video file (BGR uint8) plus its fps and frame count.

    The one video-file reader of the package: ``unpixel detect`` / ``restore`` and the live
    loop's file source both read through it. Frames above
    :data:`unpixel.image.MAX_PIXELS` are refused (from the header, before a frame is
    decoded, and again on the first frame); ``fps`` follows :func:`frame_rate`. Only regular
    files are opened (a FIFO would block). A frame that cannot be decoded is skipped, counted
    in :attr:`skipped` and logged (a warning); :data:`MAX_BAD_FRAMES` in a row with more
    frames due (the container's count) end the reading with :class:`SourceError`. Frames the
    container announced at its end but that never decoded are counted in :attr:`missing`.

    Args:
        path: the video file.
        logger: where the warnings go (default: this module's logger).

    Raises:
        SourceError: no such file, not a regular file, frames too large, or not a readable
            video (empty, truncated or unknown format).

    """

    def __init__(self, path: str | os.PathLike[str], logger: logging.Logger | None = None) -> None:
        self.path = Path(path)
        check_regular_file(self.path)
        self._log = logger or log
        self._cap = cv2.VideoCapture(opencv_str(self.path))
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
        self.decoded = self.skipped = self.missing = 0  # frames returned, skipped, never came
        self._ended = False

    def _check_size(self, width: int, height: int) -> None:
        if width * height > MAX_PIXELS:
            self._cap.release()
            raise SourceError(
                f"{self.path} is {width}x{height}; frames above {MAX_PIXELS} pixels are refused"
            )

    def read(self) -> np.ndarray | None:
        """The next frame (HxWx3 uint8 BGR), or None at the end of the file (or once closed).

        Raises:
            SourceError: :data:`MAX_BAD_FRAMES` frames in a row cannot be decoded while the
                container says more frames are due.

        """
        if self._first is not None:
            first, self._first = self._first, None
            self.decoded += 1
            return first
        if self._ended:
            return None
        for bad in range(MAX_BAD_FRAMES + 1):
            ok, frame = self._cap.read()
            if ok and frame is not None:
                if bad:
                    self._skip(bad)
                self.decoded += 1
                return frame
        return self._end(MAX_BAD_FRAMES)

    def _skip(self, bad: int) -> None:
        at, self.skipped = self.decoded + self.skipped, self.skipped + bad
        where = f"frame {at}" if bad == 1 else f"frames {at}-{at + bad - 1}"
        self._log.warning("%s: %s cannot be decoded; skipped", self.path, where)

    def _end(self, failed: int) -> None:
        """No frame came in ``failed`` reads: the end of the file, or a damaged rest."""
        self._ended = True
        seen = self.decoded + self.skipped
        due = self.frames - seen
        if due >= failed:
            raise SourceError(
                f"{self.path}: {failed} frames in a row after frame {seen} cannot be decoded "
                f"({self.decoded} of {self.frames} read, {self.skipped} skipped before); "
                "the file is damaged"
            )
        if due > 0:
            self.missing = due
            self._log.warning(
                "%s: the last %d of %d frames cannot be decoded (truncated?); %d read",
                self.path,
                due,
                self.frames,
                self.decoded,
            )

    def __iter__(self) -> Iterator[np.ndarray]:
        while (frame := self.read()) is not None:
            yield frame

    def close(self) -> None:
        """Release the capture (idempotent)."""
        self._first = None
        self._ended = True
        self._cap.release()


class VideoWriter(FinishOnExit):
    """Writes frames to a temporary file next to ``path``; :meth:`close` renames it into place.

    :meth:`abort` (or an exception inside ``with``) removes the temporary file: a reader
    never sees half a video under the final name. OpenCV's encoder does not report failed
    writes (a full disk), so :meth:`close` reads the file back (frame count, last frame)
    before it is renamed and raises :class:`SinkError` if it is not whole. Before each frame
    the free space is checked: below :data:`RESERVE_BYTES` plus two frames and the index the
    disk counts as full. Then, with ``keep_partial``, the frames written so far are finalised
    and renamed into place and :class:`SinkError` says how many were kept; without it the
    temporary file is removed. Frames of an odd width or height keep their size in ``.avi``
    (OpenCV's own MJPEG writer); other suffixes refuse them (:class:`SinkError`), since
    OpenCV's FFmpeg writer would drop a column and a row. Audio is not carried over.

    Args:
        path: the video file to write.
        fps: its frame rate: finite, above 0, at most :data:`MAX_FPS`.
        keep_partial: on a full disk, keep the frames written so far (a live recording).

    Raises:
        ValueError: a bad ``fps``.
        TypeError: ``fps`` is not a number.
        SinkError: the temporary file cannot be created.

    """

    def __init__(
        self, path: str | os.PathLike[str], fps: float, *, keep_partial: bool = False
    ) -> None:
        self.path = Path(opencv_str(path))  # before a temporary file is made for it
        self._fps = check_fps(fps)
        self.keep_partial = keep_partial
        self._tmp = temp_beside(self.path)
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, ...] = ()
        self._done = False
        self.count = 0

    @property
    def fps(self) -> float:
        """The frame rate (settable until the first frame is written; checked)."""
        return self._fps

    @fps.setter
    def fps(self, value: float) -> None:
        self._fps = check_fps(value)

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR uint8 frame (the first fixes the size; OpenCV would drop others)."""
        if not isinstance(frame, np.ndarray):
            raise TypeError(f"a video frame is a numpy array, got {type(frame).__name__}")
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"video frames must be HxWx3 uint8, got {frame.dtype} {frame.shape}")
        if self._done:
            raise SinkError(f"{self.path} is already finalised")
        if self._writer is None:
            self._open(frame)
        elif frame.shape != self._size:
            raise ValueError(f"frame {frame.shape} differs from the video's {self._size}")
        free = self._free_bytes()
        if free is not None and free < self._reserve(frame):
            self._disk_full(free)
        assert self._writer is not None
        self._writer.write(frame)
        self.count += 1

    def _open(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        suffix = self.path.suffix.lower()
        odd = bool(w % 2 or h % 2)
        if odd and suffix not in ODD_SIZE_SUFFIXES:
            self.abort()
            raise SinkError(
                f"cannot write {self.path}: its frames are {w}x{h}, and OpenCV's {suffix} "
                f"encoder needs an even width and height (it would write {w & ~1}x{h & ~1}); "
                f"write {', '.join(ODD_SIZE_SUFFIXES)} to keep the size"
            )
        fourcc = cv2.VideoWriter_fourcc(*FOURCC.get(suffix, "mp4v"))
        self._size = frame.shape
        fps = encoder_fps(self.fps)
        if odd:  # OpenCV's own MJPEG writer keeps every size; FFmpeg's rounds down to even
            writer = cv2.VideoWriter(
                opencv_str(self._tmp), cv2.CAP_OPENCV_MJPEG, fourcc, fps, (w, h)
            )
        else:
            writer = cv2.VideoWriter(opencv_str(self._tmp), fourcc, fps, (w, h))
        self._writer = writer
        if not writer.isOpened():
            self.abort()
            raise SinkError(f"cannot encode video {self.path} ({self.path.suffix})")

    def _free_bytes(self) -> int | None:
        try:
            return shutil.disk_usage(self._tmp.parent).free
        except OSError:
            return None

    def _reserve(self, frame: np.ndarray) -> int:
        """Free bytes needed to write ``frame`` and still finalise the file (index, trailer)."""
        per_frame = frame.nbytes // 4
        if self.count >= 4:
            with contextlib.suppress(OSError):
                per_frame = max(1, self._tmp.stat().st_size // self.count)
        return RESERVE_BYTES + 2 * per_frame + 64 * (self.count + 1)

    def _disk_full(self, free: int) -> None:
        """Finalise what was written (``keep_partial``) or drop it; raise SinkError."""
        written = self.count
        if self.keep_partial and written:
            self.close()
            raise SinkError(
                f"disk full: {self.path} finalised with the {written} frames written before "
                f"it filled ({free} bytes left); later frames are not kept"
            )
        self.abort()
        raise SinkError(
            f"cannot write {self.path}: disk full ({free} bytes left after {written} frames)"
        )

    def close(self) -> None:
        """Finish the file and move it into place (nothing more once it is finalised)."""
        if self._done:
            return
        self._done = True
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self.count == 0:
            self.abort()
            raise SinkError(f"no frames to write to {self.path}")
        found, problem = self._check_written()
        if problem and self.keep_partial and found:
            self._publish()
            raise SinkError(
                f"cannot write all of {self.path}: {problem}; kept the {found} readable frames"
            )
        if problem:
            self.abort()
            raise SinkError(f"cannot write {self.path}: {problem}")
        self._publish()

    def _publish(self) -> None:
        try:
            publish(self._tmp, self.path)
        except OSError as exc:
            self.abort()
            raise SinkError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def _check_written(self) -> tuple[int, str | None]:
        """Read the temporary file back: (readable frames, None when all, else why not)."""
        cap = cv2.VideoCapture(opencv_str(self._tmp))
        try:
            if not cap.isOpened():
                return 0, "the encoded file cannot be read back (disk full?)"
            found = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            last = min(found, self.count)
            if last > 0:
                cap.set(cv2.CAP_PROP_POS_FRAMES, last - 1)
                if not cap.read()[0]:
                    return 0, "the last frame cannot be read back (disk full?)"
            if found != self.count:
                return max(0, last), f"the file holds {found} of {self.count} frames (disk full?)"
            return found, None
        finally:
            cap.release()

    def abort(self) -> None:
        """Drop the temporary file."""
        self._done = True
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        with contextlib.suppress(OSError):
            self._tmp.unlink()
