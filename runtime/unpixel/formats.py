"""The format table: the single source of truth for export, the CLI's choices and benchmarks.

Each row names a deployable form of a trained model. The exporter maps a row to its converter,
the runtime maps it to an engine, the tests are generated from it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One row of the format table."""

    name: str
    suffix: str  # file suffix, with the dot
    backend: str  # "keras" (export side only), "litert" or "onnx"
    precision: str  # "fp32", "fp16" or "int8"
    runs_on: str
    tolerance: float | None
    """Max abs difference from Keras float on the same input (float formats); None for int8,
    which is judged by task metrics (F1/FPR, PSNR) instead."""

    def file_name(self, model: str) -> str:
        """The artifact's file name for a model (``restorer_x2`` -> ``restorer_x2_int8.tflite``)."""
        if self.backend == "keras":
            return f"{model}{self.suffix}"
        return f"{model}_{self.precision}{self.suffix}"


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("keras", ".keras", "keras", "fp32", "TensorFlow (export side only)", 0.0),
        Format("tflite-fp32", ".tflite", "litert", "fp32", "LiteRT + XNNPACK / GPU delegate", 1e-4),
        Format("tflite-fp16", ".tflite", "litert", "fp16", "LiteRT", 1e-4),
        Format("tflite-int8", ".tflite", "litert", "int8", "LiteRT, full-integer, int8 I/O", None),
        Format("onnx-fp32", ".onnx", "onnx", "fp32", "ONNX Runtime (CPU, CUDA, TensorRT)", 1e-4),
        Format("onnx-int8", ".onnx", "onnx", "int8", "ONNX Runtime, static QDQ", None),
    )
}
"""Every format, by name."""

DEPLOY_FORMATS = tuple(name for name, f in FORMATS.items() if f.backend != "keras")
"""The formats the runtime runs (everything but Keras)."""
BACKENDS = tuple(dict.fromkeys(FORMATS[name].backend for name in DEPLOY_FORMATS))
"""The runtime's backends, in table order (``litert``, ``onnx``)."""
PRECISIONS = tuple(dict.fromkeys(FORMATS[name].precision for name in DEPLOY_FORMATS))
"""The precisions some runtime backend has, in table order (``fp32``, ``fp16``, ``int8``)."""


def precisions_of(backend: str) -> tuple[str, ...]:
    """The precisions the table has for a runtime backend (``onnx`` -> ``fp32``, ``int8``).

    Args:
        backend: a runtime backend name; an unknown one has no precisions.

    Returns:
        The precisions of the backend's rows, in table order (empty for an unknown backend).

    """
    return tuple(FORMATS[n].precision for n in DEPLOY_FORMATS if FORMATS[n].backend == backend)


def get_format(name: str) -> Format:
    """The row called ``name``; ValueError naming the closest row for an unknown name."""
    try:
        return FORMATS[name]
    except KeyError:
        close = difflib.get_close_matches(name, FORMATS, n=1, cutoff=0.4)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown format {name!r}{hint} (choose from {', '.join(FORMATS)})"
        ) from None


def format_for(backend: str, precision: str) -> Format:
    """The row for a runtime backend and precision (``litert``, ``int8`` -> ``tflite-int8``)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
    for f in FORMATS.values():
        if f.backend == backend and f.precision == precision:
            return f
    have = precisions_of(backend)
    raise ValueError(f"no {precision!r} format for backend {backend!r} (it has {', '.join(have)})")
