import numpy as np
import pytest

import unpixel as up
from unpixel.live.sample import REGION_BLOCK, WHOLE_BLOCK, SampleClip, SampleSource


@pytest.fixture(scope="module")
def clip():
    return SampleClip(frames=30, size=(320, 240))


def test_three_scenes_with_their_truth(clip):
    truths = [clip.truth(i) for i in range(30)]
    assert [t.block for t in truths[:10]] == [None] * 10
    assert [t.block for t in truths[10:20]] == [WHOLE_BLOCK] * 10
    assert [t.block for t in truths[20:]] == [REGION_BLOCK] * 10
    assert all(t.region is not None for t in truths[20:])


def test_frames_are_deterministic_and_move_like_a_camera(clip):
    again = SampleClip(frames=30, size=(320, 240))
    a, b = clip.frame(3), clip.frame(4)
    assert a.shape == (240, 320, 3) and a.dtype == np.uint8
    assert np.array_equal(a, again.frame(3))
    diff = np.abs(a.astype(int) - b).mean()
    assert 0.5 < diff < 40  # moving, but the same scene


def test_whole_frame_mosaic_has_the_stated_grid(clip):
    frame = clip.frame(15)
    grid = up.estimate_grid(frame)
    assert grid is not None and grid.block == WHOLE_BLOCK and grid.phase == (3, 5)


def test_censored_region_is_pixelated_and_the_rest_is_not(clip):
    frame = clip.frame(25)
    x, y, w, h = clip.truth(25).region
    assert up.estimate_grid(frame, region=(x, y, w, h)).block == REGION_BLOCK
    assert up.estimate_grid(frame[:, : max(x, 64)] if x >= 64 else frame[:, x + w :]) is None


def test_source_gives_every_frame_then_ends():
    source = SampleSource(frames=6, size=(96, 64))
    frames = [source.read() for _ in range(7)]
    assert frames[-1] is None and [f.index for f in frames[:6]] == list(range(6))
    assert not source.live and source.fps == 30


def test_bad_clip_arguments():
    with pytest.raises(ValueError, match="3 frames"):
        SampleClip(frames=2)
    with pytest.raises(ValueError, match="64x64"):
        SampleClip(size=(32, 32))
    with pytest.raises(IndexError):
        SampleClip(frames=3, size=(64, 64)).frame(3)
