"""The model manifest (``models/manifest.json``): what each shipped file is, and its sha256.

The runtime verifies a file's sha256 against its entry before any interpreter sees it and
refuses a file that does not match.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unpixel.errors import ModelError

SCHEMA = 1


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelEntry:
    """One shipped model file, as the manifest describes it."""

    name: str
    task: str  # "classifier" or "restorer"
    format: str  # a row of the format table: "keras", "tflite-int8", ...
    precision: str
    file: str  # relative to the manifest's folder
    sha256: str
    bytes: int
    scale: int | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def path(self, root: Path) -> Path:
        """The file's path under the manifest's folder."""
        return root / self.file

    def verify(self, root: Path) -> Path:
        """Return the file's path after checking it exists and matches its sha256."""
        path = self.path(root)
        try:
            if not path.is_file():
                raise ModelError(f"model file {path} is missing")
            actual = sha256_file(path)
        except OSError as exc:  # a name too long for the file system, a folder unreadable
            raise ModelError(f"cannot read model file {self.file!r:.80}: {exc.strerror}") from None
        if actual != self.sha256:
            raise ModelError(
                f"model file {path} does not match the manifest (sha256 {actual[:12]}..., "
                f"expected {self.sha256[:12]}...): refusing to load a changed or corrupt file"
            )
        return path


_FIELDS = (
    "name",
    "task",
    "format",
    "precision",
    "scale",
    "file",
    "sha256",
    "bytes",
    "inputs",
    "outputs",
)
_KNOWN = set(_FIELDS)


_REQUIRED = ("name", "task", "format", "precision", "file", "sha256", "bytes")


def _check_entry(m: object, where: str) -> dict[str, Any]:
    """The fields of one ``models`` item after checking their types; ModelError otherwise."""
    if not isinstance(m, dict):
        raise ModelError(f"{where} must be an object, got {type(m).__name__}")
    for key in _REQUIRED:
        if key not in m:
            raise ModelError(f"{where} has no {key!r}")
    for key in ("name", "task", "format", "precision", "file", "sha256"):
        if not isinstance(m[key], str):
            raise ModelError(f"{where}.{key} must be a string, got {m[key]!r:.40}")
    file = m["file"]
    if not file or "\0" in file or Path(file).is_absolute():
        raise ModelError(f"{where}.file must be a relative path, got {file!r:.80}")
    for key in ("bytes", "scale"):
        value = m.get(key)
        if key == "scale" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ModelError(f"{where}.{key} must be a whole number >= 0, got {value!r:.40}")
    for key in ("inputs", "outputs"):
        value = m.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ModelError(f"{where}.{key} must be a list of objects, got {value!r:.40}")
    return m


def load_manifest(path: str | Path) -> list[ModelEntry]:
    """Read a manifest and check every entry's fields.

    Args:
        path: the ``manifest.json`` file.

    Returns:
        Its entries, in order.

    Raises:
        ModelError: the file is missing or unreadable, not JSON (or nested too deeply), not
            an object with a ``models`` list, or an entry has a missing or mistyped field
            (the message names it, e.g. ``models[0].sha256 must be a string``).

    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"no model manifest at {path}") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"model manifest {path} is malformed: {exc}") from exc
    except RecursionError:
        raise ModelError(f"model manifest {path} is malformed: nested too deeply") from None
    try:
        if not isinstance(doc, dict):
            raise ModelError(f"the top level must be an object, got {type(doc).__name__}")
        models = doc.get("models")
        if not isinstance(models, list):
            raise ModelError(f"'models' must be a list, got {models!r:.40}")
        checked = [_check_entry(m, f"models[{i}]") for i, m in enumerate(models)]
    except ModelError as exc:
        raise ModelError(f"model manifest {path} is malformed: {exc}") from None
    return [
        ModelEntry(
            **{k: v for k, v in m.items() if k in _KNOWN},
            extra={k: v for k, v in m.items() if k not in _KNOWN},
        )
        for m in checked
    ]


def entry_to_dict(entry: ModelEntry) -> dict[str, Any]:
    """The JSON form of an entry (extra fields inline)."""
    out = {k: getattr(entry, k) for k in _FIELDS}
    out.update(entry.extra)
    return out
