"""From a command-line spec to a source: :func:`open_source`.

It sits above every source module (the base classes in :mod:`unpixel.live.sources`,
picamera2, the sample clip), so none of them imports another's subclasses.
"""

from __future__ import annotations

import stat
from pathlib import Path

from unpixel.errors import SourceError
from unpixel.live.sources import FolderSource, OpenCVSource, Source, VideoFileSource, spec_kind


def open_source(
    spec: str | int | None = None,
    *,
    size: tuple[int, int] | None = None,
    frames: int | None = None,
    lores: tuple[int, int] | None = None,
) -> Source:
    """A source for a command-line spec.

    Args:
        spec: ``sample`` (or None): the bundled sample clip; ``picamera2`` or
            ``picamera2:N``: a Raspberry Pi camera; a camera index ``0``; ``/dev/videoN``;
            an ``rtsp://`` / ``http(s)://`` URL; a GStreamer pipeline (it contains ``!``);
            a video file; an image file or a folder of images.
        size: (w, h) to ask a camera for (the sample clip is made at it; default 640x480
            for the sample and picamera2).
        frames: the sample clip's length (default 90).
        lores: picamera2's lores stream size (w, h), or None for none.

    Returns:
        The source, open. Video files are a :class:`VideoFileSource`.

    Raises:
        ValueError: a ``picamera2:N`` whose N is not an integer.
        SourceError: nothing at the spec, a FIFO or device that is not a ``/dev/video``
            character device, or it cannot be opened.

    """
    text = "sample" if spec is None else str(spec)
    if text == "sample":
        from unpixel.live.sample import SampleSource

        return SampleSource(frames=frames or 90, size=size or (640, 480))
    if text == "picamera2" or text.startswith("picamera2:"):
        from unpixel.live.picamera import Picamera2Source

        num = text.partition(":")[2]
        if num and not num.isdigit():
            raise ValueError(f"picamera2 camera number must be an integer, got {num!r}")
        return Picamera2Source(camera_num=int(num or 0), size=size or (640, 480), lores=lores)
    kind = spec_kind(text)
    if kind == "device":
        _check_device(Path(text))
    if kind != "file":
        return OpenCVSource(text, size=size)
    return _file_source(Path(text))


def _check_device(path: Path) -> None:
    """SourceError when a ``/dev/video...`` path exists but is no character device.

    A FIFO there would block inside ``cv2.VideoCapture``, where SIGINT cannot stop it. A
    path that does not exist is left to the open (its error names the camera).
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not stat.S_ISCHR(mode):
        raise SourceError(f"{path} is not a camera device (not a character device)")


def _file_source(path: Path) -> Source:
    from unpixel.io import IMAGE_SUFFIXES

    try:
        mode = path.stat().st_mode
    except OSError:
        raise SourceError(
            f"no such source {str(path)!r}: not a file, folder, camera index, /dev/videoN, "
            "URL, GStreamer pipeline, 'picamera2' or 'sample'"
        ) from None
    if stat.S_ISDIR(mode):
        return FolderSource(path)
    if not stat.S_ISREG(mode):  # a FIFO or device would block the open, deaf to SIGINT
        raise SourceError(
            f"{path} is not a regular file (a FIFO or device?); cameras are a camera index "
            "or /dev/videoN"
        )
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return FolderSource([path])
    return VideoFileSource(path)
