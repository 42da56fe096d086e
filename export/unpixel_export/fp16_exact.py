"""Make a float Keras model's weights exactly representable in float16.

The tflite-fp16 format stores every weight as float16; on CPU, LiteRT widens them back to
float32 and computes in float32, so the weight rounding is the only difference from Keras.
The converter rounds the weights it has after folding each BatchNormalization into the
convolution before it (``kernel * gamma / sqrt(var + eps)``), so rounding the Keras
weights alone is not enough: the folded products would be rounded again.

:func:`make_fp16_exact` does the folding itself. Each convolution followed by a
BatchNormalization gets the folded kernel, rounded to float16; the BatchNormalization becomes
an exact identity plus bias: gamma 1, moving mean 0, moving variance ``1 - eps`` (chosen so
that ``var + eps`` is exactly 1.0 in float32, hence ``rsqrt`` exactly 1.0) and beta the
float16-rounded folded bias. Every other float weight is rounded to float16. The layers and
the graph do not change, only the weights; the model then computes the same function in
Keras, fp32 and fp16 form, up to float32 summation order.

Rescaling layers hold constants of the graph, not weights, and the converter rounds those
too: the classifier's ``scale_6`` multiplies by -1/6, which float16 rounds by 2.4e-4
relative (4e-4 on the classifier's output). :func:`fp16_form` is the model the fp16 export
is made from: the same layers and weights, each such Rescaling split into two
multiplications whose factors are float16-exact and sum to its scale (``x * a + x * b``,
within 1.5e-8 of the float32 scale; the converter folds neither into the other).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

FP16_MAX = float(np.finfo(np.float16).max)


@dataclass
class Fp16ExactSummary:
    """What :func:`make_fp16_exact` changed."""

    folded: int = 0
    """Convolution + BatchNormalization pairs folded."""
    rounded: int = 0
    """Weight arrays rounded to float16 (folded kernels and biases included)."""
    max_relative: float = 0.0
    """The largest relative change of a weight (float16 rounding: at most 2**-11 for
    normal numbers; larger only for weights below float16's normal range)."""


def to_fp16(values: np.ndarray) -> np.ndarray:
    """``values`` rounded to the nearest float16, returned as float32.

    ValueError if any value is beyond float16's range (it would become inf).
    """
    values = np.asarray(values, np.float64)
    if values.size and np.abs(values).max() > FP16_MAX:
        raise ValueError(f"weight {np.abs(values).max():.6g} exceeds the float16 range")
    return values.astype(np.float16).astype(np.float32)


def unit_variance(epsilon: float) -> np.float32:
    """The float32 moving variance ``v`` with ``float32(v) + float32(epsilon) == 1.0``.

    ValueError if there is none (an epsilon that large is not used in practice).
    """
    eps = np.float32(epsilon)
    for var in (np.float32(1.0) - eps, np.nextafter(np.float32(1.0) - eps, np.float32(2.0))):
        if np.float32(var + eps) == np.float32(1.0):
            return np.float32(var)
    raise ValueError(f"no float32 variance makes var + {epsilon} exactly 1")


def is_fp16_exact(values: np.ndarray) -> bool:
    """Whether every value is exactly representable in float16."""
    values = np.asarray(values, np.float32)
    return bool(np.array_equal(values.astype(np.float16).astype(np.float32), values))


def _leaf_layers(model: Any) -> list[Any]:
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            out += _leaf_layers(layer)
        else:
            out.append(layer)
    return out


def _producer(layer: Any) -> Any:
    """The layer whose output feeds ``layer`` (a single-input layer in a functional graph)."""
    return layer.input._keras_history[0]


def _consumers(model: Any, layer: Any) -> list[Any]:
    return [
        other
        for other in _leaf_layers(model)
        if other is not layer and any(t._keras_history[0] is layer for t in _inputs_of(other))
    ]


def _inputs_of(layer: Any) -> list[Any]:
    inputs = layer.input if layer._inbound_nodes else []
    return list(inputs) if isinstance(inputs, list | tuple) else [inputs]


def _fold(conv: Any, bn: Any) -> tuple[np.ndarray, np.ndarray]:
    """The conv's kernel and bias with ``bn`` folded in, in float64."""
    import keras

    values = {w.name: np.asarray(w.numpy(), np.float64) for w in bn.weights}
    channels = values["moving_mean"].shape[0]
    gamma = values.get("gamma", np.ones(channels))
    beta = values.get("beta", np.zeros(channels))
    # var + eps in float32, as Keras and the converter add them (exactly 1 once folded)
    var = values["moving_variance"].astype(np.float32) + np.float32(bn.epsilon)
    scale = gamma / np.sqrt(var.astype(np.float64))
    kernel = np.asarray(conv.kernel.numpy(), np.float64)
    bias = np.asarray(conv.bias.numpy(), np.float64) if conv.use_bias else np.zeros(channels)
    if isinstance(conv, keras.layers.DepthwiseConv2D):
        shape = kernel.shape  # (kh, kw, in, multiplier): output channel in * mult + m
        folded = (kernel.reshape(*shape[:2], -1) * scale).reshape(shape)
    else:
        folded = kernel * scale  # output channels last
    return folded, (bias - values["moving_mean"]) * scale + beta


def make_fp16_exact(model: Any) -> Fp16ExactSummary:
    """Round ``model``'s weights in place so that its float16 export computes its function.

    Every convolution (Conv2D, DepthwiseConv2D) whose only consumer is a BatchNormalization
    over the last axis gets that BatchNormalization folded in (see the module docstring);
    every other float weight is rounded to the nearest float16. Nested models are handled.
    The change to the model's outputs is that of float16 weight rounding (relative 2**-11 a
    weight); measure it on real inputs before shipping. Applying it twice changes nothing.
    ValueError for a BatchNormalization that does not follow a foldable convolution, or a
    weight beyond float16's range.
    """
    import keras

    summary = Fp16ExactSummary()
    done: set[int] = set()

    def assign(variable: Any, value: np.ndarray, exact: np.ndarray | None = None) -> None:
        """Set ``variable``; ``exact``: the value before rounding, to count the change."""
        new = np.asarray(value, np.float32).reshape(variable.shape)
        variable.assign(new)
        done.add(id(variable))
        if exact is None:
            return
        summary.rounded += 1
        exact = np.asarray(exact, np.float64).reshape(new.shape)
        big = np.abs(exact) >= np.finfo(np.float16).tiny  # relative change: normal range only
        if big.any():
            rel = np.abs(new[big] - exact[big]) / np.abs(exact[big])
            summary.max_relative = max(summary.max_relative, float(rel.max()))

    for bn in _leaf_layers(model):
        if not isinstance(bn, keras.layers.BatchNormalization):
            continue
        conv = _producer(bn)
        foldable = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)
        axis = bn.axis if isinstance(bn.axis, int) else bn.axis[0]
        if (
            not isinstance(conv, foldable)
            or axis not in (-1, len(bn.input.shape) - 1)
            or conv.activation not in (None, keras.activations.linear)
            or len(_consumers(model, conv)) != 1
        ):
            raise ValueError(f"{bn.name}: not a BatchNormalization after a foldable convolution")
        kernel, bias = _fold(conv, bn)
        assign(conv.kernel, to_fp16(kernel), kernel)
        if conv.use_bias:
            assign(conv.bias, np.zeros_like(bias))
        weights = {w.name: w for w in bn.weights}
        if "gamma" not in weights or "beta" not in weights:
            raise ValueError(f"{bn.name}: needs scale and center to hold the folded bias")
        ones = np.ones_like(bias)
        assign(weights["gamma"], ones)
        assign(weights["beta"], to_fp16(bias), bias)
        assign(weights["moving_mean"], np.zeros_like(bias))
        assign(weights["moving_variance"], ones * unit_variance(bn.epsilon))
        summary.folded += 1
    for variable in model.weights:
        if id(variable) in done or not np.issubdtype(np.dtype(variable.dtype), np.floating):
            continue
        assign(variable, to_fp16(variable.numpy()), variable.numpy())
    return summary


def check_fp16_exact(model: Any) -> list[str]:
    """The paths of ``model``'s weights that float16 export would change (empty: none).

    A BatchNormalization must be an exact identity plus bias (gamma 1, mean 0,
    ``var + eps == 1`` in float32) with a float16-exact beta; every other weight float16-exact.
    """
    import keras

    bad = []
    for layer in _leaf_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            w = {v.name: np.asarray(v.numpy()) for v in layer.weights}
            identity = (
                np.all(w.get("gamma", 1.0) == 1.0)
                and np.all(w["moving_mean"] == 0.0)
                and np.all(w["moving_variance"] + np.float32(layer.epsilon) == np.float32(1.0))
                and is_fp16_exact(w.get("beta", 0.0))
            )
            if not identity:
                bad.append(layer.name)
        else:
            bad += [v.path for v in layer.weights if not is_fp16_exact(v.numpy())]
    return bad


def split_fp16(value: float) -> tuple[float, float]:
    """Two float16-exact numbers ``(a, b)`` whose sum is ``float32(value)`` nearly.

    ``a`` is its nearest float16, ``b`` that of the rest: the sum is off by at most 2**-22
    relative, or 2**-25 absolute where the rest is below float16's normal range.
    """
    target = float(np.float32(value))
    a = float(np.float16(target))
    return a, float(np.float16(target - a))


def fp16_form(model: Any) -> Any:
    """The model the fp16 export is made from: ``model`` itself, or a clone of it.

    When ``model`` has Rescaling layers whose scale float16 does not represent, a
    functional clone sharing every other layer (so every weight) in which each of them
    computes ``x * a + (x * b + offset)`` with float16-exact ``a + b`` = the scale
    (:func:`split_fp16`). Export-only: the clone is not meant to be saved. ValueError for
    such a layer inside a nested model, or with an offset float16 does not represent.
    """
    import keras

    def inexact(layer: Any) -> bool:
        return isinstance(layer, keras.layers.Rescaling) and not is_fp16_exact(
            np.asarray(layer.scale)
        )

    nested = [lay for lay in model.layers if hasattr(lay, "layers")]
    if any(inexact(lay) for sub in nested for lay in _leaf_layers(sub)):
        raise ValueError("a Rescaling float16 does not represent inside a nested model")
    if not any(inexact(layer) for layer in model.layers):
        return model

    class SplitRescaling(keras.layers.Layer):
        """``x * scale + offset`` with the scale split in two float16-exact factors."""

        def __init__(self, scale: float, offset: float, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if not is_fp16_exact(np.asarray(offset)):
                raise ValueError(f"{self.name}: offset {offset} is not float16-exact")
            self.factors, self.offset = split_fp16(scale), float(offset)

        def call(self, inputs: Any) -> Any:
            a, b = self.factors
            rest = keras.ops.add(keras.ops.multiply(inputs, b), self.offset)
            return keras.ops.add(keras.ops.multiply(inputs, a), rest)

        def compute_output_shape(self, input_shape: Any) -> Any:
            return input_shape

    def clone(layer: Any) -> Any:
        if not inexact(layer):
            return layer
        return SplitRescaling(float(layer.scale), float(layer.offset), name=layer.name)

    return keras.models.clone_model(model, clone_function=clone)
