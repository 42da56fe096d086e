"""Golden outputs: every output, detection and mask of the committed cases, byte for byte.

The hashes were recorded before the runtime's redesign (issue 17); a change that alters any
output must record them anew on purpose (see :mod:`tests.unpixel.golden_cases`).
"""

from __future__ import annotations

import json

import pytest

from tests.unpixel.golden_cases import CONFIGS, HASHES, load_inputs, run_cases


@pytest.fixture(scope="module")
def computed() -> dict[str, str]:
    return dict(run_cases(load_inputs()))


def test_every_case_is_covered(computed: dict[str, str]) -> None:
    expected = json.loads(HASHES.read_text())
    assert sorted(computed) == sorted(expected)
    modes = {key.split("/")[1] for key in computed}
    assert modes == {"image", "detect", "video-s1", "video-s3", "live"}
    assert {key.split("/")[0] for key in computed} == {f"{b}-{p}" for b, p in CONFIGS}


@pytest.mark.parametrize("config", [f"{b}-{p}" for b, p in CONFIGS])
def test_outputs_are_bit_identical(computed: dict[str, str], config: str) -> None:
    expected = json.loads(HASHES.read_text())
    changed = sorted(
        k for k, v in computed.items() if k.startswith(config) and expected.get(k) != v
    )
    assert not changed, f"{len(changed)} golden outputs changed, first: {changed[:5]}"
