"""Grids of non-integer period: nearest-neighbour upscales by odd factors, found and restored."""

import cv2
import numpy as np
import pytest
from PIL import Image

import unpixel as up
from unpixel.grid import Grid
from unpixel.metrics import psnr
from unpixel.period import estimate_period


def nearest(image: np.ndarray, factor: float, lib: str) -> tuple[np.ndarray, np.ndarray]:
    """``image`` shrunk (area) then shown with ``lib``'s NEAREST by ``factor``; and its LR."""
    h, w = image.shape[:2]
    lh, lw = int(h / factor), int(w / factor)
    lr = cv2.resize(image, (lw, lh), interpolation=cv2.INTER_AREA)
    size = (round(lw * factor), round(lh * factor))
    if lib == "opencv":
        return cv2.resize(lr, size, interpolation=cv2.INTER_NEAREST), lr
    return np.asarray(Image.fromarray(lr).resize(size, Image.Resampling.NEAREST)), lr


def true_edges(n_in: int, n_out: int, lib: str) -> np.ndarray:
    """Where the scaler starts a new source row/column (its NEAREST index changes)."""
    ramp = np.arange(n_in, dtype=np.float32)[None, :]
    if lib == "opencv":
        index = cv2.resize(ramp, (n_out, 1), interpolation=cv2.INTER_NEAREST)[0]
    else:
        pil = Image.fromarray(np.arange(n_in, dtype=np.int32)[None, :], mode="I")
        index = np.asarray(pil.resize((n_out, 1), Image.Resampling.NEAREST))[0]
    return np.flatnonzero(np.diff(index.astype(int))) + 1


@pytest.mark.parametrize("factor", [2.25, 2.5, 3.33, 5.5, 7.5])
@pytest.mark.parametrize("lib", ["opencv", "pillow"])
def test_nearest_upscales_by_odd_factors_are_found_cell_by_cell(astronaut, factor, lib):
    image, lr = nearest(astronaut, factor, lib)
    grid = estimate_period(image)
    assert grid is not None and grid.period is not None
    assert grid.period == pytest.approx(image.shape[1] / lr.shape[1], rel=0.01)
    assert grid.block == max(2, round(grid.period))
    for axis in (0, 1):
        truth = true_edges(lr.shape[axis], image.shape[axis], lib)
        found = grid.edges(0, image.shape[axis], axis)[1:-1]
        assert np.isin(truth, found).mean() >= 0.9


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "brick"])
@pytest.mark.parametrize("variant", ["plain", "jpeg50", "jpeg90", "mosaic8"])
def test_clean_photos_and_integer_mosaics_have_no_fractional_grid(photos, name, variant):
    image = photos[name]
    if variant.startswith("jpeg"):
        image = up.jpeg(image, int(variant[4:]))
    elif variant == "mosaic8":
        image = up.pixelate(image, 8, phase=(3, 5))  # an integer grid: estimate_grid's
    assert estimate_period(image) is None


def test_fractional_cells_alternate_between_floor_and_ceil():
    grid = Grid(2, (0, 0), 1.0, period=2.25, origin=(0.0, 0.0), pitch=(2.25, 2.25))
    edges = grid.edges(0, 90, 1)
    assert set(np.diff(edges[1:-1])) == {2, 3}
    assert edges[0] == 0 and edges[-1] == 90
    whole = grid.edges(0, 100, 0)
    inner = whole[(whole > 10) & (whole < 30)] - 10
    assert np.array_equal(grid.edges(10, 20, 0), np.concatenate(([0], inner, [20])))


def test_a_fractional_mosaic_is_restored_better_than_it_came(astronaut):
    image, _ = nearest(astronaut, 2.25, "opencv")
    clean = cv2.resize(astronaut, image.shape[1::-1], interpolation=cv2.INTER_AREA)
    with up.Pipeline.create() as pipe:
        result = pipe.process(image)
    det = result.detection
    assert det.pixelated and det.grid is not None
    assert det.grid.period == pytest.approx(2.25, rel=0.01)
    assert det.mask.mean() >= 0.9
    assert psnr(clean, result.image) >= psnr(clean, image) + 1.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        estimate_period(np.zeros((0, 10, 3), np.uint8))
