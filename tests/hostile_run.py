"""The runner of tests/test_hostile.py: cases in a worker thread with a timeout, the CLI.

:func:`guarded` runs :class:`~tests.hostile_api.ApiCase` objects one at a time in a worker
thread, so a case that hangs is reported after :data:`TIMEOUT_S` instead of blocking the
run; :data:`CASES` counts every case run, by kind.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from tests.hostile_api import ApiCase
from unpixel.terminal import shown

TIMEOUT_S = 30.0
"""Longest one in-process case may take before it counts as a hang."""
CLI = [sys.executable, "-m", "unpixel"]
CASES: collections.Counter[str] = collections.Counter()
"""Cases run so far, by kind (printed by the test module at its end)."""


def guarded(kind: str, cases: Iterable[ApiCase]) -> list[str]:
    """Run each case in a worker thread; return what went wrong (crash, hang, bad result)."""
    problems: list[str] = []
    worker = ThreadPoolExecutor(1, thread_name_prefix="hostile")
    try:
        for case in cases:
            CASES[kind] += 1
            future = worker.submit(outcome, case)
            try:
                problem = future.result(timeout=TIMEOUT_S)
            except FutureTimeout:
                problems.append(f"{case.label}: no answer within {TIMEOUT_S:g} s (hang)")
                break  # the worker is stuck; the rest cannot run
            if problem:
                problems.append(f"{case.label}: {problem}")
    finally:
        worker.shutdown(wait=False)
    return problems


def outcome(case: ApiCase) -> str | None:
    """None when ``case`` behaved (a checked result or an allowed error), else what it did."""
    try:
        result = case.call()
    except case.allowed:
        return None
    except BaseException as exc:  # anything else is the crash looked for
        return f"crashed: {type(exc).__name__}: {exc}"[:300]
    if case.check is not None:
        try:
            case.check(result)
        except Exception as exc:  # a check that fails is a wrong result
            return f"wrong result: {type(exc).__name__}: {exc}"[:300]
    return None


def leftovers(folder: Path) -> list[str]:
    """Temporary files (dot files: every writer's temp name starts with a dot) under ``folder``."""
    return sorted(p.name for p in folder.rglob(".*"))


def run_cli(*args: str, timeout: float = 300) -> tuple[int, str, str]:
    """``unpixel ARGS`` in a subprocess: (exit status, stdout, stderr)."""
    done = subprocess.run([*CLI, *args], capture_output=True, timeout=timeout)
    out, err = (b.decode("utf-8", "backslashreplace") for b in (done.stdout, done.stderr))
    return done.returncode, out, err


def errors_for(stderr: str, paths: list[Path]) -> dict[Path, int]:
    """How many ``error: PATH:`` lines name each path."""
    lines = stderr.splitlines()
    return {p: sum(line.startswith(shown(f"error: {p}:")) for line in lines) for p in paths}
