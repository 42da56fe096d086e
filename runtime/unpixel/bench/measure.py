"""Timing statistics, peak memory and a description of the machine."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def summarize(samples_ms: list[float]) -> dict[str, float]:
    """p50 / p90 / p99 / mean / min of timings in ms, and how many there were."""
    a = np.asarray(samples_ms, dtype=np.float64)
    p50, p90, p99 = np.percentile(a, [50, 90, 99])
    return {
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "mean": float(a.mean()),
        "min": float(a.min()),
        "n": len(a),
    }


def time_ms(fn: Callable[[], Any], runs: int) -> list[float]:
    """Wall time of ``runs`` calls of ``fn``, in ms each."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def interleaved_ms(fns: dict[str, Callable[[], Any]], runs: int) -> dict[str, list[float]]:
    """Time several functions in turn (a, b, a, b, ...) so that machine noise hits all alike."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            out[name] += time_ms(fn, 1)
    return out


def _status_kib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    """Peak resident memory (VmHWM from /proc; getrusage elsewhere), MiB."""
    kib = _status_kib("VmHWM")
    if kib is None:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kib = peak / 1024 if sys.platform == "darwin" else peak
    return kib / 1024


def rss_mib() -> float:
    """Current resident memory (VmRSS), MiB; the peak where /proc is missing."""
    kib = _status_kib("VmRSS")
    return kib / 1024 if kib is not None else peak_rss_mib()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


INT8_DOT_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp")
"""CPU flags (/proc/cpuinfo) of int8 dot-product instructions: x86 VNNI and AMX, Arm dotprod.
Without one, XNNPACK's int8 convolutions widen to 16 bits and need not beat fp32."""


def int8_dot_product() -> str | None:
    """The first of :data:`INT8_DOT_FLAGS` this CPU reports, or None (also when unknown)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    flags = {
        f
        for line in text.splitlines()
        if line.startswith(("flags", "Features"))
        for f in line.split(":", 1)[1].split()
    }
    return next((f for f in INT8_DOT_FLAGS if f in flags), None)


def _version(module: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def _git(root: Path, *args: str) -> str:
    import subprocess

    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip()


def code_version() -> dict[str, Any] | None:
    """The git commit of the runtime measured, and whether its files had local changes."""
    root = Path(__file__).resolve().parents[3]
    head = _git(root, "rev-parse", "--short", "HEAD") if (root / ".git").exists() else ""
    if not head:
        return None
    return {
        "commit": head,
        "runtime_modified": bool(_git(root, "status", "--porcelain", "runtime")),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU, cores, load, OS and package versions."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    packages = ("numpy", "opencv-python-headless", "ai-edge-litert", "onnxruntime")
    return {
        "cpu": _cpu_model(),
        "cores": cores,
        "arch": platform.machine(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in load] if load else None,
        "packages": {p: v for p in packages if (v := _version(p))},
    }
