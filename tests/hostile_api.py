"""Hostile API arguments for tests/test_hostile.py: every public call with wrong values.

Each :class:`ApiCase` is one call with one bad (or borderline) argument and the exception
types it may raise: ValueError / TypeError for bad arguments (DESIGN.md section 5), an
:class:`~unpixel.UnpixelError` where a file or model is involved. A call that returns is
checked by the case's ``check`` where a result can be wrong. The values come from
:data:`BAD`: wrong types, NaN, infinities, negative, zero, huge, empty, NUL bytes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import unpixel as up
from unpixel.errors import UnpixelError
from unpixel.geometry import Box
from unpixel.options import PipelineOptions, RunningMode

ARGS = (ValueError, TypeError)
"""What a bad argument raises."""
FILES = (ValueError, TypeError, UnpixelError)
"""What a call that touches files or models may raise besides."""

BAD: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    3,
    2**31,
    2**63,
    10**30,
    100_000,
    0.5,
    1.5,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "x",
    "3",
    b"x",
    "a\x00b",
    [],
    [2],
    {},
    (),
    (1, 2, 3, 4, 5),
    object(),
    1 + 1j,
    np.int64(3),
    np.float32("nan"),
    np.array([1, 2]),
    Path("/nonexistent/x"),
)
"""Values handed to every argument (33)."""


@dataclass(frozen=True)
class ApiCase:
    """One call: ``call()`` must return (then ``check(result)`` holds) or raise ``allowed``."""

    label: str
    call: Callable[[], Any]
    allowed: tuple[type[BaseException], ...] = ARGS
    check: Callable[[Any], None] | None = None


def bad_images(small: np.ndarray) -> dict[str, Any]:
    """Arrays (and non-arrays) no public function should take as an image."""
    huge = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (100_000, 100_000, 3))
    return {
        "None": None,
        "list": small.tolist()[:4],
        "float32": small.astype(np.float32),
        "float64 NaN": np.full(small.shape, np.nan),
        "int16": small.astype(np.int16),
        "bool": small > 128,
        "0-d": np.uint8(5),
        "1-d": small.ravel(),
        "4-d": small[None],
        "2 channels": small[:, :, :2],
        "5 channels": np.dstack([small, small[:, :, :2]]),
        "empty": small[:0],
        "1x1": small[:1, :1],
        "8x300 (below 32 rows)": np.zeros((8, 300, 3), np.uint8),
        "100000x100000 view": huge,
        "object array": np.array([[object()]]),
    }


def _image(result: Any, shape: tuple[int, ...] | None = None) -> None:
    assert isinstance(result, np.ndarray) and result.dtype == np.uint8, type(result)
    if shape is not None:
        assert result.shape == shape, (result.shape, shape)


def _options_check(result: Any) -> None:
    """Options that construct must also create a pipeline or fail with a clear error."""
    assert isinstance(result, PipelineOptions)


def option_cases() -> Iterator[ApiCase]:
    """Every field of PipelineOptions with every value of BAD (13 x 32 cases)."""
    for f in dataclasses.fields(PipelineOptions):
        for v in BAD:
            yield ApiCase(
                f"PipelineOptions({f.name}={v!r:.40})",
                lambda f=f, v=v: PipelineOptions(**{f.name: v}),
                ARGS,
                _options_check,
            )


def function_cases(img: np.ndarray, folder: Path) -> Iterator[ApiCase]:
    """The module functions, one bad argument at a time; bad images in every image slot."""
    shape = img.shape
    calls: dict[str, Callable[[Any], Any]] = {
        "pixelate(block=_)": lambda v: up.pixelate(img, v),
        "pixelate(phase=_)": lambda v: up.pixelate(img, 4, phase=v),
        "pixelate(mode=_)": lambda v: up.pixelate(img, 4, mode=v),
        "pixelate(region=_)": lambda v: up.pixelate(img, 4, region=v),
        "estimate_grid(region=_)": lambda v: up.estimate_grid(img, region=v),
        "estimate_grid(min_strength=_)": lambda v: up.estimate_grid(img, min_strength=v),
        "jpeg(quality=_)": lambda v: up.jpeg(img, v),
        "blur_upscale(factor=_)": lambda v: up.blur_upscale(img, v),
        "psnr(border=_)": lambda v: up.metrics.psnr(img, img, border=v),
        "ssim(border=_)": lambda v: up.metrics.ssim(img, img, border=v),
        "psnr(test=_)": lambda v: up.metrics.psnr(img, v),
    }
    checks: dict[str, Callable[[Any], None] | None] = {
        name: (lambda r: _image(r, shape)) for name in calls if not name.startswith("est")
    }
    checks |= {
        "estimate_grid(region=_)": lambda r: None if r is None else _grid(r),
        "estimate_grid(min_strength=_)": lambda r: None if r is None else _grid(r),
        "psnr(border=_)": _number,
        "ssim(border=_)": _number,
        "psnr(test=_)": _number,
    }
    for name, call in calls.items():
        for v in BAD:
            yield ApiCase(f"{name} with {v!r:.40}", lambda c=call, v=v: c(v), ARGS, checks[name])
    images = bad_images(img)
    sinks = {
        "pixelate": lambda a: up.pixelate(a, 4),
        "estimate_grid": up.estimate_grid,
        "jpeg": lambda a: up.jpeg(a, 80),
        "blur_upscale": lambda a: up.blur_upscale(a, 2.0),
        "psnr": lambda a: up.metrics.psnr(a, a),
        "write_image": lambda a: up.write_image(folder / "bad_image.png", a),
    }
    for sink, call in sinks.items():
        for label, a in images.items():
            # a 1x1 image is a valid image for these (pixelate refuses a block above it)
            yield ApiCase(f"{sink}(image={label})", lambda c=call, a=a: c(a), FILES)
    for v in BAD:
        yield ApiCase(f"read_image({v!r:.40})", lambda v=v: up.read_image(v), FILES, _image)
        target = _inside(folder, v)
        yield ApiCase(
            f"write_image(path={v!r:.40})", lambda t=target: up.write_image(t, img), FILES
        )


def _inside(folder: Path, value: Any) -> Any:
    """A path value moved under ``folder`` (nothing is written elsewhere); others as they are."""
    if isinstance(value, (str, bytes, Path)):
        text = value.decode() if isinstance(value, bytes) else str(value)
        return folder / "paths" / text.lstrip("/")
    return value


def _grid(result: Any) -> None:
    assert isinstance(result, up.Grid) and 2 <= result.block <= 16, result


def _number(result: Any) -> None:
    assert isinstance(result, float) and (math.isfinite(result) or result == math.inf), result


def _result_of(frame: np.ndarray) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert isinstance(result, up.Result), type(result)
        _image(result.image, (*frame.shape[:2], 3))

    return check


def pipeline_cases(
    pipe: up.Pipeline, video: up.Pipeline, live: up.Pipeline, frame: np.ndarray
) -> Iterator[ApiCase]:
    """Pipeline methods: bad frames, timestamps and made-up detections."""
    for label, a in bad_images(frame).items():
        yield ApiCase(f"process(frame={label})", lambda a=a: pipe.process(a))
        yield ApiCase(f"detect(frame={label})", lambda a=a: pipe.detect(a))
    for v in BAD:
        yield ApiCase(
            f"process_for_video(timestamp_ms={v!r:.40})",
            lambda v=v: video.process_for_video(frame, v),
            ARGS,
            _result_of(frame),
        )
        yield ApiCase(
            f"process_async(timestamp_ms={v!r:.40})",
            lambda v=v: live.process_async(frame, v),
            (*ARGS, RuntimeError),
            lambda r: None if isinstance(r, bool) else _fail(r),
        )
    h, w = frame.shape[:2]
    mask = np.ones((h, w), bool)
    grids = {
        "block 4": up.Grid(4, (0, 0), 1.0),
        "block 0": up.Grid(0, (0, 0), 1.0),
        "block 1": up.Grid(1, (0, 0), 1.0),
        "block -4": up.Grid(-4, (0, 0), 1.0),
        "block 17": up.Grid(17, (0, 0), 1.0),
        "block 10**6": up.Grid(10**6, (0, 0), 1.0),
        "phase (-3, -3)": up.Grid(4, (-3, -3), 1.0),
        "phase (10**9, 5)": up.Grid(4, (10**9, 5), 1.0),
        "block 2.5": up.Grid(2.5, (0, 0), 1.0),  # type: ignore[arg-type]
    }
    boxes = {
        "whole": Box(0, 0, w, h),
        "outside": Box(w + 10, h + 10, 20, 20),
        "negative": Box(-50, -50, 40, 40),
        "empty": Box(8, 8, 0, 0),
        "huge": Box(0, 0, 10**9, 10**9),
    }
    for gname, grid in grids.items():
        for bname, box in boxes.items():
            det = up.Detection(True, 1.0, grid, mask, (up.Region(box, 1.0, grid),))
            yield ApiCase(
                f"restore(grid {gname}, box {bname})",
                lambda d=det: pipe.restore(frame, d),
                ARGS,
                lambda r: _image(r, (h, w, 3)),
            )
    for label, m in {
        "mask None": None,
        "mask wrong shape": np.ones((h + 1, w), bool),
        "mask uint8": np.ones((h, w), np.uint8),
        "mask float NaN": np.full((h, w), np.nan),
        "mask 1-d": np.ones(h * w, bool),
    }.items():
        det = up.Detection(True, 1.0, grids["block 4"], m, (up.Region(boxes["whole"], 1.0, None),))
        yield ApiCase(f"restore({label})", lambda d=det: pipe.restore(frame, d), ARGS)
    for label, det in {"None": None, "a string": "x", "a Result": 5}.items():
        yield ApiCase(f"restore(detection={label})", lambda d=det: pipe.restore(frame, d), ARGS)


def _fail(result: Any) -> None:
    raise AssertionError(f"unexpected result {result!r:.80}")


def io_cases(folder: Path, frame: np.ndarray) -> Iterator[ApiCase]:
    """Video writers, readers and the MJPEG sink with bad arguments (files under ``folder``)."""
    from unpixel.live.mjpeg import MjpegSink
    from unpixel.live.sinks import VideoFileSink
    from unpixel.video import VideoReader, VideoWriter

    def write_video(fps: Any) -> None:
        with VideoWriter(folder / "fps.avi", fps) as writer:
            writer.write(frame)

    def sink(**kw: Any) -> None:
        MjpegSink(**kw).close()

    def file_sink(fps: Any) -> None:
        VideoFileSink(folder / "sink.avi", fps).close()

    def read_video(path: Any) -> None:
        reader = VideoReader(path)
        reader.close()

    for v in BAD:
        yield ApiCase(f"VideoWriter(fps={v!r:.40})", lambda v=v: write_video(v), FILES)
        yield ApiCase(f"VideoFileSink(fps={v!r:.40})", lambda v=v: file_sink(v), FILES)
        yield ApiCase(f"VideoReader({v!r:.40})", lambda v=v: read_video(v), FILES)
        for arg in ("port", "max_clients", "quality", "host", "token"):
            kw = {arg: v} if arg != "port" else {"port": v}
            if arg != "port":
                kw["port"] = 0
            yield ApiCase(f"MjpegSink({arg}={v!r:.40})", lambda kw=kw: sink(**kw), FILES)


def mode_pipelines() -> tuple[PipelineOptions, PipelineOptions]:
    """Options of the VIDEO and LIVE_STREAM pipelines the timestamp cases run on."""
    return (
        PipelineOptions(running_mode=RunningMode.VIDEO),
        PipelineOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=lambda *a: None),
    )
