import json
import subprocess
import sys

import cv2

from unpixel.cli import main


def test_sample_clip_writes_video_summary_and_before_after(tmp_path, capsys, h):
    out = tmp_path / "live"
    code = main(
        [
            "live",
            "--output",
            str(out),
            "--max-frames",
            "12",
            "--sample-frames",
            "12",
            "--size",
            "256x192",
            "--overlay",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames"] == 12 and summary["dropped"] == 0
    assert (
        summary["latency_ms"]["p50"] > 0
        and summary["latency_ms"]["p95"] >= summary["latency_ms"]["p50"]
    )
    assert summary["pixelated_frames"] == 8  # scenes 2 and 3 of the clip
    assert summary["sample_detection_accuracy"] == 1.0
    assert len(h.read_video(out / "live.mp4")) == 12
    before_after = cv2.imread(str(out / "before_after.png"))
    assert before_after.shape == (192, 2 * 256 + 4, 3)
    assert "12 frames" in capsys.readouterr().out
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_video_file_in_video_file_out_with_frames_folder(tmp_path, video_file, capsys, h):
    out = tmp_path / "clean.avi"
    frames = tmp_path / "frames"
    code = main(
        [
            "live",
            "--source",
            str(video_file),
            "--output",
            str(out),
            "--frames-dir",
            str(frames),
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 20 and summary["stop_reason"] == "end of stream"
    assert len(h.read_video(out)) == 20 and len(list(frames.iterdir())) == 20
    assert (tmp_path / "clean_summary.json").is_file()
    assert (tmp_path / "clean_before_after.png").is_file()


def test_non_loopback_serve_without_token_is_refused(tmp_path, capsys):
    code = main(["live", "--serve", "0.0.0.0:0", "--output", str(tmp_path / "o")])
    assert code == 2
    assert "--token" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # refused before anything was opened


def test_bad_source_and_no_display_are_clear_errors(tmp_path, capsys):
    assert main(["live", "--source", str(tmp_path / "missing.mp4")]) == 1
    assert "no such source" in capsys.readouterr().err
    from unpixel.live.sinks import gui_available

    if not gui_available():
        assert main(["live", "--display", "--max-frames", "3", "--sample-frames", "3"]) == 1
        assert "no display" in capsys.readouterr().err


def test_bad_flags_are_usage_errors(capsys):
    for argv in (["--size", "12"], ["--max-frames", "0"], ["--lores", "64x48"]):
        try:
            code = main(["live", *argv])
        except SystemExit as exc:
            code = exc.code
        assert code == 2, argv


def test_sigterm_finalises_the_video(tmp_path, h):
    """The real command as a process: SIGTERM mid-run leaves a playable video and a summary."""
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "unpixel",
            "live",
            "--realtime",
            "--sample-frames",
            "900",
            "--size",
            "128x96",
            "--output",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "unpixel live:" in proc.stdout.readline()  # running
        import time

        time.sleep(1.5)
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 128 + 15, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "interrupted (SIGTERM)" and summary["live"]
    assert len(h.read_video(out / "live.mp4")) == summary["frames"] > 0
