"""LiteRT engine: ai-edge-litert, else tflite_runtime, else tf.lite (each fallback warns).

XNNPACK runs CPU models by default; ``delegate="gpu"`` tries the GPU delegate library and
``delegate=PATH`` loads an external delegate. ``num_threads`` is always passed explicitly
(the interpreter's default ran single-threaded).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.engines.base import (
    Engine,
    TensorInfo,
    check_model_file,
    check_single_io,
    fallback,
)
from unpixel.errors import ModelError

GPU_DELEGATES = ("libtensorflowlite_gpu_delegate.so", "libLiteRtGpuAccelerator.so")
"""GPU delegate libraries tried, in order, for ``delegate="gpu"``."""


def interpreter_module() -> Any:
    """The module providing ``Interpreter`` and ``load_delegate``, best first."""
    try:
        from ai_edge_litert import interpreter

        return interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime import interpreter  # type: ignore[import-not-found]

        warnings.warn(
            "ai-edge-litert is not installed; using tflite_runtime (numpy 2 may break it): "
            "pip install ai-edge-litert",
            RuntimeWarning,
            stacklevel=2,
        )
        return interpreter
    except ImportError:
        pass
    try:
        import tensorflow as tf  # type: ignore[import-not-found]

        warnings.warn(
            "ai-edge-litert is not installed; using tf.lite from TensorFlow: "
            "pip install ai-edge-litert",
            RuntimeWarning,
            stacklevel=2,
        )
        return tf.lite.experimental if hasattr(tf.lite, "experimental") else tf.lite
    except ImportError:
        raise ImportError(
            "no LiteRT interpreter: pip install ai-edge-litert (a dependency of unpixel)"
        ) from None


def _info(detail: dict[str, Any]) -> TensorInfo:
    shape = tuple(int(d) for d in detail.get("shape_signature", detail["shape"]))
    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorInfo(
        detail["name"], shape, np.dtype(detail["dtype"]), float(scale), int(zero_point)
    )


class LiteRTEngine(Engine):
    """A .tflite model in a LiteRT interpreter; resizes its input to whatever it is given."""

    backend = "litert"

    def __init__(
        self, path: str | Path, num_threads: int, delegate: str = "cpu", strict: bool = False
    ) -> None:
        super().__init__()
        path = check_model_file(Path(path), b"TFL3", offset=4)
        module = interpreter_module()
        delegates, self.accelerator = self._delegates(module, delegate, strict)
        interpreter_class = getattr(module, "Interpreter", None) or module.Interpreter
        try:
            self._interp = interpreter_class(
                model_content=path.read_bytes(),
                num_threads=num_threads,
                experimental_delegates=delegates or None,
            )
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"LiteRT cannot load {path}: {exc}") from exc
        inputs, outputs = self._interp.get_input_details(), self._interp.get_output_details()
        check_single_io(path, inputs, outputs)
        self.input, self.output = _info(inputs[0]), _info(outputs[0])
        self._in_index, self._out_index = inputs[0]["index"], outputs[0]["index"]
        self._shape = tuple(int(d) for d in inputs[0]["shape"])

    @staticmethod
    def _delegates(module: Any, delegate: str, strict: bool) -> tuple[list[Any], str]:
        if delegate == "cpu":
            return [], "xnnpack"
        names = GPU_DELEGATES if delegate == "gpu" else (delegate,)
        errors = []
        for name in names:
            try:
                return [module.load_delegate(name)], delegate
            except (ValueError, OSError, RuntimeError) as exc:
                errors.append(f"{name}: {exc}")
        fallback(f"LiteRT delegate {delegate!r} could not be loaded ({'; '.join(errors)})", strict)
        return [], "xnnpack"

    def _invoke(self, x: np.ndarray) -> np.ndarray:
        if x.shape != self._shape:
            try:
                self._interp.resize_tensor_input(self._in_index, list(x.shape), strict=True)
                self._interp.allocate_tensors()
            except (ValueError, RuntimeError) as exc:
                raise ValueError(
                    f"model input {self.input.shape} cannot take shape {x.shape}: {exc}"
                ) from exc
            self._shape = x.shape
        self._interp.set_tensor(self._in_index, np.ascontiguousarray(x))
        self._interp.invoke()
        return self._interp.get_tensor(self._out_index)

    def _release(self) -> None:
        """Drop the interpreter."""
        self._interp = None
