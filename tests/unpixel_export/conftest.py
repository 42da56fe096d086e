"""Fixtures for the export side: a small folder of real photos (scikit-image's)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from unpixel_export.data import PhotoBank


@pytest.fixture(scope="module")
def bank(photos: dict[str, np.ndarray]) -> PhotoBank:
    """The test photos as a training-data bank."""
    return PhotoBank(list(photos.values()))


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory: pytest.TempPathFactory, photos: dict[str, np.ndarray]) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    for name, image in photos.items():
        cv2.imwrite(str(folder / f"{name}.png"), image)
    return folder
