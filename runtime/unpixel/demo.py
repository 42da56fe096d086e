"""The main job on the bundled default: damage the bundled photos, detect and restore them.

For each bundled photo and a set of cases (block sizes, phases, a censored region, JPEG
after pixelation, clean controls) it runs the shipped pipeline (int8 LiteRT, 2 threads),
prints what it found against the truth and the PSNR before and after, and writes a
before/after sheet (PNG), the restored images and a JSON summary to the output folder.
A case is right when a clean photo comes back bit-for-bit unchanged, or when a mosaic's grid
is found exactly and the restored photo is closer to the original than the mosaic was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from unpixel.degrade import jpeg, pixelate
from unpixel.grid import Grid
from unpixel.io import read_image, write_atomic, write_image
from unpixel.metrics import psnr

SAMPLES = ("astronaut.jpg", "coffee.jpg")


@dataclass(frozen=True)
class Case:
    """One demo case: how the sample is damaged and what the grid truly is."""

    name: str
    block: int | None
    phase: tuple[int, int] = (0, 0)
    quality: int | None = None
    region: tuple[int, int, int, int] | None = None


CASES = (
    Case("clean photo", None),
    Case("clean photo, JPEG q60", None, quality=60),
    Case("mosaic b=4", 4, (1, 3)),
    Case("mosaic b=8", 8, (0, 0)),
    Case("mosaic b=12, JPEG q75", 12, (5, 9), quality=75),
    Case("censored region b=10", 10, (4, 7), region=(96, 64, 200, 160)),
)


def sample_image(name: str = SAMPLES[0]) -> np.ndarray:
    """Read one of the bundled sample photos (BGR uint8)."""
    ref = resources.files("unpixel") / "data" / name
    with resources.as_file(ref) as path:
        return read_image(path)


def _damage(image: np.ndarray, case: Case) -> np.ndarray:
    out = image
    if case.block is not None:
        out = pixelate(out, case.block, phase=case.phase, region=case.region)
    return jpeg(out, case.quality) if case.quality else out


def _verdict(case: Case, grid: Grid | None, unchanged: bool, gain: float) -> bool:
    if case.block is None:
        return grid is None and unchanged
    return grid is not None and (grid.block, grid.phase) == (case.block, case.phase) and gain > 0


def _label(image: np.ndarray, text: str) -> np.ndarray:
    tile = cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA)
    cv2.putText(
        tile, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA
    )
    return tile


def run_demo(output: Path) -> dict[str, object]:
    """Run every case on every sample; print a table, write the sheet, images and summary."""
    from unpixel.pipeline import Pipeline

    rows, pairs = [], []
    print(
        f"{'sample':<14}{'case':<24}{'truth':<18}{'found':<18}{'PSNR in -> out':<18}{'ms':>6}  ok"
    )
    with Pipeline.create() as pipe:
        for sample in SAMPLES:
            image = sample_image(sample)
            for i, case in enumerate(CASES):
                damaged = _damage(image, case)
                result = pipe.process(damaged)
                grid = result.detection.grid
                before, after = psnr(image, damaged), psnr(image, result.image)
                unchanged = bool(np.array_equal(result.image, damaged))
                ok = _verdict(case, grid, unchanged, after - before)
                truth = "none" if case.block is None else f"b={case.block} {case.phase}"
                found = "none" if grid is None else f"b={grid.block} {grid.phase}"
                scores = f"{before:.2f} -> {after:.2f}" if case.block else "unchanged" * unchanged
                ms = result.timings["total"]
                print(
                    f"{sample:<14}{case.name:<24}{truth:<18}{found:<18}{scores:<18}"
                    f"{ms:>6.1f}  {'yes' if ok else 'NO'}"
                )
                row = {"sample": sample, "case": case.name, "truth": truth, "found": found}
                row.update(psnr_in=float(before), psnr_out=float(after), ms=float(ms))
                rows.append(row | {"ok": bool(ok)})
                write_image(output / f"{Path(sample).stem}_{i}_restored.png", result.image)
                pairs.append(
                    np.hstack([_label(damaged, case.name), _label(result.image, "restored")])
                )
    sheet = np.vstack([np.hstack(pairs[i : i + 2]) for i in range(0, len(pairs), 2)])
    write_image(output / "sheet.png", sheet)
    passed = int(sum(r["ok"] for r in rows))
    summary = {"cases": len(rows), "correct": passed, "rows": rows}
    write_atomic(output / "summary.json", (json.dumps(summary, indent=1) + "\n").encode())
    print(
        f"\n{passed}/{len(rows)} correct; wrote {output / 'sheet.png'}, the restored "
        f"images and {output / 'summary.json'}"
    )
    return summary
