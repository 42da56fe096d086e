"""Cell geometry: cell sums and means over any grid, exact rounding."""

import numpy as np
import pytest

from unpixel import geometry
from unpixel.geometry import block_edges


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ([[0, 1], [0, 1]], 1),  # 0.5 rounds up
        ([[2, 3], [2, 2]], 2),  # 2.25 rounds down
        ([[254, 255], [255, 255]], 255),  # 254.75
        ([[0, 0, 1], [0, 0, 0], [0, 0, 0]], 0),  # 1/9
    ],
)
def test_cell_means_round_half_up_exactly(cell, expected):
    from unpixel.geometry import cell_means

    area = np.array(cell, np.uint8)[:, :, None]
    assert cell_means(area, len(cell), (0, 0))[0, 0, 0] == expected


def test_cell_means_exact_on_large_cells():
    from unpixel.geometry import cell_means

    rng = np.random.default_rng(0)
    area = rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)
    area[:150, :150] = 255
    area[0, 0] = 0  # mean 254.99: rounds to 255 (the sum is far above what uint8 holds)
    means = cell_means(area, 150, (0, 0))
    exact = np.floor(area.reshape(2, 150, 2, 150, 3).mean(axis=(1, 3), dtype=np.float64) + 0.5)
    assert np.array_equal(means, exact.astype(np.uint8))


@pytest.mark.parametrize("strip_values", [1, 50, 700, 1 << 18])
@pytest.mark.parametrize(
    ("shape", "block", "phase"),
    [
        ((37, 53, 3), 4, (1, 3)),
        ((40, 41), 3, (2, 0)),
        ((64, 70, 3), 16, (7, 9)),
        ((9, 500, 3), 2, (1, 1)),
    ],
)
def test_cell_sums_in_strips_equal_one_integral_image(
    monkeypatch, strip_values, shape, block, phase
):
    import cv2

    rng = np.random.default_rng(block)
    area = rng.integers(0, 256, shape, dtype=np.uint8)
    ey, ex = block_edges(shape[0], block, phase[0]), block_edges(shape[1], block, phase[1])
    whole = cv2.integral(area, sdepth=cv2.CV_32S).take(ey, axis=0).take(ex, axis=1)
    expected = np.diff(np.diff(whole.reshape(len(ey), len(ex), -1), axis=0), axis=1)
    monkeypatch.setattr(geometry, "STRIP_VALUES", strip_values)  # 1: a strip per cell row
    assert np.array_equal(geometry.cell_sums(area, ey, ex), expected)


@pytest.mark.parametrize("block", [2, 3, 4, 6, 10, 12, 14, 31, 32, 33])
def test_cell_means_round_half_up_like_integers_for_every_cell_size(block):
    from unpixel.geometry import cell_means, cell_sums

    rng = np.random.default_rng(block)
    h, w = 3 * block + 1, 4 * block + 3
    area = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    # a 6/7 checkerboard: cells of even size have mean 6.5 exactly (half up: 7, half even: 6)
    board = 6 + np.indices((2 * block, 2 * block)).sum(axis=0) % 2
    area[: 2 * block, : 2 * block] = board[:, :, None].astype(np.uint8)
    for phase in [(0, 0), (1, block - 1)]:
        ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
        sums = cell_sums(area, ey, ex).astype(np.int64)
        counts = (np.diff(ey)[:, None] * np.diff(ex)[None, :])[:, :, None]
        expected = (2 * sums + counts) // (2 * counts)  # floor(sum / count + 1/2), in integers
        assert np.array_equal(cell_means(area, block, phase), expected.astype(np.uint8))
    if block % 2 == 0:
        assert cell_means(area, block, (0, 0))[0, 0, 0] == 7


def test_cell_sums_of_a_very_wide_strip_are_read_in_runs_of_cells(monkeypatch):
    """Memory (issue 20): a cell row wider than STRIP_VALUES is integrated a run at a time."""
    rng = np.random.default_rng(0)
    area = rng.integers(0, 256, (6, 2000, 3), np.uint8)
    ey, ex = block_edges(6, 4, 1), block_edges(2000, 4, 3)
    exact = np.add.reduceat(np.add.reduceat(area.astype(np.int64), ey[:-1], 0), ex[:-1], 1)
    whole = geometry.cell_sums(area, ey, ex)
    monkeypatch.setattr(geometry, "STRIP_VALUES", 100)  # runs of a few cells, one cell row
    runs = geometry.cell_sums(area, ey, ex)
    assert np.array_equal(whole, exact) and np.array_equal(runs, exact)
    assert runs.dtype == whole.dtype


def _exact_sums(area, ey, ex):
    wide = area.astype(np.int64).reshape(area.shape[0], area.shape[1], -1)
    return np.add.reduceat(np.add.reduceat(wide, ey[:-1], 0), ex[:-1], 1)


@pytest.mark.parametrize("row_strip", [1, 300, 1 << 16])
@pytest.mark.parametrize(
    ("shape", "block", "phase"),
    [
        ((37, 53, 3), 4, (1, 3)),  # partial cells at all four sides
        ((40, 41), 3, (0, 0)),  # one channel, partial last column
        ((64, 70, 3), 16, (7, 9)),
        ((9, 500, 4), 2, (1, 1)),
        ((5, 30, 3), 8, (0, 2)),  # one cell row, shorter than a cell
        ((33, 7, 3), 5, (4, 0)),  # one partial cell column
        ((17, 19, 3), 2, (0, 0)),
    ],
)
def test_block_sums_and_deviation_sums_equal_the_exact_sums(
    monkeypatch, row_strip, shape, block, phase
):
    """Adding rows a cell apart gives the integral images' sums, on any phase and size."""
    import cv2

    monkeypatch.setattr(geometry, "BLOCK_SUMS_MIN", 0)  # small areas too
    monkeypatch.setattr(geometry, "ROW_STRIP", row_strip)  # 1: a strip per cell row
    rng = np.random.default_rng(block)
    area = rng.integers(0, 256, shape, dtype=np.uint8)
    area[: shape[0] // 2] = 255  # saturated cells: the uint16 sums must not clip
    ey, ex = block_edges(shape[0], block, phase[0]), block_edges(shape[1], block, phase[1])
    sums = geometry.block_sums(area, block, phase)
    assert np.array_equal(sums, _exact_sums(area, ey, ex))
    means = geometry.cell_means(area, block, phase)
    assert np.array_equal(means, geometry.edge_means(area, ey, ex))
    big = geometry.expand_cells(means, block, np.diff(ey), np.diff(ex))
    dev = cv2.absdiff(area, big).astype(np.int64)
    expected = _exact_sums(dev, ey, ex).sum(axis=2)
    assert np.array_equal(geometry.deviation_sums(area, means, block, phase), expected)


def test_block_sums_of_cells_of_16_full_pixels_do_not_clip(monkeypatch):
    monkeypatch.setattr(geometry, "BLOCK_SUMS_MIN", 0)
    area = np.full((64, 64, 3), 255, np.uint8)
    geometry_sums = geometry.block_sums(area, 16, (0, 0))
    assert geometry_sums.shape == (4, 4, 3) and (geometry_sums == 255 * 256).all()
    zeros = np.zeros((4, 4, 3), np.uint8)
    assert (geometry.deviation_sums(area, zeros, 16, (0, 0)) == 255 * 256 * 3).all()
