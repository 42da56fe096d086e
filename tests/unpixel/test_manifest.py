import copy
import json
import re

import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main
from unpixel.manifest import ModelEntry, entry_to_dict, load_manifest, sha256_file
from unpixel.options import default_models_dir


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


SHIPPED = json.loads((default_models_dir() / "manifest.json").read_text())
CLASSIFIER = next(
    i
    for i, m in enumerate(SHIPPED["models"])
    if m["task"] == "classifier" and m["format"] == "tflite-int8"
)


def _shipped_with(field: str, value: object) -> str:
    doc = copy.deepcopy(SHIPPED)
    doc["models"][CLASSIFIER][field] = value
    return json.dumps(doc)


# issue 20, item 12: each malformed manifest is a ModelError naming what is wrong
MALFORMED = {
    "item not an object": ('{"models": [1]}', r"models\[0\] must be an object, got int"),
    "top-level list": ("[]", "the top level must be an object, got list"),
    "top-level string": ('"models"', "the top level must be an object, got str"),
    "models an object": ('{"models": {"a": 1}}', "'models' must be a list"),
    "models missing": ('{"schema": 1}', "'models' must be a list, got None"),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "sha256 null": (_shipped_with("sha256", None), rf"models\[{CLASSIFIER}\]\.sha256 must be a"),
    "file a number": (_shipped_with("file", 5), rf"models\[{CLASSIFIER}\]\.file must be a string"),
    "file absolute": (_shipped_with("file", "/etc/passwd"), r"\.file must be a relative path"),
    "bytes a string": (_shipped_with("bytes", "9"), r"\.bytes must be a whole number"),
    "scale a float": (_shipped_with("scale", 2.5), r"\.scale must be a whole number"),
    "inputs a string": (_shipped_with("inputs", "x"), r"\.inputs must be a list of objects"),
    "threshold NaN": (_shipped_with("threshold", float("nan")), "has threshold nan"),
    "threshold 2.0": (_shipped_with("threshold", 2.0), "has threshold 2.0"),
    "threshold text": (_shipped_with("threshold", "0.5"), "has threshold '0.5'"),
}


@pytest.mark.parametrize(("text", "message"), MALFORMED.values(), ids=MALFORMED)
def test_malformed_manifests_are_model_errors_naming_the_field(tmp_path, text, message):
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(up.ModelError, match=message):
        up.Pipeline.create(up.PipelineOptions(models_dir=tmp_path))


@pytest.mark.parametrize(("text", "message"), MALFORMED.values(), ids=MALFORMED)
def test_malformed_manifests_give_one_error_line_in_the_cli(tmp_path, capsys, text, message):
    (tmp_path / "manifest.json").write_text(text)
    image = tmp_path / "x.png"
    up.write_image(image, np.zeros((64, 64, 3), np.uint8))
    assert main(["detect", str(image), "--models-dir", str(tmp_path)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert re.search(message, lines[0])
