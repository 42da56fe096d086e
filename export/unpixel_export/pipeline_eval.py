"""End-to-end quality of the shipped pipeline: detection and grid estimation included.

Protocol (fixed seed): per photo (longer side <= 1280) and block size a random phase; the
*frame* scene mean-pixelates the whole photo with it, the *region* scene only a random
rectangle of whole cells of that grid (30-60 % of each side). Five outputs are scored:

- ``mosaic``: the pixelated frame itself;
- ``fp32_true_grid`` (the reference): the fp32 restorer given the true grid over the true
  pixelated area, through the pipeline's own restoration code (cells read off, restored
  with the halo tiling and cascades, pasted back);
- ``int8_true_grid``: the same with the int8 restorer;
- ``int8_pipeline``: :meth:`unpixel.Pipeline.process` with the int8 models (IMAGE mode,
  default options): classifier, regions, grid estimation, mosaic cells, restorer;
- ``fp32_pipeline``: the same with the fp32 models.

PSNR (RGB, 0-255) is measured against the photo over the pixelated area (the frame, or the
rectangle), a border of ``block`` pixels ignored, and averaged over photos. So
``int8_pipeline - fp32_true_grid`` is the end-to-end loss; ``int8_true_grid -
fp32_true_grid`` the part due to the int8 restorer, ``int8_pipeline - int8_true_grid`` the
part due to detection and grid estimation. Per pipeline the frames it got wrong are counted:
*not flagged* (no region of flagged tiles over the mosaic), *no grid* (regions over it, but
no grid found in any), *wrong grid* (one over it restored on a block or phase other than the
true one), *false region* (a region with a grid away from the mosaic);
with the mean share of the mosaic's pixels it restored (*coverage*) and, in the region
scene, of the clean pixels it changed (flat clean cells next to the mosaic pass for mosaic
cells: changed by a level or so). Photos whose mosaic equals them (flat graphics) are left
out and counted, as in :mod:`unpixel_export.restore_eval`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from unpixel.degrade import pixelate
from unpixel.geometry import Box
from unpixel.grid import Grid
from unpixel.metrics import psnr
from unpixel.pipeline import Pipeline
from unpixel.results import Detection, Region

BLOCKS = (2, 3, 4, 6, 8)
BAR_BLOCKS = (2, 3, 4)
"""The block sizes the issue's bar applies to (6 and 8 are reported)."""
BAR_DB = 0.3
"""The int8 pipeline may lose at most this much PSNR against the reference."""
SCENES = ("frame", "region")
METHODS = ("mosaic", "fp32_true_grid", "int8_true_grid", "int8_pipeline", "fp32_pipeline")
PIPELINES = {"int8_pipeline": "int8", "fp32_pipeline": "fp32"}
ERRORS = ("not_flagged", "no_grid", "wrong_grid", "false_region")
PARTS = (
    ("int8_true_grid", "fp32_true_grid"),
    ("int8_pipeline", "int8_true_grid"),
    ("fp32_pipeline", "fp32_true_grid"),
    ("int8_pipeline", "fp32_pipeline"),
)
"""The differences of the second table: int8 restorer, detection + grid (int8, fp32), all."""


def region_box(
    shape: tuple[int, ...], block: int, phase: tuple[int, int], rng: np.random.Generator
) -> Box:
    """A rectangle ``(x, y, w, h)`` of whole cells of the grid, 30-60 % of each side."""
    sides = []
    for length, p in zip(shape[:2], phase, strict=True):
        cells = (length - p) // block
        n = int(rng.integers(max(cells * 3 // 10, 1), max(cells * 6 // 10, 1) + 1))
        k = int(rng.integers(0, cells - n + 1))
        sides.append((p + k * block, n * block))
    (y, h), (x, w) = sides
    return Box(x, y, w, h)


def restore_given_grid(pipeline: Pipeline, frame: np.ndarray, grid: Grid, box: Box) -> np.ndarray:
    """Restore ``box`` of ``frame`` on ``grid`` with the pipeline's own restoration step.

    The detection is replaced by the truth (one region, every pixel of the box masked);
    everything after it is the code :meth:`Pipeline.process` runs.
    """
    x, y, w, h = box
    mask = np.zeros(frame.shape[:2], bool)
    mask[y : y + h, x : x + w] = True
    det = Detection(
        pixelated=True, score=1.0, grid=grid, mask=mask, regions=(Region(box, 1.0, grid),)
    )
    return pipeline.restore(frame, det)


def _overlaps(a: Box, b: Box) -> bool:
    """Whether two ``(x, y, w, h)`` boxes share a pixel."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _errors(
    det: Detection, truth: Grid, box: Box, before: np.ndarray, after: np.ndarray
) -> tuple[dict[str, bool], float, float | None]:
    """What a pipeline got wrong on one frame.

    Returns the error flags, the share of the mosaic's pixels it restored and the share of
    the clean pixels it changed (None when the frame has none).
    """
    x, y, w, h = box
    inside = np.zeros(det.mask.shape, bool)
    inside[y : y + h, x : x + w] = True
    over = [r.grid for r in det.regions if _overlaps(r.box, box)]
    away = [r.grid for r in det.regions if not _overlaps(r.box, box)]
    changed = (before != after).any(axis=2)[~inside]
    flags = {
        "not_flagged": not over,
        "no_grid": bool(over) and all(g is None for g in over),
        "wrong_grid": any(
            g is not None and (g.block, g.phase) != (truth.block, truth.phase) for g in over
        ),
        "false_region": any(g is not None for g in away),
    }
    clean = float(changed.mean()) if changed.size else None
    return flags, float(det.mask[inside].mean()), clean


def _share(values: list[float]) -> str:
    """A mean share as a percentage, "-" without values."""
    return f"{np.mean(values):.1%}" if values else "-"


@dataclass
class PipelineReport:
    """Per scene and block: PSNR lists per method, error counts and coverage per pipeline."""

    psnr: dict[str, dict[int, dict[str, list[float]]]] = field(default_factory=dict)
    errors: dict[str, dict[int, dict[str, dict[str, int]]]] = field(default_factory=dict)
    coverage: dict[str, dict[int, dict[str, list[float]]]] = field(default_factory=dict)
    spill: dict[str, dict[int, dict[str, list[float]]]] = field(default_factory=dict)
    lossless: dict[str, dict[int, int]] = field(default_factory=dict)
    failures: list[dict[str, object]] = field(default_factory=list)
    per_photo: dict[str, dict[int, dict[str, list[float]]]] = field(default_factory=dict)
    """Scene -> block -> photo -> PSNR per method (METHODS order), for a closer look."""
    models: dict[str, object] = field(default_factory=dict)

    def mean(self, scene: str, block: int, method: str) -> float:
        """Mean PSNR of one method over the photos (nan without photos)."""
        values = self.psnr[scene][block][method]
        return float(np.mean(values)) if values else float("nan")

    def delta(self, scene: str, block: int, a: str, b: str) -> float:
        """Mean PSNR of ``a`` minus that of ``b`` (dB)."""
        return self.mean(scene, block, a) - self.mean(scene, block, b)

    def bar_met(self, scene: str, block: int) -> bool:
        """Whether the int8 pipeline is within :data:`BAR_DB` of the reference."""
        return self.delta(scene, block, "int8_pipeline", "fp32_true_grid") >= -BAR_DB

    def frames(self, scene: str, block: int) -> int:
        """How many frames were scored."""
        return len(self.psnr[scene][block]["mosaic"])

    def to_markdown(self) -> str:
        """Per scene: PSNR, the loss split into its causes, and the frames gone wrong."""
        lines: list[str] = []
        for scene in self.psnr:
            what = "whole frame" if scene == "frame" else "a rectangle of whole cells"
            lines += [
                f"### Scene `{scene}`: mean mosaic over {what}",
                "",
                "| block | frames | mosaic | fp32 restorer, true grid (ref) | int8 "
                "restorer, true grid | int8 pipeline | fp32 pipeline | int8 pipeline "
                f"- ref | bar ({BAR_DB} dB) |",
                "|---:|" + "---:|" * 8,
            ]
            for b in self.psnr[scene]:
                vals = " | ".join(f"{self.mean(scene, b, m):.2f}" for m in METHODS)
                loss = self.delta(scene, b, "int8_pipeline", "fp32_true_grid")
                verdict = ("met" if self.bar_met(scene, b) else "**missed**") + (
                    "" if b in BAR_BLOCKS else " (reported)"
                )
                lines.append(
                    f"| {b} | {self.frames(scene, b)} | {vals} | {loss:+.2f} dB | {verdict} |"
                )
            lines += [
                "",
                "| block | int8 restorer (int8 - fp32, true grid) | detection + grid,"
                " int8 (pipeline - true grid) | detection + grid, fp32 (pipeline - true "
                "grid) | int8 - fp32 pipeline |",
                "|---:|---:|---:|---:|---:|",
            ]
            for b in self.psnr[scene]:
                cells = " | ".join(f"{self.delta(scene, b, x, y):+.2f}" for x, y in PARTS)
                lines.append(f"| {b} | {cells} |")
            lines += [
                "",
                "| block | int8 pipeline: frames wrong (not flagged / no grid / wrong "
                "grid / false region) | fp32 pipeline: frames wrong (same) | coverage "
                "int8 / fp32 | "
                "clean pixels changed int8 / fp32 |",
                "|---:|---:|---:|---:|---:|",
            ]
            for b in self.psnr[scene]:
                errs = self.errors[scene][b]
                wrong = [
                    f"{errs[p]['any']} ({' / '.join(str(errs[p][e]) for e in ERRORS)})"
                    for p in PIPELINES
                ]
                cover = " / ".join(_share(self.coverage[scene][b][p]) for p in PIPELINES)
                spill = " / ".join(_share(self.spill[scene][b][p]) for p in PIPELINES)
                lines.append(f"| {b} | {' | '.join(wrong)} | {cover} | {spill} |")
            lines.append("")
        lines += [
            "A positive *detection + grid* difference means the pipeline left cells as "
            "they were (unflagged flat areas, missed frames) where that restorer does "
            "worse than the mosaic itself; PSNR is averaged in dB over photos, so nearly "
            "flat photos weigh in. Per-photo values and failures are in the JSON.",
            "",
            f"Left out as lossless mosaics (flat graphics): {self.lossless}.",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Means, differences, verdicts and error counts, for JSON."""
        scenes: dict[str, object] = {}
        for scene, table in self.psnr.items():
            scenes[scene] = {
                b: {
                    "frames": self.frames(scene, b),
                    "psnr": {m: self.mean(scene, b, m) for m in METHODS},
                    "int8_pipeline_minus_ref": self.delta(
                        scene, b, "int8_pipeline", "fp32_true_grid"
                    ),
                    "fp32_pipeline_minus_ref": self.delta(
                        scene, b, "fp32_pipeline", "fp32_true_grid"
                    ),
                    "int8_restorer_loss": self.delta(scene, b, "int8_true_grid", "fp32_true_grid"),
                    "int8_detection_grid_loss": self.delta(
                        scene, b, "int8_pipeline", "int8_true_grid"
                    ),
                    "bar_met": self.bar_met(scene, b),
                    "bar_applies": b in BAR_BLOCKS,
                    "errors": self.errors[scene][b],
                    "coverage": {
                        p: float(np.mean(c)) if c else None
                        for p, c in self.coverage[scene][b].items()
                    },
                    "clean_changed": {
                        p: float(np.mean(c)) if c else None for p, c in self.spill[scene][b].items()
                    },
                }
                for b in table
            }
        return {
            "bar_db": BAR_DB,
            "models": self.models,
            "scenes": scenes,
            "lossless_left_out": self.lossless,
            "failures": self.failures,
            "per_photo": {"methods": METHODS, **self.per_photo},
        }


def evaluate_pipeline(
    photos: Sequence[np.ndarray],
    pipelines: dict[str, Pipeline],
    blocks: Sequence[int] = BLOCKS,
    scenes: Sequence[str] = SCENES,
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> PipelineReport:
    """Run the protocol in the module docstring.

    ``pipelines`` holds ``"int8"`` and ``"fp32"``, IMAGE-mode pipelines on those models.
    """
    rng = np.random.default_rng(seed)
    names = list(names) if names is not None else [str(i) for i in range(len(photos))]
    names = [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]
    report = PipelineReport()
    for scene in scenes:
        report.psnr[scene], report.errors[scene], report.coverage[scene] = {}, {}, {}
        report.spill[scene], report.per_photo[scene] = {}, {}
        report.lossless[scene] = {}
        for b in blocks:
            report.psnr[scene][b] = {m: [] for m in METHODS}
            report.errors[scene][b] = {p: dict.fromkeys((*ERRORS, "any"), 0) for p in PIPELINES}
            report.coverage[scene][b] = {p: [] for p in PIPELINES}
            report.spill[scene][b] = {p: [] for p in PIPELINES}
            report.per_photo[scene][b] = {}
            report.lossless[scene][b] = 0
            for name, photo in zip(names, photos, strict=True):
                phase = (int(rng.integers(0, b)), int(rng.integers(0, b)))
                h, w = photo.shape[:2]
                box = (0, 0, w, h) if scene == "frame" else region_box(photo.shape, b, phase, rng)
                frame = pixelate(photo, b, phase=phase, region=box)
                if np.array_equal(frame, photo):
                    report.lossless[scene][b] += 1
                    continue
                truth = Grid(b, phase, 1.0)
                x, y, bw, bh = box
                ref = np.ascontiguousarray(photo[y : y + bh, x : x + bw])
                outs = {"mosaic": frame}
                for kind in ("fp32", "int8"):
                    outs[f"{kind}_true_grid"] = restore_given_grid(
                        pipelines[kind], frame, truth, box
                    )
                for method, kind in PIPELINES.items():
                    result = pipelines[kind].process(frame)
                    outs[method] = result.image
                    flags, cover, spill = _errors(result.detection, truth, box, frame, result.image)
                    report.coverage[scene][b][method].append(cover)
                    if spill is not None:
                        report.spill[scene][b][method].append(spill)
                    for what, bad in flags.items():
                        report.errors[scene][b][method][what] += int(bad)
                    report.errors[scene][b][method]["any"] += int(any(flags.values()))
                    if any(flags.values()):
                        grids = [
                            (r.grid.block, r.grid.phase) if r.grid else None
                            for r in result.detection.regions
                        ]
                        report.failures.append(
                            {
                                "scene": scene,
                                "block": b,
                                "photo": name,
                                "pipeline": method,
                                "phase": phase,
                                "box": box,
                                "errors": [k for k, v in flags.items() if v],
                                "grids_found": grids,
                            }
                        )
                for method, out in outs.items():
                    crop = np.ascontiguousarray(out[y : y + bh, x : x + bw])
                    report.psnr[scene][b][method].append(psnr(ref, crop, border=b))
                report.per_photo[scene][b][name] = [
                    round(report.psnr[scene][b][m][-1], 3) for m in METHODS
                ]
    return report


def models_version(models_dir: Path, pipelines: dict[str, Pipeline]) -> dict[str, object]:
    """What was measured: the models' git commit and files.

    The commit that last touched ``models_dir``, whether it has local changes, and per
    pipeline the files it ran (sha256 prefix) and its classifier threshold.
    """
    from unpixel.manifest import sha256_file
    from unpixel.zoo import resolve

    def git(*args: str) -> str:
        try:
            proc = subprocess.run(
                ["git", "-C", str(models_dir), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return proc.stdout.strip()

    runs: dict[str, object] = {}
    for kind, pipeline in pipelines.items():
        files = resolve(pipeline.options)
        paths = {
            "classifier": files.classifier,
            **{f"restorer_x{s}": p for s, p in files.restorers.items()},
        }
        runs[kind] = {
            "format": files.format.name,
            "threshold": files.threshold,
            "files": {k: f"{p.name} {sha256_file(p)[:12]}" for k, p in paths.items()},
        }
    return {
        "dir": str(models_dir),
        "commit": git("log", "-1", "--format=%H", "--", "."),
        "modified": bool(git("status", "--porcelain", "--", ".")),
        "pipelines": runs,
    }
