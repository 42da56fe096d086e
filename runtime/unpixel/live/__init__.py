"""The live camera loop: sources -> processor -> sinks, in real time.

::

    from unpixel.live import LiveLoop, LiveOptions, PipelineProcessor, VideoFileSink, open_source

    source = open_source("sample")          # or "picamera2", 0, "/dev/video0", "rtsp://..."
    with PipelineProcessor.create() as processor:
        stats = LiveLoop(source, processor, [VideoFileSink("out/clean.mp4", source.fps)],
                         LiveOptions(overlay=True)).run()
    source.close()
    print(stats.to_dict())            # frames, FPS, dropped, latency p50/p95

picamera2 and the display are imported only when used.
"""

from __future__ import annotations

from unpixel.live.capture import LatestFrame, PacedSource
from unpixel.live.loop import LiveLoop, LiveOptions
from unpixel.live.mjpeg import MjpegSink
from unpixel.live.processors import DelayedProcessor, PipelineProcessor, Processor
from unpixel.live.sample import SampleClip, SampleSource
from unpixel.live.sinks import (
    BeforeAfterSink,
    CallbackSink,
    DisplaySink,
    FolderSink,
    Packet,
    Sink,
    VideoFileSink,
)
from unpixel.live.sources import (
    ArraySource,
    FolderSource,
    Frame,
    OpenCVSource,
    Source,
    open_source,
)
from unpixel.live.stats import FpsMeter, LoopStats

__all__ = [
    "ArraySource",
    "BeforeAfterSink",
    "CallbackSink",
    "DelayedProcessor",
    "DisplaySink",
    "FolderSink",
    "FolderSource",
    "FpsMeter",
    "Frame",
    "LatestFrame",
    "LiveLoop",
    "LiveOptions",
    "LoopStats",
    "MjpegSink",
    "OpenCVSource",
    "PacedSource",
    "Packet",
    "PipelineProcessor",
    "Processor",
    "SampleClip",
    "SampleSource",
    "Sink",
    "Source",
    "VideoFileSink",
    "open_source",
]
