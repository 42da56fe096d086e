"""Make trained .keras models float16-exact (see :mod:`unpixel_export.fp16_exact`).

Each model's BatchNormalizations are folded into their convolutions and every weight is
rounded to float16, so the tflite-fp16 export computes the model's own function. This
measures how far the rounding moved the model's outputs (on validation tiles or LR crops
of the corpus, and random ones), exports the result to tflite-fp16 and checks it against
the rounded model, then saves each .keras atomically.

    python scripts/make_fp16_exact.py models/classifier.keras models/restorer_x2.keras ...
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

CHANGE_LIMIT = 5e-3
"""Largest output change of the rounding itself accepted (classifier ~1e-3, restorers ~1e-4)."""
EXPORT_LIMIT = 1e-5
"""Largest difference of the rounded model's tflite-fp16 export from it (fp32 noise)."""


def probe_inputs(model: object, corpus: Path, n: int = 256) -> np.ndarray:
    """Model inputs, RGB float32 in [0, 1]: validation photo content and random pixels."""
    from unpixel_export.data import PhotoBank, to_model_input
    from unpixel_export.eval_cli import photo_paths

    rng = np.random.default_rng(0)
    shape = model.input_shape[1:3]  # type: ignore[attr-defined]
    h, w = (s or 40 for s in shape)
    noise = rng.integers(0, 256, (n // 4, h, w, 3), dtype=np.uint8)
    if not corpus.is_file():
        return to_model_input(noise)
    bank = PhotoBank.from_paths(photo_paths(None, corpus, "validation"))
    crops = [bank.crop(rng, h, w) for _ in range(n)]
    if shape[0] is not None:  # the classifier: mosaic tiles too (cells 2-12 px)
        from unpixel_export.detect_eval import tile_cases

        cases, _ = tile_cases(bank, h, 8, 0)
        crops += list(np.concatenate(list(cases.values())))
    return to_model_input(np.concatenate([np.stack(crops), noise]))


def _predict(model: object, x: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [
            np.asarray(model(x[i : i + 64], training=False))  # type: ignore[operator]
            for i in range(0, len(x), 64)
        ]
    )


def _tflite_fp16(model: object, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    from unpixel_export.export import CONVERTERS

    interpreter = Interpreter(model_content=CONVERTERS["tflite-fp16"](model, None, {}))
    inp = interpreter.get_input_details()[0]
    out = []
    for i in range(0, len(x), 64):
        interpreter.resize_tensor_input(inp["index"], x[i : i + 64].shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(inp["index"], x[i : i + 64])
        interpreter.invoke()
        out.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))
    return np.concatenate(out)


def make_exact(path: Path, out_path: Path, corpus: Path) -> dict[str, float]:
    """Round ``path`` into ``out_path``; returns the output changes it measured."""
    import keras

    from unpixel_export.fp16_exact import check_fp16_exact, make_fp16_exact
    from unpixel_export.keras_infer import save_keras

    model = keras.saving.load_model(path, safe_mode=True)
    x = probe_inputs(model, corpus)
    before = _predict(model, x)
    fp16_before = float(np.abs(_tflite_fp16(model, x) - before).max())
    summary = make_fp16_exact(model)
    left = check_fp16_exact(model)
    if left:
        raise SystemExit(f"{path}: still not float16-exact: {left[:5]}")
    after = _predict(model, x)
    change = float(np.abs(after - before).max())
    fp16_after = float(np.abs(_tflite_fp16(model, x) - after).max())
    print(
        f"{path}: {summary.folded} BatchNormalizations folded, {summary.rounded} weight "
        f"arrays rounded (max relative {summary.max_relative:.2g}) on {len(x)} inputs: "
        f"output change {change:.2g}; tflite-fp16 vs Keras {fp16_before:.2g} before, "
        f"{fp16_after:.2g} after"
    )
    if change > CHANGE_LIMIT or fp16_after > EXPORT_LIMIT:
        raise SystemExit(
            f"{path}: change {change:.2g} > {CHANGE_LIMIT} or fp16 export "
            f"{fp16_after:.2g} > {EXPORT_LIMIT}: not saved"
        )
    save_keras(model, out_path)
    return {"change": change, "fp16_before": fp16_before, "fp16_after": fp16_after}


def main() -> None:
    """Command line: make each .keras float16-exact in place, or into --output-dir."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--output-dir", type=Path, help="write here instead of in place")
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus.json"))
    args = parser.parse_args()
    for path in args.models:
        out = (args.output_dir or path.parent) / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        make_exact(path, out, args.corpus)


if __name__ == "__main__":
    main()
