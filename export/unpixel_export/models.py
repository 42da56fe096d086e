"""Keras builders: the MobileNetV2 tile classifier and the ESPCN restorer.

Both take RGB in [0, 1] (uint8 / 255), so a full-integer TFLite model with uint8 input
(scale 1/255, zero point 0) reads raw pixels. No Lambda layers: both save as .keras and
load with ``safe_mode=True``.
"""

from __future__ import annotations

import warnings
from typing import Any

CLASSIFIER_TILE = 64
"""Native-resolution tile the classifier sees (pixels); frames are never resized first."""
CLASSIFIER_ALPHA = 0.35
CLASSIFIER_S2D = 1
"""Space-to-depth block in front of the backbone (1: none). With 2 the 64 px tile (7
channels) enters MobileNetV2 as 32 x 32 x 28, every pixel kept (a rearrangement, not a
resize), for fewer MACs per pixel (commit 5473fcc). The shipped classifier uses 2
(``unpixel train classifier --space-to-depth 2``, 40 epochs and a JPEG-heavy fine-tune:
Makefile ``models``); the builder's default stays 1 because MobileNetV2 needs a backbone
input of at least 32 px, which smaller test tiles lack."""
BN_MOMENTUM = 0.9
RESTORER_FILTERS = 16
SCALES = (2, 3, 4)
RESTORER_TIERS = {"fast": (16, 2), "quality": (32, 3)}
"""Restorer tiers: (filters, kernel of the second trunk convolution). Both keep the reach of
5 LR pixels each side the runtime's tiles assume (``unpixel.restorer.RADIUS``): a 2x2 'same'
convolution reaches one pixel to one side, a 3x3 one to both."""


FLAT_LEVELS = (2, 6)
"""The step sizes (levels 0-255) at which the two equal-neighbour indicators reach 0."""


def flat_step_features(inputs: Any) -> Any:
    """Fixed (not trained) maps of where neighbouring pixels are equal: the mosaic's evidence.

    From the luma, the steps to the right and below neighbours; each becomes two soft
    indicators ``relu(1 - |step| * 255 / t)`` for t = 2 and 6 levels (1 where the step is 0,
    0 from t levels up). Inside a mosaic cell they are 1, on its borders mostly 0; a photo
    scatters them. Standard layers only (convolution, relu6, rescaling, relu).

    Built to survive 8-bit quantisation: the step convolution measures in levels and clips
    its positive and negative parts at 6 with a fused relu6, so its 8-bit output resolves
    0.024 levels (a signed step over the full range would get 2 levels per code and blur
    the 0-, 1- and 2-level steps the indicators look at). ``|step|`` is the sum of the two
    parts. Clipping at 6 levels changes nothing: both indicators are 0 from there on.
    """
    import keras
    import numpy as np

    luma = np.array([0.299, 0.587, 0.114], np.float32) * 255.0  # RGB in [0, 1] -> levels
    kernel = np.zeros((2, 2, 3, 4), np.float32)  # right +, right -, below +, below -
    for sign, (right, below) in ((1.0, (0, 2)), (-1.0, (1, 3))):
        kernel[0, 0, :, right], kernel[0, 1, :, right] = -sign * luma, sign * luma
        kernel[0, 0, :, below], kernel[1, 0, :, below] = -sign * luma, sign * luma
    parts = keras.layers.Conv2D(
        4,
        2,
        padding="same",
        use_bias=False,
        activation="relu6",
        trainable=False,
        name="luma_steps",
        kernel_initializer=keras.initializers.Constant(kernel),
    )(inputs)
    pair = np.zeros((1, 1, 4, 2), np.float32)
    pair[0, 0, 0:2, 0] = pair[0, 0, 2:4, 1] = 1.0  # |right step|, |below step| (<= 6 levels)
    size = keras.layers.Conv2D(
        2,
        1,
        use_bias=False,
        trainable=False,
        name="step_size",
        kernel_initializer=keras.initializers.Constant(pair),
    )(parts)
    maps = [
        keras.layers.ReLU(name=f"flat_{t}")(
            keras.layers.Rescaling(-1.0 / t, offset=1.0, name=f"scale_{t}")(size)
        )
        for t in FLAT_LEVELS
    ]
    return keras.layers.Concatenate(name="flat_steps")(maps)


def build_classifier(
    tile: int = CLASSIFIER_TILE, alpha: float = CLASSIFIER_ALPHA, s2d: int = CLASSIFIER_S2D
) -> Any:
    """MobileNetV2 (weights=None) + global average pooling + sigmoid P(pixelated).

    The backbone sees the RGB tile (scaled to [-1, 1]) and four fixed channels from
    :func:`flat_step_features`, rearranged by space-to-depth ``s2d`` (1: none; see
    :data:`CLASSIFIER_S2D`). Input: (tile, tile, 3) RGB in [0, 1]; output: (1,).
    """
    import keras

    if s2d < 1 or tile % s2d:
        raise ValueError(f"space-to-depth block {s2d} must be >= 1 and divide the tile {tile}")
    inputs = keras.Input((tile, tile, 3), name="tile")
    rgb = keras.layers.Rescaling(2.0, offset=-1.0, name="to_pm1")(inputs)  # as MobileNetV2 wants
    x = keras.layers.Concatenate(name="rgb_and_flat_steps")([rgb, flat_step_features(inputs)])
    if s2d > 1:
        x = keras.ops.space_to_depth(x, s2d)  # an op in the graph, not a Lambda layer
    side = tile // s2d
    with warnings.catch_warnings():  # "usually expects 1 or 3 input channels": 7 * s2d² here
        warnings.filterwarnings("ignore", message="This model usually expects")
        backbone = keras.applications.MobileNetV2(
            input_shape=(side, side, 7 * s2d * s2d),
            alpha=alpha,
            include_top=False,
            weights=None,
            pooling="avg",
        )
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            # keras.applications uses 0.999: from scratch, the moving statistics then lag
            # the weights so far that inference-mode outputs collapse to one value.
            layer.momentum = BN_MOMENTUM
    x = backbone(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="p_pixelated")(x)
    suffix = f"_s2d{s2d}" if s2d > 1 else ""
    return keras.Model(inputs, outputs, name=f"classifier_mnv2_a{alpha}_t{tile}{suffix}")


def build_restorer(
    scale: int, filters: int = RESTORER_FILTERS, fold_input: bool = False, kernel2: int = 2
) -> Any:
    """ESPCN with residual connections and pixel attention, upscaling by ``scale``.

    Conv 5x5 -> Conv 3x3 (+ residual) -> Conv ``kernel2`` (2 or 3; + residual) -> pixel
    attention (1x1 conv,
    sigmoid, multiply) -> Conv 3*r*r 3x3 -> depth_to_space(r). The last conv's output is
    added to the input repeated r*r times before depth_to_space, so the network learns a
    correction on top of the mosaic (nearest upscaling) itself. Fully convolutional:
    input (None, None, 3) RGB in [0, 1], output (None, None, 3), linear.

    ``fold_input``: the form :mod:`unpixel_export.int8_form` exports int8 from: the input is
    concatenated to the gated features and enters the last conv (identity taps there give
    the same sum), with no repeat and no add.
    """
    import keras
    from keras import layers

    if scale not in (2, 3, 4, 5, 6, 7, 8):
        raise ValueError(f"scale must be 2..8, got {scale}")
    if kernel2 not in (2, 3):
        raise ValueError(f"kernel2 must be 2 or 3, got {kernel2}")
    inputs = keras.Input((None, None, 3), name="lr")
    x = layers.Conv2D(filters, 5, padding="same", activation="relu", name="feat")(inputs)
    y = layers.Conv2D(filters, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.Add(name="res1")([x, y])
    y = layers.Conv2D(filters, kernel2, padding="same", activation="relu", name="conv2")(x)
    x = layers.Add(name="res2")([x, y])
    gate = layers.Conv2D(filters, 1, activation="sigmoid", name="pa_gate")(x)
    x = layers.Multiply(name="pa")([x, gate])
    if fold_input:  # the int8 export's form: the input enters the last conv instead
        x = layers.Concatenate(name="pa_and_lr")([x, inputs])
    x = layers.Conv2D(3 * scale * scale, 3, padding="same", name="to_subpixel")(x)
    if not fold_input:
        mosaic = layers.Concatenate(name="repeat_lr")([inputs] * (scale * scale))
        x = layers.Add(name="plus_mosaic")([x, mosaic])
    outputs = keras.ops.depth_to_space(x, scale)  # an op in the graph, not a Lambda layer
    suffix = "_int8_form" if fold_input else ""
    width = "" if (filters, kernel2) == RESTORER_TIERS["fast"] else f"_f{filters}k{kernel2}"
    return keras.Model(inputs, outputs, name=f"restorer_espcn_x{scale}{width}{suffix}")


def build_restorer_tier(scale: int, tier: str) -> Any:
    """:func:`build_restorer` with the filters and kernel of one of :data:`RESTORER_TIERS`."""
    if tier not in RESTORER_TIERS:
        raise ValueError(f"tier must be one of {sorted(RESTORER_TIERS)}, got {tier!r}")
    filters, kernel2 = RESTORER_TIERS[tier]
    return build_restorer(scale, filters, kernel2=kernel2)
