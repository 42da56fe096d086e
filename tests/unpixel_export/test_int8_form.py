"""The restorer's int8 form: the same function in float, weights on the int8 grid, and a
full-integer export that loses less than the plain one on photo content."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from unpixel.engines import open_engine  # noqa: E402
from unpixel.formats import FORMATS  # noqa: E402
from unpixel_export.data import PhotoBank, restorer_pair  # noqa: E402
from unpixel_export.int8_form import int8_form, patches, snap  # noqa: E402
from unpixel_export.keras2tflite import keras2tflite  # noqa: E402
from unpixel_export.models import build_restorer  # noqa: E402
from unpixel_export.representative import restorer_samples  # noqa: E402


def test_snap_puts_each_channel_on_its_int8_grid_and_beats_nearest_rounding():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(4000, 1))
    x = base + 0.05 * rng.normal(size=(4000, 9))  # strongly correlated inputs, like pixels
    kernel = rng.normal(size=(3, 3, 1, 4)).astype(np.float32)
    bias = np.zeros(4, np.float32)
    q, qb = snap(kernel, bias, x)
    w, wq = kernel.reshape(9, 4), q.reshape(9, 4)
    step = np.abs(w).max(0) / 127
    assert np.allclose(np.abs(wq).max(0), np.abs(w).max(0), rtol=1e-6)  # grid unchanged
    assert np.allclose(wq / step, np.round(wq / step), atol=1e-3)  # on the grid
    nearest = np.round(w / step) * step
    err_snap = np.abs(x @ wq + qb - x @ w).mean()
    err_near = np.abs(x @ nearest - x @ w).mean()
    assert err_snap < 0.7 * err_near


def test_patches_match_a_same_convolution():
    rng = np.random.default_rng(1)
    x = rng.random((2, 5, 6, 3), dtype=np.float32)
    conv = keras.layers.Conv2D(2, (2, 3), padding="same", use_bias=False)
    want = np.asarray(conv(x))
    kernel = conv.get_weights()[0]
    got = patches(x, kernel.shape[:2]) @ kernel.reshape(-1, 2)
    assert np.allclose(got.reshape(want.shape), want, atol=1e-5)


@pytest.fixture(scope="module")
def trained_like(photos):
    """A tiny x2 restorer with non-trivial weights, and calibration samples from photos."""
    keras.utils.set_random_seed(3)
    model = build_restorer(2, filters=8)
    bank = PhotoBank(list(photos.values()))
    rng = np.random.default_rng(0)
    pairs = [restorer_pair(rng, bank, 2, 24) for _ in range(64)]
    lr = np.stack([p[0] for p in pairs])[..., ::-1].astype(np.float32) / 255
    hr = np.stack([p[1] for p in pairs])[..., ::-1].astype(np.float32) / 255
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mae")
    model.fit(lr, hr, epochs=30, batch_size=16, verbose=0)
    return model, restorer_samples(bank, 2, n=16, size=24), lr, hr


def test_int8_form_computes_the_same_function_in_float(trained_like):
    model, samples, lr, _ = trained_like
    form = int8_form(model, samples)
    names = {layer.name for layer in form.layers}
    assert "pa_and_lr" in names and "plus_mosaic" not in names
    diff = np.abs(np.asarray(form(lr)) - np.asarray(model(lr)))
    assert diff.max() < 0.02 and diff.mean() < 2e-3  # weight rounding only


def _int8_psnr(model, samples, lr, hr, unit_output=False) -> float:
    blob = keras2tflite(model, "int8", lambda: iter(samples), unit_output=unit_output)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.tflite"
        path.write_bytes(blob)
        with open_engine(path, FORMATS["tflite-int8"], 1) as engine:
            pixels = np.clip(np.rint(lr * 255), 0, 255).astype(np.uint8)
            out = engine.run_pixels(pixels).astype(np.float64)
    mse = np.mean((out - hr * 255.0) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def test_int8_form_loses_less_to_full_integer_quantisation(trained_like):
    model, samples, lr, hr = trained_like
    plain = _int8_psnr(model, samples, lr, hr)
    better = _int8_psnr(int8_form(model, samples), samples, lr, hr, unit_output=True)
    assert better > plain
