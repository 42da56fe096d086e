"""The golden cases: committed inputs whose pipeline outputs are hashed.

A structural change to the runtime must leave every output, detection and mask byte for
byte as it was; ``test_golden.py`` compares against ``tests/data/golden/hashes.json``.

Record the hashes anew (only when outputs are *meant* to change, and say so in the commit)::

    .venv/bin/python -m tests.unpixel.golden_cases --write    # inputs and hashes
    .venv/bin/python -m tests.unpixel.golden_cases --record   # hashes of the committed inputs
    .venv/bin/python -m tests.unpixel.golden_cases --add-fp32 # this CPU's fp32 set, added

int8 outputs are integer arithmetic, the same on every CPU: one set. fp32 outputs depend on
which float kernels XNNPACK picks for the CPU (AVX2, AVX-512, AMX...), so the fp32 hashes are
kept per :func:`fp32_probe` (a hash of the fp32 models' raw outputs on a fixed input) in
``hashes_fp32.json``; a CPU whose probe is not recorded skips the fp32 comparison, saying so.
``--record`` replaces every set (the others are stale once outputs change); ``--add-fp32``
adds this CPU's set to the others (only when the int8 goldens pass: nothing changed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parents[1] / "data" / "golden"
HASHES = HERE / "hashes.json"
FP32_HASHES = HERE / "hashes_fp32.json"
CONFIGS = (("litert", "int8"), ("litert", "fp32"))
SIZE = (320, 240)  # width, height of every golden frame


def _photo(name: str) -> np.ndarray:
    import unpixel

    path = Path(unpixel.__file__).parent / "data" / f"{name}.jpg"
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def make_inputs() -> dict[str, list[np.ndarray]]:
    """Every case's frames (one for an image, several for a clip), BGR uint8."""
    import unpixel as up

    w, h = SIZE
    astro = cv2.resize(_photo("astronaut"), (w, h), interpolation=cv2.INTER_AREA)
    coffee = cv2.resize(_photo("coffee"), (w, h), interpolation=cv2.INTER_AREA)
    big = cv2.resize(_photo("astronaut"), (2 * w, 2 * h), interpolation=cv2.INTER_AREA)
    cases: dict[str, list[np.ndarray]] = {
        "whole_b2": [up.pixelate(astro, 2)],
        "whole_b3_p12": [up.pixelate(coffee, 3, phase=(1, 2))],
        "whole_b4_p31": [up.pixelate(astro, 4, phase=(3, 1))],
        "whole_b5": [up.pixelate(coffee, 5, phase=(2, 0))],
        "whole_b6": [up.pixelate(astro, 6, phase=(0, 4))],
        "whole_b8_p05": [up.pixelate(coffee, 8, phase=(0, 5))],
        "whole_b16": [up.pixelate(astro, 16, phase=(7, 3))],
        "whole_sample_b4": [up.pixelate(coffee, 4, mode="sample")],
        "region_b8": [up.pixelate(astro, 8, region=(96, 40, 128, 112))],
        "region_b6_p23": [up.pixelate(coffee, 6, phase=(2, 3), region=(20, 100, 150, 120))],
        "two_regions": [
            up.pixelate(
                up.pixelate(astro, 4, region=(0, 0, 100, 100)), 10, region=(200, 120, 110, 110)
            )
        ],
        "jpeg_b4_q75": [_jpeg(up.pixelate(astro, 4, phase=(1, 1)), 75)],
        "jpeg_region_b10_q85": [_jpeg(up.pixelate(coffee, 10, region=(60, 50, 180, 140)), 85)],
        "clean_astronaut": [astro],
        "clean_jpeg_q50": [_jpeg(coffee, 50)],
        "odd_size_b4": [up.pixelate(astro[:233, :301], 4, phase=(2, 3))],
    }
    # A panning clip with a censored box that follows the content, then leaves; and a clean
    # clip in which a mosaic appears (for the sweep).
    pan, appear = [], []
    for i in range(10):
        view = big[40 + 3 * i : 40 + 3 * i + h, 60 + 5 * i : 60 + 5 * i + w]
        box = (120 - 5 * i, 70 - 3 * i, 120, 100)
        pan.append(
            up.pixelate(view, 8, phase=((-3 * i) % 8, (-5 * i) % 8), region=box)
            if i < 7
            else view.copy()
        )
        appear.append(up.pixelate(view, 4, region=(150, 90, 150, 130)) if i >= 4 else view.copy())
    cases["clip_pan"] = pan
    cases["clip_appear"] = appear
    cases["clip_whole_jpeg"] = [
        _jpeg(up.pixelate(big[i : i + h, 2 * i : 2 * i + w], 4), 80) for i in range(6)
    ]
    return cases


def save_inputs(cases: dict[str, list[np.ndarray]]) -> None:
    """Write every frame as a lossless PNG under :data:`HERE`."""
    HERE.mkdir(parents=True, exist_ok=True)
    for old in HERE.glob("*.png"):
        old.unlink()
    for name, frames in cases.items():
        for i, frame in enumerate(frames):
            cv2.imwrite(str(HERE / f"{name}__{i:02d}.png"), frame, [cv2.IMWRITE_PNG_COMPRESSION, 9])


def load_inputs() -> dict[str, list[np.ndarray]]:
    """The committed frames, by case."""
    cases: dict[str, list[np.ndarray]] = {}
    for path in sorted(HERE.glob("*.png")):
        name = path.stem.rsplit("__", 1)[0]
        cases.setdefault(name, []).append(cv2.imread(str(path), cv2.IMREAD_COLOR))
    return cases


def _digest(result: object) -> str:
    """One hash over a Result's image, mask and detection (regions, grids, scores)."""
    det = result.detection
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(result.image).tobytes())
    h.update(np.packbits(det.mask).tobytes())
    grid = lambda g: None if g is None else [g.block, list(g.phase), g.confidence]  # noqa: E731
    summary = {
        "pixelated": det.pixelated,
        "score": round(det.score, 5),
        "grid": grid(det.grid),
        "regions": [[list(r.box), round(r.score, 5), grid(r.grid)] for r in det.regions],
        "reused": result.timings.get("reused_detection", 0.0),
    }
    h.update(json.dumps(summary, sort_keys=True).encode())
    return h.hexdigest()[:16]


def run_cases(cases: dict[str, list[np.ndarray]]) -> Iterator[tuple[str, str]]:
    """(key, digest) for every case, mode and config; clips also run in VIDEO and with sweep."""
    import threading
    import time

    import unpixel as up

    for backend, precision in CONFIGS:
        tag = f"{backend}-{precision}"
        base = dict(backend=backend, precision=precision, num_threads=2)
        with up.Pipeline.create(up.PipelineOptions(**base)) as pipe:
            for name, frames in cases.items():
                for i, frame in enumerate(frames):
                    yield f"{tag}/image/{name}/{i}", _digest(pipe.process(frame))
                    det = pipe.detect(frame)
                    yield f"{tag}/detect/{name}/{i}", _digest(up.Result(frame, det, {}))
        clips = {k: v for k, v in cases.items() if len(v) > 1}
        for sweep in (1, 3):
            for name, frames in clips.items():
                opts = up.PipelineOptions(**base, running_mode=up.RunningMode.VIDEO, sweep=sweep)
                with up.Pipeline.create(opts) as pipe:
                    for i, frame in enumerate(frames):
                        result = pipe.process_for_video(frame, 40 * i)
                        yield f"{tag}/video-s{sweep}/{name}/{i}", _digest(result)
        got: list[object] = []
        done = threading.Event()

        def callback(
            result: object, frame: np.ndarray, ts: int, got: list = got, done: object = done
        ) -> None:
            got.append(result)
            done.set()

        opts = up.PipelineOptions(
            **base, running_mode=up.RunningMode.LIVE_STREAM, result_callback=callback
        )
        with up.Pipeline.create(opts) as pipe:
            for i, frame in enumerate(cases["clip_pan"]):
                done.clear()
                # the callback runs before the frame counts as done: retry a dropped frame
                ts = 1000 * i
                while not pipe.process_async(frame, ts):
                    ts += 1
                    time.sleep(0.001)
                assert done.wait(60)
                yield f"{tag}/live/clip_pan/{i}", _digest(got[-1])


def fp32_probe() -> str:
    """A hash of the fp32 classifier's and x2 restorer's raw outputs on a fixed input.

    Two CPUs with the same probe run the same float kernels (the golden fp32 hashes of one
    hold for the other); the probe does not depend on the runtime's own code.
    """
    import unpixel as up

    rng = np.random.default_rng(17)
    tiles = rng.integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    lr = rng.integers(0, 256, (1, 24, 32, 3), dtype=np.uint8)
    opts = up.PipelineOptions(backend="litert", precision="fp32", num_threads=2)
    with up.Pipeline.create(opts) as pipe:
        h = hashlib.sha256(pipe.classifier.engine.run(tiles).tobytes())
        h.update(pipe.restorer.engines[2].run(lr).tobytes())
    return h.hexdigest()[:16]


def fp32_sets() -> dict[str, dict[str, str]]:
    """The recorded fp32 hash sets, by probe."""
    return json.loads(FP32_HASHES.read_text()) if FP32_HASHES.exists() else {}


def _write(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def main() -> None:
    """Write the inputs and/or record their hashes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="make and save the inputs too")
    parser.add_argument("--record", action="store_true", help="record hashes of the inputs")
    parser.add_argument("--add-fp32", action="store_true", help="add this CPU's fp32 set")
    args = parser.parse_args()
    if args.write:
        save_inputs(make_inputs())
    if args.write or args.record or args.add_fp32:
        hashes = dict(run_cases(load_inputs()))
        fp32 = {k: v for k, v in hashes.items() if k.startswith("litert-fp32/")}
        probe = fp32_probe()
        sets = fp32_sets() if args.add_fp32 else {}
        sets[probe] = fp32
        _write(FP32_HASHES, sets)
        print(f"{len(fp32)} fp32 hashes (probe {probe}) -> {FP32_HASHES}; {len(sets)} set(s)")
        if not args.add_fp32:
            int8 = {k: v for k, v in hashes.items() if k not in fp32}
            _write(HASHES, int8)
            print(f"{len(int8)} hashes -> {HASHES}")


if __name__ == "__main__":
    main()
