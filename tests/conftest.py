"""Shared fixtures: photos that ship with scikit-image (no download, no Debian package), and
small real disks (tmpfs) that fill up."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

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


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``tmpfs("256k")``: a real tmpfs of that size under tmp_path, unmounted afterwards.

    Skips the test where mounting is not possible (not root, or no tmpfs).
    """
    mounts: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"disk{len(mounts)}"
        where.mkdir()
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounts.append(where)
        return where

    try:
        yield mount
    finally:
        for where in mounts:
            subprocess.run(["umount", "-l", str(where)], check=False)
