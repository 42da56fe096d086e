"""``unpixel doctor``: what a bug report needs, and whether the default pipeline runs.

It prints the versions (unpixel, Python, numpy, OpenCV, LiteRT, ONNX Runtime and the
optional packages), the OS, board and CPU (with its int8 dot-product instructions), the
threads, which backend / delegate pairs load and run a shipped model (each tried for real,
strictly: no fallback to CPU), the cameras found (``/dev/video*``, picamera2), and then
creates the default pipeline and processes one small mosaic frame. The exit status is 1
when that pipeline cannot be created or run, 0 otherwise (a missing GPU delegate or
optional package is reported, not a failure).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import struct
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from unpixel.errors import UnpixelError
from unpixel.terminal import say, write

EXIT_OK, EXIT_FAIL = 0, 1

PACKAGES = {
    "numpy": "numpy",
    "OpenCV": ("opencv-python-headless", "opencv-python", "opencv-contrib-python"),
    "LiteRT": "ai-edge-litert",
    "ONNX Runtime": ("onnxruntime", "onnxruntime-gpu"),
    "tqdm": "tqdm",
    "PyAV (video extra)": "av",
    "Ray (ray extra)": "ray",
    "matplotlib (bench extra)": "matplotlib",
    "TensorFlow (export extra)": ("tensorflow-cpu", "tensorflow"),
}
"""What is installed, by distribution name (the first one found of a tuple)."""

BACKENDS = (
    ("litert", "int8", "cpu"),
    ("litert", "fp32", "cpu"),
    ("litert", "fp32", "gpu"),
    ("onnx", "int8", "cpu"),
    ("onnx", "fp32", "gpu"),
)
"""Backend, precision and delegate combinations tried on the shipped classifier."""

SIMD_FLAGS = ("sse4_2", "avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "asimd",
              "asimdhp", "asimddp", "sve", "i8mm")  # fmt: skip
"""CPU flags worth a line in a bug report (x86 SIMD levels, Arm NEON, fp16, dotprod, SVE)."""


def _distribution(names: str | tuple[str, ...]) -> str | None:
    """The version of the first installed of ``names`` (with its name when several)."""
    for name in (names,) if isinstance(names, str) else names:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        return version if isinstance(names, str) else f"{version} ({name})"
    return None


def _first_line(path: str) -> str | None:
    try:
        text = Path(path).read_text(errors="replace").replace("\0", "").strip()
    except OSError:
        return None
    return text.splitlines()[0] if text else None


def _os_release() -> str | None:
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        return None
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    return fields.get("PRETTY_NAME", "").strip('"') or None


def system() -> dict[str, Any]:
    """The OS, board, CPU (model, cores, flags) and threads.

    Returns:
        A JSON-ready dict.

    """
    from unpixel.bench.measure import int8_dot_product, machine
    from unpixel.options import PipelineOptions

    about = machine()
    try:
        flags = {
            f
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith(("flags", "Features"))
            for f in line.partition(":")[2].split()
        }
    except OSError:
        flags = set()
    return {
        "os": about["os"],
        "distribution": _os_release(),
        "arch": f"{about['arch']}, {struct.calcsize('P') * 8}-bit Python",
        "board": _first_line("/proc/device-tree/model"),
        "jetson_l4t": _first_line("/etc/nv_tegra_release"),
        "cpu": about["cpu"],
        "cpu_flags": [f for f in SIMD_FLAGS if f in flags],
        "int8_dot_product": int8_dot_product(),
        "cores": os.cpu_count(),
        "cores_usable": about["cores"],
        "default_threads": PipelineOptions().num_threads,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


def versions() -> dict[str, Any]:
    """unpixel, Python and the packages of :data:`PACKAGES` (None: not installed).

    Returns:
        A JSON-ready dict.

    """
    from unpixel import __version__

    found = {label: _distribution(names) for label, names in PACKAGES.items()}
    return {
        "unpixel": f"{__version__} ({Path(__file__).resolve().parent})",
        "python": f"{platform.python_version()} {platform.python_implementation()} "
        f"({sys.executable})",
        **found,
    }


def backends(num_threads: int) -> dict[str, str]:
    """Each of :data:`BACKENDS`: "ok: ..." when the shipped classifier loads and runs.

    Args:
        num_threads: threads given to each engine.

    Returns:
        ``"litert int8 cpu"``-style keys; values start with ``ok:`` or ``no:``.

    """
    import numpy as np

    from unpixel.engines import open_engine
    from unpixel.options import PipelineOptions
    from unpixel.zoo import resolve

    out: dict[str, str] = {}
    for backend, precision, delegate in BACKENDS:
        key = f"{backend} {precision} {delegate}"
        try:
            files = resolve(PipelineOptions(backend=backend, precision=precision))
            with open_engine(files.classifier, files.format, num_threads, delegate, True) as e:
                shape = tuple(1 if d < 0 else d for d in e.input.shape)
                tile = np.zeros(shape, np.uint8)
                e.run(tile)  # the first run may build or compile
                start = time.perf_counter()
                e.run(tile)
                ms = (time.perf_counter() - start) * 1e3
                out[key] = f"ok: {e.accelerator}, classifier {shape[1]}x{shape[2]} in {ms:.1f} ms"
        except (UnpixelError, ImportError, ValueError, OSError, RuntimeError) as exc:
            out[key] = f"no: {' '.join(str(exc).split())}"
    if importlib.util.find_spec("onnxruntime") is not None:
        try:
            import onnxruntime

            out["onnx providers"] = " ".join(onnxruntime.get_available_providers())
        except ImportError as exc:
            out["onnx providers"] = f"no: {exc}"
    return out


def cameras() -> dict[str, Any]:
    """V4L2 devices (``/dev/video*`` with their driver's name) and picamera2's state.

    Returns:
        A JSON-ready dict: ``video_devices`` and ``picamera2``.

    """
    devices = {}
    for dev in sorted(Path("/dev").glob("video*")):
        devices[str(dev)] = _first_line(f"/sys/class/video4linux/{dev.name}/name") or "?"
    if importlib.util.find_spec("picamera2") is None:
        state = "not installed (Raspberry Pi OS: sudo apt install python3-picamera2)"
    else:
        from unpixel.live.picamera import import_picamera2

        try:
            camera_class = import_picamera2()
            found = camera_class.global_camera_info()
            models = ", ".join(str(c.get("Model", c)) for c in found) or "none found"
            state = f"importable, {len(found)} camera(s): {models}"
        except UnpixelError as exc:
            state = f"no: {exc}"
        except Exception as exc:  # libcamera's own errors are not one class
            state = f"importable, cameras not listed ({type(exc).__name__}: {exc})"
    return {"video_devices": devices, "picamera2": state}


def pipeline_check() -> dict[str, Any]:
    """Create the default pipeline and process one 128x128 block-4 mosaic of a bundled photo.

    Returns:
        ``ok`` (bool), and ``found`` and ``timings_ms`` or ``error``.

    """
    from importlib import resources

    from unpixel.degrade import pixelate
    from unpixel.io import read_image
    from unpixel.pipeline import Pipeline

    try:
        with resources.as_file(resources.files("unpixel") / "data" / "astronaut.jpg") as src:
            frame = pixelate(read_image(src)[96:224, 160:288], 4)
        with Pipeline.create() as pipe:
            result = pipe.process(frame)
    except (UnpixelError, ImportError, ValueError, OSError, RuntimeError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    grid = result.detection.grid
    return {
        "ok": True,
        "found": f"block {grid.block}" if grid else "nothing (the mosaic was not found)",
        "timings_ms": {k: round(v, 2) for k, v in result.timings.items()},
    }


def report(num_threads: int) -> dict[str, Any]:
    """Everything :mod:`unpixel.doctor` checks, as one JSON-ready dict.

    Args:
        num_threads: threads given to each engine tried.

    Returns:
        ``versions``, ``system``, ``backends``, ``cameras`` and ``pipeline``.

    """
    return {
        "versions": versions(),
        "system": system(),
        "backends": backends(num_threads),
        "cameras": cameras(),
        "pipeline": pipeline_check(),
    }


def _text(doc: dict[str, Any]) -> None:
    for section, values in doc.items():
        say(section)
        for key, value in values.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
            elif isinstance(value, list):
                value = " ".join(value) or "none"
            say(f"  {key:<26} {'-' if value is None else value}")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``unpixel doctor``.

    Args:
        p: the (sub)parser to add them to.

    """
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--threads", type=int, default=2, help="CPU threads for each model tried (default 2)"
    )


def run_doctor(args: argparse.Namespace) -> int:
    """Print the report; 1 when the default pipeline cannot run.

    Args:
        args: the parsed options of :func:`add_arguments`.

    Returns:
        0 when the default pipeline processed its frame, 1 otherwise.

    Raises:
        ValueError: ``--threads`` is below 1.

    """
    if args.threads < 1:
        raise ValueError(f"--threads must be at least 1, got {args.threads}")
    doc = report(args.threads)
    if args.json:
        write(json.dumps(doc, indent=1) + "\n")
    else:
        _text(doc)
    if not doc["pipeline"]["ok"]:
        say(f"error: the default pipeline cannot run: {doc['pipeline']['error']}", err=True)
        return EXIT_FAIL
    return EXIT_OK
