"""The classifier's export form: the fixed front computed after space-to-depth.

The trained classifier (:func:`unpixel_export.models.build_classifier` with ``s2d`` > 1)
computes its fixed front (:func:`unpixel_export.models.flat_step_features`: a 2x2 step
convolution with 3 input and 4 output channels, a 1x1 convolution, two rescalings, relus and
two concatenations) on every pixel of the 64 px tile, and only then rearranges by
space-to-depth. Those are memory-bound passes over tensors with 2-7 channels, and int8
convolutions with 3-4 channels fit the int8 GEMM kernels badly (figures: commit b39d818,
``scripts/classifier_form_speed.py``).

:func:`s2d_first_form` computes the same function the other way round: space-to-depth on
the input first (64 x 64 x 3 -> 32 x 32 x 12 for ``s2d`` 2), then one 2x2 convolution with
``4 s²`` outputs (every sub-pixel's steps to its right and lower neighbours, which may lie
in the next cell: a 2x2 kernel over cells with 'same' padding pads with zeros exactly where
the original's did), one 1x1 convolution with a bias for the indicators, the RGB rescaled,
one concatenation; the backbone's first convolution gets its input channels permuted to
the new order. Exact up to float summation order. Export-only (not meant to be saved).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from unpixel_export.models import FLAT_LEVELS

FRONT_LAYERS = ("to_pm1", "luma_steps", "step_size", *(f"scale_{t}" for t in FLAT_LEVELS))
"""The layers of the fixed front, by the names :func:`build_classifier` gives them."""


def _backbone(model: Any) -> Any:
    nested = [layer for layer in model.layers if hasattr(layer, "layers")]
    if len(nested) != 1:
        raise ValueError(f"expected one nested backbone in {model.name}, found {len(nested)}")
    return nested[0]


def space_to_depth_block(model: Any) -> int:
    """The classifier's space-to-depth block: its tile side over the backbone's input side."""
    tile = int(model.input_shape[1])
    return tile // int(_backbone(model).input_shape[1])


def front_weights(model: Any, s: int) -> dict[str, np.ndarray]:
    """The s2d-first front's weights from ``model``'s front layers (see the module doc).

    Returns ``steps`` (2, 2, 3 s², 4 s²), ``flats`` (1, 1, 4 s², F s²) and ``flats_bias``,
    ``rgb_scale``, ``rgb_offset``, and ``order``: for each input channel of the backbone
    in the new order, its index in the original order.
    """
    layers = {name: model.get_layer(name) for name in FRONT_LAYERS}
    k_old = np.asarray(layers["luma_steps"].get_weights()[0], np.float64)  # (2, 2, 3, P)
    pair = np.asarray(layers["step_size"].get_weights()[0], np.float64)[0, 0]  # (P, M)
    if k_old.shape[:3] != (2, 2, 3) or layers["luma_steps"].use_bias:
        raise ValueError(f"unexpected luma_steps kernel {k_old.shape}")
    parts, sizes = pair.shape
    scales = [layers[f"scale_{t}"] for t in FLAT_LEVELS]
    flat = len(scales) * sizes  # indicator channels per pixel: [t0 m0, t0 m1, t1 m0, ...]
    cells = s * s
    steps = np.zeros((2, 2, 3 * cells, parts * cells))
    flats = np.zeros((1, 1, parts * cells, flat * cells))
    bias = np.zeros(flat * cells)
    for a in range(s):
        for b in range(s):
            p = a * s + b
            for dy in (0, 1):
                for dx in (0, 1):
                    ci, cj = (a + dy) // s, (b + dx) // s
                    q = ((a + dy) % s) * s + (b + dx) % s
                    steps[ci, cj, q * 3 : q * 3 + 3, p * parts : (p + 1) * parts] += k_old[dy, dx]
            for ti, layer in enumerate(scales):
                cols = slice(p * flat + ti * sizes, p * flat + (ti + 1) * sizes)
                flats[0, 0, p * parts : (p + 1) * parts, cols] = pair * float(layer.scale)
                bias[cols] = float(layer.offset)
    per_pixel = 3 + flat  # the original order: each sub-pixel's [r, g, b, indicators]
    order = [p * per_pixel + c for p in range(cells) for c in range(3)]
    order += [p * per_pixel + 3 + f for p in range(cells) for f in range(flat)]
    rgb = layers["to_pm1"]
    return {
        "steps": steps.astype(np.float32),
        "flats": flats.astype(np.float32),
        "flats_bias": bias.astype(np.float32),
        "rgb_scale": np.float32(rgb.scale),
        "rgb_offset": np.float32(rgb.offset),
        "order": np.asarray(order),
    }


def s2d_first_form(model: Any) -> Any:
    """``model`` with its fixed front computed after space-to-depth (see the module doc).

    A classifier without space-to-depth (``s2d`` 1) or without the named front layers comes
    back unchanged. The new model shares the classification head's layer; the backbone is
    a clone with the same weights, its first convolution's input channels permuted.
    """
    import keras

    names = {layer.name for layer in model.layers}
    if not set(FRONT_LAYERS) <= names or space_to_depth_block(model) < 2:
        return model
    s = space_to_depth_block(model)
    w = front_weights(model, s)
    backbone = _backbone(model)
    clone = keras.models.clone_model(backbone)
    clone.set_weights(backbone.get_weights())
    first = next(layer for layer in clone.layers if isinstance(layer, keras.layers.Conv2D))
    kernel, *rest = first.get_weights()
    first.set_weights([kernel[:, :, w["order"], :], *rest])

    inputs = keras.Input(model.input_shape[1:], name="tile")
    cells = keras.ops.space_to_depth(inputs, s)
    steps = keras.layers.Conv2D(
        w["steps"].shape[-1],
        2,
        padding="same",
        use_bias=False,
        activation="relu6",
        name="cell_steps",
    )(cells)
    flats = keras.layers.Conv2D(w["flats"].shape[-1], 1, activation="relu", name="cell_flats")(
        steps
    )
    rgb = keras.layers.Rescaling(
        float(w["rgb_scale"]), offset=float(w["rgb_offset"]), name="cell_rgb"
    )(cells)
    x = keras.layers.Concatenate(name="cell_features")([rgb, flats])
    head = model.layers[-1]
    form = keras.Model(inputs, head(clone(x)), name=f"{model.name}_s2d_first")
    form.get_layer("cell_steps").set_weights([w["steps"]])
    form.get_layer("cell_flats").set_weights([w["flats"], w["flats_bias"]])
    return form
