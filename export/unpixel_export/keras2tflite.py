"""Keras -> TFLite (LiteRT): fp32, fp16 weights, or full-integer int8 with int8 I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

Representative = Callable[[], Iterable[np.ndarray]]
"""A function yielding float32 model inputs (1, H, W, 3), RGB in [0, 1], for calibration."""


def signature(model: Any) -> Any:
    """The export signature: batch dynamic; spatial dims dynamic where the model's are."""
    import tensorflow as tf

    shape = [None, *model.input_shape[1:]]
    return tf.TensorSpec(shape, tf.float32, name=model.inputs[0].name)


def concrete_function(model: Any, unit_output: bool = False) -> Any:
    """The model's inference-mode forward pass as a TF concrete function.

    ``unit_output``: the output clipped to [0, 1] in 256 steps (a fake-quant op, which the
    int8 converter turns into the output's quantisation, scale 1/255: no op of its own).
    """
    import tensorflow as tf

    def forward(x: Any) -> Any:
        y = model(x, training=False)
        return tf.quantization.fake_quant_with_min_max_args(y, 0.0, 1.0) if unit_output else y

    return tf.function(forward).get_concrete_function(signature(model))


def keras2tflite(
    model: Any,
    precision: str,
    representative: Representative | None = None,
    unit_output: bool = False,
    io_dtype: str = "int8",
) -> bytes:
    """Convert a Keras model to a .tflite flatbuffer.

    Args:
        model: the Keras model.
        precision: "fp32"; "fp16" (weights stored as float16); "int8" (full integer, builtin
            int8 ops only; needs ``representative``).
        representative: the int8 calibration inputs.
        unit_output: an image output, quantised as pixels (scale 1/255) rather than
            calibrated: the restorer's overshoots gave it ~1.4 levels a code, rounded twice.
        io_dtype: the int8 model's interface. "int8" (the default): the XNNPACK delegate
            runs the whole graph, and the engine turns pixels into int8 codes by flipping
            the sign bit (:meth:`~unpixel.engines.base.Engine.quantise`). "uint8": the
            converter adds a QUANTIZE op at each end, which XNNPACK leaves to LiteRT's
            reference kernels (what :func:`~unpixel_export.int8_io.to_int8_io` removes).

    Returns:
        The flatbuffer.

    Raises:
        ValueError: an unknown precision or io_dtype, or int8 without calibration samples.

    """
    import tensorflow as tf

    forward = concrete_function(model, unit_output)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([forward])
    if precision == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "int8":
        if representative is None:
            raise ValueError("int8 export needs representative data")
        samples = list(representative())
        if not samples:
            raise ValueError("the representative set is empty: int8 export needs samples")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([s] for s in samples)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_dtype not in ("int8", "uint8"):
            raise ValueError(f"io_dtype must be int8 or uint8, got {io_dtype!r}")
        converter.inference_input_type = getattr(tf, io_dtype)
        converter.inference_output_type = getattr(tf, io_dtype)
    elif precision != "fp32":
        raise ValueError(f"TFLite precision must be fp32, fp16 or int8, got {precision!r}")
    return bytes(converter.convert())
