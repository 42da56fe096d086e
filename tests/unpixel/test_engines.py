"""Engines on the shipped exported models: real LiteRT and ONNX Runtime sessions."""

from __future__ import annotations

import numpy as np
import pytest

from unpixel.engines import open_engine
from unpixel.engines.base import check_model_file
from unpixel.errors import ModelError
from unpixel.formats import DEPLOY_FORMATS, FORMATS, format_for, get_format
from unpixel.manifest import load_manifest
from unpixel.options import default_models_dir

ROOT = default_models_dir()
ENTRIES = {(e.name, e.format): e for e in load_manifest(ROOT / "manifest.json")}


@pytest.mark.parametrize("fmt", DEPLOY_FORMATS)
def test_shipped_classifier_separates_mosaic_from_photo(fmt, astronaut):
    import unpixel as up

    entry = ENTRIES[("classifier", fmt)]
    with open_engine(entry.verify(ROOT), FORMATS[fmt], num_threads=2) as engine:
        clean = astronaut[200:264, 200:264]
        mosaic = up.pixelate(astronaut, 4)[200:264, 200:264]
        scores = engine.run(np.ascontiguousarray(np.stack([clean, mosaic])[..., ::-1]))[:, 0]
    assert scores[0] < entry.extra["threshold"] <= scores[1]


@pytest.mark.parametrize("fmt", DEPLOY_FORMATS)
def test_shipped_restorer_takes_any_size(fmt):
    entry = ENTRIES[("restorer_x3", fmt)]
    with open_engine(entry.verify(ROOT), FORMATS[fmt], num_threads=1) as engine:
        for h, w in ((5, 7), (33, 20)):
            x = np.full((1, h, w, 3), 128, np.uint8)
            out = engine.run(x)
            assert out.shape == (1, 3 * h, 3 * w, 3)
            assert np.abs(out - 128 / 255).max() < 0.03  # flat in, flat out


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        (None, ModelError, "no model file"),
        (b"", ModelError, "truncated"),
        (b"\x00" * 64, ModelError, "wrong header"),
        ("truncate", ModelError, "cannot load"),
    ],
)
def test_bad_tflite_files_are_model_errors(tmp_path, content, error, match):
    path = tmp_path / "m.tflite"
    if content == "truncate":
        good = ENTRIES[("restorer_x2", "tflite-int8")].verify(ROOT).read_bytes()
        path.write_bytes(good[: len(good) // 2])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=match):
        open_engine(path, FORMATS["tflite-int8"], num_threads=1)


def test_bad_onnx_file_is_a_model_error(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"garbage" * 10)
    with pytest.raises(ModelError, match="cannot load"):
        open_engine(path, FORMATS["onnx-fp32"], num_threads=1)


def test_missing_gpu_delegate_warns_or_raises():
    entry = ENTRIES[("restorer_x2", "tflite-fp32")]
    with pytest.warns(RuntimeWarning, match="falling back to CPU"):
        engine = open_engine(entry.verify(ROOT), FORMATS["tflite-fp32"], 1, delegate="gpu")
    assert engine.accelerator == "xnnpack"
    with pytest.raises(ModelError, match="delegate"):
        open_engine(entry.verify(ROOT), FORMATS["tflite-fp32"], 1, delegate="gpu", strict=True)


def test_engine_rejects_wrong_input():
    entry = ENTRIES[("restorer_x2", "tflite-int8")]
    with open_engine(entry.verify(ROOT), FORMATS["tflite-int8"], 1) as engine:
        with pytest.raises(ValueError, match="uint8"):
            engine.run(np.zeros((1, 8, 8, 3), np.float32))
        with pytest.raises(ValueError, match="uint8"):
            engine.run(np.zeros((8, 8, 3), np.uint8))


@pytest.mark.parametrize(
    ("backend", "precision", "expected", "error"),
    [
        ("litert", "int8", "tflite-int8", None),
        ("onnx", "fp32", "onnx-fp32", None),
        ("onnx", "fp16", None, "no 'fp16' format for backend 'onnx'"),
        ("tensorrt", "int8", None, "unknown backend"),
    ],
)
def test_format_for(backend, precision, expected, error):
    if error:
        with pytest.raises(ValueError, match=error):
            format_for(backend, precision)
    else:
        assert format_for(backend, precision).name == expected


def test_threads_must_be_explicit_and_positive():
    with pytest.raises(ValueError, match="num_threads"):
        open_engine("x.tflite", get_format("tflite-int8"), 0)


def test_check_model_file_accepts_a_real_file():
    path = ENTRIES[("classifier", "tflite-int8")].verify(ROOT)
    assert check_model_file(path, b"TFL3", offset=4) == path


@pytest.mark.parametrize(
    ("dtype", "scale", "zero_point"),
    [
        (np.uint8, 1 / 255, 0),  # pixels: the raw bytes
        (np.uint8, 0.0054, 22),
        (np.uint8, 0.0067, 52),
        (np.int8, 1 / 255, -128),  # pixels: the sign bit flipped
        (np.int8, 0.0054, -100),
        (np.int8, 1 / 255, 0),
    ],
)
def test_run_pixels_maps_an_8_bit_output_like_dequantise_then_round(dtype, scale, zero_point):
    from unpixel.engines.base import Engine, TensorInfo

    class Echo(Engine):
        """Returns its input's bytes as the raw output (the mapping under test is the base's)."""

        backend, accelerator = "echo", "cpu"
        input = TensorInfo("in", (-1, -1, -1, 3), np.dtype(np.uint8), 1 / 255, 0)
        output = TensorInfo("out", (-1, -1, -1, 3), np.dtype(dtype), scale, zero_point)

        def _invoke(self, x):
            return x.view(dtype).copy()

    raw = np.random.default_rng(0).integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    raw[0, 0, :3] = [0, 127, 255]  # both ends of both dtypes
    with Echo() as engine:
        got = engine.run_pixels(raw)
        codes = raw.view(dtype).astype(np.float32)
        want = np.clip(np.rint((codes - zero_point) * scale * 255), 0, 255)
        assert got.dtype == np.uint8 and got.shape == raw.shape
        assert np.array_equal(got, want.astype(np.uint8))
        assert np.array_equal(engine.run_pixels(raw), got)  # the table is built once


@pytest.mark.parametrize(
    ("dtype", "scale", "zero_point"),
    [
        (np.uint8, 1 / 255, 0),
        (np.int8, 1 / 255, -128),
        (np.int8, 2 / 255, -10),
        (np.uint8, 0.5 / 255, 3),
    ],
)
def test_quantise_maps_pixels_to_the_input_codes(dtype, scale, zero_point):
    from unpixel.engines.base import Engine, TensorInfo

    class Probe(Engine):
        backend, accelerator = "probe", "cpu"
        input = TensorInfo("in", (-1, -1, -1, 3), np.dtype(dtype), scale, zero_point)
        output = input

        def _invoke(self, x):
            return x

    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1).repeat(3, axis=3)
    kept = pixels.copy()
    with Probe() as engine:
        codes = engine.quantise(pixels)
    bounds = np.iinfo(dtype)
    want = np.clip(np.rint(pixels / 255 / scale) + zero_point, bounds.min, bounds.max)
    assert codes.dtype == dtype and np.array_equal(codes, want.astype(dtype))
    assert np.array_equal(pixels, kept)  # the caller's pixels are not changed


def test_invoke_timer_counts_every_backend_call_of_the_engines_it_is_set_on():
    from unpixel.engines import InvokeTimer

    path = ENTRIES[("classifier", "tflite-int8")].verify(ROOT)
    engine, other = (open_engine(path, FORMATS["tflite-int8"], 1) for _ in range(2))
    tiles = np.zeros((2, 64, 64, 3), np.uint8)
    with engine, other:
        assert engine.timer is None
        untimed = engine.run(tiles)
        timer = InvokeTimer()
        engine.timer = other.timer = timer
        assert np.array_equal(engine.run(tiles), untimed)  # timing changes no output
        other.run(tiles)
        assert timer.calls == 2 and timer.ms > 0
        timer.reset()
        assert (timer.calls, timer.ms) == (0, 0.0)
        engine.timer = None
        engine.run(tiles)
        assert timer.calls == 0


def test_invoke_timer_is_thread_safe():
    import threading

    from unpixel.engines import InvokeTimer

    timer = InvokeTimer()

    def add() -> None:
        for _ in range(10_000):
            timer.add(1e-6)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert timer.calls == 40_000 and timer.ms == pytest.approx(40.0)


def test_a_failed_backend_call_is_timed_too():
    from unpixel.engines import InvokeTimer
    from unpixel.engines.base import Engine, TensorInfo

    class Broken(Engine):
        backend, accelerator = "broken", "cpu"
        input = TensorInfo("in", (-1, -1, -1, 3), np.dtype(np.uint8), 1 / 255, 0)
        output = input

        def _invoke(self, x):
            raise RuntimeError("backend failed")

    with Broken() as engine:
        engine.timer = InvokeTimer()
        with pytest.raises(RuntimeError, match="backend failed"):
            engine.run(np.zeros((1, 4, 4, 3), np.uint8))
        assert engine.timer.calls == 1


def test_alternating_and_new_input_shapes_give_the_same_outputs():
    """Recent shapes keep an interpreter each, the oldest is resized for a new one: every
    call's output is that of a fresh engine, whatever the order of shapes."""
    entry = ENTRIES[("restorer_x2", "tflite-int8")]
    fmt = FORMATS["tflite-int8"]
    rng = np.random.default_rng(9)
    shapes = [(1, 20, 30, 3), (1, 7, 9, 3), (2, 12, 12, 3)]
    inputs = {s: rng.integers(0, 256, s, dtype=np.uint8) for s in shapes}
    want = {}
    for s in shapes:
        with open_engine(entry.verify(ROOT), fmt, num_threads=1) as fresh:
            want[s] = fresh.run_pixels(inputs[s])
    with open_engine(entry.verify(ROOT), fmt, num_threads=1) as engine:
        for s in [shapes[0], shapes[1], shapes[0], shapes[2], shapes[1], shapes[0], shapes[2]]:
            assert np.array_equal(engine.run_pixels(inputs[s]), want[s]), s
