"""The restorer: the scale plan, and tiles with a halo giving the whole-image pass exactly."""

from __future__ import annotations

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
