"""unpixel.progress: a tqdm bar on a terminal only, never when quiet or piped.

The terminal is a real pseudo-terminal (``pty.openpty``) given to a child process as its
stderr; the piped cases read what a pipe got.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from unpixel.progress import progress, shows_progress
from unpixel.terminal import QUIET, set_verbosity, verbosity

CHILD = """
import sys
from unpixel.progress import progress
from unpixel.terminal import set_verbosity

set_verbosity(int(sys.argv[1]))
items = list(progress(range(3), label=sys.argv[2]))
print(items)
"""


def _on_a_terminal(level: int, label: str = "photos") -> tuple[str, str]:
    """Run the child with a pty as stderr; return (stdout, what the terminal got)."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(level), label],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=60,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # EIO: the child's end is closed and everything was read
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return proc.stdout, b"".join(chunks).decode(errors="replace")


def test_a_bar_on_a_terminal():
    out, tty = _on_a_terminal(0)
    assert out.strip() == "[0, 1, 2]"
    assert "photos" in tty
    assert "3/3" in tty
    assert "100%" in tty


def test_quiet_draws_nothing_even_on_a_terminal():
    out, tty = _on_a_terminal(QUIET)
    assert out.strip() == "[0, 1, 2]"
    assert tty == ""


def test_label_escape_sequences_are_shown_not_sent():
    _, tty = _on_a_terminal(0, label="\x1b[2Jevil")
    assert "\\x1b[2Jevil" in tty
    assert "\x1b[2J" not in tty


def test_nothing_when_stderr_is_piped(capsys):
    assert list(progress(["a", "b"], label="x")) == ["a", "b"]
    assert capsys.readouterr().err == ""
    assert not shows_progress()


def test_unknown_or_zero_total_yields_everything():
    assert list(progress(iter(range(4)))) == [0, 1, 2, 3]
    assert list(progress([], total=0)) == []


def test_verbosity_is_checked():
    before = verbosity()
    try:
        set_verbosity(QUIET)
        assert not shows_progress()
    finally:
        set_verbosity(before)
