from pathlib import Path

import pytest

from unpixel.bench.model_latency import model_cases, run_model
from unpixel.bench.roof import default_roof_file
from unpixel.options import default_models_dir

MODELS = default_models_dir()


def test_cases_come_from_the_manifest():
    cases = model_cases(MODELS, ["tflite-int8", "tflite-fp32"])
    names = {(c.name, c.format) for c in cases}
    assert ("classifier", "tflite-int8") in names and ("restorer_x4", "tflite-fp32") in names
    by = {(c.name, c.format): c for c in cases}
    x4 = by[("restorer_x4", "tflite-int8")]
    assert x4.macs_per_item == 11696 and x4.scale == 4 and "psnr" in x4.quality
    clf = by[("classifier", "tflite-int8")]
    assert clf.macs_per_item > 1_000_000 and {"f1", "fpr"} <= set(clf.quality)
    assert Path(x4.path).stat().st_size == x4.bytes
    assert model_cases(MODELS, ["tflite-int8"], ["classifier"])[0].name == "classifier"


def test_one_model_in_process():
    case = model_cases(MODELS, ["tflite-int8"], ["restorer_x4"])[0]
    roof = default_roof_file()
    r = run_model(case, 1, runs=3, warmup=1, roof_file=str(roof), in_process=True)
    lat = r["latency_ms"]
    assert lat["n"] == 3 and 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"]
    assert r["init_ms"] > 0 and r["first_ms"] > 0 and r["warmup_ms"] > 0
    assert r["input_shape"] == [1, 180, 320, 3]
    assert r["macs"] == 11696 * 180 * 320
    assert r["gmacs"] == pytest.approx(r["macs"] / lat["p50"] / 1e6)
    assert 0 < r["roof_pct"] == pytest.approx(100 * r["gmacs"] / r["roof_gmacs"])


def test_one_model_in_its_own_process_has_its_own_memory():
    case = model_cases(MODELS, ["tflite-fp32"], ["restorer_x2"])[0]
    r = run_model(case, 1, runs=2, warmup=0)
    assert "error" not in r, r.get("error")
    assert r["peak_rss_mib"] > r["model_rss_mib"] > 0 and r["warmup_ms"] is None


def test_a_broken_model_is_reported_not_raised(tmp_path):
    case = model_cases(MODELS, ["tflite-fp32"], ["restorer_x2"])[0]
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model at all, truncated")
    from dataclasses import replace

    r = run_model(replace(case, path=str(bad)), 1, runs=1, warmup=0)
    assert "error" in r and "bad.tflite" in r["error"]
