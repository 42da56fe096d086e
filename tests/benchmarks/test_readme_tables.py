"""docs/benchmarks.md's benchmark block is generated from the committed bench JSON."""

import json
import re
from pathlib import Path

import pytest

from benchmarks.readme_tables import DOC, END, START, block, main, rewrite

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "bench.json"


@pytest.fixture(scope="module")
def result():
    return json.loads(RESULTS.read_text())


def test_the_block_matches_the_committed_json(result):
    assert DOC == ROOT / "docs" / "benchmarks.md"
    text = DOC.read_text()
    assert rewrite(text, result) == text, "run: python -m benchmarks.readme_tables"
    assert START not in (ROOT / "README.md").read_text()  # one generated copy, in docs/


def test_the_charts_it_links_exist(result):
    links = re.findall(r"\]\(([^)]+\.png)\)", block(result))
    assert links
    for link in links:
        assert (DOC.parent / link).resolve().is_file(), link


def test_main_rewrites_the_document_given(result, tmp_path):
    doc = tmp_path / "bench.md"
    doc.write_text(f"# b\n{START}\nold\n{END}\n")
    assert main(["--doc", str(doc)]) == 0
    assert doc.read_text() == rewrite(f"# b\n{START}\nold\n{END}\n", result)
    assert [p.name for p in tmp_path.iterdir()] == ["bench.md"]  # no temporary file left


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
    for row in result.get("video", []):
        assert f"{row['fps']:.1f}" in text


def _video_row(clip, sweep, fps, tiles, reused, restored):
    return {
        "backend": "litert",
        "precision": "int8",
        "threads": 2,
        "width": 1280,
        "height": 720,
        "clip": clip,
        "sweep": sweep,
        "frames": 30,
        "fps": fps,
        "tiles_per_frame": tiles,
        "tiles_total": 240,
        "reused_share": reused,
        "restored_share": restored,
        "image_fps": 18.8,
    }


def test_the_video_table_is_made_only_when_the_json_has_it(result):
    without = {k: v for k, v in result.items() if k != "video"}
    assert "VIDEO mode" not in block(without) and "VIDEO mode" not in block(
        {**without, "video": []}
    )
    rows = [
        _video_row("clean_pan", 1, 41.5, 240, 0.0, 0.0),
        _video_row("clean_pan", 3, 116.5, 80, 0.0, 0.0),
        _video_row("pixelated_static", 1, 43.2, 0, 1.0, 1.0),
    ]
    text = block({**without, "video": rows})
    assert "VIDEO mode" in text and "30 frames a clip" in text
    assert "| litert-int8 | 1280x720 | clean, pan " in text
    assert "41.5 / 116.5" in text and "240 / 80 of 240" in text
    assert "43.2 / -" in text and "100% / -" in text
    assert text.index("| pipeline") < text.index("VIDEO mode") < text.index("bicubic")
