"""``unpixel live``: wire a source, the pipeline and the sinks from the command line.

With no sink named it writes to ``out/live``: the cleaned video ``live.mp4``, ``summary.json``
(frames, FPS, dropped, latency p50/p95, reconnects) and ``before_after.png``. A lost camera or
stream is reopened with backoff (``--reconnect N``, ``--reconnect-max-wait S``) while the
outputs stay open; the warnings go to stderr.

An output that is the source itself (any spelling, a symlink or a hard link) is refused
before anything is opened. ``--token`` and a URL's ``user:password`` never reach stdout,
stderr, the log or ``summary.json``: everything printed or stored goes through
:func:`unpixel.redact.redact`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unpixel.errors import SinkError
from unpixel.live.reconnect import DEFAULT
from unpixel.live.sinks import Packet, Sink
from unpixel.redact import add_secret, redact_all
from unpixel.terminal import say, shown, write

if TYPE_CHECKING:
    from unpixel.live.loop import LiveOptions

DEFAULT_OUTPUT = Path("out/live")


def _size(text: str) -> tuple[int, int]:
    """``WxH``: each side at least 32, at most :data:`unpixel.image.MAX_PIXELS` in all."""
    from unpixel.image import MAX_PIXELS

    w, sep, h = text.lower().partition("x")
    if not (sep and w.isdigit() and h.isdigit() and int(w) >= 32 and int(h) >= 32):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT (at least 32x32), got {text!r}")
    if int(w) * int(h) > MAX_PIXELS:
        raise argparse.ArgumentTypeError(
            f"{text} is {int(w) * int(h):,} pixels; frames are limited to {MAX_PIXELS:,}"
        )
    return int(w), int(h)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected 0 or a positive integer, got {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``unpixel live`` (the shared model flags are added by the caller)."""
    p.add_argument(
        "--source",
        default="sample",
        help="sample (default, bundled clip), picamera2[:N], a camera index, "
        "/dev/videoN, a video file, an image folder, rtsp:// or http(s):// URL, "
        "or a GStreamer pipeline ending in appsink",
    )
    p.add_argument(
        "--output",
        type=Path,
        help="a folder (live.mp4, summary.json, before_after.png in it) or a video "
        "file name; default out/live when no other sink is named",
    )
    p.add_argument("--frames-dir", type=Path, help="also write every view as an image here")
    p.add_argument(
        "--serve",
        metavar="HOST:PORT",
        help="MJPEG stream at http://HOST:PORT/stream.mjpg (loopback unless --token)",
    )
    p.add_argument("--token", help="required of clients; needed to serve a non-loopback address")
    p.add_argument("--max-clients", type=_positive, default=4, help="concurrent streams (4)")
    p.add_argument("--display", action="store_true", help="show a window (needs a GUI)")
    p.add_argument("--max-frames", type=_positive, help="stop after N processed frames")
    p.add_argument("--overlay", action="store_true", help="draw FPS, latency, pixelated share")
    p.add_argument("--side-by-side", action="store_true", help="show input | unpixel")
    p.add_argument(
        "--realtime",
        action="store_true",
        help="play a file or the sample as a live camera (drops frames if slow)",
    )
    p.add_argument(
        "--mode",
        choices=("video", "live_stream"),
        default="video",
        help="pipeline running mode (default video)",
    )
    p.add_argument("--size", type=_size, help="WxH asked of a camera, or the sample's size")
    p.add_argument("--lores", type=_size, help="picamera2: WxH lores stream to detect on")
    p.add_argument("--sample-frames", type=_positive, default=90, help="sample clip length")
    p.add_argument(
        "--reconnect",
        type=_count,
        default=DEFAULT.attempts,
        metavar="N",
        help="a lost camera or stream (failed read, or no frame for 5 s) is closed "
        "and reopened up to N times, waiting 0.5 s, 1 s, 2 s ... up to 8 s "
        "between tries, while the outputs stay open and go on after the gap "
        f"({DEFAULT.attempts}; 0: stop at the first loss). Files, folders and "
        "the sample clip are never reopened: they end",
    )
    p.add_argument(
        "--reconnect-delay",
        type=_seconds,
        default=DEFAULT.delay_s,
        metavar="S",
        help=f"the first wait, doubled at each try ({DEFAULT.delay_s:g})",
    )
    p.add_argument(
        "--reconnect-max-wait",
        type=_seconds,
        default=DEFAULT.max_wait_s,
        metavar="S",
        help=f"give up when one outage has lasted S seconds ({DEFAULT.max_wait_s:g})",
    )


def _paths(output: Path) -> tuple[Path, Path, Path]:
    """(video, summary, before/after) for a folder or a video file name."""
    from unpixel.video import is_video

    if is_video(output):
        stem = output.with_suffix("")
        return output, Path(f"{stem}_summary.json"), Path(f"{stem}_before_after.png")
    return output / "live.mp4", output / "summary.json", output / "before_after.png"


def check_not_source(args: argparse.Namespace) -> None:
    """SinkError when an output the flags name is the source file or folder itself.

    Compared as files (device and inode when both exist, so hard links and symlinks count),
    else as resolved paths; run before the source or any sink is opened.
    """
    from unpixel.cli_run import same_file
    from unpixel.live.sources import spec_kind

    spec = str(args.source)
    if spec == "sample" or spec.startswith("picamera2") or spec_kind(spec) != "file":
        return
    source = Path(spec)
    outputs = list(_paths(args.output)) if args.output is not None else []
    outputs += [args.frames_dir] if args.frames_dir else []
    for output in outputs:
        if same_file(Path(output), source):
            raise SinkError(
                f"{output} is the source {spec}: writing it would destroy the input; "
                "choose another --output"
            )


def _guard_secrets(args: argparse.Namespace) -> None:
    """Mask ``--token`` and the source URL's password wherever they would be printed."""
    from urllib.parse import urlsplit

    add_secret(args.token)
    with contextlib.suppress(ValueError):  # not a URL urllib splits: redact's pattern holds
        add_secret(urlsplit(str(args.source)).password)


class _Truth(Sink):
    """Sample clip only: how many frames the detection got right against the clip's truth."""

    def __init__(self, clip: Any) -> None:
        self.clip, self.right, self.seen = clip, 0, 0

    def write(self, packet: Packet) -> None:
        truth = self.clip.truth(packet.frame.index).block is not None
        self.right += truth == packet.result.detection.pixelated
        self.seen += 1


def _sinks(args: argparse.Namespace, fps: float | None) -> tuple[list[Sink], dict[str, Any]]:
    """The sinks the flags name (opened in order; closed by the caller on failure)."""
    from unpixel.live.mjpeg import MjpegSink, check_bind, parse_address
    from unpixel.live.sinks import BeforeAfterSink, DisplaySink, FolderSink, VideoFileSink

    serve = parse_address(args.serve) if args.serve else None
    if serve:
        check_bind(serve[0], args.token)  # before anything is opened
    output = args.output
    if output is None and not (args.frames_dir or serve or args.display):
        output = DEFAULT_OUTPUT
    sinks: list[Sink] = []
    where: dict[str, Any] = {}
    try:
        if output is not None:
            video, summary, before_after = _paths(output)
            sinks += [VideoFileSink(video, fps), BeforeAfterSink(before_after)]
            where.update(video=str(video), summary=str(summary), before_after=str(before_after))
        if args.frames_dir:
            sinks.append(FolderSink(args.frames_dir))
            where["frames_dir"] = str(args.frames_dir)
        if serve:
            mjpeg = MjpegSink(*serve, token=args.token, max_clients=args.max_clients)
            sinks.append(mjpeg)
            where["stream"] = mjpeg.url
        if args.display:
            sinks.append(DisplaySink())
    except BaseException:
        for sink in sinks:
            sink.abort()
        raise
    return sinks, where


def live_options(args: argparse.Namespace) -> LiveOptions:
    """The loop's options from the parsed flags (reconnect included)."""
    from unpixel.live.loop import LiveOptions
    from unpixel.live.reconnect import ReconnectOptions

    reconnect = ReconnectOptions(
        attempts=args.reconnect,
        delay_s=args.reconnect_delay,
        max_delay_s=max(DEFAULT.max_delay_s, args.reconnect_delay),
        max_wait_s=args.reconnect_max_wait,
    )
    return LiveOptions(
        max_frames=args.max_frames,
        overlay=args.overlay,
        side_by_side=args.side_by_side,
        reconnect=reconnect,
    )


class _Prefixed(logging.Formatter):
    """``warning: ...`` and ``note: ...``, as the rest of the command line words it."""

    def format(self, record: logging.LogRecord) -> str:
        kind = "note" if record.levelno < logging.WARNING else record.levelname.lower()
        return f"{kind}: {shown(record.getMessage())}"


class _Stderr(logging.Handler):
    """Log lines to stderr through :func:`unpixel.terminal.write`: no error if it is closed."""

    def emit(self, record: logging.LogRecord) -> None:
        write(self.format(record) + "\n", err=True)


@contextlib.contextmanager
def _loop_messages() -> Iterator[None]:
    """Show the live loop's log (loss, reconnect tries, back online) on stderr while it runs."""
    logger = logging.getLogger("unpixel.live")
    handler = _Stderr()
    handler.setFormatter(_Prefixed())
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # once, here, not again by an application's root handler
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def run_live(args: argparse.Namespace) -> int:
    """Run the loop as the flags say; print and write the summary.

    Exit status: 0; 1 when the source failed (outputs finalised all the same) or an output
    is the source (nothing opened); 128 + the signal number when SIGINT, SIGTERM, SIGHUP or
    SIGQUIT stopped it (also after finalising).
    """
    from unpixel.cli_run import pipeline_from
    from unpixel.io import write_atomic
    from unpixel.live.capture import PacedSource
    from unpixel.live.loop import LiveLoop
    from unpixel.live.opening import open_source
    from unpixel.live.processors import PipelineProcessor
    from unpixel.live.sample import SampleSource
    from unpixel.options import RunningMode

    _guard_secrets(args)
    if args.lores and not str(args.source).startswith("picamera2"):
        raise ValueError("--lores is for the picamera2 source")
    check_not_source(args)
    options = live_options(args)
    source = open_source(args.source, size=args.size, frames=args.sample_frames, lores=args.lores)
    try:
        if args.realtime and not source.live:
            source = PacedSource(source)
        sinks, where = _sinks(args, None if source.live else source.fps)
        truth = _Truth(source.clip) if isinstance(source, SampleSource) else None
        mode = RunningMode.LIVE_STREAM if args.mode == "live_stream" else RunningMode.VIDEO
        try:
            processor = PipelineProcessor.for_mode(
                mode, lambda **kw: pipeline_from(args, **kw), lores_gate=args.lores is not None
            )
        except BaseException:
            for sink in sinks:
                sink.abort()
            raise
        if not args.json:
            say(f"unpixel live: {source.name} -> {', '.join(where.values())}")
        with processor, _loop_messages():
            loop = LiveLoop(source, processor, sinks + ([truth] if truth else []), options)
            stats = loop.run()
    finally:
        source.close()
    summary = redact_all(stats.to_dict() | {"mode": args.mode, "outputs": where})
    if truth is not None:
        summary["sample_detection_accuracy"] = round(truth.right / max(1, truth.seen), 4)
    if "summary" in where:
        write_atomic(where["summary"], (json.dumps(summary, indent=1) + "\n").encode())
    _report(summary, args.json)
    if loop.error is not None:
        say(f"error: {loop.error} (outputs finalised with {stats.frames} frames)", err=True)
        return 1
    return loop.interrupt.exit_code


def _report(summary: dict[str, Any], as_json: bool) -> None:
    """The summary on stdout (already redacted; names escaped by :func:`say`)."""
    if as_json:
        write(json.dumps(summary, indent=1) + "\n")  # ASCII: json escapes every other character
        return
    lat, proc = summary["latency_ms"], summary["process_ms"]
    say(
        f"{summary['frames']} frames in {summary['elapsed_s']:.1f} s ({summary['fps']:.1f} FPS), "
        f"dropped {summary['dropped']}, latency p50 {lat['p50']} ms p95 {lat['p95']} ms, "
        f"pipeline p50 {proc['p50']} ms; stopped: {summary['stop_reason']}"
    )
    if summary["reconnect_attempts"]:
        n, tries = summary["reconnects"], summary["reconnect_attempts"]
        say(
            f"reconnected {n} time{'s' * (n != 1)} in {tries} attempt{'s' * (tries != 1)}, "
            f"{summary['offline_s']:.1f} s without frames"
        )
    if "sample_detection_accuracy" in summary:
        say(f"sample clip: detection right on {summary['sample_detection_accuracy']:.0%} of frames")
    for name, value in summary["outputs"].items():
        say(f"  {name}: {value}")
