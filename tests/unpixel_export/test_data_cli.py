"""``unpixel data`` never writes an empty manifest (issue 21, item 6).

The child process finds no photo at all: ``dpkg`` is not on its PATH and a meta-path finder
(test_cli_extras') refuses the pip packages that carry sample photos, as on a machine without them.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.unpixel.test_cli_extras import RUN_BLOCKED

PHOTO_PACKAGES = "skimage,sklearn,matplotlib"


def _data(tmp_path, *argv):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, PHOTO_PACKAGES, "data", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path / "work",
        env={"PATH": str(empty_bin), "HOME": str(tmp_path)},
    )


def test_no_photos_writes_nothing_and_says_what_to_install(tmp_path):
    (tmp_path / "work").mkdir()
    result = _data(tmp_path, "--no-install")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith("error: no photos found, so data/corpus.json was not written")
    assert "pip install scikit-image" in line
    assert list((tmp_path / "work").iterdir()) == []  # no data/ folder, no manifest
    notes = [x for x in result.stderr.splitlines() if x.startswith("note:")]
    assert any("no images found" in n for n in notes)


def test_an_existing_manifest_is_left_as_it_was(tmp_path):
    (tmp_path / "work").mkdir()
    kept = tmp_path / "work" / "corpus.json"
    kept.write_text(json.dumps({"images": ["earlier"]}))
    result = _data(tmp_path, "--no-install", "--output", "corpus.json")
    assert result.returncode == 1
    assert json.loads(kept.read_text()) == {"images": ["earlier"]}


def test_validation_share_is_checked(tmp_path):
    (tmp_path / "work").mkdir()
    result = _data(tmp_path, "--no-install", "--validation", "1.5")
    assert result.returncode == 2
    assert "must be in [0, 1), got 1.5" in result.stderr
