"""Training end to end on tiny settings: real Keras, real photos, seconds."""

import json

import numpy as np
import pytest

pytest.importorskip("keras")

from unpixel.cli import main
from unpixel_export.keras_infer import load_keras


def _train(args, tmp_path, name):
    out, work = tmp_path / f"{name}.keras", tmp_path / name
    rc = main(
        [
            "train",
            *args,
            "--output",
            str(out),
            "--workdir",
            str(work),
            "--steps",
            "2",
            "--batch",
            "4",
            "--validation-size",
            "8",
        ]
    )
    return rc, out, work


def test_train_restorer_writes_model_log_and_resumes(tmp_path, photo_dir):
    common = ["restorer", "--scale", "2", "--images", str(photo_dir)]
    rc, out, work = _train([*common, "--epochs", "1"], tmp_path, "r")
    assert rc == 0 and out.is_file() and (work / "last.keras").is_file()
    log = json.loads((work / "log.json").read_text())
    assert log["options"]["scale"] == 2 and len(log["epochs"]) == 1
    assert np.isfinite(log["epochs"][0]["val_loss"])
    model = load_keras(out)
    assert model(np.zeros((1, 5, 6, 3), np.float32)).shape == (1, 10, 12, 3)
    rc, _, _ = _train([*common, "--epochs", "2", "--resume"], tmp_path, "r")
    log = json.loads((work / "log.json").read_text())
    assert rc == 0 and [e["epoch"] for e in log["epochs"]] == [1, 2]


def test_fine_tune_starts_from_given_weights(tmp_path, photo_dir):
    rc, first, _ = _train(
        ["restorer", "--scale", "2", "--images", str(photo_dir), "--epochs", "1"], tmp_path, "base"
    )
    assert rc == 0
    rc, tuned, work = _train(
        [
            "restorer",
            "--scale",
            "2",
            "--images",
            str(photo_dir),
            "--epochs",
            "1",
            "--init",
            str(first),
            "--learning-rate",
            "0",
        ],
        tmp_path,
        "tuned",
    )
    assert rc == 0
    log = json.loads((work / "log.json").read_text())
    assert log["initial_weights"] == str(first)
    a, b = load_keras(first), load_keras(tuned)
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


def test_train_is_deterministic(tmp_path, photo_dir):
    losses = []
    for run in ("a", "b"):
        rc, _, work = _train(
            ["restorer", "--scale", "3", "--images", str(photo_dir), "--epochs", "1"], tmp_path, run
        )
        assert rc == 0
        losses.append(json.loads((work / "log.json").read_text())["epochs"][0]["loss"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_train_classifier_tiny(tmp_path, photo_dir):
    rc, out, _ = _train(["classifier", "--images", str(photo_dir), "--epochs", "1"], tmp_path, "c")
    assert rc == 0 and load_keras(out).input_shape == (None, 64, 64, 3)


def test_fine_tune_keeps_the_architecture_of_the_model_it_starts_from(tmp_path, photo_dir):
    common = ["classifier", "--images", str(photo_dir), "--epochs", "1"]
    rc, first, _ = _train([*common, "--space-to-depth", "2"], tmp_path, "s2d")
    assert rc == 0
    rc, tuned, _ = _train([*common, "--init", str(first)], tmp_path, "s2d_ft")  # no flag again
    assert rc == 0
    backbone = next(lay for lay in load_keras(tuned).layers if hasattr(lay, "layers"))
    assert tuple(backbone.input.shape[1:]) == (32, 32, 28)


def test_train_without_photos_fails_clearly(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    rc, out, _ = _train(["restorer", "--images", str(tmp_path / "empty")], tmp_path, "x")
    assert rc == 1 and not out.exists()
    assert "need photos" in capsys.readouterr().err


def test_quality_tier_on_real_damage_widens_the_fast_model_it_starts_from(tmp_path, photo_dir):
    common = ["restorer", "--scale", "2", "--images", str(photo_dir), "--epochs", "1"]
    rc, fast, _ = _train([*common, "--damage", "real"], tmp_path, "fast")
    assert rc == 0
    rc, quality, work = _train(
        [*common, "--tier", "quality", "--init", str(fast), "--learning-rate", "0"],
        tmp_path,
        "quality",
    )
    assert rc == 0
    log = json.loads((work / "log.json").read_text())
    assert log["options"]["tier"] == "quality" and log["parameters"] > 20_000
    a, b = load_keras(fast), load_keras(quality)
    x = np.random.default_rng(0).random((1, 9, 11, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(b(x)), np.asarray(a(x)), atol=2e-6)  # lr 0: unchanged
