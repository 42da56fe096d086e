"""The real-time loop: source -> processor -> view -> sinks, with stats and a clean stop.

Live sources (cameras, streams, a paced clip) are read on a capture thread that keeps only
the newest frame, so a slower pipeline drops frames (counted) instead of building a backlog:
latency stays bounded by about one frame interval plus the processing time. Files, folders
and the sample clip are processed frame by frame, every one in order.

Every way of stopping (end of stream, ``max_frames``, Ctrl-C, SIGTERM, a lost camera, a
window's q key, :meth:`LiveLoop.stop`) goes through the same ``finally``: each sink is closed,
so a video file is finalised and playable with every processed frame in it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from unpixel.errors import SourceError
from unpixel.interrupt import StopRequest, stop_on_signals
from unpixel.live.capture import STALL_S, LatestFrame
from unpixel.live.processors import Processor
from unpixel.live.sinks import Packet, Sink
from unpixel.live.sources import Frame, Source
from unpixel.live.stats import FpsMeter, LoopStats
from unpixel.live.views import overlay, side_by_side


@dataclass(frozen=True)
class LiveOptions:
    """How the loop runs (validated on construction).

    Attributes:
        max_frames: stop after this many processed frames (None: until the stream ends).
        overlay: draw FPS, latency and the pixelated share on the view.
        side_by_side: show ``input | unpixel`` instead of the cleaned frame alone.
        handle_signals: turn SIGINT/SIGTERM into a clean stop (main thread only; a second
            Ctrl-C interrupts at once).
        stall_s: a live source with no frame for this long counts as lost.

    """

    max_frames: int | None = None
    overlay: bool = False
    side_by_side: bool = False
    handle_signals: bool = True
    stall_s: float = STALL_S

    def __post_init__(self) -> None:
        if self.max_frames is not None and (
            isinstance(self.max_frames, bool) or not isinstance(self.max_frames, int)
            or self.max_frames < 1
        ):  # fmt: skip
            raise ValueError(f"max_frames must be a positive integer, got {self.max_frames!r}")
        if not self.stall_s > 0:
            raise ValueError(f"stall_s must be positive, got {self.stall_s}")


class LiveLoop:
    """Run ``processor`` on the frames of ``source`` and hand the results to ``sinks``.

    The loop owns nothing it is given: the caller closes the source and the processor. It
    closes the sinks, since finalising them is part of every stop.
    """

    def __init__(self, source: Source, processor: Processor, sinks: Sequence[Sink] = (),
                 options: LiveOptions | None = None) -> None:  # fmt: skip
        self.source, self.processor, self.sinks = source, processor, list(sinks)
        self.options = options or LiveOptions()
        self.stats = LoopStats(source=source.name, live=source.live)
        self._stop_reason: str | None = None
        self._grabber: LatestFrame | None = None
        self.interrupt = StopRequest()
        """Set when SIGINT/SIGTERM stopped the loop (``interrupt.exit_code``: 128 + signal)."""
        self.error: SourceError | None = None
        """The source's error when the loop stopped because the source failed."""

    def stop(self, reason: str = "stopped") -> None:
        """Ask the loop to stop after the current frame (thread- and signal-safe)."""
        self._stop_reason = self._stop_reason or reason

    def run(self) -> LoopStats:
        """Run until the stream ends or a stop; return the statistics.

        A failing source ends the loop cleanly (``stats.stop_reason`` says so and
        :attr:`error` holds the error); any other error is raised after the sinks are closed.
        """
        opts = self.options
        grabber = LatestFrame(self.source, opts.stall_s).start() if self.source.live else None
        self._grabber = grabber
        meter = FpsMeter()
        t0 = time.perf_counter()
        try:
            signals = stop_on_signals() if opts.handle_signals else nullcontext(self.interrupt)
            with signals as self.interrupt:
                for frame in self._frames(grabber):
                    self._one(frame, meter)
                    if any(s.stop_requested for s in self.sinks):
                        self.stop("a sink asked to stop")
        except SourceError as exc:
            self.error = exc
            self.stats.stop_reason = f"source lost: {exc}"
        except BaseException:
            self._finish(grabber, t0, raise_errors=False)
            raise
        self._finish(grabber, t0, raise_errors=True)
        return self.stats

    def _finish(self, grabber: LatestFrame | None, t0: float, raise_errors: bool) -> None:
        stats = self.stats
        stats.elapsed_s = time.perf_counter() - t0
        if grabber is not None:
            grabber.stop()
            stats.captured = grabber.captured
            stats.dropped = grabber.captured - stats.frames
        else:
            stats.captured = stats.frames
        self._close_sinks(raise_errors)

    def _frames(self, grabber: LatestFrame | None) -> Iterator[Frame]:
        limit = self.options.max_frames
        while True:
            if self.interrupt:
                self._stop_reason = f"interrupted ({self.interrupt.name})"
            if self._stop_reason is not None:
                self.stats.stop_reason = self._stop_reason
                return
            if limit is not None and self.stats.frames >= limit:
                self.stats.stop_reason = "max frames"
                return
            frame = grabber.take() if grabber is not None else self.source.read()
            if frame is None:
                self.stats.stop_reason = "end of stream"
                return
            yield frame

    def _one(self, frame: Frame, meter: FpsMeter) -> None:
        stats, opts = self.stats, self.options
        result = self.processor(frame)
        latency = (time.perf_counter() - frame.captured_at) * 1e3
        fps = meter.tick()
        view = result.image
        if opts.side_by_side:
            view = side_by_side(frame.image, result.image)
        if opts.overlay:
            view = view.copy() if view is result.image else view
            dropped = self._grabber.dropped if self._grabber is not None else 0
            overlay(view, fps, latency, float(result.detection.mask.mean()), dropped)
        packet = Packet(frame, result, view, fps, latency)
        for sink in self.sinks:
            sink.write(packet)
        stats.frames += 1
        stats.size = (frame.image.shape[1], frame.image.shape[0])
        stats.pixelated_frames += bool(result.detection.pixelated)
        stats.process_ms.append(float(result.timings.get("total", 0.0)))
        stats.latency_ms.append((time.perf_counter() - frame.captured_at) * 1e3)

    def _close_sinks(self, raise_errors: bool) -> None:
        """Close every sink; the first failure is raised after all were tried."""
        first: BaseException | None = None
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:  # finalise the others before reporting it
                first = first or exc
        if first is not None and raise_errors:
            raise first
