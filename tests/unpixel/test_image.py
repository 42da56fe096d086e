"""The shared image helpers of ``unpixel.image``."""

import numpy as np

from unpixel.image import luma8, to_luma


def _formula(image: np.ndarray) -> np.ndarray:
    b, g, r = (image[:, :, k].astype(np.float32) for k in range(3))
    return np.float32(0.114) * b + np.float32(0.587) * g + np.float32(0.299) * r


def test_to_luma_is_the_float32_bt601_sum_for_every_colour():
    # every 24-bit colour once: the table lookup must give the very same floats as the sum
    levels = np.arange(256, dtype=np.uint8)
    image = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(4096, 4096, 3)
    luma = to_luma(image)
    assert luma.dtype == np.float32 and luma.shape == (4096, 4096)
    assert np.array_equal(luma, _formula(image))


def test_to_luma_takes_views_gray_and_bgra():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    view = image[3:31:2, 5:45, :3]  # strided, not contiguous
    assert np.array_equal(to_luma(view), _formula(view))
    assert np.array_equal(to_luma(image), _formula(image))  # alpha ignored
    assert np.array_equal(to_luma(image[:, :, 0]), image[:, :, 0].astype(np.float32))
    assert np.array_equal(to_luma(image[:, :, :1]), image[:, :, 0].astype(np.float32))


def test_luma8_is_the_bt601_luma_rounded_for_every_colour():
    levels = np.arange(256, dtype=np.uint8)
    image = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(4096, 4096, 3)
    luma = luma8(image)
    assert luma.dtype == np.uint8 and luma.shape == (4096, 4096)
    # OpenCV's 14-bit fixed point: within a rounding step (0.503 at worst) of the exact value
    assert np.abs(luma.astype(np.float32) - _formula(image)).max() <= 0.51


def test_luma8_takes_views_gray_and_bgra():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    view = image[3:31:2, 5:45, :3]
    assert np.array_equal(luma8(view), luma8(np.ascontiguousarray(view)))
    assert np.array_equal(luma8(image), luma8(np.ascontiguousarray(image[:, :, :3])))
    assert np.array_equal(luma8(image[:, :, 0]), image[:, :, 0])
    assert np.array_equal(luma8(image[:, :, :1]), image[:, :, 0])
