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


def _models_with_tiers(tmp_path, tiers):
    """A models folder holding the shipped int8 files, the restorers listed once per tier."""
    import json
    import shutil

    from unpixel.manifest import entry_to_dict

    doc = {"schema": 1, "models": []}
    for e in ENTRIES:
        if e.format != "tflite-int8":
            continue
        shutil.copyfile(default_models_dir() / e.file, tmp_path / e.file)
        if e.task != "restorer":
            doc["models"].append(entry_to_dict(e))
            continue
        for tier in tiers:
            row = entry_to_dict(e)
            row.update(name=f"{e.name}_{tier}", tier=tier, file=f"{tier}_{e.file}")
            shutil.copyfile(default_models_dir() / e.file, tmp_path / row["file"])
            doc["models"].append(row)
    (tmp_path / "manifest.json").write_text(json.dumps(doc))
    return tmp_path


def test_the_restorer_tier_picks_its_own_entries(tmp_path):
    root = _models_with_tiers(tmp_path, ["fast", "quality"])
    for tier in ("fast", "quality"):
        files = resolve(PipelineOptions(models_dir=root, restorer=tier))
        assert sorted(files.restorers) == [2, 3, 4]
        assert all(p.name.startswith(f"{tier}_") for p in files.restorers.values())


def test_a_missing_tier_is_a_clear_error(tmp_path):
    from unpixel.errors import ModelError

    root = _models_with_tiers(tmp_path, ["fast"])
    with pytest.raises(ModelError, match=r"restorer x2 \(quality tier\)"):
        resolve(PipelineOptions(models_dir=root, restorer="quality"))


def test_entries_without_a_tier_are_the_fast_tier(tmp_path):
    from unpixel.zoo import tier_of

    restorers = [e for e in ENTRIES if e.task == "restorer"]
    assert restorers and all(tier_of(e) in ("fast", "quality") for e in restorers)
    assert tier_of(ENTRIES[0].__class__(**{**ENTRIES[0].__dict__, "extra": {}})) == "fast"


@pytest.mark.parametrize("bad", ["slow", "", None, 1])
def test_an_unknown_tier_is_refused(bad):
    with pytest.raises(ValueError, match="restorer must be one of fast, quality"):
        PipelineOptions(restorer=bad)
