"""The README's benchmark block is generated from the committed bench JSON."""

import json
from pathlib import Path

import pytest

from benchmarks.readme_tables import END, START, block, rewrite

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "bench.json"


@pytest.fixture(scope="module")
def result():
    return json.loads(RESULTS.read_text())


def test_readme_block_matches_the_committed_json(result):
    readme = (ROOT / "README.md").read_text()
    assert rewrite(readme, result) == readme, "run: python -m benchmarks.readme_tables"


def test_rewrite_touches_only_the_block(result):
    text = f"# title\n\nbefore\n{START}\nold table\n{END}\nafter\n"
    out = rewrite(text, result)
    assert out.startswith(f"# title\n\nbefore\n{START}\n") and out.endswith(f"{END}\nafter\n")
    assert "old table" not in out and rewrite(out, result) == out
    with pytest.raises(ValueError, match="bench:start"):
        rewrite("# no markers\n", result)


def test_block_has_every_table(result):
    text = block(result)
    for what in (
        "AMD" if "AMD" in result["machine"]["cpu"] else "",
        "| model",
        "| pipeline",
        "1920x1080",
        "model.predict",
        "bicubic",
        "Roof",
        "| target",
    ):
        assert what in text
    for row in result["pipeline"]:
        assert f"{row['fps']:.1f}" in text
