"""The restorer tiers side by side: pipeline FPS on one frame and each tier's restore quality.

Each tier the manifest ships in the pipeline's format runs the same fully pixelated frame
(b = 4) in one process, tier after tier, so their FPS compare within one run. Quality is read,
not measured here: the PSNR of each tier's restorers in that format from the manifest's parity
figures (``reports/parity_validation.md``: mean mosaics of the validation photos, cascades
for blocks above 4).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from unpixel.bench.image_fps import bench_pipeline
from unpixel.formats import Format
from unpixel.manifest import ModelEntry, load_manifest
from unpixel.options import RESTORER_TIERS, default_models_dir
from unpixel.zoo import tier_of


def shipped_tiers(fmt: Format, models_dir: Path | None = None) -> dict[str, list[ModelEntry]]:
    """Tier -> its restorer entries in ``fmt``, for the tiers with all three scales."""
    root = models_dir or default_models_dir()
    entries = load_manifest(root / "manifest.json")
    out: dict[str, list[ModelEntry]] = {}
    for tier in RESTORER_TIERS:
        found = [e for e in entries if e.task == "restorer" and e.format == fmt.name]
        found = [e for e in found if tier_of(e) == tier]
        if {e.scale for e in found} == {2, 3, 4}:
            out[tier] = sorted(found, key=lambda e: e.scale or 0)
    return out


def tier_quality(entries: list[ModelEntry]) -> dict[str, float]:
    """Block -> PSNR (dB) of the tier's direct restorers (x2, x3, x4) from their parity."""
    out: dict[str, float] = {}
    for e in entries:
        psnr = (e.extra.get("parity") or {}).get("psnr_cascade_by_block") or {}
        if str(e.scale) in psnr:
            out[str(e.scale)] = float(psnr[str(e.scale)])
    return out


def bench_tiers(
    fmt: Format,
    threads: int,
    frame: tuple[int, int],
    runs: int,
    models_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """One row per shipped tier: the pipeline row of ``frame`` fully pixelated, plus quality."""
    rows = []
    for tier, entries in shipped_tiers(fmt, models_dir).items():
        (row,) = bench_pipeline(
            fmt.backend,
            fmt.precision,
            threads,
            (frame,),
            (1.0,),
            runs,
            models_dir=models_dir,
            restorer=tier,
        )
        row["psnr_by_block"] = tier_quality(entries)
        rows.append(row)
    return rows
