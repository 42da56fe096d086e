"""Argument checks shared by the options classes and the public functions."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def check_int(
    name: str,
    value: Any,
    low: int | None = None,
    high: int | None = None,
    *,
    numpy: bool = False,
    type_error: type[Exception] = ValueError,
) -> int:
    """Check that ``value`` is an integer (not a bool) within ``low..high``.

    ``True`` and ``False`` are ints to Python, never to an option: they are refused.

    Args:
        name: the argument's name, as the message shows it.
        value: what the caller passed.
        low: the smallest allowed value, or None for no lower bound.
        high: the largest allowed value, or None for no upper bound.
        numpy: also accept NumPy integer scalars (``np.int64(4)``).
        type_error: the exception raised for a value that is not an integer (ValueError,
            or TypeError where a class has always raised that).

    Returns:
        ``value``, unchanged.

    Raises:
        ValueError: ``value`` is outside ``low..high`` (or not an integer, by default):
            "``name`` must be an integer, got ...", "``name`` must be >= ``low``, got ...",
            "``name`` must be <= ``high``, got ..." or "``name`` must be ``low``..``high``,
            got ...".

    """
    kinds: tuple[type, ...] = (int, np.integer) if numpy else (int,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise type_error(f"{name} must be an integer, got {value!r}")
    below = low is not None and value < low
    above = high is not None and value > high
    if below or above:
        if low is not None and high is not None:
            limit = f"{low}..{high}"
        else:
            limit = f">= {low}" if low is not None else f"<= {high}"
        raise ValueError(f"{name} must be {limit}, got {value}")
    return value


def opencv_str(text: str | os.PathLike[str]) -> str:
    """``text`` (a path, a suffix, a source spec) as a str OpenCV can be given.

    OpenCV's bindings encode a str as UTF-8 and crash the process (SIGSEGV) on one that
    cannot be: a file name whose bytes are not UTF-8, which Python holds as lone
    surrogates. Every str that goes to a cv2 function taking a name passes through here.

    Args:
        text: the str or path.

    Returns:
        ``text`` as a str, unchanged.

    Raises:
        ValueError: ``text`` is not valid UTF-8 (the message shows its bytes).

    """
    value = os.fspath(text)
    value = os.fsdecode(value) if isinstance(value, bytes) else value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(value)
        raise ValueError(
            f"{raw!r} is not valid UTF-8, which OpenCV cannot take as a name"
        ) from None
    return value
