"""The restorer in the form its int8 exports are made from: the same function, quantised better.

The form computes the trained model's function (up to the weight rounding of 3) and differs
from the trained graph in four ways, each for one loss of full-integer quantisation (what
each gained: commit 45d3948, ``reports/parity_validation.md``):

1. The output range is pinned to [0, 1] (``unit_output``): one uint8 code per pixel level,
   no second rounding by the caller.
2. The mosaic is fed to the last convolution beside the features through identity taps
   (weight 1, exact on the int8 grid) instead of being added after it: one quantisation
   fewer (TFLite's calibrator gives an in-place add's input the add's range:
   tensorflow/tensorflow#127842).
3. Weights are put on the int8 per-channel grid (absmax / 127, as both converters do) by
   error-compensating rounding (GPTQ: one weight at a time, the rest updated through the
   inverse Hessian of the layer's inputs on the calibration samples); the bias takes the
   mean shift.
4. The trunk's channels are rescaled per channel (ReLU, the residual adds and the gate
   commute with positive scales) as far as each can go without widening any trunk tensor's
   range, then as a whole so the gated features fit [0, 1] and share the input's scale in
   the concatenation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

TRUNK = ("feat", "conv3", "res1", "conv2", "res2", "pa")
FEATURES_MAX = 0.9999
"""Calibrated maximum of the gated features: the input's 1.0 less a hair (both get scale
1/255 then; a wider range would requantise the input, a narrower one the features)."""


def _scale(model: Any) -> int:
    return round((model.get_layer("to_subpixel").filters // 3) ** 0.5)


def _build(scale: int, filters: int, kernel2: int) -> Any:
    """The restorer with the input fed to the last convolution instead of added after it."""
    from unpixel_export.models import build_restorer

    return build_restorer(scale, filters, fold_input=True, kernel2=kernel2)


def _outputs(model: Any, names: Sequence[str], samples: Sequence[np.ndarray]) -> dict[str, list]:
    import keras

    probe = keras.Model(model.input, {n: model.get_layer(n).output for n in names})
    out: dict[str, list] = {n: [] for n in names}
    for x in samples:
        got = probe(x, training=False)
        for n in names:
            out[n].append(np.asarray(got[n]))
    return out


def patches(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(N, H, W, C) -> the (N*H*W, kh*kw*C) patches a 'same' convolution sees, kernel order."""
    kh, kw = size
    top, left = (kh - 1) // 2, (kw - 1) // 2
    xp = np.pad(x, ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)))
    h, w = x.shape[1:3]
    cols = [xp[:, i : i + h, j : j + w] for i in range(kh) for j in range(kw)]
    return np.stack(cols, 3).reshape(-1, kh * kw * x.shape[3])


def snap(
    kernel: np.ndarray, bias: np.ndarray, inputs: np.ndarray, damp: float = 0.01
) -> tuple[np.ndarray, np.ndarray]:
    """Kernel on the symmetric per-output-channel int8 grid (absmax / 127), GPTQ rounding.

    Per output channel the largest weight goes first (so it stays +-127 codes and the grid
    the converters derive is this one), each rounding error is spread over the weights not
    yet rounded through the inverse Hessian of ``inputs`` (patches, one a row); the bias
    takes the mean output shift.
    """
    cout = kernel.shape[-1]
    w_all = kernel.reshape(-1, cout).astype(np.float64)
    x = inputs.astype(np.float64)
    hess = x.T @ x / len(x)
    hess += damp * np.mean(np.diag(hess)) * np.eye(len(hess))
    q_all = np.zeros_like(w_all)
    for c in range(cout):
        w = w_all[:, c]
        step = np.abs(w).max() / 127
        if step == 0:
            continue
        order = np.argsort(-np.abs(w), kind="stable")
        upper = np.linalg.cholesky(np.linalg.inv(hess[np.ix_(order, order)])).T
        todo, q = w[order].copy(), np.zeros(len(w))
        for i in range(len(w)):
            q[i] = np.clip(np.round(todo[i] / step), -127, 127) * step
            todo[i + 1 :] -= (todo[i] - q[i]) / upper[i, i] * upper[i, i + 1 :]
        q_all[order, c] = q
    new_bias = bias + x.mean(0) @ (w_all - q_all)
    return q_all.reshape(kernel.shape).astype(np.float32), new_bias.astype(np.float32)


def int8_form(model: Any, samples: Sequence[np.ndarray], max_patches: int = 60_000) -> Any:
    """The trained restorer rebuilt for int8 export (steps 2-4 of the module docstring).

    ``samples``: the calibration inputs (1, H, W, 3) in [0, 1], the same the converter gets.
    Float PSNR moves by under 0.01 dB (the weight rounding); layer names are kept, and the
    graph differs from :func:`unpixel_export.models.build_restorer` only where the input
    joins.
    """
    if not samples:
        raise ValueError("the representative set is empty: int8 export needs samples")
    scale = _scale(model)
    get = lambda n: [np.asarray(w, np.float64) for w in model.get_layer(n).get_weights()]  # noqa: E731
    (kf, bf), (k3, b3), (k2, b2), (kg, bg), (ks, bs) = map(
        get, ("feat", "conv3", "conv2", "pa_gate", "to_subpixel")
    )
    acts = _outputs(model, TRUNK, samples)
    peak = {n: np.max([a.reshape(-1, a.shape[-1]).max(0) for a in v], 0) for n, v in acts.items()}
    # Step 4: scale each channel up until some trunk tensor's range would widen.
    s = np.min([p.max() / np.maximum(p, 1e-12) for p in peak.values()], 0)
    s = np.where(np.max(list(peak.values()), 0) > 0, s, 1.0)
    into = s[None, None, :, None]
    kf, bf, k3, b3, k2, b2 = kf * s, bf * s, k3 / into * s, b3 * s, k2 / into * s, b2 * s
    kg, ks = kg / into, ks / into
    ident = np.zeros((3, 3, 3, 3 * scale * scale))
    ident[1, 1, np.arange(3 * scale * scale) % 3, np.arange(3 * scale * scale)] = 1.0
    ks = np.concatenate([ks, ident], 2)  # step 2: the input joins the last conv
    out = _build(scale, len(bf), k2.shape[0])
    for name, weights in (
        ("feat", (kf, bf)),
        ("conv3", (k3, b3)),
        ("conv2", (k2, b2)),
        ("pa_gate", (kg, bg)),
        ("to_subpixel", (ks, bs)),
    ):
        out.get_layer(name).set_weights([np.asarray(w, np.float32) for w in weights])
    rng = np.random.default_rng(0)

    def snap_layer(name: str, source: str | None) -> None:  # step 3, on float inputs
        layer = out.get_layer(name)
        kernel, bias = layer.get_weights()
        xs = samples if source is None else _outputs(out, [source], samples)[source]
        x = np.concatenate([patches(np.asarray(a), kernel.shape[:2]) for a in xs])
        if len(x) > max_patches:
            x = x[rng.choice(len(x), max_patches, replace=False)]
        layer.set_weights(list(snap(kernel, bias, x)))

    for name, source in (("feat", None), ("conv3", "feat"), ("conv2", "res1"), ("pa_gate", "res2")):
        snap_layer(name, source)
    # The gated features to [0, FEATURES_MAX], the input's range less a hair, so they share
    # its int8 scale in the concatenation: a common factor keeps every grid above.
    peak_pa = max(float(a.max()) for a in _outputs(out, ["pa"], samples)["pa"])
    g = FEATURES_MAX / peak_pa if peak_pa > 0 else 1.0
    for name, k_by, b_by in (
        ("feat", g, g),
        ("conv3", 1, g),
        ("conv2", 1, g),
        ("pa_gate", 1 / g, 1),
    ):
        kernel, bias = out.get_layer(name).get_weights()
        out.get_layer(name).set_weights([kernel * k_by, bias * b_by])
    kernel, bias = out.get_layer("to_subpixel").get_weights()
    kernel[:, :, : len(bf)] /= g  # the features' taps only: the identity taps stay 1
    out.get_layer("to_subpixel").set_weights([kernel, bias])
    snap_layer("to_subpixel", "pa_and_lr")
    return out
