"""Fuzzing (hypothesis) over the public API and the CLI.

Every case must end in a clear error (ValueError / TypeError for bad arguments, an
UnpixelError for bad files) or a correct result: never a crash, a hang or a temporary file
left behind. Example counts are modest; the number of cases run is printed (``pytest -s``).
"""

from __future__ import annotations

import collections
import json
import shutil
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unpixel as up
from unpixel.cli import main
from unpixel.image import MAX_PIXELS
from unpixel.io import read_image
from unpixel.options import default_models_dir
from unpixel.video import VideoReader, VideoWriter

CASES: collections.Counter[str] = collections.Counter()
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=20)
MODELS = default_models_dir()


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    yield
    print(f"\nfuzz cases run: {sum(CASES.values())} " + json.dumps(dict(sorted(CASES.items()))))


@pytest.fixture(scope="module")
def pipe():
    with up.Pipeline.create() as p:
        yield p


@pytest.fixture(scope="module")
def photo(astronaut: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(astronaut[:160, :224])


def _leftovers(folder: Path) -> list[str]:
    """Temporary files (dot files) anywhere under ``folder``."""
    return [p.name for p in folder.rglob(".*")] if folder.exists() else []


# -- frames ----------------------------------------------------------------------------------

DTYPES = st.sampled_from(
    [np.uint8, np.int8, np.uint16, np.int32, np.float32, np.float64, np.bool_, np.complex64]
)
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6),
    st.tuples(st.integers(0, 96), st.integers(0, 96)),
    st.tuples(st.integers(0, 96), st.integers(0, 96), st.sampled_from([0, 1, 2, 3, 4, 5])),
)


@FUZZ
@given(frame=hnp.arrays(DTYPES, SHAPES, elements=None))
def test_any_array_gives_a_result_or_a_clear_error(pipe, frame):
    CASES["frame: any dtype and shape"] += 1
    valid = (
        frame.dtype == np.uint8
        and frame.ndim in (2, 3)
        and min(frame.shape[:2]) >= 32
        and (frame.ndim == 2 or frame.shape[2] in (1, 3, 4))
    )
    if not valid:
        with pytest.raises((ValueError, TypeError)):
            pipe.process(frame)
        return
    res = pipe.process(frame)
    assert res.image.dtype == np.uint8 and res.image.shape == (*frame.shape[:2], 3)
    assert res.detection.mask.shape == frame.shape[:2]


@FUZZ
@given(
    y=st.integers(0, 200),
    x=st.integers(0, 200),
    h=st.integers(32, 300),
    w=st.integers(32, 300),
    block=st.integers(1, 16),
    channels=st.sampled_from([0, 1, 3, 4]),
    noise=st.booleans(),
)
def test_valid_frames_change_only_their_mosaic_cells(
    pipe, astronaut, y, x, h, w, block, channels, noise
):
    CASES["frame: valid uint8, any size and channels"] += 1
    crop = astronaut[y : y + h, x : x + w]
    if noise:
        crop = np.random.default_rng(h * w).integers(0, 256, crop.shape, np.uint8)
    bgr = up.pixelate(crop, block) if block > 1 else crop
    frame = {
        0: cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY),
        1: cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[:, :, None],
        3: bgr,
        4: cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA),
    }[channels]
    res = pipe.process(frame)
    as_bgr = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if channels < 3 else bgr
    keep = ~res.detection.mask
    assert res.image.shape == as_bgr.shape and np.array_equal(res.image[keep], as_bgr[keep])
    assert res.detection.pixelated == (res.detection.mask.any())


@FUZZ
@given(data=st.data(), h=st.integers(32, 80), w=st.integers(32, 80))
def test_float_frames_with_nan_and_inf_are_refused(pipe, data, h, w):
    CASES["frame: float with NaN/inf"] += 1
    values = st.sampled_from([np.nan, np.inf, -np.inf, 0.5, 255.0, -1.0])
    frame = data.draw(hnp.arrays(np.float32, (h, w, 3), elements=values))
    with pytest.raises(ValueError, match="uint8"):
        pipe.detect(frame)


@pytest.mark.parametrize("shape", [(0, 0, 3), (1, 1, 3), (1, 1), (31, 500, 3), (32, 0, 3)])
def test_empty_and_tiny_frames(pipe, shape):
    CASES["frame: empty / 1 pixel / too small"] += 1
    with pytest.raises(ValueError, match=r"empty|at least"):
        pipe.process(np.zeros(shape, np.uint8))


@FEW
@given(h=st.integers(1, 10**6), w=st.integers(1, 10**6))
def test_huge_frames_are_refused_before_allocating(pipe, h, w):
    CASES["frame: huge dimensions"] += 1
    # broadcast_to allocates nothing: a refusal proves no full-size buffer was needed
    frame = np.broadcast_to(np.uint8(7), (h, w, 3))
    if h * w <= MAX_PIXELS:
        return
    with pytest.raises(ValueError, match="refused"):
        pipe.detect(frame)


@FEW
@given(flip=st.booleans(), step=st.integers(1, 3), offset=st.integers(0, 2))
def test_strided_and_readonly_views_match_a_contiguous_copy(pipe, photo, flip, step, offset):
    CASES["frame: strided / read-only views"] += 1
    view = photo[offset::step, ::-1] if flip else photo[offset::step, offset::step]
    view.flags.writeable = False
    expected = pipe.process(np.ascontiguousarray(view)).image
    assert np.array_equal(pipe.process(view).image, expected)


@FUZZ
@given(
    block=st.integers(-3, 40),
    py=st.integers(-2, 40),
    px=st.integers(-2, 40),
    mode=st.sampled_from(["mean", "sample", "median", ""]),
    region=st.none() | st.tuples(*[st.integers(-10, 300)] * 4),
)
def test_pixelate_and_estimate_grid(photo, block, py, px, mode, region):
    CASES["pixelate / estimate_grid arguments"] += 1
    try:
        out = up.pixelate(photo, block, phase=(py, px), mode=mode, region=region)
    except ValueError:
        return
    assert out.shape == photo.shape and out.dtype == np.uint8
    grid = up.estimate_grid(out)
    assert grid is None or (2 <= grid.block <= 16 and 0 <= grid.confidence <= 1)


@FUZZ
@given(
    kw=st.fixed_dictionaries(
        {},
        optional={
            "backend": st.sampled_from(["litert", "onnx", "keras", "", "tflite"]),
            "precision": st.sampled_from(["fp32", "fp16", "int8", "int4", None]),
            "num_threads": st.one_of(
                st.integers(-2, 64), st.booleans(), st.floats(), st.text(max_size=2)
            ),
            "threshold": st.one_of(st.none(), st.floats(allow_nan=True)),
            "restore_tile": st.integers(-5, 2000),
            "delegate": st.sampled_from(["cpu", "gpu", "", "/nonexistent.so"]),
            "restorers": st.dictionaries(st.integers(0, 6), st.just(Path("x.tflite")), max_size=2),
        },
    )
)
def test_options_validate_on_construction(kw):
    CASES["PipelineOptions arguments"] += 1
    try:
        opts = up.PipelineOptions(**kw)
    except (ValueError, TypeError):
        return
    assert type(opts.num_threads) is int and opts.num_threads >= 1
    assert opts.threshold is None or 0 < opts.threshold < 1
    assert 16 <= opts.restore_tile <= 512 and set(opts.restorers) <= {2, 3, 4}


# -- image files -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoded(photo: np.ndarray) -> dict[str, bytes]:
    small = up.pixelate(photo, 6, phase=(1, 2))
    return {
        ext: cv2.imencode(ext, small)[1].tobytes()
        for ext in (".png", ".jpg", ".bmp", ".webp", ".tif")
    }


def _damage(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data[: max(0, len(data) * cut // 100)])
    for pos, value in flips:
        if out:
            out[pos % len(out)] = value
    return bytes(out)


FLIPS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8)
DAMAGE = {
    "ext": st.sampled_from([".png", ".jpg", ".bmp", ".webp", ".tif"]),
    "cut": st.integers(0, 100),
    "flips": FLIPS,
}


@FUZZ
@given(**DAMAGE)
def test_damaged_image_files_read_or_fail_clearly(tmp_path_factory, encoded, ext, cut, flips):
    CASES["image file: truncated / corrupt (read_image)"] += 1
    path = tmp_path_factory.mktemp("img") / f"x{ext}"
    path.write_bytes(_damage(encoded[ext], cut, flips))
    try:
        image = read_image(path)
    except up.SourceError:
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


@FEW
@given(**DAMAGE)
def test_cli_restore_on_damaged_images(tmp_path_factory, capsys, encoded, ext, cut, flips):
    CASES["image file: truncated / corrupt (CLI restore)"] += 1
    tmp = tmp_path_factory.mktemp("cli")
    src, out = tmp / f"x{ext}", tmp / "out"
    src.write_bytes(_damage(encoded[ext], cut, flips))
    code = main(["restore", str(src), "-o", str(out)])
    err = capsys.readouterr().err
    assert code in (0, 1), err
    assert not _leftovers(out)
    if code == 0:
        assert cv2.imread(str(out / src.name)) is not None
    else:
        assert "error:" in err and not (out / src.name).exists()


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


@FEW
@given(w=st.integers(1, 2**31 - 1), h=st.integers(1, 2**31 - 1))
def test_image_bombs_are_refused_from_the_header(tmp_path_factory, w, h):
    CASES["image file: huge header dimensions"] += 1
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    path.write_bytes(_png_header(w, h) + b"\x00" * 64)
    with pytest.raises(up.SourceError, match="refused" if w * h > MAX_PIXELS else "readable"):
        read_image(path)


# -- video files -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def videos(tmp_path_factory, photo) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("videos")
    out = {}
    for ext in (".avi", ".mp4"):
        with VideoWriter(folder / f"v{ext}", 10) as writer:
            for i in range(8):
                writer.write(up.pixelate(np.roll(photo, 3 * i, axis=1), 4))
        out[ext] = (folder / f"v{ext}").read_bytes()
    return out


@FEW
@given(ext=st.sampled_from([".avi", ".mp4"]), cut=st.integers(0, 100), flips=DAMAGE["flips"])
def test_damaged_videos_restore_or_fail_clearly(tmp_path_factory, capsys, videos, ext, cut, flips):
    CASES["video file: truncated / corrupt (reader + CLI restore)"] += 1
    tmp = tmp_path_factory.mktemp("vid")
    src, out = tmp / f"v{ext}", tmp / "out"
    src.write_bytes(_damage(videos[ext], cut, flips))
    try:
        reader = VideoReader(src)
        frames = sum(1 for _ in reader)
        reader.close()
        assert frames >= 1
    except up.SourceError:
        pass
    code = main(["restore", str(src), "-o", str(out)])
    err = capsys.readouterr().err
    assert code in (0, 1), err
    assert not _leftovers(out)
    if code == 0:
        cap = cv2.VideoCapture(str(out / src.name))
        assert cap.isOpened() and cap.read()[0]
        cap.release()


# -- model files -----------------------------------------------------------------------------

MODEL_FILES = {"litert": "classifier_int8.tflite", "onnx": "classifier_int8.onnx"}


@FUZZ
@given(backend=st.sampled_from(["litert", "onnx"]), **{k: DAMAGE[k] for k in ("cut", "flips")})
def test_damaged_model_files_load_or_fail_clearly(tmp_path_factory, photo, backend, cut, flips):
    CASES["model file: truncated / corrupt (user path)"] += 1
    name = MODEL_FILES[backend]
    path = tmp_path_factory.mktemp("model") / name
    path.write_bytes(_damage((MODELS / name).read_bytes(), cut, flips))
    options = up.PipelineOptions(backend=backend, classifier=path)
    try:
        with up.Pipeline.create(options) as p:
            det = p.detect(photo)
    except up.ModelError:
        return
    assert det.mask.shape == photo.shape[:2]


@pytest.mark.parametrize(
    ("backend", "classifier"),
    [
        ("litert", "restorer_x2_int8.tflite"),  # a restorer where the classifier goes
        ("litert", "classifier_int8.onnx"),  # ONNX into LiteRT
        ("onnx", "classifier_int8.tflite"),  # TFLite into ONNX Runtime
        ("litert", "manifest.json"),
    ],
)
def test_mismatched_model_files(backend, classifier):
    CASES["model file: mismatched"] += 1
    with pytest.raises(up.ModelError):
        up.Pipeline.create(up.PipelineOptions(backend=backend, classifier=MODELS / classifier))


@pytest.fixture
def models_copy(tmp_path: Path) -> Path:
    """The shipped int8 LiteRT models and the manifest, copied."""
    folder = tmp_path / "models"
    folder.mkdir()
    for f in MODELS.glob("*_int8.tflite"):
        shutil.copy(f, folder / f.name)
    shutil.copy(MODELS / "manifest.json", folder / "manifest.json")
    return folder


@FEW
@given(
    digest=st.text("0123456789abcdef", min_size=0, max_size=64),
    which=st.sampled_from(["classifier_int8.tflite", "restorer_x3_int8.tflite"]),
)
def test_wrong_manifest_hashes_are_refused(models_copy, digest, which):
    CASES["manifest: wrong sha256"] += 1
    doc = json.loads((models_copy / "manifest.json").read_text())
    for m in doc["models"]:
        if m["file"] == which:
            if digest == m["sha256"]:
                return
            m["sha256"] = digest
    (models_copy / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(up.ModelError, match="does not match the manifest"):
        up.Pipeline.create(up.PipelineOptions(models_dir=models_copy))


@FEW
@given(cut=st.integers(0, 99), junk=st.binary(max_size=16))
def test_truncated_manifests_are_refused(models_copy, cut, junk):
    CASES["manifest: truncated / malformed"] += 1
    text = (models_copy / "manifest.json").read_bytes()
    (models_copy / "manifest.json").write_bytes(text[: len(text) * cut // 100] + junk)
    with pytest.raises(up.ModelError):
        up.Pipeline.create(up.PipelineOptions(models_dir=models_copy))
