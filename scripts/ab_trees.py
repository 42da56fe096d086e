"""A/B two source trees of the runtime on the same frames, alternating, in one run.

Each round runs one child process per tree (the tree's ``runtime/`` first on PYTHONPATH);
each child times ``Pipeline.process`` on the bench workloads (1280x720 and 1920x1080, b = 4
fully pixelated, and clean) and prints the median frame time. Medians over rounds are compared,
so machine drift hits both trees alike.

    .venv/bin/python scripts/ab_trees.py OLD_TREE NEW_TREE [--rounds 5] [--frames 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, time, numpy as np, unpixel as up
from unpixel.bench.workloads import bench_frame
out = {"file": up.__file__}
with up.Pipeline.create(up.PipelineOptions(num_threads=2)) as pipe:
    for name, size, cov in CASES:
        frame = bench_frame(*size, cov, 4)
        for _ in range(3):
            pipe.process(frame)
        times = []
        for _ in range(FRAMES):
            t0 = time.perf_counter(); pipe.process(frame); times.append(time.perf_counter() - t0)
        out[name] = 1e3 * float(np.median(times))
print(json.dumps(out))
"""


CASES = (
    ("720p_b4", (1280, 720), 1.0),
    ("720p_clean", (1280, 720), 0.0),
    ("1080p_b4", (1920, 1080), 1.0),
    ("1080p_clean", (1920, 1080), 0.0),
)


def run(tree: str, frames: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(tree) / "runtime")}
    code = CHILD.replace("FRAMES", str(frames)).replace("CASES", repr(CASES))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    rows: dict[str, list[dict]] = {"old": [], "new": []}
    for i in range(args.rounds):
        order = ("old", "new") if i % 2 == 0 else ("new", "old")
        for key in order:
            rows[key].append(run(getattr(args, key), args.frames))
    print(f"trees: old {rows['old'][0]['file']}, new {rows['new'][0]['file']}")
    for case, _, _ in CASES:
        old = statistics.median(r[case] for r in rows["old"])
        new = statistics.median(r[case] for r in rows["new"])
        print(
            f"{case}: old {old:.1f} ms ({1e3 / old:.1f} FPS), new {new:.1f} ms ({1e3 / new:.1f} FPS), new/old {new / old:.3f}"
        )


if __name__ == "__main__":
    main()
