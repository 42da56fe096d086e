"""Engines: one interface over LiteRT and ONNX Runtime (see :class:`Engine`)."""

from __future__ import annotations

from pathlib import Path

from unpixel.engines.base import Engine, InvokeTimer, TensorInfo, check_model_file
from unpixel.formats import Format

__all__ = ["Engine", "InvokeTimer", "TensorInfo", "check_model_file", "open_engine"]


def open_engine(
    path: str | Path, fmt: Format, num_threads: int, delegate: str = "cpu", strict: bool = False
) -> Engine:
    """Load ``path`` (a file of format ``fmt``) on its backend.

    ``delegate``: "cpu" (XNNPACK on LiteRT), "gpu", or a path to an external LiteRT delegate.
    ``strict``: raise :class:`~unpixel.errors.ModelError` instead of falling back to CPU.
    """
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be a positive int, got {num_threads!r}")
    if fmt.backend == "litert":
        from unpixel.engines.litert import LiteRTEngine

        return LiteRTEngine(path, num_threads, delegate, strict)
    if fmt.backend == "onnx":
        from unpixel.engines.onnx import OnnxEngine

        return OnnxEngine(path, num_threads, delegate, strict)
    raise ValueError(f"format {fmt.name!r} does not run in the runtime (export side only)")
