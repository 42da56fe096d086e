"""Restoration of real damage given the true grid: the read-back, the scores, a tiny run."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from unpixel_export import realworld_cases as rc
from unpixel_export.restore_real import (
    FAMILIES,
    evaluate,
    restore_at_truth,
    score,
    to_markdown,
)


def _nearest(lr: np.ndarray, b: int) -> np.ndarray:
    return cv2.resize(lr, (lr.shape[1] * b, lr.shape[0] * b), interpolation=cv2.INTER_NEAREST)


@pytest.mark.parametrize("kind,b", [("pillow", 4), ("opencv", 8), ("sample", 5), ("min", 6)])
def test_nearest_at_the_true_cells_gives_the_lossless_mosaic_back(astronaut, kind, b):
    sample = rc.mosaic_frame(astronaut, np.random.default_rng(b), kind, b)
    assert sample.truth is not None and sample.truth.block == b
    out = restore_at_truth(sample.image, sample.truth, _nearest)
    assert out.shape == sample.image.shape
    # the LR read back is the mean of each cell; on a lossless mosaic that is the cell itself
    assert np.abs(out.astype(int) - sample.image).max() <= 1


def test_score_names_every_method_and_the_oracle_beats_the_input(astronaut):
    sample = rc.mosaic_frame(astronaut, np.random.default_rng(0), "pillow", 4)
    row = score(sample, {"nearest": _nearest})
    assert set(row) == {"input", "oracle", "lanczos", "nearest"}
    assert row["nearest"] == pytest.approx(row["input"], abs=0.05)
    assert row["oracle"] > row["input"] + 0.5
    assert row["lanczos"] == pytest.approx(row["oracle"], abs=0.05)  # lossless: same LR


def test_tiny_run_covers_every_family(astronaut):
    report = evaluate([astronaut], {"nearest": _nearest}, per_case=1, clips=1)
    assert set(report["families"]) == set(FAMILIES)
    for family, s in report["families"].items():
        if family == "h264" and report["not_run"]:
            continue
        assert s["n"] >= 1 and s["nearest_worse_than_input"] is not None
    assert report["families"]["mean"]["nearest_gain"] < 0  # nearest never beats Lanczos here
    text = to_markdown(report, ["nearest"])
    assert "| **sampled** |" in text and "nearest ≥ oracle" in text
