"""The Ray side of :mod:`unpixel.distributed`: the cluster, the image actors, the video tasks.

Ray is imported only here and only when a :class:`RayJob` starts (the ``ray`` extra).
Actors are sized by :func:`cpus_per_actor` so that a job never waits for CPUs it has itself
taken: on a 2-CPU cluster, two actors of one CPU each leave nothing for Ray Data's other
tasks, and such a job was seen to hang for ever.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unpixel.distributed_manifest import DONE, InputStamp, failure_text, new_entry, output_facts
from unpixel.errors import MissingExtraError
from unpixel.options import PipelineOptions

ROOM_CPUS = 0.5
"""CPUs of the cluster that actors never claim, for Ray Data's own tasks and the driver."""
ROWS_PER_BLOCK = 8
"""Images per Ray Data block (the unit handed to an actor), while there are at least two
blocks per actor: each block costs some scheduling (reports/distributed_bench.md measured
tens of ms a block on 2 cores), and small blocks keep the actors' loads even."""

Item = tuple[Path, Path, InputStamp]
"""One input of a job: its file, its output file and its stamp."""


def cpus_per_actor(cluster_cpus: float, actors: int, threads: int) -> float:
    """The ``num_cpus`` each actor (and each video task) asks Ray for.

    Each actor asks for its threads, but all of them together for at most the cluster's
    CPUs less :data:`ROOM_CPUS` (and at most half of a cluster smaller than one CPU).

    Args:
        cluster_cpus: the cluster's CPUs (``ray.cluster_resources()["CPU"]``).
        actors: how many actors run at once.
        threads: each actor's pipeline threads.

    Returns:
        CPUs per actor, rounded to 1/1000 (at least 0.001).

    """
    room = max(cluster_cpus - ROOM_CPUS, cluster_cpus / 2)
    return max(round(min(float(threads), room / actors), 3), 0.001)


def load_ray() -> Any:
    """Import Ray (with Ray Data), or raise :class:`MissingExtraError` naming the extra."""
    try:
        import ray
        import ray.data  # the extra is ray[data]: check that part too
    except ImportError:
        raise MissingExtraError("ray", "ray", needed_by="unpixel restore --ray") from None
    return ray


class RayJob:
    """A connection to a Ray cluster for one job: started on entry, closed on exit.

    Args:
        address: the cluster's address, or None for a local cluster of this machine's
            CPUs. Unused when this process is already connected (``ray.init`` was called):
            that cluster is used and left running.
        init: further ``ray.init`` arguments for that connection (``runtime_env``,
            ``num_cpus`` of a local cluster, ``log_to_driver``, ...).

    Raises:
        MissingExtraError: Ray is not installed.

    """

    def __init__(self, address: str | None = None, init: dict[str, Any] | None = None) -> None:
        self.ray = load_ray()
        self.address = address
        self.init = {"logging_level": logging.WARNING} | (init or {})
        self.started = False

    def __enter__(self) -> RayJob:
        ray = self.ray
        if not ray.is_initialized():
            ray.init(address=self.address, **self.init)
            self.started = True
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # before: setting the flag warns
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # progress is this process's own
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.ray.shutdown()

    @property
    def cpus(self) -> float:
        """The cluster's CPUs now."""
        return float(self.ray.cluster_resources().get("CPU", 0.0))

    def images(
        self,
        items: Sequence[Item],
        actor: type,
        args: tuple[Any, ...],
        actors: int,
        cpus: float,
    ) -> Iterator[dict[str, Any]]:
        """Restore images through Ray Data: ``map_batches`` over a pool of ``actor``.

        Args:
            items: the images.
            actor: the actor class, built with ``args``, called on batches of rows
                (``input``, ``output``, ``input_size``, ``input_mtime_ns``) and returning a
                column ``entry`` of JSON manifest entries.
            args: the actor's constructor arguments.
            actors: the pool's size.
            cpus: ``num_cpus`` per actor.

        Returns:
            The manifest entries, as they finish. When the stage itself fails (a node
            lost for good), every image not finished gets a ``failed`` entry with the error.

        """
        if not items:
            return
        data = self.ray.data
        rows = [
            {"input": str(s), "output": str(d), "input_size": t.size, "input_mtime_ns": t.mtime_ns}
            for s, d, t in items
        ]
        blocks = min(len(rows), max(2 * actors, -(-len(rows) // ROWS_PER_BLOCK)))
        ds = data.from_items(rows, override_num_blocks=blocks).map_batches(
            actor,
            fn_constructor_args=args,
            compute=data.ActorPoolStrategy(size=min(actors, len(rows))),
            num_cpus=cpus,
            batch_size=1,
        )
        finished: set[str] = set()
        try:
            for row in ds.iter_rows():
                entry = json.loads(row["entry"])
                finished.add(entry["input"])
                yield entry
        except Exception as exc:  # the stage failed: the rest is recorded, not lost
            for src, dest, stamp in items:
                if str(src) not in finished:
                    yield new_entry(src, dest, "image", stamp) | {"error": failure_text(exc)}

    def videos(
        self,
        items: Sequence[Item],
        task: Any,
        args: tuple[Any, ...],
        actors: int,
        cpus: float,
    ) -> Iterator[dict[str, Any]]:
        """Restore videos as Ray tasks, one per file, ``actors`` of them at once.

        Args:
            items: the videos.
            task: the function run as a task as ``task(src, dest, stamp, *args)``, returning
                the manifest entry.
            args: its further arguments.
            actors: tasks running at once.
            cpus: ``num_cpus`` per task.

        Returns:
            The manifest entries, as the tasks finish; a task that dies (its worker
            killed) gives a ``failed`` entry with Ray's error.

        """
        ray = self.ray
        remote = ray.remote(task).options(num_cpus=cpus, max_retries=0)
        queue = list(items)[::-1]
        running: dict[Any, Item] = {}
        while queue or running:
            while queue and len(running) < actors:
                src, dest, stamp = item = queue.pop()
                running[remote.remote(str(src), str(dest), stamp, *args)] = item
            ready, _ = ray.wait(list(running), num_returns=1)
            src, dest, stamp = running.pop(ready[0])
            try:
                yield ray.get(ready[0])
            except Exception as exc:  # the task's worker died: record it, go on
                yield new_entry(src, dest, "video", stamp) | {"error": failure_text(exc)}


@dataclass(frozen=True)
class WriteSettings:
    """How outputs are written, as the single-machine ``unpixel restore`` flags say.

    Attributes:
        codec: videos: ``--codec`` (needs the ``video`` extra), or None for the default.
        quality: JPEG outputs: ``--quality``, or None for the input's own.

    """

    codec: str | None = None
    quality: int | None = None


def hold_to_threads(threads: int) -> None:
    """Keep OpenCV's own thread pool in this worker to the pipeline's threads.

    OpenCV otherwise uses every core of the node in each worker, so actors sized for one CPU
    each would take more and slow each other down.
    """
    import cv2

    cv2.setNumThreads(threads)


def peak_rss_mb() -> float | None:
    """The peak resident memory of the calling process so far, in MiB (None: OS unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def run_one(
    src: Path, dest: Path, kind: str, stamp: InputStamp | None, work: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``work`` (restores ``src`` to ``dest``, returns the result row) into an entry.

    Never raises for a failure of the input: the entry says ``failed`` and why. The entry
    has the worker's clock (``time.time()``) at the start and end of the work, the work's
    time in ``timings_ms["total"]`` and the worker's peak memory so far.
    """
    entry = new_entry(src, dest, kind, stamp)
    entry["started_at"] = time.time()
    start = time.perf_counter()
    try:
        row = work()
        entry |= output_facts(dest)
    except Exception as exc:  # one input's failure, whatever it is, never ends the job
        entry["error"] = failure_text(exc)
    else:
        entry["status"] = DONE
        entry["copied"] = row.pop("copied", None)
        entry["detection"] = {k: v for k, v in row.items() if k not in ("input", "output")}
    entry["timings_ms"]["total"] = round((time.perf_counter() - start) * 1000, 2)
    entry["finished_at"] = time.time()
    entry["worker_peak_rss_mb"] = peak_rss_mb()
    return entry


class ImageRestorer:
    """A Ray Data actor: one IMAGE pipeline, restoring batches of ``input``/``output`` rows.

    Args:
        options: the pipeline's options (IMAGE mode; ``num_threads`` threads per actor).
        settings: how outputs are written.

    """

    def __init__(self, options: PipelineOptions, settings: WriteSettings) -> None:
        from unpixel.pipeline import Pipeline

        hold_to_threads(options.num_threads)
        self.pipe = Pipeline.create(options)
        self.settings = settings

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        """Restore each row of a batch; returns one manifest entry per row (JSON text).

        Args:
            batch: columns ``input``, ``output``, ``input_size``, ``input_mtime_ns``.

        Returns:
            Column ``entry``: each input's manifest entry, as JSON.

        """
        from unpixel.cli_run import restore_image

        entries = []
        for src, dest, size, mtime in zip(
            batch["input"],
            batch["output"],
            batch["input_size"],
            batch["input_mtime_ns"],
            strict=True,
        ):
            s, d = Path(str(src)), Path(str(dest))
            stamp = InputStamp(int(size), int(mtime))
            entry = run_one(
                s,
                d,
                "image",
                stamp,
                lambda s=s, d=d: restore_image(self.pipe, s, d, self.settings.quality),
            )
            entries.append(json.dumps(entry))
        return {"entry": entries}


def restore_video_file(
    src: str, dest: str, stamp: InputStamp | None, options: PipelineOptions, settings: WriteSettings
) -> dict[str, Any]:
    """A Ray task: restore one video file as single-machine ``unpixel restore`` does.

    Args:
        src: the video file.
        dest: the output file.
        stamp: the input's size and mtime when the job was planned.
        options: the VIDEO pipeline's options.
        settings: how outputs are written.

    Returns:
        The input's manifest entry.

    """
    from unpixel.cli_video import restore_video
    from unpixel.interrupt import StopRequest
    from unpixel.pipeline import Pipeline

    def work() -> dict[str, Any]:
        hold_to_threads(options.num_threads)
        with Pipeline.create(options) as pipe:
            return restore_video(pipe, Path(src), Path(dest), StopRequest(), settings.codec)

    return run_one(Path(src), Path(dest), "video", stamp, work)
