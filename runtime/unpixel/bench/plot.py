"""PNG charts of a bench run (matplotlib: the ``bench`` extra, imported only here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from unpixel.errors import MissingExtraError


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend; :class:`MissingExtraError` naming ``bench``."""
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("matplotlib", "bench") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _title(result: dict[str, Any], text: str) -> str:
    m = result["machine"]
    return f"{text}\n{m['cpu']}, {m['cores']} cores"


def plot_models(result: dict[str, Any], path: Path) -> Path:
    """p50 latency (bars) and share of the roof (labels) per model x format, most threads."""
    plt = pyplot()
    rows = [r for r in result["models"] if "error" not in r]
    top = max(r["threads"] for r in rows)
    rows = [r for r in rows if r["threads"] == top]
    labels = [f"{r['name']}\n{r['format']}" for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.5))
    bars = ax.barh(labels, [r["latency_ms"]["p50"] for r in rows], color="#4c72b0")
    for bar, r in zip(bars, rows, strict=True):
        if r.get("roof_pct") is not None:
            ax.text(
                bar.get_width(),
                bar.get_y() + bar.get_height() / 2,
                f" {r['roof_pct']:.0f}% of roof",
                va="center",
                fontsize=7,
            )
    ax.set_xlim(0, 1.25 * max(r["latency_ms"]["p50"] for r in rows))
    ax.invert_yaxis()
    ax.set_xlabel(f"p50 latency, ms ({top} threads; one 1280x720 frame of work)")
    ax.set_title(_title(result, "Models"), fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_pipeline(result: dict[str, Any], path: Path) -> Path:
    """Stacked stage times per frame size and pixelated share, one panel per format."""
    plt = pyplot()
    rows = result["pipeline"]
    configs = sorted({(r["backend"], r["precision"]) for r in rows})
    stages = ("classify", "grid", "cells", "restore")
    fig, axes = plt.subplots(len(configs), 1, figsize=(8, 3.2 * len(configs)), squeeze=False)
    for ax, (backend, precision) in zip(axes[:, 0], configs, strict=True):
        sub = [r for r in rows if (r["backend"], r["precision"]) == (backend, precision)]
        labels = [f"{r['width']}x{r['height']}\n{r['coverage']:.0%}" for r in sub]
        bottom = [0.0] * len(sub)
        for stage in stages:
            values = [r["stages_ms"].get(stage, 0.0) for r in sub]
            ax.bar(labels, values, bottom=bottom, label=stage)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        for i, r in enumerate(sub):
            ax.text(i, bottom[i], f"{r['fps']:.1f} FPS", ha="center", va="bottom", fontsize=7)
        ax.set_ylabel("ms per frame (median)")
        ax.set_title(f"{backend} {precision}, {sub[0]['threads']} threads", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(fontsize=7)
    fig.suptitle(_title(result, "Pipeline: frame size, pixelated share (b = 4)"), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_plots(result: dict[str, Any], folder: Path) -> list[Path]:
    """Write every chart the run has data for into ``folder``; return their paths."""
    pyplot()  # fail early, naming the extra
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    if any("error" not in r for r in result.get("models", [])):
        out.append(plot_models(result, folder / "bench_models.png"))
    if result.get("pipeline"):
        out.append(plot_pipeline(result, folder / "bench_pipeline.png"))
    return out
