"""The examples run as a user runs them (a subprocess) and do what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

import unpixel as up

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, *args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_embed_prints_detection_and_timings(tmp_path: Path) -> None:
    out = _run("embed.py", cwd=tmp_path)
    assert "pixelated: True" in out and "block=8, phase=(3, 5)" in out
    assert "timings (ms): classify" in out and "total" in out
    assert cv2.imread(str(tmp_path / "restored.png")) is not None


def test_batch_folder_restores_each_image(tmp_path: Path, astronaut: np.ndarray) -> None:
    src, dest = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    mosaic = up.pixelate(astronaut, 6, phase=(1, 2))
    cv2.imwrite(str(src / "mosaic.png"), mosaic)
    cv2.imwrite(str(src / "clean.png"), astronaut)
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    out = _run("batch_folder.py", str(src), str(dest), cwd=tmp_path)
    assert "mosaic.png: restored, block 6" in out
    assert "clean.png: clean, copied" in out and "broken.jpg: skipped" in out
    assert sorted(p.name for p in dest.iterdir()) == ["clean.png", "mosaic.png"]
    assert np.array_equal(cv2.imread(str(dest / "clean.png")), astronaut)
    restored = cv2.imread(str(dest / "mosaic.png"))
    assert up.metrics.psnr(restored, astronaut) > up.metrics.psnr(mosaic, astronaut)
