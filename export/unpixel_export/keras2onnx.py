"""Keras -> ONNX: fp32 through tf2onnx; int8 as static QDQ through ONNX Runtime's quantiser.

int8 means uint8 activations and int8 per-channel weights (QDQ nodes, float I/O).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from unpixel_export.keras2tflite import Representative, signature

OPSET = 17
"""tf2onnx 1.17 supports opsets 13-18."""


def keras2onnx(model: Any, metadata: dict[str, Any] | None = None, opset: int = OPSET) -> bytes:
    """Convert a Keras model to an fp32 ONNX model.

    Batch is dynamic, and so are the restorer's spatial dims; ``metadata`` goes into the
    model's metadata_props.
    """
    import tensorflow as tf
    import tf2onnx

    forward = tf.function(lambda x: model(x, training=False))
    proto, _ = tf2onnx.convert.from_function(
        forward, input_signature=[signature(model)], opset=opset
    )
    proto.producer_version = "unpixel"  # no tool version or time stamp: reproducible bytes
    canonical_names(proto.graph)
    proto.graph.doc_string = f"unpixel: {model.name}"
    _set_metadata(proto, metadata)
    return proto.SerializeToString()


def canonical_names(graph: Any) -> None:
    """Rename nodes, initializers, inner tensors and symbolic dims in graph order.

    tf2onnx numbers names from a process-wide counter, so the same model converted twice
    gave different bytes; after this it gives the same bytes.
    """
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    mapping: dict[str, str] = {}
    for i, init in enumerate(graph.initializer):
        mapping[init.name] = f"w{i}"
    for i, node in enumerate(graph.node):
        node.name = f"{node.op_type}_{i}"
        for j, out in enumerate(node.output):
            if out and out not in keep:
                mapping[out] = f"t{i}_{j}"
    for init in graph.initializer:
        init.name = mapping[init.name]
    for node in graph.node:
        node.input[:] = [mapping.get(x, x) for x in node.input]
        node.output[:] = [mapping.get(x, x) for x in node.output]
    for info in graph.value_info:
        info.name = mapping.get(info.name, info.name)
    dims: dict[str, str] = {}
    for info in [*graph.input, *graph.output, *graph.value_info]:
        for dim in info.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = dims.setdefault(dim.dim_param, f"d{len(dims)}")


def _set_metadata(proto: Any, metadata: dict[str, Any] | None) -> None:
    del proto.metadata_props[:]
    if metadata:
        entry = proto.metadata_props.add()
        entry.key, entry.value = "unpixel", json.dumps(metadata, sort_keys=True)


def _before_layout(graph: Any) -> list[str]:
    """The tensors from the graph's output back through layout-only ops to the last computed one."""
    producer = {out: node for node in graph.node for out in node.output}
    names, node = [], producer.get(graph.output[0].name)
    while node is not None and node.op_type in ("Transpose", "DepthToSpace", "Reshape"):
        names.append(node.input[0])
        node = producer.get(node.input[0])
    return names


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over a list of samples."""

    def __init__(self, name: str, samples: list[np.ndarray]) -> None:
        self._items = iter([{name: s} for s in samples])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._items, None)


def onnx2int8(
    fp32: bytes,
    representative: Representative,
    metadata: dict[str, Any] | None = None,
    unit_output: bool = False,
) -> bytes:
    """Static QDQ quantisation of an fp32 ONNX model, calibrated (min-max) on the samples.

    ``unit_output``: an image output, its last computed tensor quantised over [0, 1]
    (scale 1/255) instead of its calibrated range, as :func:`keras2tflite` does.
    """
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    samples = list(representative())
    if not samples:
        raise ValueError("the representative set is empty: int8 export needs samples")
    with tempfile.TemporaryDirectory(prefix="unpixel-onnx-") as tmp:
        src, pre, out = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        src.write_bytes(fp32)
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        graph = onnx.load(str(pre)).graph
        name = graph.input[0].name
        pixels = [{"rmin": np.float32(0), "rmax": np.float32(1)}]
        overrides = {t: pixels for t in _before_layout(graph)} if unit_output else {}
        quantize_static(
            str(pre),
            str(out),
            _Reader(name, samples),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"TensorQuantOverrides": overrides} if overrides else {},
        )
        proto = onnx.load(str(out))
    proto.producer_version = "unpixel"
    _set_metadata(proto, metadata)
    return proto.SerializeToString()
