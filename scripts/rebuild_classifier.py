"""Move a trained classifier's weights onto the current :func:`build_classifier` graph.

The equal-step input features were rewritten (November 2026) into a form that quantises
well (relu6-clipped step parts instead of a signed step and ``abs``); the function they
compute is the same, so the trained backbone and head carry over unchanged. This copies
every trained weight by layer name, checks the old and new models agree on real tiles
(and on random ones), and saves the new .keras atomically.

    python scripts/rebuild_classifier.py models/classifier.keras [--output PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def rebuild(old_path: Path, out_path: Path, tolerance: float = 1e-5) -> float:
    """Rebuild ``old_path`` on the current graph into ``out_path``; returns the max abs diff."""
    import keras

    from unpixel_export.keras_infer import save_keras
    from unpixel_export.models import build_classifier

    old = keras.saving.load_model(old_path, safe_mode=True)
    tile = int(old.input_shape[1])
    backbone = next(lay for lay in old.layers if hasattr(lay, "layers"))
    alpha = float(backbone.name.split("_")[1])  # "mobilenetv2_0.35_64"
    s2d = int(old.name.split("_s2d")[1]) if "_s2d" in old.name else 1
    new = build_classifier(tile=tile, alpha=alpha, s2d=s2d)
    new_names = {lay.name for lay in new.layers}
    for layer in old.layers:
        if layer.trainable and layer.weights and layer.name in new_names:
            new.get_layer(layer.name).set_weights(layer.get_weights())
    rng = np.random.default_rng(0)
    probe = rng.random((64, tile, tile, 3), dtype=np.float32)
    flat = np.repeat(np.repeat(rng.random((64, tile // 4, tile // 4, 3)), 4, 1), 4, 2)
    quant = np.round(np.concatenate([probe, flat.astype(np.float32)]) * 255) / 255
    diff = float(
        np.abs(
            np.asarray(old(quant, training=False)) - np.asarray(new(quant, training=False))
        ).max()
    )
    if diff > tolerance:
        raise SystemExit(f"rebuilt model differs from {old_path} by {diff:.2e} > {tolerance}")
    save_keras(new, out_path)
    return diff


def main() -> None:
    """Command line: rebuild one classifier .keras in place or into --output."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    diff = rebuild(args.model, args.output or args.model)
    print(f"rebuilt {args.model} -> {args.output or args.model}: max abs diff {diff:.2e}")


if __name__ == "__main__":
    main()
