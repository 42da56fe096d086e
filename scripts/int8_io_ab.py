"""A/B of two folders of tflite-int8 models on one 1920x1080 frame's work, in one process.

Usage: ``python scripts/int8_io_ab.py OLD_DIR [NEW_DIR]`` (NEW_DIR default ``models``), e.g.
OLD_DIR holding the uint8-I/O files from before the int8 I/O rewrite
(``git show c8a982c~1:models/restorer_x4_int8.tflite > old/restorer_x4_int8.tflite``).
Prints, per model file present in both, whether the outputs are bit-identical and the median
time of each (three rounds of ten runs, alternating).
"""

from __future__ import annotations

import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

from unpixel.bench.workloads import model_input
from unpixel.engines import open_engine
from unpixel.formats import get_format


def median_ms(fn, n: int = 10) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times[2:])


def main(old_dir: Path, new_dir: Path) -> None:
    fmt = get_format("tflite-int8")
    for old in sorted(old_dir.glob("*_int8.tflite")):
        new = new_dir / old.name
        if not new.exists():
            continue
        with open_engine(old, fmt, num_threads=2) as a, open_engine(new, fmt, num_threads=2) as b:
            if old.name.startswith("classifier"):
                x = model_input("classifier", None, frame=(1920, 1080))
                run_a, run_b = partial(a.run, x), partial(b.run, x)
            else:
                scale = int(old.stem.split("_x")[1][0])
                x = model_input("restorer", scale, frame=(1920, 1080))
                run_a, run_b = partial(a.run_pixels, x), partial(b.run_pixels, x)
            same = np.array_equal(run_a(), run_b())
            ta, tb = [], []
            for _ in range(3):
                ta.append(median_ms(run_a))
                tb.append(median_ms(run_b))
        print(
            f"{old.name}: bit-identical {same}; old {statistics.median(ta):.1f} ms, "
            f"new {statistics.median(tb):.1f} ms"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else Path("models"))
