"""Small file helpers: atomic writes (temporary file, rename), image reading with clear errors."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from unpixel import limits
from unpixel.errors import SinkError, SourceError
from unpixel.imagesize import header_size, known_format
from unpixel.limits import MAX_PIXELS
from unpixel.validate import opencv_str

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


NAME_MAX = 255
"""Longest file name, in bytes, on the file systems unpixel writes to (Linux, macOS, Windows)."""


def temp_prefix(path: str | os.PathLike[str], suffix: str = ".tmp") -> str:
    """The ``prefix`` for ``tempfile.mkstemp`` of a temporary file standing for ``path``.

    A dot, then as much of the final name as fits: the temporary name (prefix, mkstemp's 8
    random characters, ``suffix``) stays within :data:`NAME_MAX` bytes, so every name that
    is valid for the final file is valid for its temporary one too.

    Args:
        path: the final file.
        suffix: the suffix passed to ``mkstemp`` with this prefix.

    Returns:
        ``.<name, cut to fit>.``

    """
    name = os.fsencode(Path(path).name)
    room = NAME_MAX - len(b"..") - 8 - len(os.fsencode(suffix))
    return "." + os.fsdecode(name[: max(room, 0)]) + "."


def temp_beside(path: str | os.PathLike[str]) -> Path:
    """A new empty temporary file beside ``path`` (its folder created if needed).

    For a writer that renames it to ``path`` with :func:`publish` once it is whole. Its
    name is hidden (a leading dot), fits where ``path``'s does (:func:`temp_prefix`) and ends
    in ``path``'s suffix, so that an encoder picking its format by name picks the same.

    Raises:
        SinkError: the folder cannot be created or written.

    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=temp_prefix(path, path.suffix), suffix=path.suffix
        )
        os.close(fd)
    except OSError as exc:
        raise SinkError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return Path(tmp)


Writer = TypeVar("Writer", bound="FinishOnExit")


class FinishOnExit:
    """``with writer:`` closes (finalises) it on a normal exit and aborts it on an exception."""

    def close(self) -> None:
        """Finish the file and move it into place."""
        raise NotImplementedError

    def abort(self) -> None:
        """Drop the temporary file."""
        raise NotImplementedError

    def __enter__(self: Writer) -> Writer:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader sees either the old file or the whole new one, never a part; on failure no
    temporary file is left behind. Raises :class:`SinkError` when the folder is not writable.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp")
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


def _refuse_unsized(path: Path, data: np.ndarray) -> None:
    """Refuse a file whose size the header does not give, when it could decode to any size."""
    if known_format(data[:16].tobytes()):
        raise SourceError(
            f"{path} is not a readable image (its size cannot be read from its header)"
        )
    if data.size and not limits.opencv_guards():
        raise SourceError(
            f"{path} is not a readable image: no header unpixel knows gives its size, and "
            f"OpenCV's decode limit is {limits.OPENCV_LIMIT} pixels, above unpixel's "
            f"{MAX_PIXELS} (import unpixel before cv2, or set {limits.ENV})"
        )


def read_image_data(path: str | os.PathLike[str]) -> np.ndarray:
    """The bytes of an image file, once its declared size is known to be acceptable.

    The checks of :func:`read_image` that come before decoding: a regular file, readable,
    whose header gives a size of at most :data:`unpixel.limits.MAX_PIXELS` pixels (or, for
    a format whose header unpixel does not read, OpenCV's decode limit guards it).

    Args:
        path: the image file.

    Returns:
        The file's bytes, a uint8 array.

    Raises:
        SourceError: not a regular file, unreadable, or too large by its header.

    """
    path = Path(path)
    if path.exists() and not path.is_file():  # a FIFO would block the read below for ever
        raise SourceError(f"{path} is not a regular file (a FIFO or device?)")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    size = header_size(memoryview(data))
    if size is None:
        _refuse_unsized(path, data)
    elif size[0] * size[1] > MAX_PIXELS:
        raise SourceError(
            f"{path} is {size[0]}x{size[1]}; images above {MAX_PIXELS} pixels are refused"
        )
    return data


def decode_image(path: Path, data: np.ndarray, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """Decode the bytes :func:`read_image_data` returned (``cv2.imdecode`` ``flags``).

    Raises:
        SourceError: the bytes do not decode, or the image is too large.

    """
    try:
        image = cv2.imdecode(data, flags) if data.size else None
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


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as HxWx3 BGR uint8.

    Images above :data:`unpixel.image.MAX_PIXELS` pixels are refused before any pixel is
    decoded: from their header for PNG, JPEG, BMP, GIF, WebP, TIFF, BigTIFF, PNM/PAM/PFM and
    Sun raster (whose size must be readable there, or the file is refused), and by OpenCV's
    decode limit for other formats (set to the same number when ``unpixel`` is imported
    before ``cv2``; when it is higher, such files are refused). The size is checked again
    after decoding.

    Args:
        path: the image file.

    Returns:
        The image, HxWx3 BGR uint8.

    Raises:
        SourceError: the file cannot be read or decoded, is not a regular file, or the
            image is too large.

    """
    return decode_image(Path(path), read_image_data(path))


def write_image(
    path: str | os.PathLike[str], image: np.ndarray, params: Sequence[int] = ()
) -> None:
    """Encode ``image`` by the file's extension and write it atomically.

    Args:
        path: the file; its extension picks the format (none: PNG).
        image: HxW, HxWx1, HxWx3 (BGR) or HxWx4 (BGRA), uint8 (uint16 where the format
            keeps it: PNG, TIFF).
        params: OpenCV's encoder parameters (``cv2.IMWRITE_*`` id, value pairs).

    Raises:
        TypeError: not a NumPy array of uint8 / uint16 (float images are never rounded
            silently).
        ValueError: a shape no image has, or an extension OpenCV cannot write.
        SinkError: encoding or writing failed.

    """
    path = Path(path)
    if not isinstance(image, np.ndarray) or image.dtype not in (np.uint8, np.uint16):
        kind = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        raise TypeError(f"write_image takes a uint8 (or uint16) image array, got {kind}")
    if (
        image.size == 0
        or image.ndim not in (2, 3)
        or (image.ndim == 3 and image.shape[2] not in (1, 3, 4))
    ):
        raise ValueError(f"write_image takes HxW or HxWx1/3/4 images, got shape {image.shape}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:  # OpenCV's encoders crash on 10**10
        raise ValueError(f"write_image takes images up to {MAX_PIXELS} pixels, got {image.shape}")
    try:
        ok, buf = cv2.imencode(opencv_str(path.suffix or ".png"), image, list(params))
    except cv2.error as exc:
        raise ValueError(
            f"cannot write {image.dtype} images as {path.suffix!r}: {exc.err}"
        ) from None
    if not ok:
        raise SinkError(f"cannot encode an image as {path.suffix!r}")
    write_atomic(path, buf.tobytes())
