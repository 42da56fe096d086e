"""Pipeline frame time at 1280x720, int8 LiteRT, 2 threads: clean and fully pixelated (b = 4)
in IMAGE mode, and a clean moving clip in VIDEO mode with sweep 1 and 3 (medians, one run).

Run: .venv/bin/python scripts/pipeline_fps.py   (`unpixel bench` has the full tables)
"""

import time

import cv2
import numpy as np

import unpixel as up
from unpixel.demo import sample_image


def median_ms(step, n: int = 9) -> tuple[float, dict]:
    """Median wall time of ``step(i)`` over n calls after one warm-up, and median timings."""
    step(0)
    times, stages = [], []
    for i in range(1, n + 1):
        t0 = time.perf_counter()
        res = step(i)
        times.append(time.perf_counter() - t0)
        stages.append(res.timings)
    keys = set.intersection(*(set(t) for t in stages))
    return float(np.median(times)) * 1e3, {
        k: round(float(np.median([t[k] for t in stages])), 1) for k in sorted(keys)
    }


big = cv2.resize(sample_image("astronaut.jpg"), (1360, 760), interpolation=cv2.INTER_CUBIC)
img = big[:720, :1280]


def pan(i: int) -> np.ndarray:
    """Frame i of a slow camera pan over ``big``."""
    return big[i % 40 : i % 40 + 720, 4 * i : 4 * i + 1280]


rows = []
with up.Pipeline.create() as p:
    for name, f in (("IMAGE clean", img), ("IMAGE b=4 whole frame", up.pixelate(img, 4))):
        rows.append((name, *median_ms(lambda i, f=f: p.process(f))))
for k in (1, 3):
    opts = up.PipelineOptions(running_mode=up.RunningMode.VIDEO, sweep=k)
    with up.Pipeline.create(opts) as p:
        clip = lambda i, p=p: p.process_for_video(pan(i), 33 * i)  # noqa: E731
        rows.append((f"VIDEO clean, sweep {k}", *median_ms(clip, 15)))
for name, ms, stages in rows:
    print(f"{name:28s} median {ms:6.1f} ms ({1000 / ms:5.1f} FPS)  {stages}")
