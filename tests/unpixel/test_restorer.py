"""The restorer: the scale plan, and tiles with a halo giving the whole-image pass exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import unpixel as up
from unpixel import restorer as restorer_module
from unpixel.geometry import cell_means
from unpixel.pipeline import Pipeline
from unpixel.restorer import Restorer, halo_for, plan


@pytest.fixture(scope="module")
def restorer():
    with Pipeline.create() as pipe:  # the shipped int8 LiteRT restorers
        yield pipe.restorer


@pytest.mark.parametrize(
    ("block", "steps"),
    [(2, [2]), (4, [4]), (6, [3, 2]), (8, [4, 2]), (9, [3, 3]), (16, [4, 4]), (5, [4]), (7, [4])],
)
def test_plan(block, steps):
    assert plan(block, (2, 3, 4)) == steps


def test_plan_without_a_small_enough_model_is_empty():
    assert plan(2, (3, 4)) == []


@pytest.mark.parametrize("block", [2, 3, 4, 5, 6])
def test_upscale_shape_and_colour_order(restorer, astronaut, block):
    lr = np.ascontiguousarray(astronaut[100:140, 200:250])
    hr = restorer.upscale(lr, block)
    assert hr.shape == (40 * block, 50 * block, 3) and hr.dtype == np.uint8
    # BGR in, BGR out: each channel's mean stays with its channel
    assert np.abs(hr.reshape(-1, 3).mean(0) - lr.reshape(-1, 3).mean(0)).max() < 4


@pytest.mark.parametrize(("block", "tile"), [(2, 16), (4, 24), (6, 16)])
def test_tiles_with_a_halo_equal_the_whole_image_pass(
    restorer, astronaut, monkeypatch, block, tile
):
    lr = np.ascontiguousarray(astronaut[37:107, 11:94])  # 70 x 83: partial tiles on both axes
    whole = restorer.upscale(lr, block)
    monkeypatch.setattr(restorer_module, "WHOLE_LIMIT", 0)
    tiled = Restorer(restorer.engines, tile=tile).upscale(lr, block)
    assert np.array_equal(tiled, whole)


@pytest.mark.parametrize(
    ("steps", "halo"), [([2], 5), ([4], 5), ([3, 2], 7), ([4, 4], 7), ([2, 2], 8)]
)
def test_halo_covers_every_stage_in_its_own_pixels(steps, halo):
    assert halo_for(steps) == halo


def test_a_smaller_halo_leaves_seams(restorer, astronaut, monkeypatch):
    lr = np.ascontiguousarray(astronaut[37:107, 11:94])
    whole = restorer.upscale(lr, 4)
    monkeypatch.setattr(restorer_module, "WHOLE_LIMIT", 0)
    tiled = Restorer(restorer.engines, tile=24, halo=restorer_module.RADIUS - 1).upscale(lr, 4)
    assert not np.array_equal(tiled, whole)  # so RADIUS is the reach, not more than it


def test_unknown_block_is_a_value_error(restorer):
    with pytest.raises(ValueError, match="no restorer for block 1"):
        restorer.upscale(np.zeros((8, 8, 3), np.uint8), 1)


def test_improves_on_nearest_neighbour(restorer, astronaut):
    hr = astronaut[:192, :192]
    lr = cell_means(hr, 4, (0, 0))  # the LR image a mean mosaic of hr was made from
    nearest = np.repeat(np.repeat(lr, 4, 0), 4, 1)
    restored = restorer.upscale(lr, 4)
    assert up.metrics.psnr(hr, restored, border=4) > up.metrics.psnr(hr, nearest, border=4)


MODELS = Path(up.__file__).resolve().parent / "models"


@pytest.mark.parametrize(
    ("restorers", "match"),
    [
        ({2: "restorer_x4_int8.tflite"}, "given for x2 upscales x4"),
        ({4: "restorer_x2_int8.tflite"}, "given for x4 upscales x2"),
        ({3: "restorer_x2_fp32.tflite"}, "given for x3 upscales x2"),
        ({2: "classifier_int8.tflite"}, "given for x2 upscales output \\(1, 1\\)"),
    ],
)
def test_a_restorer_of_the_wrong_scale_is_refused_when_loading(restorers, match):
    paths = {scale: MODELS / name for scale, name in restorers.items()}
    with pytest.raises(up.ModelError, match=match):
        up.Pipeline.create(up.PipelineOptions(restorers=paths))


def _swapped_models(tmp_path: Path) -> Path:
    """The shipped models with the int8 x2 and x4 files swapped, sha256 recomputed."""
    import hashlib
    import json
    import shutil

    for path in MODELS.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    a, b = tmp_path / "restorer_x2_int8.tflite", tmp_path / "restorer_x4_int8.tflite"
    a.rename(tmp_path / "swap"), b.rename(a), (tmp_path / "swap").rename(b)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for entry in manifest["models"]:
        if entry.get("file") in (a.name, b.name):
            data = (tmp_path / entry["file"]).read_bytes()
            entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_swapped_restorer_files_with_matching_hashes_are_refused(tmp_path, capsys):
    from unpixel.cli import main

    models = _swapped_models(tmp_path)
    with pytest.raises(up.ModelError, match="given for x2 upscales x4"):
        up.Pipeline.create(up.PipelineOptions(models_dir=models))
    image = tmp_path / "in.png"
    up.write_image(image, up.pixelate(np.full((96, 96, 3), 128, np.uint8), 4))
    assert main(["detect", str(image), "--models-dir", str(models)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "upscales x4" in err[0]


class _Recorder:
    """Wraps an engine's run_pixels: records each batch's output shape."""

    def __init__(self, engine) -> None:
        self.engine, self.shapes = engine, []

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def run_pixels(self, batch):
        out = self.engine.run_pixels(batch)
        self.shapes.append(out.shape)
        return out


@pytest.mark.parametrize("block", [4, 8])
def test_batches_of_tiles_stay_bounded_and_equal_one_batch(restorer, astronaut, monkeypatch, block):
    """Memory (issue 20): many tiles run a bounded batch at a time, with the same result."""
    lr = np.ascontiguousarray(astronaut[:96, :160])
    monkeypatch.setattr(restorer_module, "WHOLE_LIMIT", 0)
    whole_batch = restorer.upscale(lr, block)  # 15 tiles of 32: one batch
    monkeypatch.setattr(restorer_module, "BATCH_PIXELS", 1)  # one tile a batch
    recorded = {s: _Recorder(e) for s, e in restorer.engines.items()}
    tiled = Restorer(recorded, tile=32)
    for r in recorded.values():
        r.shapes.clear()  # the scale probes at load time
    one_by_one = tiled.upscale(lr, block)
    assert np.array_equal(one_by_one, whole_batch)
    last = recorded[plan(block, (2, 3, 4))[-1]].shapes
    assert len(last) == 15 and {s[0] for s in last} == {1}


def test_a_strip_far_wider_than_tall_runs_as_short_tiles(restorer, astronaut, monkeypatch):
    """An 8-row LR strip too large for one piece: tiles 8 rows tall, equal to one piece.

    Before, tiles were 64 rows tall whatever the strip (8x the work); at 8 x 524,288 the
    batch's output passed 2 GiB and came back wrong from LiteRT (levels off by up to 255).
    """
    strip = np.ascontiguousarray(np.tile(astronaut[200:208, :512], (1, 8, 1)))  # 8 x 4096
    whole = restorer.upscale(strip, 4)  # 32,768 LR pixels: one piece
    monkeypatch.setattr(restorer_module, "WHOLE_LIMIT", 0)
    recorded = {s: _Recorder(e) for s, e in restorer.engines.items()}
    short = Restorer(recorded, tile=64)
    recorded[4].shapes.clear()  # the scale probe at load time
    tiled = short.upscale(strip, 4)
    assert np.array_equal(tiled, whole)
    halo = halo_for([4])
    assert {s[1] for s in recorded[4].shapes} == {(8 + 2 * halo) * 4}


def test_whole_images_padded_to_a_stable_shape_give_the_halo_only_pass(restorer, astronaut):
    """The padding to a multiple of SHAPE_STEP lies past the halo: no kept pixel changes."""
    import cv2

    from unpixel.restorer import RADIUS, SHAPE_STEP, stable

    lr = cv2.resize(astronaut, (53, 37), interpolation=cv2.INTER_AREA)
    assert stable(37) % SHAPE_STEP == 0 and stable(37) > 37 and stable(40) == 40
    rgb = np.ascontiguousarray(lr[:, :, ::-1])
    padded = cv2.copyMakeBorder(rgb, RADIUS, RADIUS, RADIUS, RADIUS, cv2.BORDER_REPLICATE)
    direct = restorer.engines[2].run_pixels(padded[None])[0]
    lo = 2 * RADIUS
    want = np.ascontiguousarray(direct[lo:-lo, lo:-lo, ::-1])
    assert np.array_equal(restorer.upscale(lr, 2), want)
