"""Detection quality of the tile classifier, per tile and per whole image.

Tile protocol (fixed seed): per block size 2..16 and mosaic mode (mean, sample), ``n`` tiles
from the photos with a random phase, half of them JPEG'd at q 50-95 afterwards; per clean
kind ``n`` tiles. Image protocol: every photo (longer side <= 1280) plain and after JPEG q
50, 75 and 95 is clean; the same photos wholly pixelated (b 2..16 at random) and with a
pixelated rectangle (a quarter of the frame) are pixelated. Two image rules are reported:
*any tile* (pixelated when any tile is flagged) and *grid-confirmed*, the pipeline's rule
(pixelated when some 8-connected group of flagged tiles has a mosaic grid that
:func:`unpixel.estimate_grid` finds on its bounding box).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from unpixel.degrade import jpeg, pixelate
from unpixel.grid import region_grid
from unpixel.metrics import DetectionStats
from unpixel.tiles import cut_tiles, flagged_groups
from unpixel_export.data import NEGATIVE_KINDS, PhotoBank, negative_tile, positive_tile

Predict = Callable[[np.ndarray], np.ndarray]
"""Takes BGR uint8 tiles (N, T, T, 3), returns P(pixelated) (N,)."""


@dataclass
class DetectReport:
    """Tile and image level statistics."""

    threshold: float
    per_block: dict[int, DetectionStats] = field(default_factory=dict)
    per_block_jpeg: dict[int, DetectionStats] = field(default_factory=dict)
    per_kind: dict[str, DetectionStats] = field(default_factory=dict)
    image: dict[str, DetectionStats] = field(default_factory=dict)
    image_any: dict[str, DetectionStats] = field(default_factory=dict)

    def tiles(self) -> DetectionStats:
        """All tile cases together."""
        total = DetectionStats(0, 0, 0, 0)
        for group in (self.per_block, self.per_block_jpeg, self.per_kind):
            for s in group.values():
                total = total + s
        return total

    def clean_tiles(self) -> DetectionStats:
        """The clean tile cases together (their FPR is the tile-level FPR)."""
        total = DetectionStats(0, 0, 0, 0)
        for s in self.per_kind.values():
            total = total + s
        return total

    def images(self, rule: str = "confirmed") -> DetectionStats:
        """All image cases together, under the grid-confirmed or the any-tile rule."""
        total = DetectionStats(0, 0, 0, 0)
        for s in (self.image if rule == "confirmed" else self.image_any).values():
            total = total + s
        return total

    def to_markdown(self) -> str:
        """Tables: recall per block size, FPR per clean kind, image level."""
        lines = [
            f"Threshold {self.threshold:.3f}.",
            "",
            "| block | recall (mosaic) | recall (mosaic + JPEG q50-95) |",
            "|---:|---:|---:|",
        ]
        for b in sorted(self.per_block):
            lines.append(
                f"| {b} | {self.per_block[b].recall:.1%} "
                f"({self.per_block[b].tp + self.per_block[b].fn}) "
                f"| {self.per_block_jpeg[b].recall:.1%} |"
            )
        lines += ["", "| clean tiles | cases | FPR |", "|---|---:|---:|"]
        for k, s in self.per_kind.items():
            lines.append(f"| {k} | {s.fp + s.tn} | {s.fpr:.2%} |")
        c = self.clean_tiles()
        t = self.tiles()
        lines.append(f"| **all clean tiles** | {c.fp + c.tn} | **{c.fpr:.2%}** |")
        lines += [
            "",
            f"Tile level overall: precision {t.precision:.4f}, recall {t.recall:.4f}, "
            f"F1 {t.f1:.4f}, FPR {t.fpr:.4f}.",
            "",
            "| image case | images | pixelated (grid-confirmed) | pixelated (any tile) |",
            "|---|---:|---:|---:|",
        ]
        for k, s in self.image.items():
            n = s.tp + s.fn + s.fp + s.tn
            a = self.image_any[k]
            lines.append(
                f"| {k} | {n} | {(s.tp + s.fp) / max(n, 1):.1%} | {(a.tp + a.fp) / max(n, 1):.1%} |"
            )
        for rule in ("confirmed", "any"):
            i = self.images(rule)
            name = "grid-confirmed" if rule == "confirmed" else "any-tile"
            lines.append(
                f"\nImage level, {name} rule: recall {i.recall:.4f}, "
                f"FPR {i.fpr:.4f}, F1 {i.f1:.4f}."
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Everything, for JSON."""
        return {
            "threshold": self.threshold,
            "tile": self.tiles().to_dict(),
            "clean_tiles": self.clean_tiles().to_dict(),
            "image": self.images().to_dict(),
            "image_any_tile": self.images("any").to_dict(),
            "per_block": {b: s.to_dict() for b, s in self.per_block.items()},
            "per_block_jpeg": {b: s.to_dict() for b, s in self.per_block_jpeg.items()},
            "per_kind": {k: s.to_dict() for k, s in self.per_kind.items()},
            "per_image_case": {k: s.to_dict() for k, s in self.image.items()},
        }


def _stats(scores: np.ndarray, truth: bool, threshold: float) -> DetectionStats:
    pred = scores >= threshold
    return DetectionStats.from_labels(np.full(pred.shape, truth), pred)


def tile_cases(
    bank: PhotoBank, tile: int, n: int, seed: int
) -> tuple[dict[tuple[str, int | str], np.ndarray], np.random.Generator]:
    """The tile protocol's cases: key (group, block or kind) -> tiles."""
    rng = np.random.default_rng(seed)
    cases: dict[tuple[str, int | str], np.ndarray] = {}
    for b in range(2, 17):
        for group, q in (("mosaic", None), ("mosaic_jpeg", True)):
            cases[(group, b)] = np.stack(
                [
                    positive_tile(
                        rng,
                        bank,
                        tile,
                        b,
                        mode="mean" if i % 2 == 0 else "sample",
                        quality=int(rng.integers(50, 96)) if q else None,
                    )
                    for i in range(n)
                ]
            )
    for kind in NEGATIVE_KINDS:
        cases[("clean", kind)] = np.stack([negative_tile(rng, bank, tile, kind) for _ in range(n)])
    return cases, rng


def image_cases(
    photos: Sequence[np.ndarray], seed: int
) -> dict[str, list[tuple[np.ndarray, bool]]]:
    """The image protocol's cases: name -> [(image, truly pixelated)]."""
    rng = np.random.default_rng(seed)
    cases: dict[str, list[tuple[np.ndarray, bool]]] = {
        "clean": [],
        "clean JPEG q50": [],
        "clean JPEG q75": [],
        "clean JPEG q95": [],
        "whole frame mosaic": [],
        "region mosaic": [],
    }
    for photo in photos:
        cases["clean"].append((photo, False))
        for q in (50, 75, 95):
            cases[f"clean JPEG q{q}"].append((jpeg(photo, q), False))
        b = int(rng.integers(2, 17))
        phase = (int(rng.integers(0, b)), int(rng.integers(0, b)))
        cases["whole frame mosaic"].append((pixelate(photo, b, phase=phase), True))
        h, w = photo.shape[:2]
        rw, rh = w // 2, h // 2
        region = (int(rng.integers(0, w - rw + 1)), int(rng.integers(0, h - rh + 1)), rw, rh)
        cases["region mosaic"].append((pixelate(photo, b, phase=phase, region=region), True))
    return cases


def evaluate_detection(
    predict: Predict,
    photos: Sequence[np.ndarray],
    bank: PhotoBank,
    tile: int,
    threshold: float = 0.5,
    n: int = 200,
    seed: int = 0,
) -> DetectReport:
    """Run both protocols with ``predict`` on tiles of size ``tile``."""
    report = DetectReport(threshold=threshold)
    cases, _ = tile_cases(bank, tile, n, seed)
    for (group, key), tiles in cases.items():
        scores = predict(tiles)
        if group == "clean":
            report.per_kind[str(key)] = _stats(scores, False, threshold)
        else:
            target = report.per_block if group == "mosaic" else report.per_block_jpeg
            target[int(key)] = _stats(scores, True, threshold)
    for name, items in image_cases(photos, seed + 1).items():
        truth, confirmed, any_tile = [], [], []
        for image, pixelated in items:
            flags = predict(cut_tiles(image, tile)) >= threshold
            groups = flagged_groups(flags, *image.shape[:2], tile)
            truth.append(pixelated)
            any_tile.append(bool(flags.any()))
            confirmed.append(
                any(region_grid(image, box, parts) is not None for box, parts in groups)
            )
        report.image[name] = DetectionStats.from_labels(truth, confirmed)
        report.image_any[name] = DetectionStats.from_labels(truth, any_tile)
    return report


def calibrate_threshold(
    predict: Predict, bank: PhotoBank, tile: int, target_fpr: float, n: int = 400, seed: int = 99
) -> float:
    """The lowest threshold (not below 0.5) meeting ``target_fpr`` on *every* clean tile kind.

    Each kind of :data:`NEGATIVE_KINDS` (photo, JPEG, blur, text, UI, pattern) gets ``n``
    tiles from ``bank``; the threshold is the largest of the per-kind thresholds, so no kind
    (JPEG'd photos are the hardest) hides behind the easy ones. Calibrate on *training*
    photos; report on validation photos.
    """
    rng = np.random.default_rng(seed)
    k = int(np.floor(target_fpr * n))
    threshold = 0.5
    for kind in NEGATIVE_KINDS:
        scores = np.sort(
            predict(np.stack([negative_tile(rng, bank, tile, kind) for _ in range(n)]))
        )
        threshold = max(threshold, float(scores[-k - 1]) if k < n else 0.0)
    return float(np.nextafter(np.float32(threshold), np.float32(1.0)))
