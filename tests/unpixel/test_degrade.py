from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unpixel as up
from unpixel.geometry import block_edges, lr_size


def _cells(h, w, block, phase):
    ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    for y0, y1 in pairwise(ey):
        for x0, x1 in pairwise(ex):
            yield y0, y1, x0, x1


@pytest.mark.parametrize("block", [2, 3, 5, 8, 16])
@pytest.mark.parametrize("phase", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_mean_mosaic_is_exact_block_mean(astronaut, block, phase):
    phase = (phase[0] * (block - 1), phase[1] * (block // 2))
    image = astronaut[:97, :131]  # sizes that leave partial blocks on every side
    out = up.pixelate(image, block, phase=phase)
    assert out.shape == image.shape and out.dtype == np.uint8
    for y0, y1, x0, x1 in _cells(*image.shape[:2], block, phase):
        cell = image[y0:y1, x0:x1].astype(np.float64)
        expected = np.floor(cell.mean(axis=(0, 1)) + 0.5)
        assert np.array_equal(out[y0:y1, x0:x1], np.broadcast_to(expected, cell.shape))


def test_mean_mosaic_matches_opencv_area_then_nearest(astronaut):
    image = astronaut[:256, :256]
    small = up.pixelate(image, 8)[::8, ::8]
    area = cv2_resize(image, (32, 32))
    assert np.abs(small.astype(int) - area.astype(int)).max() <= 1


def cv2_resize(image, size):
    import cv2

    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def test_sample_mosaic_repeats_cell_centre(astronaut):
    out = up.pixelate(astronaut, 6, phase=(2, 4), mode="sample")
    for y0, y1, x0, x1 in list(_cells(*astronaut.shape[:2], 6, (2, 4)))[:200]:
        centre = astronaut[y0 + (y1 - y0) // 2, x0 + (x1 - x0) // 2]
        assert (out[y0:y1, x0:x1] == centre).all()


def test_region_only_changes_region_and_grid_is_anchored_to_origin(astronaut):
    region = (50, 30, 100, 80)
    out = up.pixelate(astronaut, 8, phase=(3, 5), region=region)
    x, y, w, h = region
    outside = np.ones(astronaut.shape[:2], bool)
    outside[y : y + h, x : x + w] = False
    assert np.array_equal(out[outside], astronaut[outside])
    inner = out[y : y + h, x : x + w]
    # cells start at rows 3 + 8k and columns 5 + 8k of the image: check one full cell
    assert (inner[43 - y : 51 - y, 61 - x : 69 - x] == inner[43 - y, 61 - x]).all()
    assert not np.array_equal(inner, astronaut[y : y + h, x : x + w])


def test_input_is_not_modified(astronaut):
    before = astronaut.copy()
    up.pixelate(astronaut, 4)
    assert np.array_equal(before, astronaut)


@pytest.mark.parametrize("shape", [(40, 50), (40, 50, 1), (40, 50, 4)])
def test_gray_and_bgra_keep_their_shape(shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = up.pixelate(image, 5)
    assert out.shape == image.shape
    assert (out[:5, :5] == out[0, 0]).all()


@pytest.mark.parametrize(
    ("image", "kwargs", "message"),
    [
        (np.zeros((32, 32, 3), np.float32), {"block": 4}, "uint8"),
        (np.zeros((32, 32, 3, 1), np.uint8), {"block": 4}, "HxW"),
        (np.zeros((0, 32, 3), np.uint8), {"block": 4}, "empty"),
        (np.zeros((32, 32, 2), np.uint8), {"block": 4}, "channels"),
        (np.zeros((32, 32, 3), np.uint8), {"block": 1}, "at least 2"),
        (np.zeros((32, 32, 3), np.uint8), {"block": 33}, "larger than"),
        (np.zeros((32, 32, 3), np.uint8), {"block": 4, "phase": (4, 0)}, "phase"),
        (np.zeros((32, 32, 3), np.uint8), {"block": 4, "mode": "median"}, "mode"),
        (np.zeros((32, 32, 3), np.uint8), {"block": 4, "region": (30, 0, 10, 10)}, "inside"),
        (np.zeros((32, 32, 3), np.uint8), {"block": 8, "region": (0, 0, 4, 4)}, "larger than"),
    ],
)
def test_pixelate_rejects_bad_input(image, kwargs, message):
    with pytest.raises(ValueError, match=message):
        up.pixelate(image, **kwargs)


def test_pixelate_rejects_non_arrays():
    with pytest.raises(TypeError):
        up.pixelate([[1, 2], [3, 4]], 2)


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(2, 60),
    w=st.integers(2, 60),
    block=st.integers(2, 16),
    py=st.integers(0, 15),
    px=st.integers(0, 15),
    mode=st.sampled_from(["mean", "sample"]),
    seed=st.integers(0, 2**16),
)
def test_cells_are_flat_for_any_size_and_phase(h, w, block, py, px, mode, seed):
    block = min(block, h, w)
    if block < 2:
        return
    phase = (py % block, px % block)
    image = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    out = up.pixelate(image, block, phase=phase, mode=mode)
    for y0, y1, x0, x1 in _cells(h, w, block, phase):
        assert (out[y0:y1, x0:x1] == out[y0, x0]).all()
    assert lr_size(h, block, phase[0]) == len(np.unique(block_edges(h, block, phase[0]))) - 1


def test_jpeg_and_blur_upscale_degrade_but_keep_shape(astronaut):
    for out in (up.jpeg(astronaut, 50), up.blur_upscale(astronaut, 3)):
        assert out.shape == astronaut.shape and out.dtype == np.uint8
        assert 20 < up.metrics.psnr(astronaut, out) < 45
    assert up.metrics.psnr(astronaut, up.jpeg(astronaut, 95)) > up.metrics.psnr(
        astronaut, up.jpeg(astronaut, 50)
    )
    with pytest.raises(ValueError, match="quality"):
        up.jpeg(astronaut, 0)
    with pytest.raises(ValueError, match="factor"):
        up.blur_upscale(astronaut, 1)


@pytest.mark.parametrize(
    ("quality", "error"), [("75", TypeError), (75.0, TypeError), (0, ValueError)]
)
def test_jpeg_quality_must_be_an_integer_in_range(astronaut, quality, error):
    with pytest.raises(error, match="JPEG quality"):
        up.jpeg(astronaut, quality)
