"""``unpixel eval``: quality reports on the validation photos or any folder of clean photos.

Also ``python -m unpixel_export.eval_cli ARGS``: the same as ``unpixel eval ARGS``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from unpixel.errors import SourceError
from unpixel.io import list_images, read_image, write_atomic
from unpixel.progress import progress
from unpixel_export.corpus import load_manifest
from unpixel_export.grid_eval import evaluate_grid, shrink


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``unpixel eval``.

    Args:
        p: the (sub)parser to add them to.

    """
    p.add_argument(
        "--task", choices=tuple(TASKS), default="detect", help="what to evaluate (default: detect)"
    )
    p.add_argument("--images", type=Path, help="folder of clean photos (default: corpus)")
    p.add_argument(
        "--corpus",
        type=Path,
        default=Path("data/corpus.json"),
        help="corpus manifest used when --images is not given",
    )
    p.add_argument("--split", choices=("train", "validation"), default="validation")
    p.add_argument("--trials", type=int, default=4, help="cases per photo and block size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiles", type=int, default=200, help="detect: tiles per case")
    p.add_argument("--classifier", type=Path, default=Path("models/classifier.keras"))
    p.add_argument("--threshold", type=float, help="detect: default calibrated on train photos")
    p.add_argument(
        "--target-fpr",
        type=float,
        default=0.005,
        help="detect: calibration target, per clean tile kind",
    )
    p.add_argument(
        "--recalibrate",
        action="store_true",
        help="detect, parity: calibrate thresholds on train photos (parity: one per "
        "exported classifier), ignore the manifest",
    )
    p.add_argument(
        "--restorers", type=Path, default=Path("models"), help="restore, parity: the models folder"
    )
    p.add_argument(
        "--per-case", type=int, default=48, help="realworld, restore-real: frames per case"
    )
    p.add_argument(
        "--clips", type=int, default=12, help="realworld, restore-real: clips per H.264 case"
    )
    p.add_argument(
        "--restorer",
        choices=("fast", "quality"),
        default="fast",
        help="realworld: the shipped restorer tier the pipeline runs",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    p.add_argument("--markdown", type=Path, metavar="FILE", help="also write it as Markdown")


def photo_paths(images: Path | None, corpus: Path, split: str) -> list[Path]:
    """The photos to evaluate on: a user's folder, or one split of the corpus manifest."""
    if images is not None:
        paths = list_images(images, recursive=True)
    else:
        if not corpus.is_file():
            raise SourceError(
                f"no corpus manifest at {corpus}; run `unpixel data` or pass --images"
            )
        paths = [Path(e.path) for e in load_manifest(corpus, split)]
    if not paths:
        raise SourceError("no photos to evaluate on")
    return paths


def load_photos(paths: list[Path]) -> list[np.ndarray]:
    """Read and shrink the photos, with a progress bar."""
    return [shrink(read_image(p)) for p in progress(paths, label="reading")]


def _grid(args: argparse.Namespace, paths: list[Path]) -> tuple[str, dict[str, object]]:
    photos = load_photos(paths)
    report = evaluate_grid(photos, trials=args.trials, seed=args.seed)
    head = f"Grid estimation, {args.trials} trials per photo and block size, seed {args.seed}."
    return head + "\n\n" + report.to_markdown(), report.to_dict()


def _detect(args: argparse.Namespace, paths: list[Path]) -> tuple[str, dict[str, object]]:
    from unpixel_export.data import PhotoBank
    from unpixel_export.detect_eval import calibrate_threshold, evaluate_detection
    from unpixel_export.keras_infer import classifier_predict, load_keras

    model = load_keras(args.classifier)
    tile = int(model.input_shape[1])
    predict = classifier_predict(model)
    threshold = args.threshold
    note = f"given threshold {threshold}"
    if threshold is None and not getattr(args, "recalibrate", False):
        threshold = shipped_threshold(args.classifier)
        note = "threshold from models/manifest.json (calibrated on train photos when shipped)"
    if threshold is None:
        train_paths = [Path(e.path) for e in load_manifest(args.corpus, "train")]
        calib = PhotoBank.from_paths(train_paths)
        threshold = calibrate_threshold(predict, calib, tile, args.target_fpr)
        note = (
            f"threshold calibrated on clean tiles of the corpus train split "
            f"for tile FPR <= {args.target_fpr:.2%} on each clean kind"
        )
    bank = PhotoBank.from_paths(paths)
    photos = bank.full_scale()  # the same arrays load_photos would read again
    report = evaluate_detection(
        predict, photos, bank, tile, threshold, n=args.tiles, seed=args.seed
    )
    head = (
        f"Tile classifier {args.classifier} ({tile} px tiles), {args.tiles} tiles per case, "
        f"seed {args.seed}; {note}."
    )
    return head + "\n\n" + report.to_markdown(), report.to_dict()


def shipped_threshold(classifier: Path) -> float | None:
    """The threshold the manifest records for this very classifier file (same sha256)."""
    from unpixel.errors import ModelError
    from unpixel.manifest import load_manifest as load_models
    from unpixel.manifest import sha256_file

    try:
        entries = load_models(classifier.parent / "manifest.json")
    except ModelError:
        return None
    digest = sha256_file(classifier)
    for entry in entries:
        if entry.sha256 == digest and "threshold" in entry.extra:
            return float(entry.extra["threshold"])
    return None


def tier_models(folder: Path) -> dict[str, dict[int, object]]:
    """Tier -> scale -> upscaler of the restorer .keras files in ``folder`` (tiers found only).

    File names as ``unpixel train`` writes them: ``restorer_xN`` (fast), ``restorer_quality_xN``.
    """
    from unpixel_export.keras_infer import load_keras, restorer_upscale

    tiers: dict[str, dict[int, object]] = {}
    for tier, prefix in (("fast", "restorer"), ("quality", "restorer_quality")):
        for scale in (2, 3, 4):
            path = folder / f"{prefix}_x{scale}.keras"
            if path.is_file():
                tiers.setdefault(tier, {})[scale] = restorer_upscale(load_keras(path))
    return tiers


def _restore(args: argparse.Namespace, paths: list[Path]) -> tuple[str, dict[str, object]]:
    from unpixel_export.restore_eval import evaluate_restoration

    tiers = tier_models(args.restorers)
    restorers = tiers.pop("fast", {})
    photos = load_photos(paths)
    report = evaluate_restoration(photos, restorers, seed=args.seed, others=tiers)  # type: ignore[arg-type]
    head = (
        f"Restoration of mean mosaics, seed {args.seed}; restorers x{sorted(restorers)} "
        f"(*restorer*: the fast tier{'; *quality*: the quality tier' if tiers else ''}) "
        f"from {args.restorers}; PSNR/SSIM with a border of b pixels ignored."
    )
    return head + "\n\n" + report.to_markdown(), report.to_dict()


def _restore_real(args: argparse.Namespace, paths: list[Path]) -> tuple[str, dict[str, object]]:
    from unpixel_export.restore_eval import cascade
    from unpixel_export.restore_real import evaluate, to_markdown

    tiers = {
        tier: lambda lr, b, models=models: cascade(models, b)(lr)  # type: ignore[misc]
        for tier, models in tier_models(args.restorers).items()
    }
    if not tiers:
        raise SourceError(f"no restorer_x*.keras in {args.restorers}")
    present = [p for p in paths if p.is_file()]
    report = evaluate(
        load_photos(present), tiers, per_case=args.per_case, clips=args.clips, seed=args.seed
    )
    head = (
        "# Restoration of real damage given the true grid\n\n"
        f"Tiers {', '.join(tiers)} (Keras, float) from {args.restorers}; {args.per_case} frames "
        f"per case, {args.clips} clips per H.264 case, seed {args.seed} "
        f"({report['seconds']:.0f} s). Made by `unpixel eval " + " ".join(sys.argv[2:]) + "`. "
        "PSNR (RGB, dB) over the mosaic less one cell at each side; *oracle*: Lanczos from the "
        "true, undamaged LR image; *worse than input*: below the damaged frame by > 0.05 dB. "
        "Cases and damage: `unpixel_export/realworld_cases.py`; protocol: "
        "`unpixel_export/restore_real.py`.\n"
    )
    return head + "\n" + to_markdown(report, list(tiers)), report


def _parity(args: argparse.Namespace, paths: list[Path]) -> tuple[str, dict[str, object]]:
    from unpixel.manifest import load_manifest as load_models
    from unpixel_export.data import PhotoBank
    from unpixel_export.parity import evaluate_parity

    root = args.restorers
    entries = load_models(root / "manifest.json")
    threshold = args.threshold or shipped_threshold(root / "classifier.keras") or 0.5
    calibration = None
    if getattr(args, "recalibrate", False):
        calibration = PhotoBank.from_paths(photo_paths(None, args.corpus, "train"))
    report = evaluate_parity(
        entries,
        root,
        PhotoBank.from_paths(paths),
        threshold,
        tiles_per_case=args.tiles,
        seed=args.seed,
        calibration=calibration,
        target_fpr=args.target_fpr,
    )
    head = (
        f"Parity of every format in {root / 'manifest.json'} with Keras float; "
        f"{args.tiles} tiles per detection case, seed {args.seed}; max abs on classifier "
        "tiles and on 32 LR crops (40 px); PSNR by the restoration protocol (cascades "
        "for b = 6, 8)."
    )
    return head + "\n\n" + report.to_markdown(), report.to_dict()


def _pipeline(args: argparse.Namespace, paths: list[Path]) -> tuple[str, dict[str, object]]:
    import unpixel as up
    from unpixel_export.pipeline_eval import BAR_DB, evaluate_pipeline, models_version

    root = args.restorers
    pipes = {
        p: up.Pipeline.create(up.PipelineOptions(precision=p, models_dir=root))
        for p in ("int8", "fp32")
    }
    try:
        photos = load_photos(paths)
        report = evaluate_pipeline(photos, pipes, seed=args.seed, names=[p.stem for p in paths])
        report.models = models_version(root, pipes)
    finally:
        for pipe in pipes.values():
            pipe.close()
    commit = str(report.models["commit"])[:7] or "unknown"
    dirty = " (with local changes)" if report.models["modified"] else ""
    head = (
        f"End-to-end PSNR of the pipeline (IMAGE mode, default options; tflite-int8 and "
        f"tflite-fp32 models from {root / 'manifest.json'}, {root}/ at commit {commit}"
        f"{dirty}) against the fp32 restorer given the true grid (ref), seed {args.seed}. "
        f"RGB PSNR over the pixelated area, border of b pixels ignored; bar: int8 pipeline "
        f"within {BAR_DB} dB of the ref for b = 2, 3, 4."
    )
    return head + "\n\n" + report.to_markdown(), report.to_dict()


def _realworld(args: argparse.Namespace, paths: list[Path]) -> tuple[str, dict[str, object]]:
    from unpixel_export.realworld_eval import evaluate
    from unpixel_export.realworld_report import to_markdown

    present = [p for p in paths if p.is_file()]
    if not present:
        raise SourceError("none of the photos to evaluate on is present here")
    report = evaluate(
        load_photos(present),
        per_case=args.per_case,
        clips=args.clips,
        seed=args.seed,
        restorer=args.restorer,
    )
    report.update(
        command="unpixel eval " + " ".join(sys.argv[2:]),
        source=str(args.images or f"{args.corpus} ({args.split} split)"),
        photos=[str(p) for p in present],
        missing_photos=[str(p) for p in paths if not p.is_file()],
    )
    return to_markdown(report), report


TASKS = {
    "detect": _detect,
    "realworld": _realworld,
    "restore": _restore,
    "restore-real": _restore_real,
    "grid": _grid,
    "parity": _parity,
    "pipeline": _pipeline,
}
"""Each ``--task`` and the function that makes its report (text, JSON data)."""


def run(args: argparse.Namespace) -> int:
    """Run the report named by ``args.task``; print it as Markdown, optionally save it.

    Args:
        args: the parsed options of :func:`add_arguments`.

    Returns:
        0 (failures raise).

    Raises:
        SourceError: no photos to evaluate on.

    """
    paths = photo_paths(args.images, args.corpus, args.split)
    source = str(args.images) if args.images else f"{args.corpus} ({args.split} split)"
    text, data = TASKS[args.task](args, paths)
    missing = sum(not p.is_file() for p in paths)
    here = f" ({missing} of them missing on this machine)" if missing else ""
    lead = f"On {len(paths)} photos from {source}{here}."
    if text.startswith("#"):  # a report with its own title: the line goes under it
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{lead}\n{rest}"
    else:
        text = f"{lead} {text}"
    print(text)
    if args.markdown:
        write_atomic(args.markdown, (text + "\n").encode())
    if args.json:
        doc = {"task": args.task, "photos": len(paths), "source": source, "seed": args.seed, **data}
        write_atomic(args.json, (json.dumps(doc, indent=1) + "\n").encode())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m unpixel_export.eval_cli ARGS``: ``unpixel eval ARGS``, without the runtime CLI.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status of :func:`run`.

    """
    parser = argparse.ArgumentParser(
        prog="python -m unpixel_export.eval_cli", description="Quality reports (unpixel eval)."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
