"""ONNX Runtime engine (the ``onnx`` extra): CPU, or CUDA / TensorRT for ``delegate="gpu"``."""

from __future__ import annotations

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
from unpixel.errors import MissingExtraError, ModelError

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")
_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
    "tensor(float16)": np.float16,
}


def _ort() -> Any:
    try:
        import onnxruntime

        return onnxruntime
    except ImportError:
        raise MissingExtraError("onnxruntime", "onnx") from None


def _info(arg: Any) -> TensorInfo:
    shape = tuple(d if isinstance(d, int) else -1 for d in arg.shape)
    return TensorInfo(arg.name, shape, np.dtype(_DTYPES.get(arg.type, np.float32)))


class OnnxEngine(Engine):
    """An .onnx model in an ONNX Runtime session (sequential, ``num_threads`` intra-op)."""

    backend = "onnx"

    def __init__(
        self, path: str | Path, num_threads: int, delegate: str = "cpu", strict: bool = False
    ) -> None:
        super().__init__()
        path = check_model_file(Path(path), None)
        ort = _ort()
        if delegate not in ("cpu", "gpu"):
            raise ValueError(
                f"ONNX Runtime takes delegate 'cpu' or 'gpu', not {delegate!r} "
                "(an external delegate library is a LiteRT option)"
            )
        providers = ["CPUExecutionProvider"]
        self.accelerator = "cpu"
        if delegate == "gpu":
            have = [p for p in GPU_PROVIDERS if p in ort.get_available_providers()]
            if have:
                providers = have + providers
                self.accelerator = "gpu"
            else:
                fallback(
                    "ONNX Runtime has no CUDA or TensorRT provider here (install onnxruntime-gpu)",
                    strict,
                )
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise ModelError(f"ONNX Runtime cannot load {path}: {exc}") from exc
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        check_single_io(path, inputs, outputs)
        self.input, self.output = _info(inputs[0]), _info(outputs[0])

    def _invoke(self, x: np.ndarray) -> np.ndarray:
        try:
            return self._session.run(None, {self.input.name: x})[0]
        except Exception as exc:
            raise ValueError(
                f"model input {self.input.shape} cannot take shape {x.shape}: {exc}"
            ) from exc

    def _release(self) -> None:
        """Drop the session."""
        self._session = None
