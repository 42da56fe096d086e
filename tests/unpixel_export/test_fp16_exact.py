"""Float16-exact models: their tflite-fp16 export computes their own function."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from unpixel.formats import FORMATS  # noqa: E402
from unpixel_export.data import PhotoBank, to_model_input  # noqa: E402
from unpixel_export.export import CONVERTERS  # noqa: E402
from unpixel_export.fp16_exact import (  # noqa: E402
    check_fp16_exact,
    fp16_form,
    is_fp16_exact,
    make_fp16_exact,
    split_fp16,
    unit_variance,
)
from unpixel_export.keras2tflite import keras2tflite  # noqa: E402
from unpixel_export.models import build_classifier, build_restorer  # noqa: E402

FP16_TOLERANCE = FORMATS["tflite-fp16"].tolerance


def trained_like(model, seed=0):
    """Random BatchNormalization statistics and affine parameters, as training leaves them."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if hasattr(layer, "layers"):
            trained_like(layer, seed + 1)
        elif isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 2.0, n),
                    rng.normal(0, 0.3, n),
                    rng.normal(0, 0.5, n),
                    rng.uniform(0.2, 3.0, n),
                ]
            )
    return model


def tflite_fp16(model, x, converter=None):
    """``model`` run on ``x`` through its tflite-fp16 export (the exporter's converter)."""
    from ai_edge_litert.interpreter import Interpreter

    convert = converter or (lambda m: CONVERTERS["tflite-fp16"](m, None, {}))
    interpreter = Interpreter(model_content=convert(model))
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.fixture(scope="module")
def crops(photos):
    bank = PhotoBank(list(photos.values()))
    return to_model_input(
        np.stack([bank.crop(np.random.default_rng(i), 32, 32) for i in range(16)])
    )


@pytest.mark.parametrize("eps", [1e-3, 1e-5, 0.001001, 0.01, 0.3])
def test_unit_variance_makes_var_plus_eps_exactly_one(eps):
    assert np.float32(unit_variance(eps)) + np.float32(eps) == np.float32(1.0)


@pytest.mark.parametrize("value", [-1 / 6, 1 / 3, 0.1, 1 / 255, 255.0 / 7, -1.0, 2.0])
def test_split_fp16_is_exact_and_close(value):
    a, b = split_fp16(value)
    assert is_fp16_exact(np.array([a, b]))
    assert abs(a + b - float(np.float32(value))) <= max(abs(value) * 2.0**-22, 2.0**-25)


def test_batch_normalization_becomes_identity_plus_bias():
    inputs = keras.Input((9, 9, 3))
    conv = keras.layers.Conv2D(5, 3, use_bias=False)
    depthwise = keras.layers.DepthwiseConv2D(3, use_bias=False)
    x = keras.layers.BatchNormalization()(conv(inputs))
    model = trained_like(keras.Model(inputs, keras.layers.BatchNormalization()(depthwise(x))))
    x = np.random.default_rng(0).random((2, 9, 9, 3), dtype=np.float32)
    before = np.asarray(model(x, training=False))
    summary = make_fp16_exact(model)
    assert summary.folded == 2 and 0 < summary.max_relative <= 2.0**-11
    assert check_fp16_exact(model) == []
    assert np.abs(np.asarray(model(x, training=False)) - before).max() < 2e-3 * np.abs(before).max()
    # the same kernels with a plain bias instead of each BatchNormalization: bit-identical
    plain_conv = keras.layers.Conv2D(5, 3)
    plain_depthwise = keras.layers.DepthwiseConv2D(3)
    plain = keras.Model(inputs, plain_depthwise(plain_conv(inputs)))
    bns = [lay for lay in model.layers if isinstance(lay, keras.layers.BatchNormalization)]
    plain_conv.set_weights([conv.kernel.numpy(), bns[0].beta.numpy()])
    plain_depthwise.set_weights([depthwise.kernel.numpy(), bns[1].beta.numpy()])
    assert np.array_equal(model(x, training=False), plain(x))


def test_make_fp16_exact_is_idempotent_and_refuses_unfoldable_batch_norm():
    model = trained_like(build_classifier(tile=32))
    make_fp16_exact(model)
    weights = [w.copy() for w in model.get_weights()]
    make_fp16_exact(model)
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True))
    inputs = keras.Input((8, 8, 3))
    relu_conv = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    with pytest.raises(ValueError, match="foldable"):
        make_fp16_exact(keras.Model(inputs, keras.layers.BatchNormalization()(relu_conv)))


def test_classifier_fp16_export_matches_keras_only_when_fp16_exact(crops):
    # A trained classifier's fp16 export missed the table's tolerance (BatchNormalization
    # folded, then rounded); the float16-exact one computes the Keras model's function.
    keras.utils.set_random_seed(0)
    model = trained_like(build_classifier(tile=32))
    head = model.get_layer("p_pixelated")  # a trained head's gain: off the sigmoid's flat top
    head.set_weights([head.kernel.numpy() * 10, head.bias.numpy()])
    rough = np.abs(tflite_fp16(model, crops) - np.asarray(model(crops, training=False))).max()
    assert check_fp16_exact(model)
    make_fp16_exact(model)
    exact = np.abs(tflite_fp16(model, crops) - np.asarray(model(crops, training=False))).max()
    assert rough > FP16_TOLERANCE
    assert exact <= 1e-5 <= FP16_TOLERANCE


def test_fp16_form_keeps_rescaling_constants_exact():
    inputs = keras.Input((4, 4, 2))
    model = keras.Model(inputs, keras.layers.Rescaling(-1 / 6, offset=1.0)(inputs))
    x = np.linspace(0, 6, 64, dtype=np.float32).reshape(2, 4, 4, 2)
    ref = np.asarray(model(x))
    form = fp16_form(model)
    assert form is not model and np.abs(np.asarray(form(x)) - ref).max() <= 1e-6
    plain = tflite_fp16(model, x, lambda m: keras2tflite(m, "fp16"))  # -1/6 rounded: 2.4e-4
    assert np.abs(plain - ref).max() > 1e-4
    assert np.abs(tflite_fp16(model, x) - ref).max() <= 1e-6  # the exporter uses the form
    restorer = build_restorer(2, filters=4)
    assert fp16_form(restorer) is restorer  # nothing to split
