"""Concurrency: pipelines in threads, and one pipeline shared by several threads.

Documented behaviour (Pipeline's docstring): a pipeline is safe to share. Model invocations
take turns (each engine holds a lock), VIDEO-mode frames are processed one at a time, and
after ``close`` every call raises ValueError instead of touching a freed interpreter.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import unpixel as up
from unpixel.options import RunningMode


@pytest.fixture(scope="module")
def frames(photos: dict[str, np.ndarray]) -> list[np.ndarray]:
    out = []
    for i, name in enumerate(("astronaut", "coffee", "chelsea", "rocket")):
        photo = np.ascontiguousarray(photos[name][:256, :320])
        out += [photo, up.pixelate(photo, 3 + i, phase=(i, 1), region=(32, 32, 192, 160))]
    return out


@pytest.fixture(scope="module")
def expected(frames: list[np.ndarray]) -> list[np.ndarray]:
    with up.Pipeline.create() as pipe:
        return [pipe.process(f).image for f in frames]


def test_two_pipelines_in_two_threads(frames, expected):
    def work(_: int) -> list[np.ndarray]:
        with up.Pipeline.create() as pipe:
            return [pipe.process(f).image for f in frames * 2]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(work, range(2)))
    for images in results:
        assert all(np.array_equal(a, b) for a, b in zip(images, expected * 2, strict=True))


def test_one_pipeline_shared_by_four_threads(frames, expected):
    with up.Pipeline.create() as pipe, ThreadPoolExecutor(4) as pool:
        jobs = [i % len(frames) for i in range(48)]
        images = list(pool.map(lambda i: pipe.process(frames[i]).image, jobs))
        dets = list(pool.map(lambda i: pipe.detect(frames[i]).pixelated, jobs))
    assert all(np.array_equal(img, expected[i]) for img, i in zip(images, jobs, strict=True))
    assert dets == [i % 2 == 1 for i in jobs]


def test_video_mode_shared_by_threads(frames):
    """Each call either processes its frame or says its timestamp came too late."""
    counter = iter(range(40, 10**6, 40))
    outcomes: list[str] = []
    options = up.PipelineOptions(running_mode=RunningMode.VIDEO)
    with up.Pipeline.create(options) as pipe:

        def work(k: int) -> None:
            for _ in range(8):
                try:
                    res = pipe.process_for_video(frames[1 + 2 * (k % 4)], next(counter))
                    outcomes.append("ok" if res.image.shape == frames[1].shape else "bad")
                except ValueError as exc:
                    outcomes.append("late" if "must increase" in str(exc) else f"other: {exc}")

        threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(outcomes) == 24 and set(outcomes) <= {"ok", "late"}
    assert outcomes.count("ok") >= 8


def test_out_of_order_video_timestamps_from_threads_are_clear_errors(frames):
    options = up.PipelineOptions(running_mode=RunningMode.VIDEO)
    with up.Pipeline.create(options) as pipe:
        pipe.process_for_video(frames[1], 1000)
        with ThreadPoolExecutor(3) as pool:
            futures = [
                pool.submit(pipe.process_for_video, frames[1], ts) for ts in (500, 900, 1000)
            ]
        for f in futures:
            with pytest.raises(ValueError, match="timestamps must increase"):
                f.result()


@pytest.mark.parametrize("which", [1, 0], ids=["pixelated", "clean"])
def test_close_while_other_threads_process(frames, which):
    pipe = up.Pipeline.create()
    started = threading.Barrier(4)
    outcomes: list[str] = []

    def work() -> None:
        started.wait()
        try:
            for _ in range(200):
                pipe.process(frames[which])
            outcomes.append("finished")
        except ValueError as exc:
            outcomes.append("closed" if "closed" in str(exc) else f"other: {exc}")
        except BaseException as exc:  # any other failure is the bug
            outcomes.append(f"other: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    started.wait()
    pipe.close()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["closed"] * 3
    with pytest.raises(ValueError, match="closed"):
        pipe.detect(frames[0])
