"""Video files that users really have: odd sizes, a damaged frame, a full disk, FIFOs, bad fps.

Every video here is a real file written in the test (OpenCV's FFmpeg writer, or its own MJPEG
writer for odd sizes, which FFmpeg's rounds down); the damage is done to the bytes on disk.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main
from unpixel.live.loop import LiveLoop, LiveOptions
from unpixel.live.opening import open_source
from unpixel.live.processors import clean_detection
from unpixel.live.sinks import Packet, VideoFileSink
from unpixel.live.sources import ArraySource, FolderSource, Frame
from unpixel.results import Result
from unpixel.video import VideoReader, VideoWriter


def _frame(i: int, w: int = 96, h: int = 64) -> np.ndarray:
    frame = np.full((h, w, 3), (i * 16) % 240 + 8, np.uint8)
    frame[h // 2 :, :, 1] = 128
    return frame


def _write(path: Path, frames: list[np.ndarray], fourcc: str = "MJPG", api: int = -1) -> Path:
    h, w = frames[0].shape[:2]
    code = cv2.VideoWriter_fourcc(*fourcc)
    args = (str(path), code, 25.0, (w, h)) if api < 0 else (str(path), api, code, 25.0, (w, h))
    writer = cv2.VideoWriter(*args)
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _frames_of(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while (got := cap.read())[0]:
        out.append(got[1])
    cap.release()
    return out


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def _damage_avi_frames(path: Path, first: int, count: int = 1) -> Path:
    """Zero the JPEG data of frames ``first`` .. ``first + count - 1`` of an MJPEG AVI."""
    data = bytearray(path.read_bytes())
    chunks, at = [], data.find(b"movi")
    while (at := data.find(b"00dc", at + 1)) >= 0:
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        if size and data[at + 8 : at + 10] == b"\xff\xd8":
            chunks.append((at + 8, size))
    for start, size in chunks[first : first + count]:
        data[start : start + size] = bytes(size)
    path.write_bytes(bytes(data))
    return path


# -- item 5: odd sizes -----------------------------------------------------------------------


def test_odd_sized_avi_keeps_its_size_through_restore(tmp_path, astronaut):
    photo = up.pixelate(np.ascontiguousarray(astronaut[:199, :333]), 6, region=(40, 40, 96, 96))
    src = _write(tmp_path / "in.avi", [photo] * 4, api=cv2.CAP_OPENCV_MJPEG)
    assert VideoReader(src).read().shape == (199, 333, 3)
    assert main(["restore", str(src), "-o", str(tmp_path / "out")]) == 0
    frames = _frames_of(tmp_path / "out" / "in.avi")
    assert len(frames) == 4 and frames[0].shape == (199, 333, 3)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_odd_sizes_are_refused_where_the_encoder_would_crop(tmp_path, suffix):
    writer = VideoWriter(tmp_path / f"v{suffix}", 25)
    with pytest.raises(up.SinkError, match=r"333x199.*even width and height.*\.avi"):
        writer.write(_frame(0, 333, 199))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("size", [(333, 199), (333, 200), (332, 199), (96, 64)])
def test_avi_keeps_every_size(tmp_path, size):
    with VideoWriter(tmp_path / "v.avi", 25) as writer:
        for i in range(3):
            writer.write(_frame(i, *size))
    frames = _frames_of(tmp_path / "v.avi")
    assert len(frames) == 3 and frames[0].shape == (size[1], size[0], 3)


# -- item 6: an undecodable frame ------------------------------------------------------------


@pytest.fixture
def damaged(tmp_path) -> Path:
    """30 frames, the 7th unreadable (29 decode)."""
    src = _write(tmp_path / "in.avi", [_frame(i) for i in range(30)])
    return _damage_avi_frames(src, 6)


def test_reader_skips_and_counts_an_undecodable_frame(damaged, caplog):
    with caplog.at_level(logging.WARNING, logger="unpixel.video"):
        reader = VideoReader(damaged)
        frames = list(reader)
    assert len(frames) == 29 and reader.skipped == 1 and reader.missing == 0
    assert "frame 6 cannot be decoded; skipped" in caplog.text


def test_restore_keeps_every_decodable_frame(damaged, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="unpixel.video"):
        assert main(["restore", str(damaged), "-o", str(tmp_path / "out")]) == 0
    assert len(_frames_of(tmp_path / "out" / "in.avi")) == 29
    assert "cannot be decoded; skipped" in caplog.text


def test_live_file_source_skips_and_counts_it(damaged, caplog):
    with caplog.at_level(logging.WARNING, logger="unpixel.live"):
        source = open_source(str(damaged))
        count = 0
        while source.read() is not None:
            count += 1
        source.close()
    assert count == 29 and source.skipped == 1
    assert "frame 6 cannot be decoded" in caplog.text


def test_a_damaged_run_of_frames_is_a_clear_error(tmp_path):
    src = _write(tmp_path / "in.avi", [_frame(i) for i in range(60)])
    _damage_avi_frames(src, 10, 30)  # more than MAX_BAD_FRAMES (25)
    reader = VideoReader(src)
    with pytest.raises(up.SourceError, match=r"25 frames in a row after frame 10.*damaged"):
        list(reader)
    out = tmp_path / "out"
    assert main(["restore", str(src), "-o", str(out)]) == 1
    assert not out.exists() or list(out.iterdir()) == []


# -- item 8: a disk that fills during a live recording ---------------------------------------


@pytest.fixture
def small_disk(tmpfs) -> Path:
    """A 2 MiB tmpfs (root only)."""
    return tmpfs("2m")


def _noisy(i: int) -> np.ndarray:
    rng = np.random.default_rng(i % 7)
    return cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), np.uint8), (3, 3), 0)


def _packet(image: np.ndarray, i: int) -> Packet:
    return Packet(Frame(image, i * 40, i, 0.0), Result(image, clean_detection(image.shape)), image)


def test_full_disk_keeps_the_recording_so_far(small_disk):
    path = small_disk / "live.avi"
    sink = VideoFileSink(path, fps=25)
    with pytest.raises(up.SinkError, match=r"disk full: .* finalised with the (\d+) frames"):
        for i in range(600):
            sink.write(_packet(_noisy(i), i))
    sink.close()  # nothing more to do, no error
    kept = sink.count
    assert kept > 5
    assert len(_frames_of(path)) == kept
    assert not _leftovers(small_disk)


def test_live_loop_on_a_full_disk_ends_cleanly_with_the_video(small_disk):
    frames = [_noisy(i) for i in range(7)]
    source = ArraySource(frames, fps=25, loops=90)  # 630 frames
    sink = VideoFileSink(small_disk / "live.avi", fps=None)

    def process(frame: Frame) -> Result:
        return Result(frame.image, clean_detection(frame.image.shape))

    loop = LiveLoop(source, process, [sink], LiveOptions(handle_signals=False))  # type: ignore[arg-type]
    stats = loop.run()
    assert isinstance(loop.error, up.SinkError)
    assert stats.stop_reason.startswith("output failed: disk full")
    assert len(_frames_of(small_disk / "live.avi")) == sink.count > 5
    assert not _leftovers(small_disk)


# -- item 10: FIFOs and frame rates ----------------------------------------------------------


def test_fifos_are_refused_before_anything_blocks(tmp_path):
    for name in ("clip.mp4", "photo.png", "cam"):
        os.mkfifo(tmp_path / name)
    with pytest.raises(up.SourceError, match="regular file"):
        VideoReader(tmp_path / "clip.mp4")
    for name in ("clip.mp4", "photo.png", "cam"):
        with pytest.raises(up.SourceError, match="not a regular file"):
            open_source(str(tmp_path / name))
    source = FolderSource([tmp_path / "photo.png"])
    done: list[BaseException] = []

    def read() -> None:
        try:
            source.read()
        except BaseException as exc:
            done.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():  # unblock the old code's open() before failing
        os.close(os.open(tmp_path / "photo.png", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO named .png blocked")
    assert done and isinstance(done[0], up.SourceError)


@pytest.mark.parametrize("fps", [math.inf, -math.inf, math.nan, 0, -1, 1e6, 1000.5])
def test_bad_frame_rates_are_refused_at_once(tmp_path, fps):
    with pytest.raises(ValueError, match="fps must be finite, above 0 and at most 1000"):
        VideoWriter(tmp_path / "v.avi", fps)
    with pytest.raises(ValueError, match="fps must be finite"):
        VideoFileSink(tmp_path / "w.avi", fps)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError):
        VideoWriter(tmp_path / "v.avi", "25")  # type: ignore[arg-type]


def test_the_highest_frame_rate_is_kept(tmp_path):
    with VideoWriter(tmp_path / "v.avi", 1000) as writer:
        for i in range(3):
            writer.write(_frame(i))
    cap = cv2.VideoCapture(str(tmp_path / "v.avi"))
    assert cap.get(cv2.CAP_PROP_FPS) == 1000 and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()


def test_cli_live_on_a_full_disk_keeps_video_and_summary(small_disk, tmp_path, capsys):
    clip = _write(tmp_path / "clip.avi", [_noisy(i) for i in range(150)])
    code = main(["live", "--source", str(clip), "--output", str(small_disk / "clean.avi")])
    err = capsys.readouterr().err
    assert code == 1
    assert "error: disk full:" in err and "finalised with the" in err and "Traceback" not in err
    kept = len(_frames_of(small_disk / "clean.avi"))
    assert 5 < kept < 150
    assert (small_disk / "clean_summary.json").is_file()
    assert not _leftovers(small_disk)


def test_a_long_valid_name_is_written(tmp_path):
    path = tmp_path / ("v" * 251 + ".avi")  # 255 bytes: the longest name a file may have
    with VideoWriter(path, 25) as writer:
        writer.write(_frame(0))
    assert len(_frames_of(path)) == 1 and not _leftovers(tmp_path)


@pytest.mark.parametrize("fps", [76.923, 120.5, 29.97, 1000.0])
def test_a_measured_frame_rate_mpeg4_cannot_hold_still_writes_a_video(tmp_path, fps):
    # OpenCV's writer gave MPEG-4 a time base of 1000/76923 and failed ('cannot encode
    # video'), losing a live recording whose source was measured at 76.923 fps.
    frame = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    with VideoWriter(tmp_path / "v.mp4", fps) as writer:
        for _ in range(5):
            writer.write(frame)
    reader = VideoReader(tmp_path / "v.mp4")
    try:
        assert sum(1 for _ in reader) == 5
    finally:
        reader.close()
