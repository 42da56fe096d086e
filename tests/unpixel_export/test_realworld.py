"""The real-world degradations record the truth the scalers and codecs made; a tiny run."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.geometry import Box
from unpixel.metrics import psnr
from unpixel_export import realworld as rw
from unpixel_export import realworld_cases as rc
from unpixel_export.realworld_eval import evaluate, grid_match
from unpixel_export.realworld_report import to_markdown


def _photo(h: int = 320, w: int = 480, seed: int = 0) -> np.ndarray:
    """A smooth, textured stand-in for a photo."""
    rng = np.random.default_rng(seed)
    base = cv2.resize(
        rng.uniform(0, 255, (12, 16, 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    img = base + rng.normal(0, 12, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _cells_flat(frame: np.ndarray, truth: rw.Truth) -> bool:
    """Every pixel of the box equals its LR cell's value."""
    x, y, w, h = truth.box
    return bool((frame[y : y + h, x : x + w] == truth.lr[truth.rows][:, truth.cols]).all())


@pytest.mark.parametrize("kind", ["pillow", "opencv", "sample", "min", "max"])
def test_cropped_mosaic_has_the_phase_and_flat_cells(kind: str) -> None:
    photo = _photo()
    b, phase = 7, (3, 5)
    frame, clean, truth = rw.cropped_mosaic(photo, kind, b, (101, 150), (10, 20), phase)
    assert frame.shape == clean.shape == (101, 150, 3)
    assert 101 % b and 150 % b
    assert truth.block == b
    assert _cells_flat(frame, truth)
    assert truth.edges(0)[0] == (b - phase[0]) % b
    assert set(np.diff(truth.edges(1))) == {b}
    np.testing.assert_array_equal(clean, photo[10 + 3 : 10 + 3 + 101, 20 + 5 : 20 + 5 + 150])


def test_block_reductions_are_the_block_min_max_mean_and_centre() -> None:
    img = _photo(48, 64)
    b = 8
    cells = img.reshape(6, b, 8, b, 3)
    for how, want in (("min", cells.min((1, 3))), ("max", cells.max((1, 3)))):
        mosaic, lr = rw.reduce_mosaic(img, b, how)
        np.testing.assert_array_equal(lr, want)
        assert (mosaic.reshape(6, b, 8, b, 3) == want[:, None, :, None]).all()
    _, lr = rw.reduce_mosaic(img, b, "sample")
    np.testing.assert_array_equal(lr, img[4::8, 4::8])
    for make in (rw.pillow_box_nearest, rw.opencv_area_nearest):
        _, lr = make(img, b)
        assert np.abs(lr.astype(float) - cells.mean((1, 3))).max() <= 1


@pytest.mark.parametrize("lib", ["pillow", "opencv"])
@pytest.mark.parametrize("factor", [1.25, 2.25, 3.33, 7.5])
def test_nearest_upscale_records_the_scalers_own_cells(lib: str, factor: float) -> None:
    lr = np.random.default_rng(1).integers(0, 256, (23, 31, 3), dtype=np.uint8)
    h, w = round(23 * factor), round(31 * factor)
    out, truth = rw.nearest_upscale(lr, (h, w), lib)
    assert out.shape == (h, w, 3)
    assert _cells_flat(out, truth)
    sizes = set(np.diff(truth.edges(1)))
    assert sizes <= {int(np.floor(factor)), int(np.ceil(factor))}
    assert abs(truth.period - factor) < 0.02 * factor
    assert rw.oracle_lanczos(truth).shape == out.shape


@pytest.mark.parametrize("how", ["pillow", "linear", "area"])
def test_resized_mosaic_truth_scales_the_cells(how: str) -> None:
    frame, _, truth = rw.cropped_mosaic(_photo(), "pillow", 16, (160, 240), (0, 0), (0, 0))
    out = rw.resize_frame(frame, 0.75, how)
    t = rw.resized_truth(truth, 0.75, out.shape)
    assert out.shape == (120, 180, 3)
    assert t.period == 12 and t.tol == 1
    np.testing.assert_array_equal(t.edges(1), np.arange(12, 180, 12))


def test_censor_changes_the_box_only_and_jpeg_keeps_the_shape() -> None:
    img = _photo()
    box = Box(40, 24, 96, 64)
    out, truth = rw.censor(img, box, 8)
    mask = truth.mask(img.shape)
    np.testing.assert_array_equal(out[~mask], img[~mask])
    assert _cells_flat(out, truth)
    assert truth.origin == (24, 40)
    j = rw.pillow_jpeg(out, 50)
    assert j.shape == out.shape and 25 < psnr(out, j) < 60


def test_screenshots_and_clean_scenes_are_drawn() -> None:
    rng = np.random.default_rng(0)
    shot = rc.screenshot(rng)
    assert shot.shape == (400, 640, 3) and len(np.unique(shot.reshape(-1, 3), axis=0)) > 20
    assert rc.font_path() is None or rc.font_path().name == "DejaVuSans.ttf"
    for make in (rc.sky, rc.gradient, rc.flat_graphics):
        assert make(rng).shape == (360, 540, 3)
    box = rc.censor_box(300, 400, 12, rng)
    assert box[2] % 12 == 0 and box[3] % 12 == 0
    assert 0.05 <= box[2] * box[3] / (300 * 400) <= 0.45


def test_h264_roundtrip_keeps_frames() -> None:
    pytest.importorskip("av")
    frames = [np.roll(_photo(64, 96), 2 * t, axis=1) for t in range(4)]
    out = rw.h264_roundtrip(frames, 18)
    assert len(out) == 4 and out[0].shape == frames[0].shape
    same = [psnr(a, b) for a, b in zip(frames, out, strict=True)]
    assert min(same) > 20  # noisy texture, 4:2:0
    assert all(psnr(frames[t + 1], out[t]) < same[t] for t in range(3))  # in order
    again = rw.h264_roundtrip(frames, 18)  # one encoder thread: the same clip every run
    assert all(np.array_equal(a, b) for a, b in zip(out, again, strict=True))


def test_grid_match_hits_the_true_edges_only() -> None:
    _, _, truth = rw.cropped_mosaic(_photo(), "pillow", 8, (100, 150), (0, 0), (3, 5))
    assert grid_match(up.Grid(8, (5, 3), 1.0), truth) == (True, 1.0)
    ok, share = grid_match(up.Grid(8, (6, 3), 1.0), truth)
    assert ok and share < 0.9
    assert not grid_match(up.Grid(4, (1, 3), 1.0), truth)[0]


def test_tiny_evaluation_reports_every_family() -> None:
    photos = [_photo(seed=0), _photo(seed=1)]
    only = [
        "pillow_b8",
        "jpeg_q75_b8",
        "nearest_x2.25_pillow",
        "censor_b8",
        "clean_png",
        "h264_crf23_follow",
    ]
    report = evaluate(photos, per_case=2, clips=1, only=only)
    assert not report["errors"]
    assert {"lossless", "compressed", "resized", "partial", "clean"} <= set(report["families"])
    s = report["cases"]["pillow_b8"]
    assert s["n"] == 2
    for key in (
        "detected",
        "period_right",
        "cells_right",
        "covers",
        "iou",
        "psnr_in",
        "psnr_out",
        "psnr_oracle",
        "better",
        "same",
        "worse",
        "ge_lanczos",
        "far_changed",
    ):
        assert key in s
    assert {"fpr", "flagged", "unflagged_not_identical"} <= set(report["cases"]["clean_png"])
    if "h264_crf23_follow" in report["not_run"]:
        assert "h264_crf23_follow_video" in report["not_run"]
    else:
        assert report["cases"]["h264_crf23_follow_video"]["n"] == rc.CLIP_FRAMES
    report.update(seconds=0.0)
    assert "| pillow_b8 | 2 |" in to_markdown(report)


def test_unpixel_eval_task_realworld_writes_its_report(tmp_path, astronaut):
    import json

    import unpixel as up
    from unpixel.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    up.write_image(photos / "a.png", astronaut[:256, :320])
    out = tmp_path / "rw.json"
    args = ["eval", "--task", "realworld", "--images", str(photos), "--per-case", "1"]
    assert main([*args, "--clips", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["task"] == "realworld" and len(report["photos"]) == 1
