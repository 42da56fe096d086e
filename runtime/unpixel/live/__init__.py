"""The live camera loop: sources -> processor -> sinks, in real time.

::

    from unpixel.live import LiveLoop, LiveOptions, PipelineProcessor, VideoFileSink, open_source

    source = open_source("sample")          # or "picamera2", 0, "/dev/video0", "rtsp://..."
    with PipelineProcessor.create() as processor:
        stats = LiveLoop(source, processor, [VideoFileSink("out/clean.mp4", source.fps)],
                         LiveOptions(overlay=True)).run()
    source.close()
    print(stats.to_dict())            # frames, FPS, dropped, latency p50/p95

Names are imported on first use; picamera2 and the display only when opened.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "LatestFrame": "capture", "PacedSource": "capture",
    "LiveLoop": "loop", "LiveOptions": "loop",
    "MjpegSink": "mjpeg",
    "DelayedProcessor": "processors", "PipelineProcessor": "processors", "Processor": "processors",
    "ReconnectOptions": "reconnect",
    "SampleClip": "sample", "SampleSource": "sample",
    "BeforeAfterSink": "sinks", "CallbackSink": "sinks", "DisplaySink": "sinks",
    "FolderSink": "sinks", "Packet": "sinks", "Sink": "sinks", "VideoFileSink": "sinks",
    "ArraySource": "sources", "FolderSource": "sources", "Frame": "sources",
    "OpenCVSource": "sources", "Source": "sources", "VideoFileSource": "sources",
    "open_source": "opening",
    "FpsMeter": "stats", "LoopStats": "stats",
}  # fmt: skip
"""Public name -> its module: imported on first use, so ``import unpixel.live`` stays light."""

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'unpixel.live' has no attribute {name!r}") from None
    return getattr(importlib.import_module(f"unpixel.live.{module}"), name)


def __dir__() -> list[str]:
    return __all__
