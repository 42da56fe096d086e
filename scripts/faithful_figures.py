"""The figures behind unpixel's output rules (RELIABILITY.md, "What unpixel restore writes").

    .venv/bin/python scripts/faithful_figures.py

Prints: the 16-bit restore (PSNR of the mosaic area before and after, untouched pixels
exact), how much OpenCV's GIF encoder changes a decoded GIF frame, how many JPEG qualities
jpeg_quality finds exactly, and odd-sized H.264 (yuv444p) against even-sized yuv420p.
Everything is made here from the bundled photos; nothing is downloaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

import unpixel as up
from unpixel.faithful import bgr8, put_back, read_image_file
from unpixel.imagesize import jpeg_quality
from unpixel.video_av import AvReader, AvWriter

DATA = Path(__file__).resolve().parents[1] / "runtime" / "unpixel" / "data"


def psnr16(a: np.ndarray, b: np.ndarray) -> float:
    err = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(65535.0**2 / err))


def sixteen_bit(photo: np.ndarray, pipe: up.Pipeline) -> None:
    rng = np.random.default_rng(0)
    truth = (photo.astype(np.int64) * 257 + rng.integers(-100, 100, photo.shape)).clip(0, 65535)
    truth = truth.astype(np.uint16)
    x, y, w, h, b = 64, 64, 160, 160, 8
    mosaic = truth.copy()
    cells = truth[y : y + h, x : x + w].reshape(h // b, b, w // b, b, 3).mean(axis=(1, 3))
    mosaic[y : y + h, x : x + w] = np.repeat(np.repeat(np.round(cells), b, 0), b, 1)
    view = bgr8(mosaic)
    out = put_back(mosaic, view, pipe.process(view).image)
    changed = np.any(out != mosaic, axis=2)
    box = (slice(y, y + h), slice(x, x + w))
    print(
        f"16-bit, b = {b} on a {w}x{h} box: PSNR16 {psnr16(truth[box], mosaic[box]):.1f} -> "
        f"{psnr16(truth[box], out[box]):.1f} dB; {changed.mean():.1%} of pixels changed, "
        f"the rest exact: {np.array_equal(out[~changed], mosaic[~changed])}"
    )


def gif_reencode(photo: np.ndarray, folder: Path) -> None:
    from PIL import Image  # a GIF as other tools write it

    path = folder / "a.gif"
    Image.fromarray(photo[:, :, ::-1]).quantize(256).save(path)
    frame = read_image_file(path).frames[0]
    animation = cv2.Animation()
    animation.frames, animation.durations = [frame], [100]
    _, buf = cv2.imencodeanimation(".gif", animation)
    _, again = cv2.imdecodeanimation(np.asarray(buf).ravel())
    diff = np.abs(again.frames[0].astype(int) - frame.astype(int))
    print(
        f"OpenCV GIF re-encode of a decoded 256-colour GIF: {np.any(diff, axis=2).mean():.1%} "
        f"of pixels changed, up to {diff.max()} levels"
    )


def jpeg_qualities(photo: np.ndarray) -> None:
    found = 0
    for q in range(1, 101):
        _, buf = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, q])
        found += jpeg_quality(buf.tobytes()) == q
    print(f"jpeg_quality: {found} of 100 OpenCV qualities found exactly")


def odd_h264(photo: np.ndarray, folder: Path) -> None:
    for w, h in ((160, 120), (161, 121)):
        frames = [np.ascontiguousarray(photo[i : i + h, i : i + w]) for i in range(20)]
        path = folder / f"v{w}x{h}.mp4"
        with AvWriter(path, 25) as writer:
            for frame in frames:
                writer.write(frame)
        back = list(AvReader(path))
        scores = [up.metrics.psnr(a, b) for a, b in zip(frames, back, strict=True)]
        with av.open(str(path)) as c:
            pix = c.streams.video[0].codec_context.pix_fmt
        print(
            f"H.264 {w}x{h}: {pix}, decoded {back[0].shape[1]}x{back[0].shape[0]}, "
            f"median PSNR {np.median(scores):.1f} dB, {path.stat().st_size // 20} bytes/frame"
        )


def main() -> None:
    photo = cv2.imread(str(DATA / "astronaut.jpg"))
    with tempfile.TemporaryDirectory() as tmp, up.Pipeline.create() as pipe:
        sixteen_bit(photo, pipe)
        gif_reencode(photo[:256, :256], Path(tmp))
        jpeg_qualities(photo)
        odd_h264(photo, Path(tmp))


if __name__ == "__main__":
    main()
