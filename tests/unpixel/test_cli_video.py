"""Video segments of ``unpixel detect`` and the timestamp rule of ``restore``."""

from __future__ import annotations

from unpixel.cli_video import MERGE_GAP, segments, timestamps

G8 = (8, (0, 0))


def rows(found):
    return [s.row() for s in segments(found, [0.5] * len(found))]


def test_runs_of_one_block_with_first_and_last_frames():
    found = [None] * 4 + [G8] * 6 + [None] * 3
    got = rows(found)
    assert [(r["first_frame"], r["last_frame"], r["block"]) for r in got] == [
        (0, 3, None),
        (4, 9, 8),
        (10, 12, None),
    ]
    assert got[1]["pixelated_frames"] == 1.0 and got[1]["phase"] == [0, 0]


def test_a_short_miss_inside_a_mosaic_is_bridged_and_counted():
    found = [G8] * 10 + [None] * MERGE_GAP + [G8] * 5
    (only,) = rows(found)
    assert (only["first_frame"], only["last_frame"]) == (0, 19)
    assert only["pixelated_frames"] == 0.75


def test_a_long_gap_splits_and_a_short_mosaic_is_kept():
    assert len(rows([G8] * 5 + [None] * (MERGE_GAP + 1) + [G8] * 5)) == 3
    brief = rows([None] * 10 + [G8] + [None] * 10)
    assert [r["block"] for r in brief] == [None, 8, None]


def test_a_pan_keeps_one_segment_with_the_commonest_phase():
    found = [(8, (0, i % 8)) for i in range(9)] + [(8, (0, 0))]
    (only,) = rows(found)
    assert only["block"] == 8 and only["phase"] == [0, 0]


def test_timestamps_always_increase():
    at = timestamps(2000.0)
    stamps = [at(i) for i in range(10)]
    assert stamps == sorted(set(stamps))
