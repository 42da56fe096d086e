"""The hostile-input suite (issue 20): generated files, API arguments, manifests, sources, signals.

The cases come from :mod:`tests.hostile_cases` and :mod:`tests.hostile_api` (one fixed seed).
Each must end in a result or a documented error: for API calls, a returned value that passes
its check or an exception of the case's allowed types, within ``hostile_run.TIMEOUT_S`` (a case runs
in a worker thread, so a hang is reported instead of blocking the run); for the command
line, no traceback, an exit status in the documented set, one outcome per input (an output
that reads back whole, or one ``error:`` line naming it) and no temporary files. The CLI
cases run as a few batched ``unpixel`` processes. ``pytest -s`` prints the count of each
kind; RELIABILITY.md gives the total.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

import unpixel as up
from tests import hostile_api as api
from tests import hostile_cases as gen
from tests.hostile_run import CASES, CLI, errors_for, guarded, leftovers, run_cli
from unpixel.errors import ModelError, UnpixelError
from unpixel.live.opening import open_source
from unpixel.options import default_models_dir
from unpixel.zoo import resolve

MIN_CASES = 600


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print(f"\nhostile cases run: {sum(CASES.values())} " + json.dumps(dict(sorted(CASES.items()))))


@pytest.fixture(scope="module")
def small(astronaut) -> np.ndarray:
    return gen.base_image(astronaut)


@pytest.fixture(scope="module")
def pipe():
    with up.Pipeline.create() as p:
        yield p


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, small) -> dict[str, list[gen.FileCase]]:
    """Every generated input file, in one folder."""
    folder = tmp_path_factory.mktemp("hostile_inputs")
    images = gen.image_files(folder, small)
    valid_png = folder / "png_valid.png"
    return {
        "images": images,
        "special": gen.special_paths(folder, valid_png),
        "videos": gen.video_files(folder, small),
    }


# -- API arguments ----------------------------------------------------------------------


def _create_and_run(options: up.PipelineOptions, frame: np.ndarray) -> None:
    with up.Pipeline.create(options) as p:
        if options.running_mode is up.RunningMode.IMAGE:
            res = p.process(frame)
            assert res.image.shape == frame.shape


def test_pipeline_options_with_hostile_values(small):
    made: list[api.ApiCase] = []
    cases = list(api.option_cases())

    def keep(case: api.ApiCase) -> api.ApiCase:
        def call():
            options = case.call()
            made.append(
                api.ApiCase(
                    f"Pipeline.create({case.label})",
                    lambda o=options: _create_and_run(o, small),
                    api.FILES,
                )
            )
            return options

        return api.ApiCase(case.label, call, case.allowed, case.check)

    problems = guarded("API: PipelineOptions fields", map(keep, cases))
    # options that constructed must load a working pipeline or fail with a clear error
    problems += [f"{p}" for p in guarded("API: Pipeline.create of accepted options", made)]
    assert not problems, "\n".join(problems)
    fields = len(dataclasses.fields(up.PipelineOptions))
    assert CASES["API: PipelineOptions fields"] == len(cases) == fields * len(api.BAD)


def test_public_functions_with_hostile_arguments(small, tmp_path):
    cases = list(api.function_cases(small, tmp_path))
    problems = guarded("API: public functions", cases)
    assert not problems, "\n".join(problems)
    assert CASES["API: public functions"] == len(cases)
    assert not leftovers(tmp_path), leftovers(tmp_path)


def test_pipeline_methods_with_hostile_arguments(pipe, small):
    video_options, live_options = api.mode_pipelines()
    frame = cv2.resize(small, (128, 96))
    with up.Pipeline.create(video_options) as video, up.Pipeline.create(live_options) as live:
        cases = list(api.pipeline_cases(pipe, video, live, frame))
        problems = guarded("API: pipeline methods", cases)
    assert not problems, "\n".join(problems)
    assert CASES["API: pipeline methods"] == len(cases)


def test_video_and_mjpeg_arguments(small, tmp_path):
    cases = list(api.io_cases(tmp_path, small))
    problems = guarded("API: video writers, readers, MJPEG sink", cases)
    assert not problems, "\n".join(problems)
    assert not leftovers(tmp_path), leftovers(tmp_path)


# -- files, in process ----------------------------------------------------------------------


def _read(case: gen.FileCase) -> api.ApiCase:
    """Read an input the way restore does: an image, or every frame of a video."""
    from unpixel.video import VideoReader, is_video

    def call() -> object:
        if not is_video(case.path):
            return up.read_image(case.path)
        reader = VideoReader(case.path)
        try:
            return [frame for frame in reader]
        finally:
            reader.close()

    def check(result: object) -> None:
        frames = result if isinstance(result, list) else [result]
        for f in frames:
            assert isinstance(f, np.ndarray) and f.dtype == np.uint8 and f.ndim == 3, type(f)
        assert case.valid is not False, "a file that must be refused was read"

    return api.ApiCase(case.label, call, (UnpixelError, ValueError), check)


def _reads(case: gen.FileCase) -> bool:
    """Whether an input reads in this process (an image, or a video with a frame)."""
    try:
        result = _read(case).call()
    except (UnpixelError, ValueError):  # ValueError: a name OpenCV cannot take
        return False
    return not isinstance(result, list) or bool(result)


def _all(corpus) -> list[gen.FileCase]:
    return corpus["images"] + corpus["special"] + corpus["videos"]


def test_hostile_files_read_in_process(corpus):
    cases = _all(corpus)
    problems = guarded("files: read_image / VideoReader", map(_read, cases))
    must_read = [c for c in cases if c.valid]
    unread = [c.label for c in must_read if not _reads(c)]
    assert not problems, "\n".join(problems)
    assert not unread, f"valid files refused: {unread}"
    assert len(cases) >= 300


# -- files, through the command line (one batched process each) -----------------------------


def _cli_inputs(corpus) -> list[gen.FileCase]:
    """The inputs the CLI is handed one by one (a folder would be expanded: left out)."""
    return [c for c in _all(corpus) if not (c.path.is_dir() and not c.path.is_symlink())]


def test_hostile_files_through_one_restore_run(corpus, tmp_path):
    cases = _cli_inputs(corpus)
    paths = [c.path for c in cases]
    folder = paths[0].parent
    before = sorted(p.name for p in folder.iterdir())
    out = tmp_path / "out"
    code, _, err = run_cli("restore", *map(str, paths), "-o", str(out), "-q")
    CASES["files: unpixel restore (one run)"] += len(cases)
    assert "Traceback" not in err, err[-3000:]
    assert code == 1, (code, err[-2000:])  # some inputs fail, and say so
    errors = errors_for(err, paths)
    written = {p.name for p in out.iterdir()}
    problems = []
    for case in cases:
        wrote, failed = case.path.name in written, errors[case.path]
        if wrote == bool(failed) or failed > 1:
            problems.append(f"{case.label}: written {wrote}, {failed} error lines")
        elif not case.strict:
            continue  # one outcome is all that is asked
        elif not _reads(case) and wrote:
            problems.append(f"{case.label}: unreadable here, yet written")
        elif case.valid and case.content in gen.MAIN and case.path.suffix in gen.MAIN and not wrote:
            problems.append(f"{case.label}: readable, not written")
        elif wrote and not _reads(gen.FileCase(out / case.path.name, case.label, True)):
            problems.append(f"{case.label}: the output does not read back")
    assert not problems, "\n".join(problems)
    assert written <= {c.path.name for c in cases}, "files nobody asked for (temporary?)"
    assert sorted(p.name for p in folder.iterdir()) == before, "the input folder changed"


def test_hostile_files_through_one_detect_run(corpus):
    cases = _cli_inputs(corpus)
    paths = [c.path for c in cases]
    code, out, err = run_cli("detect", "--json", *map(str, paths))
    CASES["files: unpixel detect (one run)"] += len(cases)
    assert "Traceback" not in err, err[-3000:]
    assert code == 1, (code, err[-2000:])
    rows = {row["input"]: row for row in json.loads(out)}
    errors = errors_for(err, paths)
    problems = [
        f"{c.label}: {int(str(c.path) in rows)} results, {errors[c.path]} error lines"
        for c in cases
        if (str(c.path) in rows) + errors[c.path] != 1
        or (c.strict and str(c.path) in rows and not _reads(c))
    ]
    assert not problems, "\n".join(problems)


# -- manifests ------------------------------------------------------------------------------

FORMAT = "tflite-int8"
"""The format whose entries are mutated: the one a plain Pipeline.create loads."""
MUTATED = ("classifier", "restorer_x2")
"""The entries mutated field by field (the other restorers share their code path)."""


@pytest.fixture(scope="module")
def models_copy(tmp_path_factory) -> tuple[Path, dict]:
    """A models folder holding the default format's files and the shipped manifest."""
    source = default_models_dir()
    manifest = json.loads((source / "manifest.json").read_text())
    folder = tmp_path_factory.mktemp("hostile_models")
    for entry in manifest["models"]:
        if entry.get("format") == FORMAT:
            shutil.copy(source / entry["file"], folder / entry["file"])
    return folder, manifest


def _load_with(folder: Path, text: bytes, frame: np.ndarray) -> None:
    (folder / "manifest.json").write_bytes(text)
    options = up.PipelineOptions(models_dir=folder)
    resolve(options)  # ModelError for a malformed manifest, naming the field
    with up.Pipeline.create(options) as p:
        assert p.detect(frame).mask.shape == frame.shape[:2]


def test_hostile_manifests(models_copy, small):
    folder, manifest = models_copy
    mutations = gen.manifest_cases(manifest, (FORMAT,), MUTATED)
    cases = [
        api.ApiCase(label, lambda t=text: _load_with(folder, t, small), (ModelError,))
        for label, text in mutations
    ]
    problems = guarded("manifests: Pipeline.create", cases)
    assert not problems, "\n".join(problems)
    assert len(cases) >= 150


# -- source specs ---------------------------------------------------------------------------


def _open_and_read(spec: object, kw: dict) -> None:
    source = open_source(spec, **kw)
    try:
        for _ in range(2):
            frame = source.read()
            if frame is None:
                break
            assert frame.image.dtype == np.uint8 and frame.image.ndim == 3
    finally:
        source.close()


def test_hostile_source_specs(corpus, tmp_path):
    video = next(c.path for c in corpus["videos"] if c.label == "MJPEG .avi valid")
    image = next(c.path for c in corpus["images"] if c.label == "png valid")
    specs = gen.source_specs(tmp_path, video, image)
    allowed = (UnpixelError, ValueError, TypeError)
    cases = [
        api.ApiCase(f"open_source({label})", lambda s=s, kw=kw: _open_and_read(s, kw), allowed)
        for label, s, kw in specs
    ]
    problems = guarded("sources: open_source + read", cases)
    assert not problems, "\n".join(problems)
    try:
        _open_and_read("http://user:s3cret-pw@127.0.0.1:9/x.mjpg", {})
    except UnpixelError as exc:
        assert "s3cret-pw" not in str(exc), exc


# -- signals --------------------------------------------------------------------------------

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _clip(path: Path, frames: int, image: np.ndarray) -> Path:
    size = (image.shape[1] * 2, image.shape[0] * 2)
    writer = cv2.VideoWriter(
        str(path), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"), 25.0, size
    )
    big = cv2.resize(image, size, interpolation=cv2.INTER_NEAREST)
    for i in range(frames):
        writer.write(np.roll(big, 2 * i, axis=1))
    writer.release()
    return path


def test_signals_during_a_restore(small, tmp_path):
    """Each stop signal at a seeded moment: a whole output or none, never a temporary file."""
    rng = np.random.default_rng(gen.SEED + 3)
    clip = _clip(tmp_path / "clip.avi", 150, small)
    problems = []
    for sig in SIGNALS:
        CASES["signals: unpixel restore of a video"] += 1
        out = tmp_path / f"out_{sig.name}"
        child = subprocess.Popen(
            [*CLI, "restore", str(clip), "-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(float(rng.uniform(2.0, 4.0)))  # after the imports, while frames go by
        child.send_signal(sig)
        try:
            _, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            problems.append(f"{sig.name}: still running 60 s after the signal (hang)")
            continue
        text = err.decode(errors="replace")
        written = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if child.returncode not in (0, 128 + sig):
            problems.append(f"{sig.name}: exit {child.returncode}: {text[-500:]}")
        if "Traceback" in text:
            problems.append(f"{sig.name}: traceback: {text[-1500:]}")
        if written not in ([], ["clip.avi"]):
            problems.append(f"{sig.name}: left {written}")
        if written and not _reads(gen.FileCase(out / "clip.avi", sig.name, True)):
            problems.append(f"{sig.name}: the output does not play")
    assert not problems, "\n".join(problems)


def test_the_suite_holds_at_least_600_cases(corpus, models_copy, small, tmp_path):
    """The generated cases, counted without running them (each test above runs all of its)."""
    counts = {
        "API": len(list(api.option_cases()))
        + len(list(api.function_cases(small, tmp_path)))
        + len(list(api.io_cases(tmp_path, small))),
        "files x 3 ways": 3 * len(_cli_inputs(corpus)),
        "manifests": len(gen.manifest_cases(models_copy[1], (FORMAT,), MUTATED)),
        "signals": len(SIGNALS),
    }
    print(f"\nhostile cases generated (pipeline methods not counted here): {counts}")
    assert sum(counts.values()) >= MIN_CASES
