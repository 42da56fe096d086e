"""The shipped Keras models: manifest metadata matches the files, and they do their job on a
validation photo (scikit-image's astronaut is in the corpus validation split)."""

import json
from pathlib import Path

import cv2
import pytest

import unpixel as up
from unpixel.geometry import cell_means
from unpixel.manifest import load_manifest
from unpixel.tiles import cut_tiles

pytest.importorskip("keras")

from unpixel_export.keras_infer import classifier_predict, load_keras, restorer_upscale

MODELS = Path(__file__).resolve().parents[2] / "models"
KERAS = [e for e in load_manifest(MODELS / "manifest.json") if e.format == "keras"]


def test_every_keras_model_is_in_the_manifest_with_matching_sha256():
    assert {e.file for e in KERAS} == {p.name for p in MODELS.glob("*.keras")}
    for entry in KERAS:
        path = entry.verify(MODELS)
        model = load_keras(path)
        assert [list(t.shape) for t in model.inputs] == [entry.inputs[0]["shape"]]
        assert entry.extra["metrics"], f"{entry.name}: no validation metrics recorded"
        assert entry.extra["produced_by"]["command"].startswith("unpixel train")


RESTORERS = [e for e in KERAS if e.task == "restorer"]


@pytest.mark.parametrize("entry", RESTORERS, ids=lambda e: e.name)
def test_restorer_beats_lanczos_on_a_validation_photo(astronaut, entry):
    scale = entry.scale
    upscale = restorer_upscale(load_keras(entry.verify(MODELS)))
    hr = astronaut[: 510 // scale * scale, : 510 // scale * scale]
    lr = cell_means(up.pixelate(hr, scale), scale, (0, 0))
    lanczos = cv2.resize(lr, hr.shape[1::-1], interpolation=cv2.INTER_LANCZOS4)
    gain = up.metrics.psnr(hr, upscale(lr), border=scale) - up.metrics.psnr(
        hr, lanczos, border=scale
    )
    assert gain > 0.2, f"x{scale}: {gain:+.2f} dB over Lanczos"


def test_classifier_flags_mosaics_and_not_the_clean_photo(astronaut):
    (entry,) = [e for e in KERAS if e.task == "classifier"]
    predict = classifier_predict(load_keras(entry.verify(MODELS)))
    threshold = entry.extra["threshold"]
    clean = predict(cut_tiles(astronaut, entry.extra["tile"])) >= threshold
    assert clean.mean() <= 0.05
    for block in (3, 6, 12):
        mosaic = up.pixelate(astronaut, block, phase=(1, 2))
        flagged = predict(cut_tiles(mosaic, entry.extra["tile"])) >= threshold
        assert flagged.mean() >= 0.9, f"b={block}: {flagged.mean():.0%} of tiles flagged"
    json.dumps(entry.extra["metrics"])  # the recorded metrics are plain JSON
