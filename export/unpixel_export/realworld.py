"""Real-world damage, made by other code than unpixel's: Pillow, OpenCV, numpy and libx264.

Nothing here calls :func:`unpixel.pixelate`: the mosaics, codecs and scalers are the ones
users meet (Pillow ``BOX``/``NEAREST``, OpenCV ``INTER_AREA``/``INTER_NEAREST``, centre
samples and ffmpeg-style min/max cells, Pillow JPEG 4:2:0, PyAV's libx264). Each maker
returns the damaged image with a :class:`Truth` saying where the mosaic is and which
low-resolution (LR) pixel every row and column of it shows, as the scaler itself decided
(non-integer nearest upscales are recorded by running the scaler on an index image).

Frames are HxWx3 uint8 BGR (OpenCV's order); Pillow gets RGB.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from unpixel.errors import MissingExtraError
from unpixel.geometry import Box

PIL_RESIZE = {
    "box": Image.Resampling.BOX,
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}
CV_RESIZE = {
    "area": cv2.INTER_AREA,
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
}


@dataclass(frozen=True)
class Truth:
    """Where a mosaic is and what it shows.

    Attributes:
        box: the mosaic's bounding box ``(x, y, w, h)`` in frame coordinates.
        period: cell size in pixels (non-integer after non-integer scaling).
        origin: ``(y, x)``: the top-left corner of LR cell (0, 0) in frame coordinates
            (negative when the frame was cropped through the first cells).
        rows: for each row of the box, the LR row it shows (``cols`` likewise).
        cols: see ``rows``.
        lr: the LR image (one BGR value a cell): block means, samples, minima or maxima.
        tol: how far (pixels) a cell edge may be found from the true one and count as right
            (0 for mosaics that were never resampled, 1 after antialiased resizes).

    """

    box: Box
    period: float
    origin: tuple[float, float]
    rows: np.ndarray
    cols: np.ndarray
    lr: np.ndarray
    tol: int = 0

    @property
    def block(self) -> int | None:
        """The integer cell size, None when the period is not an integer."""
        return round(self.period) if abs(self.period - round(self.period)) < 1e-9 else None

    def edges(self, axis: int) -> np.ndarray:
        """Frame rows (axis 0) or columns (axis 1) where a new cell starts inside the box."""
        index = self.rows if axis == 0 else self.cols
        start = self.box[1] if axis == 0 else self.box[0]
        return start + 1 + np.flatnonzero(np.diff(index) != 0)

    def mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """HxW bool, True inside the box."""
        x, y, w, h = self.box
        out = np.zeros(shape[:2], bool)
        out[y : y + h, x : x + w] = True
        return out

    def shifted(self, dy: int, dx: int) -> Truth:
        """The same mosaic with the frame moved so that its box starts ``(dy, dx)`` later."""
        x, y, w, h = self.box
        oy, ox = self.origin
        return Truth(
            Box(x + dx, y + dy, w, h),
            self.period,
            (oy + dy, ox + dx),
            self.rows,
            self.cols,
            self.lr,
            self.tol,
        )


def to_pil(bgr: np.ndarray) -> Image.Image:
    """A Pillow RGB image of a BGR array."""
    return Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))


def from_pil(im: Image.Image) -> np.ndarray:
    """A BGR array of a Pillow image."""
    return np.ascontiguousarray(np.asarray(im.convert("RGB"))[:, :, ::-1])


def pil_resize(bgr: np.ndarray, size: tuple[int, int], how: str) -> np.ndarray:
    """Pillow resize to ``size = (w, h)`` (BILINEAR/BICUBIC antialias when shrinking)."""
    return from_pil(to_pil(bgr).resize(size, PIL_RESIZE[how]))


def cv_resize(bgr: np.ndarray, size: tuple[int, int], how: str) -> np.ndarray:
    """OpenCV resize to ``size = (w, h)``."""
    return cv2.resize(bgr, size, interpolation=CV_RESIZE[how])


# -- mosaics of an image whose sides are multiples of b ------------------------------------


def pillow_box_nearest(image: np.ndarray, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Pillow ``BOX`` down by ``b``, ``NEAREST`` up: (mosaic, LR). Sides must be multiples."""
    h, w = image.shape[:2]
    lr = pil_resize(image, (w // b, h // b), "box")
    return pil_resize(lr, (w, h), "nearest"), lr


def opencv_area_nearest(image: np.ndarray, b: int) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV ``INTER_AREA`` down by ``b``, ``INTER_NEAREST`` up: (mosaic, LR)."""
    h, w = image.shape[:2]
    lr = cv_resize(image, (w // b, h // b), "area")
    return cv_resize(lr, (w, h), "nearest"), lr


def reduce_mosaic(image: np.ndarray, b: int, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Cells of one value: ``sample`` (the centre pixel), ``min`` or ``max`` per channel."""
    h, w = image.shape[:2]
    if how == "sample":
        lr = image[b // 2 :: b, b // 2 :: b][: h // b, : w // b]
    else:
        cells = image.reshape(h // b, b, w // b, b, 3)
        lr = cells.min(axis=(1, 3)) if how == "min" else cells.max(axis=(1, 3))
    lr = np.ascontiguousarray(lr)
    return np.repeat(np.repeat(lr, b, axis=0), b, axis=1), lr


MOSAICS = {
    "pillow": pillow_box_nearest,
    "opencv": opencv_area_nearest,
    "sample": lambda im, b: reduce_mosaic(im, b, "sample"),
    "min": lambda im, b: reduce_mosaic(im, b, "min"),
    "max": lambda im, b: reduce_mosaic(im, b, "max"),
}
"""Mosaic makers by name: image (sides multiples of b), b -> (mosaic, LR)."""


def cropped_mosaic(
    photo: np.ndarray,
    kind: str,
    b: int,
    size: tuple[int, int],
    corner: tuple[int, int],
    phase: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, Truth]:
    """A frame of ``size = (h, w)`` cut from a whole-frame mosaic with the given grid phase.

    The mosaic is made over whole cells of the photo around ``corner`` and the frame cut
    from it at offset ``phase``, as when a pixelated picture is cropped: partial cells at
    the edges, sides not multiples of ``b``. Returns (frame, clean frame, truth).
    """
    h, w = size
    oy, ox = phase
    y0, x0 = corner
    sh, sw = math.ceil((h + oy) / b) * b, math.ceil((w + ox) / b) * b
    area = photo[y0 : y0 + sh, x0 : x0 + sw]
    if area.shape[:2] != (sh, sw):
        raise ValueError(f"the photo {photo.shape} has no {sh}x{sw} area at {corner}")
    mosaic, lr = MOSAICS[kind](area, b)
    frame = np.ascontiguousarray(mosaic[oy : oy + h, ox : ox + w])
    clean = np.ascontiguousarray(area[oy : oy + h, ox : ox + w])
    truth = Truth(
        Box(0, 0, w, h),
        float(b),
        (-oy, -ox),
        (np.arange(h) + oy) // b,
        (np.arange(w) + ox) // b,
        lr,
    )
    return frame, clean, truth


def censor(frame: np.ndarray, box: Box, b: int, kind: str = "pillow") -> tuple[np.ndarray, Truth]:
    """``frame`` with ``box`` (sides multiples of ``b``) pixelated, cells from its corner."""
    x, y, w, h = box
    mosaic, lr = MOSAICS[kind](frame[y : y + h, x : x + w], b)
    out = frame.copy()
    out[y : y + h, x : x + w] = mosaic
    return out, Truth(box, float(b), (y, x), np.arange(h) // b, np.arange(w) // b, lr)


# -- codecs ----------------------------------------------------------------------------------


def pillow_jpeg(frame: np.ndarray, quality: int, subsampling: int = 2) -> np.ndarray:
    """Pillow JPEG round trip; ``subsampling`` 2 is 4:2:0 (Pillow's default below q95)."""
    buf = io.BytesIO()
    to_pil(frame).save(buf, "JPEG", quality=quality, subsampling=subsampling)
    buf.seek(0)
    return from_pil(Image.open(buf))


def h264_available() -> str | None:
    """None when PyAV with libx264 can encode here, else the reason it cannot."""
    try:
        import av
    except ImportError:
        return "PyAV (`av`) is not installed: pip install 'unpixel[eval]'"
    try:
        av.codec.Codec("libx264", "w")
    except Exception as exc:  # PyAV raises its own error types; any means "no encoder"
        return f"PyAV has no libx264 encoder ({exc})"
    return None


def h264_roundtrip(frames: list[np.ndarray], crf: int, fps: int = 25) -> list[np.ndarray]:
    """Encode BGR frames with libx264 (CRF ``crf``, yuv420p, mp4) and decode them back.

    One encoder thread: x264's frame threads make other decisions from run to run (the
    same clip came back different), and a report must be reproducible.
    """
    try:
        import av
    except ImportError:
        raise MissingExtraError("av", "eval", needed_by="H.264 cases") from None
    h, w = frames[0].shape[:2]
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium", "threads": "1"}
        for f in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="bgr24")))
        out.mux(stream.encode(None))
    buf.seek(0)
    with av.open(buf, "r") as inp:
        decoded = [f.to_ndarray(format="bgr24") for f in inp.decode(video=0)]
    if len(decoded) != len(frames):
        raise RuntimeError(f"libx264 round trip gave {len(decoded)} of {len(frames)} frames")
    return decoded


# -- scalers -------------------------------------------------------------------------------


def nearest_index(n_in: int, n_out: int, lib: str) -> np.ndarray:
    """The source index of every output row/column of the scaler's NEAREST resize."""
    if lib == "pillow":
        ramp = Image.fromarray(np.arange(n_in, dtype=np.int32)[None, :], mode="I")
        return np.asarray(ramp.resize((n_out, 1), Image.Resampling.NEAREST))[0].astype(int)
    ramp = np.arange(n_in, dtype=np.float32)[None, :]
    return cv2.resize(ramp, (n_out, 1), interpolation=cv2.INTER_NEAREST)[0].astype(int)


def nearest_upscale(lr: np.ndarray, size: tuple[int, int], lib: str) -> tuple[np.ndarray, Truth]:
    """``lr`` shown at ``size = (h, w)`` with Pillow's or OpenCV's NEAREST; the scaler's cells."""
    h, w = size
    how = "nearest"
    out = pil_resize(lr, (w, h), how) if lib == "pillow" else cv_resize(lr, (w, h), how)
    rows = nearest_index(lr.shape[0], h, lib)
    cols = nearest_index(lr.shape[1], w, lib)
    period = w / lr.shape[1]
    return out, Truth(Box(0, 0, w, h), period, (0.0, 0.0), rows, cols, lr)


def resize_frame(frame: np.ndarray, factor: float, how: str) -> np.ndarray:
    """The whole frame resized by ``factor``: ``pillow``, ``linear`` or ``area``.

    ``pillow``: Pillow's bilinear (antialiased when shrinking); the others OpenCV's.
    """
    h, w = frame.shape[:2]
    size = (round(w * factor), round(h * factor))
    return pil_resize(frame, size, "bilinear") if how == "pillow" else cv_resize(frame, size, how)


def resized_truth(truth: Truth, factor: float, shape: tuple[int, ...]) -> Truth:
    """The truth of a whole-frame mosaic after the frame was resized by ``factor``.

    An output pixel shows the input pixel under its centre (``(r + 0.5) / f - 0.5``,
    rounded); the edges between cells are blurred, so they count as right within 1 px.
    """
    h, w = shape[:2]

    def index(n: int, src: np.ndarray) -> np.ndarray:
        pos = np.clip(np.round((np.arange(n) + 0.5) / factor - 0.5).astype(int), 0, len(src) - 1)
        return src[pos]

    oy, ox = truth.origin
    return Truth(
        Box(0, 0, w, h),
        truth.period * factor,
        (oy * factor, ox * factor),
        index(h, truth.rows),
        index(w, truth.cols),
        truth.lr,
        tol=1,
    )


def oracle_lanczos(truth: Truth, box: Box | None = None) -> np.ndarray:
    """Lanczos upscale of the true LR image by the true period, cell-aligned, over ``box``.

    ``box`` defaults to the truth's box; the result has its size.
    """
    x, y, w, h = box or truth.box
    lh, lw = truth.lr.shape[:2]
    sh, sw = round(lh * truth.period), round(lw * truth.period)
    up = cv2.resize(truth.lr, (sw, sh), interpolation=cv2.INTER_LANCZOS4)
    oy, ox = truth.origin
    ys = np.clip(np.round(np.arange(y, y + h) - oy).astype(int), 0, sh - 1)
    xs = np.clip(np.round(np.arange(x, x + w) - ox).astype(int), 0, sw - 1)
    return up[ys][:, xs]
