"""``unpixel export`` says where the .keras models are when it finds none (issue 21, item 6).

A wheel ships the exported .tflite / .onnx files, not the .keras sources, and the default
``--models-dir models`` is relative to the current folder: run from anywhere but a clone,
export found nothing and said only "no .keras models in models".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODELS = Path(__file__).resolve().parents[2] / "models"


def _export(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "unpixel", "export", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    return line


def test_outside_a_clone_it_says_where_the_models_are(tmp_path):
    line = _error_line(_export(tmp_path))
    assert line.startswith(
        "error: no .keras models in models: the Keras models are not in the wheel"
    )
    assert "models/ of the source repository" in line
    assert "--models-dir FOLDER" in line
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_named_model_that_is_missing(tmp_path):
    line = _error_line(_export(tmp_path, "--models-dir", str(MODELS), "--models", "restorer_x9"))
    assert line.startswith(f"error: no restorer_x9.keras in {MODELS}: the Keras models")


def test_the_seed_flag_has_help():
    result = _export(MODELS.parent, "--help")
    assert result.returncode == 0
    assert "seed of the calibration samples" in result.stdout
