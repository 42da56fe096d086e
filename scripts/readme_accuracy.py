"""Rewrite the real-world block of README.md from reports/realworld_validation.json.

The block lies between ``<!-- realworld:start -->`` and ``<!-- realworld:end -->``; the rest
of the README is left as it is (written atomically). Run by ``make reports`` after
``unpixel eval --task realworld``; tests/test_readme_accuracy.py checks the README holds
what this writes.

    .venv/bin/python scripts/readme_accuracy.py
"""

from __future__ import annotations

import json
from pathlib import Path

from unpixel.io import write_atomic
from unpixel_export.realworld_report import headline_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
REPORT = ROOT / "reports" / "realworld_validation.json"
START, END = "<!-- realworld:start -->", "<!-- realworld:end -->"


def block(report: dict) -> str:
    """The block's text (markers included) for a real-world report."""
    return f"{START}\n{headline_table(report)}\n{END}"


def rewrite(text: str, report: dict) -> str:
    """``text`` with its block replaced; ValueError when the markers are missing."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {START} ... {END} block")
    return text[:start] + block(report) + text[end + len(END) :]


def main() -> None:
    """Write the block into README.md."""
    report = json.loads(REPORT.read_text())
    write_atomic(README, rewrite(README.read_text(), report).encode())


if __name__ == "__main__":
    main()
