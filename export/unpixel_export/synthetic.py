"""Synthetic clean images: text and UI renders, the hard negatives photos lack."""

from __future__ import annotations

import string

import cv2
import numpy as np

_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)
_CHARS = string.ascii_letters + string.digits + "     .,:;-+=()[]"


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(0, 256, 3))


def render_text(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A page of random text lines on a flat or gradient background (BGR uint8)."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = _colour(rng)
    if rng.random() < 0.4:
        ramp = np.linspace(0, rng.uniform(20, 80), width, dtype=np.float32)[None, :, None]
        image = np.clip(image + ramp, 0, 255).astype(np.uint8)
    y = int(rng.integers(5, 30))
    while y < height:
        scale = float(rng.uniform(0.4, 1.6))
        font = int(rng.choice(_FONTS))
        thickness = int(rng.integers(1, 3))
        text = "".join(rng.choice(list(_CHARS), int(rng.integers(5, 60))))
        aa = cv2.LINE_AA if rng.random() < 0.7 else cv2.LINE_8
        x = int(rng.integers(0, max(1, width // 4)))
        cv2.putText(image, text, (x, y), font, scale, _colour(rng), thickness, aa)
        y += int(30 * scale + rng.integers(4, 20))
    return image


def render_ui(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A screenshot-like render: flat panels, buttons with borders, text labels (BGR uint8)."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = _colour(rng)
    for _ in range(int(rng.integers(3, 12))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1 = int(min(width, x0 + rng.integers(20, max(21, width // 2))))
        y1 = int(min(height, y0 + rng.integers(12, max(13, height // 3))))
        cv2.rectangle(image, (x0, y0), (x1, y1), _colour(rng), -1)
        if rng.random() < 0.6:
            cv2.rectangle(image, (x0, y0), (x1, y1), _colour(rng), int(rng.integers(1, 3)))
        label = "".join(rng.choice(list(string.ascii_letters), int(rng.integers(3, 12))))
        cv2.putText(
            image,
            label,
            (x0 + 4, min(height - 2, y0 + 16)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            _colour(rng),
            1,
            cv2.LINE_AA,
        )
    return image
