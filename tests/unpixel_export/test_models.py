import numpy as np
import pytest

keras = pytest.importorskip("keras")

from unpixel_export.models import (  # noqa: E402
    build_classifier,
    build_restorer,
    flat_step_features,
)
from unpixel_export.ship import count_macs  # noqa: E402


def test_classifier_shapes_and_range():
    model = build_classifier(tile=64)
    x = np.random.default_rng(0).random((3, 64, 64, 3), dtype=np.float32)
    p = np.asarray(model(x, training=False))
    assert p.shape == (3, 1) and ((p >= 0) & (p <= 1)).all()
    (backbone,) = [lay for lay in model.layers if hasattr(lay, "layers")]
    bn = [lay for lay in backbone.layers if "BatchNorm" in type(lay).__name__]
    assert bn and all(lay.momentum == pytest.approx(0.9) for lay in bn)


def test_flat_step_features_mark_equal_neighbours():
    inputs = keras.Input((8, 8, 3))
    features = keras.Model(inputs, flat_step_features(inputs))
    image = np.zeros((1, 8, 8, 3), np.float32)
    image[0, :, 4:] = 10 / 255  # a vertical edge of 10 levels between columns 3 and 4
    image[0, :, 6:] += 3 / 255  # a step of 3 levels between columns 5 and 6
    out = np.asarray(features(image))[0]
    assert out.shape == (8, 8, 4)  # right/below steps for t = 2, then for t = 6
    assert out[0, 0].tolist() == pytest.approx([1, 1, 1, 1])  # flat
    assert out[0, 3, 0] == 0 and out[0, 3, 2] == 0  # the 10-level edge: no indicator fires
    assert out[0, 5, 0] == 0 and out[0, 5, 2] == pytest.approx(0.5, abs=1e-5)  # 3 levels, t=6


def test_flat_step_features_keep_one_level_steps_apart_after_int8_quantisation():
    # The indicators must tell 0-, 1- and 2-level steps apart in a full-integer model too
    # (a signed step over the full range would get about 2 levels per 8-bit code).
    from ai_edge_litert.interpreter import Interpreter

    from unpixel_export.keras2tflite import keras2tflite

    inputs = keras.Input((16, 16, 3))
    model = keras.Model(inputs, flat_step_features(inputs))
    rng = np.random.default_rng(0)
    samples = [rng.integers(0, 256, (1, 16, 16, 3)).astype(np.float32) / 255 for _ in range(16)]
    samples.append(np.linspace(0, 1, 16 * 16 * 3, dtype=np.float32).reshape(1, 16, 16, 3))
    flat = np.repeat(rng.integers(0, 256, (1, 4, 4, 3)), 4, axis=1).repeat(4, axis=2)
    samples += [flat.astype(np.float32) / 255]
    interpreter = Interpreter(model_content=keras2tflite(model, "int8", lambda: iter(samples)))
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    image = np.full((1, 16, 16, 3), 100, np.uint8)
    for col, level in zip((2, 5, 8, 11), (1, 2, 3, 7), strict=True):
        image[0, :, col + 1 :] += level  # steps of 1, 2, 3 and 7 levels to the right
    in_scale, in_zero = inp["quantization"]  # int8 I/O: pixels as the input's codes
    codes = np.rint(image / 255.0 / in_scale) + in_zero
    interpreter.set_tensor(inp["index"], np.clip(codes, -128, 127).astype(np.int8))
    interpreter.invoke()
    scale, zero = out["quantization"]
    got = (interpreter.get_tensor(out["index"]).astype(np.float32) - zero) * scale
    want = np.asarray(model(image.astype(np.float32) / 255))
    assert np.abs(got - want).max() < 0.03
    right_t2, right_t6 = got[0, 8, [0, 2, 5, 8, 11], 0], got[0, 8, [0, 2, 5, 8, 11], 2]
    assert right_t2 == pytest.approx([1, 0.5, 0, 0, 0], abs=0.03)
    assert right_t6 == pytest.approx([1, 5 / 6, 4 / 6, 0.5, 0], abs=0.03)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_restorer_is_fully_convolutional_and_learns_a_correction_of_the_mosaic(scale):
    model = build_restorer(scale)
    conv = model.get_layer("to_subpixel")
    conv.set_weights([np.zeros_like(w) for w in conv.get_weights()])
    for h, w in ((7, 9), (20, 13)):
        x = np.random.default_rng(h).random((1, h, w, 3), dtype=np.float32)
        y = np.asarray(model(x))
        assert y.shape == (1, h * scale, w * scale, 3)
        # with the correction zeroed, the output is the nearest-neighbour upscale exactly
        assert np.array_equal(y[0], x[0].repeat(scale, 0).repeat(scale, 1))


def test_models_save_and_load_with_safe_mode(tmp_path):
    for model in (build_restorer(3), build_classifier(tile=48), build_classifier(tile=64, s2d=2)):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
        shape = (1, *model.input_shape[1:]) if "classifier" in model.name else (1, 11, 12, 3)
        x = np.random.default_rng(1).random(shape, dtype=np.float32)
        assert np.allclose(model(x, training=False), loaded(x, training=False), atol=1e-6)
        assert not any(type(lay).__name__ == "Lambda" for lay in loaded.layers)


def test_restorer_macs_match_the_layer_list():
    per_lr_pixel = 5 * 5 * 3 * 16 + 3 * 3 * 16 * 16 + 2 * 2 * 16 * 16 + 16 * 16 + 3 * 3 * 16 * 12
    assert count_macs(build_restorer(2)) == per_lr_pixel


def test_classifier_space_to_depth_feeds_every_pixel_to_the_backbone():
    # the 64 px tile with its 7 channels enters MobileNetV2 rearranged, not resized
    model = build_classifier(tile=64, s2d=2)
    backbone = next(lay for lay in model.layers if hasattr(lay, "layers"))
    assert tuple(backbone.input.shape[1:]) == (32, 32, 28)  # 64 * 64 * 7 values
    assert model.output_shape == build_classifier(tile=64, s2d=1).output_shape == (None, 1)
    with pytest.raises(ValueError, match="must be >= 1 and divide the tile"):
        build_classifier(tile=64, s2d=3)


def test_bad_scale():
    with pytest.raises(ValueError, match="scale"):
        build_restorer(1)
