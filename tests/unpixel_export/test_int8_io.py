"""The uint8 -> int8 interface rewrite of full-integer .tflite models: same outputs, bit for
bit; no QUANTIZE op left at either end; the manifest follows the files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from unpixel.engines import open_engine
from unpixel.formats import FORMATS
from unpixel.manifest import ModelEntry, entry_to_dict, load_manifest, sha256_file
from unpixel_export.data import PhotoBank
from unpixel_export.int8_form import int8_form
from unpixel_export.int8_io import rewrite_shipped, to_int8_io
from unpixel_export.keras2tflite import keras2tflite
from unpixel_export.models import build_classifier, build_restorer
from unpixel_export.representative import classifier_samples, restorer_samples

INT8 = FORMATS["tflite-int8"]


def _ops(flatbuffer: bytes) -> list[str]:
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    return [
        flatbuffer_utils.opcode_to_name(model, op.opcodeIndex)
        for op in model.subgraphs[0].operators
    ]


@pytest.fixture(scope="module")
def uint8_models(photos):
    """A tiny restorer and classifier exported int8 with the converter's uint8 interface."""
    import keras

    keras.utils.set_random_seed(0)
    bank = PhotoBank(list(photos.values()))
    restorer = build_restorer(2, filters=4)
    samples = restorer_samples(bank, 2, n=8, size=24)
    form = int8_form(restorer, samples)
    classifier = build_classifier(tile=32, alpha=0.35)
    cls_samples = classifier_samples(bank, 32, n=8)
    return {
        "restorer_x2": keras2tflite(form, "int8", lambda: iter(samples), True, io_dtype="uint8"),
        "classifier": keras2tflite(classifier, "int8", lambda: iter(cls_samples), io_dtype="uint8"),
    }


@pytest.mark.parametrize("name", ["restorer_x2", "classifier"])
def test_rewrite_keeps_every_output_and_drops_the_quantize_ops(uint8_models, tmp_path, name):
    before = tmp_path / "uint8.tflite"
    after = tmp_path / "int8.tflite"
    before.write_bytes(uint8_models[name])
    after.write_bytes(to_int8_io(uint8_models[name]))
    assert _ops(before.read_bytes()).count("QUANTIZE") == 2
    assert "QUANTIZE" not in _ops(after.read_bytes())
    size = 32 if name == "classifier" else 19
    x = np.random.default_rng(3).integers(0, 256, (4, size, size, 3), dtype=np.uint8)
    with (
        open_engine(before, INT8, num_threads=1) as a,
        open_engine(after, INT8, num_threads=1) as b,
    ):
        assert (a.input.dtype, a.input.zero_point) == (np.uint8, 0)
        assert (b.input.dtype, b.input.zero_point) == (np.int8, -128)
        assert b.input.name == a.input.name and b.output.name == a.output.name
        assert b.input.scale == pytest.approx(1 / 255)
        if name == "classifier":
            assert np.array_equal(a.run(x), b.run(x))
        else:
            assert np.array_equal(a.run_pixels(x), b.run_pixels(x))


def test_a_model_without_the_uint8_interface_is_refused(uint8_models):
    with pytest.raises(ValueError, match="QUANTIZE"):
        to_int8_io(to_int8_io(uint8_models["restorer_x2"]))


def test_rewrite_shipped_updates_files_and_manifest_once(uint8_models, tmp_path):
    path = tmp_path / "restorer_x2_int8.tflite"
    path.write_bytes(uint8_models["restorer_x2"])
    with open_engine(path, INT8, num_threads=1) as engine:
        io = {"inputs": [engine.input.to_dict()], "outputs": [engine.output.to_dict()]}
    entry = ModelEntry(
        "restorer_x2",
        "restorer",
        INT8.name,
        "int8",
        path.name,
        sha256_file(path),
        path.stat().st_size,
        2,
        extra={"runs_on": "old", "parity": {"kept": 1}},
        **io,
    )
    keras_entry = {**entry_to_dict(entry), "format": "keras", "file": "x.keras"}
    doc = {"schema": 1, "models": [keras_entry, entry_to_dict(entry)]}
    (tmp_path / "manifest.json").write_text(json.dumps(doc))
    assert rewrite_shipped(tmp_path) == [path.name]
    first, _ = json.loads((tmp_path / "manifest.json").read_text())["models"]
    assert first == keras_entry  # other entries kept, in their place
    (new,) = [e for e in load_manifest(tmp_path / "manifest.json") if e.format == INT8.name]
    assert new.verify(tmp_path) == path and new.bytes == path.stat().st_size
    assert new.inputs[0]["dtype"] == "int8" and new.inputs[0]["zero_point"] == -128
    assert new.extra["runs_on"] == INT8.runs_on and new.extra["parity"] == {"kept": 1}
    assert rewrite_shipped(tmp_path) == []  # already int8 I/O
