import numpy as np
import pytest

from unpixel.tiles import cut_tiles, flagged_groups, flagged_regions, tile_origins


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
