"""``unpixel train``: argument handling around :func:`unpixel_export.train.train`."""

from __future__ import annotations

import argparse
from pathlib import Path

from unpixel.errors import SourceError
from unpixel.io import list_images
from unpixel_export.corpus import load_manifest, split_of


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``unpixel train``.

    Args:
        p: the (sub)parser to add them to.

    """
    p.add_argument("task", choices=("classifier", "restorer"))
    p.add_argument("--scale", type=int, default=2, choices=(2, 3, 4), help="restorer scale")
    p.add_argument(
        "--images",
        type=Path,
        help="your own folder of clean photos (split 80/20 by file name); "
        "default: the corpus manifest",
    )
    p.add_argument("--corpus", type=Path, default=Path("data/corpus.json"))
    p.add_argument("--output", type=Path, help="final .keras file (default: models/...)")
    p.add_argument("--workdir", type=Path, help="checkpoints and log.json (default: out/train/...)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--steps", type=int, default=400, help="batches per epoch")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--validation-size", type=int, default=2048)
    p.add_argument("--resume", action="store_true", help="continue from workdir/last.keras")
    p.add_argument("--init", type=Path, help="start from this .keras model (fine-tune)")
    p.add_argument(
        "--negative-mix",
        choices=("base", "jpeg-heavy"),
        default="base",
        help="classifier: shares of the clean tile kinds",
    )
    p.add_argument(
        "--tier",
        choices=("fast", "quality"),
        default="fast",
        help="restorer: fast (16 filters) or quality (32 filters, a 3x3 second conv)",
    )
    p.add_argument(
        "--damage",
        choices=("clean", "real", "mostly-mean"),
        default="clean",
        help="restorer: clean (mean mosaics, light JPEG), real (sampled, min/max, JPEG "
        "q30-95, H.264, resized: the real-world evaluation's families) or mostly-mean "
        "(that damage on 80%% mean mosaics)",
    )
    p.add_argument(
        "--space-to-depth",
        type=int,
        default=1,
        dest="s2d",
        help="classifier: space-to-depth block before MobileNetV2",
    )


def split_paths(images: Path | None, corpus: Path) -> tuple[list[Path], list[Path]]:
    """(train, validation) photo paths from a user folder or the corpus manifest."""
    if images is not None:
        files = list_images(images, recursive=True)
        train = [p for p in files if split_of(str(p.relative_to(images))) == "train"]
        val = [p for p in files if split_of(str(p.relative_to(images))) == "validation"]
    else:
        if not corpus.is_file():
            raise SourceError(
                f"no corpus manifest at {corpus}; run `unpixel data` or pass --images"
            )
        train = [Path(e.path) for e in load_manifest(corpus, "train")]
        val = [Path(e.path) for e in load_manifest(corpus, "validation")]
    if not train or not val:
        raise SourceError(
            f"need photos in both splits, got {len(train)} train, {len(val)} validation"
        )
    return train, val


def run(args: argparse.Namespace) -> int:
    """Train the model the arguments name.

    Args:
        args: the parsed options of :func:`add_arguments`.

    Returns:
        0 (failures raise).

    Raises:
        SourceError: no corpus manifest, or photos missing in a split.

    """
    from unpixel_export.train import TrainOptions, train

    tier = "" if args.tier == "fast" else f"_{args.tier}"
    name = "classifier" if args.task == "classifier" else f"restorer{tier}_x{args.scale}"
    opts = TrainOptions(
        task=args.task,
        scale=args.scale,
        output=args.output or Path("models") / f"{name}.keras",
        workdir=args.workdir or Path("out/train") / name,
        epochs=args.epochs,
        steps=args.steps,
        batch=args.batch,
        learning_rate=args.learning_rate,
        seed=args.seed,
        validation_size=args.validation_size,
        resume=args.resume,
        init=args.init,
        negative_mix=args.negative_mix,
        s2d=args.s2d,
        tier=args.tier,
        damage=args.damage,
    )
    train_paths, val_paths = split_paths(args.images, args.corpus)
    log = train(opts, train_paths, val_paths)
    last = log["epochs"][-1] if log["epochs"] else {}
    print(
        f"saved {opts.output} ({log['parameters']} parameters); last epoch: "
        + ", ".join(f"{k} {v:.4g}" for k, v in last.items() if isinstance(v, float))
    )
    return 0
