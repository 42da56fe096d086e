"""The CI latency gate runs here (make test), and is shown to fail when a budget breaks."""

import importlib.util
import json
from dataclasses import replace

import pytest

from benchmarks.gate import (
    BUDGETS,
    Budget,
    evaluate,
    load_budgets,
    main,
    median_rounds,
    run_gate,
)
from unpixel.bench.targets import TARGETS


@pytest.fixture(scope="module")
def gate_run():
    return run_gate(load_budgets())


def test_the_gate_passes(gate_run):
    verdicts, _ = gate_run
    lines = "\n".join(v.line() for v in verdicts)
    print(lines)
    assert all(v.ok for v in verdicts), lines


def test_every_budget_is_measured(gate_run):
    _, figures = gate_run
    budgets = load_budgets()
    metrics = {b.metric for b in budgets}
    if importlib.util.find_spec("tensorflow") is None:
        metrics.discard("keras_speedup")  # the Keras baseline needs the export extra
    assert metrics <= set(figures)
    assert all(b.why for b in budgets)


def test_a_broken_budget_fails_and_says_which(gate_run, tmp_path, capsys):
    _, figures = gate_run
    budgets = load_budgets()
    tight = [
        replace(b, bound=figures[b.metric] * (2 if b.kind == "min" else 0.5), requires=None)
        for b in budgets
        if b.metric in figures
    ]
    verdicts = evaluate(figures, tight)
    assert verdicts and not any(v.ok for v in verdicts)
    assert all(
        v.line().startswith("FAIL") and "measured" in v.line() and "allowed" in v.line()
        for v in verdicts
    )

    # the command line: exit status 1, the broken budget named with measured vs allowed
    one = tight[0]
    budgets_file = tmp_path / "budgets.json"
    budgets_file.write_text(
        json.dumps(
            {
                "budgets": [
                    {"metric": one.metric, "kind": one.kind, "bound": one.bound, "why": "test"}
                ]
            }
        )
    )
    measured_file = tmp_path / "measured.json"
    measured_file.write_text(json.dumps(figures))
    assert main(["--budgets", str(budgets_file), "--measured", str(measured_file)]) == 1
    out, err = capsys.readouterr()
    assert f"FAIL {one.metric}: measured" in out and "allowed" in out
    assert "latency gate FAILED" in err and one.metric in err


def test_the_committed_budgets_pass_on_saved_figures(gate_run, tmp_path, capsys):
    _, figures = gate_run
    measured_file = tmp_path / "measured.json"
    measured_file.write_text(json.dumps(figures))
    assert main(["--measured", str(measured_file)]) == 0
    assert "latency gate passed" in capsys.readouterr().out


def test_budget_checks_and_rounds():
    budget = Budget("x", "max", 10.0, "ms", "test")
    assert evaluate({"x": 9.0}, [budget])[0].ok
    assert not evaluate({"x": 11.0}, [budget])[0].ok
    skipped = evaluate({}, [budget])[0]
    assert skipped.ok and skipped.line().startswith("skip")
    assert median_rounds([{"x": 1.0, "y": 5.0}, {"x": 3.0}, {"x": 2.0}]) == {"x": 2.0, "y": 5.0}


def test_malformed_budgets_are_refused(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(
        json.dumps({"budgets": [{"metric": "x", "kind": "atmost", "bound": 1, "why": "-"}]})
    )
    with pytest.raises(ValueError, match="kind"):
        load_budgets(path)


def test_no_budget_is_stricter_than_its_unmet_target():
    """Budgets gate what is met; a target the budget is tighter than would be gated unmet."""
    targets = {t.metric: t for t in TARGETS}
    for b in load_budgets(BUDGETS):
        t = targets.get(b.metric)
        if t is not None:
            assert t.kind == b.kind
            assert (b.bound <= t.bar) if b.kind == "min" else (b.bound >= t.bar), b.metric


def test_an_int8_budget_is_skipped_with_its_reason_on_a_cpu_without_int8_dot_products():
    budget = Budget("restorer_x4_int8_vs_fp32", "min", 1.2, "x", "test", "int8_dot")
    without = evaluate({"restorer_x4_int8_vs_fp32": 0.8}, [budget], int8_dot=None)[0]
    assert without.ok and without.measured is None
    assert "no int8 dot-product instructions" in without.line()
    with_vnni = evaluate({"restorer_x4_int8_vs_fp32": 0.8}, [budget], int8_dot="avx512_vnni")[0]
    assert not with_vnni.ok and with_vnni.line().startswith("FAIL")


def test_the_committed_int8_budget_requires_int8_dot_products():
    (budget,) = [b for b in load_budgets() if b.metric == "restorer_x4_int8_vs_fp32"]
    assert budget.requires == "int8_dot"
