"""CLI conventions (issue 21, item 7): --version, -q / -v, help on every flag, exit codes.

The -q / -v cases run the real command in a child process: LiteRT's GPU delegate is absent
here, so ``--delegate gpu`` gives a real ``warning:`` line to silence.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unpixel import __version__, cli
from unpixel.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = str(REPO / "runtime" / "unpixel" / "data" / "coffee.jpg")
NOT_OURS = {"eval", "train"}  # their flags are defined in unpixel_export.eval_cli / train_cli


def _unpixel(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "unpixel", *argv], capture_output=True, text=True, timeout=120
    )


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"unpixel {__version__}"


@pytest.mark.parametrize(
    "command", [None, *sorted(set(_subcommands(build_parser())) - NOT_OURS)], ids=str
)
def test_every_flag_has_help(command):
    parser = build_parser()
    if command is not None:
        parser = _subcommands(parser)[command]
    undocumented = [
        a.option_strings or [a.dest]
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
        and a.help != argparse.SUPPRESS
        and not a.help
    ]
    assert undocumented == []


def test_quiet_keeps_results_and_errors_and_drops_warnings():
    loud = _unpixel("detect", "--delegate", "gpu", SAMPLE)
    assert loud.returncode == 0
    assert any(
        line.startswith("warning: LiteRT delegate 'gpu'") for line in loud.stderr.splitlines()
    )
    for argv in (("-q", "detect"), ("detect", "-q"), ("--quiet", "detect")):
        quiet = _unpixel(*argv, "--delegate", "gpu", SAMPLE)
        assert quiet.returncode == 0
        assert quiet.stdout == loud.stdout  # the results are what the command is for
        assert not re.search(r"^(warning|note|debug):", quiet.stderr, re.M), quiet.stderr
    missing = _unpixel("-q", "detect", "no-such-file.png")
    assert missing.returncode == 1
    assert [x for x in missing.stderr.splitlines() if x.startswith("error:")]


def test_verbose_says_versions_and_the_time():
    result = _unpixel("detect", "-v", SAMPLE)
    assert result.returncode == 0
    debug = [x for x in result.stderr.splitlines() if x.startswith("debug:")]
    assert debug[0].startswith(f"debug: unpixel {__version__}, Python ")
    assert re.fullmatch(r"debug: unpixel detect: \d+\.\d\d s", debug[-1])


def test_quiet_and_verbose_together_is_a_usage_error():
    result = _unpixel("-q", "-v", "detect", SAMPLE)
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_the_documented_exit_codes_are_the_cli_constants():
    doc = (REPO / "docs" / "cli.md").read_text()
    codes = {int(code) for code in re.findall(r"^\| (\d+) \| ", doc, re.M)}
    assert codes >= {
        cli.EXIT_OK,
        cli.EXIT_FAIL,
        cli.EXIT_USAGE,
        cli.EXIT_INTERRUPTED,
        cli.EXIT_UNREAD,
        129,
        131,
        143,
    }
