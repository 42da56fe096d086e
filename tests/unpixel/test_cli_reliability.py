"""The command line under a hostile or careless user (issue 20, items 2, 3, 4, 7, 13, 16).

Every test runs the real ``unpixel`` in a subprocess on real files, and checks the exit
status, what was written, and that no traceback reached the user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up

CLI = [sys.executable, "-m", "unpixel"]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 180):
    """``unpixel ARGS`` in a subprocess; (returncode, stdout, stderr)."""
    full_env = {**os.environ, **(env or {})}
    done = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )
    return done.returncode, done.stdout, done.stderr


def write_video(path: Path, frames: int, fps: float, size: tuple[int, int] = (128, 96)) -> Path:
    """An MJPEG .avi by OpenCV's own writer (it keeps any fps, 2000 too)."""
    fourcc = cv2.VideoWriter_fourcc(*"MJPG")
    writer = cv2.VideoWriter(str(path), cv2.CAP_OPENCV_MJPEG, fourcc, fps, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


def frame_count(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


@pytest.fixture
def photo(astronaut, tmp_path) -> Path:
    path = tmp_path / "in" / "photo.png"
    path.parent.mkdir()
    cv2.imwrite(str(path), up.pixelate(cv2.resize(astronaut, (128, 128)), 4))
    return path


# -- 2: live never writes over its source -------------------------------------------------


@pytest.mark.parametrize("spelling", ["same", "other spelling", "symlink", "hard link"])
def test_live_refuses_an_output_that_is_its_source(tmp_path, spelling):
    clip = write_video(tmp_path / "clip.avi", 5, 25.0)
    before = clip.read_bytes()
    output = {
        "same": clip,
        "other spelling": tmp_path / "sub" / ".." / "./clip.avi",
        "symlink": tmp_path / "link.avi",
        "hard link": tmp_path / "hard.avi",
    }[spelling]
    (tmp_path / "sub").mkdir()
    if spelling == "symlink":
        output.symlink_to(clip)
    if spelling == "hard link":
        os.link(clip, output)
    code, _out, err = run("live", "--source", str(clip), "--output", str(output))
    assert code != 0 and "is the source" in err and "Traceback" not in err, err
    assert clip.read_bytes() == before
    assert not list(tmp_path.glob(".*"))  # no temp file either


def test_live_refuses_a_frames_folder_that_is_its_source_folder(tmp_path, photo):
    code, _, err = run(
        "live", "--source", str(photo.parent), "--frames-dir", str(photo.parent / ".")
    )
    assert code != 0 and "is the source" in err
    assert [p.name for p in photo.parent.iterdir()] == ["photo.png"]


# -- 3: one bad input never ends a restore batch ------------------------------------------


def test_each_bad_input_fails_alone_and_the_rest_are_written(tmp_path, photo):
    bad = []
    as_text = tmp_path / "in" / "photo.txt"  # a PNG OpenCV cannot write under this name
    as_text.write_bytes(photo.read_bytes())
    bad.append(as_text)
    loop = tmp_path / "in" / "loop.png"  # a symlink loop
    loop.symlink_to(tmp_path / "in" / "loop2.png")
    (tmp_path / "in" / "loop2.png").symlink_to(loop)
    bad.append(loop)
    missing = tmp_path / "in" / "dangling.png"
    missing.symlink_to(tmp_path / "nowhere.png")
    bad.append(missing)
    if os.geteuid() != 0:  # root reads a mode-000 file all the same
        locked = tmp_path / "in" / "locked.png"
        locked.write_bytes(photo.read_bytes())
        locked.chmod(0)
        bad.append(locked)
    second = tmp_path / "in" / "second.png"
    second.write_bytes(photo.read_bytes())
    out = tmp_path / "out"
    inputs = [str(bad[0]), str(photo), *map(str, bad[1:]), str(second)]
    code, _stdout, err = run("restore", *inputs, "-o", str(out))
    assert code == 1, err  # 1: some inputs failed, the others are written
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == len(bad), err
    for path in bad:
        assert sum(str(path) in line for line in errors) == 1, (path, err)
    assert sorted(p.name for p in out.iterdir()) == ["photo.png", "second.png"]
    assert cv2.imread(str(out / "second.png")).shape == (128, 128, 3)


# -- 4: secrets never printed or stored -----------------------------------------------------


def test_token_and_url_password_are_redacted_everywhere(tmp_path):
    """A camera URL with user:password and ?token=, and --token for --serve: none of them
    on stdout, on stderr (lost/reconnect warnings, the final error) or in summary.json."""
    from unpixel.live.mjpeg import MjpegSink
    from unpixel.live.sinks import Packet
    from unpixel.live.sources import Frame

    cam_token, password, serve_token = "cam-token-8421", "pw-s3cret-77", "serve-token-5309"
    camera = MjpegSink("127.0.0.1", 0, token=cam_token)
    url = f"http://admin:{password}@127.0.0.1:{camera.port}/stream.mjpg?token={cam_token}"
    frames_dir, out = tmp_path / "frames", tmp_path / "rec"
    stop = threading.Event()

    def feed() -> None:
        rng = np.random.default_rng(1)
        deadline, i = time.monotonic() + 170, 0  # a loaded CI machine starts `live` slowly
        while not stop.is_set() and time.monotonic() < deadline:
            image = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
            camera.write(Packet(Frame(image, 0, i, 0.0), None, image))  # type: ignore[arg-type]
            i += 1
            time.sleep(0.02)
            if frames_dir.exists() and len(list(frames_dir.iterdir())) >= 3:
                break
        camera.close()  # the camera goes away for good

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        code, stdout, err = run(
            "live",
            "--source",
            url,
            "--output",
            str(out),
            "--frames-dir",
            str(frames_dir),
            "--serve",
            "127.0.0.1:0",
            "--token",
            serve_token,
            "--reconnect",
            "2",
            "--reconnect-delay",
            "0.05",
        )
    finally:
        stop.set()
        feeder.join(10)
    assert (out / "summary.json").is_file(), err
    summary_text = (out / "summary.json").read_text()
    assert code == 1 and "reconnect" in err and "Traceback" not in err, err
    assert "admin:***@127.0.0.1" in stdout and "token=***" in stdout
    for secret in (cam_token, password, serve_token):
        assert secret not in stdout and secret not in err and secret not in summary_text
    summary = json.loads(summary_text)
    assert summary["frames"] >= 3 and "***" in summary["source"]


def test_redact_masks_url_passwords_tokens_and_added_secrets():
    from unpixel.redact import add_secret, forget_secrets, redact

    assert redact("rtsp://admin:hunter22@cam:554/live") == "rtsp://admin:***@cam:554/live"
    assert redact("https://ghp_abcdef@host/x") == "https://***@host/x"
    assert redact("http://h/s.mjpg?token=abcdefgh&x=1") == "http://h/s.mjpg?token=***&x=1"
    assert redact("no secret here: a/b.png") == "no secret here: a/b.png"
    add_secret("tok-123456")
    try:
        assert redact("Bearer tok-123456 given") == "Bearer *** given"
    finally:
        forget_secrets()
    assert redact("Bearer tok-123456") == "Bearer tok-123456"


# -- 7: above 1000 fps ----------------------------------------------------------------------


def test_a_2000_fps_video_is_restored(tmp_path):
    src = write_video(tmp_path / "fast.avi", 12, 2000.0)
    assert cv2.VideoCapture(str(src)).get(cv2.CAP_PROP_FPS) == 2000.0
    out = tmp_path / "out"
    code, _, err = run("restore", str(src), "-o", str(out))
    assert code == 0, err
    assert frame_count(out / "fast.avi") == 12
    assert "timestamps" not in err and "Traceback" not in err


def test_timestamps_always_increase():
    from unpixel.cli_video import timestamps

    at = timestamps(2000.0)
    stamps = [at(i) for i in range(10)]
    assert stamps == sorted(set(stamps)) and stamps[0] == 0
    at = timestamps(25.0)
    assert [at(i) for i in range(3)] == [0, 40, 80]


# -- 13: no traceback reaches the user ------------------------------------------------------


@pytest.fixture
def folder(photo, tmp_path) -> Path:
    many = tmp_path / "many"
    many.mkdir()
    for i in range(40):
        (many / f"p{i:02d}.png").write_bytes(photo.read_bytes())
    return many


def piped(command: str, tmp_path: Path) -> tuple[int, str, str]:
    """``bash -c 'set -o pipefail; COMMAND | head -1'``: unpixel's status, head's line, stderr."""
    cli = " ".join(map(str, CLI))
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {cli} {command} | head -1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    return done.returncode, done.stdout, done.stderr


def test_detect_into_a_closed_pipe_stops_without_a_traceback(folder, tmp_path):
    code, out, err = piped(f"detect {folder}", tmp_path)
    assert out.startswith(f"{folder}/p00.png: ")
    assert code == 141, err  # 128 + SIGPIPE, as a shell reports it
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception" not in err, err


def test_restore_into_a_closed_pipe_still_writes_every_output(folder, tmp_path):
    out = tmp_path / "restored"
    code, line, err = piped(f"restore {folder} -o {out}", tmp_path)
    assert line.startswith(f"{folder}/p00.png: ")
    assert code == 0 and "Traceback" not in err and "Exception" not in err, err
    assert len(list(out.glob("*.png"))) == 40


@pytest.mark.parametrize("delegate", ["gpu", "/nonexistent/libdelegate.so"])
def test_a_missing_delegate_is_one_warning_line(photo, delegate):
    code, out, err = run("detect", str(photo), "--delegate", delegate)
    assert code == 0 and "photo.png: " in out
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert next(line for line in err.splitlines() if "falling back to CPU" in line).startswith(
        "warning: "
    )


def test_live_size_beyond_the_pixel_limit_is_refused_before_allocating(tmp_path):
    started = time.monotonic()
    code, _, err = run("live", "--size", "100000x100000", "--output", str(tmp_path / "o"))
    assert code == 2 and "limited to 67,108,864" in err and "Traceback" not in err, err
    assert time.monotonic() - started < 60
    assert not (tmp_path / "o").exists()


# -- 16: names printed safely ---------------------------------------------------------------


def test_escape_sequences_in_names_are_printed_escaped(photo):
    hostile = photo.with_name("a\x1b]0;owned\x07\x1b[2Jb\rc\u202ed.png")
    photo.rename(hostile)
    code, out, err = run("detect", str(hostile), str(hostile.with_name("x\x1b[31m.png")))
    assert code == 1  # the second one does not exist
    for text in (out, err):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text, text
        assert "\u202e" not in text
    assert "a\\x1b]0;owned\\x07\\x1b[2Jb\\rc\\u202ed.png: " in out
    assert "x\\x1b[31m.png" in err


def test_a_unicode_name_under_an_ascii_terminal_is_written_and_exits_0(photo, tmp_path):
    name = photo.with_name("café 日本.png")
    photo.rename(name)
    out_dir = tmp_path / "out"
    code, out, err = run(
        "restore", str(name), "-o", str(out_dir), env={"PYTHONIOENCODING": "ascii"}
    )
    assert code == 0, err
    assert (out_dir / "café 日本.png").is_file()
    assert "caf\\xe9 \\u65e5\\u672c.png: " in out
