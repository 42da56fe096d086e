"""The speed bars of the runtime and benchmark issues, checked against a bench run.

These are targets, reported as met or not; the CI gate (``benchmarks/budgets.json``) only
gates on what is met today, with margin for noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """One bar: a metric of the bench results, ``min`` or ``max``, and where it comes from."""

    name: str
    metric: str
    kind: str  # "min" or "max"
    bar: float
    source: str


TARGETS = (
    Target("1280x720, fully pixelated (b = 4): FPS", "fps_1280x720_100", "min", 25, "issue 5"),
    Target("640x480, fully pixelated (b = 4): FPS", "fps_640x480_100", "min", 60, "issue 5"),
    Target("1280x720 clean (detection only): FPS", "fps_1280x720_0", "min", 50, "issue 5"),
    Target(
        "runtime overhead outside model invocation, 1280x720 b = 4: % of frame",
        "overhead_1280x720_100",
        "max",
        20,
        "issue 5",
    ),
    Target(
        "int8 pipeline vs Keras predict patch loop, 1280x720 b = 4: speed-up",
        "keras_speedup",
        "min",
        20,
        "issue 7",
    ),
    Target(
        "int8 restorer x4 vs fp32 throughput", "restorer_x4_int8_vs_fp32", "min", 1.2, "issue 7"
    ),
    Target("1920x1080, fully pixelated (b = 4): FPS", "fps_1920x1080_100", "min", 30, "issue 23"),
    Target("1920x1080 clean (detection only): FPS", "fps_1920x1080_0", "min", 60, "issue 23"),
    Target(
        "quality restorer tier, 1280x720 fully pixelated (b = 4): FPS",
        "fps_quality_1280x720_100",
        "min",
        20,
        "issue 19",
    ),
)
"""Every bar; the pipeline ones are for int8 LiteRT at 2 threads."""


def check(metric: str, value: float, kind: str, bound: float) -> bool:
    """Does ``value`` satisfy ``kind`` (``min``: at least, ``max``: at most) ``bound``."""
    if kind == "min":
        return value >= bound
    if kind == "max":
        return value <= bound
    raise ValueError(f"{metric}: bound kind must be 'min' or 'max', got {kind!r}")


def check_targets(headline: dict[str, float]) -> list[dict[str, Any]]:
    """Each target with the measured value (None when not measured) and whether it is met."""
    out = []
    for t in TARGETS:
        value = headline.get(t.metric)
        met = None if value is None else check(t.metric, value, t.kind, t.bar)
        out.append(
            {
                "name": t.name,
                "metric": t.metric,
                "kind": t.kind,
                "bar": t.bar,
                "source": t.source,
                "measured": value,
                "met": met,
            }
        )
    return out
