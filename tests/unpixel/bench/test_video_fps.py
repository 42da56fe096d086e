"""The VIDEO-mode section of the bench: clips, rows, the run's ``video`` key and its table."""

import numpy as np
import pytest

from unpixel.bench.report import full_report, video_table
from unpixel.bench.run import BenchSettings, run_bench
from unpixel.bench.video_fps import (
    H264_CLIP,
    SWEEPS,
    available_clips,
    bench_video,
    clip_frames,
    pan_offset,
)

SMALL = (160, 128)


def test_the_pixelated_pan_moves_the_mosaic_with_the_content():
    f0, f1, f2 = clip_frames("pixelated_pan", *SMALL, 3)
    assert f0.shape == (128, 160, 3) and pan_offset(1) == (0, 4) and pan_offset(2) == (4, 8)
    assert np.array_equal(f1[:, :-4], f0[:, 4:]) and np.array_equal(f2[:-4, :-8], f0[4:, 8:])
    for f in (f0, f2):  # whole 4 px cells, grid at the frame origin
        cells = f.reshape(32, 4, 40, 4, 3)
        assert (cells == cells[:, :1, :, :1]).all()


def test_the_clean_pan_moves_and_the_static_clip_stands_still():
    c0, c1 = clip_frames("clean_pan", *SMALL, 2)
    assert np.array_equal(c1[:, :-4], c0[:, 4:]) and not np.array_equal(c0, c1)
    s0, s1 = clip_frames("pixelated_static", *SMALL, 2)
    assert np.array_equal(s0, s1)
    with pytest.raises(ValueError, match="unknown clip"):
        next(clip_frames("zoom", *SMALL, 1))


def test_the_h264_clip_is_the_pixelated_pan_through_libx264():
    pytest.importorskip("av")
    from unpixel.metrics import psnr

    pan = list(clip_frames("pixelated_pan", *SMALL, 3))
    coded = list(clip_frames(H264_CLIP, *SMALL, 3))
    assert len(coded) == 3 and all(c.shape == p.shape for c, p in zip(coded, pan, strict=True))
    for c, p in zip(coded, pan, strict=True):
        assert not np.array_equal(c, p) and psnr(p, c) > 28  # lossy, but the same picture
    assert H264_CLIP in available_clips()


@pytest.fixture(scope="module")
def rows():
    return bench_video("litert", "int8", 1, (SMALL,), frames=4)


def test_a_row_per_clip_and_sweep_with_sane_fields(rows):
    clips = available_clips()
    assert [(r["clip"], r["sweep"]) for r in rows] == [(c, s) for c in clips for s in SWEEPS]
    for r in rows:
        assert (r["width"], r["height"], r["frames"], r["frame_ms"]["n"]) == (160, 128, 4, 4)
        assert r["fps"] == 1e3 / r["frame_ms"]["p50"] and r["tiles_total"] == 6
        assert 0 <= r["tiles_per_frame"] <= 2 * r["tiles_total"]
        assert 0 <= r["reused_share"] <= 1 and 0 <= r["restored_share"] <= 1


def test_sweep_saves_tiles_on_clean_video_and_pixelated_clips_are_restored(rows):
    by = {(r["clip"], r["sweep"]): r for r in rows}
    clean1, clean3 = by["clean_pan", 1], by["clean_pan", 3]
    assert clean1["tiles_per_frame"] == 6 and clean3["tiles_per_frame"] == 2
    assert clean1["restored_share"] == clean3["restored_share"] == 0
    assert clean1["reused_share"] == 0
    for clip in ("pixelated_pan", "pixelated_static"):
        for sweep in SWEEPS:
            assert by[clip, sweep]["restored_share"] == 1, (clip, sweep)
    static = by["pixelated_static", 1]  # the reuse path: no classification at all
    assert static["reused_share"] == 1 and static["tiles_per_frame"] == 0
    assert by["pixelated_pan", 1]["reused_share"] == 1  # cells stay aligned: reused
    assert "b = 4, static" in video_table(rows) and "0 / 6" in video_table(rows)


def test_frames_must_be_positive():
    with pytest.raises(ValueError, match="frames"):
        bench_video("litert", "int8", 1, (SMALL,), frames=0)


def test_the_run_has_a_video_key_with_the_image_fps_and_prints_the_table():
    settings = BenchSettings(
        formats=(),
        skip_models=True,
        roof=False,
        keras=False,
        resolutions=(SMALL,),
        coverages=(0.0, 1.0),
        pipeline_runs=1,
        ratio_runs=1,
        video_resolutions=(SMALL,),
        video_sweeps=(1,),
        video_frames=2,
    )
    result = run_bench(settings, log=lambda _: None)
    video = result["video"]
    assert [r["clip"] for r in video] == list(available_clips()) and all(
        r["sweep"] == 1 for r in video
    )
    image = {p["coverage"]: p["fps"] for p in result["pipeline"]}
    expected = [image[0.0 if r["clip"] == "clean_pan" else 1.0] for r in video]
    assert [r["image_fps"] for r in video] == expected
    assert "VIDEO mode" in full_report(result)
    assert not any(k.startswith("video") for k in result["headline"])  # no target reads it


def test_the_section_is_off_unless_asked():
    assert BenchSettings().video_resolutions == ()  # the CI gate's settings: no VIDEO clips
    assert BenchSettings.quick().video_resolutions and BenchSettings.full().video_frames == 60
    settings = BenchSettings(
        formats=(),
        skip_models=True,
        roof=False,
        keras=False,
        resolutions=(SMALL,),
        coverages=(0.0,),
        pipeline_runs=1,
        ratio_runs=1,
    )
    result = run_bench(settings, log=lambda _: None)
    assert result["video"] == [] and "VIDEO mode" not in full_report(result)
