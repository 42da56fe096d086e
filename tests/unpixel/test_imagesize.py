"""JPEG settings read from the header: the quality from the quantisation tables, the sampling."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest

from unpixel.imagesize import header_size, jpeg_quality, jpeg_sampling


def encode(image: np.ndarray, *params: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, list(params))
    assert ok
    return buf.tobytes()


def test_every_opencv_quality_is_found(astronaut):
    small = np.ascontiguousarray(astronaut[:64, :64])
    found = {q: jpeg_quality(encode(small, cv2.IMWRITE_JPEG_QUALITY, q)) for q in range(1, 101)}
    assert found == {q: q for q in range(1, 101)}


@pytest.mark.parametrize("quality", [30, 75, 92])
def test_pillow_qualities_are_found(astronaut, quality):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(astronaut[:64, :64, ::-1]).save(buf, "JPEG", quality=quality)
    assert jpeg_quality(buf.getvalue()) == quality


def test_sampling_factors(astronaut):
    small = np.ascontiguousarray(astronaut[:64, :64])
    key = cv2.IMWRITE_JPEG_SAMPLING_FACTOR
    assert jpeg_sampling(encode(small, key, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420)) == (2, 2)
    assert jpeg_sampling(encode(small, key, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422)) == (2, 1)
    assert jpeg_sampling(encode(small, key, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444)) == (1, 1)
    assert jpeg_sampling(encode(small[:, :, 0])) is None  # grayscale


def test_not_a_jpeg_or_damaged_gives_none(astronaut):
    data = encode(np.ascontiguousarray(astronaut[:64, :64]))
    assert jpeg_quality(b"\x89PNG\r\n\x1a\n" + data) is None
    assert jpeg_quality(data[:2]) is None and jpeg_sampling(data[:2]) is None
    for cut in range(2, 200, 7):  # any truncation: None or a quality, never an exception
        q = jpeg_quality(data[:cut])
        assert q is None or 1 <= q <= 100
    assert header_size(data) == (64, 64)  # the segment walk shared with the size reader
