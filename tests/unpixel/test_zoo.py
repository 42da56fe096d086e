"""Model resolution from the shipped manifest: each format brings its own threshold."""

from __future__ import annotations

import pytest

from unpixel.manifest import load_manifest
from unpixel.options import PipelineOptions, default_models_dir
from unpixel.zoo import resolve

ENTRIES = load_manifest(default_models_dir() / "manifest.json")
CLASSIFIERS = [e for e in ENTRIES if e.task == "classifier" and e.format != "keras"]


@pytest.mark.parametrize("entry", CLASSIFIERS, ids=lambda e: e.format)
def test_each_format_uses_its_own_threshold(entry):
    backend, precision = entry.format.split("-")
    backend = {"tflite": "litert"}.get(backend, backend)
    files = resolve(PipelineOptions(backend=backend, precision=precision))
    assert files.classifier.name == entry.file
    assert files.threshold == pytest.approx(float(entry.extra["threshold"]))
    assert 0.5 <= files.threshold < 1.0


def test_an_explicit_threshold_wins():
    assert resolve(PipelineOptions(threshold=0.7)).threshold == 0.7
