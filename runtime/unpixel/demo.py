"""The main job on the bundled default: pixelate the bundled photos, find their grids.

Until the models ship this shows the classical half of the product: for each bundled photo
and a set of cases (block sizes, phases, a censored region, JPEG after pixelation, clean
controls) it runs :func:`unpixel.estimate_grid` and prints what it found against the truth.
It writes a before/after sheet (PNG) and a JSON summary to the output folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from unpixel.degrade import jpeg, pixelate
from unpixel.grid import Grid, estimate_grid
from unpixel.io import read_image, write_atomic, write_image

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


def _verdict(case: Case, grid: Grid | None) -> bool:
    if case.block is None:
        return grid is None
    return grid is not None and (grid.block, grid.phase) == (case.block, case.phase)


def run_demo(output: Path) -> dict[str, object]:
    """Run every case on every sample; print a table, write the sheet and summary."""
    rows, tiles = [], []
    print(f"{'sample':<14}{'case':<26}{'truth':<18}{'found':<26}ok")
    for sample in SAMPLES:
        image = sample_image(sample)
        for case in CASES:
            damaged = _damage(image, case)
            grid = estimate_grid(damaged, region=case.region)
            ok = _verdict(case, grid)
            truth = "none" if case.block is None else f"b={case.block} phase={case.phase}"
            found = (
                "none"
                if grid is None
                else (f"b={grid.block} phase={grid.phase} ({grid.confidence:.2f})")
            )
            print(f"{sample:<14}{case.name:<26}{truth:<18}{found:<26}{'yes' if ok else 'NO'}")
            rows.append({"sample": sample, "case": case.name, "truth": truth,
                         "found": found, "ok": ok})  # fmt: skip
            tile = cv2.resize(damaged, (256, 256), interpolation=cv2.INTER_NEAREST)
            cv2.putText(tile, case.name, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                        (255, 255, 255), 1, cv2.LINE_AA)  # fmt: skip
            tiles.append(tile)
    sheet = np.vstack([np.hstack(tiles[i : i + len(CASES)])
                       for i in range(0, len(tiles), len(CASES))])  # fmt: skip
    write_image(output / "grids.png", sheet)
    passed = sum(r["ok"] for r in rows)
    summary = {"cases": len(rows), "correct": passed, "rows": rows}
    write_atomic(output / "summary.json", (json.dumps(summary, indent=1) + "\n").encode())
    print(f"\n{passed}/{len(rows)} correct; wrote {output / 'grids.png'} and "
          f"{output / 'summary.json'}")  # fmt: skip
    return summary
