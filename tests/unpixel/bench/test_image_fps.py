from unpixel.bench.baselines import bench_bicubic, bench_keras
from unpixel.bench.image_fps import bench_pipeline, pipeline_engines, run_frame, timed_pipeline
from unpixel.bench.workloads import bench_frame


def test_timed_pipeline_times_every_engine_with_one_timer():
    with timed_pipeline("litert", "int8", 1) as (pipe, timer):
        engines = pipeline_engines(pipe)
        assert len(engines) >= 2 and all(e.timer is timer for e in engines)
        row = run_frame(pipe, timer, bench_frame(320, 240, 1.0, 4))
        assert timer.calls >= 2  # the classifier and at least one restorer call
        assert row["invoke"] == timer.ms and 0 < row["invoke"] < row["wall"]


def test_pipeline_cases_have_stages_invoke_and_overhead():
    rows = bench_pipeline("litert", "int8", 1, ((320, 240),), (0.0, 1.0), runs=2)
    clean, full = rows
    assert (clean["coverage"], full["coverage"]) == (0.0, 1.0)
    assert not clean["detected"] and full["detected"]
    for r in rows:
        assert r["frame_ms"]["n"] == 2 and r["fps"] == 1e3 / r["frame_ms"]["p50"]
        assert {"classify", "grid", "cells", "restore"} <= set(r["stages_ms"])
        assert 0 < r["invoke_ms"] < r["frame_ms"]["p90"] * 1.01
        assert 0 <= r["overhead_pct"] < 100
    assert full["stages_ms"]["restore"] > clean["stages_ms"]["restore"]


def test_bicubic_baseline():
    r = bench_bicubic(640, 480, runs=3)
    assert r["frame_ms"]["n"] == 3 and r["fps"] > 0


def test_keras_baseline_failure_is_a_note():
    r = bench_keras(640, 480, 1, 1, block=5)  # the baseline only has x2, x3, x4
    assert "skipped" in r and "failed" in r["skipped"]
