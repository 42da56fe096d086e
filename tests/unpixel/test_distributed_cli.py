"""``unpixel restore --ray`` at the command line, without a cluster: flags, errors, the extra.

Without the ``ray`` extra (Ray blocked in a child process, as in test_cli_extras.py), the
flag is one line naming the extra and exit status 1, with nothing written.
"""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np

from unpixel.cli import main

RUN_BLOCKED = """
import sys


class Refuse:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] == "ray":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Refuse)
from unpixel.cli import main

status = main(sys.argv[1:])
print("ray imported:", "ray" in sys.modules)
sys.exit(status)
"""


def _image(tmp_path):
    path = tmp_path / "a.png"
    cv2.imwrite(str(path), np.zeros((64, 64, 3), np.uint8))
    return path


def test_without_the_extra_one_line_names_it(tmp_path):
    out = tmp_path / "out"
    argv = ["restore", str(_image(tmp_path)), "-o", str(out), "--ray"]
    result = subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: unpixel restore --ray needs the ray extra ('ray' is not installed): "
        "pip install 'unpixel[ray]'"
    ]
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.endswith("ray imported: False\n")
    assert not out.exists()  # no folder, no manifest


def test_importing_the_module_and_the_parser_leave_ray_out():
    code = (
        "import sys, unpixel.distributed, unpixel.cli; unpixel.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'ray'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_help_shows_the_flags(capsys):
    try:
        main(["restore", "--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for flag in ("--ray [ADDRESS]", "--actors N", "--manifest FILE", "--redo"):
        assert flag in out


def test_ray_before_the_inputs_is_a_clear_error(tmp_path, capsys):
    image = _image(tmp_path)
    status = main(["restore", "--ray", str(image), str(image), "-o", str(tmp_path / "out")])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --ray took {str(image)!r} as the cluster's address: put --ray after the inputs"
    )
    assert not (tmp_path / "out").exists()
