import json

import pytest

pytest.importorskip("keras")

from unpixel.manifest import load_manifest, sha256_file
from unpixel_export.models import build_restorer
from unpixel_export.ship import keras_entry, model_card, write_manifest


def test_register_a_restorer(tmp_path):
    path = tmp_path / "restorer_x3.keras"
    build_restorer(3).save(path)
    entry = keras_entry(path, tmp_path, {"psnr": {}})
    assert entry.scale == 3 and entry.format == "keras" and entry.sha256 == sha256_file(path)
    assert entry.extra["macs_per_output_pixel"] == pytest.approx(entry.extra["macs"] / 9)
    assert entry.inputs[0]["shape"] == [None, None, None, 3]
    # an entry of another format already in the manifest is kept
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "models": [
                    {
                        "name": "restorer_x3",
                        "format": "tflite-int8",
                        "task": "restorer",
                        "precision": "int8",
                        "file": "x.tflite",
                        "sha256": "0",
                        "bytes": 1,
                    }
                ],
            }
        )
    )
    write_manifest([entry], tmp_path)
    formats = sorted(e.format for e in load_manifest(tmp_path / "manifest.json"))
    assert formats == ["keras", "tflite-int8"]
    card = model_card([entry], tmp_path)
    assert "restorer_x3.keras" in card and "not measured yet" in card
