"""Start a wider restorer from a trained narrow one: the same function, room to learn more.

The wide model's first channels take the narrow model's weights; the new channels get
fresh weights on their inputs and zero weights out of them into the old channels and the
output, so the wide model computes the narrow one's function exactly at the start and
training only has to add to it (Net2Net-style function-preserving widening). A 2x2 'same'
kernel sits in the bottom-right 2x2 of a 3x3 one: Keras pads a 2x2 'same' convolution on
the right and bottom, so its taps are the centre and the next row and column.
"""

from __future__ import annotations

from typing import Any

import numpy as np

LAYERS = ("feat", "conv3", "conv2", "pa_gate", "to_subpixel")
NEW_WEIGHT_STD = 0.02
"""Spread of the new channels' input weights: small, so their first gradients are gentle."""


def _embed(old: np.ndarray, new: np.ndarray, zero_in: bool) -> np.ndarray:
    """``old`` kernel (kh, kw, cin, cout) inside ``new``'s shape; the rest per the docstring."""
    out = new.copy()
    kh, kw, cin, cout = old.shape
    oy, ox = new.shape[0] - kh, new.shape[1] - kw
    top, left = (oy + 1) // 2, (ox + 1) // 2  # 2x2 into 3x3: offset 1, as Keras pads 'same'
    out[:, :, :cin, :cout] = 0.0
    out[top : top + kh, left : left + kw, :cin, :cout] = old
    if zero_in:  # the new input channels must not reach the old outputs
        out[:, :, cin:, :cout] = 0.0
    return out


def widen(narrow: Any, wide: Any, seed: int = 0) -> Any:
    """Copy ``narrow`` (a trained restorer) into ``wide`` (a wider, untrained one); return it.

    Both come from :func:`unpixel_export.models.build_restorer` with the same scale; ``wide``
    has at least the filters and kernel sizes of ``narrow``.

    Raises:
        ValueError: the scales differ or ``wide`` is narrower somewhere.

    """
    rng = np.random.default_rng(seed)
    for name in LAYERS:
        (k_old, b_old), layer = narrow.get_layer(name).get_weights(), wide.get_layer(name)
        k_new, b_new = layer.get_weights()
        if any(o > n for o, n in zip(k_old.shape, k_new.shape, strict=True)):
            raise ValueError(f"{name}: {k_old.shape} does not fit in {k_new.shape}")
        if name == "to_subpixel" and k_old.shape[3] != k_new.shape[3]:
            raise ValueError("the two restorers upscale by different scales")
        fresh = rng.normal(0.0, NEW_WEIGHT_STD, k_new.shape).astype(np.float32)
        kernel = _embed(k_old, fresh, zero_in=True)
        if name == "to_subpixel":  # the output: nothing new may reach it yet
            kernel[:, :, k_old.shape[2] :, :] = 0.0
        bias = np.zeros_like(b_new)
        bias[: b_old.size] = b_old
        layer.set_weights([kernel, bias])
    return wide
