"""The end-to-end pipeline protocol (`unpixel eval --task pipeline`) on a few small photos,
with the shipped int8 and fp32 LiteRT models."""

import json

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.grid import Grid
from unpixel.results import Detection, Region
from unpixel_export.eval_cli import main
from unpixel_export.pipeline_eval import (
    METHODS,
    SCENES,
    _errors,
    evaluate_pipeline,
    region_box,
)


@pytest.fixture(scope="module")
def pipes():
    made = {p: up.Pipeline.create(up.PipelineOptions(precision=p)) for p in ("int8", "fp32")}
    yield made
    for p in made.values():
        p.close()


@pytest.fixture(scope="module")
def report(photos, pipes):
    small = [photos["coffee"][:256, 100:420], photos["chelsea"][:240, :320]]
    return evaluate_pipeline(small, pipes, blocks=(2, 4), seed=0, names=["coffee", "chelsea"])


def test_report_structure(report):
    assert set(report.psnr) == set(SCENES)
    for scene in SCENES:
        assert set(report.psnr[scene]) == {2, 4}
        for b in (2, 4):
            assert set(report.psnr[scene][b]) == set(METHODS)
            assert report.frames(scene, b) == 2 and report.lossless[scene][b] == 0
            assert all(np.isfinite(v) for v in report.psnr[scene][b].values() for v in v)
    doc = json.loads(json.dumps(report.to_dict()))
    entry = doc["scenes"]["frame"]["4"]
    assert {"psnr", "int8_pipeline_minus_ref", "bar_met", "errors", "coverage"} <= set(entry)
    assert set(entry["errors"]["int8_pipeline"]) == {
        "not_flagged",
        "no_grid",
        "wrong_grid",
        "false_region",
        "any",
    }
    assert set(doc["per_photo"]["frame"]["2"]) == {"coffee", "chelsea"}
    text = report.to_markdown()
    assert "### Scene `frame`" in text and "### Scene `region`" in text
    assert text.count("| 4 |") == 6  # three tables per scene


def test_numbers_are_sane(report):
    for scene in SCENES:
        mosaic = report.mean(scene, 4, "mosaic")
        for method in METHODS[1:]:
            assert report.mean(scene, 4, method) > mosaic + 0.3, (scene, method)
        # the int8 restorer costs a fraction of a dB, not more
        assert abs(report.delta(scene, 4, "int8_true_grid", "fp32_true_grid")) < 1.0
    # whole-frame mean mosaics of photos: found, on the right grid, every pixel restored,
    # so the fp32 pipeline matches the reference
    for b in (2, 4):
        for pipe in ("int8_pipeline", "fp32_pipeline"):
            assert report.errors["frame"][b][pipe]["any"] == 0
            assert min(report.coverage["frame"][b][pipe]) > 0.95
        assert abs(report.delta("frame", b, "fp32_pipeline", "fp32_true_grid")) < 0.05


def test_region_box_is_whole_cells_inside_the_frame():
    rng = np.random.default_rng(3)
    for b, phase in ((2, (1, 0)), (3, (2, 1)), (8, (5, 7))):
        x, y, w, h = region_box((300, 400, 3), b, phase, rng)
        assert (y - phase[0]) % b == 0 and (x - phase[1]) % b == 0
        assert w % b == 0 and h % b == 0 and x + w <= 400 and y + h <= 300
        assert 0.25 * 300 <= h <= 0.6 * 300 and 0.25 * 400 <= w <= 0.6 * 400


def test_errors_tell_wrong_grid_and_false_region_apart():
    frame = np.zeros((100, 100, 3), np.uint8)
    truth, box = Grid(4, (1, 2), 1.0), (20, 20, 40, 40)
    mask = np.zeros((100, 100), bool)
    mask[20:60, 20:60] = True
    right = Region((0, 0, 64, 64), 0.9, Grid(4, (1, 2), 0.9))
    shifted = Region((0, 0, 64, 64), 0.9, Grid(4, (2, 2), 0.9))
    away = Region((64, 64, 36, 36), 0.9, Grid(4, (1, 2), 0.9))
    det = Detection(True, 0.9, right.grid, mask, (right,))
    ok = {"not_flagged": False, "no_grid": False, "wrong_grid": False, "false_region": False}
    assert _errors(det, truth, box, frame, frame) == (ok, 1.0, 0.0)
    flags, _, _ = _errors(
        Detection(True, 0.9, right.grid, mask, (shifted, away)), truth, box, frame, frame
    )
    assert flags == {**ok, "wrong_grid": True, "false_region": True}
    unresolved = Region(right.box, 0.9, None)
    flags, _, _ = _errors(
        Detection(False, 0.9, None, mask & False, (unresolved,)), truth, box, frame, frame
    )
    assert flags == {**ok, "no_grid": True}
    changed = frame.copy()
    changed[90:, 90:] = 1
    flags, cover, clean = _errors(
        Detection(False, 0.1, None, mask & False, ()), truth, box, frame, changed
    )
    assert flags == {**ok, "not_flagged": True}
    assert cover == 0.0 and clean == pytest.approx(100 / 8400)


def test_eval_task_writes_both_reports(tmp_path, photos):
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "flat.png"), np.full((96, 96, 3), 90, np.uint8))
    cv2.imwrite(str(folder / "coffee.png"), photos["coffee"][:200, 200:456])
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    argv = ["--task", "pipeline", "--images", str(folder), "--json", str(out_json)]
    assert main([*argv, "--markdown", str(out_md)]) == 0
    doc = json.loads(out_json.read_text())
    assert doc["task"] == "pipeline" and doc["photos"] == 2 and doc["bar_db"] == 0.3
    assert doc["lossless_left_out"]["frame"]["2"] == 1
    assert set(doc["models"]["pipelines"]) == {"int8", "fp32"}
    assert doc["models"]["pipelines"]["int8"]["format"] == "tflite-int8"
    assert "fp32 restorer, true grid (ref)" in out_md.read_text()
