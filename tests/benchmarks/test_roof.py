import json

import pytest

from benchmarks.make_roof import macs
from unpixel.bench.measure import int8_dot_product
from unpixel.bench.roof import default_roof_file, measure_one, measure_roof


def test_roof_models_match_their_sidecar():
    sidecar = default_roof_file()
    meta = json.loads(sidecar.read_text())
    assert meta["macs"] == macs()
    for precision in ("fp32", "int8"):
        r = measure_one(sidecar, precision, 1, 3)
        assert r["gmacs"] > 1 and r["file"] == meta["files"][precision]


@pytest.mark.skipif(
    int8_dot_product() is None,
    reason="this CPU has no int8 dot-product instructions (VNNI, AMX, dotprod): int8 need not "
    "beat fp32 (the gate skips its int8-vs-fp32 budget for the same reason)",
)
def test_roof_is_compute_bound_int8_faster():
    roof = measure_roof(default_roof_file(), 1, 5)
    by = roof["by_precision"]
    assert by["int8"]["gmacs"] > by["fp32"]["gmacs"] > 1
