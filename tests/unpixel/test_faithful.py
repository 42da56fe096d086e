"""Faithful image outputs of ``unpixel restore`` (issue 21 item 5, issue 20's fidelity promise).

Real files written with OpenCV (and Pillow for GIF, as users' GIFs come from other tools),
restored by the real CLI with the shipped models; the outputs are read back and compared
byte for byte or pixel for pixel.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main
from unpixel.faithful import bgr8, format_of, put_back, read_image_file, write_image_file
from unpixel.imagesize import jpeg_quality, jpeg_sampling

REGION = (64, 64, 128, 128)


@pytest.fixture
def photo(astronaut) -> np.ndarray:
    return np.ascontiguousarray(astronaut[:256, :256])


@pytest.fixture
def mosaic(photo) -> np.ndarray:
    return up.pixelate(photo, 8, region=REGION)


def restore(tmp_path: Path, *inputs: Path, out: str = "out", extra: tuple[str, ...] = ()):
    """``unpixel restore INPUTS -o tmp/out --json``: (exit status, rows by input name)."""
    code = main(["restore", *map(str, inputs), "-o", str(tmp_path / out), "--json", *extra])
    return code


def rows(capsys) -> dict[str, dict]:
    return {Path(r["input"]).name: r for r in json.loads(capsys.readouterr().out)}


def alpha_ramp(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    alpha = np.tile(np.linspace(0, 255, w).astype(np.uint8), (h, 1))
    return np.dstack([image, alpha])


def test_clean_jpeg_and_clean_png_with_alpha_come_back_byte_identical(tmp_path, photo, capsys):
    jpeg = tmp_path / "clean.jpg"
    cv2.imwrite(str(jpeg), photo, [cv2.IMWRITE_JPEG_QUALITY, 80])
    png = tmp_path / "clean.png"
    cv2.imwrite(str(png), alpha_ramp(photo))
    assert restore(tmp_path, jpeg, png) == 0
    found = rows(capsys)
    for path in (jpeg, png):
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes()
        assert found[path.name]["copied"] is True and not found[path.name]["pixelated"]


def test_pixelated_png_keeps_its_alpha(tmp_path, photo, mosaic, capsys):
    src = tmp_path / "mosaic.png"
    cv2.imwrite(str(src), alpha_ramp(mosaic))
    assert restore(tmp_path, src) == 0
    assert rows(capsys)["mosaic.png"]["block"] == 8
    out = cv2.imread(str(tmp_path / "out" / "mosaic.png"), cv2.IMREAD_UNCHANGED)
    assert out.shape == (256, 256, 4)
    assert np.array_equal(out[..., 3], alpha_ramp(mosaic)[..., 3])
    assert up.metrics.psnr(photo, out[..., :3]) > up.metrics.psnr(photo, mosaic) + 1


def test_16bit_png_stays_16bit_and_untouched_pixels_are_exact(tmp_path, photo, mosaic):
    rng = np.random.default_rng(0)
    low_bits = rng.integers(0, 200, photo.shape)
    src16 = (mosaic.astype(np.int64) * 257 + low_bits).clip(0, 65535).astype(np.uint16)
    x, y, w, h = REGION
    src16[y : y + h, x : x + w] = mosaic[y : y + h, x : x + w].astype(np.uint16) * 257
    src = tmp_path / "deep.png"
    cv2.imwrite(str(src), src16)
    assert restore(tmp_path, src) == 0
    out = cv2.imread(str(tmp_path / "out" / "deep.png"), cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint16 and out.shape == src16.shape
    changed = np.any(out != src16, axis=2)
    assert 0.1 < changed.mean() < 0.5  # the mosaic area was restored...
    assert changed[: y - 16].sum() == 0  # ...the rest kept its 16-bit values exactly
    restored8 = ((out.astype(np.uint32) + 128) // 257).astype(np.uint8)
    assert up.metrics.psnr(photo, restored8) > up.metrics.psnr(photo, mosaic) + 1


def test_gray_png_stays_gray(tmp_path, photo, mosaic):
    src = tmp_path / "gray.png"
    cv2.imwrite(str(src), cv2.cvtColor(mosaic, cv2.COLOR_BGR2GRAY))
    assert restore(tmp_path, src) == 0
    out = cv2.imread(str(tmp_path / "out" / "gray.png"), cv2.IMREAD_UNCHANGED)
    assert out.ndim == 2 and not np.array_equal(out, cv2.imread(str(src), -1))


def test_multipage_tiff_is_restored_page_by_page(tmp_path, photo, mosaic, capsys):
    pages = [mosaic, photo, up.pixelate(photo, 6, region=REGION)]
    src = tmp_path / "pages.tiff"
    ok, buf = cv2.imencodemulti(".tiff", pages)
    assert ok
    src.write_bytes(np.asarray(buf).tobytes())
    assert restore(tmp_path, src) == 0
    assert rows(capsys)["pages.tiff"]["frames"] == 3
    ok, out = cv2.imreadmulti(str(tmp_path / "out" / "pages.tiff"), flags=cv2.IMREAD_UNCHANGED)
    assert ok and len(out) == 3
    assert np.array_equal(out[1], photo)  # the clean page untouched
    for page, truth in ((out[0], mosaic), (out[2], pages[2])):
        assert up.metrics.psnr(photo, page) > up.metrics.psnr(photo, truth) + 1


@pytest.fixture
def gif(tmp_path, photo, mosaic) -> Path:
    from PIL import Image  # other tools make users' GIFs; Pillow is a test-only dependency

    frames = [mosaic, np.roll(mosaic, 8, axis=1), mosaic]
    images = [Image.fromarray(f[:, :, ::-1]).quantize(256) for f in frames]
    path = tmp_path / "anim.gif"
    images[0].save(path, save_all=True, append_images=images[1:], duration=[100, 150, 200], loop=0)
    return path


def test_animated_gif_is_restored_frame_by_frame_into_apng(tmp_path, gif, photo, capsys):
    assert restore(tmp_path, gif, out="out/anim.png") == 0
    assert rows(capsys)["anim.gif"]["frames"] == 3
    data = np.fromfile(tmp_path / "out" / "anim.png", np.uint8)
    ok, animation = cv2.imdecodeanimation(data)
    assert ok and len(animation.frames) == 3 and list(animation.durations) == [100, 150, 200]
    source = read_image_file(gif)
    truths = [photo, np.roll(photo, 8, axis=1), photo]
    for frame, before, truth in zip(animation.frames, source.frames, truths, strict=True):
        assert up.metrics.psnr(truth, frame[..., :3]) > up.metrics.psnr(truth, bgr8(before)) + 1


def test_gif_output_that_changed_is_refused_not_reduced(tmp_path, gif, capsys):
    assert restore(tmp_path, gif) == 1
    err = capsys.readouterr().err
    assert "error:" in err and "anim.gif" in err and ".png (APNG" in err
    assert not (tmp_path / "out" / "anim.gif").exists()


def test_why_gif_is_refused(gif):
    frames = read_image_file(gif).frames
    animation = cv2.Animation()
    animation.frames, animation.durations = frames, [100] * len(frames)
    ok, buf = cv2.imencodeanimation(".gif", animation)
    assert ok
    ok, again = cv2.imdecodeanimation(np.asarray(buf).ravel())
    assert ok
    changed = [np.any(a != b, axis=2).mean() for a, b in zip(frames, again.frames, strict=True)]
    assert min(changed) > 0.05  # re-encoding alone changes pixels nothing restored


def test_several_frames_into_a_one_frame_format_are_refused(tmp_path, gif, capsys):
    assert restore(tmp_path, gif, out="out/anim.jpg") == 1
    assert "has 3 frames and .jpg holds one" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_jpeg_output_keeps_the_input_quality_and_sampling(tmp_path, mosaic):
    src = tmp_path / "m.jpg"
    params = [cv2.IMWRITE_JPEG_QUALITY, 70, cv2.IMWRITE_JPEG_SAMPLING_FACTOR]
    cv2.imwrite(str(src), mosaic, [*params, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
    assert restore(tmp_path, src) == 0
    out = (tmp_path / "out" / "m.jpg").read_bytes()
    assert out != src.read_bytes()  # restored, so re-encoded...
    assert jpeg_quality(out) == 70 and jpeg_sampling(out) == (1, 1)  # ...at its settings
    assert restore(tmp_path, src, out="q", extra=("--quality", "40")) == 0
    assert jpeg_quality((tmp_path / "q" / "m.jpg").read_bytes()) == 40


def test_put_back_changes_only_the_restored_pixels():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 65536, (40, 50, 4), dtype=np.uint16)
    view = bgr8(frame)
    assert view.shape == (40, 50, 3) and view.dtype == np.uint8
    assert put_back(frame, view, view.copy()) is None
    restored = view.copy()
    restored[5:10, 5:10] = 7
    out = put_back(frame, view, restored)
    changed = np.any(out != frame, axis=2)
    assert changed.sum() <= 25 and np.array_equal(out[..., 3], frame[..., 3])
    assert (out[5:10, 5:10, :3] == 7 * 257).all()


def test_a_copy_only_when_the_format_matches(tmp_path, photo):
    src = tmp_path / "a.png"
    cv2.imwrite(str(src), photo)
    image = read_image_file(src)
    assert format_of(image.data) == "png"
    assert write_image_file(tmp_path / "b.png", image, [None]) is True
    assert write_image_file(tmp_path / "b.bmp", image, [None]) is False  # a conversion
    assert np.array_equal(cv2.imread(str(tmp_path / "b.bmp")), photo)


def test_too_many_frames_in_all_are_refused(tmp_path, monkeypatch):
    frames = [np.full((64, 64, 3), i * 40, np.uint8) for i in range(4)]
    ok, buf = cv2.imencodemulti(".tiff", frames)
    assert ok
    src = tmp_path / "many.tiff"
    src.write_bytes(np.asarray(buf).tobytes())
    monkeypatch.setattr("unpixel.faithful.MAX_PIXELS", 64 * 64 * 3)
    with pytest.raises(up.SourceError, match="4 frames of 64x64"):
        read_image_file(src)


def test_float_samples_are_refused_clearly(tmp_path):
    src = tmp_path / "f.tiff"
    assert cv2.imwrite(str(src), np.full((64, 64, 3), 0.5, np.float32))
    with pytest.raises(up.SourceError, match="float32 samples; unpixel restores 8- and 16-bit"):
        read_image_file(src)


def test_transparency_into_jpeg_is_refused_and_webp_stays_lossless(tmp_path, mosaic, capsys):
    src = tmp_path / "m.png"
    cv2.imwrite(str(src), alpha_ramp(mosaic))
    assert restore(tmp_path, src, out="out/m.jpg") == 1
    assert "has transparency and JPEG holds none" in capsys.readouterr().err
    assert restore(tmp_path, src, out="out/m.webp") == 0
    webp = cv2.imread(str(tmp_path / "out" / "m.webp"), cv2.IMREAD_UNCHANGED)
    assert restore(tmp_path, src, out="out/m2.png") == 0
    png = cv2.imread(str(tmp_path / "out" / "m2.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(webp, png)  # lossless, the colour under alpha 0 too
