"""Quality and detection metrics: PSNR, SSIM, and detection statistics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from unpixel.limits import MAX_PIXELS


def _pair(a: np.ndarray, b: np.ndarray, border: int) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray):
        raise TypeError("both images must be numpy arrays")
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {a.dtype} and {b.dtype}")
    if a.ndim < 2 or a.shape[0] * a.shape[1] > MAX_PIXELS:  # float64 copies of both follow
        raise ValueError(f"images must be HxW(xC) up to {MAX_PIXELS} pixels, got {a.shape}")
    if border < 0 or 2 * border >= min(a.shape[:2]):
        raise ValueError(f"border {border} leaves nothing of a {a.shape[1]}x{a.shape[0]} image")
    if border:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    return a.astype(np.float64), b.astype(np.float64)


def psnr(reference: np.ndarray, test: np.ndarray, *, border: int = 0) -> float:
    """Peak signal-to-noise ratio in dB over all channels (range 0-255).

    ``border`` pixels are ignored on every side. Identical images give ``inf``.
    """
    a, b = _pair(reference, test, border)
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def ssim(reference: np.ndarray, test: np.ndarray, *, border: int = 0) -> float:
    """Structural similarity (Wang et al. 2004): Gaussian window sigma 1.5, mean over channels.

    Matches ``skimage.metrics.structural_similarity(..., gaussian_weights=True,
    use_sample_covariance=False, data_range=255)`` (a test checks it).
    """
    a, b = _pair(reference, test, border)
    if a.ndim == 2:
        a, b = a[:, :, None], b[:, :, None]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

    scores = []
    for c in range(a.shape[2]):
        x, y = a[:, :, c], b[:, :, c]
        mx, my = blur(x), blur(y)
        vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
        pad = 5  # as skimage: drop the window's half-width at the edges
        scores.append(float(s[pad:-pad, pad:-pad].mean()))
    return float(np.mean(scores))


@dataclass(frozen=True)
class DetectionStats:
    """Binary detection statistics; positive means pixelated."""

    tp: int
    fp: int
    tn: int
    fn: int

    @classmethod
    def from_labels(cls, truth: Iterable[bool], predicted: Iterable[bool]) -> DetectionStats:
        """Count from paired ground-truth and predicted labels."""
        t = np.asarray(list(truth), dtype=bool)
        p = np.asarray(list(predicted), dtype=bool)
        if t.shape != p.shape:
            raise ValueError(f"{t.size} truth labels but {p.size} predictions")
        return cls(
            tp=int(np.sum(t & p)),
            fp=int(np.sum(~t & p)),
            tn=int(np.sum(~t & ~p)),
            fn=int(np.sum(t & ~p)),
        )

    def __add__(self, other: DetectionStats) -> DetectionStats:
        return DetectionStats(
            self.tp + other.tp, self.fp + other.fp, self.tn + other.tn, self.fn + other.fn
        )

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 0 when nothing was flagged."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN), the true-positive rate; 0 without positives."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def fpr(self) -> float:
        """FP / (FP + TN), the false-positive rate on clean inputs; 0 without negatives."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    @property
    def confusion(self) -> np.ndarray:
        """2x2 confusion matrix: rows truth (clean, pixelated), columns prediction."""
        return np.array([[self.tn, self.fp], [self.fn, self.tp]])

    def to_dict(self) -> dict[str, float]:
        """Counts and rates, for JSON."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "fpr": self.fpr,
        }
