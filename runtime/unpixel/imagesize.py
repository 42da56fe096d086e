"""Image dimensions from a file's header, without decoding it.

Used to refuse huge images (decompression bombs) before OpenCV allocates the pixels. Knows
PNG, JPEG, BMP, GIF, WebP, TIFF and BigTIFF, PBM/PGM/PPM/PAM/PFM and Sun raster. A JPEG's
markers are followed to its frame header however much metadata comes first (up to
:data:`JPEG_MAX_SEGMENTS` segments). :func:`known_format` says whether a file claims one of
these formats, so that a caller can refuse one whose size cannot be read.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator

Data = bytes | bytearray | memoryview
"""An encoded image, or its start."""

JPEG_MAX_SEGMENTS = 4096
"""Segments read before a JPEG's frame header at most; past that its size counts as unknown."""

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PNM = re.compile(rb"P[1-6Ff]((?:\s|#[^\n]*\n)+)(\d+)((?:\s|#[^\n]*\n)+)(\d+)\s")
_PAM_FIELD = re.compile(rb"^(WIDTH|HEIGHT)\s+(\d+)\s*$", re.MULTILINE)
_TEXT_HEADER = 65536
"""Bytes of a text header (PNM, PAM) searched for the size."""


def _jpeg_segments(data: Data) -> Iterator[tuple[int, int]]:
    """(marker, offset of the marker) of each segment before a JPEG's scan data."""
    i = 2
    for _ in range(JPEG_MAX_SEGMENTS):
        if i + 9 >= len(data) or data[i] != 0xFF:
            return
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: no more header segments
            return
        yield marker, i
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        i += 2 + struct.unpack_from(">H", data, i + 2)[0]


def _jpeg(data: Data) -> tuple[int, int] | None:
    for marker, i in _jpeg_segments(data):
        if marker in _JPEG_SOF:
            h, w = struct.unpack_from(">HH", data, i + 5)
            return w, h
    return None


def _webp(data: Data) -> tuple[int, int] | None:
    chunk = bytes(data[12:16])
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack_from("<HH", data, 26)
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


_TIFF_INTS = {1: "B", 3: "H", 4: "I", 16: "Q"}
"""TIFF field types that can hold a width or height: BYTE, SHORT, LONG, LONG8."""


def _tiff(data: Data) -> tuple[int, int] | None:
    order = "<" if bytes(data[:2]) == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")  # BigTIFF: 8-byte offsets and counts
    if big:
        if len(data) < 16:
            return None
        (ifd,) = struct.unpack_from(order + "Q", data, 8)
    else:
        (ifd,) = struct.unpack_from(order + "I", data, 4)
    count_fmt, entry, value_at = (order + "Q", 20, 12) if big else (order + "H", 12, 8)
    head = struct.calcsize(count_fmt)
    if ifd + head > len(data):
        return None
    (count,) = struct.unpack_from(count_fmt, data, ifd)
    found: dict[int, int] = {}
    for k in range(min(count, 4096)):
        at = ifd + head + entry * k
        if at + entry > len(data):
            break
        tag, kind = struct.unpack_from(order + "HH", data, at)
        if tag in (256, 257) and kind in _TIFF_INTS:  # ImageWidth, ImageLength
            found[tag] = struct.unpack_from(order + _TIFF_INTS[kind], data, at + value_at)[0]
    return (found[256], found[257]) if len(found) == 2 else None


def _pnm(data: Data) -> tuple[int, int] | None:
    head = bytes(data[:_TEXT_HEADER])
    if head[:2] == b"P7":
        end = head.find(b"ENDHDR")
        fields = dict(_PAM_FIELD.findall(head[: end if end >= 0 else len(head)]))
        if b"WIDTH" in fields and b"HEIGHT" in fields:
            return int(fields[b"WIDTH"]), int(fields[b"HEIGHT"])
        return None
    match = _PNM.match(head)
    return (int(match[2]), int(match[4])) if match else None


def known_format(data: Data) -> bool:
    """Whether ``data`` starts like one of the formats :func:`header_size` reads.

    Args:
        data: the encoded image, or at least its first 16 bytes.

    Returns:
        True for PNG, JPEG, BMP, GIF, WebP, TIFF, BigTIFF, PNM/PAM/PFM and Sun raster.

    """
    start = bytes(data[:16])
    return (
        start[:8] == b"\x89PNG\r\n\x1a\n"
        or start[:2] in (b"\xff\xd8", b"BM")
        or start[:6] in (b"GIF87a", b"GIF89a")
        or (start[:4] == b"RIFF" and start[8:12] == b"WEBP")
        or start[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
        or re.match(rb"P[1-7Ff]\s", start) is not None
        or start[:4] == b"\x59\xa6\x6a\x95"
    )


def header_size(data: Data) -> tuple[int, int] | None:
    """(width, height) read from the header of an encoded image, or None when unknown.

    Args:
        data: the encoded image. Pass the whole file: a JPEG's frame header may come after
            any amount of metadata, a TIFF's directory anywhere in the file.

    Returns:
        The declared size, or None for another format or a header that cannot be read
        (truncated, damaged, or a JPEG with more than :data:`JPEG_MAX_SEGMENTS` segments
        before its frame header).

    """
    data = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
    start = bytes(data[:16])
    try:
        if start[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
            return struct.unpack_from(">II", data, 16)
        if start[:2] == b"\xff\xd8":
            return _jpeg(data)
        if start[:2] == b"BM" and len(data) >= 26:
            w, h = struct.unpack_from("<ii", data, 18)
            return abs(w), abs(h)
        if start[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
            return struct.unpack_from("<HH", data, 6)
        if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
            return _webp(data)
        if start[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+") and len(data) >= 8:
            return _tiff(data)
        if start[:1] == b"P":
            return _pnm(data)
        if start[:4] == b"\x59\xa6\x6a\x95" and len(data) >= 12:
            return struct.unpack_from(">II", data, 4)
    except struct.error:  # a field runs past the end of the data
        return None
    return None


_ZIGZAG = (
    *(0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48),
    *(41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15),
    *(23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63),
)
"""The natural (row-major) index of each coefficient in a DQT table's zigzag order."""
_IJG_TABLES = (
    (
        *(16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55),
        *(14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62),
        *(18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92),
        *(49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99),
    ),
    (17, 18, 24, 47, *(99,) * 4, 18, 21, 26, 66, *(99,) * 4, 24, 26, 56, *(99,) * 5)
    + (47, 66, *(99,) * 6)
    + (99,) * 32,
)
"""The JPEG standard's (Annex K) luminance and chrominance tables, row-major: libjpeg's base."""


def _ijg_table(table: int, quality: int) -> list[int]:
    """Table ``table`` of libjpeg at ``quality`` (its jpeg_quality_scaling, baseline), zigzag."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    base = _IJG_TABLES[min(table, 1)]
    return [min(max((base[n] * scale + 50) // 100, 1), 255) for n in _ZIGZAG]


def _dqt_tables(data: Data) -> dict[int, list[int]]:
    """The quantisation tables of a JPEG's DQT segments: {table id: 64 values, zigzag}."""
    tables: dict[int, list[int]] = {}
    for marker, i in _jpeg_segments(data):
        if marker != 0xDB:
            continue
        end = i + 2 + struct.unpack_from(">H", data, i + 2)[0]
        at = i + 4
        while at < end and at < len(data):
            precision, table = data[at] >> 4, data[at] & 0x0F
            fmt = ">64H" if precision else "64B"
            tables[table] = list(struct.unpack_from(fmt, data, at + 1))
            at += 1 + struct.calcsize(fmt)
    return tables


def jpeg_quality(data: Data) -> int | None:
    """The libjpeg quality (1-100) whose tables are closest to a JPEG's, or None.

    The quality setting of libjpeg, libjpeg-turbo, OpenCV and Pillow writes the standard's
    tables scaled by it; this finds the quality whose scaled luminance (and chrominance)
    tables differ least from the file's, so re-encoding at it gives the same tables when
    the file came from such an encoder, and the nearest ones otherwise.

    Args:
        data: the encoded JPEG (its header at least).

    Returns:
        The estimated quality, or None when ``data`` is not a JPEG or has no tables.

    """
    data = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
    if bytes(data[:2]) != b"\xff\xd8":
        return None
    try:
        tables = _dqt_tables(data)
    except struct.error:
        return None
    used = [t for t in (0, 1) if t in tables]
    if not used:
        return None

    def error(quality: int) -> int:
        return sum(
            abs(a - b) for t in used for a, b in zip(tables[t], _ijg_table(t, quality), strict=True)
        )

    return min(range(1, 101), key=lambda q: (error(q), -q))


def jpeg_sampling(data: Data) -> tuple[int, int] | None:
    """The luma sampling factors (horizontal, vertical) of a colour JPEG, or None.

    (2, 2) is 4:2:0, (2, 1) 4:2:2, (1, 1) 4:4:4, when the chroma components are 1x1.
    None for a grayscale JPEG, another layout, or no frame header.
    """
    data = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
    if bytes(data[:2]) != b"\xff\xd8":
        return None
    try:
        for marker, i in _jpeg_segments(data):
            if marker in _JPEG_SOF:
                if data[i + 9] != 3:
                    return None
                luma, cb, cr = (data[i + 11 + 3 * k] for k in range(3))
                if cb != 0x11 or cr != 0x11:
                    return None
                return luma >> 4, luma & 0x0F
    except (struct.error, IndexError):
        return None
    return None
