"""Text tables of a bench run.

Markdown pipe tables: readable in a terminal, and the README's tables are made by the same
functions (``benchmarks/readme_tables.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[bool] | None = None
) -> str:
    """A Markdown pipe table; ``right`` marks right-aligned (numeric) columns."""
    right = right or [i > 0 for i in range(len(headers))]
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                v.rjust(w) if r else v.ljust(w)
                for v, w, r in zip(values, widths, right, strict=True)
            )
            + " |"
        )

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if r else ("-" * (w + 2))
            for w, r in zip(widths, right, strict=True)
        )
        + "|"
    )
    return "\n".join([line(list(headers)), rule, *(line(r) for r in cells)])


def fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    """A number with ``digits`` decimals, or "-" for None."""
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def quality_text(row: dict[str, Any]) -> str:
    """The parity figures of a model file (from the manifest) in a few words."""
    q = row.get("quality") or {}
    if "f1" in q:
        return f"F1 {q['f1']:.4f}, tile FPR {100 * q['fpr']:.2f}%"
    if "psnr" in q:
        return f"PSNR b={row['scale']} {q['psnr']:.2f} dB"
    return "-"


def machine_line(m: dict[str, Any]) -> str:
    """One line: CPU, cores, OS, Python, package versions, load when measured."""
    pkgs = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
    load = m.get("load_average")
    tail = f"; load average at start {load[0]:.2f}" if load else ""
    return (
        f"{m['cpu']} ({m['cores']} cores, {m['arch']}), {m['os']}, Python {m['python']}; "
        f"{pkgs}{tail}"
    )


def models_table(rows: list[dict[str, Any]]) -> str:
    """Per model x format x threads."""
    headers = (
        "model",
        "format",
        "threads",
        "size KiB",
        "init ms",
        "first ms",
        "warm-up ms",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "peak RSS MiB",
        "GMAC/s",
        "% roof",
        "quality",
    )
    body = []
    for r in rows:
        if "error" in r:
            body.append((r["name"], r["format"], r["threads"], *["-"] * 10, r["error"]))
            continue
        lat = r["latency_ms"]
        body.append(
            (
                r["name"],
                r["format"],
                r["threads"],
                fmt(r["bytes"] / 1024, 0),
                fmt(r["init_ms"]),
                fmt(r["first_ms"]),
                fmt(r["warmup_ms"]),
                fmt(lat["p50"], 2),
                fmt(lat["p90"], 2),
                fmt(lat["p99"], 2),
                fmt(r["peak_rss_mib"], 0),
                fmt(r["gmacs"]),
                fmt(r.get("roof_pct"), 0),
                quality_text(r),
            )
        )
    right = [False, False] + [True] * 11 + [False]
    return markdown_table(headers, body, right)


def roof_table(roof: list[dict[str, Any]]) -> str:
    """The machine's roof per thread count."""
    body = []
    for r in roof:
        by = r["by_precision"]
        body.append(
            (r["threads"], *(fmt(by[p]["gmacs"]) if p in by else "-" for p in ("fp32", "int8")))
        )
    return markdown_table(("threads", "fp32 GMAC/s", "int8 GMAC/s"), body)


def pipeline_table(rows: list[dict[str, Any]]) -> str:
    """Per pipeline config x resolution x pixelated share, stages in ms (medians)."""
    stages = sorted(
        {k for r in rows for k in r["stages_ms"]},
        key=lambda k: (
            ("classify", "grid", "cells", "restore").index(k)
            if k in ("classify", "grid", "cells", "restore")
            else 9
        ),
    )
    headers = (
        "format",
        "threads",
        "frame",
        "pixelated",
        "FPS",
        "p50 ms",
        "p90 ms",
        *(f"{s} ms" for s in stages),
        "invoke ms",
        "overhead",
        "detected",
    )
    body = []
    for r in rows:
        body.append(
            (
                f"{r['backend']}-{r['precision']}",
                r["threads"],
                f"{r['width']}x{r['height']}",
                f"{r['coverage']:.0%}",
                fmt(r["fps"]),
                fmt(r["frame_ms"]["p50"]),
                fmt(r["frame_ms"]["p90"]),
                *(fmt(r["stages_ms"].get(s)) for s in stages),
                fmt(r["invoke_ms"]),
                fmt(r["overhead_pct"], 0, "%"),
                "yes" if r["detected"] else "no",
            )
        )
    return markdown_table(headers, body, [False, True, False] + [True] * (len(headers) - 3))


def tiers_table(rows: list[dict[str, Any]]) -> str:
    """Per restorer tier: FPS, restore time and PSNR at b = 2, 3, 4."""
    body = [
        (
            r["restorer"],
            fmt(r["fps"]),
            fmt(r["stages_ms"].get("restore"), 2),
            *(fmt(r["psnr_by_block"].get(b), 2) for b in ("2", "3", "4")),
        )
        for r in rows
    ]
    headers = ("tier", "FPS", "restore ms", "PSNR b=2", "PSNR b=3", "PSNR b=4")
    return markdown_table(headers, body, [False] + [True] * 5)


def video_label(clip: str) -> str:
    """A VIDEO clip's short name for the tables."""
    from unpixel.bench.video_fps import CLIP_LABELS

    return CLIP_LABELS.get(clip, clip)


def video_table(rows: list[dict[str, Any]]) -> str:
    """Per VIDEO config x resolution x clip x sweep (timed frames after the first)."""
    headers = (
        "format",
        "threads",
        "frame",
        "clip",
        "sweep",
        "FPS",
        "p50 ms",
        "p90 ms",
        "tiles/frame",
        "reused",
        "restored",
        "IMAGE FPS",
    )
    body = [
        (
            f"{r['backend']}-{r['precision']}",
            r["threads"],
            f"{r['width']}x{r['height']}",
            video_label(r["clip"]),
            r["sweep"],
            fmt(r["fps"]),
            fmt(r["frame_ms"]["p50"]),
            fmt(r["frame_ms"]["p90"]),
            f"{r['tiles_per_frame']:.0f} / {r['tiles_total']}",
            f"{r['reused_share']:.0%}",
            f"{r['restored_share']:.0%}",
            fmt(r.get("image_fps")),
        )
        for r in rows
    ]
    return markdown_table(headers, body, [False, True, False, False] + [True] * 8)


def baselines_text(baselines: dict[str, Any], headline: dict[str, float]) -> str:
    """OpenCV bicubic per resolution, and the Keras patch loop against the int8 pipeline."""
    rows = [
        (
            f"{b['width']}x{b['height']}",
            f"LR x{b['block']} -> frame",
            fmt(b["frame_ms"]["p50"], 2),
            fmt(b["fps"], 0),
        )
        for b in baselines.get("bicubic", [])
    ]
    out = [
        "OpenCV bicubic upscaling (speed ceiling of the restore step):",
        markdown_table(("frame", "work", "p50 ms", "FPS"), rows, [False, False, True, True]),
    ]
    keras = baselines.get("keras_patch_loop")
    if keras and "frame_ms" in keras:
        how = (
            f"extrapolated from {keras['timed_patches']} of {keras['patches']} patches"
            if keras["extrapolated"]
            else f"all {keras['patches']} patches"
        )
        out.append(
            f"Keras model.predict patch loop (Keras {keras['keras']}, {keras['threads']} "
            f"threads), {keras['width']}x{keras['height']} b = {keras['block']}: "
            f"{keras['frame_ms'] / 1e3:.2f} s a frame ({how}); int8 pipeline "
            f"{headline.get('keras_speedup', float('nan')):.0f}x faster"
        )
    elif keras:
        out.append(f"Keras model.predict patch loop: skipped ({keras.get('skipped')})")
    return "\n".join(out)


def targets_table(targets: list[dict[str, Any]]) -> str:
    """Each issue bar: measured, and whether it is met."""
    body = [
        (
            t["name"],
            f"{'>=' if t['kind'] == 'min' else '<='} {t['bar']:g}",
            fmt(t["measured"], 1),
            {True: "met", False: "NOT MET", None: "-"}[t["met"]],
            t["source"],
        )
        for t in targets
    ]
    return markdown_table(
        ("target", "bar", "measured", "", "from"), body, [False, True, True, False, False]
    )


def full_report(result: dict[str, Any]) -> str:
    """Every table of a run, with headings."""
    parts = [f"Machine: {machine_line(result['machine'])}"]
    if result.get("roof"):
        parts += ["", "Roof (XNNPACK, compute-bound 3x3 convolutions):", roof_table(result["roof"])]
    if result.get("models"):
        parts += [
            "",
            "Models (one run = the work of one 1280x720 frame):",
            models_table(result["models"]),
        ]
    ratio = result.get("ratios", {}).get("restorer_x4_int8_vs_fp32")
    if ratio:
        p50 = ratio["p50_ms"]
        parts += [
            "",
            f"restorer_x4 interleaved ({ratio['threads']} threads): fp32 "
            f"{p50['tflite-fp32']:.2f} ms, int8 {p50['tflite-int8']:.2f} ms, int8 "
            f"{ratio['speedup']:.2f}x",
        ]
    if result.get("pipeline"):
        parts += [
            "",
            "Pipeline (b = 4 mosaic over the pixelated share; medians):",
            pipeline_table(result["pipeline"]),
        ]
    if result.get("tiers"):
        parts += [
            "",
            "Restorer tiers (the same 1280x720 b = 4 frame, one after the other; PSNR of the "
            "tier's int8 restorers from the manifest's parity figures):",
            tiers_table(result["tiers"]),
        ]
    if result.get("video"):
        n = result["video"][0]["frames"]
        parts += [
            "",
            f"VIDEO mode ({n} frames a clip after an untimed first one, 33 ms apart; pans move "
            "4 px a frame; reused: detection kept from the last frame; IMAGE FPS: the same "
            "frame classified from scratch; informative, no target):",
            video_table(result["video"]),
        ]
    parts += ["", baselines_text(result.get("baselines", {}), result.get("headline", {}))]
    if result.get("targets"):
        parts += ["", "Targets:", targets_table(result["targets"])]
    parts += [f"note: {n}" for n in result.get("notes", [])]
    return "\n".join(parts)
