import numpy as np
import pytest

from unpixel.tiles import batches, cut_tiles, flagged_groups, flagged_regions, tile_origins


@pytest.mark.parametrize(
    ("h", "w", "ys", "xs"),
    [(128, 128, [0, 64], [0, 64]), (100, 150, [0, 36], [0, 64, 86]), (40, 64, [0], [0])],
)
def test_origins_cover_the_frame(h, w, ys, xs):
    assert tile_origins(h, w, 64) == (ys, xs)


def test_cut_tiles_pads_small_frames_and_keeps_order():
    frame = np.arange(100 * 150 * 3, dtype=np.uint32).reshape(100, 150, 3).astype(np.uint8)
    tiles = cut_tiles(frame, 64)
    assert tiles.shape == (6, 64, 64, 3)
    assert np.array_equal(tiles[5], frame[36:100, 86:150])
    assert cut_tiles(frame[:40, :50], 64).shape == (1, 64, 64, 3)


def test_flagged_regions_groups_neighbours():
    # 3 rows x 4 cols of 64 px tiles on a 192 x 256 frame
    flags = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], bool).ravel()
    regions = sorted(flagged_regions(flags, 192, 256, 64))
    assert regions == [(0, 0, 128, 128), (192, 128, 64, 64)]
    assert flagged_regions(np.zeros(12, bool), 192, 256, 64) == []


def test_flagged_groups_list_each_group_s_tiles():
    flags = np.array([[1, 1, 0], [0, 0, 1]], bool).ravel()
    groups = flagged_groups(flags, 100, 150, 64)  # origins y 0, 36; x 0, 64, 86
    assert groups == [((0, 0, 150, 100), [(0, 0, 64, 64), (64, 0, 64, 64), (86, 36, 64, 64)])]
    small = flagged_groups(np.ones(1, bool), 40, 50, 64)  # smaller than a tile: clipped
    assert small == [((0, 0, 50, 40), [(0, 0, 50, 40)])]


@pytest.mark.parametrize(
    ("phase", "origin", "expected"),
    [((1, 3), (0, 0), (1, 3)), ((1, 3), (5, 2), (0, 1)), ((0, 0), (64, 130), (0, 2))],
)
def test_local_phase_is_the_grid_seen_from_the_area_origin(phase, origin, expected):
    from unpixel.geometry import local_phase
    from unpixel.grid import Grid

    assert local_phase(Grid(block=4, phase=phase, confidence=1.0), *origin) == expected


def test_tiles_of_a_frame_lower_than_a_tile_are_padded_one_by_one():
    """A 40x1000 frame: each tile equals the same tile of the whole frame edge-padded."""
    frame = np.random.default_rng(0).integers(0, 256, (40, 1000, 3), np.uint8)
    padded = np.pad(frame, ((0, 24), (0, 0), (0, 0)), mode="edge")
    assert np.array_equal(cut_tiles(frame, 64), cut_tiles(padded, 64))
    assert np.array_equal(cut_tiles(frame, 64, np.array([3, 0])), cut_tiles(padded, 64)[[3, 0]])


@pytest.mark.parametrize(
    ("count", "most", "spans"),
    [
        (0, 4, []),
        (3, 4, [(0, 3)]),
        (8, 4, [(0, 4), (4, 8)]),
        (9, 4, [(0, 3), (3, 6), (6, 9)]),
        (10, 4, [(0, 4), (4, 8), (8, 10)]),
        (5, 0, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]),
    ],
)
def test_batches_are_equal_and_bounded(count, most, spans):
    assert batches(count, most) == spans


def test_classifier_scores_in_batches_equal_one_batch(astronaut, monkeypatch):
    import unpixel as up
    from unpixel import classifier as classifier_module

    frame = np.ascontiguousarray(astronaut[:, :, ::-1])
    frame[100:300, 100:300] = up.pixelate(frame[100:300, 100:300], 8)
    with up.Pipeline.create() as pipe:
        one = pipe.classifier.scores(frame)  # 64 tiles: one batch
        monkeypatch.setattr(classifier_module, "BATCH", 7)  # 10 batches, the last padded
        assert np.array_equal(pipe.classifier.scores(frame), one)
        index = np.array([5, 63, 0, 17])
        assert np.array_equal(pipe.classifier.scores(frame, index), one[index])
