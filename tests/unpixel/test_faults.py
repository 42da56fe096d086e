"""Faults: a full disk, an unwritable output, an accelerator that does not load, and SIGINT /
SIGTERM during ``unpixel restore`` of a video.

A full disk is a real one where the test may mount a small tmpfs (root), and a writer that
raises ENOSPC otherwise (both always run where they can; the tmpfs case says why it skipped).
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main
from unpixel.engines import open_engine
from unpixel.formats import format_for
from unpixel.options import default_models_dir
from unpixel.video import VideoWriter

MODELS = default_models_dir()


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")] if folder.exists() else []


def _video(path: Path, frames: int, photo: np.ndarray, fps: float = 25) -> Path:
    with VideoWriter(path, fps) as writer:
        for i in range(frames):
            writer.write(up.pixelate(np.roll(photo, 2 * i, axis=1), 4, phase=(1, 2)))
    return path


@pytest.fixture
def small_disk(tmpfs) -> Path:
    """A 256 KiB tmpfs: a disk that fills up."""
    return tmpfs("256k")


# -- disk full, unwritable output ------------------------------------------------------------


def test_disk_full_image_restore(small_disk, tmp_path, astronaut, capsys):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):  # four 512x512 PNGs of noise-like detail: more than 256 KiB
        photo = np.roll(astronaut, 37 * i, axis=0)
        cv2.imwrite(str(src / f"p{i}.png"), up.pixelate(photo, 2 + i, region=(0, 0, 128, 128)))
    assert main(["restore", str(src), "-o", str(small_disk)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert not _leftovers(small_disk)
    for out in small_disk.iterdir():  # whatever landed is whole
        assert cv2.imread(str(out)) is not None


def test_disk_full_video_restore(small_disk, tmp_path, astronaut, capsys):
    src = _video(tmp_path / "v.avi", 30, astronaut[:240, :320])
    # With PyAV the default H.264 fits in 256 KiB; lossless FFV1 fills it, as MJPEG does.
    codec = ["--codec", "ffv1"] if importlib.util.find_spec("av") else []
    assert main(["restore", str(src), "-o", str(small_disk), *codec]) == 1
    err = capsys.readouterr().err
    assert "disk full" in err
    assert list(small_disk.iterdir()) == []


def test_enospc_during_image_write_leaves_no_file(tmp_path, astronaut, monkeypatch, capsys):
    src = tmp_path / "a.png"
    cv2.imwrite(str(src), up.pixelate(astronaut, 6))
    real_fdopen = os.fdopen

    def full(fd: int, *args, **kw):
        f = real_fdopen(fd, *args, **kw)

        def write(_data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        f.write = write
        return f

    monkeypatch.setattr("unpixel.io.os.fdopen", full)
    out = tmp_path / "out"
    assert main(["restore", str(src), "-o", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_video_writer_that_loses_frames_is_not_renamed_into_place(tmp_path, astronaut):
    writer = VideoWriter(tmp_path / "v.mp4", 25)
    writer.write(astronaut)
    writer.write(astronaut)

    class Lossy:  # the encoder drops a frame silently, as it does on a full disk
        def __init__(self, inner: cv2.VideoWriter) -> None:
            self.release = inner.release

        def write(self, frame: np.ndarray) -> None:
            pass

    writer._writer = Lossy(writer._writer)
    writer.write(astronaut)
    with pytest.raises(up.SinkError, match="holds 2 of 3 frames"):
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output(tmp_path, astronaut, capsys):
    src = tmp_path / "a.png"
    cv2.imwrite(str(src), astronaut)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["restore", str(src), "-o", str(blocker)]) == 1
    assert "is a file" in capsys.readouterr().err
    assert main(["restore", str(src), "-o", str(blocker / "sub")]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert blocker.read_text() == "not a folder"


# -- accelerators ----------------------------------------------------------------------------


# ai-edge-litert's Delegate.__del__ trips over its own failed load (an ignored AttributeError)
LITERT_DEL = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@LITERT_DEL
@pytest.mark.parametrize(
    ("backend", "file", "delegate"),
    [
        ("litert", "classifier_int8.tflite", "gpu"),
        ("litert", "classifier_int8.tflite", "/nonexistent/libdelegate.so"),
        ("onnx", "classifier_int8.onnx", "gpu"),
    ],
)
def test_missing_accelerator_falls_back_or_fails_when_strict(backend, file, delegate):
    fmt = format_for(backend, "int8")
    with pytest.warns(RuntimeWarning, match="falling back to CPU"):
        engine = open_engine(MODELS / file, fmt, 1, delegate)
    assert engine.accelerator in ("xnnpack", "cpu")
    assert engine.run(np.zeros((1, *engine.input.shape[1:]), np.uint8)).shape[0] == 1
    engine.close()
    with pytest.raises(up.ModelError, match=r"delegate|provider"):
        open_engine(MODELS / file, fmt, 1, delegate, strict=True)


@LITERT_DEL
def test_cli_delegate_fallback_and_strict(tmp_path, astronaut, capsys):
    src = tmp_path / "a.png"
    cv2.imwrite(str(src), up.pixelate(astronaut, 6))
    assert main(["restore", str(src), "-o", str(tmp_path / "out"), "--delegate", "gpu"]) == 0
    assert "falling back to CPU" in capsys.readouterr().err  # the CLI prints warnings as lines
    assert (tmp_path / "out" / "a.png").is_file()
    args = ["restore", str(src), "-o", str(tmp_path / "strict"), "--delegate", "gpu", "--strict"]
    assert main(args) == 1
    assert "delegate" in capsys.readouterr().err
    assert not (tmp_path / "strict" / "a.png").exists()


# -- signals ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_signal_during_video_restore_finalises_the_output(tmp_path, astronaut, signum):
    frames = 400
    src = _video(tmp_path / "v.avi", frames, cv2.resize(astronaut, (640, 480)))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "unpixel", "restore", str(src), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            temps = list(out.glob(".v.*.avi")) if out.exists() else []
            if temps and temps[0].stat().st_size > 300_000:  # some frames are written
                break
            time.sleep(0.05)
        assert proc.poll() is None, "restore ended before the signal could be sent"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    assert proc.returncode == 128 + signum, err
    assert f"{signal.Signals(signum).name}: " in err, err
    said = re.search(r"finalised with the (\d+) frames", err)
    assert said, err
    written = int(said.group(1))
    assert 0 < written < frames
    assert sorted(p.name for p in out.iterdir()) == ["v.avi"]  # no temporary file left
    cap = cv2.VideoCapture(str(out / "v.avi"))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == written
    readable = 0
    while cap.read()[0]:
        readable += 1
    cap.release()
    assert readable == written
