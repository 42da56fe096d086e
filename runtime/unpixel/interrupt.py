"""Stop long work cleanly on SIGINT / SIGTERM: finish the item at hand, finalise outputs.

The first signal only sets a flag that the work loop checks between frames, so a video being
written is closed properly and holds every frame processed so far; a second signal raises
:class:`KeyboardInterrupt` at once (temporary files are still removed on the way out).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set by a signal; true once a stop was asked for. ``signum`` says which signal."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __bool__(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number (0 when no stop was asked for)."""
        return 128 + self.signum if self.signum is not None else 0

    @property
    def name(self) -> str:
        """The signal's name, e.g. ``SIGTERM``."""
        return signal.Signals(self.signum).name if self.signum is not None else ""


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Catch SIGINT and SIGTERM while the block runs; restore the previous handlers after.

    Outside the main thread (where Python cannot install handlers) the request never fires.
    """
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop:
            raise KeyboardInterrupt  # asked twice: stop now
        stop.signum = signum

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
