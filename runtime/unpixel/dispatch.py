"""LIVE_STREAM's dispatcher: one long-lived thread that runs one frame at a time.

A frame handed in while the previous one still runs is dropped, not queued: a live feed wants
the newest frame, not a backlog. A frame's exception is kept and handed to the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

Job = Callable[[np.ndarray, int], None]


class Dispatcher:
    """Runs ``job(frame, timestamp_ms)`` on its own thread, one frame at a time.

    Args:
        job: the work for one frame (it delivers its own result, e.g. to a callback).
        name: the thread's name.

    """

    def __init__(self, job: Job, name: str = "unpixel-live") -> None:
        self._job = job
        self._name = name
        self._cond = threading.Condition()
        self._pending: tuple[np.ndarray, int] | None = None
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.dropped = 0
        """Frames dropped because the previous one was still being processed."""

    def submit(self, frame: np.ndarray, timestamp_ms: int) -> bool:
        """Hand ``frame`` to the thread unless it is busy.

        Returns:
            True if the frame will run, False if it was dropped.

        Raises:
            ValueError: the dispatcher is closed.

        """
        with self._cond:
            if self._closed:
                raise ValueError("this pipeline is closed")
            if self._busy:
                self.dropped += 1
                return False
            self._busy = True
            self._pending = (frame, timestamp_ms)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return True

    @property
    def error(self) -> BaseException | None:
        """The exception of the last frame that failed, until :meth:`take_error`."""
        return self._error

    def take_error(self) -> BaseException | None:
        """The exception of the last frame that failed (cleared), or None."""
        with self._cond:
            error, self._error = self._error, None
        return error

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no frame is running; False if ``timeout`` (seconds) passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout)

    def close(self) -> None:
        """Let a running frame finish, then stop the thread. Later submits raise ValueError."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._pending is None:
                    return
                (frame, timestamp_ms), self._pending = self._pending, None
            error = None
            try:
                self._job(frame, timestamp_ms)
            except Exception as e:  # handed to the caller by its next call
                error = e
            with self._cond:
                if error is not None:
                    self._error = error
                self._busy = False
                self._cond.notify_all()
