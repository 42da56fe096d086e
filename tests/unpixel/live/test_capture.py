import itertools
import time

import pytest

from unpixel.errors import SourceError
from unpixel.live.capture import LatestFrame, PacedSource
from unpixel.live.sources import ArraySource, Source


def test_latest_frame_wins_and_drops_are_counted(h):
    source = PacedSource(ArraySource([h.numbered(i) for i in range(15)], fps=100, loops=2))
    grabber = LatestFrame(source).start()
    taken = []
    while (frame := grabber.take()) is not None:
        taken.append(frame.index)
        time.sleep(0.035)  # a consumer at ~28 FPS against a 100 FPS camera
    grabber.stop()
    assert grabber.captured == 30
    assert len(taken) + grabber.dropped == 30
    assert grabber.dropped >= 10
    assert taken == sorted(taken) and len(set(taken)) == len(taken)
    # Each frame taken is the newest: never more than about one consumer period old.
    assert max(b - a for a, b in itertools.pairwise(taken)) <= 15


def test_a_stalled_source_counts_as_lost():
    class Stalled(Source):
        live, name = True, "stalled"

        def _read_image(self):
            time.sleep(5)

    grabber = LatestFrame(Stalled(), stall_s=0.3).start()
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=r"no frame for 0\.3 s"):
        grabber.take()
    assert time.monotonic() - t0 < 2
    grabber.stop(timeout=0.1)


def test_paced_source_keeps_its_rate(h):
    source = PacedSource(ArraySource([h.numbered(0)], loops=10), fps=50)
    t0 = time.perf_counter()
    frames = [source.read() for _ in range(10)]
    elapsed = time.perf_counter() - t0
    assert source.read() is None and source.live
    assert 9 / 50 * 0.9 <= elapsed <= 9 / 50 + 0.5
    assert all(b.timestamp_ms > a.timestamp_ms for a, b in itertools.pairwise(frames))


def test_paced_source_rejects_bad_fps(h):
    with pytest.raises(ValueError, match="fps"):
        PacedSource(ArraySource([h.numbered(0)]), fps=-1)
