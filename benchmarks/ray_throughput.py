"""``restore --ray`` throughput: images per second for 1 and 2 actors, and what Ray adds.

The inputs are N mosaics (block 4, 256x256 crops of scikit-image photos, PNG) that every
actor really restores. One local cluster (``ray.init(num_cpus=2)``, this machine's cores)
serves the whole run; its start is reported apart. Each repeat, in one run so machine noise
moves all sides alike (the order rotates between repeats):

- one process: :func:`unpixel.cli_run.restore_image` on each image with one IMAGE pipeline
  of 1 thread, the model already loaded: the work itself, seconds per image;
- :func:`unpixel.distributed.restore_dataset` with 1 and with 2 actors of 1 thread each
  (``resume=False``, a fresh output folder): images/s over the job's wall time (actor start
  and model load included) and while the actors work (the sum over actors of each one's
  images over its own span, from its first image's start to its last image's end, on the
  workers' clock: an actor that starts later is not counted idle), and the work's own time
  per image in an actor.

Figures are medians over the repeats: images/s per actor count (job and working span), the
ratio 2 actors / 1 actor (the bar: >= 1.6 on 2 cores), and the scheduling overhead per
image: in the 1-actor job, the actor's span per image less the image's own work (the time
the actor spends between images: Ray Data's blocks, the rows' round trip), measured inside
one job so machine noise moves both alike.
The machine's load average is recorded before and after: the machine may be shared.
Last, one 3840x2160 mosaic goes through 1 actor, for the memory an actor needs at 4K.

Run: .venv/bin/python -m benchmarks.ray_throughput [--images 48] [--repeats 3]
     [--json reports/distributed_bench.json] [--markdown reports/distributed_bench.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

import unpixel as up
from unpixel.cli_run import restore_image
from unpixel.distributed import restore_dataset

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
SIZE = 256


def make_inputs(folder: Path, count: int) -> list[Path]:
    """``count`` block-4 mosaics of SIZE x SIZE, cut from the photos at shifting offsets."""
    import skimage.data

    photos = [np.ascontiguousarray(getattr(skimage.data, n)()[..., 2::-1]) for n in PHOTOS]
    paths = []
    for i in range(count):
        photo = photos[i % len(photos)]
        y, x = (i * 7) % (photo.shape[0] - SIZE), (i * 11) % (photo.shape[1] - SIZE)
        crop = np.ascontiguousarray(photo[y : y + SIZE, x : x + SIZE])
        path = folder / f"m{i:03d}.png"
        cv2.imwrite(str(path), up.pixelate(crop, 4, phase=(i % 4, (i // 4) % 4)))
        paths.append(path)
    return paths


def one_process(paths: list[Path], out: Path) -> float:
    """Seconds per image of the single-machine work, the pipeline already loaded."""
    out.mkdir()
    with up.Pipeline.create(up.PipelineOptions(num_threads=1)) as pipe:
        restore_image(pipe, paths[0], out / paths[0].name)  # warm-up, not timed
        start = time.perf_counter()
        for path in paths:
            restore_image(pipe, path, out / path.name)
        return (time.perf_counter() - start) / len(paths)


def on_ray(folder: Path, out: Path, actors: int) -> dict[str, float]:
    """One restore_dataset job: images/s over the whole job and over the working span.

    The working span runs from the first image's start to the last image's end on the
    workers' clock (one machine here), so it leaves out the actors' start and model load.
    """
    start, cpu = time.perf_counter(), time.process_time()
    report = restore_dataset(
        [folder],
        out,
        up.PipelineOptions(num_threads=1),
        actors=actors,
        resume=False,
        manifest=out.parent / f"{out.name}.jsonl",
    )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if report.failed:
        raise SystemExit(f"{len(report.failed)} inputs failed: {report.failed[0]['error']}")
    done = report.done
    by_worker: dict[str, list[dict[str, Any]]] = {}
    for entry in done:
        by_worker.setdefault(entry["worker"], []).append(entry)
    spans = {
        w: max(e["finished_at"] for e in es) - min(e["started_at"] for e in es)
        for w, es in by_worker.items()
    }
    work = statistics.mean(e["timings_ms"]["total"] for e in done) / 1000
    one = by_worker[min(by_worker)]  # one actor's own time between its images
    gap = (
        spans[min(by_worker)] / len(one)
        - statistics.mean(e["timings_ms"]["total"] for e in one) / 1000
    )
    return {
        "job_per_s": len(done) / wall,
        "working_per_s": sum(len(by_worker[w]) / spans[w] for w in by_worker),
        "work_s": work,
        "gap_s": gap,
        "actors_seen": len(by_worker),
        "driver_cpu_share": cpu / wall,
    }


def memory_4k(work: Path) -> dict[str, Any]:
    """One 3840x2160 block-8 mosaic through 1 actor: the actor's peak memory, the entry's size."""
    import skimage.data

    folder = work / "in4k"
    folder.mkdir()
    photo = cv2.resize(skimage.data.astronaut()[..., ::-1], (3840, 2160))
    cv2.imwrite(str(folder / "4k.png"), up.pixelate(photo, 8))
    out = work / "out4k"
    report = restore_dataset([folder], out, up.PipelineOptions(num_threads=1), actors=1)
    (entry,) = report.done
    return {
        "frame": "3840x2160 block-8 mosaic (PNG)",
        "actor_peak_rss_mb": entry["worker_peak_rss_mb"],
        "work_s": round(entry["timings_ms"]["total"] / 1000, 2),
        "manifest_entry_bytes": len(json.dumps(entry)),
    }


def run(images: int, repeats: int) -> dict[str, Any]:
    """The whole benchmark; a JSON-able dict."""
    import ray

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="ray_bench_"))
    try:
        folder = work / "in"
        folder.mkdir()
        paths = make_inputs(folder, images)
        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
        init_s = time.perf_counter() - start
        rounds: list[dict[str, Any]] = []
        sides = ["one", 1, 2]
        for r in range(repeats):
            row: dict[str, Any] = {}
            for side in sides[r % 3 :] + sides[: r % 3]:
                out = work / f"out_{r}_{side}"
                if side == "one":
                    row["one_process_s_per_image"] = one_process(paths, out)
                else:
                    row[f"actors_{side}"] = on_ray(folder, out, side)
                shutil.rmtree(out, ignore_errors=True)
            rounds.append(row)
        four_k = memory_4k(work)
        ray.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summarise(rounds, images, init_s, load_before, os.getloadavg()) | {"4k": four_k}


def summarise(
    rounds: list[dict[str, Any]],
    images: int,
    init_s: float,
    load_before: tuple[float, ...],
    load_after: tuple[float, ...],
) -> dict[str, Any]:
    """Medians of the rounds, the ratio, the overhead, the setting."""

    def med(key: str, field: str | None = None) -> float:
        values = [r[key][field] if field else r[key] for r in rounds]
        return statistics.median(values)

    one = med("one_process_s_per_image")
    span1, span2 = med("actors_1", "working_per_s"), med("actors_2", "working_per_s")
    job1, job2 = med("actors_1", "job_per_s"), med("actors_2", "job_per_s")
    ratios = [r["actors_2"]["working_per_s"] / r["actors_1"]["working_per_s"] for r in rounds]
    ratio = statistics.median(ratios)
    return {
        "images": images,
        "image_size": f"{SIZE}x{SIZE} block-4 mosaics (PNG)",
        "repeats": len(rounds),
        "threads_per_actor": 1,
        "cluster": "ray.init(num_cpus=2), local",
        "ray_init_s": round(init_s, 2),
        "one_process_images_per_s": round(1 / one, 2),
        "actors_1": {
            "working_per_s": round(span1, 2),
            "job_per_s": round(job1, 2),
            "work_ms_per_image": round(med("actors_1", "work_s") * 1000, 1),
        },
        "actors_2": {
            "working_per_s": round(span2, 2),
            "job_per_s": round(job2, 2),
            "work_ms_per_image": round(med("actors_2", "work_s") * 1000, 1),
        },
        "ratio_2_over_1_working": round(ratio, 3),
        "ratio_2_over_1_job": round(job2 / job1, 3),
        "work_slowdown_2_over_1": round(med("actors_2", "work_s") / med("actors_1", "work_s"), 3),
        "driver_cpu_share_2_actors": round(med("actors_2", "driver_cpu_share"), 3),
        "overhead_ms_per_image": round(med("actors_1", "gap_s") * 1000, 2),
        "bar_ratio": 1.6,
        "bar_met": ratio >= 1.6,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "rounds": rounds,
    }


def markdown(doc: dict[str, Any]) -> str:
    """The report as a short Markdown table."""
    a1, a2 = doc["actors_1"], doc["actors_2"]
    return "\n".join(
        [
            "# restore --ray throughput",
            "",
            f"{doc['images']} {doc['image_size']}, {doc['threads_per_actor']} thread per actor, "
            f"{doc['cluster']} on {doc['cores']} cores; medians of {doc['repeats']} repeats "
            "in one run. Made by `.venv/bin/python -m benchmarks.ray_throughput --images "
            f"{doc['images']} --repeats {doc['repeats']}`.",
            "",
            "| | images/s, working | images/s, whole job | ms of work per image |",
            "|---|---|---|---|",
            f"| one process (no Ray) | {doc['one_process_images_per_s']} | | "
            f"{1000 / doc['one_process_images_per_s']:.1f} |",
            f"| Ray, 1 actor | {a1['working_per_s']} | {a1['job_per_s']} | "
            f"{a1['work_ms_per_image']} |",
            f"| Ray, 2 actors | {a2['working_per_s']} | {a2['job_per_s']} | "
            f"{a2['work_ms_per_image']} |",
            f"| 2 actors / 1 actor | {doc['ratio_2_over_1_working']}x | "
            f"{doc['ratio_2_over_1_job']}x | |",
            "",
            f"- bar: 2 actors >= {doc['bar_ratio']}x of 1 actor (working span): "
            f"{'met' if doc['bar_met'] else 'NOT met'}",
            f"- an image's work in an actor, 2 actors / 1 actor: {doc['work_slowdown_2_over_1']}x "
            "(near 1 when each actor has a core of its own; 2 when they share one)",
            f"- the driver (this process) used {doc['driver_cpu_share_2_actors']:.0%} of a core "
            "during the 2-actor jobs (Ray Data's scheduling loop, the manifest)",
            f"- scheduling overhead per image (1 actor: its working span per image less the "
            f"image's own work): {doc['overhead_ms_per_image']} ms",
            f"- local cluster start (`ray.init`): {doc['ray_init_s']} s, not counted above",
            f"- one {doc['4k']['frame']} through 1 actor: the actor's peak memory "
            f"{doc['4k']['actor_peak_rss_mb']} MiB, {doc['4k']['work_s']} s of work; its "
            f"manifest entry {doc['4k']['manifest_entry_bytes']} bytes (all that crosses "
            "the object store per input besides its path)",
            f"- load average before / after (1, 5, 15 min): {doc['load_average_before']} / "
            f"{doc['load_average_after']}",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("reports/distributed_bench.json"))
    parser.add_argument("--markdown", type=Path, default=Path("reports/distributed_bench.md"))
    args = parser.parse_args()
    doc = run(args.images, args.repeats)
    from unpixel.io import write_atomic

    write_atomic(args.json, (json.dumps(doc, indent=1) + "\n").encode())
    write_atomic(args.markdown, markdown(doc).encode())
    print(markdown(doc))


if __name__ == "__main__":
    main()
