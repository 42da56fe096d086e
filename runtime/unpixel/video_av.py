"""Video files through PyAV (the ``video`` extra): container timing in, H.264 and audio out.

:class:`AvReader` gives each frame with its presentation time from the container;
:class:`AvWriter` encodes frames (H.264 by default) at those times and copies the audio
streams of a source file packet by packet (no re-encode), interleaved with the video. Both
are the PyAV side of :mod:`unpixel.video`, whose OpenCV reader and writer are the fallback
without the extra. PyAV is imported only when one of them is created.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import logging
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import numpy as np

from unpixel.errors import MissingExtraError, SinkError, SourceError
from unpixel.io import FinishOnExit, publish, temp_beside
from unpixel.limits import MAX_PIXELS
from unpixel.video import (
    MAX_BAD_FRAMES,
    check_fps,
    check_regular_file,
    frame_rate,
)

CODECS = {"h264": "libx264", "mp4v": "mpeg4", "ffv1": "ffv1", "vp9": "libvpx-vp9"}
"""``--codec`` names -> FFmpeg encoders (all in PyAV's wheels)."""
DEFAULT_CODECS = {".webm": "vp9"}
UNTIMED_SUFFIXES = (".avi",)
"""Containers without per-frame timestamps: their frames are written ``1 / fps`` apart."""
"""The codec of a suffix whose container cannot hold H.264; every other suffix: h264."""
ENCODER_OPTIONS = {"libx264": {"crf": "18", "preset": "veryfast"}, "libvpx-vp9": {"crf": "20"}}
"""Encoder settings: near-transparent quality (x264 CRF 18) at a speed small boards keep up with."""
MAX_TIME_BASE = 65535
"""The largest time-base denominator MPEG-4 part 2 holds; finer ones are rounded to it."""

log = logging.getLogger(__name__)


def have_av() -> bool:
    """Whether PyAV (the ``video`` extra) is installed, without importing it."""
    try:
        return importlib.util.find_spec("av") is not None
    except (ImportError, ValueError):
        return False


def load_av(needed_by: str = "video files through PyAV") -> ModuleType:
    """Import PyAV, or raise :class:`MissingExtraError` naming the ``video`` extra."""
    try:
        import av
    except ImportError:
        raise MissingExtraError("av", "video", needed_by=needed_by) from None
    return av


def codec_for(suffix: str, codec: str | None) -> str:
    """The ``--codec`` name to write a file of ``suffix`` with (``codec``, or the default)."""
    name = codec or DEFAULT_CODECS.get(suffix.lower(), "h264")
    if name not in CODECS:
        raise ValueError(f"codec must be one of {', '.join(CODECS)}; got {name!r}")
    return name


def pixel_format(encoder: str, width: int, height: int) -> str:
    """The encoder's pixel format: 4:2:0, or 4:4:4 where 4:2:0 cannot hold an odd size.

    FFV1 is lossless BGR; MPEG-4 part 2 pads odd sizes itself (it has no 4:4:4).
    """
    if encoder == "ffv1":
        return "bgr0"
    odd = width % 2 or height % 2
    return "yuv444p" if odd and encoder in ("libx264", "libvpx-vp9") else "yuv420p"


class AvReader:
    """Frames of a video file's first video stream (BGR uint8), with their times.

    Same contract as :class:`unpixel.video.VideoReader` (regular files only, frames above
    :data:`unpixel.limits.MAX_PIXELS` refused from the header, a packet that fails to decode
    skipped, counted in :attr:`skipped` and logged, :data:`unpixel.video.MAX_BAD_FRAMES` in a
    row end the reading with :class:`SourceError`), plus :attr:`times`: each returned frame's
    presentation time in seconds from the container, :attr:`time_base` and :attr:`depth`.

    Args:
        path: the video file.
        logger: where the warnings go (default: this module's logger).

    Raises:
        SourceError: no such file, not a regular file, frames too large, or not a readable
            video.
        MissingExtraError: PyAV is not installed.

    """

    def __init__(self, path: str | os.PathLike[str], logger: logging.Logger | None = None) -> None:
        av = load_av()
        self.path = Path(path)
        check_regular_file(self.path)
        self._log = logger or log
        self._error = av.FFmpegError
        try:
            self._container = av.open(str(self.path), "r")
        except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raise SourceError(f"{self.path} is not a readable video ({exc})") from None
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"{self.path} is not a readable video (no video stream)")
        self.stream = self._container.streams.video[0]
        width, height = self.stream.codec_context.width, self.stream.codec_context.height
        if width * height > MAX_PIXELS:
            self._container.close()
            raise SourceError(
                f"{self.path} is {width}x{height}; frames above {MAX_PIXELS} pixels are refused"
            )
        self.time_base: Fraction = self.stream.time_base or Fraction(1, 1000)
        fmt = self.stream.codec_context.format
        self.depth = max((c.bits for c in fmt.components), default=8) if fmt else 8
        """Bits per sample of the stream (frames are read as 8-bit BGR whatever it is)."""
        rate = self.stream.average_rate or self.stream.guessed_rate
        self.fps = frame_rate(float(rate) if rate else None)
        self.frames = int(self.stream.frames or 0) or self._estimated_frames()
        self.decoded = self.skipped = self.missing = 0
        self.times: list[float] = []
        self._frames = self._decode()
        self._first = next(self._frames, None)
        if self._first is None:
            self.close()
            raise SourceError(
                f"{self.path} is not a readable video (empty, truncated or unknown format)"
            )

    def _estimated_frames(self) -> int:
        """Frames by the duration when the container keeps no count (Matroska, WebM)."""
        if self.stream.duration is not None:
            seconds = float(self.stream.duration * self.time_base)
        elif self._container.duration is not None:
            seconds = self._container.duration / 1_000_000  # AV_TIME_BASE
        else:
            return 0
        return max(round(seconds * self.fps), 0)

    def _decode(self) -> Iterator[Any]:
        """The stream's decoded frames; undecodable packets skipped and counted."""
        bad = 0
        for packet in self._container.demux(self.stream):
            try:
                frames = packet.decode()
            except self._error:
                bad += 1
                if bad > MAX_BAD_FRAMES:
                    raise SourceError(
                        f"{self.path}: {bad} packets in a row after frame {self.decoded} "
                        "cannot be decoded; the file is damaged"
                    ) from None
                continue
            for frame in frames:
                if bad:
                    self._skip(bad)
                    bad = 0
                yield frame
        if bad:
            self.missing = bad
            self._log.warning("%s: the last %d packets cannot be decoded", self.path, bad)

    def _skip(self, bad: int) -> None:
        at, self.skipped = self.decoded + self.skipped, self.skipped + bad
        self._log.warning(
            "%s: %d packets at frame %d cannot be decoded; skipped", self.path, bad, at
        )

    def read(self) -> np.ndarray | None:
        """The next frame (HxWx3 uint8 BGR), or None at the end (or once closed)."""
        frame = self._first if self._first is not None else next(self._frames, None)
        self._first = None
        if frame is None:
            return None
        if frame.pts is not None:
            self.times.append(float(frame.pts * self.time_base))
        else:  # a raw stream without timestamps: the frame rate's clock
            self.times.append(self.decoded / self.fps)
        self.decoded += 1
        return frame.to_ndarray(format="bgr24")

    def __iter__(self) -> Iterator[np.ndarray]:
        while (frame := self.read()) is not None:
            yield frame

    def close(self) -> None:
        """Close the container (idempotent)."""
        self._first = None
        self._frames = iter(())
        self._container.close()


class AvWriter(FinishOnExit):
    """Encodes frames to a temporary file next to ``path``; :meth:`close` renames it into place.

    Video: ``codec`` (:data:`CODECS`; H.264 by default, VP9 for ``.webm``), ``yuv420p``, or
    ``yuv444p`` when the width or height is odd (4:2:0 cannot hold an odd size; ``ffv1`` is
    ``bgr0``, lossless). Frames are written at the times given to :meth:`write`, in
    ``time_base``. Audio: every audio stream of ``audio_from`` is copied packet by packet
    (no re-encode) and interleaved by time; a stream the container cannot hold is left out
    and named in :attr:`dropped_audio`. :meth:`abort` (or an exception inside ``with``)
    removes the temporary file.

    Args:
        path: the video file to write.
        fps: the nominal frame rate (finite, above 0, at most :data:`unpixel.video.MAX_FPS`).
        codec: a key of :data:`CODECS`, or None for the suffix's default.
        time_base: the unit of the times given to :meth:`write`; None (and for
            :data:`UNTIMED_SUFFIXES`): frames one ``1 / fps`` apart, times ignored.
        audio_from: a file whose audio streams are copied, or None.

    Raises:
        ValueError: a bad ``fps`` or ``codec``.
        SinkError: the file cannot be created, or the container cannot hold the codec.
        MissingExtraError: PyAV is not installed.

    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        *,
        codec: str | None = None,
        time_base: Fraction | None = None,
        audio_from: str | os.PathLike[str] | None = None,
    ) -> None:
        self._av = load_av()
        self.path = Path(path)
        self.fps = check_fps(fps)
        self.codec = codec_for(self.path.suffix, codec)
        self.timed = time_base is not None and self.path.suffix.lower() not in UNTIMED_SUFFIXES
        """Whether frames are written at the times given (else one ``1 / fps`` apart)."""
        rate = Fraction(self.fps).limit_denominator(1001)
        self.time_base = time_base if self.timed else 1 / rate
        self.count = 0
        self.dropped_audio: list[str] = []
        self._stream: Any = None
        self._scale = Fraction(1)  # source time base -> encoder time base (MPEG-4 part 2)
        self._last_pts = -1
        self._source: Any = None
        self._audio: dict[int, Any] = {}
        self._pending: Any = None
        self._tmp = temp_beside(self.path)
        try:
            self._out = self._av.open(str(self._tmp), "w")
        except (self._av.FFmpegError, ValueError) as exc:
            self._tmp.unlink(missing_ok=True)
            raise SinkError(f"cannot write {self.path}: {exc}") from None
        self._audio_from = None if audio_from is None else Path(audio_from)

    def _add_audio(self, source: Path) -> None:
        try:
            self._source = self._av.open(str(source), "r")
        except (self._av.FFmpegError, ValueError) as exc:
            self.dropped_audio.append(f"{source}: {exc}")
            return
        for stream in self._source.streams.audio:
            try:
                self._audio[stream.index] = self._out.add_stream_from_template(stream)
            except (self._av.FFmpegError, ValueError) as exc:
                self.dropped_audio.append(
                    f"audio stream {stream.index} ({stream.codec.name}): {exc}"
                )
        if self._audio:
            self._packets = self._source.demux([self._source.streams[i] for i in self._audio])
        else:
            self._source.close()
            self._source = None

    def _open_video(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        encoder = CODECS[self.codec]
        try:
            stream = self._out.add_stream(encoder, rate=Fraction(self.fps).limit_denominator(1001))
            stream.width, stream.height = w, h
            stream.pix_fmt = pixel_format(encoder, w, h)
            stream.options = dict(ENCODER_OPTIONS.get(encoder, {}))
            if encoder == "mpeg4" and self.time_base.denominator > MAX_TIME_BASE:
                self._scale = self.time_base * MAX_TIME_BASE
                self.time_base = Fraction(1, MAX_TIME_BASE)
            stream.codec_context.time_base = self.time_base
            stream.codec_context.open()
        except (self._av.FFmpegError, ValueError) as exc:
            self.abort()
            raise SinkError(f"cannot encode {self.path} as {self.codec} ({w}x{h}): {exc}") from None
        self._stream = stream
        self._size = frame.shape
        if self._audio_from is not None:  # after the video, so that the video is stream 0
            self._add_audio(self._audio_from)

    def write(self, frame: np.ndarray, pts: int | None = None) -> None:
        """Append one BGR uint8 frame at ``pts`` (in ``time_base``; None: the next frame).

        Raises:
            ValueError: not an HxWx3 uint8 frame, or another size than the first.
            SinkError: the encoder or the file failed (the temporary file is removed).

        """
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3:
            raise ValueError("video frames must be HxWx3 uint8 arrays")
        if self._stream is None:
            self._open_video(frame)
        elif frame.shape != self._size:
            raise ValueError(f"frame {frame.shape} differs from the video's {self._size}")
        untimed = pts is None or not self.timed
        pts = self._last_pts + 1 if untimed else round(pts * self._scale)
        pts = max(pts, self._last_pts + 1)  # strictly increasing, as encoders need
        self._last_pts = pts
        picture = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
        picture.pts = pts
        picture.time_base = self.time_base
        self._mux(self._stream.encode(picture))
        self._mux_audio(float(pts * self.time_base))
        self.count += 1

    def _mux(self, packets: Any) -> None:
        try:
            for packet in packets:
                self._out.mux(packet)
        except (self._av.FFmpegError, OSError) as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> NoReturn:
        """Drop the temporary file and raise SinkError (``disk full`` said as such)."""
        self.abort()
        full = getattr(exc, "errno", None) == errno.ENOSPC
        why = f"disk full after {self.count} frames ({exc})" if full else str(exc)
        raise SinkError(f"cannot write {self.path}: {why}") from None

    def _mux_audio(self, until: float | None) -> None:
        """Copy the source's audio packets up to ``until`` seconds (None: all that remain)."""
        while self._source is not None:
            if self._pending is None:
                self._pending = next(self._packets, None)
                if self._pending is None:
                    self._source.close()
                    self._source = None
                    return
            packet = self._pending
            if packet.dts is None:  # a demuxer's flush packet: nothing to copy
                self._pending = None
                continue
            if (
                until is not None
                and packet.pts is not None
                and packet.pts * packet.time_base > until
            ):
                return
            packet.stream = self._audio[packet.stream_index]
            self._pending = None
            self._mux([packet])

    def close(self) -> None:
        """Flush the encoder, copy the rest of the audio, and move the file into place.

        Raises:
            SinkError: no frame was written, or flushing or renaming failed.

        """
        if self._out is None:
            return
        if self._stream is None:
            self.abort()
            raise SinkError(f"no frames to write to {self.path}")
        self._mux(self._stream.encode(None))
        self._mux_audio(None)
        try:
            self._out.close()
        except (self._av.FFmpegError, OSError) as exc:
            self._fail(exc)
        self._out = None
        try:
            publish(self._tmp, self.path)
        except OSError as exc:
            self.abort()
            raise SinkError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def abort(self) -> None:
        """Drop the temporary file (idempotent)."""
        for container in (self._out, self._source):
            if container is not None:
                with contextlib.suppress(Exception):  # already broken: only the file matters
                    container.close()
        self._out = self._source = None
        self._tmp.unlink(missing_ok=True)
