"""Rewrite the benchmark block of docs/benchmarks.md from a bench JSON (never typed by hand).

The block lies between ``<!-- bench:start -->`` and ``<!-- bench:end -->``; everything else in
the document is left as it is (the file is written atomically). Tables: the model zoo
(format, size, latency, GMAC/s and share of the roof, memory, quality), pipeline FPS per
resolution and pixelated share, VIDEO mode per clip and sweep (when the JSON has it), the
baselines and the issues' targets, with the machine they were measured on.

Run: .venv/bin/unpixel bench --full --json benchmarks/results/bench.json --plot benchmarks/results
     .venv/bin/python -m benchmarks.readme_tables
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from unpixel.bench.report import (
    fmt,
    machine_line,
    markdown_table,
    quality_text,
    targets_table,
    video_label,
)
from unpixel.io import write_atomic

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
"""The document that holds the block; its links are relative to docs/."""
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
REPRODUCE = (
    "unpixel bench --full --json benchmarks/results/bench.json --plot benchmarks/results\n"
    "python -m benchmarks.readme_tables"
)


def zoo_table(result: dict[str, Any], threads: int) -> str:
    """Per model x format at ``threads``: size, latency, GMAC/s, roof share, memory, quality."""
    rows = []
    for r in result["models"]:
        if r["threads"] != threads or "error" in r:
            continue
        lat = r["latency_ms"]
        rows.append(
            (
                r["name"],
                r["format"],
                f"{r['bytes'] / 1024:.0f} KiB",
                fmt(lat["p50"], 2),
                fmt(lat["p99"], 2),
                fmt(r["first_ms"]),
                f"{fmt(r['gmacs'])} ({fmt(r.get('roof_pct'), 0)}%)",
                fmt(r["peak_rss_mib"], 0),
                quality_text(r),
            )
        )
    headers = (
        "model",
        "format",
        "size",
        "p50 ms",
        "p99 ms",
        "first ms",
        "GMAC/s (% roof)",
        "peak RSS MiB",
        "quality (validation)",
    )
    return markdown_table(headers, rows, [False, False] + [True] * 6 + [False])


def threads_table(result: dict[str, Any]) -> str:
    """p50 latency per model x format x thread count."""
    threads = sorted({r["threads"] for r in result["models"]})
    cells: dict[tuple[str, str], dict[int, str]] = {}
    for r in result["models"]:
        if "error" not in r:
            cells.setdefault((r["name"], r["format"]), {})[r["threads"]] = fmt(
                r["latency_ms"]["p50"], 2
            )
    rows = [(name, f, *(c.get(t, "-") for t in threads)) for (name, f), c in cells.items()]
    return markdown_table(
        ("model", "format", *(f"{t} thread(s) ms" for t in threads)),
        rows,
        [False, False] + [True] * len(threads),
    )


def fps_table(result: dict[str, Any]) -> str:
    """FPS per pipeline format x resolution, clean / 25% / 100% pixelated, and the overhead."""
    cases: dict[tuple[str, str], dict[float, dict[str, Any]]] = {}
    for r in result["pipeline"]:
        key = (f"{r['backend']}-{r['precision']}", f"{r['width']}x{r['height']}")
        cases.setdefault(key, {})[r["coverage"]] = r
    rows = []
    for (config, size), by in cases.items():
        full = by.get(1.0)
        stages = full["stages_ms"] if full else {}
        rows.append(
            (
                config,
                size,
                *(fmt(by[c]["fps"]) if c in by else "-" for c in (0.0, 0.25, 1.0)),
                " / ".join(fmt(stages.get(s)) for s in ("classify", "grid", "cells", "restore")),
                fmt(full["overhead_pct"], 0, "%") if full else "-",
            )
        )
    headers = (
        "pipeline",
        "frame",
        "FPS clean",
        "FPS 25%",
        "FPS 100%",
        "100%: classify / grid / cells / restore ms",
        "100%: outside models",
    )
    return markdown_table(headers, rows, [False, False, True, True, True, True, True])


def video_table(result: dict[str, Any]) -> str:
    """VIDEO mode per pipeline x frame x clip: FPS, tiles a frame and reuse by sweep."""
    cases: dict[tuple[str, str, str], dict[int, dict[str, Any]]] = {}
    for r in result["video"]:
        key = (f"{r['backend']}-{r['precision']}", f"{r['width']}x{r['height']}", r["clip"])
        cases.setdefault(key, {})[r["sweep"]] = r
    sweeps = sorted({r["sweep"] for r in result["video"]})

    def each(by: dict[int, dict[str, Any]], show: Any) -> str:
        return " / ".join(show(by[k]) if k in by else "-" for k in sweeps)

    rows = []
    for (config, size, clip), by in cases.items():
        first = next(iter(by.values()))
        rows.append(
            (
                config,
                size,
                video_label(clip),
                fmt(first.get("image_fps")),
                each(by, lambda r: fmt(r["fps"])),
                each(by, lambda r: f"{r['tiles_per_frame']:.0f}") + f" of {first['tiles_total']}",
                each(by, lambda r: f"{r['reused_share']:.0%}"),
                each(by, lambda r: f"{r['restored_share']:.0%}"),
            )
        )
    k = " / ".join(str(s) for s in sweeps)
    headers = (
        "pipeline",
        "frame",
        "clip",
        "IMAGE FPS",
        f"VIDEO FPS, sweep {k}",
        f"tiles a frame, sweep {k}",
        "detection reused",
        "restored",
    )
    return markdown_table(headers, rows, [False, False, False] + [True] * 5)


def video_lines(result: dict[str, Any]) -> list[str]:
    """The VIDEO-mode table with its heading; nothing when the JSON has no VIDEO rows."""
    if not result.get("video"):
        return []
    frames = result["video"][0]["frames"]
    return [
        "",
        f"VIDEO mode (`running_mode=VIDEO`, `sweep` = K; {frames} frames a clip, 33 ms apart, "
        "after an untimed first one; pans move 4 px a frame, the b = 4 mosaic moves with the "
        "content; IMAGE FPS: the same frame size and share from the table above; informative, "
        "no target reads it):",
        "",
        video_table(result),
    ]


def baselines_lines(result: dict[str, Any]) -> list[str]:
    """The Keras patch loop, the bicubic ceiling and the roof, one bullet each."""
    out = []
    head = result.get("headline", {})
    keras = result.get("baselines", {}).get("keras_patch_loop") or {}
    if "frame_ms" in keras:
        how = (
            f"extrapolated from {keras['timed_patches']} of {keras['patches']} patches"
            if keras["extrapolated"]
            else "all patches"
        )
        out.append(
            f"- Original design's way (Keras {keras['keras']} `model.predict` per 64 px "
            f"patch, {keras['threads']} threads), {keras['width']}x{keras['height']} "
            f"b = {keras['block']}: {keras['frame_ms'] / 1e3:.1f} s a frame ({how}); "
            f"the int8 pipeline is **{head.get('keras_speedup', 0):.0f}x** faster."
        )
    elif keras:
        out.append(f"- Keras patch loop: skipped ({keras.get('skipped')}).")
    bicubic = result.get("baselines", {}).get("bicubic", [])
    if bicubic:
        out.append(
            "- OpenCV bicubic upscaling of the LR image (speed ceiling of the restore "
            "step): "
            + ", ".join(
                f"{b['width']}x{b['height']} {b['frame_ms']['p50']:.2f} ms" for b in bicubic
            )
            + "."
        )
    for roof in result.get("roof", []):
        by = roof["by_precision"]
        out.append(
            f"- Roof ({roof['model']}), {roof['threads']} thread(s): fp32 "
            f"{by['fp32']['gmacs']:.0f} GMAC/s, int8 {by['int8']['gmacs']:.0f} GMAC/s."
        )
    ratio = result.get("ratios", {}).get("restorer_x4_int8_vs_fp32")
    if ratio:
        out.append(
            f"- Restorer x4, int8 vs fp32 (interleaved, {ratio['threads']} threads): "
            f"{ratio['speedup']:.2f}x the throughput."
        )
    return out


def block(result: dict[str, Any]) -> str:
    """The Markdown between the markers."""
    threads = max(r["threads"] for r in result["models"]) if result.get("models") else 2
    code = result.get("code") or {}
    version = f" at commit {code['commit']}" if code.get("commit") else ""
    if code.get("runtime_modified"):
        version += " (with uncommitted runtime changes)"
    parts = [
        f"Measured by `unpixel bench`{version} on: {machine_line(result['machine'])}. "
        "A shared 2-core machine: treat single figures as +-30%; ratios measured in the same run "
        "are steadier. Reproduce:",
        "",
        "```bash",
        REPRODUCE,
        "```",
        "",
        f"Models ({threads} threads; one run = the work of one 1280x720 frame: its 240 tiles for "
        "the classifier, its LR image for a restorer; quality: parity figures of the manifest):",
        "",
        zoo_table(result, threads),
        "",
        "p50 latency by thread count:",
        "",
        threads_table(result),
        "",
        "Pipeline (2 threads; b = 4 mosaic over a centred share of the frame; medians; stages as"
        " `Result.timings` gives them: *cells* reads the LR image off the cells and waits for"
        " the mosaic cells a worker thread seeks while *restore* runs the restorer, then"
        " pastes):",
        "",
        fps_table(result),
        *video_lines(result),
        "",
        *baselines_lines(result),
        "",
        "Targets (issues 5 and 7; the CI gate's budgets are in `benchmarks/budgets.json`):",
        "",
        targets_table(result["targets"]),
        "",
        "Charts: [models](../benchmarks/results/bench_models.png), "
        "[pipeline](../benchmarks/results/bench_pipeline.png).",
    ]
    return "\n".join(parts)


def rewrite(text: str, result: dict[str, Any]) -> str:
    """``text`` with its bench block replaced; ValueError when the markers are missing."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document has no {START} ... {END} block")
    return text[: start + len(START)] + "\n" + block(result) + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Rewrite docs/benchmarks.md's bench block.")
    p.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "bench.json")
    p.add_argument("--doc", type=Path, default=DOC, help="the document with the block")
    args = p.parse_args(argv)
    result = json.loads(args.json.read_text())
    write_atomic(args.doc, rewrite(args.doc.read_text(), result).encode())
    print(f"{args.doc}: bench block rewritten from {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
