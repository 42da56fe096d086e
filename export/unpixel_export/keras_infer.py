"""Keras inference helpers for evaluation: BGR uint8 in, what the reports need out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.errors import ModelError
from unpixel_export.data import to_model_input


def load_keras(path: Path) -> Any:
    """Load a .keras file with safe_mode; :class:`ModelError` if missing or unreadable."""
    import keras

    if not Path(path).is_file():
        raise ModelError(f"no model file at {path}")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:
        raise ModelError(f"cannot load {path}: {exc}") from exc


def save_keras(model: Any, path: Path) -> None:
    """Save ``model`` to ``path`` atomically: a temporary file beside it, then a rename.

    A reader sees the old file or the whole new one; the file is world-readable (0644).
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".keras", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        model.save(tmp)
        tmp.chmod(0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def classifier_predict(model: Any, batch: int = 256) -> Any:
    """A function: BGR uint8 tiles (N, T, T, 3) -> P(pixelated) (N,)."""

    def predict(tiles: np.ndarray) -> np.ndarray:
        out = [
            np.asarray(model(to_model_input(tiles[i : i + batch]), training=False))[:, 0]
            for i in range(0, len(tiles), batch)
        ]
        return np.concatenate(out)

    return predict


def restorer_upscale(model: Any) -> Any:
    """A function: LR BGR uint8 image -> HR BGR uint8 image."""

    def upscale(lr: np.ndarray) -> np.ndarray:
        out = np.asarray(model(to_model_input(lr)[None], training=False))[0]
        return np.clip(np.rint(out[:, :, ::-1] * 255.0), 0, 255).astype(np.uint8)

    return upscale
