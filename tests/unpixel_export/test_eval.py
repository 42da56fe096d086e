"""The evaluation protocols, driven by real predictors (the classical grid estimator stands
in for a classifier: it is a real detector with known behaviour)."""

import numpy as np
import pytest

import unpixel as up
from unpixel_export.data import PhotoBank
from unpixel_export.detect_eval import calibrate_threshold, evaluate_detection
from unpixel_export.restore_eval import cascade, evaluate_restoration


def grid_predict(tiles):
    return np.array([1.0 if up.estimate_grid(t) is not None else 0.0 for t in tiles])


def test_detection_protocol_with_the_grid_estimator(photos):
    bank = PhotoBank(list(photos.values()))
    report = evaluate_detection(
        grid_predict, list(photos.values())[:3], bank, 64, threshold=0.5, n=6, seed=0
    )
    assert set(report.per_block) == set(range(2, 17))
    assert report.per_block[8].recall >= 0.5  # clean mosaics of 8 px: the estimator finds them
    assert report.image["clean"].fp == 0
    assert report.image["whole frame mosaic"].tp == 3
    assert report.image_any["whole frame mosaic"].tp == 3
    assert "| block |" in report.to_markdown() and "image" in report.to_dict()


def test_calibrated_threshold_meets_target_on_its_own_data(photos):
    bank = PhotoBank(list(photos.values()))
    scores = np.random.default_rng(0)

    def predict(tiles):
        return scores.random(len(tiles))

    threshold = calibrate_threshold(predict, bank, 64, target_fpr=0.1, n=20)
    assert 0.5 <= threshold <= 1.0


def test_restoration_protocol_orders_the_baselines(photos):
    report = evaluate_restoration(list(photos.values())[:3], {}, blocks=(2, 4), seed=0)
    for b in (2, 4):
        assert report.mean("psnr", b, "lanczos") > report.mean("psnr", b, "mosaic")
        assert report.mean("ssim", b, "bicubic") > report.mean("ssim", b, "mosaic")
    assert "restorer" not in report.methods()


def test_restoration_leaves_out_lossless_mosaics(photos):
    flat = np.full((64, 64, 3), 90, np.uint8)
    report = evaluate_restoration([flat, photos["coffee"]], {}, blocks=(2,), seed=0)
    assert report.lossless == {2: 1} and len(report.psnr[2]["lanczos"]) == 1
    assert np.isfinite(report.mean("psnr", 2, "mosaic"))


def test_cascade_composes_scales():
    def double(lr):
        return lr.repeat(2, 0).repeat(2, 1)

    def triple(lr):
        return lr.repeat(3, 0).repeat(3, 1)

    lr = np.zeros((4, 5, 3), np.uint8)
    assert cascade({2: double, 3: triple}, 6)(lr).shape == (24, 30, 3)
    assert cascade({2: double}, 5)(lr).shape == (20, 25, 3)
    assert cascade({}, 2) is None
    with pytest.raises(KeyError):
        {2: double}[3]
