"""The cases of the real-world evaluation: what each one does to a photo (or draws).

A case makes one :class:`Sample` (damaged frame, clean frame, truth) from a photo and a
random generator; a clip case makes a list of them (frames of one H.264 clip). Clean
controls have no truth. Synthetic scenes (UI screenshots rendered with a TrueType font,
skies, gradients, flat graphics) ignore the photo.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from unpixel.geometry import Box
from unpixel_export import realworld as rw

FAMILIES = ("lossless", "compressed", "resized", "partial", "clean")
CLIP_SIZE = (240, 320)
CLIP_FRAMES = 12
CLIP_STEP = (1, 3)
"""Panning clips: frame size (h, w), frames per clip, pan per frame (dy, dx) in pixels."""
NEAREST_FACTORS = (1.25, 1.5, 2.25, 2.5, 3.33, 5.5, 7.5)
TEXT = (
    "file edit view settings open save export cancel apply search account profile name "
    "email address password total amount invoice order status pending shipped message "
    "reply forward inbox draft meeting tomorrow report quarterly revenue 2026 user id"
)
"""The words the screenshots' text lines are drawn from."""


@dataclass(frozen=True)
class Sample:
    """One damaged frame, the frame before damage, and where the mosaic is (None: clean)."""

    image: np.ndarray
    clean: np.ndarray
    truth: rw.Truth | None


@dataclass(frozen=True)
class Case:
    """A named degradation: ``make(photo, rng)`` -> a Sample, or a list of them (a clip)."""

    name: str
    family: str
    make: Callable[[np.ndarray, np.random.Generator], Sample | list[Sample]]
    clip: bool = False


def _size(photo: np.ndarray, rng: np.random.Generator, margin: int, b: int = 0) -> tuple[int, int]:
    """A random frame size (h, w) that fits in the photo with ``margin``; not a multiple of b."""
    hmax, wmax = photo.shape[0] - margin, photo.shape[1] - margin
    h = int(rng.integers(min(224, hmax), min(400, hmax) + 1))
    w = int(rng.integers(min(300, wmax), min(560, wmax) + 1))
    if b:
        h, w = h - (h % b == 0), w - (w % b == 0)
    return h, w


def _corner(photo: np.ndarray, rng: np.random.Generator, h: int, w: int) -> tuple[int, int]:
    return int(rng.integers(0, photo.shape[0] - h + 1)), int(
        rng.integers(0, photo.shape[1] - w + 1)
    )


def _crop(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = _size(photo, rng, 0)
    y, x = _corner(photo, rng, h, w)
    return np.ascontiguousarray(photo[y : y + h, x : x + w])


def mosaic_frame(photo: np.ndarray, rng: np.random.Generator, kind: str, b: int) -> Sample:
    """A whole-frame mosaic, random phase, sides not multiples of ``b``."""
    h, w = _size(photo, rng, 2 * b, b)
    phase = (int(rng.integers(0, b)), int(rng.integers(0, b)))
    sh, sw = -(-(h + phase[0]) // b) * b, -(-(w + phase[1]) // b) * b
    corner = _corner(photo, rng, sh, sw)
    return Sample(*rw.cropped_mosaic(photo, kind, b, (h, w), corner, phase))


def _jpeg_mosaic(q: int, b: int) -> Callable[[np.ndarray, np.random.Generator], Sample]:
    def make(photo: np.ndarray, rng: np.random.Generator) -> Sample:
        s = mosaic_frame(photo, rng, "pillow", b)
        return Sample(rw.pillow_jpeg(s.image, q), s.clean, s.truth)

    return make


def _nearest(factor: float, lib: str) -> Callable[[np.ndarray, np.random.Generator], Sample]:
    def make(photo: np.ndarray, rng: np.random.Generator) -> Sample:
        h, w = _size(photo, rng, 0)
        lh, lw = max(int(h / factor), 8), max(int(w / factor), 8)  # still fits the photo
        h, w = round(lh * factor), round(lw * factor)
        y, x = _corner(photo, rng, h, w)
        clean = np.ascontiguousarray(photo[y : y + h, x : x + w])
        lr = rw.cv_resize(clean, (lw, lh), "area")
        image, truth = rw.nearest_upscale(lr, (h, w), lib)
        return Sample(image, clean, truth)

    return make


def _pillow_naive(b: int) -> Callable[[np.ndarray, np.random.Generator], Sample]:
    """The usual Pillow snippet: ``resize((w // b, h // b), BOX)`` then NEAREST to the size."""

    def make(photo: np.ndarray, rng: np.random.Generator) -> Sample:
        clean = _crop(photo, rng)
        h, w = clean.shape[:2]
        lr = rw.pil_resize(clean, (w // b, h // b), "box")
        image, truth = rw.nearest_upscale(lr, (h, w), "pillow")
        return Sample(image, clean, truth)

    return make


def _resized(
    factor: float, how: str, b: int
) -> Callable[[np.ndarray, np.random.Generator], Sample]:
    def make(photo: np.ndarray, rng: np.random.Generator) -> Sample:
        s = mosaic_frame(photo, rng, "pillow", b)
        image = rw.resize_frame(s.image, factor, how)
        clean = rw.resize_frame(s.clean, factor, how)
        return Sample(image, clean, rw.resized_truth(s.truth, factor, image.shape))

    return make


def censor_box(h: int, w: int, b: int, rng: np.random.Generator) -> Box:
    """A rectangle of 10-40% of an h x w frame, sides multiples of ``b``, anywhere."""
    area = rng.uniform(0.1, 0.4) * h * w
    aspect = rng.uniform(0.5, 2.0)
    bw = min(int(np.sqrt(area * aspect)) // b * b, w // b * b)
    bh = min(int(area / max(bw, 1)) // b * b, h // b * b)
    bw, bh = max(bw, 2 * b), max(bh, 2 * b)
    return Box(int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1)), bw, bh)


def _censor(b: int) -> Callable[[np.ndarray, np.random.Generator], Sample]:
    def make(photo: np.ndarray, rng: np.random.Generator) -> Sample:
        clean = _crop(photo, rng)
        image, truth = rw.censor(clean, censor_box(*clean.shape[:2], b, rng), b)
        return Sample(rw.pillow_jpeg(image, 85), clean, truth)

    return make


def font_path() -> Path | None:
    """DejaVuSans.ttf from matplotlib's install (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data/fonts/ttf/DejaVuSans.ttf"
    return path if path.is_file() else None


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path()
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)


def screenshot(rng: np.random.Generator, size: tuple[int, int] = (400, 640)) -> np.ndarray:
    """A UI screenshot: title bar, sidebar, antialiased text lines, buttons (BGR)."""
    words = TEXT.split()
    h, w = size
    dark = bool(rng.random() < 0.3)
    bg, fg = ((30, 30, 34), (220, 220, 220)) if dark else ((250, 250, 250), (40, 40, 40))
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    accent = tuple(int(c) for c in rng.integers(40, 200, 3))
    d.rectangle((0, 0, w, 28), fill=accent)
    d.text(
        (10, 6), "unpixel - " + " ".join(rng.choice(words, 3)), fill=(255, 255, 255), font=_font(14)
    )
    side = int(rng.integers(120, 180))
    d.rectangle((0, 28, side, h), fill=tuple(max(c - 12, 0) for c in bg))
    for i in range(int((h - 40) // 26)):
        d.text((12, 40 + 26 * i), str(rng.choice(words)).title(), fill=fg, font=_font(13))
    y = 40
    while y < h - 30:
        fs = int(rng.integers(11, 19))
        if rng.random() < 0.15:
            bw = int(rng.integers(70, 130))
            d.rounded_rectangle((side + 16, y, side + 16 + bw, y + 26), 5, fill=accent)
            d.text(
                (side + 26, y + 5),
                str(rng.choice(words)).upper(),
                fill=(255, 255, 255),
                font=_font(12),
            )
            y += 36
            continue
        line = " ".join(rng.choice(words, int(rng.integers(3, 12))))
        d.text((side + 16, y), line.capitalize(), fill=fg, font=_font(fs))
        y += fs + int(rng.integers(6, 14))
    return rw.from_pil(im)


def _screenshot_censor(b: int, quality: int | None) -> Callable[..., Sample]:
    def make(photo: np.ndarray, rng: np.random.Generator) -> Sample:
        clean = screenshot(rng)
        h, w = clean.shape[:2]
        box = Box(int(rng.integers(0, w - 288 + 1)), int(rng.integers(28, h - 96 + 1)), 288, 96)
        image, truth = rw.censor(clean, box, b)
        return Sample(rw.pillow_jpeg(image, quality) if quality else image, clean, truth)

    return make


def sky(rng: np.random.Generator, size: tuple[int, int] = (360, 540)) -> np.ndarray:
    """A smooth sky: a vertical blue gradient, soft low-frequency clouds, faint noise, JPEG q90."""
    h, w = size
    top = np.array([200, 120, 40]) + rng.integers(-30, 30, 3)
    bottom = np.array([245, 215, 180]) + rng.integers(-10, 10, 3)
    t = (np.linspace(0, 1, h) ** rng.uniform(0.6, 1.6))[:, None, None]
    img = top * (1 - t) + bottom * t + np.zeros((1, w, 1))
    clouds = cv2.resize(
        rng.normal(0, 1, (4, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )
    img += np.clip(clouds, 0, None)[:, :, None] * rng.uniform(5, 25)
    img += rng.normal(0, 0.8, img.shape)
    return rw.pillow_jpeg(np.clip(img, 0, 255).round().astype(np.uint8), 90)


def gradient(rng: np.random.Generator, size: tuple[int, int] = (360, 540)) -> np.ndarray:
    """A linear gradient between two colours at a random angle, 8-bit (banded), lossless."""
    h, w = size
    a = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w]
    t = yy * np.sin(a) + xx * np.cos(a)
    t = ((t - t.min()) / (t.max() - t.min()))[:, :, None]
    c1, c2 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    return (c1 * (1 - t) + c2 * t).round().astype(np.uint8)


def flat_graphics(rng: np.random.Generator, size: tuple[int, int] = (360, 540)) -> np.ndarray:
    """Pixel-art-like flat graphics: hard-edged rectangles, disks and lines, few colours."""
    h, w = size
    palette = rng.integers(0, 256, (6, 3))
    img = np.empty((h, w, 3), np.uint8)
    img[:] = palette[0]
    for _ in range(int(rng.integers(10, 25))):
        c = tuple(int(v) for v in palette[rng.integers(1, 6)])
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        kind = rng.integers(0, 3)
        if kind == 0:
            cv2.rectangle(
                img, (x, y), (x + int(rng.integers(3, 120)), y + int(rng.integers(3, 90))), c, -1
            )
        elif kind == 1:
            cv2.circle(img, (x, y), int(rng.integers(3, 50)), c, -1, lineType=cv2.LINE_8)
        else:
            cv2.line(
                img,
                (x, y),
                (int(rng.integers(0, w)), int(rng.integers(0, h))),
                c,
                int(rng.integers(1, 5)),
                lineType=cv2.LINE_8,
            )
    return img


def _clean(fn: Callable[[np.ndarray, np.random.Generator], np.ndarray]) -> Callable[..., Sample]:
    def make(photo: np.ndarray, rng: np.random.Generator) -> Sample:
        image = fn(photo, rng)
        return Sample(image, image, None)

    return make


def _bicubic(lib: str) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    def make(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        crop = _crop(photo, rng)
        h, w = crop.shape[:2]
        small = rw.cv_resize(crop, (w // 2, h // 2), "area")
        size = (2 * (w // 2), 2 * (h // 2))
        return (
            rw.pil_resize(small, size, "bicubic")
            if lib == "pillow"
            else rw.cv_resize(small, size, "cubic")
        )

    return make


def clip(
    photo: np.ndarray, rng: np.random.Generator, crf: int, b: int | None, follow: bool
) -> list[Sample]:
    """A panning clip (H.264 round trip); the mosaic follows the content or the frame."""
    (h, w), n, (dy, dx) = CLIP_SIZE, CLIP_FRAMES, CLIP_STEP
    span_h, span_w = h + dy * (n - 1), w + dx * (n - 1)
    blk = b or 8
    ah, aw = -(-span_h // blk) * blk, -(-span_w // blk) * blk
    grow = max(ah / photo.shape[0], aw / photo.shape[1])
    if grow > 1:  # a photo smaller than the pan (240x320 sample images): scaled up to fit
        size = (int(np.ceil(photo.shape[1] * grow)), int(np.ceil(photo.shape[0] * grow)))
        photo = cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)
    y0, x0 = _corner(photo, rng, ah, aw)
    area = np.ascontiguousarray(photo[y0 : y0 + ah, x0 : x0 + aw])
    cleans = [area[t * dy : t * dy + h, t * dx : t * dx + w] for t in range(n)]
    truths: list[rw.Truth | None] = [None] * n
    frames = cleans
    if b and follow:
        mosaic, lr = rw.pillow_box_nearest(area, b)
        frames = [mosaic[t * dy : t * dy + h, t * dx : t * dx + w] for t in range(n)]
        truths = [
            rw.Truth(
                Box(0, 0, w, h),
                float(b),
                (-t * dy, -t * dx),
                (np.arange(h) + t * dy) // b,
                (np.arange(w) + t * dx) // b,
                lr,
            )
            for t in range(n)
        ]
    elif b:
        made = [rw.censor(c, Box(0, 0, w, h), b) for c in cleans]
        frames, truths = [m for m, _ in made], [t for _, t in made]
    decoded = rw.h264_roundtrip([np.ascontiguousarray(f) for f in frames], crf)
    return [
        Sample(d, np.ascontiguousarray(c), t)
        for d, c, t in zip(decoded, cleans, truths, strict=True)
    ]


def _clip(crf: int, b: int | None, follow: bool) -> Callable[..., list[Sample]]:
    return lambda photo, rng: clip(photo, rng, crf, b, follow)


def cases() -> list[Case]:
    """Every case, in report order."""
    out = [Case(f"pillow_b{b}", "lossless", _mosaic("pillow", b)) for b in range(2, 17)]
    out += [Case(f"opencv_b{b}", "lossless", _mosaic("opencv", b)) for b in (4, 8, 12)]
    out += [Case(f"sample_b{b}", "lossless", _mosaic("sample", b)) for b in (4, 8, 12)]
    out += [Case(f"{k}_b{b}", "lossless", _mosaic(k, b)) for k in ("min", "max") for b in (6, 10)]
    out += [
        Case(f"jpeg_q{q}_b{b}", "compressed", _jpeg_mosaic(q, b))
        for q in (30, 50, 75, 90)
        for b in (4, 8, 16)
    ]
    out += [
        Case(f"h264_crf{c}_{how}", "compressed", _clip(c, 8, how == "follow"), clip=True)
        for c in (18, 23, 28)
        for how in ("follow", "fixed")
    ]
    out += [
        Case(f"nearest_x{s}_{lib}", "resized", _nearest(s, lib))
        for s in NEAREST_FACTORS
        for lib in ("pillow", "opencv")
    ]
    out += [Case(f"pillow_naive_b{b}", "resized", _pillow_naive(b)) for b in (8, 12)]
    out += [
        Case(f"resize_{how}_x{f}_b{b}", "resized", _resized(f, how, b))
        for how in ("pillow", "linear", "area")
        for f in (0.75, 1.5)
        for b in (8, 16)
    ]
    out += [Case(f"censor_b{b}_jpeg85", "partial", _censor(b)) for b in (6, 8, 12, 16)]
    out += [
        Case("screenshot_censor_b8", "partial", _screenshot_censor(8, None)),
        Case("screenshot_censor_b12_jpeg85", "partial", _screenshot_censor(12, 85)),
        Case("clean_png", "clean", _clean(_crop)),
    ]
    out += [
        Case(f"clean_jpeg_q{q}", "clean", _clean(lambda p, r, q=q: rw.pillow_jpeg(_crop(p, r), q)))
        for q in (50, 75, 95)
    ]
    out += [
        Case("clean_bicubic_x2_opencv", "clean", _clean(_bicubic("opencv"))),
        Case("clean_bicubic_x2_pillow", "clean", _clean(_bicubic("pillow"))),
        Case("clean_sky", "clean", _clean(lambda p, r: sky(r))),
        Case("clean_gradient", "clean", _clean(lambda p, r: gradient(r))),
        Case("clean_screenshot", "clean", _clean(lambda p, r: screenshot(r))),
        Case(
            "clean_screenshot_jpeg75",
            "clean",
            _clean(lambda p, r: rw.pillow_jpeg(screenshot(r), 75)),
        ),
        Case("clean_flat_graphics", "clean", _clean(lambda p, r: flat_graphics(r))),
        Case("clean_h264_crf23", "clean", _clip(23, None, False), clip=True),
    ]
    return out


def _mosaic(kind: str, b: int) -> Callable[[np.ndarray, np.random.Generator], Sample]:
    return lambda photo, rng: mosaic_frame(photo, rng, kind, b)
