"""The manifest of a distributed restore: one JSON line per input, read back to resume.

Each finished input (restored, copied or failed) appends one line to the manifest file
(:data:`MANIFEST_NAME` in the output folder unless told otherwise). A line holds the
input's path, size and modification time, the output's path, size and sha256, the status,
the detection summary, the timings and the error. A rerun reads the manifest and skips an
input whose last line says ``done`` while the input is unchanged (same size and mtime) and
the output still has the recorded size and sha256; everything else is done again.

Lines are appended whole, one ``write`` each, and flushed; a line cut short by a crash
does not parse and is ignored, so the input it was for is simply done again.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from unpixel.errors import SinkError, UnpixelError

MANIFEST_NAME = "unpixel-manifest.jsonl"
"""The manifest's file name in the output folder (not an image or video suffix, so a later
``unpixel restore`` of that folder never takes it for an input)."""

DONE, FAILED = "done", "failed"
"""The two statuses a manifest line has."""


def sha256_of(path: Path) -> str:
    """The sha256 of a file's bytes, hex.

    Raises:
        OSError: the file cannot be read.

    """
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class InputStamp:
    """What identifies one version of an input file: its size and modification time."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> InputStamp:
        """The stamp of ``path`` now.

        Raises:
            OSError: the file cannot be looked at.

        """
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns)


def new_entry(src: Path, dest: Path, kind: str, stamp: InputStamp | None) -> dict[str, Any]:
    """A manifest entry before the work: ``failed`` with no error until the work says more.

    Args:
        src: the input file.
        dest: its output file.
        kind: ``image`` or ``video``.
        stamp: the input's size and mtime, or None when it could not be looked at.

    Returns:
        The entry: input and output, kind, status, stamp, this process (``host:pid``),
        and empty ``error``, ``detection`` and ``timings_ms``.

    """
    return {
        "input": str(src),
        "output": str(dest),
        "kind": kind,
        "status": FAILED,
        "input_size": stamp.size if stamp else None,
        "input_mtime_ns": stamp.mtime_ns if stamp else None,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "error": None,
        "detection": None,
        "timings_ms": {},
    }


def failure_text(exc: BaseException) -> str:
    """An error as a manifest entry says it: the message, with the type for a bug."""
    if isinstance(exc, UnpixelError | ValueError | OSError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def output_facts(dest: Path) -> dict[str, Any]:
    """The manifest fields of a written output: its path, size and sha256.

    Raises:
        OSError: the output cannot be read back.

    """
    return {"output": str(dest), "output_size": dest.stat().st_size, "sha256": sha256_of(dest)}


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """The last manifest line of each input, by input path; {} when there is no manifest.

    Lines that do not parse as a JSON object with an ``input`` string (a line cut short by
    a crash, a stray edit) are ignored.

    Raises:
        SinkError: the manifest exists but cannot be read.

    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SinkError(f"cannot read the manifest {path}: {exc.strerror or exc}") from None
    last: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("input"), str):
            last[entry["input"]] = entry
    return last


def is_done(entry: dict[str, Any] | None, src: Path, dest: Path) -> bool:
    """Whether a manifest entry shows ``src`` already restored to ``dest``, unchanged since.

    True only when the entry's status is ``done``, its output is ``dest``, the input's size
    and mtime equal the recorded ones, and ``dest`` has the recorded size and sha256.
    """
    if not entry or entry.get("status") != DONE or entry.get("output") != str(dest):
        return False
    try:
        stamp = InputStamp.of(src)
        if [stamp.size, stamp.mtime_ns] != [entry.get("input_size"), entry.get("input_mtime_ns")]:
            return False
        if dest.stat().st_size != entry.get("output_size"):
            return False
        return sha256_of(dest) == entry.get("sha256")
    except OSError:
        return False


class ManifestWriter:
    """Appends manifest lines to a file, one whole line per ``write`` call, flushed.

    Args:
        path: the manifest file; created (with its folder) when missing, appended to
            otherwise.

    Raises:
        SinkError: the manifest cannot be opened for appending.

    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: TextIO = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise SinkError(f"cannot write the manifest {path}: {exc.strerror or exc}") from None

    def append(self, entry: dict[str, Any]) -> None:
        """Append one entry as a JSON line and push it to the disk.

        Raises:
            SinkError: the line cannot be written.

        """
        line = json.dumps(entry, sort_keys=True, ensure_ascii=True) + "\n"
        try:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise SinkError(
                f"cannot write the manifest {self.path}: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._file.close()

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
