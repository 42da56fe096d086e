import numpy as np
import pytest

import unpixel as up
from unpixel.geometry import cell_means
from unpixel_export.data import (
    NEGATIVE_KINDS,
    PhotoBank,
    negative_tile,
    positive_tile,
    random_classifier_sample,
    restorer_pair,
    to_model_input,
)


@pytest.mark.parametrize("block", [2, 5, 9, 16])
def test_positive_tiles_are_mosaics_of_their_block(bank, block):
    rng = np.random.default_rng(block)
    size = max(64, 6 * block)  # the grid estimator wants six cells a side
    found = 0
    for _ in range(10):
        tile = positive_tile(rng, bank, size, block)
        grid = up.estimate_grid(tile)
        assert tile.shape == (size, size, 3)
        assert grid is None or grid.block == block
        found += grid is not None
    # a smooth tile may show steps below the estimator's noise floor in one direction
    assert found >= 8


@pytest.mark.parametrize("kind", NEGATIVE_KINDS)
def test_negative_tiles_have_the_tile_shape(bank, kind):
    tile = negative_tile(np.random.default_rng(0), bank, 64, kind)
    assert tile.shape == (64, 64, 3) and tile.dtype == np.uint8


def test_unknown_negative_kind(bank):
    with pytest.raises(ValueError, match="unknown"):
        negative_tile(np.random.default_rng(0), bank, 64, "noise")


def test_samples_are_deterministic_and_balanced(bank):
    a = [random_classifier_sample(np.random.default_rng([1, i]), bank, 64) for i in range(200)]
    b = [random_classifier_sample(np.random.default_rng([1, i]), bank, 64) for i in range(200)]
    assert all(np.array_equal(x[0], y[0]) and x[1] == y[1] for x, y in zip(a, b, strict=True))
    assert 0.35 < np.mean([s[1] for s in a]) < 0.65


def test_restorer_pair_lr_is_cell_means_of_hr(bank):
    rng = np.random.default_rng(4)
    lr, hr = restorer_pair(rng, bank, 3, 16, jpeg_prob=0.0)
    assert lr.shape == (16, 16, 3) and hr.shape == (48, 48, 3)
    assert np.array_equal(lr, cell_means(hr, 3, (0, 0)))


def test_model_input_is_rgb_unit_range():
    tile = np.zeros((1, 2, 2, 3), np.uint8)
    tile[..., 0] = 255  # blue in BGR
    x = to_model_input(tile)
    assert x.dtype == np.float32 and x[0, 0, 0].tolist() == [0.0, 0.0, 1.0]


def test_photo_bank_rejects_no_photos():
    with pytest.raises(ValueError, match="no photos"):
        PhotoBank.from_paths([])
