"""Helpers of the live-loop tests: a stand-in processor, test videos, a failing source."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from unpixel.errors import SourceError
from unpixel.live.processors import clean_detection
from unpixel.live.sources import Frame, Source
from unpixel.results import Result


class MarkProcessor:
    """Stands in for the pipeline: the output is the input with a white square; optional delay."""

    def __init__(self, delay_ms: float = 0.0) -> None:
        self.delay_ms = delay_ms
        self.seen: list[int] = []

    def __call__(self, frame: Frame) -> Result:
        t0 = time.perf_counter()
        if self.delay_ms:
            time.sleep(self.delay_ms / 1e3)
        self.seen.append(frame.index)
        out = frame.image.copy()
        out[:8, :8] = 255
        ms = (time.perf_counter() - t0) * 1e3
        return Result(out, clean_detection(out.shape), {"total": ms})


class DyingSource(Source):
    """Gives ``frames`` numbered frames, then fails like an unplugged camera."""

    def __init__(self, frames: int, live: bool = False, fps: float = 100.0) -> None:
        super().__init__()
        self.frames, self.live, self.fps, self.name = frames, live, fps, "dying"
        self._i = 0
        self.closed = False

    def _read_image(self) -> np.ndarray:
        if self._i >= self.frames:
            raise SourceError("camera unplugged")
        if self.live:
            time.sleep(1.0 / self.fps)
        self._i += 1
        return numbered(self._i - 1)

    def close(self) -> None:
        self.closed = True


def numbered(i: int, size: tuple[int, int] = (96, 64)) -> np.ndarray:
    """A frame whose grey level encodes ``i`` (survives lossy video coding to +-3)."""
    w, h = size
    frame = np.full((h, w, 3), (i * 16) % 240 + 8, np.uint8)
    frame[h // 2 :, :, 1] = 128
    return frame


def frame_number(frame: np.ndarray) -> int:
    """The ``i % 15`` that :func:`numbered` encoded."""
    return (round((float(frame[2:30, 10:40, 0].mean()) - 8) / 16)) % 15


def write_video(path: Path, frames: int, fps: float = 25.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (96, 64))
    for i in range(frames):
        writer.write(numbered(i))
    writer.release()
    return path


def read_video(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


@pytest.fixture
def video_file(tmp_path: Path) -> Path:
    return write_video(tmp_path / "in.avi", 20)


@pytest.fixture
def h() -> SimpleNamespace:
    """The helpers above (tests import nothing from conftest under --import-mode=importlib)."""
    return SimpleNamespace(
        MarkProcessor=MarkProcessor,
        DyingSource=DyingSource,
        numbered=numbered,
        frame_number=frame_number,
        write_video=write_video,
        read_video=read_video,
    )
