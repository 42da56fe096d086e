import json
import subprocess
import sys

import cv2
import numpy as np

import unpixel as up
from unpixel.cli import main


def test_help_lists_every_command(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for command in ("detect", "restore", "live", "bench", "eval", "train", "export", "data"):
        assert command in out


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "unpixel", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "detect" in result.stdout


def test_detect_json(tmp_path, astronaut, capsys):
    cv2.imwrite(str(tmp_path / "a.png"), up.pixelate(astronaut, 6, phase=(1, 2)))
    cv2.imwrite(str(tmp_path / "b.png"), astronaut)
    assert main(["detect", str(tmp_path), "--json"]) == 0
    rows = {r["input"].split("/")[-1]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["a.png"]["pixelated"] and rows["a.png"]["block"] == 6
    assert rows["a.png"]["phase"] == [1, 2]
    assert not rows["b.png"]["pixelated"]


def test_detect_bad_file_is_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    assert main(["detect", str(bad), str(tmp_path / "missing.jpg")]) == 1
    err = capsys.readouterr().err
    assert "not a readable image" in err and "missing.jpg" in err


def test_pending_command_says_so(capsys):
    from unpixel.cli import _PENDING

    for name in _PENDING:
        assert main([name]) == 2
        assert "not built yet" in capsys.readouterr().err


def test_demo_writes_sheet_and_summary(tmp_path):
    assert main(["demo", "--output", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["correct"] == summary["cases"] > 0
    sheet = cv2.imread(str(tmp_path / "sheet.png"))
    assert sheet is not None and sheet.shape[0] >= 256
    assert not list(tmp_path.glob(".*tmp"))


def test_eval_on_a_folder(tmp_path, photos, capsys):
    for name in ("coffee", "rocket"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), photos[name])
    report = tmp_path / "r.json"
    assert main(["eval", "--images", str(tmp_path), "--trials", "1", "--json", str(report)]) == 0
    doc = json.loads(report.read_text())
    assert doc["photos"] == 2 and set(doc["per_block"]) == {str(b) for b in range(2, 17)}
    assert "| block |" in capsys.readouterr().out


def test_eval_on_missing_folder_fails_clearly(tmp_path, capsys):
    assert main(["eval", "--images", str(tmp_path / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_flat_namespace():
    for name in ("pixelate", "estimate_grid", "Grid", "metrics", "UnpixelError", "ModelError"):
        assert hasattr(up, name)
    assert issubclass(up.ModelError, up.UnpixelError)
    assert np.__version__ >= "2"


def test_restore_images_and_video(tmp_path, astronaut, capsys):
    src = tmp_path / "in"
    src.mkdir()
    mosaic = up.pixelate(astronaut, 4, phase=(1, 1))
    cv2.imwrite(str(src / "a.png"), mosaic)
    writer = cv2.VideoWriter(str(src / "v.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (256, 256))
    for i in range(6):
        writer.write(np.ascontiguousarray(mosaic[i * 8 : i * 8 + 256, :256]))
    writer.release()
    assert main(["restore", str(src), "-o", str(tmp_path / "out"), "--json"]) == 0
    rows = {r["input"].split("/")[-1]: r for r in json.loads(capsys.readouterr().out)}
    restored = cv2.imread(str(tmp_path / "out" / "a.png"))
    assert up.metrics.psnr(astronaut, restored) > up.metrics.psnr(astronaut, mosaic) + 1
    assert rows["a.png"]["block"] == 4
    cap = cv2.VideoCapture(str(tmp_path / "out" / "v.avi"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6 == rows["v.avi"]["frames"]
    assert cap.get(cv2.CAP_PROP_FPS) == 12.0
    assert not list((tmp_path / "out").glob(".*"))


def test_restore_truncated_video_leaves_no_output(tmp_path, capsys):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40)
    assert main(["restore", str(bad), "-o", str(tmp_path / "out")]) == 1
    assert "not a readable video" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
