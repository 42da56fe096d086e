"""picamera2 through a stand-in that follows its documented API (no camera, no libcamera)."""

import sys
import types
from typing import ClassVar

import cv2
import numpy as np
import pytest

from unpixel.errors import SourceError
from unpixel.live.capture import LatestFrame
from unpixel.live.opening import open_source
from unpixel.live.picamera import Picamera2Source, to_bgr

BGR = (30, 90, 200)  # the scene's colour, in OpenCV order


class FakePicamera2:
    """Picamera2(camera_num): create_video_configuration, configure, start, capture_array,
    stop, close. Frames are filled with ``BGR`` laid out as the configured format says."""

    instances: ClassVar[list["FakePicamera2"]] = []
    fail_after: ClassVar[int | None] = None

    def __init__(self, camera_num: int = 0) -> None:
        if camera_num > 1:
            raise IndexError("list index out of range")  # what picamera2 does
        self.camera_num = camera_num
        self.calls: list[str] = []
        self.config: dict | None = None
        self.captures = 0
        FakePicamera2.instances.append(self)

    def create_video_configuration(self, main=None, lores=None, controls=None, **kw):
        self.calls.append("create_video_configuration")
        config = {
            "main": dict(main or {"size": (640, 480), "format": "XBGR8888"}),
            "lores": dict(lores) if lores else None,
            "controls": controls or {},
        }
        config["main"].setdefault("format", "XBGR8888")
        return config

    def configure(self, config):
        self.calls.append("configure")
        self.config = config

    def start(self):
        self.calls.append("start")

    def capture_array(self, name="main"):
        assert "start" in self.calls, "capture before start"
        if self.fail_after is not None and self.captures >= self.fail_after:
            raise RuntimeError("Camera frontend has timed out!")
        self.captures += name == "main"
        stream = self.config[name]
        w, h = stream["size"]
        b, g, r = BGR
        fmt = stream["format"]
        if fmt == "XBGR8888":
            return np.tile(np.array([r, g, b, 255], np.uint8), (h, w, 1))
        if fmt == "RGB888":
            return np.tile(np.array([b, g, r], np.uint8), (h, w, 1))
        if fmt == "YUV420":
            rgb = np.tile(np.array(BGR, np.uint8), (h, w, 1))
            return cv2.cvtColor(rgb, cv2.COLOR_BGR2YUV_I420)
        raise AssertionError(fmt)

    def stop(self):
        self.calls.append("stop")

    def close(self):
        self.calls.append("close")


@pytest.fixture
def picamera2(monkeypatch):
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2
    FakePicamera2.instances = []
    FakePicamera2.fail_after = None
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return FakePicamera2


@pytest.mark.parametrize("fmt", ["XBGR8888", "RGB888"])
def test_channel_order_is_bgr(picamera2, fmt):
    source = Picamera2Source(size=(64, 48), fmt=fmt)
    frame = source.read()
    source.close()
    assert frame.image.shape == (48, 64, 3) and frame.image.flags.c_contiguous
    assert tuple(frame.image[10, 10]) == BGR
    cam = picamera2.instances[0]
    assert cam.calls == ["create_video_configuration", "configure", "start", "stop", "close"]


def test_lores_stream_is_converted_and_handed_along(picamera2):
    source = open_source("picamera2:1", size=(64, 48), lores=(32, 24))
    assert source.live and source.name == "picamera2:1"
    frame = source.read()
    source.close()
    assert frame.lores.shape == (24, 32, 3)
    assert np.abs(frame.lores[12, 16].astype(int) - BGR).max() <= 3  # YUV rounding


def test_missing_picamera2_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails
    with pytest.raises(SourceError, match="python3-picamera2"):
        Picamera2Source()


def test_no_such_camera(picamera2):
    with pytest.raises(SourceError, match="camera 5"):
        Picamera2Source(camera_num=5)


def test_camera_loss_is_a_source_error_through_the_capture_thread(picamera2):
    picamera2.fail_after = 3
    source = Picamera2Source(size=(32, 32))
    grabber = LatestFrame(source).start()
    taken = 0
    with pytest.raises(SourceError, match="timed out"):
        while grabber.take() is not None:
            taken += 1
    grabber.stop()
    source.close()
    assert 1 <= taken <= 3
    assert picamera2.instances[0].calls[-2:] == ["stop", "close"]


def test_unknown_format_is_refused(picamera2):
    with pytest.raises(ValueError, match="main format"):
        Picamera2Source(fmt="YUYV")
    with pytest.raises(ValueError, match="unsupported"):
        to_bgr(np.zeros((4, 4, 3), np.uint8), "NV12")


def test_reopen_starts_the_camera_again_with_the_same_settings(picamera2):
    source = Picamera2Source(size=(64, 48), lores=(32, 24))
    assert source.can_reopen
    first = source.read()
    source.reopen()
    second = source.read()
    source.close()
    old, new = picamera2.instances
    assert old.calls == ["create_video_configuration", "configure", "start", "stop", "close"]
    assert new.config["main"]["size"] == (64, 48) and new.config["lores"]["size"] == (32, 24)
    assert second.index == first.index + 1 and second.lores.shape == (24, 32, 3)


def test_the_loop_reconnects_a_camera_that_times_out(picamera2, h):
    """Each camera object times out after 3 frames; the loop reopens it until max_frames."""
    from unpixel.live.loop import LiveLoop, LiveOptions
    from unpixel.live.reconnect import ReconnectOptions

    picamera2.fail_after = 3
    source = Picamera2Source(size=(64, 48))
    options = LiveOptions(max_frames=8, reconnect=ReconnectOptions(attempts=2, delay_s=0.001))
    stats = LiveLoop(source, h.MarkProcessor(), [], options).run()
    source.close()
    assert stats.stop_reason == "max frames" and stats.frames == 8
    assert stats.reconnects >= 2 and len(picamera2.instances) == stats.reconnect_attempts + 1
