"""Hostile inputs for tests/test_hostile.py: files, manifests and source specs, generated.

Everything comes from one seed (:data:`SEED`), so a run makes the same cases every time:

- :func:`image_files`: every format OpenCV writes here, valid, empty, truncated, corrupted,
  with a huge declared size, mislabelled (one format's bytes under another's name), garbage;
  :func:`special_paths`: symlinks (dangling, loops, to devices), FIFOs and folders named like
  images, non-UTF-8 and terminal-escape names; :func:`video_files`: damaged videos.
- :func:`manifest_cases`: the shipped manifest with one field removed or given a wrong type,
  NaN, infinity, a negative or huge value, and the file itself truncated or flipped.
- :func:`source_specs`: what ``unpixel live --source`` may be handed.
"""

from __future__ import annotations

import copy
import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SEED = 20
"""The one seed (issue 20)."""
FORMATS = (".png", ".jpg", ".bmp", ".webp", ".tif", ".ppm", ".pam", ".ras", ".gif", ".hdr")
FORMATS += (".pfm", ".jp2", ".avif")
"""Every format this OpenCV both writes and reads back (checked when the files are made)."""
UNSIZED = (".hdr", ".jp2", ".avif")
"""Formats whose size unpixel cannot read from the header: read only where OpenCV's own limit
is unpixel's (``unpixel`` imported before ``cv2``), refused otherwise (RELIABILITY.md)."""
MAIN = (".png", ".jpg", ".bmp", ".webp", ".tif")
"""The formats ``unpixel restore`` writes (its folder suffixes): a readable input named so
must come out written."""


@dataclass(frozen=True)
class FileCase:
    """One input file: where it is, what was done to it, whether it must read as an image.

    ``valid``: True (must read), False (must be refused), None (either: damage that a
    decoder may or may not survive). ``content``: the format suffix of the bytes when they
    are one. ``strict``: reading it in this process foretells the command line's outcome
    (not so for formats read only under unpixel's own OpenCV limit, see :data:`UNSIZED`,
    nor for names OpenCV cannot take, which the command line reads with PyAV or refuses).
    """

    path: Path
    label: str
    valid: bool | None
    content: str | None = None
    strict: bool = True


def base_image(photo: np.ndarray) -> np.ndarray:
    """The picture every image file holds: a 96x80 crop of ``photo``, pixelated b = 4."""
    crop = cv2.resize(np.ascontiguousarray(photo[100:420, 120:504]), (96, 80))
    mosaic = crop.copy()
    small = cv2.resize(crop, (24, 20), interpolation=cv2.INTER_AREA)
    mosaic[:] = cv2.resize(small, (96, 80), interpolation=cv2.INTER_NEAREST)
    return mosaic


def _huge(data: bytes, suffix: str) -> bytes | None:
    """``data`` with a header that declares 65535 x 65535 pixels (or more), if known how."""
    b = bytearray(data)
    if suffix == ".png":
        struct.pack_into(">II", b, 16, 65535, 65535)
    elif suffix in (".bmp",):
        struct.pack_into("<ii", b, 18, 65535, 65535)
    elif suffix == ".gif":
        struct.pack_into("<HH", b, 6, 65535, 65535)
    elif suffix == ".ras":
        struct.pack_into(">II", b, 4, 65535, 65535)
    elif suffix == ".jpg":
        i = data.find(b"\xff\xc0")
        if i < 0:
            return None
        struct.pack_into(">HH", b, i + 5, 65535, 65535)
    elif suffix in (".ppm", ".pfm"):
        head = data.split(b"\n", 2)
        return head[0] + b"\n65535 65535\n" + head[2]
    else:
        return None
    return bytes(b)


def _flip(data: bytes, rng: np.random.Generator, count: int, start: int = 0) -> bytes:
    b = bytearray(data)
    for i in rng.integers(min(start, len(b) - 1), len(b), count):
        b[i] ^= int(rng.integers(1, 256))
    return bytes(b)


def image_files(folder: Path, image: np.ndarray) -> list[FileCase]:
    """Every image-file case, written into ``folder`` (one file each, distinct names)."""
    rng = np.random.default_rng(SEED)
    cases: list[FileCase] = []
    encoded = {}
    for suffix in FORMATS:
        ok, buf = cv2.imencode(suffix, image)
        if ok and cv2.imdecode(buf, cv2.IMREAD_COLOR) is not None:
            encoded[suffix] = buf.tobytes()

    def add(name: str, data: bytes, label: str, valid: bool | None, kind: str | None) -> None:
        path = folder / name
        path.write_bytes(data)
        cases.append(FileCase(path, label, valid, kind, kind not in UNSIZED))

    for suffix, data in encoded.items():
        stem = suffix[1:]
        readable = None if suffix in UNSIZED else True
        add(f"{stem}_valid{suffix}", data, f"{stem} valid", readable, suffix)
        add(f"{stem}_empty{suffix}", b"", f"{stem} zero bytes", False, None)
        add(f"{stem}_magic{suffix}", data[:4], f"{stem} magic bytes only", False, suffix)
        for cut in (1, 8, 16, len(data) // 4, len(data) // 2, len(data) - 1):
            add(
                f"{stem}_cut{cut}{suffix}", data[:cut], f"{stem} truncated to {cut} B", None, suffix
            )
        for k, count in enumerate((1, 8, 64)):
            body = _flip(data, rng, count, start=32)
            add(f"{stem}_flip{k}{suffix}", body, f"{stem} {count} bytes flipped", None, suffix)
        add(
            f"{stem}_head{suffix}",
            _flip(data, rng, 4),
            f"{stem} header bytes flipped",
            None,
            suffix,
        )
        huge = _huge(data, suffix)
        if huge is not None:
            add(f"{stem}_huge{suffix}", huge, f"{stem} declares 65535x65535", False, suffix)
        add(f"{stem}_junk{suffix}", data + rng.bytes(512), f"{stem} + 512 B of junk", None, suffix)
        add(f"{stem}_noise{suffix}", rng.bytes(2048), f"random bytes named {suffix}", None, None)
        add(f"{stem}_text{suffix}", b"hello, world\n" * 20, f"text named {suffix}", False, None)
        for other in MAIN:
            if other != suffix:
                add(f"{stem}_as{other}", data, f"{stem} bytes named {other}", readable, suffix)
    return cases


def special_paths(folder: Path, valid_png: Path) -> list[FileCase]:
    """Links, FIFOs, folders and hostile names standing where an image file would."""
    cases: list[FileCase] = []

    def link(name: str, target: str | Path, label: str, valid: bool) -> None:
        path = folder / name
        path.symlink_to(target)
        cases.append(FileCase(path, label, valid))

    link("link_valid.png", valid_png, "symlink to a valid PNG", True)
    link("link_dangling.png", folder / "nowhere.png", "dangling symlink", False)
    link("loop_a.png", folder / "loop_b.png", "symlink loop", False)
    (folder / "loop_b.png").symlink_to(folder / "loop_a.png")
    link("link_null.png", "/dev/null", "symlink to /dev/null", False)
    link("link_zero.png", "/dev/zero", "symlink to /dev/zero", False)
    os.mkfifo(folder / "fifo.png")
    cases.append(FileCase(folder / "fifo.png", "FIFO named .png", False))
    link("link_fifo.jpg", folder / "fifo.png", "symlink to a FIFO", False)
    hard = folder / "hard_link.png"
    os.link(valid_png, hard)
    cases.append(FileCase(hard, "hard link to a valid PNG", True))
    data = valid_png.read_bytes()
    names = {
        os.fsdecode(b"bad_\xff\xfe_utf8.png"): "non-UTF-8 name",
        "esc_\x1b[31mred\x1b[0m.png": "terminal escapes in the name",
        "new\nline\r.png": "newline and CR in the name",
        "bidi_\u202egnp.png": "bidi override in the name",
        "spaces and 'quotes' \"x\".png": "spaces and quotes",
        "ünïcødé_名前.png": "unicode name",
        "-dash.png": "leading dash",
        ("n" * 240) + ".png": "244-byte name",
        ".png": "a name that is only the suffix",
        "upper.PNG": "upper-case suffix",
        "no_suffix": "no suffix at all",
        "double.png.jpg": "two suffixes (PNG bytes)",
        "photo.txt": "PNG bytes named .txt",
    }
    for name, label in names.items():
        (folder / name).write_bytes(data)
        valid = name.endswith((".png", ".PNG", ".jpg"))
        strict = label != "non-UTF-8 name"
        cases.append(FileCase(folder / name, label, True if valid else None, ".png", strict))
    return cases


def video_files(folder: Path, image: np.ndarray) -> list[FileCase]:
    """Videos, good and damaged, and files named like videos that are none."""
    rng = np.random.default_rng(SEED + 1)
    good = folder / "clip_valid.avi"
    writer = cv2.VideoWriter(
        str(good),
        cv2.CAP_OPENCV_MJPEG,
        cv2.VideoWriter_fourcc(*"MJPG"),
        10.0,
        (image.shape[1], image.shape[0]),
    )
    for i in range(6):
        writer.write(np.roll(image, 4 * i, axis=1))
    writer.release()
    data = good.read_bytes()
    cases = [FileCase(good, "MJPEG .avi valid", True)]

    def add(name: str, body: bytes, label: str, valid: bool | None, strict: bool = True) -> None:
        (folder / name).write_bytes(body)
        cases.append(FileCase(folder / name, label, valid, None, strict))

    add("clip_empty.avi", b"", "zero-byte .avi", False)
    add("clip_empty.mp4", b"", "zero-byte .mp4", False)
    add("clip_cut.avi", data[: len(data) // 2], "avi truncated to half", None)
    add("clip_head.avi", data[:300], "avi truncated to 300 B", None)
    add("clip_flip.avi", _flip(data, rng, 64, start=256), "avi with 64 bytes flipped", None)
    add("clip_text.mp4", b"not a video\n" * 50, "text named .mp4", False)
    add("clip_noise.mkv", rng.bytes(4096), "random bytes named .mkv", False)
    add("clip_image.mp4", cv2.imencode(".png", image)[1].tobytes(), "PNG named .mp4", None)
    add("clip_as.png", data, "avi bytes named .png", False)
    add(os.fsdecode(b"clip_\xff.avi"), data, "avi with a non-UTF-8 name", None, False)
    os.mkfifo(folder / "clip_fifo.mp4")
    cases.append(FileCase(folder / "clip_fifo.mp4", "FIFO named .mp4", False))
    (folder / "clip_dir.mp4").mkdir()
    cases.append(FileCase(folder / "clip_dir.mp4", "folder named .mp4", False))
    return cases


MANIFEST_VALUES: tuple[object, ...] = (None, 5, -1, 2**64, math.nan, math.inf, "", "x" * 5000)
MANIFEST_VALUES += ([], {}, True, [1, "a"], {"a": None})
"""What a manifest field is set to (13 values); removing it is one more case."""


def manifest_cases(
    manifest: dict, formats: tuple[str, ...], names: tuple[str, ...]
) -> list[tuple[str, bytes]]:
    """The manifest mutated: (label, file contents).

    Every field of the entries of ``formats`` named in ``names`` removed or set to each of
    :data:`MANIFEST_VALUES`; nested input/output fields; the top level; and the file's
    bytes truncated, flipped and re-encoded.
    """
    rng = np.random.default_rng(SEED + 2)
    text = json.dumps(manifest, indent=1).encode()
    cases: list[tuple[str, bytes]] = []

    def add(label: str, doc: object) -> None:
        cases.append((label, json.dumps(doc, allow_nan=True).encode()))

    for i, entry in enumerate(manifest["models"]):
        if entry.get("format") not in formats or entry.get("name") not in names:
            continue
        who = f"models[{i}] ({entry.get('name')}, {entry.get('format')})"
        for key in entry:
            doc = copy.deepcopy(manifest)
            del doc["models"][i][key]
            add(f"{who}: {key} removed", doc)
            for value in MANIFEST_VALUES:
                doc = copy.deepcopy(manifest)
                doc["models"][i][key] = value
                add(f"{who}: {key} = {value!r:.30}", doc)
        for side in ("inputs", "outputs"):
            for key, value in (("shape", [1, 2]), ("shape", "x"), ("dtype", "float64")):
                doc = copy.deepcopy(manifest)
                if doc["models"][i].get(side):
                    doc["models"][i][side][0][key] = value
                    add(f"{who}: {side}[0].{key} = {value!r}", doc)
    tops: dict[str, object] = {
        "models None": {"models": None},
        "models a string": {"models": "x"},
        "models an object": {"models": {}},
        "models empty": {"models": []},
        "models [1]": {"models": [1]},
        "models [None]": {"models": [None]},
        "models [[]]": {"models": [[]]},
        "no models key": {"other": manifest["models"]},
        "a list": manifest["models"],
        "a number": 5,
        "null": None,
        "duplicated entries": {"models": manifest["models"] * 2},
    }
    for label, doc in tops.items():
        add(label, doc)
    for depth in (1_000, 20_000, 100_000):
        deep = b'{"models": ' + b"[" * depth + b"]" * depth + b"}"
        cases.append((f"{depth:,}-deep nesting", deep))
    for cut in sorted({1, 2, 10, len(text) // 3, len(text) // 2, len(text) - 2}):
        cases.append((f"truncated to {cut} B", text[:cut]))
    for k in range(8):
        cases.append((f"{4 * k + 1} bytes flipped (seed {k})", _flip(text, rng, 4 * k + 1)))
    cases.append(("empty file", b""))
    cases.append(("UTF-8 BOM first", b"\xef\xbb\xbf" + text))
    cases.append(("UTF-16", json.dumps(manifest).encode("utf-16")))
    cases.append(("invalid UTF-8", text.replace(b'"name"', b'"n\xffame"', 1)))
    cases.append(("NaN literal", b'{"models": NaN}'))
    cases.append(("1e999", b'{"models": 1e999}'))
    cases.append(("a 5 MB string", b'{"models": [], "x": "' + b"a" * 5_000_000 + b'"}'))
    return cases


def source_specs(folder: Path, video: Path, image: Path) -> list[tuple[str, object, dict]]:
    """``open_source`` calls a user might make: (label, spec, keyword arguments)."""
    os.mkfifo(folder / "source_fifo.mp4")
    (folder / "source_empty").mkdir()
    (folder / "source_text.mp4").write_text("not a video\n")
    (folder / "source_cut.avi").write_bytes(video.read_bytes()[:400])
    small = {"size": (64, 64), "frames": 3}
    return [
        ("the sample, 64x64", "sample", small),
        ("the sample, None", None, small),
        ("the sample at 100000x100000", "sample", {"size": (100_000, 100_000), "frames": 3}),
        ("the sample at 0x0", "sample", {"size": (0, 0), "frames": 3}),
        ("the sample at NaN x 64", "sample", {"size": (math.nan, 64), "frames": 3}),
        ("the sample with 2 frames", "sample", {"size": (64, 64), "frames": 2}),
        ("the sample with -5 frames", "sample", {"size": (64, 64), "frames": -5}),
        ("the sample, size a string", "sample", {"size": "64x64", "frames": 3}),
        ("a valid video", str(video), {}),
        ("a valid image", str(image), {}),
        ("an empty folder", str(folder / "source_empty"), {}),
        ("a FIFO named .mp4", str(folder / "source_fifo.mp4"), {}),
        ("text named .mp4", str(folder / "source_text.mp4"), {}),
        ("a video cut to 400 B", str(folder / "source_cut.avi"), {}),
        ("a missing file", str(folder / "missing.mp4"), {}),
        ("/dev/null", "/dev/null", {}),
        ("/dev/zero", "/dev/zero", {}),
        ("a missing /dev/video", "/dev/video987", {}),
        ("camera index 987", "987", {}),
        ("camera index 987 as int", 987, {}),
        ("index -1", "-1", {}),
        ("a blank", " ", {}),
        ("NUL in the spec", "a\x00b", {}),
        ("a 5000-character name", "x" * 5000, {}),
        ("a non-UTF-8 name", os.fsdecode(b"\xff\xfe.mp4"), {}),
        ("rtsp to a closed port", "rtsp://127.0.0.1:9/stream", {}),
        ("a non-UTF-8 URL", os.fsdecode(b"rtsp://127.0.0.1:9/\xff"), {}),
        ("a non-UTF-8 device", os.fsdecode(b"/dev/video\xff"), {}),
        ("http with a password", "http://user:s3cret-pw@127.0.0.1:9/x.mjpg", {}),
        ("a GStreamer pipeline", "videotestsrc num-buffers=2 ! appsink", {}),
        ("picamera2", "picamera2", {}),
        ("picamera2:x", "picamera2:x", {}),
        ("picamera2:99", "picamera2:99", {}),
        ("file:// URL", f"file://{video}", {}),
    ]
