"""examples/camera_loop.py runs as a user runs it and serves its stream while it runs."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "camera_loop.py"


def test_camera_loop_serves_and_records(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "sample", "0", "45"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("watch http://127.0.0.1:"), proc.stderr.read()
        url = line.split()[1].replace("stream.mjpg", "frame.jpg")
        for _ in range(50):  # 503 until the first frame is through the pipeline
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    assert resp.headers["Content-Type"] == "image/jpeg"
                    break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503
                time.sleep(0.1)
        else:
            raise AssertionError("no frame served")
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "45 frames" in out or "dropped" in out
    cap = cv2.VideoCapture(str(tmp_path / "camera_loop.mp4"))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) > 0
    cap.release()
