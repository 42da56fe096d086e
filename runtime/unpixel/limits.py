"""unpixel's image size limit, and OpenCV's decode limit set from it before cv2 loads.

This module imports nothing that loads cv2: ``unpixel/__init__.py`` imports it first, so
that ``OPENCV_IO_MAX_IMAGE_PIXELS`` is in the environment when OpenCV reads it (once, when
its library loads; a later change is ignored).
"""

from __future__ import annotations

import os
import re
import sys

MAX_PIXELS = 8192 * 8192
"""Largest image (height x width) any function accepts; larger ones are rejected up front."""

ENV = "OPENCV_IO_MAX_IMAGE_PIXELS"
OPENCV_DEFAULT = 1 << 30
"""OpenCV's own decode limit when the variable is unset."""

_VALUE = re.compile(r"([0-9]+)(KB|Kb|kb|MB|Mb|mb)?")


def parse_opencv_limit(value: str | None) -> int | None:
    """The pixel limit OpenCV would read from ``value``, or None if it is unset or invalid.

    OpenCV takes digits with an optional ``KB``/``MB`` suffix (x1024, x1024^2) and aborts
    the whole process on anything else (``abc``, ``-5``, an empty string, more than 64 bits).
    0 is valid to OpenCV but refuses every image, so it counts as invalid here too.

    Args:
        value: the variable's text, or None when it is unset.

    Returns:
        The limit in pixels, or None.

    """
    match = _VALUE.fullmatch(value) if value is not None else None
    if match is None:
        return None
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20}[(match[2] or "")[:1].lower()]
    pixels = int(match[1]) * scale
    return pixels if 0 < pixels < 1 << 64 and int(match[1]) < 1 << 64 else None


def configure_opencv() -> int:
    """Put unpixel's limit in ``OPENCV_IO_MAX_IMAGE_PIXELS`` unless the user set a valid one.

    An invalid value (see :func:`parse_opencv_limit`, e.g. ``abc``) is treated as unset and
    replaced by :data:`MAX_PIXELS`, so that importing unpixel (and then cv2) does not abort.
    A valid value the user chose is kept, larger or smaller; unpixel's own checks (the file
    header, the size after decoding) still refuse images above :data:`MAX_PIXELS`.

    Returns:
        The limit OpenCV enforces in this process. When cv2 was imported before unpixel,
        that is what it read then: the variable's value, or OpenCV's default of 2^30.

    """
    user = parse_opencv_limit(os.environ.get(ENV))
    if "cv2" in sys.modules:  # OpenCV has read the variable already (a bad one aborts it)
        enforced = user if user is not None else OPENCV_DEFAULT
    else:
        enforced = user if user is not None else MAX_PIXELS
    if user is None:
        os.environ[ENV] = str(MAX_PIXELS)
    return enforced


OPENCV_LIMIT = configure_opencv()
"""The decode limit OpenCV enforces in this process (see :func:`configure_opencv`)."""


def opencv_guards() -> bool:
    """Whether OpenCV itself refuses, before allocating, every image above MAX_PIXELS.

    Returns:
        True when :data:`OPENCV_LIMIT` is at most :data:`MAX_PIXELS`.

    """
    return OPENCV_LIMIT <= MAX_PIXELS
