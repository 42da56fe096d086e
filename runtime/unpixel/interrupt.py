"""Stop long work cleanly on a signal: finish the item at hand, finalise outputs.

The signals are SIGINT (Ctrl-C), SIGTERM, SIGHUP (the terminal was closed) and SIGQUIT
(Ctrl-backslash, which would otherwise dump core and leave a hidden temp file), where the platform
has them.

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

SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    if hasattr(signal, name)
)
"""The signals :func:`stop_on_signals` turns into a clean stop (128 + N exit status)."""


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
    """Catch :data:`SIGNALS` while the block runs; restore the previous handlers after.

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
