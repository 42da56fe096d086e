"""Reconnecting a lost live source: the backoff policy and the state of one outage.

A camera that is unplugged, reset by its driver, or a network stream that drops, counts as
lost when a read fails or no frame came for ``stall_s``. With reconnect on, the live loop
closes the source, waits (0.5 s, 1 s, 2 s, ... up to 8 s between tries by default), and
reopens it in place (:meth:`unpixel.live.sources.Source.reopen`) until a frame comes again.
It gives up after ``attempts`` tries or ``max_wait_s`` seconds in one outage, whichever
comes first. The sinks stay open the whole time: the recording goes on after the gap.

Only live sources that can be reopened (cameras, ``/dev/videoN``, URLs, GStreamer
pipelines, picamera2) reconnect. Files, folders and the sample clip simply end.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from unpixel.live.sources import Frame
from unpixel.validate import check_int


@dataclass(frozen=True)
class ReconnectOptions:
    """When and how often the live loop tries to bring a lost source back.

    An outage ends when a frame comes again, so a source that reopens but gives no frame
    keeps using up the same attempts instead of looping forever.

    Attributes:
        attempts: reopen tries per outage before giving up (0: reconnect off).
        delay_s: wait before the first try.
        factor: each later wait is this many times the one before.
        max_delay_s: the longest wait between two tries.
        max_wait_s: give up when an outage has lasted this long, counting from the loss.

    """

    attempts: int = 10
    delay_s: float = 0.5
    factor: float = 2.0
    max_delay_s: float = 8.0
    max_wait_s: float = 60.0

    def __post_init__(self) -> None:
        check_int("attempts", self.attempts, type_error=TypeError)
        if self.attempts < 0:
            raise ValueError(f"attempts must be 0 (off) or more, got {self.attempts}")
        for name in ("delay_s", "max_delay_s", "max_wait_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if not (math.isfinite(self.factor) and self.factor >= 1):
            raise ValueError(f"factor must be at least 1, got {self.factor!r}")

    @property
    def enabled(self) -> bool:
        """True when lost sources are reopened (``attempts`` > 0)."""
        return self.attempts > 0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (1, 2, ...) of an outage."""
        return min(self.max_delay_s, self.delay_s * self.factor ** max(0, attempt - 1))


DEFAULT = ReconnectOptions()
"""The default: 10 attempts, 0.5 s doubling to 8 s between them, at most 60 s per outage."""
OFF = ReconnectOptions(attempts=0)
"""Reconnect off: a lost source ends the loop."""


class Outage:
    """One loss of the source, from the moment it was noticed until a frame came again."""

    def __init__(self, options: ReconnectOptions, cause: Exception) -> None:
        self.options = options
        self.cause = cause
        """The error that started the outage (the first loss, not the later failed tries)."""
        self.started = time.monotonic()
        self.attempts = 0
        """Reopen tries so far."""

    @property
    def elapsed_s(self) -> float:
        """Seconds since the loss was noticed."""
        return time.monotonic() - self.started

    def next_delay(self) -> float | None:
        """The wait before the next try, cut to the time left; None when it is time to give up."""
        left = self.options.max_wait_s - self.elapsed_s
        if self.attempts >= self.options.attempts or left <= 0:
            return None
        return min(self.options.delay(self.attempts + 1), left)

    def give_up_message(self) -> str:
        """What the loop's error and ``stop_reason`` say after the last try."""
        n = self.attempts
        return (
            f"{self.cause}; gave up after {n} reconnect attempt{'s' * (n != 1)} in "
            f"{self.elapsed_s:.1f} s"
        )


def fit_to(frame: Frame, shape: tuple[int, ...], lores_shape: tuple[int, ...] | None) -> Frame:
    """``frame`` resized to the size the stream had before a reconnect (and its lores too).

    A camera may come back in another mode than the one it had. The sinks (a video file
    above all) and VIDEO mode need one frame size for the whole run, so the new frames are
    scaled to the first size (the aspect ratio is not kept when it changed).
    """
    image, lores = frame.image, frame.lores
    if image.shape != shape:
        image = _resize(image, shape)
    if lores is not None and lores_shape is not None and lores.shape != lores_shape:
        lores = _resize(lores, lores_shape)
    if image is frame.image and lores is frame.lores:
        return frame
    return dataclasses.replace(frame, image=image, lores=lores)


def _resize(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    import cv2

    h, w = shape[:2]
    src_h, src_w = image.shape[:2]
    shrink = w * h < src_w * src_h
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
