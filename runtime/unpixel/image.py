"""Checks shared by every function that takes an image array, and frame conversion."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from unpixel.geometry import Box
from unpixel.limits import MAX_PIXELS


def check_image(image: object, name: str = "image", *, min_size: int = 1) -> np.ndarray:
    """Validate an image array and return it unchanged.

    Accepted: a ``numpy.ndarray`` of dtype uint8 shaped HxW (grayscale), HxWx1, HxWx3 (BGR)
    or HxWx4 (BGRA). Anything else raises ``TypeError`` (not an array) or ``ValueError``
    naming the problem.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"{name} must have dtype uint8, got {image.dtype}")
    if image.ndim not in (2, 3):
        raise ValueError(f"{name} must be HxW or HxWxC, got shape {image.shape}")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise ValueError(f"{name} must have 1, 3 (BGR) or 4 (BGRA) channels, got {image.shape[2]}")
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"{name} is empty (shape {image.shape})")
    if h < min_size or w < min_size:
        raise ValueError(f"{name} is {w}x{h}; at least {min_size}x{min_size} is needed")
    if h * w > MAX_PIXELS:
        raise ValueError(f"{name} is {w}x{h}; images above {MAX_PIXELS} pixels are refused")
    return image


def check_region(region: tuple[int, int, int, int] | None, shape: tuple[int, ...]) -> Box:
    """Validate an ``(x, y, w, h)`` region inside an image of ``shape``; None is the whole image."""
    height, width = shape[:2]
    if region is None:
        return Box(0, 0, width, height)
    try:
        x, y, w, h = (int(v) for v in region)
    except (TypeError, ValueError):
        raise ValueError(f"region must be (x, y, w, h) integers, got {region!r}") from None
    if w <= 0 or h <= 0:
        raise ValueError(f"region {region!r} is empty")
    if x < 0 or y < 0 or x + w > width or y + h > height:
        raise ValueError(f"region {region!r} does not lie inside the {width}x{height} image")
    return Box(x, y, w, h)


_LUMA_WEIGHTS = (0.114, 0.587, 0.299)
_LUMA_LUT = [np.float32(c) * np.arange(256, dtype=np.float32) for c in _LUMA_WEIGHTS]
"""Each BGR channel's float32 product with its BT.601 weight, for every uint8 value."""
_LUMA_LUT3 = np.stack(_LUMA_LUT, axis=-1).reshape(256, 1, 3)
"""The same tables as one 3-channel table (cv2.LUT looks up each channel in its own)."""
_SUM3 = np.ones((1, 3), np.float32)


def to_luma(image: np.ndarray) -> np.ndarray:
    """Return the luma (BT.601, from BGR) of an image as float32 HxW; gray passes through.

    ``0.114 * b + 0.587 * g + 0.299 * r`` in float32, summed in that order; the products
    are looked up (one 3-channel cv2.LUT) and summed by cv2.transform with unit weights,
    which gives the very same floats as multiplying and adding (a test checks all 16.7 M
    colours); why this way: commit bfe0d47.
    """
    if image.ndim == 2:
        return image.astype(np.float32)
    if image.shape[2] == 1:
        return image[:, :, 0].astype(np.float32)
    if image.shape[2] == 3:
        return cv2.transform(cv2.LUT(image, _LUMA_LUT3), _SUM3)
    b, g, r = (cv2.LUT(c, lut) for c, lut in zip(cv2.split(image)[:3], _LUMA_LUT, strict=True))
    return cv2.add(cv2.add(b, g), r)


def luma8(image: np.ndarray) -> np.ndarray:
    """Return the luma of an image as uint8 HxW, rounded; gray passes through.

    OpenCV's BT.601 conversion from BGR (fixed point); alpha is ignored. One pass writing a
    byte a pixel (:func:`to_luma` writes a 3-channel float32 image, then sums it): what the grid
    estimation steps through.
    """
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[:, :, 0]
    code = cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return cv2.cvtColor(image, code)


MIN_FRAME = 32
"""The smallest frame side the pipeline takes."""


def as_bgr(frame: Any) -> np.ndarray:
    """Validate a frame; grayscale and BGRA are converted to BGR (documented behaviour)."""
    frame = check_image(frame, "frame", min_size=MIN_FRAME)
    if frame.ndim == 2 or frame.shape[2] == 1:
        return cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame
