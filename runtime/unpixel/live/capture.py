"""Live capture: a thread that keeps only the latest frame, and a real-time pacer.

:class:`LatestFrame` reads a live source on its own thread and holds one frame: a new frame
replaces one the loop has not taken yet (counted in ``dropped``), so a slow pipeline never
builds a backlog and the loop always works on the newest picture. :class:`PacedSource` turns
any source into a simulated camera that delivers frames at its nominal FPS in real time
(the benchmark's 30 FPS live source, ``unpixel live --realtime``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from unpixel.errors import SourceError
from unpixel.live.sources import Frame, Source

STALL_S = 5.0
"""A live source that gives no frame for this long counts as lost."""


class LatestFrame:
    """Read ``source`` on a background thread, keeping only the newest frame.

    Use :meth:`start`, then :meth:`take` in the loop; :meth:`stop` ends the thread (and closes
    nothing: the caller owns the source).
    """

    def __init__(self, source: Source, stall_s: float = STALL_S) -> None:
        self.source = source
        self.stall_s = stall_s
        self.captured = 0
        """Frames read from the source."""
        self.dropped = 0
        """Frames replaced by a newer one before the loop took them."""
        self._frame: Frame | None = None
        self._ended = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="unpixel-capture", daemon=True)

    def start(self) -> LatestFrame:
        """Start the capture thread."""
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                frame = self.source.read()
                with self._cond:
                    if frame is None:
                        self._ended = True
                    else:
                        self.captured += 1
                        self.dropped += self._frame is not None
                        self._frame = frame
                    self._cond.notify_all()
                if frame is None:
                    return
        except BaseException as exc:  # handed to the loop thread, which raises it
            with self._cond:
                self._error = exc
                self._cond.notify_all()

    def take(self, stopping: Callable[[], bool] | None = None) -> Frame | None:
        """The newest frame not yet taken (waiting for one), or None at the end of the stream.

        Raises the source's error, or :class:`SourceError` after ``stall_s`` without a frame.
        With ``stopping``, the wait checks it every 0.1 s and returns None once it is true
        (a stop asked for while a camera gives no frame ends the wait early).
        """
        deadline = time.monotonic() + self.stall_s
        with self._cond:
            while self._frame is None:
                if self._error is not None:
                    raise self._error
                if self._ended or (stopping is not None and stopping()):
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SourceError(f"lost {self.source.name!r}: no frame for {self.stall_s:g} s")
                self._cond.wait(left if stopping is None else min(left, 0.1))
            frame, self._frame = self._frame, None
            return frame

    @property
    def alive(self) -> bool:
        """True while the capture thread runs (a read blocked in a driver keeps it alive)."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to end and wait for it a little (a blocked read may outlive this)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


class PacedSource(Source):
    """A simulated camera: the frames of ``inner`` delivered in real time at ``fps``.

    Each :meth:`read` sleeps until the next frame is due (as a camera's blocking read does);
    a reader that falls behind skips nothing here: dropping is the :class:`LatestFrame`'s job.
    """

    live = True

    def __init__(self, inner: Source, fps: float | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.fps = float(fps or inner.fps)
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        self.name = f"{inner.name} @ {self.fps:g} FPS"
        self._next: float | None = None

    def _read_image(self) -> tuple[np.ndarray, np.ndarray | None] | None:
        frame = self.inner.read()
        if frame is None:
            return None
        now = time.perf_counter()
        self._next = now if self._next is None else self._next + 1.0 / self.fps
        if self._next > now:
            time.sleep(self._next - now)
        else:  # behind (a slow inner source): restart the clock, do not burst
            self._next = now
        return frame.image, frame.lores

    @property
    def can_reopen(self) -> bool:  # type: ignore[override]
        """As the inner source: a paced file or sample clip is not reopened."""
        return self.inner.can_reopen

    def reopen(self) -> None:
        """Reopen the inner source and restart the clock."""
        self.inner.reopen()
        self._next = None

    def close(self) -> None:
        """Close the inner source."""
        self.inner.close()
