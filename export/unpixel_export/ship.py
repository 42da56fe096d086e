"""Register trained models: manifest entries for the .keras files and the model card.

``python -m unpixel_export.ship`` reads ``models/*.keras``, the training logs under
``out/train`` (or the copies kept in ``models/training/``) and the validation reports under
``reports/``, and writes ``models/manifest.json`` (atomically) and ``models/MODEL_CARD.md``.
Entries of other formats already in the manifest are kept.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from unpixel.io import write_atomic
from unpixel.manifest import SCHEMA, ModelEntry, entry_to_dict, sha256_file

NORMALISATION = "RGB (not BGR), float32 in [0, 1] = uint8 / 255; output the same (restorer)"


def tier_of_name(stem: str) -> str:
    """A restorer's tier from its file name: ``restorer_quality_x2`` -> "quality", else "fast"."""
    return "quality" if stem.startswith("restorer_quality_") else "fast"


def count_macs(model: Any) -> int:
    """Multiply-accumulates of one forward pass; spatial dims that are None count as 1."""
    import keras

    total = 0
    for layer in _walk(model):
        if isinstance(layer, keras.layers.Dense):
            total += int(layer.kernel.shape[0] * layer.kernel.shape[1])
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            h, w = (d or 1 for d in layer.output.shape[1:3])
            kernel = layer.kernel.shape  # (kh, kw, cin, cout or depth multiplier)
            total += int(h * w * kernel[0] * kernel[1] * kernel[2] * kernel[3])
    return total


def _walk(model: Any) -> list[Any]:
    out = []
    for layer in model.layers:
        out += _walk(layer) if hasattr(layer, "layers") else [layer]
    return out


def _io(tensors: list[Any]) -> list[dict[str, Any]]:
    return [{"name": t.name, "shape": list(t.shape), "dtype": str(t.dtype)} for t in tensors]


def keras_entry(path: Path, models_dir: Path, metrics: dict[str, Any]) -> ModelEntry:
    """A manifest entry for one .keras file."""
    import keras

    model = keras.saving.load_model(path, safe_mode=True)
    task = "classifier" if path.stem == "classifier" else "restorer"
    scale = None if task == "classifier" else int(path.stem.rsplit("x", 1)[1])
    logs = _training_logs(models_dir, path.stem)
    first = logs[0][1] if logs else {}
    macs = count_macs(model)
    extra: dict[str, Any] = {
        "normalisation": NORMALISATION,
        "parameters": int(model.count_params()),
        "macs": macs,
        "metrics": metrics,
        "produced_by": {
            "command": " && ".join(_command(task, log.get("options", {})) for _, log in logs)
            or f"unpixel train {task}",
            "data": f"data/corpus.json train split ({first.get('train_photos')} photos); "
            f"validation split ({first.get('validation_photos')} photos) held out",
            "training_logs": [str(p.relative_to(models_dir)) for p, _ in logs],
        },
    }
    if task == "classifier":
        if "threshold" in metrics:
            extra["threshold"] = metrics["threshold"]
        tile = int(model.input_shape[1])
        extra["tile"] = tile
        extra["macs_per_pixel"] = macs / (tile * tile)
    else:
        extra["tier"] = tier_of_name(path.stem)
        extra["macs_per_lr_pixel"] = macs
        extra["macs_per_output_pixel"] = macs / (scale * scale)
    return ModelEntry(
        name=path.stem,
        task=task,
        format="keras",
        precision="fp32",
        scale=scale,
        file=path.name,
        sha256=sha256_file(path),
        bytes=path.stat().st_size,
        inputs=_io(model.inputs),
        outputs=_io(model.outputs),
        extra=extra,
    )


def _training_logs(models_dir: Path, stem: str) -> list[tuple[Path, dict[str, Any]]]:
    """The logs of the runs that made ``stem``, in order: from scratch, then each fine-tune.

    A restorer's chain: ``restorer_xN`` (clean data), then ``_ft``; the quality tier
    ``restorer_quality_xN`` continues from the fast one's chain.
    """
    base = stem.replace("restorer_quality_", "restorer_")
    names = [base, f"{base}_ft"] + ([stem] if stem != base else [])
    out = []
    for name in names:
        log = models_dir / "training" / f"{name}.json"
        if log.exists():
            out.append((log, json.loads(log.read_text())))
    return out


def _command(task: str, o: dict[str, Any]) -> str:
    """The ``unpixel train`` command a training log's options stand for."""
    cmd = f"unpixel train {task}" + (f" --scale {o['scale']}" if task == "restorer" else "")
    if o.get("tier", "fast") != "fast":
        cmd += f" --tier {o['tier']}"
    if o.get("s2d", 1) > 1:
        cmd += f" --space-to-depth {o['s2d']}"
    if o.get("damage", "clean") != "clean":
        cmd += f" --damage {o['damage']}"
    if o.get("init"):
        cmd += f" --init {o['init']}"
    cmd += f" --epochs {o.get('epochs')} --steps {o.get('steps')} --batch {o.get('batch')}"
    if o.get("init"):
        cmd += f" --learning-rate {o.get('learning_rate')}"
    cmd += f" --seed {o.get('seed')}"
    if o.get("negative_mix", "base") != "base":
        cmd += f" --negative-mix {o['negative_mix']}"
    return cmd + (" (fine-tune)" if o.get("init") else "")


def copy_logs(models_dir: Path, train_dir: Path = Path("out/train")) -> None:
    """Keep the JSON training logs next to the models."""
    for log in sorted(train_dir.glob("*/log.json")):
        dest = models_dir / "training" / f"{log.parent.name}.json"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, dest)


def write_manifest(entries: list[ModelEntry], models_dir: Path) -> None:
    """Write the manifest, keeping entries of formats this call did not produce."""
    path = models_dir / "manifest.json"
    old: list[dict[str, Any]] = []
    if path.exists():
        old = json.loads(path.read_text()).get("models", [])
    new_keys = {(e.name, e.format) for e in entries}
    kept = [m for m in old if (m["name"], m["format"]) not in new_keys]
    doc = {"schema": SCHEMA, "models": kept + [entry_to_dict(e) for e in entries]}
    write_atomic(path, (json.dumps(doc, indent=1) + "\n").encode())


def attach_parity(models_dir: Path, reports: Path) -> None:
    """Copy each exported artifact's parity figures into its manifest entry ("parity").

    The figures come from ``reports/parity_validation.json``.
    """
    path, report = models_dir / "manifest.json", reports / "parity_validation.json"
    if not (path.exists() and report.exists()):
        return
    doc, parity = json.loads(path.read_text()), json.loads(report.read_text())
    for m in doc["models"]:
        if m["format"] == "keras":
            continue
        key = f"{m['name']} {m['format']}"
        entry: dict[str, Any] = {"split": "validation", "report": "reports/parity_validation.md"}
        if key in parity["max_abs"]:
            entry["max_abs_vs_keras"] = parity["max_abs"][key]
        if m["task"] == "classifier" and m["format"] in parity["detection"]:
            det = parity["detection"][m["format"]]
            entry.update(f1=det.get("f1"), fpr=det.get("fpr"))
            own = parity.get("thresholds", {}).get(m["format"])
            if own is not None:  # this artifact's own operating point, from the train split
                m["threshold"] = own
                entry["threshold_calibrated_on"] = "train"
        table = parity.get("psnr" if m.get("tier", "fast") == "fast" else "quality_psnr", {})
        if m["task"] == "restorer" and m["format"] in table:
            entry["psnr_cascade_by_block"] = table[m["format"]]
        m["parity"] = entry
    write_atomic(path, (json.dumps(doc, indent=1) + "\n").encode())


def _artifacts(models_dir: Path) -> str:
    path = models_dir / "manifest.json"
    if not path.exists():
        return "(no manifest)"
    rows = ["| file | format | input | output | size |", "|---|---|---|---|---:|"]
    for m in json.loads(path.read_text())["models"]:
        if m["format"] == "keras":
            continue
        io = []
        for t in (m["inputs"][0], m["outputs"][0]):
            q = f", scale {t['scale']:.6g}, zero point {t['zero_point']}" if t.get("scale") else ""
            io.append(f"{t['dtype']} {t['shape']}{q}")
        rows.append(
            f"| {m['file']} | {m['format']} | {io[0]} | {io[1]} | {m['bytes'] / 1024:.0f} KiB |"
        )
    return "\n".join(rows)


def _read(path: Path) -> str:
    return path.read_text().strip() if path.exists() else f"(not measured yet: {path} missing)"


def _metrics(reports: Path, task: str) -> dict[str, Any]:
    path = reports / f"{task}_validation.json"
    if not path.exists():
        return {}
    doc = json.loads(path.read_text())
    if task == "detect":
        return {
            "split": "validation",
            "threshold": doc["threshold"],
            "tile": doc["tile"],
            "clean_tiles": doc["clean_tiles"],
            "image": doc["image"],
        }
    return {"split": "validation", "psnr": doc["psnr"], "ssim": doc["ssim"]}


def model_card(entries: list[ModelEntry], reports: Path, models_dir: Path = Path("models")) -> str:
    """The model card, from the manifest entries and the validation reports."""
    rows = []
    for e in entries:
        x = e.extra
        if e.task == "classifier":
            macs = f"{x['macs'] / 1e6:.2f} M per {x['tile']} px tile ({x['macs_per_pixel']:.0f}/px)"
        else:
            per_out = x["macs_per_output_pixel"]
            macs = f"{x['macs_per_lr_pixel']} per LR pixel ({per_out:.0f} per output pixel)"
        rows.append(
            f"| {e.file} | {e.task} | {e.scale or '-'} | {x['parameters']:,} | {macs} "
            f"| {e.bytes / 1024:.0f} KiB | `{x['produced_by']['command']}` |"
        )
    return f"""# unpixel model card

Generated by `python -m unpixel_export.ship` from `models/manifest.json` and the reports under
`reports/`; every figure below was measured by code in this repository.

## Models

| file | task | scale | parameters | MACs | size | trained with |
|---|---|---:|---:|---|---:|---|
{chr(10).join(rows)}

- **Classifier**: `keras.applications.MobileNetV2` (alpha 0.35, weights=None, trained from
  scratch; batch-norm momentum 0.9 instead of Keras's 0.999, whose lagging moving statistics
  made inference-mode outputs collapse to one value) on native-resolution 64 px tiles, global
  average pooling, dropout 0.2, a sigmoid P(pixelated). The 64 x 64 x 7 input below enters the
  backbone through space-to-depth 2 as 32 x 32 x 28 (every pixel kept, not resized): 1.45x
  faster int8 than the 64 px backbone. Its exports (all but fp16) compute the fixed channels
  after the space-to-depth, on 32 x 32 cells with 12 -> 16 channel convolutions instead of
  3 -> 4 on 64 x 64 pixels (`unpixel_export/classifier_form.py`; the same function, max abs
  9e-8 from Keras): on an x86 machine with AVX512-VNNI, where int8 convolutions with 3-4
  channels are slow, 240 tiles took 12.7 ms int8 instead of 28.7 and 13.5 ms fp32 instead of
  20.3 (`scripts/classifier_form_speed.py`). Its input is the RGB tile plus four
  fixed (untrained) channels marking where neighbouring pixels are equal (luma step to the
  right and below, as `relu(1 - |step| * 255 / t)` for t = 2 and 6 levels): the evidence a
  mosaic leaves. They are built to survive 8-bit quantisation (the step convolution measures in
  levels with its positive and negative parts clipped at 6 by a fused relu6, so an int8 code is
  0.024 levels; the shipped classifier was trained on this form, and
  `scripts/rebuild_classifier.py` moves weights trained on the earlier signed-step-and-abs
  form, which computes the same function, onto it).
  Trained 40 epochs, then fine-tuned 10 epochs with a larger share of JPEG'd
  clean tiles (`--negative-mix jpeg-heavy`; logs: `models/training/classifier*.json`). Frames
  are never resized before detection. The decision threshold is calibrated on clean tiles of the
  *train* photos: the lowest threshold (not below 0.5) giving tile FPR <= 0.5% on every clean
  kind (photo, JPEG, blur, text, UI, pattern) separately.
- **Restorers**, two tiers, scales 2, 3 and 4 (larger blocks by cascade). *fast*
  (`restorer_xN`, the default): ESPCN: Conv 16 5x5 -> Conv 16 3x3 (+ residual) -> Conv 16 2x2
  (+ residual) -> pixel attention (1x1 conv, sigmoid, multiply) -> Conv 3r² 3x3, plus the LR
  input repeated r² times (so the network learns a correction of the mosaic) ->
  `keras.ops.depth_to_space(r)`; linear output. *quality* (`restorer_quality_xN`,
  `--restorer quality`): the same graph with 32 filters and a 3x3 second convolution (the
  same reach of 5 LR pixels), started from the fast model by function-preserving widening
  (`unpixel_export/widen.py`: the new channels' outgoing weights start at zero) and trained
  5 more epochs on the fast tier's data. Trained instead on the real-world damage on mostly
  mean mosaics (`--damage mostly-mean`, `unpixel_export/restore_data.py`: 80% mean cells,
  10% centre samples, 10% min/max; then nothing, JPEG q 40-95, libx264 intra CRF 18-30 or an
  antialiased resize round trip) it gained on sampled mosaics (-0.62 -> -0.25 dB against
  oracle Lanczos) but lost on mean, JPEG'd and resized ones, so it is not shipped
  (`reports/experiments/restore_real_quality_mostly_mean.md`).
- Input of both: RGB (not BGR), float32 in [0, 1] (uint8 / 255).

## Data

Photos from Debian and pip packages only (`data/corpus.json`, made by `unpixel data`), split
by whole image (20% validation, by group). Classifier tiles and restorer pairs are made on the
fly (`unpixel_export/data.py`): positives are mean and sample mosaics, b = 2..16, random phase,
whole or partial, 40% JPEG q 50-95 afterwards, 10% from text/UI renders; negatives are clean
crops, JPEG q 50-95, bicubic blur-upscales, text and UI renders and fine patterns (shares in
`NEGATIVE_MIXES`). Fast restorer
pairs (both tiers): HR crops, their mean mosaic (30% JPEG q 80-95), LR read back as cell
means. All tables
are on the validation split, which training never saw. Its patches did pick the best epoch of
each run, and the two fine-tunes (classifier, x2 restorer) were decided after a first look at
these tables, so treat small margins (x2: +0.54 dB against a +0.5 dB bar) with care.

## Detection (validation split)

Reproduce: `unpixel eval --task detect --json reports/detect_validation.json --markdown
reports/detect_validation.md`.

{_read(reports / "detect_validation.md")}

## Restoration (validation split)

Reproduce: `unpixel eval --task restore --json reports/restore_validation.json --markdown
reports/restore_validation.md`.

{_read(reports / "restore_validation.md")}

## Exported formats and parity with Keras (validation split)

Reproduce: `unpixel export` (all formats of the format table; int8 calibrated on the train
split: 256 classifier tiles / 64 LR crops plus one full-range ramp, so uint8 inputs read raw
pixels), then `unpixel eval --task parity --json reports/parity_validation.json --markdown
reports/parity_validation.md`.

{_artifacts(models_dir)}

{_read(reports / "parity_validation.md")}

## End to end: the pipeline against the float restorer given the true grid (validation split)

Reproduce: `unpixel eval --task pipeline --json reports/pipeline_validation.json --markdown
reports/pipeline_validation.md` (about 2 minutes on 2 cores).

{_read(reports / "pipeline_validation.md")}

## Grid estimation (classical, validation split)

Reproduce: `unpixel eval --task grid --trials 4 --json reports/grid_validation.json --markdown
reports/grid_validation.md`.

{_read(reports / "grid_validation.md")}
"""


def main(models_dir: Path = Path("models"), reports: Path = Path("reports")) -> None:
    """Register every .keras file in ``models_dir``; write the manifest and the model card."""
    copy_logs(models_dir)
    entries = []
    for path in sorted(models_dir.glob("*.keras")):
        task = "detect" if path.stem == "classifier" else "restore"
        entries.append(keras_entry(path, models_dir, _metrics(reports, task)))
    write_manifest(entries, models_dir)
    attach_parity(models_dir, reports)
    write_atomic(models_dir / "MODEL_CARD.md", model_card(entries, reports, models_dir).encode())
    print(f"registered {len(entries)} models in {models_dir / 'manifest.json'}")


if __name__ == "__main__":
    main()
