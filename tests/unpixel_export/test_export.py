"""Every deployable format of the format table exports, loads in its engine and matches
Keras within its tolerance (tiny models, seconds); bad input fails cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unpixel.engines import open_engine
from unpixel.errors import ModelError, SinkError
from unpixel.formats import DEPLOY_FORMATS, FORMATS, get_format
from unpixel.manifest import load_manifest
from unpixel_export.data import PhotoBank, to_model_input
from unpixel_export.export import Source, export_all, export_model, parse_formats
from unpixel_export.fp16_exact import make_fp16_exact
from unpixel_export.models import build_classifier, build_restorer
from unpixel_export.representative import classifier_samples, restorer_samples

INT8_MAX_ABS = 0.08
"""int8 against Keras on photo content, for these untrained tiny models (a few output steps)."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, photos):
    """Tiny classifier (32 px tiles) and x2 restorer exported to every format.

    Float16-exact, as the shipped models are (:mod:`unpixel_export.fp16_exact`), so that the
    fp16 tolerance is that of the format, not of rounding the weights.
    """
    import keras

    keras.utils.set_random_seed(0)
    src = tmp_path_factory.mktemp("tiny_src")
    for model, name in (
        (build_classifier(tile=32, alpha=0.35), "classifier"),
        (build_restorer(2, filters=4), "restorer_x2"),
    ):
        make_fp16_exact(model)
        model.save(src / f"{name}.keras")
    bank = PhotoBank(list(photos.values()))

    def representatives(source):
        if source.task == "classifier":
            samples = classifier_samples(bank, 32, n=16)
        else:
            samples = restorer_samples(bank, 2, n=8, size=24)
        return lambda: iter(samples)

    out = tmp_path_factory.mktemp("tiny_out")
    sources = [Source.from_path(src / n) for n in ("classifier.keras", "restorer_x2.keras")]
    entries = export_all(sources, parse_formats(None), out, representatives)
    return {
        "src": src,
        "out": out,
        "bank": bank,
        "reps": representatives,
        "entries": {(e.name, e.format): e for e in entries},
    }


def _keras(path):
    import keras

    return keras.saving.load_model(path, safe_mode=True)


@pytest.mark.parametrize("fmt", DEPLOY_FORMATS)
@pytest.mark.parametrize("name", ["classifier", "restorer_x2"])
def test_format_exports_loads_and_matches_keras(tiny, fmt, name, photos):
    entry = tiny["entries"][(name, fmt)]
    path = entry.verify(tiny["out"])
    model = _keras(tiny["src"] / f"{name}.keras")
    size = 32 if name == "classifier" else 24
    crops = np.stack([tiny["bank"].crop(np.random.default_rng(i), size, size) for i in range(8)])
    ref = np.asarray(model(to_model_input(crops), training=False))
    with open_engine(path, FORMATS[fmt], num_threads=2) as engine:
        out = engine.run(np.ascontiguousarray(crops[..., ::-1]))
    tolerance = FORMATS[fmt].tolerance or INT8_MAX_ABS
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= tolerance
    assert entry.extra["source_sha256"] and entry.inputs[0]["dtype"] in ("int8", "uint8", "float32")


@pytest.mark.parametrize("fmt", DEPLOY_FORMATS)
def test_restorer_runs_on_any_tile_size(tiny, fmt):
    entry = tiny["entries"][("restorer_x2", fmt)]
    with open_engine(entry.verify(tiny["out"]), FORMATS[fmt], num_threads=1) as engine:
        for h, w in ((17, 23), (40, 40), (8, 64)):
            x = np.random.default_rng(h).integers(0, 256, (1, h, w, 3), dtype=np.uint8)
            assert engine.run(x).shape == (1, 2 * h, 2 * w, 3)


def test_int8_tflite_reads_raw_pixels(tiny):
    entry = tiny["entries"][("restorer_x2", "tflite-int8")]
    (inp,) = entry.inputs
    assert inp["dtype"] == "int8" and inp["zero_point"] == -128  # pixels, sign bit flipped
    assert inp["scale"] == pytest.approx(1 / 255)


def test_manifest_entries_are_complete(tiny):
    from unpixel_export.ship import write_manifest

    write_manifest(list(tiny["entries"].values()), tiny["out"])
    entries = load_manifest(tiny["out"] / "manifest.json")
    assert {(e.name, e.format) for e in entries} == set(tiny["entries"])
    for e in entries:
        assert e.verify(tiny["out"]).stat().st_size == e.bytes
        assert e.precision == FORMATS[e.format].precision


def test_export_is_reproducible(tiny, tmp_path):
    source = Source.from_path(tiny["src"] / "restorer_x2.keras")
    rep = tiny["reps"](source)
    for fmt in ("tflite-int8", "onnx-fp32"):
        again = export_model(source, FORMATS[fmt], tmp_path, rep)
        assert again.sha256 == tiny["entries"][("restorer_x2", fmt)].sha256


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("tflite-int8", None, None),
        ("tflite_int8", ValueError, "did you mean 'tflite-int8'"),
        ("onnx-int4", ValueError, "did you mean 'onnx-int8'"),
        ("caffe", ValueError, "unknown format"),
        ("keras", ValueError, "not an export target"),
    ],
)
def test_format_names(name, error, match):
    if error is None:
        assert parse_formats([name]) == [get_format(name)]
    else:
        with pytest.raises(error, match=match):
            parse_formats([name])


def test_corrupt_or_missing_keras_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no model file"):
        Source.from_path(tmp_path / "classifier.keras")
    bad = tmp_path / "restorer_x2.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="cannot load"):
        export_all(
            [Source.from_path(bad)],
            [FORMATS["tflite-fp32"]],
            tmp_path / "o",
            lambda s: lambda: iter(()),
        )
    assert not list((tmp_path / "o").iterdir())


def test_empty_representative_set_writes_nothing(tiny, tmp_path):
    source = Source.from_path(tiny["src"] / "restorer_x2.keras")
    with pytest.raises(ValueError, match=r"representative set .* is empty"):
        export_all(
            [source],
            parse_formats(["tflite-fp32", "tflite-int8"]),
            tmp_path,
            lambda s: lambda: iter(()),
        )
    assert not list(tmp_path.iterdir())


def test_unwritable_output_folder(tiny, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    source = Source.from_path(tiny["src"] / "restorer_x2.keras")
    with pytest.raises(SinkError, match="cannot create output folder"):
        export_all([source], parse_formats(["tflite-fp32"]), blocker / "out", tiny["reps"])


def test_cli_unknown_format_suggests_and_exits_2():
    run = subprocess.run(
        [sys.executable, "-m", "unpixel", "export", "--formats", "tflite-in8"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "did you mean 'tflite-int8'" in run.stderr


def test_cli_missing_models_dir_exits_1(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "unpixel", "export", "--models-dir", str(tmp_path / "none")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "no .keras models" in run.stderr
    assert Path(tmp_path).exists()
