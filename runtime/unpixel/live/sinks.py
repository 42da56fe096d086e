"""Where the live loop's frames go.

Video file, image folder, display window, a callback, and the before/after snapshot; the
MJPEG server is in :mod:`unpixel.live.mjpeg`.

A sink has :meth:`Sink.write` (one :class:`Packet`) and :meth:`Sink.close` (finalise: the loop
calls it on every kind of stop, end of stream, Ctrl-C, SIGTERM and a lost camera alike). A
sink may set ``stop_requested`` (a window's q or Esc key) to end the loop.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unpixel.errors import SinkError
from unpixel.live.sources import Frame
from unpixel.results import Result


@dataclass(frozen=True)
class Packet:
    """One processed frame on its way to the sinks.

    Attributes:
        frame: the captured frame (its ``image`` is the input, "before").
        result: the pipeline's result (``result.image`` is the cleaned frame, "after").
        view: what to show or store: the cleaned frame, or the side-by-side view, with the
            overlay when it is on.
        fps: the loop's current frames per second.
        latency_ms: capture to the end of processing, for this frame.

    """

    frame: Frame
    result: Result
    view: np.ndarray
    fps: float = 0.0
    latency_ms: float = 0.0

    @property
    def pixelated_share(self) -> float:
        """Share of the frame's pixels that restoration replaced."""
        return float(self.result.detection.mask.mean())


def check_view(packet: Packet) -> np.ndarray:
    """The packet's view, checked: HxW or HxWx3 uint8 (TypeError / ValueError otherwise)."""
    if not isinstance(packet, Packet):
        raise TypeError(f"a sink takes a Packet, got {type(packet).__name__}")
    view = packet.view
    if not isinstance(view, np.ndarray):
        raise TypeError(f"a packet's view is a numpy array, got {type(view).__name__}")
    if view.dtype != np.uint8:
        raise ValueError(f"a packet's view must be uint8, got {view.dtype}")
    if not (view.ndim == 2 or (view.ndim == 3 and view.shape[2] == 3)) or 0 in view.shape:
        raise ValueError(f"a packet's view must be HxW or HxWx3, got {view.shape}")
    return view


class Sink:
    """Base class of the sinks."""

    stop_requested: bool = False

    def write(self, packet: Packet) -> None:
        """Take one processed frame."""
        raise NotImplementedError

    def close(self) -> None:
        """Finalise the output (idempotent)."""

    def abort(self) -> None:
        """Give up: leave no partial output where that matters (default: :meth:`close`)."""
        self.close()

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoFileSink(Sink):
    """The views as a video file, written atomically (temp file, renamed on :meth:`close`).

    ``fps`` None (live sources, whose real rate depends on the pipeline) measures the rate
    over the first ``probe`` frames' capture times (their median interval, so a reconnect's
    gap among them does not count), so the video plays at the speed it was seen at; they are
    held back until then. Every frame must have the first one's size (the live loop scales
    the frames of a camera that came back at another size). A disk that fills up ends the
    recording, not the video: the frames written so far are finalised into place and
    :meth:`write` raises :class:`SinkError` saying how many were kept.

    Raises:
        ValueError: not a video suffix; ``fps`` not finite, not above 0 or above
            :data:`unpixel.video.MAX_FPS`; ``probe`` below 1.
        TypeError: ``fps`` or ``probe`` of the wrong type.

    """

    def __init__(
        self, path: str | os.PathLike[str], fps: float | None = 30.0, probe: int = 15
    ) -> None:
        from unpixel.video import VIDEO_SUFFIXES, VideoWriter, check_fps

        self.path = Path(path)
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            raise ValueError(
                f"a video file name ends in {', '.join(VIDEO_SUFFIXES)}; got {self.path.name!r}"
            )
        if isinstance(probe, bool) or not isinstance(probe, int):
            raise TypeError(f"probe must be an integer, got {probe!r}")
        if probe < 1:
            raise ValueError(f"probe must be at least 1, got {probe}")
        rate = 30.0 if fps is None else check_fps(fps)
        self._writer = VideoWriter(self.path, rate, keep_partial=True)
        self._held: list[Packet] | None = None if fps is not None else []
        self._probe = probe
        self._closed = False

    @property
    def count(self) -> int:
        """Frames written so far."""
        return self._writer.count

    def write(self, packet: Packet) -> None:
        """Append the view (the first one fixes the video's size)."""
        if self._closed:
            raise SinkError(f"{self.path} is already closed")
        view = check_view(packet)
        if view.ndim != 3:
            raise ValueError(f"a video frame is HxWx3 BGR, got {view.shape}")
        try:
            if self._held is None:
                self._writer.write(view)
                return
            self._held.append(packet)
            if len(self._held) >= self._probe:
                self._flush()
        except SinkError:
            self._closed = True  # finalised (disk full: what was written is kept) or dropped
            raise

    def _flush(self) -> None:
        held, self._held = self._held or [], None
        if len(held) >= 2:  # the median interval: a reconnect's gap does not slow it down
            step = float(np.median(np.diff([p.frame.timestamp_ms for p in held]))) / 1e3
            if step > 0:
                self._writer.fps = min(120.0, max(1.0, 1.0 / step))
        for packet in held:
            self._writer.write(packet.view)

    def close(self) -> None:
        """Finish the file and move it into place (SinkError when no frame came)."""
        if not self._closed:
            self._closed = True
            try:
                self._flush()
            finally:
                self._writer.close()

    def abort(self) -> None:
        """Drop the temporary file: no video appears."""
        self._closed = True
        self._writer.abort()


class FolderSink(Sink):
    """Each view as an image file ``frame_000000.jpg`` ... in a folder (atomic writes)."""

    def __init__(self, folder: str | os.PathLike[str], suffix: str = ".jpg") -> None:
        from unpixel.io import IMAGE_SUFFIXES

        if suffix.lower() not in IMAGE_SUFFIXES:
            raise ValueError(f"image suffix must be one of {', '.join(IMAGE_SUFFIXES)}")
        self.folder, self.suffix = Path(folder), suffix
        self.count = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"cannot write to {self.folder}: {exc.strerror or exc}") from exc

    def write(self, packet: Packet) -> None:
        """Write the view under the frame's index."""
        from unpixel.io import write_image

        view = check_view(packet)
        write_image(self.folder / f"frame_{packet.frame.index:06d}{self.suffix}", view)
        self.count += 1


def gui_available() -> bool:
    """True when OpenCV has a GUI backend and (on Linux) a display to show it on."""
    import cv2

    info = cv2.getBuildInformation()
    if any(
        line.split(":")[0].strip() == "GUI" and line.split(":")[1].strip() == "NONE"
        for line in info.splitlines()
        if ":" in line
    ):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class DisplaySink(Sink):
    """A window on screen (q or Esc stops the loop). SinkError where there is no GUI."""

    def __init__(self, title: str = "unpixel") -> None:
        import cv2

        if not gui_available():
            raise SinkError(
                "no display: this OpenCV has no GUI (opencv-python-headless) or there is no "
                "screen; use --serve HOST:PORT to watch in a browser"
            )
        self.title = title
        try:
            cv2.namedWindow(title, cv2.WINDOW_AUTOSIZE)
        except cv2.error as exc:
            raise SinkError(f"cannot open a window: {exc}") from exc
        self._open = True

    def write(self, packet: Packet) -> None:
        """Show the view; a q or Esc key press asks the loop to stop."""
        import cv2

        cv2.imshow(self.title, check_view(packet))
        if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
            self.stop_requested = True

    def close(self) -> None:
        """Close the window."""
        import cv2

        if self._open:
            self._open = False
            cv2.destroyWindow(self.title)


class CallbackSink(Sink):
    """Hands each packet to a function (embedding the loop in an application)."""

    def __init__(self, fn: Callable[[Packet], object]) -> None:
        self.fn = fn

    def write(self, packet: Packet) -> None:
        """Call the function."""
        self.fn(packet)


class BeforeAfterSink(Sink):
    """Keeps the frame with the largest pixelated share, written on close.

    :meth:`close` writes it as an ``input | unpixel`` PNG (nothing when no frame came).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._best: tuple[float, np.ndarray, np.ndarray] | None = None

    def write(self, packet: Packet) -> None:
        """Remember the packet when it is the most pixelated so far."""
        check_view(packet)
        share = packet.pixelated_share
        if self._best is None or share > self._best[0]:
            self._best = (share, packet.frame.image, packet.result.image)

    def close(self) -> None:
        """Write the PNG."""
        from unpixel.io import write_image
        from unpixel.live.views import side_by_side

        best, self._best = self._best, None
        if best is not None:
            write_image(self.path, side_by_side(best[1], best[2]))
