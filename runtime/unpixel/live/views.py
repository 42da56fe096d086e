"""What the sinks show.

The cleaned frame, optionally side by side with the input and with an overlay of FPS,
latency and the pixelated share.
"""

from __future__ import annotations

import cv2
import numpy as np

GAP = 4
"""Pixels of black between the two halves of a side-by-side view."""


def side_by_side(before: np.ndarray, after: np.ndarray, labels: bool = True) -> np.ndarray:
    """``before | after`` (same height) with a small label on each half."""
    h = before.shape[0]
    if after.shape[0] != h:
        after = cv2.resize(after, (round(after.shape[1] * h / after.shape[0]), h))
    gap = np.zeros((h, GAP, 3), np.uint8)
    view = np.hstack([before, gap, after])
    if labels:
        for text, x in (("input", 6), ("unpixel", before.shape[1] + GAP + 6)):
            put_text(view, text, (x, h - 10))
    return view


def put_text(image: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.5) -> None:
    """White text with a dark outline, readable on any picture (drawn in place)."""
    for colour, thick in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(
            image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA
        )


def overlay(
    image: np.ndarray, fps: float, latency_ms: float, pixelated_share: float, dropped: int = 0
) -> np.ndarray:
    """Draw the loop's figures in the top-left corner of ``image`` (in place) and return it."""
    text = f"{fps:4.1f} FPS  {latency_ms:5.0f} ms  pixelated {pixelated_share:4.0%}"
    if dropped:
        text += f"  dropped {dropped}"
    put_text(image, text, (6, 18))
    return image
