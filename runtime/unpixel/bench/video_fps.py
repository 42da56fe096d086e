"""VIDEO-mode pipeline cost: clips of frames in order, with the sweep and the detection reuse.

IMAGE mode (:mod:`unpixel.bench.image_fps`) classifies every frame from scratch; a live camera
runs VIDEO mode (``PipelineOptions(running_mode=VIDEO, sweep=K)``), which reuses a settled
detection while the mosaic's cells stay flat and, with ``sweep`` > 1, classifies a rotating
1/K of the tiles per frame (plus every tile at or next to the last detection). Three clips:

- ``clean_pan``: a slow diagonal pan over the clean bench photo (what a camera sees most);
- ``pixelated_pan``: the same pan over the photo fully pixelated (b = 4) once, cropped at
  multiples of 4 px, so the mosaic moves with the content and its cells stay aligned;
- ``pixelated_static``: the fully pixelated IMAGE bench frame, again and again (the reuse path);
- ``pixelated_pan_h264``: the pixelated pan through libx264 (CRF 23, yuv420p, PyAV: the
  ``video`` extra; left out without it), as a camera or a stream delivers it: cells no
  longer exactly flat, the codec's noise changing from frame to frame.

Each case runs in a fresh pipeline: one untimed first frame (classified from scratch; it also
warms the engines), then ``frames`` timed frames 33 ms apart. Tiles are counted at the
classifier (the reuse path with ``sweep`` > 1 classifies without a ``tiles`` timing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from unpixel.bench.measure import summarize
from unpixel.bench.workloads import BLOCK, bench_frame, photo

VIDEO_RESOLUTIONS = ((1920, 1080), (1280, 720), (640, 480))
"""Frame sizes of the VIDEO section (width, height)."""
SWEEPS = (1, 3)
"""``PipelineOptions.sweep`` values measured."""
H264_CLIP = "pixelated_pan_h264"
CLIPS = ("clean_pan", "pixelated_pan", "pixelated_static", H264_CLIP)
"""The clips, in table order."""
CLIP_LABELS = {
    "clean_pan": "clean, pan",
    "pixelated_pan": "b = 4, pan",
    "pixelated_static": "b = 4, static",
    H264_CLIP: "b = 4, pan, H.264 CRF 23",
}
H264_CRF = 23
"""Short names for the tables."""
STEP = 4
"""Pan step in px per frame: x moves by STEP every frame, y by STEP every other frame."""
FRAME_MS = 33
"""Timestamp step (about 30 FPS)."""


def pan_offset(i: int, step: int = STEP) -> tuple[int, int]:
    """(dy, dx) of frame ``i`` of the pan; both multiples of ``step``."""
    return step * (i // 2), step * i


def clip_frames(
    clip: str, width: int, height: int, count: int, block: int = BLOCK
) -> Iterator[np.ndarray]:
    """The ``count`` BGR uint8 frames of ``clip`` at ``width`` x ``height``.

    The pans crop a larger copy of the bench photo; the pixelated pan pixelates that copy
    once (grid at its origin) and crops at multiples of ``block``, so every frame is a whole
    mosaic with the same phase, its cells following the content.
    """
    if clip == "pixelated_static":
        frame = bench_frame(width, height, 1.0, block)
        for _ in range(count):
            yield frame
        return
    if clip == H264_CLIP:
        yield from h264_round_trip(list(clip_frames("pixelated_pan", width, height, count, block)))
        return
    if clip not in ("clean_pan", "pixelated_pan"):
        raise ValueError(f"unknown clip {clip!r}; choose from {', '.join(CLIPS)}")
    step = block if clip == "pixelated_pan" else STEP
    last_y, last_x = pan_offset(max(count - 1, 0), step)
    big = photo(width + last_x, height + last_y)
    if clip == "pixelated_pan":
        from unpixel.degrade import pixelate

        big = pixelate(big, block)
    for i in range(count):
        dy, dx = pan_offset(i, step)
        yield np.ascontiguousarray(big[dy : dy + height, dx : dx + width])


def available_clips(clips: tuple[str, ...] = CLIPS) -> tuple[str, ...]:
    """``clips`` less the H.264 one when PyAV is not installed."""
    from unpixel.video_av import have_av

    return clips if have_av() else tuple(c for c in clips if c != H264_CLIP)


def h264_round_trip(frames: list[np.ndarray], crf: int = H264_CRF) -> list[np.ndarray]:
    """``frames`` (BGR uint8) encoded with libx264 (yuv420p, in memory) and decoded again.

    Raises:
        MissingExtraError: PyAV is not installed.

    """
    import io

    from unpixel.video_av import load_av

    av = load_av("the bench's H.264 clip")
    buffer = io.BytesIO()
    h, w = frames[0].shape[:2]
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")))
        out.mux(stream.encode())
    buffer.seek(0)
    with av.open(buffer, "r") as src:
        return [f.to_ndarray(format="bgr24") for f in src.decode(video=0)]


class TileCounter:
    """Counts the tiles a classifier scores (wraps ``scores`` on the instance)."""

    def __init__(self, classifier: Any) -> None:
        self.tiles = 0
        inner: Callable[..., np.ndarray] = classifier.scores

        def counted(frame_rgb: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
            out = inner(frame_rgb, index)
            self.tiles += len(out)
            return out

        classifier.scores = counted


def tiles_in_frame(width: int, height: int, tile: int) -> int:
    """How many classifier tiles cover a frame."""
    from unpixel.tiles import tile_origins

    ys, xs = tile_origins(height, width, tile)
    return len(ys) * len(xs)


def run_clip(pipe: Any, frames: Iterator[np.ndarray]) -> list[dict[str, float]]:
    """Feed ``frames`` to a VIDEO pipeline; per timed frame: wall ms, tiles, reused, restored.

    The first frame is processed untimed (from scratch, engines warming up).
    """
    counter = TileCounter(pipe.classifier)
    rows = []
    for i, frame in enumerate(frames):
        counter.tiles = 0
        t0 = time.perf_counter()
        result = pipe.process_for_video(frame, FRAME_MS * i)
        wall = (time.perf_counter() - t0) * 1e3
        if i == 0:
            continue
        rows.append(
            {
                "wall": wall,
                "tiles": float(counter.tiles),
                "reused": float(result.timings.get("reused_detection", 0.0)),
                "restored": float(result.detection.pixelated),
            }
        )
    return rows


def summarize_clip(rows: list[dict[str, float]], tiles_total: int) -> dict[str, Any]:
    """Median frame time, FPS, mean tiles classified a frame, reused and restored shares."""
    wall = summarize([r["wall"] for r in rows])
    tiles = float(np.mean([r["tiles"] for r in rows]))
    return {
        "frame_ms": wall,
        "fps": 1e3 / wall["p50"],
        "tiles_per_frame": tiles,
        "tiles_total": tiles_total,
        "tile_share": tiles / tiles_total,
        "reused_share": float(np.mean([r["reused"] for r in rows])),
        "restored_share": float(np.mean([r["restored"] for r in rows])),
    }


def bench_video(
    backend: str,
    precision: str,
    threads: int,
    resolutions: tuple[tuple[int, int], ...] = VIDEO_RESOLUTIONS,
    frames: int = 30,
    sweeps: tuple[int, ...] = SWEEPS,
    clips: tuple[str, ...] = CLIPS,
    block: int = BLOCK,
    models_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """One row per resolution x clip x sweep: ``frames`` timed frames in a fresh pipeline."""
    from unpixel.options import PipelineOptions, RunningMode
    from unpixel.pipeline import Pipeline

    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    out = []
    for width, height in resolutions:
        for clip in available_clips(clips):
            for sweep in sweeps:
                options = PipelineOptions(
                    backend=backend,
                    precision=precision,
                    num_threads=threads,
                    models_dir=models_dir,
                    running_mode=RunningMode.VIDEO,
                    sweep=sweep,
                )
                with Pipeline.create(options) as pipe:
                    total = tiles_in_frame(width, height, pipe.classifier.tile)
                    rows = run_clip(pipe, clip_frames(clip, width, height, frames + 1, block))
                out.append(
                    {
                        "backend": backend,
                        "precision": precision,
                        "threads": threads,
                        "width": width,
                        "height": height,
                        "clip": clip,
                        "block": None if clip == "clean_pan" else block,
                        **({"crf": H264_CRF} if clip == H264_CLIP else {}),
                        "sweep": sweep,
                        "frames": frames,
                        **summarize_clip(rows, total),
                    }
                )
    return out
