"""The classifier's export form: the fixed front after space-to-depth computes the same
function as the trained model, and its exports match Keras as the format table says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import unpixel as up  # noqa: E402
from unpixel.engines import open_engine  # noqa: E402
from unpixel.formats import FORMATS  # noqa: E402
from unpixel.manifest import load_manifest  # noqa: E402
from unpixel.tiles import cut_tiles  # noqa: E402
from unpixel_export.classifier_form import front_weights, s2d_first_form  # noqa: E402
from unpixel_export.keras2tflite import keras2tflite  # noqa: E402
from unpixel_export.keras_infer import load_keras  # noqa: E402
from unpixel_export.models import build_classifier  # noqa: E402

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def classifier() -> object:
    """The shipped classifier (space-to-depth 2)."""
    (entry,) = [
        e
        for e in load_manifest(MODELS / "manifest.json")
        if e.format == "keras" and e.task == "classifier"
    ]
    return load_keras(entry.verify(MODELS))


@pytest.fixture(scope="module")
def tiles(astronaut: np.ndarray) -> np.ndarray:
    """RGB tiles in [0, 1]: clean, mosaics with odd phases (cells across the 2x2 blocks and
    the tile edges), flat and noise tiles."""
    frames = [astronaut] + [up.pixelate(astronaut, b, phase=(1, b - 1)) for b in (2, 3, 5)]
    rgb = np.concatenate([cut_tiles(f[:256, :256, ::-1], 64) for f in frames])
    rng = np.random.default_rng(0)
    extra = [np.full((2, 64, 64, 3), 128, np.uint8), rng.integers(0, 256, (4, 64, 64, 3))]
    return np.concatenate([rgb, *extra]).astype(np.float32) / 255.0


def test_the_form_computes_the_trained_function(classifier, tiles):
    form = s2d_first_form(classifier)
    assert form is not classifier
    assert "cell_steps" in {layer.name for layer in form.layers}
    ref = classifier.predict(tiles, verbose=0)
    out = form.predict(tiles, verbose=0)
    assert ref.min() < 0.1 and ref.max() > 0.9  # clean and mosaic tiles told apart
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_the_front_features_match_pixel_by_pixel(classifier, tiles):
    """The 28 backbone inputs of both graphs, with the channel order the form permutes."""
    features = classifier.get_layer("rgb_and_flat_steps").output
    old = keras.Model(classifier.input, keras.ops.space_to_depth(features, 2))
    form = s2d_first_form(classifier)
    new = keras.Model(form.input, form.get_layer("cell_features").output)
    order = front_weights(classifier, 2)["order"]
    a, b = old.predict(tiles, verbose=0), new.predict(tiles, verbose=0)
    # Features lie in [-1, 1]; TensorFlow's CPU convolutions sum in an order of their own
    # choosing per shape (seen up to 1.3e-5 apart on an AVX512/AMX host): float32 rounding,
    # far below the 1/255 of one input level.
    np.testing.assert_allclose(b, a[..., order], atol=5e-5)
    assert sorted(order) == list(range(28))


def test_models_without_space_to_depth_come_back_unchanged():
    model = build_classifier(tile=48)
    assert s2d_first_form(model) is model


@pytest.mark.parametrize("fmt", ["tflite-fp32", "tflite-int8"])
def test_the_forms_export_matches_keras(classifier, tiles, fmt, tmp_path):
    form = s2d_first_form(classifier)
    precision = FORMATS[fmt].precision
    rep = lambda: (t[None] for t in tiles[::3])  # noqa: E731
    path = tmp_path / "classifier.tflite"
    path.write_bytes(keras2tflite(form, precision, rep if precision == "int8" else None))
    pixels = np.rint(tiles * 255).astype(np.uint8)
    with open_engine(path, FORMATS[fmt], num_threads=1) as engine:
        out = engine.run(pixels)
    ref = classifier.predict(pixels.astype(np.float32) / 255, verbose=0)
    diff = np.abs(out - ref)
    tolerance = FORMATS[fmt].tolerance
    if tolerance is not None:
        assert diff.max() <= tolerance
    else:  # int8: judged by decisions (the parity report has F1 / FPR on the validation set)
        assert diff.mean() < 0.02
        assert ((out >= 0.5) == (ref >= 0.5)).mean() >= 0.97
