"""Golden outputs: every output, detection and mask of the committed cases, byte for byte.

The hashes were recorded before the runtime's redesign (issue 17); a change that alters any
output must record them anew on purpose (see :mod:`tests.unpixel.golden_cases`).
"""

from __future__ import annotations

import json

import pytest

from tests.unpixel.golden_cases import (
    CONFIGS,
    FP32_HASHES,
    HASHES,
    fp32_probe,
    fp32_sets,
    load_inputs,
    run_cases,
)


@pytest.fixture(scope="module")
def computed() -> dict[str, str]:
    return dict(run_cases(load_inputs()))


def _expected(config: str) -> dict[str, str]:
    """The hashes ``config``'s outputs must have on this CPU (skips an unrecorded fp32 one)."""
    if not config.endswith("fp32"):
        return json.loads(HASHES.read_text())
    probe, sets = fp32_probe(), fp32_sets()
    if probe not in sets:
        pytest.skip(
            f"this CPU's fp32 kernels (probe {probe}) are not among those recorded in "
            f"{FP32_HASHES.name} ({', '.join(sets) or 'none'}): fp32 outputs not compared; "
            "the int8 goldens still are (add this CPU's set with golden_cases --add-fp32)"
        )
    return sets[probe]


def test_every_case_is_covered(computed: dict[str, str]) -> None:
    int8 = json.loads(HASHES.read_text())
    assert not any(k.startswith("litert-fp32/") for k in int8)
    fp32 = [k for k in computed if k.startswith("litert-fp32/")]
    assert sorted(k for k in computed if k not in fp32) == sorted(int8)
    for recorded in fp32_sets().values():
        assert sorted(recorded) == sorted(fp32)
    modes = {key.split("/")[1] for key in computed}
    assert modes == {"image", "detect", "video-s1", "video-s3", "live"}
    assert {key.split("/")[0] for key in computed} == {f"{b}-{p}" for b, p in CONFIGS}


@pytest.mark.parametrize("config", [f"{b}-{p}" for b, p in CONFIGS])
def test_outputs_are_bit_identical(computed: dict[str, str], config: str) -> None:
    expected = _expected(config)
    changed = sorted(
        k for k, v in computed.items() if k.startswith(config) and expected.get(k) != v
    )
    assert not changed, f"{len(changed)} golden outputs changed, first: {changed[:5]}"
