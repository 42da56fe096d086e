import argparse
import json
import sys

import pytest

from unpixel.bench.report import markdown_table
from unpixel.bench.video_fps import SWEEPS, VIDEO_RESOLUTIONS, available_clips
from unpixel.cli import main
from unpixel.errors import MissingExtraError


def test_markdown_table_aligns():
    text = markdown_table(("a", "bb"), [("x", 1), ("yy", 22)])
    assert text.splitlines() == ["| a  | bb |", "|----|---:|", "| x  |  1 |", "| yy | 22 |"]


def test_bench_command_writes_tables_json_and_charts(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["bench", "--models", "restorer_x4", "--formats", "tflite-int8", "tflite-fp32"]
    argv += ["--runs", "2", "--pipeline-runs", "1", "--video-frames", "1", "--no-keras"]
    argv += ["--in-process", "--json", str(out), "--plot", str(tmp_path / "charts")]
    assert main(argv) == 0
    text = capsys.readouterr().out
    for heading in ("Machine:", "Models", "Pipeline", "VIDEO mode", "OpenCV bicubic", "Targets:"):
        assert heading in text
    result = json.loads(out.read_text())
    for target in result["targets"]:  # each bar's row says what the JSON says of it
        status = {True: "met", False: "NOT MET", None: "-"}[target["met"]]
        row = next(line for line in text.splitlines() if line.startswith(f"| {target['name']}"))
        assert f"| {status} " in row
    assert {r["format"] for r in result["models"]} == {"tflite-int8", "tflite-fp32"}
    assert len(result["pipeline"]) == 9 and len(result["baselines"]["bicubic"]) == 3
    rows = len(VIDEO_RESOLUTIONS) * len(available_clips()) * len(SWEEPS)
    assert len(result["video"]) == rows and {r["frames"] for r in result["video"]} == {1}
    assert "keras_patch_loop" not in result["baselines"]
    assert result["headline"]["restorer_x4_int8_vs_fp32"] > 0
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "bench_models.png",
        "bench_pipeline.png",
    ]


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    from unpixel.bench.plot import pyplot

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"unpixel\[bench\]"):
        pyplot()


def test_bad_threads_is_a_usage_error(capsys):
    assert main(["bench", "--threads", "0", "--no-keras"]) == 2
    assert "--threads" in capsys.readouterr().err
    assert main(["bench", "--video-frames", "0", "--no-keras"]) == 2
    assert "--video-frames" in capsys.readouterr().err


def test_no_video_skips_the_section():
    from unpixel.bench.cli_bench import add_arguments, settings_from

    p = argparse.ArgumentParser()
    add_arguments(p)
    assert settings_from(p.parse_args([])).video_resolutions  # type: ignore[attr-defined]
    off = settings_from(p.parse_args(["--no-video", "--video-frames", "5"]))
    assert off.video_resolutions == () and off.video_frames == 5  # type: ignore[attr-defined]
