"""``unpixel restore --ray`` on a real local Ray cluster: the outputs of one machine, per input.

One cluster (``ray.init(num_cpus=2)``, this machine's two cores) serves the module. The
inputs are a few small images (a mosaic, a clean JPEG, a clean PNG with alpha, a corrupt
PNG) and a 12-frame clip. Each job runs two actors: the size that hung on two CPUs when
each actor took a whole CPU; the timeouts bound every job.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up
from unpixel.cli import main
from unpixel.distributed import cpus_per_actor, restore_dataset
from unpixel.distributed_manifest import MANIFEST_NAME, read_manifest

JOB_SECONDS = 240
"""Each job's bound: cluster already up, actor start and model load included."""


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, photos) -> Path:
    src = tmp_path_factory.mktemp("ray") / "in"
    src.mkdir()
    astronaut, coffee = photos["astronaut"][:192, :256], photos["coffee"][:160, :224]
    cv2.imwrite(str(src / "mosaic.png"), up.pixelate(astronaut, 4, phase=(1, 2)))
    cv2.imwrite(str(src / "clean.jpg"), coffee, [cv2.IMWRITE_JPEG_QUALITY, 80])
    alpha = np.full((*coffee.shape[:2], 1), 200, np.uint8)
    cv2.imwrite(str(src / "alpha.png"), np.concatenate([coffee, alpha], axis=2))
    (src / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    mosaic = up.pixelate(photos["chelsea"], 4)
    writer = cv2.VideoWriter(str(src / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (96, 96))
    for i in range(12):
        writer.write(np.ascontiguousarray(mosaic[i * 4 : i * 4 + 96, 40:136]))
    writer.release()
    return src


@pytest.fixture(scope="module")
def single(inputs) -> Path:
    """The single-process outputs: ``unpixel restore`` with one thread, as the actors run."""
    out = inputs.parent / "single"
    assert main(["restore", str(inputs), "-o", str(out), "--threads", "1"]) == 1  # corrupt.png
    return out


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != MANIFEST_NAME}


@pytest.mark.timeout(JOB_SECONDS)
def test_ray_outputs_are_byte_identical_to_one_process(cluster, inputs, single, capsys):
    out = inputs.parent / "ray"
    status = main(["restore", str(inputs), "-o", str(out), "--threads", "1", "--ray"])
    err = capsys.readouterr().err
    assert status == 1  # the corrupt input failed, the others were done
    ray_outputs, one_process = _outputs(out), _outputs(single)
    assert sorted(ray_outputs) == ["alpha.png", "clean.jpg", "clip.avi", "mosaic.png"]
    assert ray_outputs == one_process  # byte for byte, same names
    assert ray_outputs["clean.jpg"] == (inputs / "clean.jpg").read_bytes()  # copied, unchanged
    assert ray_outputs["mosaic.png"] != (inputs / "mosaic.png").read_bytes()  # restored
    assert f"error: {inputs / 'corrupt.png'}: " in err
    assert "restored 4 of 5 inputs on Ray" in err and "1 failed" in err
    entries = read_manifest(out / MANIFEST_NAME)
    assert {Path(k).name: e["status"] for k, e in entries.items()} == {
        "alpha.png": "done",
        "clean.jpg": "done",
        "clip.avi": "done",
        "corrupt.png": "failed",
        "mosaic.png": "done",
    }
    corrupt = entries[str(inputs / "corrupt.png")]
    assert "not a readable image" in corrupt["error"] and corrupt["detection"] is None
    mosaic = entries[str(inputs / "mosaic.png")]
    assert mosaic["detection"]["block"] == 4 and mosaic["detection"]["phase"] == [1, 2]
    assert mosaic["copied"] is False and entries[str(inputs / "clean.jpg")]["copied"] is True
    assert entries[str(inputs / "clip.avi")]["detection"]["frames"] == 12
    assert mosaic["timings_ms"]["total"] > 0
    assert len({e["worker"] for e in entries.values() if e["kind"] == "image"}) >= 1


@pytest.mark.timeout(JOB_SECONDS)
def test_a_rerun_skips_what_is_done_and_redoes_what_changed(cluster, inputs, single, tmp_path):
    src = tmp_path / "in"
    shutil.copytree(inputs, src)
    out = tmp_path / "out"
    options = up.PipelineOptions(num_threads=1)
    first = restore_dataset([src], out, options, actors=2)
    assert len(first.done) == 4 and [Path(e["input"]).name for e in first.failed] == ["corrupt.png"]
    assert first.skipped == []
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    (out / "alpha.png").write_bytes(b"not what was written")  # an output damaged since
    os.utime(src / "mosaic.png", ns=(0, 0))  # same bytes, touched: not the input that was done
    again = restore_dataset([src], out, options, actors=2)
    assert sorted(Path(s).name for s in again.skipped) == ["clean.jpg", "clip.avi"]
    redone = sorted(Path(e["input"]).name for e in again.entries)
    assert redone == ["alpha.png", "corrupt.png", "mosaic.png"]
    assert (out / "alpha.png").read_bytes() == (single / "alpha.png").read_bytes()
    assert (out / "mosaic.png").read_bytes() == (single / "mosaic.png").read_bytes()
    for name in ("clean.jpg", "clip.avi"):  # not rewritten
        assert (out / name).stat().st_mtime_ns == stamps[name]
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == 5 + 3 and all(json.loads(line)["input"] for line in lines)


def test_actors_leave_room_for_the_rest_of_the_job():
    # two actors of one thread on two CPUs: 0.75 each, 0.5 left (a whole CPU each hung)
    assert cpus_per_actor(2, 2, 1) == 0.75
    assert cpus_per_actor(2, 1, 1) == 1.0
    assert cpus_per_actor(64, 8, 2) == 2.0  # a big cluster: each actor asks for its threads
    for cpus, actors, threads in [(1, 1, 1), (1, 4, 2), (2, 3, 4), (4, 16, 1), (0.5, 2, 1)]:
        assert actors * cpus_per_actor(cpus, actors, threads) < cpus
