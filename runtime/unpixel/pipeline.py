"""The classify-then-restore pipeline: owns the models, calls the stages in the data's order.

frame -> tiles -> classify (:mod:`~unpixel.classifier`) -> regions and grids
(:mod:`~unpixel.regions`) -> mosaic cells and LR image (:mod:`~unpixel.cells`) -> restorer
(:mod:`~unpixel.restorer`) -> pasted into the mosaic cells only (:mod:`~unpixel.blend`).
Every other pixel comes out bit-for-bit unchanged. One frame's walk through the stages is
:class:`~unpixel.stages.FrameStages`; per-stream memory lives in
:class:`~unpixel.stream.StreamState`, LIVE_STREAM's thread in :mod:`~unpixel.dispatch`.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from functools import partial

import cv2
import numpy as np

from unpixel.classifier import Classifier
from unpixel.dispatch import Dispatcher
from unpixel.engines import open_engine
from unpixel.image import as_bgr
from unpixel.options import PipelineOptions, RunningMode
from unpixel.restorer import Restorer
from unpixel.results import Detection, Result
from unpixel.stages import FrameStages
from unpixel.stream import StreamState
from unpixel.validate import check_int
from unpixel.zoo import resolve


class Pipeline:
    """Detect and remove pixelation. Create with :meth:`create`; close or use ``with``.

    Thread-safe: one pipeline may be shared by several threads. Model invocations take turns
    (each engine holds a lock), VIDEO-mode frames are processed one at a time; for parallel
    throughput create one pipeline per thread. After :meth:`close`, calls raise ValueError.
    """

    def __init__(
        self, options: PipelineOptions, classifier: Classifier, restorer: Restorer
    ) -> None:
        self.options = options
        self.classifier = classifier
        self.restorer = restorer
        mode = options.running_mode
        self._stages = FrameStages(classifier, restorer)
        self._stream = StreamState(classifier, options.sweep, mode is RunningMode.VIDEO)
        self._video = threading.Lock()  # VIDEO mode: one frame at a time
        self._live = Dispatcher(self._live_frame)
        self._closed = False

    @classmethod
    def create(cls, options: PipelineOptions | None = None) -> Pipeline:
        """Load the models ``options`` name.

        Args:
            options: what to run and how; None: the shipped int8 LiteRT models, 2 threads.

        Returns:
            A ready pipeline (close it, or use it as a context manager).

        Raises:
            ModelError: a model file is missing, altered (sha256) or of the wrong shape.
            MissingExtraError: the backend's package is not installed.

        """
        options = options or PipelineOptions()
        files = resolve(options)
        kw = {"num_threads": options.num_threads, "delegate": options.delegate}
        kw["strict"] = options.strict
        classifier = Classifier(open_engine(files.classifier, files.format, **kw), files.threshold)
        engines = {s: open_engine(p, files.format, **kw) for s, p in files.restorers.items()}
        return cls(options, classifier, Restorer(engines, tile=options.restore_tile))

    @property
    def dropped(self) -> int:
        """LIVE_STREAM: frames dropped because the previous one was still being processed."""
        return self._live.dropped

    @property
    def error(self) -> BaseException | None:
        """LIVE_STREAM: the error of the last frame that failed (raised by the next call)."""
        return self._live.error

    def detect(self, frame: np.ndarray) -> Detection:
        """Whether ``frame`` is pixelated, and where (any running mode; keeps no state).

        Args:
            frame: HxWx3 BGR uint8 (or HxW / HxWx4, converted), at least 32x32.

        Returns:
            The :class:`~unpixel.results.Detection`: regions, grids, the mask of mosaic cells.

        Raises:
            ValueError: not an image array this accepts, or the pipeline is closed.

        """
        self._check_open()
        return self._stages.detect(as_bgr(frame), {})[0]

    def restore(self, frame: np.ndarray, detection: Detection) -> np.ndarray:
        """``frame`` with the mosaic cells of ``detection`` restored (any running mode).

        Each region with a grid is read one value a cell over its cell area, upscaled by its
        block size and pasted where ``detection.mask`` is True; nothing else changes.

        Args:
            frame: the frame ``detection`` describes (or any frame of its size: evaluations
                pass a detection made up from the truth).
            detection: from :meth:`detect`, or made up (its regions, grids and mask).

        Returns:
            A new HxWx3 BGR uint8 image.

        Raises:
            ValueError: ``frame`` is not an image, its size differs from the mask's, the
                mask is not bool, a grid's block is not a whole number from 2 to the
                frame's longer side, or the pipeline is closed.
            TypeError: ``detection`` is not a :class:`~unpixel.results.Detection`.

        """
        self._check_open()
        frame = as_bgr(frame)
        check_detection(detection, frame.shape)
        return self._stages.restore(frame, detection)

    # -- running modes ---------------------------------------------------------------------

    def process(self, frame: np.ndarray) -> Result:
        """Detect and restore one image (IMAGE mode).

        Args:
            frame: HxWx3 BGR uint8 (or HxW / HxWx4, converted), at least 32x32.

        Returns:
            The :class:`~unpixel.results.Result`: image, detection, per-stage timings.

        Raises:
            ValueError: another running mode, a bad frame, or the pipeline is closed.

        """
        self._require(RunningMode.IMAGE)
        return self._stages.process(as_bgr(frame))

    def process_for_video(self, frame: np.ndarray, timestamp_ms: int) -> Result:
        """Process the next frame of a video (VIDEO mode).

        The previous frame's detection is reused while its grid still explains this frame
        (at least 90% of its mosaic cells are still flat); otherwise detection runs again.
        While reusing, the tiles away from the detection are still classified (with ``sweep``
        > 1 only this frame's share of the tile lattice), and a flagged one (a new mosaic
        elsewhere) ends the reuse.

        Args:
            frame: as for :meth:`process`.
            timestamp_ms: the frame's time; must increase from frame to frame.

        Returns:
            As :meth:`process`; ``timings["reused_detection"]`` is 1.0 when reused.

        Raises:
            ValueError: another running mode, a bad frame or timestamp, or closed.

        """
        self._require(RunningMode.VIDEO)
        frame = as_bgr(frame)
        state = self._stream
        with self._video:
            state.check_timestamp(timestamp_ms)
            reused = self._reuse(frame) if state.settled else None
            done, tiles = None, None
            if reused is not None and state.scores is not None:
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                found, tiles, done = state.mosaic_away(rgb)
                if found:
                    reused = None
            scorer = partial(state.classify, done=done)
            result = self._stages.process(frame, scorer, reused)
            if tiles is not None:
                result.timings["tiles"] = result.timings.get("tiles", 0.0) + tiles
            if reused is not None:
                result.timings["reused_detection"] = 1.0
            det = result.detection
            state.previous = (det, frame) if det.pixelated else None
        return result

    def _reuse(self, frame: np.ndarray) -> tuple[Detection, list] | None:
        """The previous detection with this frame's mosaic cells, if its grid still fits."""
        det = self._stream.reusable(frame)
        if det is None:
            return None
        mask, lrs = self._stages.cells(frame, det)
        if not self._stream.still_fits(det, mask):
            return None
        return replace(det, mask=mask), lrs

    def process_async(self, frame: np.ndarray, timestamp_ms: int) -> bool:
        """LIVE_STREAM: start processing ``frame`` unless busy; the result goes to the callback.

        Args:
            frame: as for :meth:`process` (copied before this returns).
            timestamp_ms: the frame's time; must increase from call to call.

        Returns:
            False when the frame was dropped because the previous one is still running.

        Raises:
            RuntimeError: the previous frame failed (its exception is the cause).
            ValueError: another running mode, a bad frame or timestamp, or closed.

        """
        self._require(RunningMode.LIVE_STREAM)
        error = self._live.take_error()
        if error is not None:
            raise RuntimeError(f"the previous frame failed: {error}") from error
        self._stream.check_timestamp(timestamp_ms)
        return self._live.submit(as_bgr(frame).copy(), timestamp_ms)

    def _live_frame(self, frame: np.ndarray, timestamp_ms: int) -> None:
        """The dispatcher's job: process one frame and hand the result to the callback."""
        result = self._stages.process(frame, self._stream.classify)
        callback = self.options.result_callback
        assert callback is not None
        callback(result, frame, timestamp_ms)

    def _require(self, mode: RunningMode) -> None:
        self._check_open()
        if self.options.running_mode is not mode:
            raise ValueError(
                f"this pipeline runs in {self.options.running_mode.name} mode; "
                f"create it with running_mode=RunningMode.{mode.name}"
            )

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("this pipeline is closed")

    def close(self) -> None:
        """Wait for a running LIVE_STREAM frame, then release the models."""
        self._closed = True
        self._live.close()
        self._stages.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_detection(detection: Detection, shape: tuple[int, ...]) -> None:
    """Refuse a detection :meth:`Pipeline.restore` cannot apply to a frame of ``shape``.

    A made-up detection (evaluations build them from the truth) must hold a bool mask of the
    frame's size and grids whose block is a whole number from 2 to the frame's longer side
    (a larger one would upscale a single cell past the frame).

    Raises:
        TypeError: not a Detection.
        ValueError: a mask or a grid as above.

    """
    if not isinstance(detection, Detection):
        raise TypeError(f"detection must be a Detection, got {type(detection).__name__}")
    mask = detection.mask
    if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != shape[:2]:
        what = f"{mask.dtype} {mask.shape}" if isinstance(mask, np.ndarray) else repr(mask)
        raise ValueError(f"the detection's mask must be bool {shape[:2]}, got {what:.60}")
    for region in detection.regions:
        if region.grid is not None:
            check_int("a region's grid block", region.grid.block, 2, max(shape[:2]), numpy=True)
