import itertools
import time

import cv2
import numpy as np
import pytest

from unpixel.errors import SourceError
from unpixel.live.opening import open_source
from unpixel.live.sources import (
    ArraySource,
    FolderSource,
    OpenCVSource,
    VideoFileSource,
)


def test_video_file_through_opencv_every_frame_in_order(video_file, h):
    source = open_source(str(video_file))
    assert isinstance(source, VideoFileSource) and not source.live and source.fps == 25.0
    assert source.frames == 20 and not source.can_reopen
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    source.close()
    assert len(frames) == 20
    assert [f.index for f in frames] == list(range(20))
    assert [f.timestamp_ms for f in frames] == [i * 40 for i in range(20)]
    assert [h.frame_number(f.image) for f in frames] == [i % 15 for i in range(20)]
    assert frames[0].image.shape == (64, 96, 3) and frames[0].image.dtype == np.uint8


def test_truncated_video_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    with pytest.raises(SourceError, match=r"bad\.mp4"):
        open_source(str(bad)).read()


def test_missing_source_names_the_choices(tmp_path):
    with pytest.raises(SourceError, match="picamera2"):
        open_source(str(tmp_path / "nope.mp4"))


def test_folder_and_single_image(tmp_path, h):
    for i in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), h.numbered(i))
    source = open_source(str(tmp_path))
    assert isinstance(source, FolderSource)
    got = [h.frame_number(source.read().image) for _ in range(3)]
    assert got == [0, 1, 2] and source.read() is None
    one = open_source(str(tmp_path / "f1.png"))
    assert h.frame_number(one.read().image) == 1 and one.read() is None


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="no images"):
        open_source(str(tmp_path))


def test_missing_camera_fails_fast():
    t0 = time.monotonic()
    with pytest.raises(SourceError, match="camera"):
        open_source("57")
    assert time.monotonic() - t0 < 10


def test_unreachable_stream_fails_without_hanging():
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=r"rtsp://127\.0\.0\.1:9/none"):
        open_source("rtsp://127.0.0.1:9/none")
    assert time.monotonic() - t0 < 15


def test_gstreamer_pipeline_without_gstreamer_says_why():
    if "GStreamer:                   YES" in cv2.getBuildInformation():
        pytest.skip("this OpenCV has GStreamer")
    with pytest.raises(SourceError, match="GStreamer"):
        open_source("videotestsrc num-buffers=5 ! videoconvert ! appsink")


def test_array_source_loops_and_stamps(h):
    frames = [h.numbered(0), h.numbered(1)]
    source = ArraySource(frames, fps=10, loops=2)
    got = [source.read() for _ in range(5)]
    assert got[-1] is None
    assert [f.timestamp_ms for f in got[:4]] == [0, 100, 200, 300]
    assert [h.frame_number(f.image) for f in got[:4]] == [0, 1, 0, 1]


def test_video_file_ends_not_lost(tmp_path, h):
    source = VideoFileSource(h.write_video(tmp_path / "two.avi", 2))
    assert source.read() is not None and source.read() is not None
    assert source.read() is None  # the end of a file is not an error
    source.close()


def test_a_video_file_is_not_an_opencv_capture(video_file):
    with pytest.raises(ValueError, match="VideoFileSource"):
        OpenCVSource(str(video_file))
    with pytest.raises(ValueError, match="VideoFileSource"):
        OpenCVSource(str(video_file), live=False)


def test_the_file_source_applies_the_pixel_limit(video_file, monkeypatch):
    monkeypatch.setattr("unpixel.video.MAX_PIXELS", 96 * 64 - 1)
    with pytest.raises(SourceError, match="pixels are refused"):
        open_source(str(video_file))


def test_the_file_source_and_the_cli_reader_share_one_fps_rule(tmp_path, h):
    from unpixel.video import DEFAULT_FPS, VideoReader, frame_rate

    path = h.write_video(tmp_path / "f.avi", 3, fps=12.5)
    reader = VideoReader(path)
    source = open_source(str(path))
    assert reader.fps == source.fps == 12.5
    reader.close()
    source.close()
    for none in (None, 0, 0.0, -1.0, float("nan"), float("inf"), "x"):
        assert frame_rate(none) == DEFAULT_FPS == 30.0
    assert frame_rate(24.0) == 24.0 and frame_rate(1000.0) == 1000.0


def test_picamera2_number_must_be_integer():
    with pytest.raises(ValueError, match="integer"):
        open_source("picamera2:x")


@pytest.mark.parametrize("fps", [999.0, 1000.0, 2000.0, 30000.0])
def test_file_timestamps_strictly_increase_at_any_rate(fps):
    source = ArraySource([np.zeros((32, 32, 3), np.uint8)], fps=fps, loops=200)
    stamps = []
    while (frame := source.read()) is not None:
        stamps.append(frame.timestamp_ms)
    assert len(stamps) == 200 and all(b > a for a, b in itertools.pairwise(stamps))
    assert stamps[0] == 0


def test_a_camera_url_password_never_reaches_the_source_name():
    from unpixel.errors import SourceError
    from unpixel.live.sources import OpenCVSource

    with pytest.raises(SourceError, match=r"admin:\*\*\*@") as caught:
        OpenCVSource("rtsp://admin:hunter2@127.0.0.1:9/stream", live=True)
    assert "hunter2" not in str(caught.value)
