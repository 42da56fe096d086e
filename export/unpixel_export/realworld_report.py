"""Summaries and the Markdown of the real-world evaluation (:mod:`realworld_eval`)."""

from __future__ import annotations

import math

import numpy as np

SAME_DB = 0.05
"""Output within this many dB of the input counts as *same*."""


def _mean(rows: list[dict[str, object]], key: str) -> float | None:
    vals = [float(r[key]) for r in rows if r.get(key) is not None]
    vals = [v for v in vals if math.isfinite(v)]
    return round(float(np.mean(vals)), 4) if vals else None


def summarise(rows: list[dict[str, object]]) -> dict[str, object]:
    """One case's (or a family's pooled) frames -> its figures (JSON-able)."""
    n = len(rows)
    if n and "flagged" in rows[0]:
        flagged = [r for r in rows if r["flagged"]]
        return {
            "n": n,
            "flagged": len(flagged),
            "fpr": round(len(flagged) / n, 4),
            "changed_when_flagged": _mean(flagged, "changed"),
            "unflagged_not_identical": sum(
                1 for r in rows if not r["flagged"] and not r["identical"]
            ),
        }
    gains = [
        (float(r["psnr_out"]), float(r["psnr_in"]), float(r["psnr_oracle"]))
        for r in rows
        if math.isfinite(float(r["psnr_in"]))
    ]
    return {
        "n": n,
        "detected": _mean(rows, "detected"),
        "period_right": _mean(rows, "period_right"),
        "cells_right": _mean(rows, "cells_right"),
        "covers": _mean(rows, "covers"),
        "iou": _mean(rows, "iou"),
        "psnr_in": _mean(rows, "psnr_in"),
        "psnr_out": _mean(rows, "psnr_out"),
        "psnr_oracle": _mean(rows, "psnr_oracle"),
        "better": sum(1 for o, i, _ in gains if o > i + SAME_DB),
        "same": sum(1 for o, i, _ in gains if abs(o - i) <= SAME_DB),
        "worse": sum(1 for o, i, _ in gains if o < i - SAME_DB),
        "ge_lanczos": round(sum(1 for o, _, z in gains if o >= z) / len(gains), 4)
        if gains
        else None,
        "outside_changed": _mean(rows, "outside_changed"),
        "far_changed": sum(1 for r in rows if r["far_changed"]),
        "far_max": max((int(r["far_max"]) for r in rows), default=0),
    }


def _pct(v: object) -> str:
    return "-" if v is None else f"{float(v):.0%}"


def _db(v: object) -> str:
    return "-" if v is None else f"{float(v):.2f}"


MOSAIC_HEAD = (
    "| case | frames | found | period right | cells right | mask covers | IoU | PSNR in | out "
    "| Lanczos | better/same/worse | ≥ Lanczos | outside changed | far changed (max) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)
CLEAN_HEAD = (
    "| case | frames | flagged | FPR | pixels changed when flagged "
    "| unflagged not bit-identical |\n"
    "|---|---|---|---|---|---|"
)


def _mosaic_row(name: str, s: dict[str, object]) -> str:
    out = "-" if s["outside_changed"] is None else f"{float(s['outside_changed']):.2%}"
    return (
        f"| {name} | {s['n']} | {_pct(s['detected'])} | {_pct(s['period_right'])} | "
        f"{_pct(s['cells_right'])} | {_pct(s['covers'])} | {_db(s['iou'])} | "
        f"{_db(s['psnr_in'])} | {_db(s['psnr_out'])} | {_db(s['psnr_oracle'])} | "
        f"{s['better']}/{s['same']}/{s['worse']} | {_pct(s['ge_lanczos'])} | {out} | "
        f"{s['far_changed']} ({s['far_max']}) |"
    )


def _clean_row(name: str, s: dict[str, object]) -> str:
    changed = "-" if s["changed_when_flagged"] is None else f"{s['changed_when_flagged']:.1%}"
    return (
        f"| {name} | {s['n']} | {s['flagged']} | {s['fpr']:.1%} | {changed} | "
        f"{s['unflagged_not_identical']} |"
    )


TITLES = {
    "lossless": "Lossless mosaics (Pillow BOX→NEAREST, OpenCV AREA→NEAREST, centre sample, "
    "min, max; random phase, sides not multiples of b)",
    "compressed": "Compressed mosaics (Pillow JPEG 4:2:0 after pixelation; libx264 yuv420p "
    "panning clips, b = 8, the mosaic following the content or fixed to the frame; `_video`: "
    "VIDEO mode)",
    "resized": "Resized mosaics (NEAREST upscales of an LR image by non-integer factors, "
    "Pillow and OpenCV; the usual Pillow snippet `resize((w // b, h // b), BOX)` then NEAREST "
    "back; whole mosaics resized x0.75 / x1.5 with Pillow bilinear (antialiased), OpenCV "
    "INTER_LINEAR and INTER_AREA)",
    "partial": "Partial mosaics (censored rectangles 10-40% of a photo crop then JPEG q85; "
    "288x96 censor boxes over rendered UI screenshots)",
    "clean": "Clean controls (no mosaic: photo crops PNG / JPEG, bicubic x2 upscales, "
    "smooth skies (JPEG q90), 8-bit gradients, UI screenshots, flat hard-edged graphics, "
    "H.264 CRF 23 clips)",
}


def to_markdown(report: dict[str, object]) -> str:
    """The report as Markdown: the command, the protocol, one table per family."""
    lines = [
        "# Real-world evaluation of the shipped pipeline",
        "",
        f"Made by `{report.get('command', 'realworld_eval.evaluate')}` ({report['seconds']} s).",
        "",
        f"Photos: {len(report.get('photos', []))} from {report.get('source', '?')}; "
        f"{report['per_case']} frames per image case, {report['clips']} clips of "
        f"{report['frames_per_clip']} frames per H.264 case, seed {report['seed']}. "
        "Pipeline: `Pipeline.create(PipelineOptions(restorer="
        f"{report.get('restorer', 'fast')!r}))` (shipped tflite-int8 models, IMAGE mode, "
        "otherwise defaults).",
    ]
    missing = report.get("missing_photos") or []
    if missing:
        lines += [
            "",
            f"**{len(missing)} photos of the manifest are missing on this machine** (their "
            "Debian packages are not installed) and were left out: "
            + ", ".join(f"`{m}`" for m in missing),
        ]
    lines += [
        "",
        "*found*: a region with a grid over the mosaic; *period right*: within 2%; *cells "
        "right*: period right and ≥ 90% of the true cell edges on the grid (within 1 px after "
        "antialiased resizes); *mask covers*: share of the true mosaic's pixels in the mask; "
        "PSNR (RGB, dB) against the undamaged frame over the mosaic less one cell at each "
        "side: the input, the output, and the oracle Lanczos (the true LR image upscaled by "
        "the true period, cell-aligned); *better/same/worse*: output vs input, ±0.05 dB; "
        "*outside changed*: share of the pixels outside the mosaic that changed; *far "
        "changed*: frames with a pixel changed farther than one cell from the mosaic (the "
        "largest change, levels). Rotated or rescaled-and-rotated mosaics are out of scope.",
    ]
    cases = report["cases"]
    for fam in ("lossless", "compressed", "resized", "partial", "clean"):
        names = [n for n, c in cases.items() if c["family"] == fam]
        if not names:
            continue
        clean = fam == "clean"
        lines += ["", f"## {fam}", "", TITLES[fam], "", CLEAN_HEAD if clean else MOSAIC_HEAD]
        row = _clean_row if clean else _mosaic_row
        lines += [row(n, cases[n]) for n in names]
        for key in (fam, fam + "_video"):
            if key in report["families"]:
                lines.append(row(f"**all {key}**", report["families"][key]))
    if report["not_run"]:
        lines += ["", "## Not run", ""]
        lines += [f"- {n}: {why}" for n, why in report["not_run"].items()]
    if report["errors"]:
        lines += ["", "## Errors", ""]
        lines += [f"- {e}" for e in report["errors"]]
    return "\n".join(lines) + "\n"


HEADLINE_HEAD = (
    "| family (frames) | found | period right | mask covers | ≥ oracle Lanczos "
    "| far changed | flagged (clean) |\n|---|---:|---:|---:|---:|---:|---:|"
)


def headline_table(report: dict[str, object]) -> str:
    """One row per family of the report (IMAGE mode, and VIDEO mode for the clips)."""
    rows = [HEADLINE_HEAD]
    for key, s in report["families"].items():  # type: ignore[union-attr]
        if "fpr" in s:
            rows.append(f"| {key} ({s['n']}) | | | | | | {_pct(s['fpr'])} |")
            continue
        far = f"{s['far_changed'] / s['n']:.0%}" if s["n"] else "-"
        rows.append(
            f"| {key} ({s['n']}) | {_pct(s['detected'])} | {_pct(s['period_right'])} "
            f"| {_pct(s['covers'])} | {_pct(s['ge_lanczos'])} | {far} | |"
        )
    return "\n".join(rows)
