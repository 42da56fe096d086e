"""The classify-then-restore pipeline on the shipped int8 LiteRT models (real sessions)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import unpixel as up
from unpixel.options import PipelineOptions, RunningMode
from unpixel.pipeline import Pipeline


@pytest.fixture(scope="module")
def pipe():
    with Pipeline.create() as p:
        yield p


def test_clean_photo_is_untouched(pipe, photos):
    for name in ("astronaut", "coffee", "chelsea"):
        res = pipe.process(photos[name])
        assert not res.detection.pixelated, name
        assert np.array_equal(res.image, photos[name])
        assert not res.detection.mask.any()


@pytest.mark.parametrize("block", [2, 3, 4, 6, 8, 5])
def test_whole_frame_mosaic_is_found_and_improved(pipe, astronaut, block):
    mosaic = up.pixelate(astronaut, block, phase=(1 % block, 2 % block))
    res = pipe.process(mosaic)
    det = res.detection
    assert det.pixelated and det.grid is not None
    assert det.grid.block == block and det.grid.phase == (1 % block, 2 % block)
    assert det.mask.mean() > 0.8
    assert up.metrics.psnr(astronaut, res.image) > up.metrics.psnr(astronaut, mosaic) + 1.0
    assert {"classify", "grid", "restore", "total"} <= set(res.timings)


def test_region_mosaic_keeps_textured_pixels_outside(pipe, astronaut):
    box = (101, 131, 192, 160)  # cell-aligned for b = 8, phase (3, 5)
    mosaic = up.pixelate(astronaut, 8, phase=(3, 5), region=box)
    res = pipe.process(mosaic)
    assert res.detection.pixelated and res.detection.grid.block == 8
    x, y, w, h = box
    inside = np.zeros(astronaut.shape[:2], bool)
    inside[y : y + h, x : x + w] = True
    assert res.detection.mask[inside].mean() > 0.9
    changed = (res.image != mosaic).any(axis=2)
    assert changed[inside].mean() > 0.5
    # outside the box only flat cells touching it may change (indistinguishable from mosaic)
    assert changed[~inside].mean() < 0.002
    region = (slice(y, y + h), slice(x, x + w))
    assert up.metrics.psnr(astronaut[region], res.image[region]) > up.metrics.psnr(
        astronaut[region], mosaic[region]
    )


@pytest.mark.parametrize(
    ("shape", "dtype", "error", "match"),
    [
        ((31, 64, 3), np.uint8, ValueError, "at least 32x32"),
        ((64, 64, 3), np.float32, ValueError, "uint8"),
        ((64, 64, 2), np.uint8, ValueError, "channels"),
        ((64, 64), np.uint8, None, None),  # grayscale: converted
        ((64, 64, 4), np.uint8, None, None),  # BGRA: converted
        ((32, 300, 3), np.uint8, None, None),  # any aspect ratio
    ],
)
def test_frame_checks(pipe, shape, dtype, error, match):
    frame = np.random.default_rng(0).integers(0, 256, shape).astype(dtype)
    if error:
        with pytest.raises(error, match=match):
            pipe.process(frame)
    else:
        res = pipe.process(frame)
        assert res.image.shape == (*shape[:2], 3)


def test_video_mode_reuses_detection(astronaut):
    mosaic = up.pixelate(astronaut, 4)
    with Pipeline.create(PipelineOptions(running_mode=RunningMode.VIDEO)) as p:
        first = p.process_for_video(mosaic, 0)
        second = p.process_for_video(mosaic, 33)
        assert "reused_detection" not in first.timings
        assert second.timings.get("reused_detection") == 1.0
        assert np.array_equal(first.image, second.image)
        third = p.process_for_video(astronaut, 66)  # scene changed: detect again
        assert not third.detection.pixelated
        with pytest.raises(ValueError, match="timestamps must increase"):
            p.process_for_video(astronaut, 66)
        with pytest.raises(ValueError, match="VIDEO mode"):
            p.process(astronaut)


def test_video_sweep_classifies_a_share_and_finds_a_new_mosaic_in_time(astronaut):
    k = 3
    frames = [np.roll(astronaut, 2 * i, axis=1) for i in range(8)]
    box = (150, 120, 200, 180)
    mosaic = [up.pixelate(f, 4, region=box) for f in frames]
    with Pipeline.create() as full:
        total = full.process(frames[0]).timings["tiles"]
        want = full.detect(mosaic[3])
    assert want.pixelated
    opts = PipelineOptions(running_mode=RunningMode.VIDEO, sweep=k)
    with Pipeline.create(opts) as p:
        tiles = [p.process_for_video(f, 33 * i).timings["tiles"] for i, f in enumerate(frames[:3])]
        assert tiles[0] == total  # the first frame: every tile
        assert all(t <= -(-total // k) for t in tiles[1:])
        found = [p.process_for_video(f, 33 * (3 + i)) for i, f in enumerate(mosaic[3:])]
    first = next(i for i, r in enumerate(found) if r.detection.pixelated)
    assert first < k
    got = found[first].detection
    assert (got.grid.block, got.grid.phase) == (want.grid.block, want.grid.phase)
    # once found, the tiles around it run every frame: the whole box is covered next frame
    x, y, w, h = box
    assert found[first + 1].detection.mask[y : y + h, x : x + w].mean() > 0.9
    # while a detection is reused, a second mosaic elsewhere is still found within k frames
    with Pipeline.create(opts) as p:
        for i in range(4):
            p.process_for_video(mosaic[3], 33 * i)
        reused = p.process_for_video(mosaic[3], 200).timings
        assert reused.get("reused_detection") == 1.0
        assert 0 < reused["tiles"] <= -(-total // k)  # reusing: only the lattice share runs
        both = up.pixelate(mosaic[3], 6, phase=(1, 2), region=(420, 400, 92, 112))
        late = [p.process_for_video(both, 300 + 33 * i).detection for i in range(k)]
    assert any(len([r for r in d.regions if r.grid]) == 2 for d in late)


@pytest.mark.parametrize("sweep", [1, 3])
def test_video_reusing_a_whole_frame_mosaic_classifies_no_tile(astronaut, sweep):
    mosaic = up.pixelate(astronaut, 4)  # every tile is at or next to the detection
    opts = PipelineOptions(running_mode=RunningMode.VIDEO, sweep=sweep)
    with Pipeline.create(opts) as p:
        results = [p.process_for_video(mosaic, 33 * i) for i in range(4)]
    assert results[0].timings["tiles"] == 64 and "reused_detection" not in results[0].timings
    for r in results[2:]:  # settled by then: its mosaic cells are checked instead
        assert r.timings.get("reused_detection") == 1.0 and r.timings["tiles"] == 0
        assert np.array_equal(r.image, results[0].image)


def test_video_reuse_with_sweep_1_still_finds_a_second_mosaic(astronaut):
    box = (150, 120, 200, 180)
    first = up.pixelate(astronaut, 4, region=box)
    both = up.pixelate(first, 6, phase=(1, 2), region=(420, 400, 92, 112))
    with Pipeline.create() as full:
        total = full.process(first).timings["tiles"]
    with Pipeline.create(PipelineOptions(running_mode=RunningMode.VIDEO)) as p:
        p.process_for_video(first, 0)
        reused = p.process_for_video(first, 33)
        assert reused.timings.get("reused_detection") == 1.0
        # reusing: only the tiles away from the detection run, not all of them
        assert 0 < reused.timings["tiles"] < total
        late = p.process_for_video(both, 66)  # a second mosaic appears, the first stays
    assert "reused_detection" not in late.timings
    assert len([r for r in late.detection.regions if r.grid]) == 2
    assert late.detection.mask[400:512, 420:512].mean() > 0.5


def test_live_stream_calls_back_and_drops_when_busy(astronaut):
    got, done = [], threading.Event()

    def callback(result, frame, ts):
        got.append(ts)
        done.set()

    opts = PipelineOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=callback)
    with Pipeline.create(opts) as p:
        accepted = [p.process_async(astronaut, ts) for ts in range(5)]
        assert done.wait(30)
    assert accepted[0] and got[0] == 0
    assert p.dropped == accepted.count(False)


def test_live_stream_error_reaches_the_caller(astronaut):
    done = threading.Event()

    def callback(result, frame, ts):
        done.set()
        raise OSError("sink gone")

    opts = PipelineOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=callback)
    with Pipeline.create(opts) as p:
        assert p.process_async(astronaut, 0)
        assert done.wait(30)
        deadline = time.monotonic() + 30
        while p.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert isinstance(p.error, OSError)
        with pytest.raises(RuntimeError, match="previous frame failed: sink gone"):
            p.process_async(astronaut, 1)
        assert p.error is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "tensorrt"}, "unknown backend"),
        ({"precision": "int4"}, "no 'int4' format"),
        ({"num_threads": 0}, "num_threads"),
        ({"threshold": 1.5}, "threshold"),
        ({"running_mode": RunningMode.LIVE_STREAM}, "result_callback"),
        ({"result_callback": print}, "only used in LIVE_STREAM"),
        ({"restorers": {5: "x.tflite"}}, "scales are 2, 3 or 4"),
        ({"sweep": 0, "running_mode": RunningMode.VIDEO}, "sweep must be 1..8"),
        ({"sweep": True, "running_mode": RunningMode.VIDEO}, "sweep must be an int"),
        ({"sweep": 3}, "use VIDEO or LIVE_STREAM"),
        ({"restore_tile": 64.5}, "restore_tile must be an integer"),
        ({"restore_tile": 8}, "restore_tile must be 16..512"),
    ],
)
def test_options_are_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PipelineOptions(**kwargs)


def test_a_result_callback_must_be_callable():
    with pytest.raises(TypeError, match="result_callback must be callable"):
        PipelineOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=5)


def test_missing_format_in_manifest_names_the_export_command(tmp_path):
    (tmp_path / "manifest.json").write_text('{"schema": 1, "models": []}')
    with pytest.raises(up.ModelError, match="unpixel export --formats tflite-int8"):
        Pipeline.create(PipelineOptions(models_dir=tmp_path))


def test_cells_sought_on_the_worker_thread_give_the_sequential_result(pipe, astronaut):
    mosaic = up.pixelate(astronaut, 4, phase=(1, 3), region=(64, 64, 256, 192))
    res = pipe.process(mosaic)
    det = pipe.detect(mosaic)  # cells sought on this thread, nothing upscaled
    assert res.detection.pixelated and np.array_equal(res.detection.mask, det.mask)
    assert np.array_equal(res.image, pipe.restore(mosaic, det))  # upscaled here, in order
    assert res.timings["cells"] > 0 and res.timings["restore"] > 0


def test_video_sweep_settles_a_growing_detection_in_its_own_frame(astronaut):
    """The tiles next to what a frame newly flags run in that frame: the next one reuses it."""
    small = up.pixelate(astronaut, 8, region=(192, 128, 128, 128))
    grown = up.pixelate(astronaut, 8, region=(128, 64, 320, 320))  # a tile or more each side
    opts = PipelineOptions(running_mode=RunningMode.VIDEO, sweep=3)
    with Pipeline.create(opts) as p:
        for i in range(3):
            p.process_for_video(small, 33 * i)
        first = p.process_for_video(grown, 100)
        second = p.process_for_video(grown, 133)
    assert first.detection.pixelated and "reused_detection" not in first.timings
    assert second.timings.get("reused_detection") == 1.0
    assert np.array_equal(second.image, first.image)
