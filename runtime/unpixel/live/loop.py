"""The real-time loop: source -> processor -> view -> sinks, with stats and a clean stop.

Live sources (cameras, streams, a paced clip) are read on a capture thread that keeps only
the newest frame, so a slower pipeline drops frames (counted) instead of building a backlog:
latency stays bounded by about one frame interval plus the processing time. Files, folders
and the sample clip are processed frame by frame, every one in order.

A live source that is lost (a failed read, or no frame for ``stall_s``) is closed and
reopened with backoff (:mod:`unpixel.live.reconnect`; on by default for cameras and streams,
``LiveOptions(reconnect=OFF)`` turns it off): the sinks stay open, and the frames after the
gap go on into the same outputs, scaled to the first size if the camera came back in another.

Every way of stopping (end of stream, ``max_frames``, Ctrl-C, SIGTERM, a lost camera that did
not come back, a window's q key, :meth:`LiveLoop.stop`) goes through the same ``finally``: each
sink is closed, so a video file is finalised and playable with every processed frame in it.
A stop during a reconnect's wait is seen within 20 ms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from unpixel.errors import SinkError, SourceError
from unpixel.interrupt import StopRequest, stop_on_signals
from unpixel.live.capture import STALL_S, LatestFrame
from unpixel.live.processors import Processor
from unpixel.live.reconnect import DEFAULT as DEFAULT_RECONNECT
from unpixel.live.reconnect import Outage, ReconnectOptions, fit_to
from unpixel.live.sinks import Packet, Sink
from unpixel.live.sources import Frame, Source
from unpixel.live.stats import FpsMeter, LoopStats
from unpixel.live.views import overlay, side_by_side

log = logging.getLogger(__name__)

POLL_S = 0.02
"""How often a reconnect's wait looks for a stop (Ctrl-C, SIGTERM, :meth:`LiveLoop.stop`)."""
RELEASE_S = 2.0
"""How long a lost source's blocked read gets to return before the source is closed."""


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
        reconnect: how a lost live source is reopened (attempts, backoff, total wait);
            ``ReconnectOptions(attempts=0)`` ends the loop at the first loss. Sources that
            cannot be reopened (files, folders, the sample clip) are never reconnected.

    """

    max_frames: int | None = None
    overlay: bool = False
    side_by_side: bool = False
    handle_signals: bool = True
    stall_s: float = STALL_S
    reconnect: ReconnectOptions = DEFAULT_RECONNECT

    def __post_init__(self) -> None:
        if self.max_frames is not None and (
            isinstance(self.max_frames, bool)
            or not isinstance(self.max_frames, int)
            or self.max_frames < 1
        ):
            raise ValueError(f"max_frames must be a positive integer, got {self.max_frames!r}")
        if not self.stall_s > 0:
            raise ValueError(f"stall_s must be positive, got {self.stall_s}")
        if not isinstance(self.reconnect, ReconnectOptions):
            raise TypeError(f"reconnect must be ReconnectOptions, got {self.reconnect!r}")


class LiveLoop:
    """Run ``processor`` on the frames of ``source`` and hand the results to ``sinks``.

    The loop owns nothing it is given: the caller closes the source and the processor. It
    closes the sinks, since finalising them is part of every stop. A reconnect reopens the
    source in place, so the caller's object stays the one to close.
    """

    def __init__(
        self,
        source: Source,
        processor: Processor,
        sinks: Sequence[Sink] = (),
        options: LiveOptions | None = None,
    ) -> None:
        self.source, self.processor, self.sinks = source, processor, list(sinks)
        self.options = options or LiveOptions()
        self.stats = LoopStats(source=source.name, live=source.live)
        self._stop_reason: str | None = None
        self._grabber: LatestFrame | None = None
        self._earlier = (0, 0)  # (captured, dropped) by the capture threads of lost connections
        self._outage: Outage | None = None
        self._shapes: tuple[tuple[int, ...], tuple[int, ...] | None] | None = None
        self._resized_after = 0  # the reconnect whose new frame size was last reported
        self.interrupt = StopRequest()
        """Set when SIGINT/SIGTERM stopped the loop (``interrupt.exit_code``: 128 + signal)."""
        self.error: SourceError | SinkError | None = None
        """Why the loop stopped when the source failed for good, or an output failed (a full
        disk: the video is finalised with the frames written before, the message says how
        many); the other sinks are closed all the same."""

    def stop(self, reason: str = "stopped") -> None:
        """Ask the loop to stop after the current frame (thread- and signal-safe)."""
        self._stop_reason = self._stop_reason or reason

    def _stopping(self) -> bool:
        return bool(self.interrupt) or self._stop_reason is not None

    def run(self) -> LoopStats:
        """Run until the stream ends or a stop; return the statistics.

        A failing source that does not come back, or a sink that fails with
        :class:`SinkError` (a full disk), ends the loop cleanly (``stats.stop_reason`` says
        so and :attr:`error` holds the error); any other error is raised after the sinks are
        closed.
        """
        opts = self.options
        self._grabber = LatestFrame(self.source, opts.stall_s).start() if self.source.live else None
        meter = FpsMeter()
        t0 = time.perf_counter()
        try:
            signals = stop_on_signals() if opts.handle_signals else nullcontext(self.interrupt)
            with signals as self.interrupt:
                for frame in self._frames():
                    self._one(frame, meter)
                    if any(s.stop_requested for s in self.sinks):
                        self.stop("a sink asked to stop")
        except SourceError as exc:
            self.error = exc
            self.stats.stop_reason = f"source lost: {exc}"
        except SinkError as exc:  # e.g. a full disk: stop, finalise, report (no traceback)
            self.error = exc
            self.stats.stop_reason = f"output failed: {exc}"
        except BaseException:
            self._finish(t0, raise_errors=False)
            raise
        self._finish(t0, raise_errors=True)
        return self.stats

    def _finish(self, t0: float, raise_errors: bool) -> None:
        stats = self.stats
        stats.elapsed_s = time.perf_counter() - t0
        if self.source.live:
            self._retire_grabber()
            stats.captured = self._earlier[0]
            stats.dropped = stats.captured - stats.frames
        else:
            stats.captured = stats.frames
        if self._outage is not None:  # ended while the source was away
            stats.offline_s += self._outage.elapsed_s
            self._outage = None
        self._close_sinks(raise_errors)

    def _retire_grabber(self, timeout: float = 2.0) -> LatestFrame | None:
        """Stop the capture thread; its counts go to the totals."""
        grabber, self._grabber = self._grabber, None
        if grabber is not None:
            grabber.stop(timeout)
            self._earlier = (
                self._earlier[0] + grabber.captured,
                self._earlier[1] + grabber.dropped,
            )
        return grabber

    @property
    def dropped(self) -> int:
        """Frames a newer one replaced before the loop took them, over every connection."""
        return self._earlier[1] + (self._grabber.dropped if self._grabber is not None else 0)

    def _frames(self) -> Iterator[Frame]:
        limit = self.options.max_frames
        while True:
            if self.interrupt:
                self._stop_reason = f"interrupted ({self.interrupt.name})"
            if self._stop_reason is not None:
                during = " while reconnecting" if self._outage is not None else ""
                self.stats.stop_reason = self._stop_reason + during
                return
            if limit is not None and self.stats.frames >= limit:
                self.stats.stop_reason = "max frames"
                return
            grabber = self._grabber
            try:
                frame = grabber.take(self._stopping) if grabber else self.source.read()
            except SourceError as exc:
                self._recover(exc)  # returns reconnected or stopping; raises on giving up
                continue
            if frame is None:
                if self._stopping():
                    continue
                self.stats.stop_reason = "end of stream"
                return
            if self._outage is not None:
                self._back_online()
            yield self._fit(frame)

    def _recover(self, exc: SourceError) -> None:
        """Close the lost source and reopen it with backoff, until it opens or a stop comes.

        Raises ``exc`` when reconnect is off or the source cannot be reopened, and a
        :class:`SourceError` that counts the attempts when the outage outlasts them.
        """
        policy, source = self.options.reconnect, self.source
        if not (policy.enabled and source.live and source.can_reopen):
            raise exc
        outage = self._outage
        if outage is None:
            outage = self._outage = Outage(policy, exc)
            log.warning(
                "%s; reconnecting (up to %d attempts in %g s)",
                exc,
                policy.attempts,
                policy.max_wait_s,
            )
        else:
            log.warning("%r gave no frame after reopening: %s", source.name, exc)
        self._release()
        try:
            source.close()
        except Exception as err:  # a device that vanished may fail to close; reopen anyway
            log.warning("closing lost %r failed: %s", source.name, err)
        while (delay := outage.next_delay()) is not None:
            log.warning(
                "reconnecting to %r in %.2g s (attempt %d of %d)",
                source.name,
                delay,
                outage.attempts + 1,
                policy.attempts,
            )
            if not self._sleep(delay):
                return  # stopping: _frames reports it, run() finalises the sinks
            outage.attempts += 1
            self.stats.reconnect_attempts += 1
            try:
                source.reopen()
            except (SourceError, OSError) as err:
                log.warning("attempt %d to reopen %r failed: %s", outage.attempts, source.name, err)
                continue
            self._grabber = LatestFrame(source, self.options.stall_s).start()
            return
        raise SourceError(outage.give_up_message()) from exc

    def _release(self) -> None:
        """End the lost connection's capture thread before its source is closed.

        Closing a capture while a read is inside it is unsafe for some drivers, so a read
        blocked in its driver (V4L2 gives up after 10 s) gets up to ``RELEASE_S`` to return.
        """
        grabber = self._grabber
        if grabber is None:
            return
        grabber.stop(0)
        deadline = time.monotonic() + RELEASE_S
        while grabber.alive and time.monotonic() < deadline and not self._stopping():
            time.sleep(POLL_S)
        if grabber.alive:
            log.warning(
                "a read of %r is still blocked in its driver; closing it anyway", self.source.name
            )
        self._retire_grabber(timeout=0)

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` in short naps; False as soon as a stop is asked for."""
        deadline = time.monotonic() + seconds
        while not self._stopping():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, POLL_S))
        return False

    def _back_online(self) -> None:
        outage, self._outage = self._outage, None
        assert outage is not None
        self.stats.reconnects += 1
        self.stats.offline_s += outage.elapsed_s
        log.info(
            "reconnected to %r after %d attempt%s, %.1f s without frames",
            self.source.name,
            outage.attempts,
            "s" * (outage.attempts != 1),
            outage.elapsed_s,
        )

    def _fit(self, frame: Frame) -> Frame:
        """After a reconnect, frames of another size are scaled to the first frame's size."""
        if self._shapes is None:
            self._shapes = (frame.image.shape, None if frame.lores is None else frame.lores.shape)
            return frame
        if not self.stats.reconnects:
            return frame
        fitted = fit_to(frame, *self._shapes)
        if fitted is not frame and self._resized_after != self.stats.reconnects:
            self._resized_after = self.stats.reconnects
            h, w = frame.image.shape[:2]
            log.warning(
                "%r came back at %dx%d; its frames are scaled to %dx%d, the size the "
                "outputs were opened with",
                self.source.name,
                w,
                h,
                self._shapes[0][1],
                self._shapes[0][0],
            )
        return fitted

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
            overlay(view, fps, latency, float(result.detection.mask.mean()), self.dropped)
        packet = Packet(frame, result, view, fps, latency)
        for sink in self.sinks:
            sink.write(packet)
        stats.frames += 1
        stats.size = (frame.image.shape[1], frame.image.shape[0])
        stats.pixelated_frames += bool(result.detection.pixelated)
        stats.process_ms.append(float(result.timings.get("total", 0.0)))
        stats.latency_ms.append((time.perf_counter() - frame.captured_at) * 1e3)

    def _close_sinks(self, raise_errors: bool) -> None:
        """Close every sink; the first failure is raised after all were tried.

        After an output failed (:attr:`error` is a :class:`SinkError`, say a full disk) the
        others' failures to close are logged instead: the run's error is already that one.
        """
        first: BaseException | None = None
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:  # finalise the others before reporting it
                first = first or exc
                if isinstance(self.error, SinkError):
                    log.warning("closing %s failed too: %s", type(sink).__name__, exc)
        if first is not None and raise_errors and not isinstance(self.error, SinkError):
            raise first
