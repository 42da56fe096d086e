"""Small file helpers: atomic writes and image reading with clear errors."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from unpixel.errors import SinkError, SourceError
from unpixel.image import MAX_PIXELS
from unpixel.imagesize import header_size

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
"""File extensions read as images when a folder is given."""


def list_images(folder: str | os.PathLike[str], *, recursive: bool = False) -> list[Path]:
    """Image files in a folder (by extension), sorted; recursive walks subfolders too."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder")
    files = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in files if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def publish(tmp: Path, path: Path) -> None:
    """Rename a finished temporary file to ``path``, with the mode a plain ``open`` gives.

    ``mkstemp`` creates files readable by their owner only (0600). Raises OSError.
    """
    mask = os.umask(0o022)
    os.umask(mask)
    tmp.chmod(0o666 & ~mask)
    tmp.replace(path)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader sees either the old file or the whole new one, never a part; on failure no
    temporary file is left behind. Raises :class:`SinkError` when the folder is not writable.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise SinkError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        publish(Path(tmp), path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise SinkError(f"cannot write {path}: {exc.strerror or exc}") from exc


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as HxWx3 BGR uint8; :class:`SourceError` if it cannot be read.

    Images above :data:`unpixel.image.MAX_PIXELS` pixels are refused from their header
    (PNG, JPEG, BMP, GIF, WebP, TIFF) before any pixel is decoded; other formats by OpenCV's
    decode limit (set to the same number when ``unpixel`` is imported before ``cv2``) or,
    at the latest, right after decoding.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    size = header_size(data[:65536].tobytes())
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise SourceError(
            f"{path} is {size[0]}x{size[1]}; images above {MAX_PIXELS} pixels are refused"
        )
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except cv2.error as exc:  # OpenCV's size limit, or a decoder that raises
        reason = str(exc).strip().splitlines()[-1]
        raise SourceError(f"{path} cannot be decoded: {reason}") from None
    if image is None:
        raise SourceError(f"{path} is not a readable image (empty, truncated or unknown format)")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise SourceError(
            f"{path} is {image.shape[1]}x{image.shape[0]}; images above "
            f"{MAX_PIXELS} pixels are refused"
        )
    return image


def write_image(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Encode ``image`` by the file's extension and write it atomically."""
    path = Path(path)
    ok, buf = cv2.imencode(path.suffix or ".png", image)
    if not ok:
        raise SinkError(f"cannot encode an image as {path.suffix!r}")
    write_atomic(path, buf.tobytes())
