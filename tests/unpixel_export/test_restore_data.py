"""Restorer training pairs with real damage: cell values, codecs, resizes, the LR read-back."""

from __future__ import annotations

import numpy as np
import pytest

from unpixel.geometry import cell_means
from unpixel_export.restore_data import (
    AFTERWARDS,
    CELL_VALUES,
    MIXES,
    DamageMix,
    damage,
    damaged_pair,
    h264_intra,
    mosaic,
    resize_round_trip,
)


@pytest.mark.parametrize("value", CELL_VALUES)
def test_mosaic_cells_hold_their_value(astronaut, value):
    crop = np.ascontiguousarray(astronaut[:30, :37])
    out = mosaic(crop, 4, (1, 3), value)
    assert out.shape == crop.shape
    cell = crop[1:5, 3:7].reshape(-1, 3)  # a whole cell of the grid at phase (1, 3)
    want = {
        "mean": None,
        "sample": crop[1 + 2, 3 + 2],
        "min": cell.min(0),
        "max": cell.max(0),
    }[value]
    assert (out[1:5, 3:7] == out[1, 3]).all()  # flat
    if want is None:
        assert np.abs(out[1, 3].astype(int) - cell.mean(0)).max() <= 0.5
    else:
        assert (out[1, 3] == want).all()


def test_mosaic_rejects_an_unknown_value(astronaut):
    with pytest.raises(ValueError, match="cell value"):
        mosaic(astronaut[:16, :16], 4, (0, 0), "median")


def test_h264_intra_is_a_real_lossy_round_trip(astronaut):
    pytest.importorskip("av")
    crop = np.ascontiguousarray(astronaut[:64, :96])
    coded = h264_intra(crop, 30)
    assert coded is not None and coded.shape == crop.shape
    err = np.abs(coded.astype(int) - crop).mean()
    assert 0.5 < err < 20  # damaged, but still the picture


def test_resize_round_trip_softens_cell_edges_only(astronaut):
    m = mosaic(np.ascontiguousarray(astronaut[:64, :64]), 8, (0, 0), "mean")
    out = resize_round_trip(m, 0.75)
    assert out.shape == m.shape and not np.array_equal(out, m)
    assert np.abs(out[2:6, 2:6].astype(int) - m[2:6, 2:6]).max() <= 3  # cell interiors keep


@pytest.mark.parametrize("kind", AFTERWARDS)
def test_every_damage_keeps_the_shape(kind, astronaut):
    m = mosaic(np.ascontiguousarray(astronaut[:48, :64]), 4, (0, 0), "mean")
    out = damage(np.random.default_rng(0), m, kind, MIXES["real"])
    assert out.shape == m.shape and out.dtype == np.uint8


def test_pair_lr_is_the_cell_means_of_the_undamaged_mosaic_when_lossless(bank):
    mix = DamageMix((1.0, 0, 0, 0), (1.0, 0, 0, 0))
    lr, hr = damaged_pair(np.random.default_rng(3), bank, 3, 10, mix)
    assert lr.shape == (10, 10, 3) and hr.shape == (30, 30, 3)
    assert np.array_equal(lr, cell_means(hr, 3, (0, 0)))  # mean mosaic, nothing after it


def test_pairs_are_deterministic_and_vary(bank):
    draw = lambda seed: damaged_pair(np.random.default_rng(seed), bank, 2, 16, MIXES["real"])  # noqa: E731
    a, b, c = draw(5), draw(5), draw(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])
