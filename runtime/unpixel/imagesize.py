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

Data = bytes | bytearray | memoryview
"""An encoded image, or its start."""

JPEG_MAX_SEGMENTS = 4096
"""Segments read before a JPEG's frame header at most; past that its size counts as unknown."""

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PNM = re.compile(rb"P[1-6Ff]((?:\s|#[^\n]*\n)+)(\d+)((?:\s|#[^\n]*\n)+)(\d+)\s")
_PAM_FIELD = re.compile(rb"^(WIDTH|HEIGHT)\s+(\d+)\s*$", re.MULTILINE)
_TEXT_HEADER = 65536
"""Bytes of a text header (PNM, PAM) searched for the size."""


def _jpeg(data: Data) -> tuple[int, int] | None:
    i = 2
    for _ in range(JPEG_MAX_SEGMENTS):
        if i + 9 >= len(data) or data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_SOF:
            h, w = struct.unpack_from(">HH", data, i + 5)
            return w, h
        if marker == 0xDA:  # scan data before any frame header: not a decodable JPEG
            return None
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        i += 2 + struct.unpack_from(">H", data, i + 2)[0]
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
