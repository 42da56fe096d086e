"""Pipeline options (a frozen dataclass, validated on construction) and running modes."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unpixel.formats import format_for
from unpixel.validate import check_int


class RunningMode(enum.Enum):
    """How frames arrive (in the spirit of MediaPipe Tasks)."""

    IMAGE = "image"
    """Independent images: :meth:`Pipeline.process`."""
    VIDEO = "video"
    """Frames of one video in order: :meth:`Pipeline.process_for_video` may reuse the
    previous frame's detection while the mosaic grid still explains the frame."""
    LIVE_STREAM = "live_stream"
    """A live feed: :meth:`Pipeline.process_async` hands results to ``result_callback`` and
    drops frames that arrive while the previous one is still being processed."""


def default_models_dir() -> Path:
    """The shipped models: ``unpixel/models`` inside the package.

    A link to ``models/`` in a source checkout, a copy in a wheel.
    """
    return Path(__file__).resolve().parent / "models"


RESTORER_TIERS = ("fast", "quality")
"""The restorer tiers the shipped models come in: ``fast`` (the default; 16 filters) and
``quality`` (32 filters, about 3x the work per pixel, for a better restoration)."""

MAX_THREADS = 256
"""Most CPU threads a model may be given: LiteRT starts them all (10**6 never returned)."""


@dataclass(frozen=True)
class PipelineOptions:
    """What a :class:`~unpixel.pipeline.Pipeline` runs and how.

    Attributes:
        backend: "litert" or "onnx" (the ``onnx`` extra).
        precision: "fp32", "fp16" (LiteRT) or "int8".
        num_threads: CPU threads for each model (always passed to the backend), 1 to
            :data:`MAX_THREADS`.
        delegate: "cpu" (XNNPACK on LiteRT), "gpu" (LiteRT GPU delegate / ONNX Runtime
            CUDA or TensorRT), or a path to an external LiteRT delegate library.
        strict: raise instead of warning and falling back to CPU when the delegate is missing.
        models_dir: a folder with ``manifest.json`` (sha256 checked); default: shipped models.
        classifier: a classifier file to use instead of the manifest's (not hash-checked).
        restorers: scale -> restorer file, instead of the manifest's.
        restorer: the restorer tier the manifest's models are taken from, one of
            :data:`RESTORER_TIERS` ("fast" or "quality").
        threshold: tile score threshold; default: the one shipped with the classifier.
        running_mode: IMAGE, VIDEO or LIVE_STREAM.
        result_callback: LIVE_STREAM only: called as ``callback(result, frame, timestamp_ms)``.
        restore_tile: restorer tile size in low-resolution pixels (plus a halo each side).
        sweep: VIDEO and LIVE_STREAM only: classify a rotating 1/``sweep`` of the tiles each
            frame (plus every tile at or next to the last detection), so a mosaic that newly
            appears is found within ``sweep`` frames and a clean frame costs about
            1/``sweep`` of the classifier. 1 (default): every tile, every frame (VIDEO: but
            the tiles at or next to a reused detection, whose mosaic cells are checked).

    """

    backend: str = "litert"
    precision: str = "int8"
    num_threads: int = 2
    delegate: str = "cpu"
    strict: bool = False
    models_dir: Path | None = None
    classifier: Path | None = None
    restorers: dict[int, Path] = field(default_factory=dict)
    restorer: str = "fast"
    threshold: float | None = None
    running_mode: RunningMode = RunningMode.IMAGE
    result_callback: Callable[..., Any] | None = None
    restore_tile: int = 64
    sweep: int = 1

    def __post_init__(self) -> None:
        format_for(self.backend, self.precision)  # ValueError names the choices
        check_int("num_threads", self.num_threads, 1, MAX_THREADS)
        if not isinstance(self.delegate, str) or not self.delegate:
            raise ValueError("delegate must be 'cpu', 'gpu' or a path to a delegate library")
        if self.threshold is not None and not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if not isinstance(self.running_mode, RunningMode):
            raise ValueError(f"running_mode must be a RunningMode, got {self.running_mode!r}")
        live = self.running_mode is RunningMode.LIVE_STREAM
        if self.result_callback is not None and not callable(self.result_callback):
            raise TypeError(f"result_callback must be callable, got {self.result_callback!r}")
        if live and self.result_callback is None:
            raise ValueError("LIVE_STREAM mode needs a result_callback")
        if not live and self.result_callback is not None:
            raise ValueError("result_callback is only used in LIVE_STREAM mode")
        check_int("restore_tile", self.restore_tile, 16, 512)
        check_int("sweep", self.sweep, low=1, high=8)
        if self.sweep > 1 and self.running_mode is RunningMode.IMAGE:
            raise ValueError("sweep spreads detection over frames: use VIDEO or LIVE_STREAM")
        if self.restorer not in RESTORER_TIERS:
            raise ValueError(
                f"restorer must be one of {', '.join(RESTORER_TIERS)}, got {self.restorer!r}"
            )
        if not isinstance(self.restorers, dict):
            raise TypeError(f"restorers must be a dict of scale -> file, got {self.restorers!r}")
        for scale in self.restorers:
            if scale not in (2, 3, 4):
                raise ValueError(f"restorer scales are 2, 3 or 4, got {scale}")
