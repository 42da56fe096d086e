"""The restorer tiers side by side in the bench: one row per shipped tier, FPS and PSNR."""

from __future__ import annotations

from unpixel.bench.report import tiers_table
from unpixel.bench.run import headline
from unpixel.bench.tiers import bench_tiers, shipped_tiers
from unpixel.formats import get_format

INT8 = get_format("tflite-int8")


def test_every_shipped_tier_has_three_scales_and_the_fast_one_is_there():
    tiers = shipped_tiers(INT8)
    assert "fast" in tiers
    for entries in tiers.values():
        assert [e.scale for e in entries] == [2, 3, 4]


def test_bench_tiers_runs_each_tier_on_the_same_frame():
    rows = bench_tiers(INT8, 2, (256, 144), runs=1)
    assert [r["restorer"] for r in rows] == list(shipped_tiers(INT8))
    for r in rows:
        assert (r["width"], r["height"], r["coverage"]) == (256, 144, 1.0)
        assert r["fps"] > 0 and r["detected"]
        assert set(r["psnr_by_block"]) == {"2", "3", "4"}
    heads = headline({"tiers": rows})
    assert {f"fps_{r['restorer']}_256x144_100" for r in rows} <= set(heads)
    table = tiers_table(rows)
    assert table.count("\n") == len(rows) + 1 and "PSNR b=4" in table
