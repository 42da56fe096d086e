import json

import pytest

import unpixel as up
from unpixel.manifest import ModelEntry, entry_to_dict, load_manifest, sha256_file


def _entry(tmp_path, data=b"model bytes"):
    (tmp_path / "m.tflite").write_bytes(data)
    return ModelEntry(
        name="m",
        task="restorer",
        format="tflite-int8",
        precision="int8",
        file="m.tflite",
        sha256=sha256_file(tmp_path / "m.tflite"),
        bytes=len(data),
        scale=2,
        extra={"metrics": {"psnr": 30.0}},
    )


def test_verify_accepts_matching_file_and_refuses_changed_one(tmp_path):
    entry = _entry(tmp_path)
    assert entry.verify(tmp_path) == tmp_path / "m.tflite"
    (tmp_path / "m.tflite").write_bytes(b"model bytez")
    with pytest.raises(up.ModelError, match="does not match"):
        entry.verify(tmp_path)
    (tmp_path / "m.tflite").unlink()
    with pytest.raises(up.ModelError, match="missing"):
        entry.verify(tmp_path)


def test_manifest_round_trip_keeps_extra_fields(tmp_path):
    entry = _entry(tmp_path)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"schema": 1, "models": [entry_to_dict(entry)]}))
    (loaded,) = load_manifest(path)
    assert loaded == entry and loaded.extra["metrics"]["psnr"] == 30.0


@pytest.mark.parametrize("text", ["", "{", '{"models": [{"name": "x"}]}', "[]"])
def test_malformed_manifest_is_a_model_error(tmp_path, text):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with pytest.raises(up.ModelError, match="malformed"):
        load_manifest(path)


def test_missing_manifest(tmp_path):
    with pytest.raises(up.ModelError, match="no model manifest"):
        load_manifest(tmp_path / "nope.json")
