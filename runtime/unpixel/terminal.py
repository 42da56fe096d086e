r"""What the command line prints, printed safely: :func:`shown`, :func:`say`.

- :func:`shown` is the one helper for any text that holds a file name, a source or a URL:
  secrets are masked (:func:`unpixel.redact.redact`) and characters a terminal would act on
  (escape sequences, carriage returns, bidi overrides, undecodable bytes) are written as
  ``\x1b``, ``\r``, ``\u202e``, ``\xff``, so one name is one visible line.
- :func:`say` prints a line with it. A character the stream's encoding lacks is written as
  a backslash escape (``PYTHONIOENCODING=ascii``), never an error; a stream whose reader
  went away (``unpixel detect DIR | head -1``) is pointed at ``/dev/null`` and
  :func:`closed` says so, so the work goes on (or stops, the caller's choice) without a
  ``BrokenPipeError``.
- :func:`set_verbosity` is the command line's ``-q`` / ``-v``: when quiet, ``note:``,
  ``warning:`` and ``debug:`` lines on stderr are not written (``error:`` lines always are).
- :func:`cli_output` is the command line's boundary: warnings as one ``warning:`` line, and
  no traceback from a destructor (LiteRT's half-built ``Delegate`` after a failed load).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import unicodedata
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

from unpixel.redact import redact

UNSAFE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs")
"""Unicode categories :func:`escape` writes as escapes: controls (C0, DEL, C1), format
characters (bidi overrides, zero-width), line and paragraph separators, lone surrogates."""

QUIET_DESTRUCTORS = ("ai_edge_litert", "tflite_runtime", "tensorflow")
"""Packages whose destructor errors are not shown: LiteRT's ``Delegate.__del__`` fails on
the half-built object a failed ``load_delegate`` leaves (its fallback warning says it all)."""

QUIET_PREFIXES = ("note:", "warning:", "debug:")
"""stderr lines that ``-q`` drops: everything but errors."""

QUIET, NORMAL, VERBOSE = -1, 0, 1

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_closed: set[str] = set()
_level = [NORMAL]


def set_verbosity(level: int) -> None:
    """Set how much the command line says: :data:`QUIET`, :data:`NORMAL` or :data:`VERBOSE`.

    Args:
        level: QUIET (-1): stderr carries only ``error:`` lines, no progress; NORMAL (0);
            VERBOSE (1 or more): debug lines too.

    Raises:
        ValueError: ``level`` is not a whole number.

    """
    if isinstance(level, bool) or not isinstance(level, int):
        raise ValueError(f"verbosity must be a whole number, not {level!r}")
    _level[0] = max(QUIET, level)


def verbosity() -> int:
    """The level :func:`set_verbosity` set (:data:`NORMAL` unless changed)."""
    return _level[0]


def escape(text: str) -> str:
    """``text`` with every character of :data:`UNSAFE_CATEGORIES` as a backslash escape."""
    out = []
    for ch in text:
        if unicodedata.category(ch) not in UNSAFE_CATEGORIES:
            out.append(ch)
        elif ch in _SHORT:
            out.append(_SHORT[ch])
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def shown(text: object) -> str:
    """``text`` as the command line prints it: secrets masked, unsafe characters escaped."""
    return escape(redact(str(text)))


def _stream(err: bool) -> TextIO | None:
    return sys.stderr if err else sys.stdout


def closed(err: bool = False) -> bool:
    """Whether stdout (stderr with ``err``) was found closed by its reader."""
    return ("stderr" if err else "stdout") in _closed


def reopen() -> None:
    """Forget streams found closed (the CLI calls it when a command starts)."""
    _closed.clear()


def _mark_closed(stream: TextIO, err: bool) -> None:
    """Point the stream's descriptor at /dev/null: later writes and the exit flush succeed."""
    _closed.add("stderr" if err else "stdout")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)


def write(text: str, *, err: bool = False) -> bool:
    """Write ``text`` as it is and flush; False when the stream is closed (or absent).

    Characters the stream's encoding lacks become backslash escapes. When quiet, a stderr
    line starting with one of :data:`QUIET_PREFIXES` is dropped (and True returned).
    """
    if err and _level[0] <= QUIET and text.startswith(QUIET_PREFIXES):
        return True
    stream = _stream(err)
    if stream is None or closed(err):
        return False
    encoding = getattr(stream, "encoding", None) or "utf-8"
    with contextlib.suppress(LookupError):
        text = text.encode(encoding, "backslashreplace").decode(encoding, "replace")
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        _mark_closed(stream, err)
        return False
    except (OSError, ValueError):  # closed by the program, or a device error
        _closed.add("stderr" if err else "stdout")
        return False
    return True


def say(text: object = "", *, err: bool = False) -> bool:
    """Print one line of :func:`shown` text; False when nobody reads the stream any more."""
    return write(shown(text) + "\n", err=err)


class LineHandler(logging.Handler):
    """Log records as one stderr line each (``debug:``, ``note:``, ``warning:``, ``error:``).

    Written through :func:`write`, so names are escaped by :func:`shown`, ``-q`` drops all
    but errors and a closed stderr is no error.
    """

    def emit(self, record: logging.LogRecord) -> None:
        """Write one record.

        Args:
            record: the log record.

        """
        if record.levelno >= logging.ERROR:
            kind = "error"
        elif record.levelno >= logging.WARNING:
            kind = "warning"
        else:
            kind = "note" if record.levelno >= logging.INFO else "debug"
        write(f"{kind}: {shown(record.getMessage())}\n", err=True)


def _format_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    return f"warning: {shown(message)}\n"


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    write(_format_warning(message, category, filename, lineno, line), err=True)


def _unraisable(previous: Any) -> Any:
    def hook(unraisable: Any) -> None:
        module = getattr(unraisable.object, "__module__", None) or ""
        if module.partition(".")[0] in QUIET_DESTRUCTORS:
            return
        exc = unraisable.exc_value
        say(f"warning: ignored {type(exc).__name__} in {unraisable.object!r}: {exc}", err=True)

    return hook


@contextlib.contextmanager
def cli_output() -> Iterator[None]:
    """While a command runs: one-line warnings, no destructor tracebacks, streams reopened."""
    reopen()
    level = _level[0]
    formatwarning, unraisablehook = warnings.formatwarning, sys.unraisablehook
    showwarning = warnings.showwarning
    warnings.formatwarning = _format_warning  # type: ignore[assignment]
    warnings.showwarning = _show_warning  # through write(): -q and a closed stderr apply
    sys.unraisablehook = _unraisable(unraisablehook)
    try:
        yield
    finally:
        warnings.formatwarning = formatwarning
        warnings.showwarning = showwarning
        sys.unraisablehook = unraisablehook
        _level[0] = level
