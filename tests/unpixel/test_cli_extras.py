"""Export-side commands on a runtime-only install: one line naming the extra, no traceback.

A child process runs the CLI behind a meta-path finder that refuses the blocked packages,
as if they were not installed (a real runtime-only wheel has ``unpixel_export`` but no
TensorFlow; a trimmed install may lack both).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from unpixel.cli import EXPORT_COMMANDS

RUN_BLOCKED = """
import sys

BLOCKED = set(sys.argv[1].split(","))


class Refuse:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Refuse)
for name in list(sys.modules):
    if name.partition(".")[0] in BLOCKED:
        del sys.modules[name]

from unpixel.cli import main

status = main(sys.argv[2:])
print("imported:", ",".join(sorted({m.partition(".")[0] for m in sys.modules} & BLOCKED)))
sys.exit(status)
"""

EVERYTHING = "unpixel_export,keras,tensorflow,tf2onnx,onnx"
TENSORFLOW = "keras,tensorflow"
COMMANDS = [c.name for c in EXPORT_COMMANDS]


def _run(blocked: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, blocked, *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_table_names_every_export_side_command():
    assert COMMANDS == ["eval", "train", "export", "data"]


@pytest.mark.parametrize("help_flag", [(), ("--help",), ("-h",)], ids=["run", "--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS)
def test_without_the_export_package_each_command_says_which_extra(command, help_flag):
    result = _run(EVERYTHING, command, *help_flag, "--images", "x")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1
    assert lines == [
        f"error: unpixel {command} needs the export extra ('unpixel_export' is not installed): "
        "pip install 'unpixel[export]'"
    ]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.endswith("imported: \n")  # none of the blocked packages loaded


@pytest.mark.parametrize("command", ["eval", "train", "export"])
def test_without_tensorflow_the_model_commands_name_the_extra(command):
    for argv in ((command,), (command, "--help")):
        result = _run(TENSORFLOW, *argv)
        assert result.returncode == 1, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"error: unpixel {command} needs the export extra (")
        assert line.endswith("pip install 'unpixel[export]'")
        assert "Traceback" not in result.stderr


def test_the_runtime_commands_still_work_and_list_the_missing_ones():
    result = _run(EVERYTHING, "--help")
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert f"{command} " in result.stdout
    assert "not installed" in result.stdout
    result = _run(EVERYTHING, "detect", "--help")
    assert result.returncode == 0 and "--backend" in result.stdout


def test_with_the_extra_the_real_arguments_are_there(capsys):
    from unpixel.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--epochs" in out and "not installed" not in out
