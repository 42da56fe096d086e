"""A dependency-free progress bar on stderr (a bar on a terminal, sparse lines otherwise).

The label is escaped (:func:`unpixel.terminal.shown`: a file name cannot send escape
sequences), and a closed or missing stderr only silences the bar.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from unpixel.terminal import shown, write

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]:
    """Yield ``items`` while drawing progress on stderr; silent when ``total`` is 0."""
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = 0
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr (2>&-), or closed
        tty = False
    label = shown(label)
    start = last = time.monotonic()
    for done, item in enumerate(items, start=1):
        yield item
        now = time.monotonic()
        if total and (now - last > (0.2 if tty else 10.0) or done == total):
            last = now
            rate = done / max(now - start, 1e-9)
            eta = (total - done) / rate if rate else 0.0
            filled = int(30 * done / total)
            bar = "#" * filled + "-" * (30 - filled)
            text = f"{label} [{bar}] {done}/{total} {rate:.1f}/s eta {eta:.0f}s"
            write(("\r" + text) if tty else (text + "\n"), err=True)
            if tty and done == total:
                write("\n", err=True)
