import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

import unpixel as up
from unpixel.metrics import DetectionStats


def test_psnr_and_ssim_match_scikit_image(astronaut):
    test = up.jpeg(astronaut, 40)
    assert up.metrics.psnr(astronaut, test) == pytest.approx(
        peak_signal_noise_ratio(astronaut, test, data_range=255), abs=1e-9
    )
    expected = structural_similarity(
        astronaut,
        test,
        channel_axis=2,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
    )
    assert up.metrics.ssim(astronaut, test) == pytest.approx(expected, abs=1e-6)


def test_identical_images():
    image = np.random.default_rng(1).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert up.metrics.psnr(image, image) == float("inf")
    assert up.metrics.ssim(image, image) == pytest.approx(1.0)


def test_border_is_ignored():
    a = np.zeros((40, 40, 3), np.uint8)
    b = a.copy()
    b[:4] = 255
    assert up.metrics.psnr(a, b, border=4) == float("inf")
    assert up.metrics.psnr(a, b) < 20


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "exc"),
    [
        (np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8), {}, ValueError),
        (np.zeros((8, 8), np.float32), np.zeros((8, 8), np.float32), {}, ValueError),
        (np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8), {"border": 4}, ValueError),
        ([0], np.zeros(1, np.uint8), {}, TypeError),
    ],
)
def test_metric_bad_input(a, b, kwargs, exc):
    with pytest.raises(exc):
        up.metrics.psnr(a, b, **kwargs)


def test_detection_stats():
    truth = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    pred = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    s = DetectionStats.from_labels(map(bool, truth), map(bool, pred))
    assert (s.tp, s.fp, s.tn, s.fn) == (3, 1, 5, 1)
    assert s.precision == pytest.approx(0.75) and s.recall == pytest.approx(0.75)
    assert s.f1 == pytest.approx(0.75) and s.fpr == pytest.approx(1 / 6)
    assert s.confusion.tolist() == [[5, 1], [1, 3]]
    assert (s + s).tp == 6
    empty = DetectionStats(0, 0, 0, 0)
    assert empty.precision == empty.recall == empty.f1 == empty.fpr == 0.0
    with pytest.raises(ValueError):
        DetectionStats.from_labels([True], [True, False])
