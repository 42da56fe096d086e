"""Widening a trained restorer into the quality tier keeps its function exactly."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("keras")

from unpixel_export.models import build_restorer, build_restorer_tier
from unpixel_export.widen import widen


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_widened_restorer_computes_the_narrow_ones_function(scale):
    narrow = build_restorer_tier(scale, "fast")
    rng = np.random.default_rng(scale)
    weights = [rng.normal(0, 0.1, w.shape).astype(np.float32) for w in narrow.get_weights()]
    narrow.set_weights(weights)
    wide = widen(narrow, build_restorer_tier(scale, "quality"))
    x = rng.random((2, 13, 17, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(wide(x)), np.asarray(narrow(x)), atol=2e-6)
    assert wide.count_params() > 2 * narrow.count_params()


def test_the_new_channels_are_live_for_training():
    narrow = build_restorer_tier(2, "fast")
    wide = widen(narrow, build_restorer_tier(2, "quality"))
    kernel = wide.get_layer("conv3").get_weights()[0]
    assert np.abs(kernel[:, :, :, 16:]).max() > 0  # new outputs get fresh input weights
    assert np.abs(kernel[:, :, 16:, :16]).max() == 0  # new inputs do not reach old outputs


def test_widen_refuses_a_narrower_target_or_another_scale():
    with pytest.raises(ValueError, match="does not fit"):
        widen(build_restorer_tier(2, "quality"), build_restorer_tier(2, "fast"))
    with pytest.raises(ValueError):
        widen(build_restorer(2), build_restorer(3, 32, kernel2=3))


def test_quality_tier_stays_under_50k_parameters_with_the_runtime_reach():
    for scale in (2, 3, 4):
        model = build_restorer_tier(scale, "quality")
        assert model.count_params() <= 50_000
        sizes = [model.get_layer(n).kernel_size for n in ("feat", "conv3", "conv2", "to_subpixel")]
        assert sum(k[0] // 2 for k in sizes) == 5  # unpixel.restorer.RADIUS
