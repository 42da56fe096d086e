"""Progress of long work on stderr: a tqdm bar on a terminal, nothing otherwise.

The bar is drawn only when stderr is a terminal and the command line is not quiet
(:func:`unpixel.terminal.verbosity`): piped or redirected output, logs and CI stay clean.
The label is escaped (:func:`unpixel.terminal.shown`: a file name cannot send escape
sequences), and a closed or missing stderr only silences the bar.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from unpixel.terminal import QUIET, closed, shown, verbosity

T = TypeVar("T")


def shows_progress() -> bool:
    """Whether a progress bar would be drawn now: stderr is a terminal and not quiet."""
    if verbosity() <= QUIET or closed(err=True):
        return False
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # no stderr (2>&-), or closed
        return False


def _screen() -> tuple[int, int]:
    """The terminal size of stderr (columns, rows); 80 x 24 where it says 0 (tqdm hides bars)."""
    try:
        columns, rows = os.get_terminal_size(sys.stderr.fileno())
    except (AttributeError, ValueError, OSError):
        columns, rows = 0, 0
    return columns if columns > 0 else 80, rows if rows > 0 else 24


def progress(items: Iterable[T], total: int | None = None, label: str = "") -> Iterator[T]:
    """Yield ``items`` while drawing a progress bar on stderr (see the module's rules).

    Args:
        items: what to go through.
        total: how many there are (default ``len(items)``); no bar when it is 0 or unknown.
        label: what is being done, shown before the bar.

    Returns:
        An iterator over ``items``, in order, each one once.

    """
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = 0
    if not total or not shows_progress():
        yield from items
        return
    from tqdm import tqdm  # installed with ai-edge-litert; a dependency of ours too

    columns, rows = _screen()
    bar = tqdm(
        total=total,
        desc=shown(label) or None,
        file=sys.stderr,
        mininterval=0.2,
        ncols=columns,
        nrows=rows,
    )
    try:
        for item in items:
            yield item
            with contextlib.suppress(OSError, ValueError):
                bar.update(1)
    finally:
        with contextlib.suppress(OSError, ValueError):
            bar.close()
