"""``unpixel train classifier|restorer``: training from scratch on photos, data made on the fly.

Deterministic: the same seed, photos and options give the same batches (each batch's
generator is seeded by (seed, epoch, batch index)) and the same initial weights. Each epoch
writes ``last.keras`` and the JSON log into the work folder; the best epoch by validation
loss is copied to the output path at the end. ``--resume`` continues from ``last.keras``;
``--init`` fine-tunes a trained model (yours or a shipped one) with a fresh schedule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.io import write_atomic
from unpixel_export.data import (
    PhotoBank,
    random_classifier_sample,
    restorer_pair,
    to_model_input,
)
from unpixel_export.keras_infer import save_keras
from unpixel_export.restore_data import MIXES, damaged_pair


@dataclass(frozen=True)
class TrainOptions:
    """What to train and how; every field is recorded in the training log."""

    task: str  # "classifier" or "restorer"
    output: Path
    workdir: Path
    scale: int = 2
    tile: int = 64
    alpha: float = 0.35
    s2d: int = 1  # classifier: space-to-depth block in front of the backbone (1: none)
    lr_patch: int = 32
    epochs: int = 20
    steps: int = 400
    batch: int = 64
    learning_rate: float = 2e-3
    seed: int = 0
    validation_size: int = 2048
    resume: bool = False
    init: Path | None = None  # start from these weights (fine-tuning), with a fresh schedule
    negative_mix: str = "base"  # classifier: shares of the clean kinds (data.NEGATIVE_MIXES)
    tier: str = "fast"  # restorer: models.RESTORER_TIERS
    damage: str = "clean"  # restorer: restore_data.MIXES ("clean": the original pairs)


Sampler = Callable[[np.random.Generator, PhotoBank, int], tuple[np.ndarray, np.ndarray]]


def _classifier_batch(opts: TrainOptions) -> Sampler:
    def make(rng: np.random.Generator, bank: PhotoBank, n: int) -> tuple[np.ndarray, np.ndarray]:
        samples = [
            random_classifier_sample(rng, bank, opts.tile, opts.negative_mix) for _ in range(n)
        ]
        x = to_model_input(np.stack([s[0] for s in samples]))
        y = np.array([[s[1]] for s in samples], np.float32)
        return x, y

    return make


def _restorer_batch(opts: TrainOptions) -> Sampler:
    mix = MIXES[opts.damage]  # KeyError before any photo loads

    def pair(rng: np.random.Generator, bank: PhotoBank) -> tuple[np.ndarray, np.ndarray]:
        if opts.damage == "clean":  # the shipped models' draws, kept reproducible
            return restorer_pair(rng, bank, opts.scale, opts.lr_patch)
        return damaged_pair(rng, bank, opts.scale, opts.lr_patch, mix)

    def make(rng: np.random.Generator, bank: PhotoBank, n: int) -> tuple[np.ndarray, np.ndarray]:
        pairs = [pair(rng, bank) for _ in range(n)]
        return (
            to_model_input(np.stack([p[0] for p in pairs])),
            to_model_input(np.stack([p[1] for p in pairs])),
        )

    return make


def _dataset(sampler: Sampler, bank: PhotoBank, opts: TrainOptions, start_epoch: int) -> Any:
    import keras

    class Batches(keras.utils.PyDataset):
        """Batches made on the fly, each seeded by (seed, epoch, index)."""

        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.epoch = start_epoch

        def __len__(self) -> int:
            return opts.steps

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            rng = np.random.default_rng([opts.seed, self.epoch, index])
            return sampler(rng, bank, opts.batch)

        def on_epoch_end(self) -> None:
            self.epoch += 1

    return Batches()


def _build(opts: TrainOptions, init: Any = None) -> Any:
    """The model to train, compiled.

    ``init``: a trained model whose graph and weights it starts from (fine-tuning keeps its
    architecture, e.g. its space-to-depth block, whatever the options say).
    """
    import keras

    from unpixel_export.models import build_classifier, build_restorer_tier

    keras.utils.set_random_seed(opts.seed)
    total = opts.epochs * opts.steps
    schedule = keras.optimizers.schedules.CosineDecay(opts.learning_rate, total, alpha=0.02)
    optimizer = keras.optimizers.Adam(schedule)
    if init is not None and opts.task == "restorer" and _narrower(init, opts.tier):
        from unpixel_export.widen import widen

        model = widen(init, build_restorer_tier(opts.scale, opts.tier), opts.seed)
    elif init is not None:
        model = keras.Model.from_config(init.get_config())
        model.set_weights(init.get_weights())
    elif opts.task == "classifier":
        model = build_classifier(opts.tile, opts.alpha, opts.s2d)
    else:
        model = build_restorer_tier(opts.scale, opts.tier)
    if opts.task == "classifier":
        model.compile(
            optimizer,
            "binary_crossentropy",
            metrics=["binary_accuracy", keras.metrics.AUC(name="auc")],
        )
    else:
        # MSE, not MAE: the residual over the mosaic has median 0 on most pixels, and L1
        # then pulls the correction branch to exactly zero (its ReLUs die).
        model.compile(optimizer, "mean_squared_error", metrics=["mean_absolute_error"])
    return model


def _narrower(model: Any, tier: str) -> bool:
    """Whether ``model`` (a restorer) is narrower than ``tier``: fine-tuning then widens it."""
    from unpixel_export.models import RESTORER_TIERS

    filters, kernel2 = RESTORER_TIERS[tier]
    conv2 = model.get_layer("conv2")
    return (conv2.filters, conv2.kernel_size[0]) != (filters, kernel2)


def _log_callback(opts: TrainOptions, log: dict[str, Any], log_path: Path) -> Any:
    import keras

    class JsonLog(keras.callbacks.Callback):
        """Append each epoch's metrics to the JSON log and save ``last.keras``."""

        def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            self.started = time.monotonic()

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            row = {"epoch": epoch + 1, "seconds": round(time.monotonic() - self.started, 1)}
            row.update({k: float(v) for k, v in (logs or {}).items()})
            log["epochs"].append(row)
            self.model.save(opts.workdir / "last.keras")
            if row.get("val_loss", np.inf) <= min(r.get("val_loss", np.inf) for r in log["epochs"]):
                self.model.save(opts.workdir / "best.keras")
            write_atomic(log_path, (json.dumps(log, indent=1, default=str) + "\n").encode())

    return JsonLog()


def train(opts: TrainOptions, train_paths: list[Path], val_paths: list[Path]) -> dict[str, Any]:
    """Train one model; return the training log (also written to ``workdir/log.json``)."""
    import keras

    if opts.task not in ("classifier", "restorer"):
        raise ValueError(f"task must be 'classifier' or 'restorer', got {opts.task!r}")
    opts.workdir.mkdir(parents=True, exist_ok=True)
    log_path = opts.workdir / "log.json"
    sampler = _classifier_batch(opts) if opts.task == "classifier" else _restorer_batch(opts)
    train_bank = PhotoBank.from_paths(train_paths)
    val_bank = PhotoBank.from_paths(val_paths)
    val_rng = np.random.default_rng([opts.seed, 10**6])
    val_x, val_y = sampler(val_rng, val_bank, opts.validation_size)

    log: dict[str, Any] = {
        "options": asdict(opts),
        "train_photos": len(train_paths),
        "validation_photos": len(val_paths),
        "epochs": [],
    }
    start = 0
    if opts.resume and (opts.workdir / "last.keras").exists() and log_path.exists():
        model = keras.saving.load_model(opts.workdir / "last.keras", safe_mode=True)
        log = json.loads(log_path.read_text())
        start = len(log["epochs"])
    else:
        init = None
        if opts.init is not None:
            init = keras.saving.load_model(opts.init, safe_mode=True)
            log["initial_weights"] = str(opts.init)
        model = _build(opts, init)
    log["parameters"] = int(model.count_params())
    model.fit(
        _dataset(sampler, train_bank, opts, start),
        epochs=opts.epochs,
        initial_epoch=start,
        validation_data=(val_x, val_y),
        batch_size=opts.batch,
        callbacks=[_log_callback(opts, log, log_path)],
        verbose="auto",
    )
    save_for_inference(opts.workdir / "best.keras", opts.output)
    return log


def save_for_inference(source: Path, output: Path) -> None:
    """Save a trained model without its optimizer state, atomically (a third of the size)."""
    import keras

    trained = keras.saving.load_model(source, safe_mode=True)
    model = keras.Model.from_config(trained.get_config())
    model.set_weights(trained.get_weights())
    save_keras(model, output)
