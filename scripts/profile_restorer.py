"""Per-layer profile of an int8 restorer on one frame's LR image (LiteRT, XNNPACK, int8 I/O).

XNNPACK runs the whole int8 graph as one delegate node, so LiteRT's op profiler sees one op.
This script measures each layer instead: the int8 form (:func:`~unpixel_export.int8_form.int8_form`)
cut after each layer is exported to int8 (int8 I/O, the first conv split as shipped:
:mod:`unpixel_export.first_conv`) and timed; a layer's cost is the time
its prefix adds to the previous prefix. Beside each layer: its MACs, the bytes of its
output tensor, and the time of a memory-bound reference of the same size (an int8 ADD of
two tensors of the output's shape: read twice, write once), so a layer far above that
reference is compute-bound and one near it memory-bound. The compute-bound roof is the
bench's (``benchmarks/roof.json``, GMAC/s of 64-channel 3x3 convolutions).

Usage: ``python scripts/profile_restorer.py [--scale 4] [--tier fast] [--frame 1920x1080]
[--markdown FILE]``. Calibration: ramps and smoothed noise (timing does not depend on it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

LAYERS = ("feat", "conv3", "res1", "conv2", "res2", "pa_gate", "pa", "pa_and_lr", "to_subpixel")


def _samples(n: int = 12) -> list[np.ndarray]:
    from unpixel_export.representative import full_range

    rng = np.random.default_rng(0)
    out = [full_range(48, 48)[None]]
    for _ in range(n):
        small = rng.integers(0, 256, (12, 12, 3)).astype(np.uint8)
        x = cv2.resize(small, (48, 48), interpolation=cv2.INTER_CUBIC)
        out.append(x[None].astype(np.float32) / 255.0)
    return [s.astype(np.float32) for s in out]


def _int8(model: Any, samples: list[np.ndarray]) -> bytes:
    """int8 with int8 I/O and the first conv split, as the shipped restorers are."""
    from unpixel_export.first_conv import split_first_conv
    from unpixel_export.keras2tflite import keras2tflite

    return split_first_conv(keras2tflite(model, "int8", lambda: iter(samples)))


def _time(flatbuffer: bytes, shape: tuple[int, ...], threads: int, rounds: int) -> float:
    from unpixel.engines.litert import interpreter_module

    interp = interpreter_module().Interpreter(model_content=flatbuffer, num_threads=threads)
    index = interp.get_input_details()[0]["index"]
    interp.resize_tensor_input(index, list(shape))
    interp.allocate_tensors()
    interp.set_tensor(index, np.zeros(shape, np.int8))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times[2:])


def _macs(layer: Any, h: int, w: int) -> int:
    if not hasattr(layer, "kernel"):
        return 0
    kh, kw, cin, cout = layer.kernel.shape
    return int(kh * kw * cin * cout * h * w)


def profile(scale: int, tier: str, frame: tuple[int, int], threads: int) -> dict[str, Any]:
    """Each layer's added time (ms), MACs, output bytes and memory-bound reference time."""
    import keras

    from unpixel_export.int8_form import int8_form
    from unpixel_export.keras_infer import load_keras

    name = f"restorer_x{scale}" if tier == "fast" else f"restorer_{tier}_x{scale}"
    samples = _samples()
    form = int8_form(load_keras(Path("models") / f"{name}.keras"), samples)
    h, w = -(-frame[1] // scale) + 10, -(-frame[0] // scale) + 10  # the halo, as restored
    shape = (1, h, w, 3)
    rows, before = [], 0.0
    for layer_name in LAYERS:
        layer = form.get_layer(layer_name)
        prefix = keras.Model(form.inputs, layer.output)
        ms = _time(_int8(prefix, samples), shape, threads, 15)
        channels = int(layer.output.shape[-1])
        ref_in = keras.Input((None, None, channels))
        ref = keras.Model(ref_in, keras.layers.Add()([ref_in, ref_in]))
        ref_samples = [
            np.random.default_rng(i).random((1, 16, 16, channels), np.float32) for i in range(4)
        ]
        ref_ms = _time(_int8(ref, ref_samples), (1, h, w, channels), threads, 15)
        rows.append(
            {
                "layer": layer_name,
                "kind": type(layer).__name__,
                "channels": channels,
                "ms": round(max(ms - before, 0.0), 2),
                "prefix_ms": round(ms, 2),
                "macs": _macs(layer, h, w),
                "out_bytes": h * w * channels,
                "add_ref_ms": round(ref_ms, 2),
            }
        )
        before = ms
    whole = _time(_int8(form, samples), shape, threads, 15)
    return {
        "model": name,
        "lr_shape": list(shape),
        "threads": threads,
        "whole_ms": round(whole, 2),
        "layers": rows,
    }


def markdown(result: dict[str, Any], roof_gmacs: float | None) -> str:
    """The profile as a table."""
    lines = [
        f"# Per-layer profile: {result['model']} int8, LR {result['lr_shape'][1]}x"
        f"{result['lr_shape'][2]}, {result['threads']} threads",
        "",
        f"Whole model (depth_to_space included): {result['whole_ms']} ms. Command: "
        "`python scripts/profile_restorer.py` (see its docstring).",
        "",
        "| layer | op | out ch | added ms | MMAC | GMAC/s | share of int8 roof | out MB | int8 ADD of that size, ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["layers"]:
        gmacs = r["macs"] / (r["ms"] * 1e6) if r["macs"] and r["ms"] > 0 else None
        share = f"{gmacs / roof_gmacs:.0%}" if gmacs and roof_gmacs else "-"
        lines.append(
            f"| {r['layer']} | {r['kind']} | {r['channels']} | {r['ms']} | "
            f"{r['macs'] / 1e6:.0f} | {f'{gmacs:.1f}' if gmacs else '-'} | {share} | "
            f"{r['out_bytes'] / 1e6:.2f} | {r['add_ref_ms']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--tier", default="fast")
    parser.add_argument("--frame", default="1920x1080")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    width, height = (int(v) for v in args.frame.split("x"))
    result = profile(args.scale, args.tier, (width, height), args.threads)
    from unpixel.bench.roof import default_roof_file, measure_one

    roof = None
    sidecar = default_roof_file()
    if sidecar is not None:
        roof = measure_one(sidecar, "int8", args.threads, 20).get("gmacs")
        result["roof_int8_gmacs"] = roof
    text = markdown(result, roof)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
