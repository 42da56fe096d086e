"""An int8 .tflite restorer's first convolution split in two: a 1xK gather, then a Kx1 conv.

The restorers open with a 5x5 convolution over the 3 input channels. XNNPACK's int8
convolution costs about the same per kernel tap whatever the input channels, so 25 taps
over 3 channels run at a few percent of the machine's MAC rate and took ~40% of the whole
x4 model (``scripts/profile_restorer.py``). :func:`split_first_conv` replaces it with

- a 1xK convolution with one-hot weights that copies each pixel's K horizontal neighbours
  into ``K * C`` channels (``channel = dx * C + c``), quantised exactly as the input (every
  code passes through unchanged), and
- a Kx1 convolution over those channels with the same int8 weights (reordered), per-channel
  scales, bias and output quantisation as the original.

Both read zero-point padding where the original did, and the second sums the same integer
products as the original, so the output is bit-identical (tested); 2K taps instead of K².
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

INT8, INT32 = 9, 2
"""tflite schema TensorType codes."""
MAX_CHANNELS = 4
"""Only convolutions over this many input channels or fewer are split (the input image)."""


def _first_conv(model: Any) -> Any | None:
    """The CONV_2D reading the graph input with a KxK (K > 1), stride 1 kernel, or None."""
    from tensorflow.lite.tools import flatbuffer_utils

    graph = model.subgraphs[0]
    for op in graph.operators:
        if flatbuffer_utils.opcode_to_name(model, op.opcodeIndex) != "CONV_2D":
            continue
        if int(op.inputs[0]) != int(graph.inputs[0]):
            continue
        o = op.builtinOptions
        weights = graph.tensors[op.inputs[1]]
        _, kh, kw, cin = (int(v) for v in weights.shape)
        plain = (o.strideW, o.strideH, o.dilationWFactor, o.dilationHFactor) == (1, 1, 1, 1)
        if plain and kh == kw > 1 and cin <= MAX_CHANNELS and weights.type == INT8:
            return op
    return None


def _buffer(model: Any, data: np.ndarray) -> int:
    from tensorflow.lite.python import schema_py_generated as schema

    buf = schema.BufferT()
    buf.data = np.frombuffer(data.tobytes(), np.uint8)
    model.buffers.append(buf)
    return len(model.buffers) - 1


def _tensor(graph: Any, like: Any, name: str, shape: list[int], kind: int, buffer: int) -> int:
    from tensorflow.lite.python import schema_py_generated as schema

    t = schema.TensorT()
    t.name, t.shape, t.type, t.buffer = name.encode(), np.array(shape, np.int32), kind, buffer
    if like is not None and like.shapeSignature is not None:
        t.shapeSignature = np.array([*like.shapeSignature[:-1], shape[-1]], np.int32)
    graph.tensors.append(t)
    return len(graph.tensors) - 1


def _quant(scales: list[float], zero_points: list[int], axis: int = 0) -> Any:
    from tensorflow.lite.python import schema_py_generated as schema

    q = schema.QuantizationParametersT()
    q.scale = np.array(scales, np.float32)
    q.zeroPoint = np.array(zero_points, np.int64)
    q.quantizedDimension = axis
    return q


def split_first_conv(flatbuffer: bytes) -> bytes:
    """``flatbuffer`` with its first KxK convolution as a 1xK gather and a Kx1 convolution.

    Returns:
        The rewritten model, or ``flatbuffer`` itself when it has no such convolution (one
        reading the graph input, stride and dilation 1, at most :data:`MAX_CHANNELS` input
        channels, int8 weights).

    """
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    op = _first_conv(model)
    if op is None:
        return flatbuffer
    graph = model.subgraphs[0]
    source, weights = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    cout, k, _, cin = (int(v) for v in weights.shape)
    w = np.frombuffer(bytes(model.buffers[weights.buffer].data), np.int8).reshape(cout, k, k, cin)
    name = weights.name.decode(errors="replace")
    in_scale = float(source.quantization.scale[0])
    in_zero = int(source.quantization.zeroPoint[0])

    # the gather: output channel dx * cin + c is input channel c, dx - k // 2 columns away
    taps = k * cin
    onehot = np.zeros((taps, 1, k, cin), np.int8)
    for dx in range(k):
        for c in range(cin):
            onehot[dx * cin + c, 0, dx, c] = 127
    g_w = _tensor(graph, None, f"{name}/gather_w", [taps, 1, k, cin], INT8, _buffer(model, onehot))
    graph.tensors[g_w].quantization = _quant([1 / 127] * taps, [0] * taps)
    g_b = _tensor(
        graph, None, f"{name}/gather_b", [taps], INT32, _buffer(model, np.zeros(taps, np.int32))
    )
    graph.tensors[g_b].quantization = _quant([in_scale / 127] * taps, [0] * taps)
    out = graph.tensors[op.outputs[0]]
    gathered = _tensor(graph, out, f"{name}/gathered", [1, 1, 1, taps], INT8, 0)
    graph.tensors[gathered].quantization = _quant([in_scale], [in_zero])
    gather = copy.deepcopy(op)
    gather.inputs = np.array([op.inputs[0], g_w, g_b], np.int32)
    gather.outputs = np.array([gathered], np.int32)
    gather.builtinOptions.fusedActivationFunction = 0  # NONE: codes pass unchanged

    # the column conv: the original weights reordered, w2[o, dy, 0, dx * cin + c] =
    # w[o, dy, dx, c], with their per-channel scales; the bias (scale: input x weight) holds
    weights.shape = np.array([cout, k, 1, taps], np.int32)
    model.buffers[weights.buffer].data = np.frombuffer(
        w.reshape(cout, k, 1, taps).tobytes(), np.uint8
    )
    op.inputs = np.array([gathered, op.inputs[1], op.inputs[2]], np.int32)

    graph.operators.insert(list(graph.operators).index(op), gather)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
