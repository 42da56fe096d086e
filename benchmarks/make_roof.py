"""Make the roof models: compute-bound 3x3 convolutions that show the machine's XNNPACK peak.

Writes ``benchmarks/roof_fp32.tflite``, ``benchmarks/roof_int8.tflite`` (full-integer) and
their sidecar ``benchmarks/roof.json`` (MACs per run, shape, how they were made).
``unpixel bench`` runs them to give each model's achieved GMAC/s as a share of the roof.
Needs TensorFlow (the export extra).

Run: .venv/bin/python -m benchmarks.make_roof
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZE, CHANNELS, LAYERS = 64, 64, 4
"""Input 1x64x64x64, four 3x3 64->64 convolutions: 604 M MACs, 37k weights a layer, so each
weight is reused 4096 times: compute-bound on any CPU cache (wider variants were compared
when the roof was added, commit c4e00ef)."""


def macs() -> int:
    """Multiply-accumulates of one run."""
    return SIZE * SIZE * 9 * CHANNELS * CHANNELS * LAYERS


def build() -> object:
    """The Keras model (fixed seed)."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, CHANNELS), batch_size=1)
    x = inputs
    for _ in range(LAYERS):
        x = keras.layers.Conv2D(CHANNELS, 3, padding="same", activation="relu")(x)
    return keras.Model(inputs, x)


def convert(model: object, int8: bool) -> bytes:
    """fp32 or full-integer int8 TFLite bytes."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        rng = np.random.default_rng(0)

        def representative() -> object:
            for _ in range(8):
                yield [rng.random((1, SIZE, SIZE, CHANNELS), dtype=np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    model = build()
    files = {}
    for precision in ("fp32", "int8"):
        path = HERE / f"roof_{precision}.tflite"
        path.write_bytes(convert(model, precision == "int8"))
        files[precision] = path.name
    sidecar = {
        "macs": macs(),
        "input": [1, SIZE, SIZE, CHANNELS],
        "layers": f"{LAYERS} x Conv2D {CHANNELS}->{CHANNELS} 3x3, same padding, ReLU",
        "files": files,
        "command": ".venv/bin/python -m benchmarks.make_roof",
    }
    (HERE / "roof.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    print(json.dumps(sidecar, indent=2))


if __name__ == "__main__":
    main()
