"""Processors: what the live loop does to each frame.

A processor is a callable ``processor(frame) -> Result``; :class:`PipelineProcessor` runs a
:class:`~unpixel.Pipeline`.

VIDEO mode (the default) processes frames in order and reuses the previous frame's detection
while the mosaic grid still explains the frame. LIVE_STREAM mode goes through the pipeline's
``process_async`` and its result callback (the loop's capture thread has already chosen the
newest frame, so the pipeline never has to drop one). With a lores stream (picamera2), the
optional lores gate runs detection on the small picture first and passes frames it finds clean
straight through; it saves the full-size classification on clean scenes but can miss mosaics
too fine to survive the downscale (blocks below about twice the scale factor).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from unpixel.live.sources import Frame
from unpixel.options import PipelineOptions, RunningMode
from unpixel.results import Detection, Result

if TYPE_CHECKING:
    from unpixel.pipeline import Pipeline

RESULT_TIMEOUT_S = 60.0
"""LIVE_STREAM: the longest wait for one frame's result before the loop gives up."""


class Processor(Protocol):
    """Anything that turns a captured frame into a :class:`~unpixel.results.Result`."""

    def __call__(self, frame: Frame) -> Result:
        """Process one frame."""
        ...


class _ResultSlot:
    """The LIVE_STREAM result callback: hands one result back to the waiting loop."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._result: Result | None = None

    def __call__(self, result: Result, frame: np.ndarray, timestamp_ms: int) -> None:
        self._result = result
        self._event.set()

    def wait(self, pipeline: Pipeline) -> Result:
        # A frame that fails never reaches the callback: watch the pipeline's error too
        # instead of waiting out the whole timeout.
        deadline = time.monotonic() + RESULT_TIMEOUT_S
        while not self._event.wait(0.05):
            error = pipeline.error
            if error is not None and not self._event.is_set():
                raise RuntimeError(f"the pipeline failed on this frame: {error}") from error
            if time.monotonic() > deadline:
                raise TimeoutError(f"no result from the pipeline in {RESULT_TIMEOUT_S:g} s")
        self._event.clear()
        result, self._result = self._result, None
        assert result is not None
        return result


class PipelineProcessor:
    """Run each frame through a pipeline, in the pipeline's running mode.

    Build with :meth:`create` or :meth:`for_mode` (they set the LIVE_STREAM callback);
    :meth:`close` (or ``with``) releases the models.
    """

    def __init__(
        self, pipeline: Pipeline, *, lores_gate: bool = False, slot: _ResultSlot | None = None
    ) -> None:
        self.pipeline = pipeline
        self.mode = pipeline.options.running_mode
        if self.mode is RunningMode.LIVE_STREAM and slot is None:
            raise ValueError("create LIVE_STREAM processors with PipelineProcessor.create")
        self.lores_gate = lores_gate
        self._slot = slot
        self._last_ts = -1
        self.gated = 0
        """Frames the lores gate passed through unprocessed."""

    @classmethod
    def create(
        cls,
        options: PipelineOptions | None = None,
        *,
        mode: RunningMode | None = None,
        lores_gate: bool = False,
    ) -> PipelineProcessor:
        """Load a pipeline (default: shipped models) and wrap it.

        ``mode`` (default: the options' mode, VIDEO when no options are given) may be
        LIVE_STREAM: the processor then sets the pipeline's result callback itself.
        """
        from unpixel.pipeline import Pipeline

        opts = options or PipelineOptions(running_mode=RunningMode.VIDEO)
        return cls.for_mode(
            mode or opts.running_mode,
            lambda **kw: Pipeline.create(replace(opts, **kw)),
            lores_gate=lores_gate,
        )

    @classmethod
    def for_mode(
        cls, mode: RunningMode, make: Callable[..., Pipeline], *, lores_gate: bool = False
    ) -> PipelineProcessor:
        """Wrap ``make(running_mode=..., [result_callback=...])``, a pipeline factory."""
        slot = _ResultSlot() if mode is RunningMode.LIVE_STREAM else None
        kw: dict[str, Any] = {"running_mode": mode}
        if slot is not None:
            kw["result_callback"] = slot
        return cls(make(**kw), lores_gate=lores_gate, slot=slot)

    def __call__(self, frame: Frame) -> Result:
        """Process ``frame`` (timestamps are made strictly increasing for the pipeline)."""
        if self.lores_gate and frame.lores is not None:
            passed = self._gate(frame)
            if passed is not None:
                return passed
        ts = self._last_ts = max(frame.timestamp_ms, self._last_ts + 1)
        if self.mode is RunningMode.VIDEO:
            return self.pipeline.process_for_video(frame.image, ts)
        if self.mode is RunningMode.IMAGE:
            return self.pipeline.process(frame.image)
        assert self._slot is not None
        if not self.pipeline.process_async(frame.image, ts):  # pragma: no cover - we wait
            raise RuntimeError("the pipeline dropped a frame while idle")
        return self._slot.wait(self.pipeline)

    def _gate(self, frame: Frame) -> Result | None:
        t0 = time.perf_counter()
        det = self.pipeline.detect(frame.lores)
        if det.regions:  # any flagged tile: the downscale may have blurred the grid away
            return None
        self.gated += 1
        ms = (time.perf_counter() - t0) * 1e3
        clean = replace(clean_detection(frame.image.shape), score=det.score)
        return Result(
            frame.image, clean, {"classify": ms, "restore": 0.0, "total": ms, "lores_gate": 1.0}
        )

    def close(self) -> None:
        """Release the pipeline."""
        self.pipeline.close()

    def __enter__(self) -> PipelineProcessor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DelayedProcessor:
    """Another processor plus a fixed extra time per frame: a slower pipeline on demand.

    The latency benchmark's stand-in for a slower device.
    """

    def __init__(self, inner: Any, extra_ms: float) -> None:
        self.inner, self.extra_ms = inner, extra_ms

    def __call__(self, frame: Frame) -> Result:
        """Process with ``inner``, then wait ``extra_ms`` (counted in ``timings['total']``)."""
        result = self.inner(frame)
        time.sleep(self.extra_ms / 1e3)
        result.timings["total"] = result.timings.get("total", 0.0) + self.extra_ms
        return result


def clean_detection(shape: tuple[int, ...]) -> Detection:
    """A 'nothing found' detection for a frame of ``shape`` (stand-in processors, tests)."""
    return Detection(False, 0.0, None, np.zeros(shape[:2], bool))
