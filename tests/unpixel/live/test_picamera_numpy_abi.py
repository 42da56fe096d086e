"""The picamera2 numpy-ABI trap: Debian's simplejpeg (numpy 1.x) under numpy 2.

Stand-in ``picamera2`` and ``simplejpeg`` packages on PYTHONPATH, in a child process, fail
on import the way the real ones do on Raspberry Pi OS Bookworm with numpy 2. The CLI must
say in one line what to do, exit 1 (a failure of the install, not of the command line) and
show no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from unpixel.errors import SourceError
from unpixel.live.picamera import import_picamera2, numpy_abi_mismatch

DTYPE_SIZE = (
    "numpy.dtype size changed, may indicate binary incompatibility. "
    "Expected 96 from C header, got 88 from PyObject"
)
MULTIARRAY = "numpy.core.multiarray failed to import"


def _stand_ins(root: Path, raise_line: str) -> Path:
    """picamera2 importing simplejpeg, whose import runs ``raise_line``."""
    (root / "picamera2").mkdir(parents=True)
    (root / "picamera2" / "__init__.py").write_text("import simplejpeg\nPicamera2 = object\n")
    (root / "simplejpeg").mkdir()
    (root / "simplejpeg" / "__init__.py").write_text(raise_line + "\n")
    return root


def _live(pythonpath: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pythonpath), *sys.path])}
    return subprocess.run(
        [sys.executable, "-m", "unpixel", "live", "--source", "picamera2", "--max-frames", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    "raise_line",
    [f"raise ValueError({DTYPE_SIZE!r})", f"raise ImportError({MULTIARRAY!r})"],
    ids=["dtype-size-changed", "multiarray-failed"],
)
def test_live_names_the_fix_in_one_line(tmp_path, raise_line):
    result = _live(_stand_ins(tmp_path / "site", raise_line), tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = [x for x in lines if x.startswith("error:")]
    assert line.startswith("error: picamera2 cannot be imported: a package it loads (simplejpeg)")
    assert "pip install --force-reinstall --no-deps simplejpeg" in line
    assert "docs/deploy-pi.md" in line
    assert not (tmp_path / "out").exists()  # nothing was opened or written


def test_a_missing_picamera2_still_says_how_to_install(tmp_path):
    empty = tmp_path / "site"
    empty.mkdir()
    code = (
        "import sys; sys.modules['picamera2'] = None\n"
        "from unpixel.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "live", "--source", "picamera2", "--max-frames", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "sudo apt install python3-picamera2" in result.stderr
    assert "--system-site-packages" in result.stderr
    assert "Traceback" not in result.stderr


def test_abi_errors_are_told_apart_from_other_import_errors():
    assert numpy_abi_mismatch(ValueError(DTYPE_SIZE))
    assert numpy_abi_mismatch(ImportError(MULTIARRAY))
    wrapped = RuntimeError("camera stack failed")
    wrapped.__cause__ = ImportError(MULTIARRAY)
    assert numpy_abi_mismatch(wrapped)
    assert not numpy_abi_mismatch(ImportError("No module named 'libcamera'"))
    assert not numpy_abi_mismatch(ValueError("bad value"))


def test_another_import_failure_is_one_source_error(monkeypatch, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "picamera2.py").write_text("raise OSError('libcamera.so.0.3: cannot open')\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    with pytest.raises(SourceError, match=r"picamera2 cannot be imported: OSError: libcamera"):
        import_picamera2()


def test_any_failure_to_open_the_camera_is_one_source_error(monkeypatch, tmp_path):
    from unpixel.live.picamera import Picamera2Source

    site = tmp_path / "site"
    site.mkdir()
    (site / "picamera2.py").write_text("class Picamera2:\n    pass\n")  # takes no camera number
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    with pytest.raises(SourceError, match=r"cannot open Raspberry Pi camera 0: .*no arguments"):
        Picamera2Source()
