import numpy as np
import pytest

import unpixel as up
from unpixel.io import write_atomic


def test_write_atomic_replaces_whole_file(tmp_path):
    path = tmp_path / "sub" / "f.bin"
    write_atomic(path, b"one")
    write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["f.bin"]


def test_write_atomic_unwritable_folder():
    # /proc refuses new folders even to root
    with pytest.raises(up.SinkError, match="cannot write"):
        write_atomic("/proc/unpixel-test/f.bin", b"x")


def test_write_atomic_into_a_file_path_fails_clearly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(up.SinkError, match="cannot write"):
        write_atomic(blocker / "f.bin", b"x")


def test_read_and_write_image_round_trip(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    up.write_image(tmp_path / "x.png", image)
    assert np.array_equal(up.read_image(tmp_path / "x.png"), image)


def test_read_image_errors(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    for name in ("empty.jpg", "missing.png"):
        with pytest.raises(up.SourceError):
            up.read_image(tmp_path / name)
