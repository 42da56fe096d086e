"""Install check: build the wheel, install it in a fresh venv with only the runtime
dependencies, and run ``unpixel restore`` on a bundled sample from there.

The runtime dependencies come from the package registry (pip's cache makes repeats fast) or,
fully offline, from a folder of wheels named by ``UNPIXEL_WHEELHOUSE``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "runtime", "export", "models")
REGION = (100, 80, 240, 200)  # x, y, w, h of the censored rectangle
RUNTIME_DEPS = {"numpy", "opencv-python-headless", "ai-edge-litert"}

MAKE_SAMPLE = """
import sys
from importlib import resources
import cv2, numpy as np
import unpixel as up
data = resources.files("unpixel").joinpath("data/astronaut.jpg").read_bytes()
photo = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
cv2.imwrite(sys.argv[1], up.pixelate(photo, 8, phase=(3, 5), region=tuple(map(int, sys.argv[2:]))))
"""

NO_TENSORFLOW = """
import importlib.util, sys
import unpixel, unpixel.cli, unpixel.pipeline
assert importlib.util.find_spec("tensorflow") is None, "tensorflow is installed"
assert not [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")]
print("ok")
"""


def _run(cmd: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{cmd[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the sources, so no build/ folder lands in the working tree."""
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.keras", "training")
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, src / name)
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(tmp / "dist"),
        ]
    )
    (wheel,) = (tmp / "dist").glob("unpixel-*.whl")
    return wheel


def _check_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads(zipfile.ZipFile(wheel).read("unpixel/models/manifest.json"))
    runnable = [m["file"] for m in manifest["models"] if not m["file"].endswith(".keras")]
    assert runnable, "the manifest lists no runtime models"
    missing = [f for f in runnable if f"unpixel/models/{f}" not in names]
    assert not missing, f"the wheel lacks model files: {missing}"
    for data in ("unpixel/data/astronaut.jpg", "unpixel/data/coffee.jpg", "unpixel/py.typed"):
        assert data in names, f"the wheel lacks {data}"


@pytest.mark.slow
def test_wheel_installs_and_restores_in_a_fresh_venv(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    start = time.perf_counter()
    wheel = _build_wheel(tmp_path)
    _check_wheel_contents(wheel)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python, unpixel = venv / "bin" / "python", venv / "bin" / "unpixel"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    wheelhouse = os.environ.get("UNPIXEL_WHEELHOUSE")
    if wheelhouse:
        pip += ["--no-index", "--find-links", wheelhouse]
    _run([*pip, str(wheel)])
    installed = {
        line.split("==")[0].lower()
        for line in _run([str(python), "-m", "pip", "freeze", "--all"]).stdout.split()
    }
    assert installed >= RUNTIME_DEPS
    assert not {"tensorflow", "tensorflow-cpu", "onnxruntime", "keras"} & installed
    assert _run([str(python), "-c", NO_TENSORFLOW]).stdout.strip() == "ok"

    sample, out = tmp_path / "censored.png", tmp_path / "restored"
    _run([str(python), "-c", MAKE_SAMPLE, str(sample), *map(str, REGION)])
    rows = json.loads(_run([str(unpixel), "restore", str(sample), "-o", str(out), "--json"]).stdout)
    assert rows[0]["pixelated"] and rows[0]["block"] == 8 and rows[0]["phase"] == [3, 5]

    before, after = cv2.imread(str(sample)), cv2.imread(str(out / sample.name))
    assert after is not None and after.shape == before.shape
    x, y, w, h = REGION
    inside = np.abs(after[y : y + h, x : x + w].astype(int) - before[y : y + h, x : x + w])
    assert inside.mean() > 1.0, "the pixelated region came back unchanged"
    outside = np.ones(before.shape[:2], bool)
    outside[y - 8 : y + h + 8, x - 8 : x + w + 8] = False  # cells grown to the grid
    assert np.array_equal(after[outside], before[outside]), "clean pixels changed"

    site = next((venv / "lib").glob("python*/site-packages"))
    package = site / "unpixel"
    mib = 2**20
    print(
        f"\ninstall check: {time.perf_counter() - start:.1f} s; site-packages "
        f"{_tree_size(site) / mib:.0f} MiB, unpixel itself {_tree_size(package) / mib:.1f} MiB, "
        f"wheel {wheel.stat().st_size / mib:.1f} MiB"
    )
