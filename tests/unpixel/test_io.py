import os

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


@pytest.mark.parametrize("length", [242, 250, 255])
def test_write_image_to_a_long_name_leaves_no_temp_file(tmp_path, length):
    """Issue 20, item 14: the temp name must not be longer than a valid final name."""
    name = "é" * ((length - 4) // 2) + "a" * ((length - 4) % 2) + ".png"  # 2-byte characters
    assert len(name.encode()) == length
    image = np.zeros((8, 8, 3), np.uint8)
    up.write_image(tmp_path / name, image)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert np.array_equal(up.read_image(tmp_path / name), image)


def test_temp_prefix_fits_name_max_and_keeps_short_names():
    from unpixel.io import NAME_MAX, temp_prefix

    assert temp_prefix("out/photo.png") == ".photo.png."
    for name in ("a" * 255, "é" * 127, "€" * 85):
        prefix = os.fsencode(temp_prefix(name))
        assert len(prefix) + 8 + len(".tmp") <= NAME_MAX


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_read_image_refuses_what_is_not_a_regular_file_without_blocking(tmp_path, kind):

    path = tmp_path / "photo.png"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(up.SourceError, match="not a regular file"):
        up.read_image(path)


def test_cli_detect_on_a_fifo_named_png_exits_with_an_error(tmp_path, capsys):

    from unpixel.cli import main

    os.mkfifo(tmp_path / "photo.png")
    assert main(["detect", str(tmp_path / "photo.png")]) != 0
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("image", "name", "error", "match"),
    [
        (np.zeros((8, 8, 3), np.float32), "a.png", TypeError, "uint8"),
        ([[0, 1], [2, 3]], "a.png", TypeError, "uint8"),
        (np.zeros((8, 8, 2), np.uint8), "a.png", ValueError, "shape"),
        (np.zeros((0, 8, 3), np.uint8), "a.png", ValueError, "shape"),
        (np.zeros((8, 8, 3), np.uint8), "a.unknown", ValueError, "cannot write"),
    ],
)
def test_write_image_refuses_what_it_cannot_write_faithfully(tmp_path, image, name, error, match):
    with pytest.raises(error, match=match):
        up.write_image(tmp_path / name, image)
    assert list(tmp_path.iterdir()) == []


def test_temp_beside_is_hidden_keeps_the_suffix_and_fits_a_long_name(tmp_path):
    from unpixel.io import NAME_MAX, temp_beside

    name = "v" * (NAME_MAX - 4) + ".mp4"  # the longest valid name
    tmp = temp_beside(tmp_path / "sub" / name)
    assert tmp.parent == tmp_path / "sub" and tmp.name.startswith(".") and tmp.suffix == ".mp4"
    assert len(os.fsencode(tmp.name)) <= NAME_MAX and tmp.stat().st_size == 0
    with pytest.raises(up.SinkError, match="cannot write"):
        temp_beside("/proc/unpixel-test/v.mp4")
