"""LiteRT engine: ai-edge-litert, else tflite_runtime, else tf.lite (each fallback warns).

XNNPACK runs CPU models by default; ``delegate="gpu"`` tries the GPU delegate library and
``delegate=PATH`` loads an external delegate. ``num_threads`` is always passed explicitly
(the interpreter's default ran single-threaded).
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
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

SHAPE_SLOTS = 2
"""Input shapes an engine keeps an interpreter allocated for (CPU only: a delegate's state is
not shared between two interpreters)."""
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
        content = path.read_bytes()

        def new_interpreter() -> Any:
            return interpreter_class(
                model_content=content,
                num_threads=num_threads,
                experimental_delegates=delegates or None,
            )

        try:
            first = new_interpreter()
            first.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"LiteRT cannot load {path}: {exc}") from exc
        inputs, outputs = first.get_input_details(), first.get_output_details()
        check_single_io(path, inputs, outputs)
        self.input, self.output = _info(inputs[0]), _info(outputs[0])
        self._in_index, self._out_index = inputs[0]["index"], outputs[0]["index"]
        # one interpreter per recent input shape; a delegate's state is not shared between two
        self._new = new_interpreter
        self._slots_max = SHAPE_SLOTS if not delegates else 1
        self._slots: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._slots[tuple(int(d) for d in inputs[0]["shape"])] = first

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

    def _interpreter(self, shape: tuple[int, ...]) -> Any:
        """The interpreter allocated for ``shape``: kept, or the least recent one resized.

        Resizing reallocates every tensor (milliseconds for a frame's worth); a frame with a
        large and a small region alternates between two shapes, so the last
        :data:`SHAPE_SLOTS` shapes keep an interpreter each.
        """
        interp = self._slots.get(shape)
        if interp is not None:
            self._slots.move_to_end(shape)
            return interp
        if len(self._slots) < self._slots_max:
            interp = self._new()
        else:
            _, interp = self._slots.popitem(last=False)
        try:
            interp.resize_tensor_input(self._in_index, list(shape), strict=True)
            interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ValueError(
                f"model input {self.input.shape} cannot take shape {shape}: {exc}"
            ) from exc
        self._slots[shape] = interp
        return interp

    def _invoke(self, x: np.ndarray) -> np.ndarray:
        interp = self._interpreter(tuple(x.shape))
        interp.set_tensor(self._in_index, np.ascontiguousarray(x))
        interp.invoke()
        return interp.get_tensor(self._out_index)

    def _release(self) -> None:
        """Drop the interpreters."""
        self._slots.clear()
