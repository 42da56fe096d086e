import os
import signal
import threading
import time

import numpy as np
import pytest

import unpixel as up
from unpixel.live.capture import PacedSource
from unpixel.live.loop import LiveLoop, LiveOptions
from unpixel.live.processors import DelayedProcessor, PipelineProcessor
from unpixel.live.sample import SampleSource
from unpixel.live.sinks import CallbackSink, Sink, VideoFileSink
from unpixel.live.sources import ArraySource, VideoFileSource
from unpixel.options import PipelineOptions, RunningMode


def test_file_source_every_frame_in_order(video_file, tmp_path, h):
    processor = h.MarkProcessor()
    source = VideoFileSource(video_file)
    out = tmp_path / "out.avi"
    stats = LiveLoop(source, processor, [VideoFileSink(out, source.fps)]).run()
    source.close()
    assert processor.seen == list(range(20))
    assert stats.frames == stats.captured == 20 and stats.dropped == 0
    assert stats.stop_reason == "end of stream"
    frames = h.read_video(out)
    assert len(frames) == 20 and (frames[0][:8, :8] > 240).all()
    assert [h.frame_number(f) for f in frames] == [i % 15 for i in range(20)]


def test_max_frames(h):
    stats = LiveLoop(
        ArraySource([h.numbered(0)], loops=50), h.MarkProcessor(), [], LiveOptions(max_frames=7)
    ).run()
    assert stats.frames == 7 and stats.stop_reason == "max frames"


def test_slow_pipeline_on_a_live_source_drops_instead_of_lagging(h):
    source = PacedSource(ArraySource([h.numbered(i) for i in range(15)], loops=4), fps=60)
    stats = LiveLoop(source, h.MarkProcessor(delay_ms=50)).run()
    assert stats.captured == 60
    assert stats.frames + stats.dropped == 60
    assert stats.dropped >= 30  # ~20 FPS of work against 60 FPS of frames
    # No backlog: latency stays near one processing time plus a frame interval, from first
    # to last frame; a queue would grow it by ~33 ms a frame, to ~600 ms by the end. (Loose
    # margins: the machine may be busy.)
    assert np.median(stats.latency_ms) < 50 + 17 + 50
    first, last = np.median(stats.latency_ms[:5]), np.median(stats.latency_ms[-5:])
    assert last < first + 60 and last < 200


@pytest.mark.parametrize("live", [False, True])
def test_source_dying_mid_stream_stops_cleanly_with_a_playable_video(tmp_path, h, live):
    source = h.DyingSource(12, live=live)
    out = tmp_path / "cut.avi"
    loop = LiveLoop(source, h.MarkProcessor(), [VideoFileSink(out, 25)])
    stats = loop.run()
    assert "source lost" in stats.stop_reason and "unplugged" in str(loop.error)
    frames = h.read_video(out)
    assert len(frames) == stats.frames > 0
    if not live:
        assert stats.frames == 12
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_sigterm_stops_cleanly_and_finalises(tmp_path, h):
    source = PacedSource(ArraySource([h.numbered(i) for i in range(15)], loops=100), fps=50)
    out = tmp_path / "term.avi"
    loop = LiveLoop(source, h.MarkProcessor(), [VideoFileSink(out, None, probe=5)])
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    previous = signal.getsignal(signal.SIGTERM)
    t0 = time.monotonic()
    stats = loop.run()
    assert time.monotonic() - t0 < 5
    assert stats.stop_reason == "interrupted (SIGTERM)"
    assert loop.interrupt.exit_code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored
    assert len(h.read_video(out)) == stats.frames > 5


def test_processor_error_still_finalises_the_sinks(h):
    closed = []

    class Probe(Sink):
        def write(self, packet):
            pass

        def close(self):
            closed.append(True)

    def broken(frame):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        LiveLoop(ArraySource([h.numbered(0)]), broken, [Probe()]).run()
    assert closed == [True]


def test_a_sink_can_stop_the_loop(h):
    class Quit(Sink):
        def write(self, packet):
            self.stop_requested = packet.frame.index >= 2

    stats = LiveLoop(ArraySource([h.numbered(0)], loops=10), h.MarkProcessor(), [Quit()]).run()
    assert stats.frames == 3 and stats.stop_reason == "a sink asked to stop"


def test_overlay_and_side_by_side_views(h):
    views = []
    source = ArraySource([h.numbered(4)], loops=2)
    options = LiveOptions(overlay=True, side_by_side=True)
    LiveLoop(source, h.MarkProcessor(), [CallbackSink(views.append)], options).run()
    packet = views[-1]
    assert packet.view.shape == (64, 196, 3)
    assert not np.array_equal(packet.view[:, 100:], packet.result.image)  # overlay drawn
    assert np.array_equal(packet.frame.image, h.numbered(4))  # the input is left alone


def test_options_are_validated():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_frames"):
            LiveOptions(max_frames=bad)
    with pytest.raises(ValueError, match="stall_s"):
        LiveOptions(stall_s=0)


@pytest.mark.parametrize("mode", [RunningMode.VIDEO, RunningMode.LIVE_STREAM])
def test_real_pipeline_on_the_sample_clip(mode):
    source = SampleSource(frames=9, size=(192, 128))
    got = []
    with PipelineProcessor.create(PipelineOptions(num_threads=2), mode=mode) as processor:
        stats = LiveLoop(source, processor, [CallbackSink(got.append)]).run()
    assert stats.frames == 9 and len(stats.process_ms) == 9
    clean = got[0]
    assert not clean.result.detection.pixelated
    assert np.array_equal(clean.result.image, clean.frame.image)  # untouched, bit for bit
    whole = got[4]
    assert whole.result.detection.pixelated and whole.result.detection.grid.block == 8
    assert whole.pixelated_share > 0.8


def test_lores_gate_passes_clean_frames_through(h):
    import cv2

    from unpixel.live.sources import Frame

    source = SampleSource(frames=6, size=(256, 192))
    with PipelineProcessor.create(lores_gate=True) as processor:
        for i in (0, 3):
            image = source.clip.frame(i)
            lores = cv2.resize(image, (128, 96), interpolation=cv2.INTER_AREA)
            if i == 3:  # b = 8 at phase (3, 5): the 2x lores blends every cell border, which
                # the gate may miss (scripts/lores_gate_recall.py); a lores that keeps the
                # mosaic (cells on even pixels) must send the frame to the pipeline
                lores = up.pixelate(lores, 4)
            result = processor(Frame(image, i * 33, i, 0.0, lores))
            if i == 0:
                assert result.timings.get("lores_gate") == 1.0
                assert result.image is image and not result.detection.mask.any()
            else:
                assert result.detection.pixelated and "lores_gate" not in result.timings
        assert processor.gated == 1


def test_delayed_processor_adds_its_time(h):
    from unpixel.live.sources import Frame

    slow = DelayedProcessor(h.MarkProcessor(), 30)
    t0 = time.perf_counter()
    result = slow(Frame(h.numbered(0), 0, 0, 0.0))
    assert time.perf_counter() - t0 >= 0.03 and result.timings["total"] >= 30


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_live_stream_mode_reports_a_failing_frame_instead_of_hanging():
    from unpixel.live.sources import Frame

    with PipelineProcessor.create(mode=RunningMode.LIVE_STREAM) as processor:
        image = SampleSource(frames=3, size=(96, 64)).clip.frame(0)

        processor.pipeline.classifier.close()  # every frame now fails in the classifier
        t0 = time.monotonic()
        with pytest.raises(RuntimeError, match="pipeline failed") as caught:
            processor(Frame(image, 0, 0, 0.0))
        assert isinstance(caught.value.__cause__, ValueError)  # "this ... engine is closed"
        assert time.monotonic() - t0 < 5
