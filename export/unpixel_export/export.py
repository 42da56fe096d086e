"""Export trained .keras models to every deployable format of the format table.

One registry, :data:`CONVERTERS`, maps each row of :data:`unpixel.formats.FORMATS` to its
converter; the CLI's choices and the tests come from the same table. Each artifact is
written atomically, loaded back in its runtime engine (which reads its dtypes and
quantisation parameters for the manifest) and registered in ``models/manifest.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unpixel.engines import open_engine
from unpixel.errors import ModelError, SinkError
from unpixel.formats import DEPLOY_FORMATS, FORMATS, Format
from unpixel.io import write_atomic
from unpixel.manifest import ModelEntry, load_manifest, sha256_file
from unpixel_export.classifier_form import s2d_first_form
from unpixel_export.first_conv import split_first_conv
from unpixel_export.fp16_exact import fp16_form
from unpixel_export.int8_form import int8_form
from unpixel_export.keras2onnx import keras2onnx, onnx2int8
from unpixel_export.keras2tflite import Representative, keras2tflite
from unpixel_export.keras_infer import load_keras
from unpixel_export.representative import as_generator
from unpixel_export.ship import NORMALISATION, tier_of_name

Converter = Callable[[Any, Representative, dict[str, Any]], bytes]
"""(Keras model, representative data, metadata) -> the artifact's bytes."""


def _int8_tflite(model: Any, rep: Representative, meta: dict[str, Any]) -> bytes:
    if meta.get("task") != "restorer":
        return keras2tflite(s2d_first_form(model), "int8", rep)
    flatbuffer = keras2tflite(int8_form(model, list(rep())), "int8", rep, unit_output=True)
    return split_first_conv(flatbuffer)


def _int8_onnx(model: Any, rep: Representative, meta: dict[str, Any]) -> bytes:
    if meta.get("task") != "restorer":
        return onnx2int8(keras2onnx(s2d_first_form(model)), rep, meta)
    return onnx2int8(keras2onnx(int8_form(model, list(rep()))), rep, meta, unit_output=True)


CONVERTERS: dict[str, Converter] = {
    "tflite-fp32": lambda model, rep, meta: keras2tflite(s2d_first_form(model), "fp32"),
    "tflite-fp16": lambda model, rep, meta: keras2tflite(fp16_form(model), "fp16"),
    "tflite-int8": _int8_tflite,
    "onnx-fp32": lambda model, rep, meta: keras2onnx(s2d_first_form(model), meta),
    "onnx-int8": _int8_onnx,
}
"""Restorers reach int8 through :func:`int8_form` with the output quantised as pixels (in
LiteRT, the first convolution then split by :func:`split_first_conv`: same output); fp16
is made from :func:`fp16_form` (float16-exact Rescaling constants). Classifiers with
space-to-depth export their fixed front computed after it (:func:`s2d_first_form`: the same
function, fewer passes over thin tensors; commit b39d818), except to fp16: its 1x1
indicator weights (-1/6) are not float16 values, and fp16 must match Keras within 1e-4."""
assert set(CONVERTERS) == set(DEPLOY_FORMATS), "every deployable format needs a converter"


@dataclass(frozen=True)
class Source:
    """A trained .keras model to export, with what its manifest entry says about it."""

    path: Path
    task: str  # "classifier" or "restorer"
    scale: int | None
    extra: dict[str, Any]  # threshold and tile (classifier), copied into every artifact

    @property
    def name(self) -> str:
        """The model's name (``classifier``, ``restorer_x2``)."""
        return self.path.stem

    @classmethod
    def from_path(cls, path: Path) -> Source:
        """Describe ``path``, taking threshold and tile from the manifest next to it if any."""
        if not path.is_file():
            raise ModelError(f"no model file at {path}")
        task = "classifier" if path.stem.startswith("classifier") else "restorer"
        scale = None
        if task == "restorer":
            try:
                scale = int(path.stem.rsplit("x", 1)[1])
            except (IndexError, ValueError):
                raise ModelError(
                    f"cannot tell the scale of {path.name}: name restorers restorer_xN.keras"
                ) from None
        extra: dict[str, Any] = {}
        try:
            digest = sha256_file(path)
            for e in load_manifest(path.parent / "manifest.json"):
                if e.format == "keras" and e.sha256 == digest:
                    extra = {k: e.extra[k] for k in ("threshold", "tile") if k in e.extra}
        except ModelError:
            pass
        if task == "restorer":
            extra["tier"] = tier_of_name(path.stem)
        return cls(path, task, scale, extra)


def check_writable(folder: Path) -> None:
    """Fail early, before any conversion, when ``folder`` cannot take files."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SinkError(f"cannot create output folder {folder}: {exc.strerror or exc}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SinkError(f"output folder {folder} is not writable")


def export_model(
    source: Source,
    fmt: Format,
    out_dir: Path,
    representative: Representative,
    model: Any | None = None,
) -> ModelEntry:
    """Convert one model to one format, write it atomically, load it back, describe it."""
    if fmt.name not in CONVERTERS:
        raise ValueError(f"format {fmt.name!r} is not an export target")
    model = model if model is not None else load_keras(source.path)
    metadata = {
        "task": source.task,
        "scale": source.scale,
        "format": fmt.name,
        "normalisation": NORMALISATION,
        "source_sha256": sha256_file(source.path),
        **source.extra,
    }
    data = CONVERTERS[fmt.name](model, representative, metadata)
    path = out_dir / fmt.file_name(source.name)
    write_atomic(path, data)
    try:
        with open_engine(path, fmt, num_threads=1) as engine:
            inputs, outputs = [engine.input.to_dict()], [engine.output.to_dict()]
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return ModelEntry(
        name=source.name,
        task=source.task,
        format=fmt.name,
        precision=fmt.precision,
        file=path.name,
        sha256=sha256_file(path),
        bytes=len(data),
        scale=source.scale,
        inputs=inputs,
        outputs=outputs,
        extra={
            "normalisation": NORMALISATION,
            "source": source.path.name,
            "source_sha256": metadata["source_sha256"],
            "runs_on": fmt.runs_on,
            **source.extra,
        },
    )


def export_all(
    sources: Sequence[Source],
    formats: Sequence[Format],
    out_dir: Path,
    representatives: Callable[[Source], Representative],
) -> list[ModelEntry]:
    """Every source in every format; ``representatives`` makes each model's calibration set."""
    check_writable(out_dir)
    entries = []
    for source in sources:
        model = load_keras(source.path)
        samples: list[Any] = []
        if any(f.precision == "int8" for f in formats):
            samples = list(representatives(source)())
            if not samples:
                raise ValueError(
                    f"the representative set for {source.name} is empty: "
                    "int8 export needs calibration samples"
                )
        rep = as_generator(samples)
        for fmt in formats:
            entries.append(export_model(source, fmt, out_dir, rep, model))
            print(
                f"{source.name}: {fmt.name:12s} -> {out_dir / entries[-1].file} "
                f"({entries[-1].bytes / 1024:.0f} KiB)",
                flush=True,
            )
    return entries


def parse_formats(names: Sequence[str] | None) -> list[Format]:
    """Format rows from names (all deployable formats when None); ValueError suggests."""
    from unpixel.formats import get_format

    if not names:
        return [FORMATS[n] for n in DEPLOY_FORMATS]
    out = []
    for name in names:
        fmt = get_format(name)
        if fmt.name not in CONVERTERS:
            raise ValueError(
                f"{name!r} is the source format, not an export target "
                f"(choose from {', '.join(DEPLOY_FORMATS)})"
            )
        out.append(fmt)
    return out
