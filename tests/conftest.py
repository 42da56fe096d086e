"""Shared fixtures: photos that ship with scikit-image (no download, no Debian package)."""

from __future__ import annotations

import numpy as np
import pytest

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "brick", "gravel", "coins")


def _load(name: str) -> np.ndarray:
    import skimage.data

    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, 2::-1])  # RGB(A) -> BGR


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """A few real photos, BGR uint8."""
    return {name: _load(name) for name in PHOTOS}


@pytest.fixture(scope="session")
def astronaut(photos: dict[str, np.ndarray]) -> np.ndarray:
    return photos["astronaut"]
