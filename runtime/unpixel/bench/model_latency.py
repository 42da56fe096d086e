"""Per model x format x threads: init, first inference, warm-up, latency, memory, size.

In the spirit of TFLite's ``benchmark_model``: init time, first inference, mean warm-up,
p50/p90/p99 latency, peak RSS and file size, with the parity figures of the manifest.

Each configuration runs in a fresh Python process
(``python -m unpixel.bench.model_latency ARGS``) so that its peak RSS is its own;
``in_process=True`` skips that (tests, quick checks).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from unpixel.bench.measure import peak_rss_mib, rss_mib, summarize, time_ms
from unpixel.bench.roof import measure_one
from unpixel.bench.workloads import MODEL_FRAME, model_input
from unpixel.formats import get_format
from unpixel.manifest import ModelEntry, load_manifest

WORKER_TIMEOUT_S = 300


@dataclass(frozen=True)
class ModelCase:
    """One model file to benchmark, with what the manifest says about it."""

    name: str  # "classifier", "restorer_x4"
    format: str  # a row of the format table
    task: str
    scale: int | None
    path: str
    bytes: int
    tile: int
    macs_per_item: int | None
    """MACs per classifier tile or per restorer LR pixel (from the .keras manifest entry)."""
    quality: dict[str, float]


def _quality(entry: ModelEntry) -> dict[str, float]:
    parity = entry.extra.get("parity") or {}
    if entry.task == "classifier":
        keys = ("f1", "fpr", "max_abs_vs_keras")
        return {k: float(parity[k]) for k in keys if k in parity}
    out = {k: float(parity[k]) for k in ("max_abs_vs_keras",) if k in parity}
    psnr = (parity.get("psnr_cascade_by_block") or {}).get(str(entry.scale))
    if psnr is not None:
        out["psnr"] = float(psnr)
    return out


def model_cases(
    models_dir: Path,
    formats: list[str],
    models: list[str] | None = None,
) -> list[ModelCase]:
    """Every (model, format) of the manifest in ``formats`` (and ``models``, if given)."""
    entries = load_manifest(models_dir / "manifest.json")
    keras = {e.name: e for e in entries if e.format == "keras"}
    cases = []
    for fmt in formats:
        for e in entries:
            if e.format != fmt or (models and e.name not in models):
                continue
            ref = keras.get(e.name)
            macs = None
            if ref is not None:
                macs = int(ref.extra.get("macs_per_lr_pixel") or ref.extra.get("macs", 0)) or None
            cases.append(
                ModelCase(
                    e.name,
                    fmt,
                    e.task,
                    e.scale,
                    str(e.path(models_dir)),
                    e.bytes,
                    int(e.extra.get("tile", 64)),
                    macs,
                    _quality(e),
                )
            )
    return cases


def measure_model(
    case: ModelCase, threads: int, runs: int, warmup: int, roof_file: str | None = None
) -> dict[str, Any]:
    """Load and run one model file; every time in ms, memory in MiB.

    With ``roof_file``, the roof model of the same precision runs right after, in this
    process, so that ``roof_pct`` compares the two under the same machine load.
    """
    from unpixel.engines import open_engine

    x = model_input(case.task, case.scale, case.tile)
    before = rss_mib()
    t0 = time.perf_counter()
    engine = open_engine(case.path, get_format(case.format), threads)
    init_ms = (time.perf_counter() - t0) * 1e3
    try:
        first_ms = time_ms(lambda: engine.run(x), 1)[0]
        warm = time_ms(lambda: engine.run(x), warmup) if warmup else []
        latency = summarize(time_ms(lambda: engine.run(x), runs))
    finally:
        engine.close()
    peak = peak_rss_mib()
    roof = None
    if roof_file:
        roof = measure_one(Path(roof_file), get_format(case.format).precision, threads, runs)
    items = x.shape[0] if case.task == "classifier" else x.shape[1] * x.shape[2]
    macs = case.macs_per_item * items if case.macs_per_item else None
    gmacs = macs / latency["p50"] / 1e6 if macs else None
    return {
        **asdict(case),
        "threads": threads,
        "input_shape": list(x.shape),
        "accelerator": engine.accelerator,
        "init_ms": init_ms,
        "first_ms": first_ms,
        "warmup_ms": sum(warm) / len(warm) if warm else None,
        "latency_ms": latency,
        "peak_rss_mib": peak,
        "model_rss_mib": peak - before,
        "macs": macs,
        "gmacs": gmacs,
        "roof_gmacs": roof["gmacs"] if roof else None,
        "roof_pct": 100 * gmacs / roof["gmacs"] if roof and gmacs else None,
    }


def run_model(
    case: ModelCase,
    threads: int,
    runs: int,
    warmup: int,
    roof_file: str | None = None,
    in_process: bool = False,
) -> dict[str, Any]:
    """:func:`measure_model` in a fresh process (its own peak RSS), or here."""
    if in_process:
        return measure_model(case, threads, runs, warmup, roof_file)
    args = json.dumps(
        {
            "case": asdict(case),
            "threads": threads,
            "runs": runs,
            "warmup": warmup,
            "roof_file": roof_file,
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "unpixel.bench.model_latency", args],
        capture_output=True,
        text=True,
        timeout=WORKER_TIMEOUT_S,
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return {**asdict(case), "threads": threads, "error": tail[0]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def describe_workload(task: str, scale: int | None) -> str:
    """What one run of a model does, in words."""
    w, h = MODEL_FRAME
    if task == "classifier":
        return f"every 64 px tile of a {w}x{h} frame, one batch"
    return f"the LR image of a {w}x{h} frame at block {scale} ({-(-w // scale)}x{-(-h // scale)})"


def _worker(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    result = measure_model(
        ModelCase(**spec["case"]),
        spec["threads"],
        spec["runs"],
        spec["warmup"],
        spec.get("roof_file"),
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
