"""Measures of the live loop: an FPS meter and the run's statistics (latency percentiles)."""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class FpsMeter:
    """Frames per second over a sliding window of the last ``window_s`` seconds."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: collections.deque[float] = collections.deque()

    def tick(self, now: float | None = None) -> float:
        """Count one frame (at ``now``, default: the clock) and return the current FPS."""
        now = time.perf_counter() if now is None else now
        self._times.append(now)
        while now - self._times[0] > self.window_s and len(self._times) > 2:
            self._times.popleft()
        return self.fps

    @property
    def fps(self) -> float:
        """Frames per second in the window (0 until two frames were counted)."""
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values``, None when empty."""
    return float(np.percentile(values, q)) if values else None


@dataclass
class LoopStats:
    """What a run of the live loop did.

    Latency is from capture (the source's read) to the moment every sink had the frame;
    ``process_ms`` is the pipeline's own time per frame. ``reconnects`` counts the times a
    lost live source came back (gave a frame again), ``reconnect_attempts`` every reopen
    tried, ``offline_s`` the time from each loss being noticed to the next frame (or the end).
    """

    source: str = ""
    live: bool = False
    captured: int = 0
    frames: int = 0
    dropped: int = 0
    pixelated_frames: int = 0
    elapsed_s: float = 0.0
    stop_reason: str = ""
    latency_ms: list[float] = field(default_factory=list)
    process_ms: list[float] = field(default_factory=list)
    size: tuple[int, int] | None = None
    reconnects: int = 0
    reconnect_attempts: int = 0
    offline_s: float = 0.0

    @property
    def fps(self) -> float:
        """Processed frames per second of wall time."""
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: counts, FPS, latency and pipeline time p50/p95 (ms)."""

        def ms(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {
            "source": self.source,
            "live": self.live,
            "size": list(self.size) if self.size else None,
            "frames": self.frames,
            "captured": self.captured,
            "dropped": self.dropped,
            "pixelated_frames": self.pixelated_frames,
            "elapsed_s": round(self.elapsed_s, 3),
            "fps": round(self.fps, 2),
            "latency_ms": {
                "p50": ms(percentile(self.latency_ms, 50)),
                "p95": ms(percentile(self.latency_ms, 95)),
                "max": ms(max(self.latency_ms, default=None)),
            },
            "process_ms": {
                "p50": ms(percentile(self.process_ms, 50)),
                "p95": ms(percentile(self.process_ms, 95)),
            },
            "reconnects": self.reconnects,
            "reconnect_attempts": self.reconnect_attempts,
            "offline_s": round(self.offline_s, 3),
            "stop_reason": self.stop_reason,
        }
