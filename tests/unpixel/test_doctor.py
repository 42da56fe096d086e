"""``unpixel doctor``: the report, and exit 1 when the default pipeline cannot run.

Each case runs the real command in a child process (real LiteRT and ONNX Runtime on the
shipped models). A broken LiteRT install is made by test_cli_extras' meta-path finder refusing
the interpreter packages; picamera2 by stand-in packages on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.unpixel.test_cli_extras import RUN_BLOCKED
from unpixel.bench.measure import int8_dot_product


def _json(stdout: str) -> dict:
    """The report: RUN_BLOCKED prints an ``imported:`` line after it."""
    return json.loads(stdout.rpartition("imported:")[0])


def _doctor(*argv, blocked="", env=None):
    return subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, blocked, "doctor", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def report():
    result = _doctor("--json")
    assert result.returncode == 0, result.stderr
    return _json(result.stdout)


def test_versions_are_the_installed_ones(report):
    import cv2

    v = report["versions"]
    assert v["numpy"] == np.__version__
    assert v["OpenCV"].startswith(".".join(cv2.__version__.split(".")[:2]))
    assert v["LiteRT"].startswith("2.3")
    assert sys.executable in v["python"]


def test_system_names_the_cpu_features_and_threads(report):
    s = report["system"]
    assert s["int8_dot_product"] == int8_dot_product()
    assert s["cores_usable"] >= 1
    assert s["default_threads"] == 2
    assert "64-bit" in s["arch"]


def test_each_backend_is_tried_for_real(report):
    b = report["backends"]
    assert b["litert int8 cpu"].startswith("ok: xnnpack, classifier 64x64 in ")
    assert b["onnx int8 cpu"].startswith("ok: cpu")
    assert "CPUExecutionProvider" in b["onnx providers"]
    # No GPU on this machine: strict loading says why instead of falling back to CPU.
    assert b["litert fp32 gpu"].startswith("no: LiteRT delegate 'gpu' could not be loaded")
    assert b["onnx fp32 gpu"].startswith("no: ONNX Runtime has no CUDA or TensorRT provider")


def test_the_default_pipeline_found_the_mosaic(report):
    p = report["pipeline"]
    assert p["ok"] is True
    assert p["found"] == "block 4"
    assert p["timings_ms"]["total"] > 0


def test_text_report_has_every_section():
    result = _doctor()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for section in ("versions", "system", "backends", "cameras", "pipeline"):
        assert section in lines
    assert any(line.split() == ["ok", "True"] for line in lines)


def test_exits_1_when_the_default_pipeline_cannot_run():
    result = _doctor("--json", blocked="ai_edge_litert,tflite_runtime,tensorflow")
    assert result.returncode == 1
    doc = _json(result.stdout)  # the report is still printed in full
    assert doc["pipeline"]["ok"] is False
    assert doc["backends"]["litert int8 cpu"].startswith("no: no LiteRT interpreter")
    assert doc["backends"]["onnx int8 cpu"].startswith("ok:")
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: the default pipeline cannot run: ImportError: no LiteRT")
    assert "Traceback" not in result.stderr


def test_picamera2_with_the_numpy_abi_trap_is_reported_not_fatal(tmp_path):
    (tmp_path / "picamera2").mkdir()
    (tmp_path / "picamera2" / "__init__.py").write_text("import simplejpeg\n")
    (tmp_path / "simplejpeg").mkdir()
    (tmp_path / "simplejpeg" / "__init__.py").write_text(
        "raise ValueError('numpy.dtype size changed, may indicate binary incompatibility')\n"
    )
    result = _doctor("--json", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    state = _json(result.stdout)["cameras"]["picamera2"]
    assert state.startswith("no: picamera2 cannot be imported: a package it loads (simplejpeg)")


def test_picamera2_cameras_are_listed(tmp_path):
    (tmp_path / "picamera2.py").write_text(
        "class Picamera2:\n"
        "    @staticmethod\n"
        "    def global_camera_info():\n"
        "        return [{'Model': 'imx708', 'Num': 0}]\n"
    )
    result = _doctor("--json", env={"PYTHONPATH": str(tmp_path)})
    assert _json(result.stdout)["cameras"]["picamera2"] == "importable, 1 camera(s): imx708"


def test_bad_threads_is_a_usage_error():
    result = _doctor("--threads", "0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: --threads must be at least 1, got 0"]
