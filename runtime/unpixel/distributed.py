"""Restore image and video archives on a Ray cluster (Ray Data), with the outputs of one machine.

:func:`restore_dataset` is ``unpixel restore`` spread over a Ray cluster: a local one
started on this machine, or an existing one (``ray.init(address=...)``: a VM cluster, KubeRay).
Images go through one Ray Data ``map_batches`` stage whose workers are a pool of actors, each
holding one :class:`~unpixel.pipeline.Pipeline`; videos are one Ray task per file. Each
input is restored by the same code as the single-machine command
(:func:`unpixel.cli_run.restore_image`, :func:`unpixel.cli_video.restore_video`), so
the outputs are the same files, byte for byte, under the same names
(:func:`unpixel.cli_run.outputs`). Every node must see the inputs and the output folder
at the same paths (a shared file system or a mounted bucket; see docs/distributed.md).

Each finished input appends one line to the manifest (:mod:`unpixel.distributed_manifest`);
a failed input is recorded there and the job goes on; a rerun skips what is already done.
Ray is imported only when a job starts: without the ``ray`` extra that is a
:class:`~unpixel.errors.MissingExtraError`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unpixel.distributed_manifest import (
    FAILED,
    MANIFEST_NAME,
    InputStamp,
    failure_text,
    new_entry,
)
from unpixel.distributed_ray import (
    ImageRestorer,
    RayJob,
    WriteSettings,
    cpus_per_actor,
    restore_video_file,
)
from unpixel.errors import SourceError, UnpixelError
from unpixel.options import PipelineOptions, RunningMode

__all__ = [
    "DatasetReport",
    "WriteSettings",
    "add_cli_arguments",
    "cpus_per_actor",
    "restore_dataset",
    "run_cli",
]


@dataclass
class DatasetReport:
    """What one :func:`restore_dataset` call did.

    Attributes:
        entries: the manifest entries written by this call, in the order they finished.
        skipped: inputs skipped as already done (their outputs unchanged since).
        seconds: wall time of the call, cluster start included.
        manifest: the manifest file.

    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    manifest: Path | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The entries of inputs that failed."""
        return [e for e in self.entries if e["status"] == FAILED]

    @property
    def done(self) -> list[dict[str, Any]]:
        """The entries of inputs restored (or copied unchanged)."""
        return [e for e in self.entries if e["status"] != FAILED]


@dataclass
class _Plan:
    """The inputs of one job, split by kind, and the entries of those refused up front."""

    images: list[tuple[Path, Path, InputStamp]] = field(default_factory=list)
    videos: list[tuple[Path, Path, InputStamp]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _plan(
    inputs: list[str], paths: list[Path], output: Path, manifest: Path, resume: bool
) -> _Plan:
    """Destinations (the single-machine rules), skips (manifest), refusals (bad inputs)."""
    from unpixel.cli_run import outputs
    from unpixel.distributed_manifest import is_done, read_manifest
    from unpixel.video import is_video

    where = outputs(str(output), inputs, paths)
    done = read_manifest(manifest) if resume else {}
    plan, taken = _Plan(), set()
    for path in paths:
        kind = "video" if is_video(path) else "image"
        try:
            dest = where(path, taken)
            if not path.is_file():
                raise SourceError(f"{path} is not a regular file (missing, a folder or a FIFO?)")
            stamp = InputStamp.of(path)
        except (UnpixelError, OSError) as exc:
            entry = new_entry(path, output / path.name, kind, None)
            plan.refused.append(entry | {"error": failure_text(exc)})
            continue
        if is_done(done.get(str(path)), path, dest):
            plan.skipped.append(str(path))
        else:
            (plan.videos if kind == "video" else plan.images).append((path, dest, stamp))
    return plan


def _manifest_path(output: Path, manifest: str | os.PathLike[str] | None) -> Path:
    """The manifest: as given, else in the output folder (beside a single output file)."""
    from unpixel.io import IMAGE_SUFFIXES
    from unpixel.video import VIDEO_SUFFIXES

    if manifest is not None:
        return Path(manifest)
    named = output.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES
    folder = output.parent if output.is_file() or (named and not output.is_dir()) else output
    return folder / MANIFEST_NAME


def restore_dataset(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    options: PipelineOptions | None = None,
    *,
    video_options: PipelineOptions | None = None,
    actors: int = 2,
    address: str | None = None,
    manifest: str | os.PathLike[str] | None = None,
    resume: bool = True,
    settings: WriteSettings | None = None,
    on_entry: Callable[[dict[str, Any], int, int], None] | None = None,
    ray_init: dict[str, Any] | None = None,
) -> DatasetReport:
    """Restore images, folders and videos into ``output`` on a Ray cluster.

    Uses the cluster this process is connected to when ``ray.init`` was already called;
    otherwise connects to ``address`` (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``)
    or, with None, starts a local cluster on this machine, and shuts down what it started.

    Args:
        inputs: image and video files and folders (their images and videos, not recursive).
        output: the output folder (outputs keep the input names), or for one input its
            output file: the rules of ``unpixel restore -o``.
        options: the image pipelines' options; ``num_threads`` is per actor.
        video_options: the video pipelines' options (default: ``options`` in VIDEO mode).
        actors: image actors (one pipeline each), and videos restored at once.
        address: the Ray cluster to connect to, or None (see above).
        manifest: the JSON-lines manifest; default ``unpixel-manifest.jsonl`` in the
            output folder.
        resume: skip inputs whose manifest entry says done and whose files are unchanged.
        settings: codec and JPEG quality of the outputs.
        on_entry: called on this process as ``on_entry(entry, finished, total)`` when each
            manifest entry is written (``total``: the inputs not skipped).
        ray_init: further ``ray.init`` arguments when this call connects or starts a
            cluster (``runtime_env``, ``num_cpus``, ``log_to_driver``, ...).

    Returns:
        The :class:`DatasetReport`; failed inputs are in it (and the manifest), not raised.

    Raises:
        SourceError: no images or videos among the inputs.
        SinkError: ``output`` cannot hold the outputs, or the manifest cannot be written.
        MissingExtraError: Ray (the ``ray`` extra) is not installed.
        ValueError: ``actors`` below 1.

    """
    from unpixel.cli_run import expand
    from unpixel.distributed_manifest import ManifestWriter
    from unpixel.validate import check_int

    check_int("actors", actors, low=1)
    start = time.perf_counter()
    options = dataclasses.replace(options or PipelineOptions(), running_mode=RunningMode.IMAGE)
    video_options = video_options or dataclasses.replace(options, running_mode=RunningMode.VIDEO)
    settings = settings or WriteSettings()
    names = [os.fspath(i) for i in inputs]
    paths = expand(names)
    if not paths:
        raise SourceError("no images or videos among the inputs")
    job = RayJob(address, ray_init)  # MissingExtraError now, before anything is written
    out = Path(output)
    manifest_path = _manifest_path(out, manifest)
    plan = _plan(names, paths, out, manifest_path, resume)
    report = DatasetReport(skipped=plan.skipped, manifest=manifest_path)
    total = len(plan.refused) + len(plan.images) + len(plan.videos)
    with ManifestWriter(manifest_path) as writer:

        def record(entries: Iterable[dict[str, Any]]) -> None:
            for entry in entries:
                writer.append(entry)
                report.entries.append(entry)
                if on_entry is not None:
                    on_entry(entry, len(report.entries), total)

        record(plan.refused)
        if plan.images or plan.videos:
            with job:
                cpus = cpus_per_actor(job.cpus, actors, options.num_threads)
                record(job.images(plan.images, ImageRestorer, (options, settings), actors, cpus))
                video_args = (video_options, settings)
                record(job.videos(plan.videos, restore_video_file, video_args, actors, cpus))
    report.seconds = time.perf_counter() - start
    return report


LOCAL = "local"
"""``--ray`` with no address: start a local cluster on this machine."""


def add_cli_arguments(p: argparse.ArgumentParser) -> None:
    """Add the flags of ``unpixel restore --ray``: address, actors, manifest, redo."""
    p.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL,
        metavar="ADDRESS",
        help="restore on a Ray cluster (the ray extra): ADDRESS of a running one (auto, "
        "HOST:6379, ray://HOST:10001), none for a local cluster on this machine; put it "
        "after the inputs",
    )
    p.add_argument(
        "--actors",
        type=int,
        default=2,
        metavar="N",
        help="--ray: pipelines working at once, each with --threads threads (default 2)",
    )
    p.add_argument(
        "--manifest",
        type=Path,
        metavar="FILE",
        help=f"--ray: the JSON-lines record of each input (default OUT/{MANIFEST_NAME})",
    )
    p.add_argument(
        "--redo",
        action="store_true",
        help="--ray: restore every input again, also those the manifest shows done",
    )


def _progress(as_json: bool) -> Callable[[dict[str, Any], int, int], None]:
    """The ``on_entry`` of the command line: ``error:`` lines and a bar on a terminal."""
    from unpixel.progress import shows_progress
    from unpixel.terminal import say

    bar: list[Any] = []
    start = time.perf_counter()

    def show(entry: dict[str, Any], finished: int, total: int) -> None:
        if entry["status"] == FAILED:
            say(f"error: {entry['input']}: {entry['error']}", err=True)
        if as_json or not shows_progress():
            return
        if not bar:
            from tqdm import tqdm

            bar.append(tqdm(total=total, desc="restore --ray", unit="input", file=sys.stderr))
        bar[0].update(1)
        bar[0].set_postfix_str(f"{finished / (time.perf_counter() - start):.2f} inputs/s")
        if finished == total:
            bar[0].close()

    return show


def run_cli(args: argparse.Namespace) -> int:
    """``unpixel restore ... --ray [ADDRESS]``: the job, its summary, its exit status.

    Returns:
        0 when every input was restored (or skipped as done), 1 when any failed, 143 when
        stopped by SIGTERM (the cluster shut down, the manifest kept).

    Raises:
        ValueError: ``--ray``'s address is an input path (the flag went before them).

    """
    from unpixel.cli_run import options_from
    from unpixel.terminal import QUIET, say, verbosity, write

    if args.ray != LOCAL and Path(args.ray).exists():
        raise ValueError(
            f"--ray took {args.ray!r} as the cluster's address: put --ray after the inputs"
        )
    try:
        report = restore_dataset(
            args.inputs,
            args.output,
            options_from(args),
            video_options=options_from(args, running_mode=RunningMode.VIDEO),
            actors=args.actors,
            address=None if args.ray == LOCAL else args.ray,
            manifest=args.manifest,
            resume=not args.redo,
            settings=WriteSettings(codec=args.codec, quality=args.quality),
            on_entry=_progress(args.json),
            ray_init={"log_to_driver": False} if verbosity() <= QUIET else None,  # -q
        )
    except SystemExit as exc:  # ray.init's SIGTERM handler exits with the signal's number
        if exc.code != signal.SIGTERM:
            raise
        say("SIGTERM: stopped; the manifest keeps every input finished so far", err=True)
        return 128 + signal.SIGTERM
    if args.json:
        write(json.dumps(report.entries, indent=1) + "\n")
    if verbosity() > QUIET:
        done = len(report.done)
        say(
            f"restored {done} of {len(report.entries)} inputs on Ray in {report.seconds:.1f} s "
            f"({done / max(report.seconds, 1e-9):.2f}/s), {len(report.failed)} failed, "
            f"{len(report.skipped)} skipped as done before; manifest {report.manifest}",
            err=True,
        )
    return 1 if report.failed else 0
