"""Peak RSS of a restore of the largest images unpixel accepts, one child process per case.

Usage: python -m benchmarks.memory_peak [--tree DIR] [--json F] [--markdown F] [--limit-mb 1500]

The 8192x8192 cases (MAX_PIXELS) run ``python -m unpixel restore IMAGE -o OUT`` on PNG files
made here from the bundled astronaut photo (cubic upscale; pixelated with ``up.pixelate``, or
clean with a little noise). The 32x2,097,152 frame (as many pixels) runs through
``Pipeline.process`` in the child, since no image file OpenCV reads can be that wide (its
decoders refuse more than 2^20 columns). A case's peak is the child's ``ru_maxrss`` from
``os.wait4``: decode, pipeline, encode and the interpreter itself (the parent holds no image,
since a child's peak starts from its parent's RSS at the fork). Each case also records the
sha256 of its output pixels, so two trees can be compared (``--tree``: run another checkout's
``runtime/``, e.g. a ``git worktree`` of the commit before a change). Exits 1 when a case
fails or peaks above ``--limit-mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIDE = 8192
WIDE = (32, 2_097_152)

HASH_OUTPUT = r"""
import hashlib, sys, cv2
image = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED)
print(hashlib.sha256(image.tobytes()).hexdigest())
"""

WIDE_CHILD = r"""
import hashlib, sys, cv2, numpy as np, unpixel as up
from unpixel.demo import sample_image
rows, cols, block = (int(v) for v in sys.argv[1:4])
strip = cv2.resize(sample_image("astronaut.jpg"), (512, rows), interpolation=cv2.INTER_AREA)
frame = np.tile(up.pixelate(strip, block), (1, cols // 512, 1))
with up.Pipeline.create() as pipe:
    result = pipe.process(frame)
assert result.detection.pixelated, "the wide mosaic was not found"
print(hashlib.sha256(result.image.tobytes()).hexdigest())
"""


MAKE_INPUTS = r"""
import sys, cv2, numpy as np
from unpixel.degrade import pixelate
from unpixel.demo import sample_image
folder, side = sys.argv[1], int(sys.argv[2])
photo = cv2.resize(sample_image("astronaut.jpg"), (side, side), interpolation=cv2.INTER_CUBIC)
noise = np.random.default_rng(0).integers(0, 8, photo.shape, np.uint8)
made = (pixelate(photo, 8), pixelate(photo, 5, phase=(2, 3)), cv2.add(photo, noise))
for i, image in enumerate(made):
    cv2.imwrite(f"{folder}/input{i}.png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
"""

INPUTS = (
    "8192x8192 pixelated b=8 (cascade x4, x2)",
    "8192x8192 pixelated b=5 (x4, Lanczos)",
    "8192x8192 clean",
)


def make_images(folder: Path) -> dict[str, Path]:
    """The 8192x8192 inputs as PNG files in ``folder``: pixelated b = 8 and 5, and clean.

    Made in a child process: a child's ``ru_maxrss`` starts from its parent's RSS at the
    fork, so the parent must never hold the large images itself.
    """
    subprocess.run([sys.executable, "-c", MAKE_INPUTS, str(folder), str(SIDE)], check=True)
    return {name: folder / f"input{i}.png" for i, name in enumerate(INPUTS)}


def measure(argv: list[str], tree: Path) -> dict[str, object]:
    """Run ``argv`` with ``tree``'s runtime first on the path: exit code, peak RSS, times."""
    env = {**os.environ, "PYTHONPATH": str(tree / "runtime")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return {
        "exit": child.returncode,
        "peak_mb": round(usage.ru_maxrss * 1024 / 1e6, 1),
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "stdout": stdout.strip().splitlines()[-1:],
        "stderr": [line for line in stderr.strip().splitlines() if "XNNPACK" not in line][-3:],
    }


def pixel_hash(path: Path) -> str | None:
    """sha256 of an image file's decoded pixels (None: no such file)."""
    if not path.is_file():
        return None
    done = subprocess.run(
        [sys.executable, "-c", HASH_OUTPUT, str(path)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def run_cases(tree: Path, work: Path) -> list[dict[str, object]]:
    """Every case on ``tree``, in order; inputs and outputs under ``work``."""
    rows = []
    for name, image in make_images(work).items():
        out = work / "out"
        argv = [sys.executable, "-m", "unpixel", "restore", str(image), "-o", str(out)]
        row = {"case": name, "how": "unpixel restore (PNG in, PNG out)", **measure(argv, tree)}
        row["sha256"] = pixel_hash(out / image.name)
        rows.append(row)
    rows_, cols = WIDE
    argv = [sys.executable, "-c", WIDE_CHILD, str(rows_), str(cols), "4"]
    row = {"case": f"{rows_}x{cols:,} pixelated b=4", "how": "Pipeline.process (array)"}
    row |= measure(argv, tree)
    row["sha256"] = row["stdout"][-1] if row["exit"] == 0 and row["stdout"] else None
    rows.append(row)
    return rows


def revision(tree: Path) -> str:
    """The tree's commit, and whether its runtime/ holds uncommitted changes."""
    git = ["git", "-C", str(tree)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "runtime"], capture_output=True, text=True
    )
    if head.returncode != 0:
        return "no git commit"
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def markdown(rows: list[dict[str, object]], limit_mb: float, tree: Path) -> str:
    """The report: one row per case."""
    lines = [
        "# Peak memory of the largest restores",
        "",
        f"Made by `python -m benchmarks.memory_peak` (runtime at {revision(tree)}); limit "
        f"{limit_mb:g} MB (10^6 bytes) of peak RSS per process (`ru_maxrss` of the child).",
        "",
        "| case | how | exit | peak RSS (MB) | wall (s) | CPU (s) | output sha256 |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        sha = (r["sha256"] or "-")[:16]
        lines.append(
            f"| {r['case']} | {r['how']} | {r['exit']} | {r['peak_mb']:,.0f} | {r['wall_s']} "
            f"| {r['cpu_s']} | `{sha}` |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the cases, print and optionally save the report; 1 when a case fails or is over."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose runtime/ runs")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the report as Markdown here")
    parser.add_argument("--limit-mb", type=float, default=1500.0, help="peak RSS allowed")
    args = parser.parse_args(argv)
    from unpixel.io import write_atomic

    with tempfile.TemporaryDirectory(prefix="memory_peak.") as work:
        rows = run_cases(args.tree.resolve(), Path(work))
    report = markdown(rows, args.limit_mb, args.tree.resolve())
    print(report, end="")
    if args.json:
        write_atomic(args.json, (json.dumps(rows, indent=1) + "\n").encode())
    if args.markdown:
        write_atomic(args.markdown, report.encode())
    bad = [r["case"] for r in rows if r["exit"] != 0 or r["peak_mb"] > args.limit_mb]
    for r in rows:
        if r["exit"] != 0:
            print(f"error: {r['case']}: exit {r['exit']}: {r['stderr']}", file=sys.stderr)
    if bad:
        print(f"over the limit or failed: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
