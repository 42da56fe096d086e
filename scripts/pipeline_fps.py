"""Pipeline frame time on a 1280x720 frame, clean and fully pixelated (b = 4), int8 LiteRT.

Run: .venv/bin/python scripts/pipeline_fps.py  (a quick check; the benchmarks issue builds the real one)
"""

import time

import cv2
import numpy as np

import unpixel as up
from unpixel.demo import sample_image

img = cv2.resize(sample_image("astronaut.jpg"), (1280, 720), interpolation=cv2.INTER_CUBIC)
with up.Pipeline.create() as p:
    for name, f in (("clean 720p", img), ("b4 720p", up.pixelate(img, 4))):
        p.process(f)
        t = []
        tm = []
        for _ in range(7):
            t0 = time.perf_counter()
            r = p.process(f)
            t.append(time.perf_counter() - t0)
            tm.append(r.timings)
        med = np.median(t) * 1e3
        print(
            name,
            "median %.1f ms (%.1f FPS)" % (med, 1000 / med),
            {k: round(float(np.median([x[k] for x in tm])), 1) for k in tm[0]},
        )
