"""Restorer training pairs with the damage real mosaics carry, made on the fly from photos.

A pair is (LR, HR): HR a photo crop of whole cells; LR read from the damaged mosaic of it
the way the runtime reads a region (:func:`unpixel.geometry.cell_means`, the mean of each
cell of what the frame shows). The damage, per pair:

- the cell value (:data:`CELL_VALUES`): the cell's mean (GIMP, OpenCV INTER_AREA, Pillow
  BOX), its centre pixel (ImageMagick ``-sample``, NEAREST down), its minimum or maximum
  (ffmpeg ``pixelize=mode=min|max``);
- then (:data:`AFTERWARDS`): nothing; JPEG q 30-95, 4:2:0 (OpenCV's encoder); H.264
  intra coding (libx264 through PyAV, CRF 18-30, yuv420p) when PyAV is installed, else a
  JPEG q 30-60 stand-in (counted in the log); or an antialiased resize round trip (x0.75
  or x1.5 and back, bilinear), the softened cell edges a rescaled mosaic shows;
- a random grid phase against the codec's 8x8 (or 16x16) lattice: the mosaic is made and
  damaged inside a larger crop, then cut to whole cells.

The evaluation (:mod:`unpixel_export.realworld_cases`) makes its damage with other code
(Pillow, PyAV on whole clips); this module only feeds training.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from unpixel.degrade import jpeg
from unpixel.geometry import block_edges, cell_means, expand_cells
from unpixel_export.data import PhotoBank

CELL_VALUES = ("mean", "sample", "min", "max")
AFTERWARDS = ("none", "jpeg", "h264", "resize")
MARGIN = 16
"""Pixels of photo around the cut on each side: the codec's blocks and the resize's filter
see content there as they would in a frame, and the cut's phase against them varies."""


@dataclass(frozen=True)
class DamageMix:
    """How often each kind of damage is drawn (shares in the order of the tuples above)."""

    cell_values: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0)
    afterwards: tuple[float, ...] = (0.7, 0.3, 0.0, 0.0)
    jpeg_quality: tuple[int, int] = (80, 95)


MIXES = {
    "clean": DamageMix(),
    "real": DamageMix((0.55, 0.25, 0.1, 0.1), (0.4, 0.3, 0.15, 0.15), (30, 95)),
    "mostly-mean": DamageMix((0.8, 0.1, 0.05, 0.05), (0.45, 0.3, 0.15, 0.1), (40, 95)),
}
"""``clean``: the shipped models' original data (mean mosaics, some light JPEG). ``real``:
every family of the real-world evaluation in about the shares it has there. ``mostly-mean``:
the same damage on mostly mean mosaics. The LR image alone does not tell a cell's mean from
its centre sample, and the two want different outputs: the x2 fast restorer fine-tuned on
``real`` lost 0.63 dB on lossless mean mosaics (+0.53 -> -0.10 dB over Lanczos, b = 2;
log: reports/experiments/restorer_x2_shared_real_damage_log.json), the commonest kind; the
quality tier trained on ``mostly-mean`` gained on sampled mosaics but lost on mean, JPEG'd and
resized ones (reports/experiments/restore_real_quality_mostly_mean.md), so the shipped
restorers are trained on ``clean``."""


def mosaic(image: np.ndarray, block: int, phase: tuple[int, int], value: str) -> np.ndarray:
    """A mosaic of ``image`` (H, W, 3 uint8) whose cells hold ``value`` of their pixels."""
    h, w = image.shape[:2]
    ey, ex = block_edges(h, block, phase[0]), block_edges(w, block, phase[1])
    if value == "mean":
        small = cell_means(image, block, phase)
    elif value == "sample":
        ly, lx = np.diff(ey), np.diff(ex)
        small = image[ey[:-1] + ly // 2][:, ex[:-1] + lx // 2]
    elif value in ("min", "max"):
        reduce = np.minimum if value == "min" else np.maximum
        small = reduce.reduceat(reduce.reduceat(image, ey[:-1], axis=0), ex[:-1], axis=1)
    else:
        raise ValueError(f"cell value must be one of {CELL_VALUES}, got {value!r}")
    return expand_cells(np.ascontiguousarray(small), block, np.diff(ey), np.diff(ex))


def h264_intra(image: np.ndarray, crf: int) -> np.ndarray | None:
    """``image`` (BGR uint8, even sides) coded as one libx264 intra frame; None without PyAV."""
    try:
        import av
    except ImportError:
        return None
    h, w = image.shape[:2]
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = w, h, "yuv420p"
    codec.options = {"crf": str(crf), "preset": "veryfast", "tune": "zerolatency"}
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
    packets = list(codec.encode(frame.reformat(format="yuv420p"))) + list(codec.encode(None))
    decoder = av.CodecContext.create("h264", "r")
    frames = [f for p in packets for f in decoder.decode(p)] + list(decoder.decode(None))
    return frames[0].to_ndarray(format="bgr24") if frames else None


def resize_round_trip(image: np.ndarray, factor: float) -> np.ndarray:
    """Bilinear (antialiased when shrinking) resize by ``factor`` and back to the same size."""
    h, w = image.shape[:2]
    small = (max(1, round(w * factor)), max(1, round(h * factor)))
    down = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(cv2.resize(image, small, interpolation=down), (w, h), cv2.INTER_LINEAR)


def damage(rng: np.random.Generator, image: np.ndarray, kind: str, mix: DamageMix) -> np.ndarray:
    """``image`` after one of :data:`AFTERWARDS`."""
    if kind == "none":
        return image
    if kind == "resize":
        return resize_round_trip(image, float(rng.choice((0.75, 1.5))))
    if kind == "h264":
        coded = h264_intra(image, int(rng.integers(18, 31)))
        if coded is not None:
            return coded
        return jpeg(image, int(rng.integers(30, 61)))  # the stand-in without PyAV
    if kind == "jpeg":
        return jpeg(image, int(rng.integers(mix.jpeg_quality[0], mix.jpeg_quality[1] + 1)))
    raise ValueError(f"damage must be one of {AFTERWARDS}, got {kind!r}")


def damaged_pair(
    rng: np.random.Generator, bank: PhotoBank, scale: int, lr: int, mix: DamageMix
) -> tuple[np.ndarray, np.ndarray]:
    """(LR, HR) BGR uint8, LR ``lr`` x ``lr`` read from the damaged mosaic, HR its crop."""
    side = lr * scale + 2 * MARGIN
    crop = np.ascontiguousarray(bank.crop(rng, side, side))
    oy, ox = (MARGIN + int(rng.integers(-scale + 1, scale)) for _ in range(2))
    value = CELL_VALUES[int(rng.choice(len(CELL_VALUES), p=mix.cell_values))]
    kind = AFTERWARDS[int(rng.choice(len(AFTERWARDS), p=mix.afterwards))]
    shown = damage(rng, mosaic(crop, scale, (oy % scale, ox % scale), value), kind, mix)
    cut = (slice(oy, oy + lr * scale), slice(ox, ox + lr * scale))
    return cell_means(shown[cut], scale, (0, 0)), np.ascontiguousarray(crop[cut])
