"""One bench run: what to measure (:class:`BenchSettings`) -> one JSON-able dict.

Sections: ``machine``, ``settings``, ``models`` (per model x format x threads), ``roof``,
``pipeline`` (per config x resolution x pixelated share), ``video`` (VIDEO mode: per config x
resolution x clip x sweep; informative, no target reads it), ``baselines`` (bicubic, Keras),
``headline`` (the figures the targets and the gate read) and ``targets``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from unpixel.bench.baselines import bench_bicubic, bench_keras
from unpixel.bench.image_fps import bench_pipeline
from unpixel.bench.measure import code_version, interleaved_ms, machine, summarize
from unpixel.bench.model_latency import ModelCase, model_cases, run_model
from unpixel.bench.roof import default_roof_file, measure_roof
from unpixel.bench.targets import check_targets
from unpixel.bench.tiers import bench_tiers
from unpixel.bench.video_fps import SWEEPS, VIDEO_RESOLUTIONS, bench_video
from unpixel.bench.workloads import COVERAGES, RESOLUTIONS, model_input
from unpixel.formats import DEPLOY_FORMATS, Format, get_format
from unpixel.options import default_models_dir

SCHEMA = 1
HEADLINE_FRAME = (1280, 720)
"""The frame of the Keras comparison and of the overhead figure (the issue's bars)."""


@dataclass(frozen=True)
class BenchSettings:
    """What a bench run measures; :meth:`quick` and :meth:`full` are the two presets."""

    formats: tuple[str, ...] = ("tflite-fp32", "tflite-int8")
    models: tuple[str, ...] = ()  # empty: every model of the manifest
    threads: tuple[int, ...] = (2,)
    model_runs: int = 10
    warmup: int = 2
    pipeline_formats: tuple[str, ...] = ("tflite-int8",)
    pipeline_threads: int = 2
    resolutions: tuple[tuple[int, int], ...] = RESOLUTIONS
    coverages: tuple[float, ...] = COVERAGES
    pipeline_runs: int = 3
    video_formats: tuple[str, ...] = ("tflite-int8",)
    video_resolutions: tuple[tuple[int, int], ...] = ()  # empty: no VIDEO section
    video_sweeps: tuple[int, ...] = SWEEPS
    video_frames: int = 30
    ratio_runs: int = 10
    keras: bool = True
    keras_max_patches: int | None = 8
    roof: bool = True
    tiers: bool = True  # the restorer tiers side by side (bench/tiers.py)
    in_process: bool = False
    models_dir: Path | None = None
    skip_models: bool = False
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def quick(cls) -> BenchSettings:
        """The default: fp32 and int8 LiteRT at 2 threads, the int8 pipeline, 3 frames a case.

        VIDEO mode at 1280x720 and 640x480, 30 frames a clip.
        """
        return cls(video_resolutions=VIDEO_RESOLUTIONS)

    @classmethod
    def full(cls) -> BenchSettings:
        """Every format at 1 and 2 threads (and all cores), 4 pipeline formats, more runs.

        VIDEO mode for the int8 LiteRT pipeline only, 60 frames a clip.
        """
        cores = _cores()
        threads = tuple(sorted({1, 2, cores} if cores >= 2 else {1}))
        return cls(
            formats=DEPLOY_FORMATS,
            threads=threads,
            model_runs=50,
            warmup=5,
            pipeline_formats=("tflite-int8", "tflite-fp32", "onnx-int8", "onnx-fp32"),
            pipeline_runs=10,
            ratio_runs=30,
            keras_max_patches=48,
            video_resolutions=VIDEO_RESOLUTIONS,
            video_frames=60,
        )


def _cores() -> int:
    return int(machine()["cores"] or 1)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _have_onnx() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def _runnable(names: Sequence[str]) -> list[Format]:
    """The formats named, less the ONNX ones when onnxruntime is not installed."""
    formats = [get_format(n) for n in names]
    return [f for f in formats if f.backend != "onnx" or _have_onnx()]


def compare_formats(a: ModelCase, b: ModelCase, threads: int, runs: int) -> dict[str, Any]:
    """Latency of two formats of one model, run in turn (a, b, a, b, ...) in this process.

    Returns the p50 of each and ``speedup`` = p50(a) / p50(b).
    """
    from unpixel.engines import open_engine

    x = model_input(a.task, a.scale, a.tile)
    engines = {c.format: open_engine(c.path, get_format(c.format), threads) for c in (a, b)}
    try:
        for e in engines.values():
            e.run(x)
        times = interleaved_ms({k: (lambda e=e: e.run(x)) for k, e in engines.items()}, runs)
    finally:
        for e in engines.values():
            e.close()
    p50 = {k: summarize(v)["p50"] for k, v in times.items()}
    return {
        "model": a.name,
        "threads": threads,
        "p50_ms": p50,
        "speedup": p50[a.format] / p50[b.format],
        "runs": runs,
    }


def run_bench(settings: BenchSettings, log: Callable[[str], None] = _log) -> dict[str, Any]:
    """Measure everything ``settings`` asks for."""
    models_dir = Path(settings.models_dir) if settings.models_dir else default_models_dir()
    notes = list(settings.notes)
    formats = [f.name for f in _runnable(settings.formats)]
    if len(formats) < len(settings.formats):
        notes.append("ONNX formats skipped: onnxruntime is not installed (the onnx extra)")
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "machine": machine(),
        "settings": _settings_dict(settings),
        "code": code_version(),
    }

    roof: dict[int, Any] = {}
    roof_file = default_roof_file() if settings.roof else None
    if settings.roof and roof_file is None:
        notes.append("roof skipped: benchmarks/roof.json not found (a source checkout has it)")
    for t in settings.threads if roof_file else ():
        log(f"roof: {t} thread(s)")
        roof[t] = measure_roof(roof_file, t, max(settings.model_runs, 10))
    result["roof"] = list(roof.values())

    rows = []
    cases = (
        []
        if settings.skip_models
        else model_cases(models_dir, formats, list(settings.models) or None)
    )
    for case in cases:
        for t in settings.threads:
            log(f"model: {case.name} {case.format} {t} thread(s)")
            rows.append(
                run_model(
                    case,
                    t,
                    settings.model_runs,
                    settings.warmup,
                    str(roof_file) if roof_file else None,
                    settings.in_process,
                )
            )
    result["models"] = rows

    result["ratios"] = {}
    pair = {
        c.format: c
        for c in model_cases(models_dir, ["tflite-fp32", "tflite-int8"], ["restorer_x4"])
    }
    if len(pair) == 2:
        log("ratio: restorer_x4 tflite-fp32 vs tflite-int8, interleaved")
        result["ratios"]["restorer_x4_int8_vs_fp32"] = compare_formats(
            pair["tflite-fp32"], pair["tflite-int8"], settings.pipeline_threads, settings.ratio_runs
        )

    pipeline = []
    for fmt in _runnable(settings.pipeline_formats):
        log(f"pipeline: {fmt.name} {settings.pipeline_threads} thread(s)")
        pipeline += bench_pipeline(
            fmt.backend,
            fmt.precision,
            settings.pipeline_threads,
            settings.resolutions,
            settings.coverages,
            settings.pipeline_runs,
            models_dir=settings.models_dir,
        )
    result["pipeline"] = pipeline
    tier_format = get_format(settings.pipeline_formats[0]) if settings.pipeline_formats else None
    if settings.tiers and tier_format is not None and _runnable([tier_format.name]):
        log(f"tiers: {tier_format.name} restorer tiers at {HEADLINE_FRAME[0]}x{HEADLINE_FRAME[1]}")
        result["tiers"] = bench_tiers(
            tier_format,
            settings.pipeline_threads,
            HEADLINE_FRAME,
            settings.pipeline_runs,
            settings.models_dir,
        )
    result["video"] = run_video(settings, pipeline, log)

    log("baselines: OpenCV bicubic")
    baselines: dict[str, Any] = {
        "bicubic": [
            bench_bicubic(w, h, max(settings.model_runs, 10)) for w, h in settings.resolutions
        ]
    }
    if settings.keras:
        log("baselines: Keras model.predict patch loop (TensorFlow, own process)")
        w, h = HEADLINE_FRAME
        keras = bench_keras(w, h, settings.pipeline_threads, settings.keras_max_patches)
        if "skipped" in keras:
            notes.append(f"Keras baseline skipped: {keras['skipped']}")
        baselines["keras_patch_loop"] = keras
    result["baselines"] = baselines
    result["headline"] = headline(result)
    result["targets"] = check_targets(result["headline"])
    result["notes"] = notes
    return result


def run_video(
    settings: BenchSettings, pipeline: list[dict[str, Any]], log: Callable[[str], None] = _log
) -> list[dict[str, Any]]:
    """The VIDEO-mode rows (``video_formats`` at ``pipeline_threads``).

    Each gets ``image_fps``: the IMAGE row's FPS of the same config, frame and pixelated share
    (clean clip: 0%, pixelated clips: 100%), or None when that row was not measured.
    """
    rows: list[dict[str, Any]] = []
    for fmt in _runnable(settings.video_formats) if settings.video_resolutions else ():
        log(f"video: {fmt.name} {settings.pipeline_threads} thread(s)")
        rows += bench_video(
            fmt.backend,
            fmt.precision,
            settings.pipeline_threads,
            settings.video_resolutions,
            settings.video_frames,
            settings.video_sweeps,
            models_dir=settings.models_dir,
        )
    for row in rows:
        coverage = 0.0 if row["clip"] == "clean_pan" else 1.0
        ref = find_pipeline(
            {"pipeline": pipeline},
            row["width"],
            row["height"],
            coverage,
            row["precision"],
            row["backend"],
        )
        row["image_fps"] = ref["fps"] if ref and ref["threads"] == row["threads"] else None
    return rows


def _settings_dict(settings: BenchSettings) -> dict[str, Any]:
    out = asdict(settings)
    out["models_dir"] = str(settings.models_dir) if settings.models_dir else None
    return out


def find_pipeline(
    result: dict[str, Any],
    width: int,
    height: int,
    coverage: float,
    precision: str = "int8",
    backend: str = "litert",
) -> dict[str, Any] | None:
    """The pipeline row of one case, or None."""
    for row in result.get("pipeline", []):
        if (row["width"], row["height"], row["coverage"], row["precision"], row["backend"]) == (
            width,
            height,
            coverage,
            precision,
            backend,
        ):
            return row
    return None


def headline(result: dict[str, Any]) -> dict[str, float]:
    """The figures targets and budgets are written against (int8 LiteRT pipeline)."""
    out: dict[str, float] = {}
    for row in result.get("pipeline", []):
        if (row["backend"], row["precision"]) != ("litert", "int8"):
            continue
        key = f"{row['width']}x{row['height']}_{round(row['coverage'] * 100)}"
        out[f"fps_{key}"] = row["fps"]
        out[f"frame_ms_{key}"] = row["frame_ms"]["p50"]
        out[f"overhead_{key}"] = row["overhead_pct"]
    keras = result.get("baselines", {}).get("keras_patch_loop") or {}
    ref = find_pipeline(result, *HEADLINE_FRAME, 1.0)
    if "frame_ms" in keras and ref is not None:
        out["keras_frame_ms"] = keras["frame_ms"]
        out["keras_speedup"] = keras["frame_ms"] / ref["frame_ms"]["p50"]
    ratio = result.get("ratios", {}).get("restorer_x4_int8_vs_fp32")
    if ratio:
        out["restorer_x4_int8_vs_fp32"] = ratio["speedup"]
    for row in result.get("tiers", []):
        if (row["backend"], row["precision"]) == ("litert", "int8"):
            out[f"fps_{row['restorer']}_{row['width']}x{row['height']}_100"] = row["fps"]
    return out
