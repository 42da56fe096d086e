"""Find the model files a pipeline runs: the shipped manifest (sha256 checked) or user paths."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from unpixel.errors import ModelError
from unpixel.formats import Format, format_for
from unpixel.manifest import ModelEntry, load_manifest
from unpixel.options import PipelineOptions, default_models_dir

DEFAULT_THRESHOLD = 0.5
"""Used for a user-given classifier when no threshold is given either."""


@dataclass(frozen=True)
class ModelFiles:
    """Resolved, verified model files for one format."""

    format: Format
    classifier: Path
    threshold: float
    restorers: dict[int, Path]


def tier_of(entry: ModelEntry) -> str:
    """A restorer entry's tier (``extra["tier"]``); entries from before tiers are "fast"."""
    return str(entry.extra.get("tier", "fast"))


def _find(
    entries: list[ModelEntry], fmt: Format, task: str, scale: int | None, tier: str = "fast"
) -> ModelEntry:
    for e in entries:
        same_model = e.task == task and (scale is None or e.scale == scale)
        if same_model and e.format == fmt.name and (task != "restorer" or tier_of(e) == tier):
            return e
    what = task if scale is None else f"{task} x{scale}"
    what += f" ({tier} tier)" if task == "restorer" and tier != "fast" else ""
    raise ModelError(
        f"the manifest has no {what} in format {fmt.name!r}; "
        f"run: unpixel export --formats {fmt.name}"
    )


def _verified(entry: ModelEntry, root: Path) -> Path:
    """The entry's file after checking it lies inside ``root`` and matches its sha256."""
    path = entry.path(root)
    if not path.resolve().is_relative_to(root.resolve()):
        raise ModelError(f"the manifest names {entry.file!r}, outside {root}: refused")
    return entry.verify(root)


def _threshold(entry: ModelEntry) -> float:
    """The classifier entry's threshold, checked: a finite number strictly between 0 and 1."""
    value = entry.extra.get("threshold", DEFAULT_THRESHOLD)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not 0.0 < value < 1.0:
        raise ModelError(
            f"the manifest's {entry.name!r} has threshold {value!r:.40}; "
            "it must be a number between 0 and 1"
        )
    return float(value)


def resolve(options: PipelineOptions) -> ModelFiles:
    """The files ``options`` ask for; manifest files are checked against their sha256.

    Args:
        options: the pipeline's options (backend, precision, models folder, user files).

    Returns:
        The classifier, its threshold and the restorers by scale.

    Raises:
        ModelError: the manifest is missing or malformed (its classifier threshold too),
            lacks a file the format needs, names a file outside its folder, or a file does
            not match its sha256.

    """
    fmt = format_for(options.backend, options.precision)
    root = Path(options.models_dir) if options.models_dir else default_models_dir()
    need_manifest = options.classifier is None or set(options.restorers) != {2, 3, 4}
    entries = load_manifest(root / "manifest.json") if need_manifest else []
    if options.classifier is not None:
        classifier = Path(options.classifier)
        threshold = options.threshold or DEFAULT_THRESHOLD
    else:
        entry = _find(entries, fmt, "classifier", None)
        threshold = options.threshold or _threshold(entry)
        classifier = _verified(entry, root)
    restorers = {}
    for scale in (2, 3, 4):
        if scale in options.restorers:
            restorers[scale] = Path(options.restorers[scale])
        else:
            entry = _find(entries, fmt, "restorer", scale, options.restorer)
            restorers[scale] = _verified(entry, root)
    return ModelFiles(fmt, classifier, threshold, restorers)
