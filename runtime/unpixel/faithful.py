"""Image files restored and written back faithfully: what was not restored stays as it was.

:func:`read_image_file` keeps what the pipeline does not see: every frame of a GIF, APNG,
WebP animation or multi-page TIFF (with the animation's frame durations), an alpha channel,
16-bit samples, a grayscale layout, a JPEG's quality and chroma sampling. :func:`bgr8` is
the pipeline's view of one frame and :func:`put_back` merges the restored view into the
frame, changing only the pixels the restorer changed. :func:`write_image_file` copies the
input byte for byte when nothing changed, and otherwise encodes every frame in a format that
holds them, or refuses with :class:`~unpixel.errors.SinkError`, never dropping a frame, the
alpha or the depth silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from unpixel.errors import SinkError, SourceError
from unpixel.imagesize import header_size, jpeg_quality, jpeg_sampling
from unpixel.io import decode_image, read_image_data, write_atomic, write_image
from unpixel.limits import MAX_PIXELS

DEFAULT_JPEG_QUALITY = 95
"""JPEG quality of an output whose input was not a JPEG (OpenCV's default)."""
ANIMATED = ("gif", "png", "webp")
"""Formats whose frames carry durations (GIF, APNG, animated WebP)."""
SUFFIX_FORMATS = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".png": "png",
    ".gif": "gif",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".webp": "webp",
    ".bmp": "bmp",
}
"""File name suffix -> the format written."""
_SIGNATURES = (
    (b"\xff\xd8", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
    (b"BM", "bmp"),
)


def format_of(data: bytes) -> str:
    """The format of encoded image bytes, by signature (``"other"`` when unknown)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((kind for sig, kind in _SIGNATURES if data.startswith(sig)), "other")


@dataclass
class ImageFile:
    """An image file as read: its bytes, format, decoded frames and encoding settings.

    Attributes:
        path: where it was read from.
        data: the file's bytes.
        format: :func:`format_of` the bytes.
        frames: the decoded frames, as OpenCV gives them (BGR / BGRA / gray, uint8 or uint16).
        durations: each frame's duration in ms (animations), else empty.
        loop_count: how often an animation repeats (0: for ever).
        quality: a JPEG's estimated quality (:func:`unpixel.imagesize.jpeg_quality`).
        sampling: a colour JPEG's luma sampling factors, e.g. (2, 2) for 4:2:0.

    """

    path: Path
    data: bytes
    format: str
    frames: list[np.ndarray]
    durations: list[int] = field(default_factory=list)
    loop_count: int = 0
    quality: int | None = None
    sampling: tuple[int, int] | None = None


def _frame_count(path: Path, kind: str) -> int:
    if kind not in (*ANIMATED, "tiff"):
        return 1
    try:
        return max(int(cv2.imcount(str(path))), 1)
    except cv2.error:
        return 1


def read_image_file(path: str | os.PathLike[str]) -> ImageFile:
    """Read every frame of an image file, with what writing it back faithfully needs.

    The checks of :func:`unpixel.io.read_image` apply, and all frames together are at most
    :data:`unpixel.limits.MAX_PIXELS` pixels. JPEGs are decoded with their EXIF orientation
    applied (as :func:`unpixel.io.read_image` does), other formats as stored.

    Args:
        path: the image file.

    Returns:
        The :class:`ImageFile`.

    Raises:
        SourceError: unreadable, undecodable, too many pixels, or samples that are not
            8- or 16-bit integers (a float TIFF).

    """
    path = Path(path)
    data = read_image_data(path)
    raw = data.tobytes()
    kind = format_of(raw)
    count = _frame_count(path, kind)
    size = header_size(raw)
    if count > 1 and size is not None and count * size[0] * size[1] > MAX_PIXELS:
        raise SourceError(
            f"{path} has {count} frames of {size[0]}x{size[1]}; more than {MAX_PIXELS} "
            "pixels in all are refused"
        )
    image = ImageFile(path, raw, kind, [])
    if count == 1:
        flags = (
            cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH if kind == "jpeg" else cv2.IMREAD_UNCHANGED
        )
        image.frames = [decode_image(path, data, flags)]
    elif kind == "tiff":
        ok, pages = cv2.imdecodemulti(data, cv2.IMREAD_UNCHANGED)
        image.frames = list(pages) if ok else []
    else:
        ok, animation = cv2.imdecodeanimation(data)
        image.frames = list(animation.frames) if ok else []
        image.durations = [int(d) for d in animation.durations]
        image.loop_count = int(animation.loop_count)
    if not image.frames:
        raise SourceError(f"{path} is not a readable image (its frames cannot be decoded)")
    depth = next((f.dtype for f in image.frames if f.dtype not in (np.uint8, np.uint16)), None)
    if depth is not None:
        raise SourceError(f"{path} holds {depth} samples; unpixel restores 8- and 16-bit images")
    if kind == "jpeg":
        image.quality, image.sampling = jpeg_quality(raw), jpeg_sampling(raw)
    return image


def bgr8(frame: np.ndarray) -> np.ndarray:
    """The pipeline's view of a frame: HxWx3 BGR uint8 (16-bit rounded to 8, alpha left out).

    Args:
        frame: HxW, HxWx1, HxWx3 or HxWx4, uint8 or uint16.

    Returns:
        The view (``frame`` itself when it already is HxWx3 uint8).

    """
    if frame.dtype == np.uint16:  # v16 = v8 * 257 maps back exactly
        frame = ((frame.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if frame.ndim == 2 or frame.shape[2] == 1:
        return cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return np.ascontiguousarray(frame[:, :, :3])
    return frame


BAND_ROWS = 256
"""Rows compared at a time by :func:`put_back` (memory of large frames, issue 20)."""


def put_back(frame: np.ndarray, view: np.ndarray, restored: np.ndarray) -> np.ndarray | None:
    """``frame`` with the pixels where ``restored`` differs from ``view`` replaced, or None.

    Only those pixels change: alpha is kept, 16-bit samples become ``v * 257`` of the
    restored 8-bit value, a gray frame gets the restored pixels' luma.

    Args:
        frame: the frame as read.
        view: :func:`bgr8` of it, what the pipeline was given.
        restored: the pipeline's output for ``view``.

    Returns:
        The new frame, or None when ``restored`` equals ``view`` (nothing to write back).

    """
    changed = np.empty(view.shape[:2], bool)
    for y in range(0, view.shape[0], BAND_ROWS):  # a frame-sized bool HxWx3 never exists
        np.any(
            restored[y : y + BAND_ROWS] != view[y : y + BAND_ROWS],
            axis=2,
            out=changed[y : y + BAND_ROWS],
        )
    if not changed.any():
        return None
    if frame is view:  # 8-bit BGR: ``restored`` already equals the frame where unchanged
        return restored
    new = restored
    if frame.ndim == 2 or frame.shape[2] == 1:
        new = cv2.cvtColor(restored, cv2.COLOR_BGR2GRAY).reshape(frame.shape[:2] + frame.shape[2:])
    if frame.dtype == np.uint16:
        new = new.astype(np.uint16) * np.uint16(257)
    out = frame.copy()
    where = changed if out.ndim == 2 else changed[:, :, None]
    np.copyto(out[..., :3] if out.ndim == 3 else out, new, where=where)  # alpha kept
    return out


def transparent(frame: np.ndarray) -> bool:
    """Whether a frame has an alpha channel that is not opaque everywhere."""
    if frame.ndim != 3 or frame.shape[2] != 4:
        return False
    return bool((frame[..., 3] < np.iinfo(frame.dtype).max).any())


def lossy_webp(source: ImageFile) -> bool:
    """Whether a WebP source holds lossy (VP8) data, by its chunk names."""
    return source.format == "webp" and b"VP8 " in source.data[:65536]


def _params(kind: str, source: ImageFile, quality: int | None, frames: int = 1) -> list[int]:
    """Encoder parameters: JPEG at the source's settings; WebP lossless unless it was lossy.

    A still lossless WebP keeps even the colour under alpha 0 (PRESERVE_COLOR); OpenCV's
    animation encoder takes only quality 101, which keeps every visible pixel.
    """
    if kind == "webp" and lossy_webp(source):
        return []
    if kind == "webp" and frames > 1:
        return [cv2.IMWRITE_WEBP_QUALITY, 101]
    if kind == "webp":
        return [cv2.IMWRITE_WEBP_LOSSLESS_MODE, cv2.IMWRITE_WEBP_LOSSLESS_PRESERVE_COLOR]
    if kind != "jpeg":
        return []
    params = [cv2.IMWRITE_JPEG_QUALITY, quality or source.quality or DEFAULT_JPEG_QUALITY]
    if source.sampling is not None:
        h, v = source.sampling
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, (h << 20) | (v << 16) | 0x1111]
    return params


def write_image_file(
    dest: str | os.PathLike[str],
    source: ImageFile,
    frames: list[np.ndarray | None],
    *,
    quality: int | None = None,
) -> bool:
    """Write restored frames to ``dest``: a copy of ``source`` when nothing changed.

    A ``dest`` of the source's format whose frames all stayed None is the source's bytes.
    Otherwise every frame is encoded by ``dest``'s suffix (None: the frame as read): one
    frame by :func:`unpixel.io.write_image` (JPEG at ``quality``, else the source JPEG's
    quality and chroma sampling, else :data:`DEFAULT_JPEG_QUALITY`; WebP lossless unless
    the source was lossy WebP); several frames as a multi-page TIFF, or an APNG / animated
    WebP with the source's durations.

    Args:
        dest: the output file.
        source: what :func:`read_image_file` returned.
        frames: per frame, what :func:`put_back` returned.
        quality: JPEG quality 1-100 for a JPEG ``dest``, or None.

    Returns:
        True when the source was copied, False when the frames were encoded.

    Raises:
        SinkError: ``dest``'s format cannot hold the frames faithfully (several frames in a
            single-image format; transparency in a JPEG; any GIF that is not a copy:
            OpenCV's GIF encoder re-quantises every pixel), or writing failed.
        ValueError: a format that cannot hold the frames' depth (16-bit JPEG).

    """
    dest = Path(dest)
    kind = SUFFIX_FORMATS.get(dest.suffix.lower(), "other")
    if all(f is None for f in frames) and kind == source.format:
        write_atomic(dest, source.data)
        return True
    full = [f if f is not None else source.frames[i] for i, f in enumerate(frames)]
    if kind == "gif":
        raise SinkError(
            f"cannot write {dest}: a GIF holds 256 colours a frame and OpenCV's GIF encoder "
            "would change pixels that were not restored; name the output .png (APNG for "
            "animations), .webp or .tiff"
        )
    if kind == "jpeg" and any(transparent(f) for f in full):
        raise SinkError(
            f"cannot write {dest}: {source.path} has transparency and JPEG holds none; "
            "name the output .png, .webp or .tiff"
        )
    if len(full) == 1:
        write_image(dest, full[0], _params(kind, source, quality))
        return False
    if kind == "tiff":
        ok, buf = cv2.imencodemulti(dest.suffix, full)
    elif kind in ("png", "webp"):
        animation = cv2.Animation()
        animation.frames = [bgr_or_bgra8(f, dest) for f in full]
        animation.durations = source.durations or [100] * len(full)
        animation.loop_count = source.loop_count
        params = _params(kind, source, None, len(full))
        ok, buf = cv2.imencodeanimation(dest.suffix, animation, params)
    else:
        raise SinkError(
            f"cannot write {dest}: {source.path} has {len(full)} frames and "
            f"{dest.suffix or 'this name'} holds one; name the output .tiff, .png (APNG) or "
            ".webp to keep them all"
        )
    if not ok:
        raise SinkError(f"cannot encode {len(full)} frames as {dest.suffix}")
    write_atomic(dest, np.asarray(buf).tobytes())
    return False


def bgr_or_bgra8(frame: np.ndarray, dest: Path) -> np.ndarray:
    """A frame as the animation encoders take it (BGR or BGRA uint8), or ValueError."""
    if frame.dtype != np.uint8:
        raise ValueError(f"cannot write {frame.dtype} frames as an animated {dest.suffix}")
    if frame.ndim == 2 or frame.shape[2] == 1:
        return cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2BGR)
    return frame
