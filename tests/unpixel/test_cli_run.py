"""``unpixel restore`` / ``detect`` conventions: ``-o FILE``, ``--tile``, help on every flag."""

from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main
from unpixel.cli_run import add_detect_arguments, add_restore_arguments


@pytest.fixture
def mosaic(tmp_path, astronaut):
    path = tmp_path / "m.png"
    cv2.imwrite(str(path), up.pixelate(np.ascontiguousarray(astronaut[:192, :192]), 4))
    return path


def test_o_names_the_file_for_one_input(tmp_path, mosaic):
    out = tmp_path / "deep" / "fixed.png"
    assert main(["restore", str(mosaic), "-o", str(out)]) == 0
    assert cv2.imread(str(out)).shape == (192, 192, 3)
    assert [p.name for p in out.parent.iterdir()] == ["fixed.png"]


def test_o_stays_a_folder_for_many_inputs_and_folders(tmp_path, mosaic, capsys):
    other = tmp_path / "n.png"
    cv2.imwrite(str(other), cv2.imread(str(mosaic)))
    assert main(["restore", str(mosaic), str(other), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.png", "n.png"]
    assert main(["restore", str(mosaic), str(other), "-o", str(tmp_path / "x.png")]) == 1
    assert "for several inputs it must be a folder" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_o_file_kind_must_match_and_never_be_the_input(tmp_path, mosaic, capsys):
    before = mosaic.read_bytes()
    assert main(["restore", str(mosaic), "-o", str(tmp_path / "v.mp4")]) == 1
    assert "is an image; --output" in capsys.readouterr().err
    assert main(["restore", str(mosaic), "-o", str(mosaic)]) == 1
    assert "would overwrite the input" in capsys.readouterr().err
    assert mosaic.read_bytes() == before


def test_tile_reaches_the_pipeline(tmp_path, mosaic, monkeypatch):
    import unpixel.options

    seen = []
    original = unpixel.options.PipelineOptions.__post_init__

    def spy(self):
        seen.append(self.restore_tile)
        original(self)

    monkeypatch.setattr(unpixel.options.PipelineOptions, "__post_init__", spy)
    assert main(["restore", str(mosaic), "-o", str(tmp_path / "a.png"), "--tile", "32"]) == 0
    assert seen == [32]
    a = cv2.imread(str(tmp_path / "a.png"))
    assert main(["restore", str(mosaic), "-o", str(tmp_path / "b.png"), "--tile", "16"]) == 0
    truth = cv2.imread(str(mosaic))
    assert a.shape == cv2.imread(str(tmp_path / "b.png")).shape == truth.shape


def test_bad_tile_and_quality_are_usage_errors(tmp_path, mosaic, capsys):
    assert main(["restore", str(mosaic), "-o", str(tmp_path), "--tile", "8"]) == 2
    assert "restore_tile" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["restore", str(mosaic), "-o", str(tmp_path), "--quality", "101"])
    assert exc.value.code == 2 and "must be 1 to 100" in capsys.readouterr().err


class Recorder(argparse.ArgumentParser):
    """A parser that records each argument's names and help text."""

    def __init__(self) -> None:
        self.helps: dict[str, str | None] = {}
        super().__init__(add_help=False)

    def add_argument(self, *names, **kw):
        self.helps[names[0] if names else kw["dest"]] = kw.get("help")
        return super().add_argument(*names, **kw)


@pytest.mark.parametrize("add", [add_detect_arguments, add_restore_arguments])
def test_every_flag_has_help(add):
    parser = Recorder()
    add(parser)
    assert len(parser.helps) >= 8
    assert [name for name, text in parser.helps.items() if not text] == []


def test_detect_json_of_an_image_is_unchanged(tmp_path, mosaic, capsys):
    assert main(["detect", str(mosaic), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["block"] == 4 and row["frames"] == 1 and "segments" not in row


def test_detect_reports_a_non_integer_period(tmp_path, mosaic, astronaut, capsys):
    lr = cv2.resize(astronaut, (227, 227), interpolation=cv2.INTER_AREA)
    shown = tmp_path / "x225.png"  # a 227-pixel picture shown at 511 pixels: x2.25
    cv2.imwrite(str(shown), cv2.resize(lr, (511, 511), interpolation=cv2.INTER_NEAREST))
    assert main(["detect", str(shown), str(mosaic), "--json"]) == 0
    rows = {r["input"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[str(shown)]["period"] == pytest.approx(511 / 227, rel=0.01)
    assert rows[str(shown)]["block"] == 2
    assert rows[str(mosaic)]["period"] is None  # an integer grid


def test_restorer_tier_flag_reaches_the_pipeline_and_both_tiers_restore(tmp_path, mosaic):
    """Each shipped tier restores the mosaic (the quality tier differently from the fast)."""
    from unpixel.bench.tiers import shipped_tiers
    from unpixel.formats import get_format

    outs = {}
    for tier in shipped_tiers(get_format("tflite-int8")):
        out = tmp_path / f"{tier}.png"
        assert main(["restore", str(mosaic), "-o", str(out), "--restorer", tier]) == 0
        outs[tier] = cv2.imread(str(out))
    truth = cv2.imread(str(mosaic))
    assert all(not np.array_equal(o, truth) for o in outs.values())
    if len(outs) == 2:
        assert not np.array_equal(outs["fast"], outs["quality"])


def test_an_unknown_restorer_tier_is_a_usage_error(tmp_path, mosaic, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["restore", str(mosaic), "-o", str(tmp_path), "--restorer", "slow"])
    assert exc.value.code == 2 and "invalid choice: 'slow'" in capsys.readouterr().err
