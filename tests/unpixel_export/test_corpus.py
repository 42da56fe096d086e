from pathlib import Path

import numpy as np
import pytest

from unpixel_export.corpus import (
    Entry,
    _group,
    gather,
    has_detail,
    load_manifest,
    split_of,
    write_manifest,
)


def test_split_is_deterministic_and_near_the_fraction():
    groups = [f"src/photo{i}" for i in range(2000)]
    splits = [split_of(g) for g in groups]
    assert splits == [split_of(g) for g in groups]
    assert 0.16 < splits.count("validation") / len(groups) < 0.24


@pytest.mark.parametrize(
    ("source", "path", "group"),
    [
        ("plasma", "/usr/share/wallpapers/Kite/contents/images/5120x2880.png", "plasma/Kite"),
        ("plasma", "/usr/share/wallpapers/Kite/contents/images/1080x1920.png", "plasma/Kite"),
        ("mate", "/usr/share/backgrounds/mate/nature/Elephants_3840x2160.jpg", "mate/Elephants"),
        ("opencv", "/x/aloeL.jpg", "opencv/aloe"),
        ("opencv", "/x/right.jpg", "opencv/left"),
        ("opencv", "/x/apple.jpg", "opencv/apple"),
    ],
)
def test_groups_keep_resolutions_and_pairs_together(source, path, group):
    assert _group(source, Path(path)) == group


def test_gather_without_install_finds_pip_photos_and_round_trips(tmp_path):
    entries, notes = gather(install=False, log=lambda _: None)
    sources = {e.source for e in entries}
    assert "skimage" in sources  # scikit-image is a test dependency
    assert all(e.width >= 200 and e.height >= 200 and len(e.sha256) == 64 for e in entries)
    assert all(isinstance(n, str) for n in notes)
    path = tmp_path / "corpus.json"
    write_manifest(entries, notes, path)
    assert load_manifest(path) == entries
    assert all(
        isinstance(e, Entry) and e.split == "validation" for e in load_manifest(path, "validation")
    )


def test_flat_photos_are_left_out():
    flat = np.full((300, 300, 3), 255, np.uint8)  # an overlay read without its alpha
    assert not has_detail(flat)
    assert has_detail(np.random.default_rng(0).integers(0, 256, (300, 300, 3), np.uint8))
