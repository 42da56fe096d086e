"""A live source that disappears mid-stream and comes back: reconnect with backoff.

The cameras here are real parts: a :class:`Source` subclass that is unplugged after a few
frames and answers its reopens from a script, OpenCV capturing a file that is deleted and
written back, and an HTTP MJPEG stream (unpixel's own server) read by OpenCV's FFmpeg that is
shut down and restarted. Outputs go through the real video sink and are read back with
``cv2.VideoCapture``. Waits are milliseconds.
"""

import logging
import os
import signal
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from unpixel.errors import SourceError
from unpixel.live.capture import PacedSource
from unpixel.live.loop import LiveLoop, LiveOptions
from unpixel.live.opening import open_source
from unpixel.live.reconnect import DEFAULT, ReconnectOptions
from unpixel.live.sample import SampleSource
from unpixel.live.sinks import VideoFileSink
from unpixel.live.sources import FolderSource, OpenCVSource, Source

FAST = ReconnectOptions(attempts=5, delay_s=0.005, max_delay_s=0.02, max_wait_s=2.0)
SIZE = (96, 64)
LEVELS = (40, 200)  # the bottom half's red level of connection 0 and of every later one


def picture(i: int, connection: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    """Frame ``i`` of a connection: a grey level for ``i``, a red bottom half for the link."""
    w, h = size
    frame = np.full((h, w, 3), (i * 16) % 240 + 8, np.uint8)
    frame[h // 2 :, :, 2] = LEVELS[min(connection, 1)]
    return frame


def connection_of(frame: np.ndarray) -> int:
    """0 for a frame of the first connection, 1 for a later one (survives MJPEG coding)."""
    red = float(frame[frame.shape[0] // 2 + 4 :, 8:-8, 2].mean())
    return int(abs(red - LEVELS[1]) < abs(red - LEVELS[0]))


class FlakyCamera(Source):
    """Unplugged after ``frames`` frames on each connection; reopens answered from a script.

    ``reopens[k]`` says whether reopen number k + 1 finds the camera (later ones do not).
    After the last scripted comeback the camera ends its stream when ``then_end``. With
    ``stall`` the camera stops giving frames instead of failing at once: the read blocks for
    0.3 s, then fails, as a driver's read times out.
    """

    live = True
    can_reopen = True

    def __init__(
        self,
        frames: int = 5,
        reopens: tuple[bool, ...] = (),
        *,
        then_end: bool = True,
        sizes: tuple[tuple[int, int], ...] = (SIZE,),
        stall: bool = False,
        fps: float = 200.0,
    ) -> None:
        super().__init__()
        self.name, self.fps = "flaky", fps
        self.frames, self.reopens, self.then_end = frames, list(reopens), then_end
        self.sizes, self.stall = sizes, stall
        self.connection, self.reopen_calls, self.closes = 0, 0, 0
        self._left = frames
        self._closed = threading.Event()

    def _read_image(self) -> np.ndarray | None:
        if self._closed.is_set():
            raise SourceError("read after close")
        if self._left <= 0:
            if self.then_end and self.connection and self.connection == sum(self.reopens):
                return None
            if self.stall:
                time.sleep(0.3)
            raise SourceError("camera unplugged")
        time.sleep(1.0 / self.fps)
        self._left -= 1
        size = self.sizes[min(self.connection, len(self.sizes) - 1)]
        return picture(self._count, self.connection, size)

    def close(self) -> None:
        self.closes += 1
        self._closed.set()

    def reopen(self) -> None:
        self.close()
        self.reopen_calls += 1
        k = self.reopen_calls - 1
        if k >= len(self.reopens) or not self.reopens[k]:
            raise SourceError("no such device")
        self.connection += 1
        self._left = self.frames
        self._closed = threading.Event()


def _run(source: Source, out: Path, reconnect: ReconnectOptions = FAST, **kw) -> LiveLoop:
    from unpixel.live.processors import clean_detection
    from unpixel.results import Result

    def processor(frame):
        return Result(frame.image, clean_detection(frame.image.shape), {"total": 0.0})

    loop = LiveLoop(
        source, processor, [VideoFileSink(out, 25)], LiveOptions(reconnect=reconnect, **kw)
    )
    loop.run()
    return loop


def _links(path: Path, h) -> list[int]:
    frames = h.read_video(path)
    assert frames, f"{path} holds no readable frame"
    return [connection_of(f) for f in frames]


def test_camera_comes_back_and_the_video_goes_on(tmp_path, h, caplog):
    camera = FlakyCamera(frames=6, reopens=(False, False, True))
    out = tmp_path / "rec.avi"
    with caplog.at_level(logging.INFO, logger="unpixel.live"):
        loop = _run(camera, out)
    stats = loop.stats
    assert stats.stop_reason == "end of stream" and loop.error is None
    assert (stats.reconnects, stats.reconnect_attempts, camera.reopen_calls) == (1, 3, 3)
    assert 0 < stats.offline_s < 1.5
    links = _links(out, h)
    assert len(links) == stats.frames
    assert 0 in links and 1 in links and links == sorted(links)  # before, then after the gap
    assert h.read_video(out)[0].shape == (64, 96, 3)
    text = caplog.text
    assert "camera unplugged; reconnecting (up to 5 attempts" in text
    assert "attempt 2 to reopen 'flaky' failed: no such device" in text
    assert "reconnected to 'flaky' after 3 attempts" in text
    assert stats.to_dict()["reconnects"] == 1 and stats.to_dict()["reconnect_attempts"] == 3


def test_gives_up_after_the_configured_attempts_with_the_video_finalised(tmp_path, h):
    camera = FlakyCamera(frames=4)
    out = tmp_path / "cut.avi"
    loop = _run(camera, out, ReconnectOptions(attempts=3, delay_s=0.001))
    stats = loop.stats
    assert stats.stop_reason.startswith(
        "source lost: camera unplugged; gave up after 3 reconnect attempts in "
    )
    assert "gave up after 3 reconnect attempts" in str(loop.error)
    assert camera.reopen_calls == stats.reconnect_attempts == 3 and stats.reconnects == 0
    assert len(h.read_video(out)) == stats.frames > 0  # finalised and playable
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_source_that_reopens_but_gives_no_frame_uses_up_the_same_outage(tmp_path, h):
    camera = FlakyCamera(frames=3, reopens=(True, True, True, True), then_end=False)
    camera.frames = 0  # every reopen works, no frame ever comes
    loop = _run(camera, tmp_path / "o.avi", ReconnectOptions(attempts=4, delay_s=0.001))
    assert "gave up after 4 reconnect attempts" in loop.stats.stop_reason
    assert loop.stats.reconnects == 0 and camera.reopen_calls == 4


def test_max_wait_gives_up_before_the_attempts_run_out(tmp_path):
    camera = FlakyCamera(frames=2)
    policy = ReconnectOptions(attempts=1000, delay_s=0.02, factor=1.0, max_wait_s=0.15)
    t0 = time.monotonic()
    loop = _run(camera, tmp_path / "o.avi", policy)
    assert time.monotonic() - t0 < 2
    assert "gave up after" in loop.stats.stop_reason
    assert 3 <= camera.reopen_calls <= 8


def test_a_stalled_camera_is_closed_and_reopened(tmp_path, h):
    camera = FlakyCamera(frames=3, reopens=(True,), stall=True)
    out = tmp_path / "stall.avi"
    loop = _run(camera, out, stall_s=0.1)
    assert loop.stats.stop_reason == "end of stream" and loop.stats.reconnects == 1
    assert camera.closes >= 1 and 0.1 < loop.stats.offline_s < 1.5
    assert sorted(set(_links(out, h))) == [0, 1]


def test_a_camera_back_at_another_size_is_scaled_to_the_first(tmp_path, h, caplog):
    camera = FlakyCamera(frames=5, reopens=(True,), sizes=(SIZE, (160, 120)))
    out = tmp_path / "sizes.avi"
    with caplog.at_level(logging.WARNING, logger="unpixel.live"):
        loop = _run(camera, out)
    assert loop.stats.stop_reason == "end of stream" and loop.stats.size == SIZE
    frames = h.read_video(out)
    assert len(frames) == loop.stats.frames and {f.shape for f in frames} == {(64, 96, 3)}
    assert sorted(set(_links(out, h))) == [0, 1]
    assert "came back at 160x120; its frames are scaled to 96x64" in caplog.text


@pytest.mark.parametrize("how", ["SIGINT", "stop()"])
def test_a_stop_during_the_backoff_wait_ends_promptly(tmp_path, h, how):
    camera = FlakyCamera(frames=4)
    out = tmp_path / "stop.avi"
    slow = ReconnectOptions(attempts=3, delay_s=30.0, max_wait_s=120.0)
    from unpixel.live.processors import clean_detection
    from unpixel.results import Result

    def processor(frame):
        return Result(frame.image, clean_detection(frame.image.shape), {"total": 0.0})

    loop = LiveLoop(camera, processor, [VideoFileSink(out, 25)], LiveOptions(reconnect=slow))
    if how == "SIGINT":
        threading.Timer(0.15, os.kill, (os.getpid(), signal.SIGINT)).start()
    else:
        threading.Timer(0.15, loop.stop).start()
    t0 = time.monotonic()
    stats = loop.run()
    assert time.monotonic() - t0 < 1  # not the 30 s wait
    expected = "interrupted (SIGINT)" if how == "SIGINT" else "stopped"
    assert stats.stop_reason == f"{expected} while reconnecting"
    assert loop.error is None and camera.reopen_calls == 0 and stats.offline_s > 0.05
    assert loop.interrupt.exit_code == (128 + signal.SIGINT if how == "SIGINT" else 0)
    assert len(h.read_video(out)) == stats.frames > 0


def test_reconnect_is_off_for_files_folders_and_the_sample(tmp_path, video_file, h):
    camera = FlakyCamera(frames=3, reopens=(True,))
    camera.live = False  # the same source, read as a file: a failure ends it
    loop = _run(camera, tmp_path / "f.avi", DEFAULT)
    assert loop.stats.stop_reason == "source lost: camera unplugged"
    assert camera.reopen_calls == 0 and loop.stats.reconnect_attempts == 0
    cv2.imwrite(str(tmp_path / "a.png"), h.numbered(0))
    sample = SampleSource(frames=3, size=(64, 64))
    for source in (
        open_source(str(video_file)),
        FolderSource(tmp_path),
        sample,
        PacedSource(sample),
    ):
        assert not source.can_reopen
        with pytest.raises(SourceError, match="reopen"):
            source.reopen()
        source.close()
    stats = _run(open_source(str(video_file)), tmp_path / "v.avi", DEFAULT).stats
    assert stats.stop_reason == "end of stream" and stats.frames == 20
    assert stats.reconnect_attempts == 0


def test_opencv_capture_reopens_in_place_when_its_device_comes_back(tmp_path, h):
    """Real cv2.VideoCapture: the "device" (a file) vanishes, comes back with new content."""
    path = tmp_path / "cam.avi"
    _write(path, 0)

    class Replugged(OpenCVSource):
        calls = 0

        def reopen(self) -> None:
            Replugged.calls += 1
            if Replugged.calls == 2:
                _write(path, 1)  # plugged back in
            else:
                path.unlink(missing_ok=True)  # not there
            super().reopen()

    source = Replugged(str(path), live=True)
    assert source.can_reopen
    out = tmp_path / "rec.avi"
    loop = _run(source, out, ReconnectOptions(attempts=2, delay_s=0.001))
    source.close()
    stats = loop.stats
    assert (Replugged.calls, stats.reconnect_attempts, stats.reconnects) == (4, 4, 1)
    assert "gave up after 2 reconnect attempts" in stats.stop_reason
    links = _links(out, h)
    assert len(links) == stats.frames and links == sorted(links) and set(links) == {0, 1}


def _write(path: Path, connection: int, frames: int = 8) -> None:
    tmp = path.with_name("tmp" + path.suffix)
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), 25, SIZE)
    for i in range(frames):
        writer.write(picture(i, connection))
    writer.release()
    tmp.replace(path)


class _Watch(logging.Handler):
    """Sees the loop's log: a failed reopen, and the stream back."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.failed, self.back = threading.Event(), threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if " failed: " in message:
            self.failed.set()
        if message.startswith("reconnected"):
            self.back.set()


def test_cli_reconnects_to_a_network_stream_that_restarts(tmp_path, capsys, h):
    """``unpixel live`` on an HTTP MJPEG stream (read by OpenCV's FFmpeg) whose server stops,
    restarts on the same port, and stops for good: one video with both sides of the gap."""
    import json

    from unpixel.cli import main
    from unpixel.live.mjpeg import MjpegSink
    from unpixel.live.sinks import Packet
    from unpixel.live.sources import Frame

    frames_dir, out = tmp_path / "frames", tmp_path / "rec.avi"
    watch = _Watch()
    server = [MjpegSink("127.0.0.1", 0)]
    url, port = server[0].url, server[0].port

    def feed(connection: int, until) -> None:
        i = 0
        while not until():
            image = picture(i, connection)
            server[0].write(Packet(Frame(image, 0, i, 0.0), None, image))  # type: ignore[arg-type]
            i += 1
            time.sleep(0.01)

    def count() -> int:
        return len(list(frames_dir.glob("*.jpg"))) if frames_dir.exists() else 0

    def drive() -> None:
        deadline = time.monotonic() + 30
        feed(0, lambda: count() >= 3 or time.monotonic() > deadline)
        server[0].close()  # the camera goes away
        watch.failed.wait(10)  # ... and is still away at the first reopen
        server[0] = MjpegSink("127.0.0.1", port)  # back on the same address
        feed(1, lambda: watch.back.is_set() or time.monotonic() > deadline)
        n = count()
        feed(1, lambda: count() >= n + 3 or time.monotonic() > deadline)
        server[0].close()  # gone for good

    driver = threading.Thread(target=drive, daemon=True)
    logger = logging.getLogger("unpixel.live.loop")
    logger.addHandler(watch)
    driver.start()
    try:
        code = main(
            [
                "live",
                "--source",
                url,
                "--output",
                str(out),
                "--frames-dir",
                str(frames_dir),
                "--reconnect",
                "10",
                "--reconnect-delay",
                "0.02",
                "--reconnect-max-wait",
                "0.6",
                "--json",
            ]
        )
    finally:
        logger.removeHandler(watch)
        driver.join(10)
        server[0].close()
    captured = capsys.readouterr()
    assert code == 1, captured.err
    summary = json.loads(captured.out)
    assert summary["live"] and summary["reconnects"] == 1
    assert summary["reconnect_attempts"] >= 3  # >= 1 refused, 1 back, >= 1 refused at the end
    assert "gave up after" in summary["stop_reason"]
    assert "warning: lost 'http://127.0.0.1" in captured.err
    assert "note: reconnected to" in captured.err
    assert "error: lost" in captured.err and "outputs finalised" in captured.err
    links = _links(out, h)
    assert len(links) == summary["frames"] and links == sorted(links) and set(links) == {0, 1}


def test_a_gap_in_the_first_frames_does_not_slow_the_live_video_down(tmp_path, h):
    from unpixel.live.processors import clean_detection
    from unpixel.live.sinks import Packet
    from unpixel.live.sources import Frame
    from unpixel.results import Result

    path = tmp_path / "gap.avi"
    sink = VideoFileSink(path, fps=None, probe=6)
    for i, ts in enumerate((0, 100, 200, 4200, 4300, 4400, 4500)):  # 10 FPS, a 4 s outage
        image = picture(i, int(ts > 1000))
        result = Result(image, clean_detection(image.shape), {})
        sink.write(Packet(Frame(image, ts, i, 0.0), result, image))
    sink.close()
    cap = cv2.VideoCapture(str(path))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(10, abs=0.5)
    cap.release()
    assert _links(path, h) == [0, 0, 0, 1, 1, 1, 1]
