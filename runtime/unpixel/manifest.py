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
        if not path.is_file():
            raise ModelError(f"model file {path} is missing")
        actual = sha256_file(path)
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


def load_manifest(path: str | Path) -> list[ModelEntry]:
    """Read a manifest; :class:`ModelError` if it is missing or malformed."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
        return [
            ModelEntry(
                **{k: v for k, v in m.items() if k in _KNOWN},
                extra={k: v for k, v in m.items() if k not in _KNOWN},
            )
            for m in doc["models"]
        ]
    except FileNotFoundError:
        raise ModelError(f"no model manifest at {path}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"model manifest {path} is malformed: {exc}") from exc


def entry_to_dict(entry: ModelEntry) -> dict[str, Any]:
    """The JSON form of an entry (extra fields inline)."""
    out = {k: getattr(entry, k) for k in _FIELDS}
    out.update(entry.extra)
    return out
