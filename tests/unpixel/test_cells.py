"""Mosaic cells: the per-cell deviation against a pixel-by-pixel reference, and the mask rules."""

import cv2
import numpy as np
import pytest

from unpixel.cells import (
    MIN_CELLS,
    MIN_TOL,
    MOSAIC_TOL,
    adaptive_tol,
    cell_deviation,
    mosaic_cells,
    without_strips,
)
from unpixel.degrade import jpeg, pixelate
from unpixel.geometry import Box, block_edges, cell_means


def _reference_deviation(area: np.ndarray, block: int, phase: tuple[int, int]) -> np.ndarray:
    """Mean |pixel - rounded cell mean| over each cell's pixels and channels, cell by cell."""
    h, w = area.shape[:2]
    ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    out = np.zeros((len(ey) - 1, len(ex) - 1))
    for i in range(len(ey) - 1):
        for j in range(len(ex) - 1):
            cell = area[ey[i] : ey[i + 1], ex[j] : ex[j + 1]].astype(np.int64)
            mean = np.floor(cell.sum(axis=(0, 1)) / (cell.shape[0] * cell.shape[1]) + 0.5)
            out[i, j] = np.abs(cell - mean).mean()
    return out


@pytest.mark.parametrize(
    ("shape", "block", "phase"),
    [
        ((37, 53, 3), 4, (0, 0)),
        ((37, 53, 3), 4, (1, 3)),
        ((40, 41, 3), 3, (2, 0)),
        ((33, 29), 5, (4, 2)),
        ((64, 64, 3), 16, (7, 9)),
        ((20, 22, 1), 2, (1, 1)),
    ],
)
def test_cell_deviation_matches_a_cell_by_cell_reference(shape, block, phase):
    rng = np.random.default_rng(block)
    area = rng.integers(0, 256, shape, dtype=np.uint8)
    got = cell_deviation(area, block, phase)
    assert np.array_equal(
        got, _reference_deviation(area.reshape(shape[0], shape[1], -1), block, phase)
    )
    # the caller's cell means give the same result
    assert np.array_equal(cell_deviation(area, block, phase, cell_means(area, block, phase)), got)


def test_exact_mosaic_cells_deviate_by_nothing():
    rng = np.random.default_rng(0)
    area = pixelate(rng.integers(0, 256, (48, 60, 3), dtype=np.uint8), 4, phase=(1, 2))
    assert not cell_deviation(area, 4, (1, 2)).any()


def test_mosaic_cells_marks_the_mosaic_not_the_texture_around_it():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    image[16:48, 32:80] = pixelate(image[16:48, 32:80], 4)
    image[26, 45] ^= 0x40  # one noisy pixel in a mosaic cell: kept (its neighbours are flat)
    cells = mosaic_cells(image, 4, (0, 0))
    expected = np.zeros((16, 24), bool)
    expected[4:12, 8:20] = True
    assert np.array_equal(cells, expected)


def test_small_flat_groups_are_not_mosaic():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    image[8:16, 8:16] = 128  # 2 x 2 flat cells: a flat clean patch, under MIN_CELLS
    assert MIN_CELLS > 4
    assert not mosaic_cells(image, 4, (0, 0)).any()


@pytest.mark.parametrize(
    ("deviation", "expected"),
    [
        (np.zeros(10), MIN_TOL),
        (np.full(10, 100.0), MOSAIC_TOL),
        (np.full(8, 0.6), 2.0),
        (np.zeros(0), MIN_TOL),
    ],
)
def test_adaptive_tol_follows_the_flattest_quarter_within_bounds(deviation, expected):
    assert adaptive_tol(deviation) == pytest.approx(expected)


def test_core_follows_the_mosaic_out_but_leaves_other_flat_patches():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    image[16:48, 16:64] = pixelate(image[16:48, 16:64], 4)  # cells rows 4..11, cols 4..15
    image[0:12, 72:96] = 90  # a flat patch of 3 x 6 cells, apart from the mosaic
    expected = np.zeros((16, 24), bool)
    expected[4:12, 4:16] = True
    # The flat patch shows no cell borders: nothing tells it from clean flat content.
    assert np.array_equal(mosaic_cells(image, 4, (0, 0)), expected)
    cells = mosaic_cells(image, 4, (0, 0), core=Box(8, 4, 4, 8))  # the mosaic's middle only
    assert np.array_equal(cells, expected)


@pytest.mark.parametrize("block", [6, 8, 12])
def test_flat_clean_cells_beside_a_mosaic_are_left_alone(photos, block):
    # A smooth, slightly noisy sky beside a censored box, JPEG'd: once compressed the sky is
    # as flat as the mosaic's cells, but shows no cell borders of its own; at most the ring
    # of cells touching the box may be taken.
    rng = np.random.default_rng(block)
    image = photos["astronaut"].copy()
    sky = np.linspace(150, 190, 512)[:, None, None] + rng.normal(0, 1, (512, 256, 3))
    image[:, :256] = np.clip(sky, 0, 255).astype(np.uint8)
    y0, x0, n = 131, 197, 256 // block * block - block
    image[y0 : y0 + n, x0 : x0 + n] = pixelate(image[y0 : y0 + n, x0 : x0 + n], block)
    image = jpeg(image, 85)
    phase = (y0 % block, x0 % block)
    ey, ex = block_edges(512, block, phase[0]), block_edges(512, block, phase[1])

    def cells_within(pad: int) -> np.ndarray:
        rows = (ey[:-1] >= y0 - pad) & (ey[1:] <= y0 + n + pad)
        cols = (ex[:-1] >= x0 - pad) & (ex[1:] <= x0 + n + pad)
        return rows[:, None] & cols[None, :]

    # the bar is one cell; b = 6 here takes a second cell in two rows (measured)
    box, ring = cells_within(0), cells_within(2 * block if block == 6 else block)
    r, c = np.flatnonzero(box.any(axis=1)), np.flatnonzero(box.any(axis=0))
    core = Box(int(c[0]), int(r[0]), int(c[-1] - c[0] + 1), int(r[-1] - r[0] + 1))
    cells = mosaic_cells(image, block, phase, core=core)
    assert cells[box].mean() >= 0.7  # measured 0.74 / 0.98 / 0.98 for b = 6 / 8 / 12
    assert not cells[~ring].any()


@pytest.mark.parametrize("quality", [50, 75, 90])
@pytest.mark.parametrize("block", [4, 8, 16])
def test_jpeg_mosaic_cells_are_found_despite_ringing(photos, quality, block):
    # Phase 0: b = 8 lies on JPEG's own 8x8 lattice, the hardest case (measured 0.95 at q50).
    image = jpeg(pixelate(photos["astronaut"], block), quality)
    assert mosaic_cells(image, block, (0, 0)).mean() >= 0.94


def test_without_strips_keeps_two_by_two_groups_in_place():
    cells = np.zeros((6, 7), np.uint8)
    cells[1:4, 1:4] = 1  # a 3 x 3 group
    cells[5, :] = 1  # a strip one cell tall
    cells[0, 6] = 1  # a lone cell
    cells[3:5, 5:7] = 1  # a 2 x 2 group in the corner
    expected = np.zeros_like(cells)
    expected[1:4, 1:4] = 1
    expected[3:6, 5:7] = 1  # the strip's end that completes a 2 x 2 square stays
    assert np.array_equal(without_strips(cells), expected)


def test_a_smooth_x2_upscale_is_not_a_mosaic_of_two_pixel_cells(photos):
    small = cv2.resize(photos["coffee"], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    smooth = cv2.resize(small, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    assert not mosaic_cells(smooth, 2, (0, 0)).any()  # exact in smooth places only
    assert mosaic_cells(pixelate(photos["coffee"], 2), 2, (0, 0)).mean() > 0.99


def test_two_pixel_cells_seen_on_smooth_content_only_are_not_taken():
    """Where the core holds no texture, exact 2-pixel cells tell a mosaic from nothing else."""
    ramp = np.linspace(60, 90, 96, dtype=np.float32)
    smooth = np.repeat(np.add.outer(ramp, ramp / 3)[:, :, None], 3, axis=2).astype(np.uint8)
    flat = pixelate(smooth, 2)
    assert mosaic_cells(flat, 2, (0, 0), core=Box(0, 0, 48, 48)).sum() == 0
    textured = flat.copy()
    textured[::8] = 255 - textured[::8]  # rows of strong steps: texture the mosaic keeps exact
    textured = pixelate(textured, 2)
    assert mosaic_cells(textured, 2, (0, 0), core=Box(0, 0, 48, 48)).mean() > 0.9
