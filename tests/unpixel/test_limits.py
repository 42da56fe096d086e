"""The decompression-bomb guard: OpenCV's decode limit and the header checks (issue 20, item 1).

Every crafted file here is small (at most a few hundred KiB) and declares far more pixels than
unpixel accepts. They must be refused before any decoder allocates the pixels.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel import io as upio
from unpixel import limits
from unpixel.imagesize import JPEG_MAX_SEGMENTS, header_size, known_format
from unpixel.limits import MAX_PIXELS, parse_opencv_limit


def _png_header(width: int, height: int) -> bytes:
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_bomb(width: int = 32768, height: int = 32767, metadata: int = 3) -> bytes:
    """A JPEG whose frame header (SOF0) comes after ``metadata`` full APP1 segments (64 KiB)."""
    app = b"".join(_segment(0xE1, b"Exif\x00\x00" + b"\x00" * 65527) for _ in range(metadata))
    sof = _segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00" * 3)
    return b"\xff\xd8" + app + sof + b"\x00" * 64


def bigtiff_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A little-endian BigTIFF whose first directory declares ``width`` x ``height``."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (277, 3, 1, 3)]
    ifd = struct.pack("<Q", len(entries)) + b"".join(struct.pack("<HHQQ", *e) for e in entries)
    return b"II+\x00" + struct.pack("<HHQ", 8, 0, 16) + ifd + struct.pack("<Q", 0) + b"\0" * 256


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if the file reaches OpenCV's decoder."""

    def refuse(*_args: object) -> None:
        raise AssertionError("the file reached cv2.imdecode: the header check missed it")

    monkeypatch.setattr(upio.cv2, "imdecode", refuse)


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != limits.ENV}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=full
    )


OPENCV_SEES_THE_LIMIT = f"""
import os, struct, sys, zlib
import unpixel
assert "cv2" in sys.modules  # unpixel loaded it, after setting the variable
import cv2, numpy as np

def png(w, h):  # a real 8x8 PNG whose IHDR claims w x h: libpng reads the header, then fails
    real = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    ihdr = b"IHDR" + struct.pack(">II", w, h) + real[24:29]
    crc = struct.pack(">I", zlib.crc32(ihdr))
    return np.frombuffer(real[:12] + ihdr + crc + real[33:], np.uint8)

try:
    cv2.imdecode(png(8193, 8192), cv2.IMREAD_COLOR)  # one column above MAX_PIXELS
    print("decoded")
except cv2.error as exc:
    print("refused" if "CV_IO_MAX_IMAGE_PIXELS" in str(exc) else "other")
print(os.environ["{limits.ENV}"], unpixel.limits.OPENCV_LIMIT)
"""


@pytest.mark.parametrize("value", [None, "abc", "", "-5", "12abc", "0", "9" * 30])
def test_importing_unpixel_puts_its_limit_in_force_for_opencv(value):
    """unpixel sets the variable before cv2 loads; an invalid value is replaced, not fatal."""
    proc = _run(OPENCV_SEES_THE_LIMIT, None if value is None else {limits.ENV: value})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["refused", str(MAX_PIXELS), str(MAX_PIXELS)]


def test_a_valid_limit_the_user_chose_is_kept():
    proc = _run(OPENCV_SEES_THE_LIMIT, {limits.ENV: "64MB"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["refused", "64MB", str(64 << 20)]


@pytest.mark.parametrize(
    ("value", "pixels"),
    [("1000", 1000), ("2KB", 2048), ("3mb", 3 << 20), ("5Mb", 5 << 20), (str(2**64 - 1), None)]
    + [(bad, None) for bad in (None, "", "abc", "-5", "+5", " 12", "12 ", "12kB", "1.5", "0")],
)
def test_parse_opencv_limit_accepts_what_opencv_accepts(value, pixels):
    if value == str(2**64 - 1):
        pixels = 2**64 - 1
    assert parse_opencv_limit(value) == pixels


def test_image_keeps_max_pixels_importable():
    import unpixel.image

    assert unpixel.image.MAX_PIXELS == MAX_PIXELS == up.MAX_PIXELS == 8192 * 8192


def test_jpeg_bomb_with_its_size_after_192_kib_of_metadata_is_refused(tmp_path, no_decoding):
    data = jpeg_bomb()
    assert 196_000 < len(data) < 200_000 and data.index(b"\xff\xc0") > 128 * 1024
    assert header_size(data) == (32768, 32767)
    (tmp_path / "bomb.jpg").write_bytes(data)
    with pytest.raises(up.SourceError, match=r"is 32768x32767; images above \d+ pixels are"):
        up.read_image(tmp_path / "bomb.jpg")


def test_bigtiff_bomb_is_refused_from_its_header(tmp_path, no_decoding):
    data = bigtiff_bomb()
    assert header_size(data) == (20000, 20000)
    (tmp_path / "bomb.tif").write_bytes(data)
    with pytest.raises(up.SourceError, match="is 20000x20000; images above"):
        up.read_image(tmp_path / "bomb.tif")


def test_bigtiff_big_endian_and_long8_fields():
    entries = [(256, 16, 1, 9000), (257, 3, 1, 9000 << 48)]  # SHORT sits left-justified
    ifd = struct.pack(">Q", 2) + b"".join(struct.pack(">HHQQ", *e) for e in entries)
    assert header_size(b"MM\x00+" + struct.pack(">HHQ", 8, 0, 16) + ifd) == (9000, 9000)


BOMB_UNDER_CV2_FIRST = """
import os, resource, sys
assert "OPENCV_IO_MAX_IMAGE_PIXELS" not in os.environ
import cv2  # before unpixel: OpenCV keeps its own limit of 2^30 pixels
import unpixel as up
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a miss fails, not swaps
for path in sys.argv[1:]:
    try:
        up.read_image(path)
        print("read")
    except up.SourceError as exc:
        print("refused" if "images above" in str(exc) else f"other: {exc}")
status = open("/proc/self/status").read()  # VmHWM: this process's peak RSS since exec
print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
"""


BOMBS = {"bomb.jpg": jpeg_bomb, "bomb.tif": bigtiff_bomb}


def test_bombs_are_refused_even_when_cv2_was_imported_first(tmp_path):
    """OpenCV's own limit (2^30) lets both through; the header check must stop them."""
    for name, data in BOMBS.items():
        (tmp_path / name).write_bytes(data())
    env = {k: v for k, v in os.environ.items() if k != limits.ENV}
    proc = subprocess.run(
        [sys.executable, "-c", BOMB_UNDER_CV2_FIRST, *(str(tmp_path / n) for n in BOMBS)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    *verdicts, peak_mb = proc.stdout.split("\n")[:-1]
    assert verdicts == ["refused", "refused"]
    assert int(peak_mb) < 400, f"peak RSS {peak_mb} MB: something was decoded"


def test_a_real_jpeg_after_192_kib_of_metadata_still_reads(tmp_path):
    image = np.random.default_rng(1).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    encoded = cv2.imencode(".jpg", image)[1].tobytes()
    app = b"".join(_segment(0xE1, b"\x00" * 65533) for _ in range(3))
    (tmp_path / "meta.jpg").write_bytes(encoded[:2] + app + encoded[2:])
    assert header_size((tmp_path / "meta.jpg").read_bytes()) == (60, 40)
    assert up.read_image(tmp_path / "meta.jpg").shape == (40, 60, 3)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("scan before frame", b"\xff\xd8" + _segment(0xDA, b"\x00" * 10) + b"\x00" * 64),
        (
            "too many segments",
            b"\xff\xd8" + _segment(0xFE, b"") * (JPEG_MAX_SEGMENTS + 1) + b"\0" * 64,
        ),
        ("truncated png", _png_header(100, 100)[:20]),
        ("bigtiff, directory past the end", b"II+\x00" + struct.pack("<HHQ", 8, 0, 1 << 40)),
        ("pam without a size", b"P7\nDEPTH 3\nMAXVAL 255\nENDHDR\n" + b"\0" * 64),
    ],
)
def test_known_formats_whose_size_cannot_be_read_are_refused(tmp_path, no_decoding, name, data):
    assert known_format(data) and header_size(data) is None
    (tmp_path / "x.img").write_bytes(data)
    with pytest.raises(up.SourceError, match=r"not a readable image \(its size cannot be read"):
        up.read_image(tmp_path / "x.img")


@pytest.mark.parametrize(
    "ext", [".png", ".jpg", ".bmp", ".webp", ".tif", ".ppm", ".pgm", ".pbm", ".pam", ".pfm", ".sr"]
)
def test_header_size_reads_every_format_opencv_writes(ext):
    image = np.random.default_rng(2).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    if ext == ".pfm":
        image = image.astype(np.float32) / 255
    elif ext in (".pgm", ".pbm"):
        image = image[:, :, 0]
    ok, encoded = cv2.imencode(ext, image)
    assert ok
    assert known_format(encoded.tobytes()) and header_size(encoded.tobytes()) == (53, 37)


def test_pnm_with_comments():
    assert header_size(b"P6\n# made by hand\n# twice\n 640\t# w\n480\n255\n") == (640, 480)


def test_other_formats_rely_on_opencvs_limit_or_are_refused(tmp_path, monkeypatch):
    """Formats without a header unpixel reads (e.g. Radiance HDR): OpenCV's limit must hold."""
    image = np.random.default_rng(3).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    assert cv2.imwrite(str(tmp_path / "x.hdr"), image.astype(np.float32))
    assert header_size((tmp_path / "x.hdr").read_bytes()) is None
    monkeypatch.setattr(limits, "OPENCV_LIMIT", MAX_PIXELS)  # unpixel imported before cv2
    assert up.read_image(tmp_path / "x.hdr").shape == (20, 30, 3)
    monkeypatch.setattr(limits, "OPENCV_LIMIT", limits.OPENCV_DEFAULT)  # cv2 came first
    with pytest.raises(up.SourceError, match="OpenCV's decode limit is 1073741824 pixels"):
        up.read_image(tmp_path / "x.hdr")


def test_files_at_the_limit_still_read(tmp_path):
    path = Path(tmp_path / "wide.png")
    cv2.imwrite(str(path), np.zeros((1, 4096, 3), np.uint8))
    assert up.read_image(path).shape == (1, 4096, 3)
