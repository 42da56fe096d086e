"""The machine's roof: XNNPACK throughput (GMAC/s) on compute-bound convolutions.

``benchmarks/roof.json`` names two .tflite files (fp32 and full-integer int8, made by
``python -m benchmarks.make_roof``) and their MACs per run. A model's achieved GMAC/s over
the roof of its precision says how much of the machine it uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.bench.measure import summarize, time_ms

ROOF_PRECISION = {"fp32": "fp32", "fp16": "fp32", "int8": "int8"}
"""Which roof a model precision is compared with (fp16 weights run as fp32 on CPU)."""


def default_roof_file() -> Path | None:
    """``benchmarks/roof.json`` of a source checkout (next to ``runtime/``), or of the cwd."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        path = root / "benchmarks" / "roof.json"
        if path.is_file():
            return path
    return None


def roof_precision(precision: str) -> str:
    """Which roof a model precision is compared with."""
    return ROOF_PRECISION.get(precision, "fp32")


def measure_one(sidecar: Path, precision: str, threads: int, runs: int) -> dict[str, Any]:
    """GMAC/s at p50 (and the latency) of the roof model of ``precision``."""
    from unpixel.engines.litert import interpreter_module

    meta = json.loads(Path(sidecar).read_text())
    name = meta["files"][roof_precision(precision)]
    interp = interpreter_module().Interpreter(
        model_path=str(Path(sidecar).parent / name), num_threads=threads
    )
    interp.allocate_tensors()
    detail = interp.get_input_details()[0]
    interp.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
    interp.invoke()
    latency = summarize(time_ms(interp.invoke, runs))
    return {
        "gmacs": meta["macs"] / latency["p50"] / 1e6,
        "latency_ms": latency,
        "macs": meta["macs"],
        "file": name,
        "model": meta.get("layers"),
    }


def measure_roof(sidecar: Path, threads: int, runs: int) -> dict[str, Any]:
    """:func:`measure_one` for each roof precision, at ``threads``."""
    meta = json.loads(Path(sidecar).read_text())
    return {
        "threads": threads,
        "model": meta.get("layers"),
        "by_precision": {p: measure_one(sidecar, p, threads, runs) for p in meta["files"]},
    }
