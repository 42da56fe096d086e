import numpy as np
import pytest

from unpixel.bench.measure import interleaved_ms, machine, peak_rss_mib, rss_mib, summarize
from unpixel.bench.targets import TARGETS, check, check_targets
from unpixel.bench.workloads import bench_frame, model_input, mosaic_box


def test_summarize_percentiles():
    s = summarize(list(range(1, 101)))
    assert s["n"] == 100 and s["min"] == 1
    assert s["p50"] == pytest.approx(50.5) and s["p90"] == pytest.approx(90.1)
    assert s["p99"] == pytest.approx(99.01) and s["mean"] == pytest.approx(50.5)


def test_interleaved_runs_each_in_turn():
    order = []
    times = interleaved_ms({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 3)
    assert order == ["a", "b"] * 3 and all(len(v) == 3 for v in times.values())


def test_memory_and_machine():
    now = rss_mib()  # first: another thread may allocate between the two reads
    assert peak_rss_mib() >= now > 10
    m = machine()
    assert m["cores"] >= 1 and m["cpu"] and "numpy" in m["packages"]


@pytest.mark.parametrize("coverage", [0.25, 1.0])
def test_mosaic_box_covers_the_share(coverage):
    x, y, w, h = mosaic_box(1280, 720, coverage)
    assert w * h / (1280 * 720) == pytest.approx(coverage, abs=0.01)
    assert x + w <= 1280 and y + h <= 720
    assert mosaic_box(640, 480, 0.0) is None
    with pytest.raises(ValueError):
        mosaic_box(640, 480, 1.5)


def test_bench_frames_are_pixelated_where_asked():
    import unpixel as up

    clean = bench_frame(640, 480, 0.0)
    full = bench_frame(640, 480, 1.0)
    part = bench_frame(640, 480, 0.25)
    assert clean.shape == (480, 640, 3) and clean.dtype == np.uint8
    assert up.estimate_grid(full).block == 4
    changed = np.any(part != clean, axis=2)
    assert 0.15 < changed.mean() <= 0.26
    assert up.estimate_grid(clean) is None


def test_model_inputs_are_one_frame_of_work():
    assert model_input("classifier", None, 64).shape == (240, 64, 64, 3)
    assert model_input("restorer", 4).shape == (1, 180, 320, 3)
    assert model_input("restorer", 3).shape == (1, 240, 427, 3)
    with pytest.raises(ValueError):
        model_input("restorer", None)


def test_targets_checked_both_ways():
    assert check("x", 30, "min", 25) and not check("x", 20, "min", 25)
    assert check("x", 10, "max", 20) and not check("x", 30, "max", 20)
    with pytest.raises(ValueError):
        check("x", 1, "at least", 2)
    rows = check_targets({"fps_1280x720_100": 30.0, "overhead_1280x720_100": 50.0})
    by = {r["metric"]: r for r in rows}
    assert len(rows) == len(TARGETS)
    assert by["fps_1280x720_100"]["met"] is True
    assert by["overhead_1280x720_100"]["met"] is False
    assert by["keras_speedup"]["met"] is None
