"""The ``unpixel`` command line. Each subcommand imports what it needs when it runs.

The export-side commands (``eval``, ``train``, ``export``, ``data``) live in the
``unpixel_export`` package; :data:`EXPORT_COMMANDS` is the one place that names them. The
runtime never imports that package at import time: :func:`build_parser` looks for it and
for the packages each command needs (``importlib.util.find_spec``, which imports nothing)
and only then imports the command's ``add_arguments``. Without them the command is still
listed, and it and its ``--help`` print one line naming the extra to install
(:class:`~unpixel.errors.MissingExtraError`) and exit with status 1, like every
:class:`~unpixel.errors.UnpixelError`: the command line is right, the install lacks a part.

Exit status: 0 done; 1 a failure of the world (:class:`~unpixel.errors.UnpixelError`, an
``OSError``), or, for ``detect`` and ``restore``, some inputs failed (each has its
``error:`` line; every other input was done and written); 2 a bad command line or argument
(``ValueError``); 128 + N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP, 131
SIGQUIT; outputs finalised); 141 stdout closed by its reader (``unpixel detect DIR | head
-1``: detect stops; ``restore`` goes on writing every output and keeps its own status).

``-q`` / ``--quiet`` leaves only ``error:`` lines on stderr (no progress, notes or warnings);
``-v`` / ``--verbose`` adds ``debug:`` lines (the unpixel loggers at DEBUG, versions, the
command's time). Both go before or after the command (``unpixel -q detect`` or ``unpixel
detect -q``). docs/cli.md lists the exit statuses and the conventions.

Everything printed goes through :mod:`unpixel.terminal` (names escaped, secrets masked,
unencodable characters escaped) and no traceback reaches the user: warnings are one line, a
closed stdout is no ``BrokenPipeError``, LiteRT's destructor errors are not shown.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unpixel.errors import MissingExtraError, UnpixelError
from unpixel.redact import forget_secrets
from unpixel.terminal import NORMAL, QUIET, VERBOSE, LineHandler, cli_output, say, set_verbosity

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_UNREAD = 130, 141

_PENDING: dict[str, tuple[str, str]] = {}


@dataclass(frozen=True)
class ExtraCommand:
    """A subcommand implemented in an optional package.

    Attributes:
        name: the subcommand (``unpixel NAME``).
        help: its one-line help.
        module: the module with ``add_arguments(parser)`` and ``run(args) -> int``.
        needs: top-level packages it needs besides the module's own package.
        extra: the extra that installs them (``pip install 'unpixel[EXTRA]'``).

    """

    name: str
    help: str
    module: str
    needs: tuple[str, ...] = ()
    extra: str = "export"

    def missing(self) -> str | None:
        """The first package the command needs that is not installed, or None."""
        for package in (self.module.partition(".")[0], *self.needs):
            if not _installed(package):
                return package
        return None


_TENSORFLOW = ("tensorflow", "keras")
EXPORT_COMMANDS = (
    ExtraCommand("eval", "quality report on clean photos", "unpixel_export.eval_cli", _TENSORFLOW),
    ExtraCommand(
        "train", "train a classifier or restorer", "unpixel_export.train_cli", _TENSORFLOW
    ),
    ExtraCommand(
        "export",
        "export to TFLite and ONNX",
        "unpixel_export.export_cli",
        (*_TENSORFLOW, "tf2onnx", "onnx"),
    ),
    ExtraCommand("data", "gather the photo corpus", "unpixel_export.data_cli"),
)
"""The export-side commands, in the order ``unpixel --help`` lists them."""


def _installed(package: str) -> bool:
    """Whether a top-level package can be imported, without importing it."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a finder refused it, or a half-imported module
        return False


def _cmd_detect(args: argparse.Namespace) -> int:
    from unpixel.cli_run import run_detect

    return run_detect(args)


def _cmd_restore(args: argparse.Namespace) -> int:
    from unpixel.cli_run import run_restore
    from unpixel.distributed import run_cli  # --ray: the same work on a Ray cluster

    return run_cli(args) if args.ray is not None else run_restore(args)


def _cmd_live(args: argparse.Namespace) -> int:
    from unpixel.live.cli_live import run_live

    return run_live(args)


def _cmd_bench(args: argparse.Namespace) -> int:
    from unpixel.bench.cli_bench import run_bench_command

    return run_bench_command(args)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from unpixel.doctor import run_doctor

    return run_doctor(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from unpixel.demo import run_demo

    summary = run_demo(args.output)
    return EXIT_OK if summary["correct"] == summary["cases"] else EXIT_FAIL


def _pending(name: str, owner: str) -> Callable[[argparse.Namespace], int]:
    def run(_: argparse.Namespace) -> int:
        say(f"unpixel {name}: not built yet (owned by {owner})", err=True)
        return EXIT_USAGE

    return run


def _run_module(module: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return int(importlib.import_module(module).run(args))

    return run


def _needs_extra(command: ExtraCommand, package: str) -> Callable[[argparse.Namespace], int]:
    def run(_: argparse.Namespace) -> int:
        raise MissingExtraError(package, command.extra, needed_by=f"unpixel {command.name}")

    return run


def add_extra_command(sub: Any, command: ExtraCommand) -> None:
    """Register an export-side command: its own arguments, or a stub naming the extra.

    Args:
        sub: the subparsers of the ``unpixel`` parser (``parser.add_subparsers()``).
        command: the command to register.

    """
    missing = command.missing()
    if missing is None:
        try:
            module = importlib.import_module(command.module)  # argument definitions only
        except ImportError as exc:
            missing = exc.name or command.module
        else:
            p = sub.add_parser(command.name, help=f"{command.help} ({command.extra} extra)")
            module.add_arguments(p)
            p.set_defaults(func=_run_module(command.module))
            return
    # No option of its own (not even -h): every argument, --help included, ends in the stub.
    p = sub.add_parser(
        command.name,
        help=f"{command.help} ({command.extra} extra, not installed)",
        add_help=False,
        prefix_chars="\0",
    )
    p.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    p.set_defaults(func=_needs_extra(command, missing))


def add_verbosity_arguments(p: argparse.ArgumentParser, default: Any = NORMAL) -> None:
    """Add ``-q`` / ``--quiet`` and ``-v`` / ``--verbose`` (one of them) to a parser.

    Args:
        p: the parser.
        default: the value of ``args.verbosity`` when neither is given
            (``argparse.SUPPRESS`` on a subcommand: the top level's value stands).

    """
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=QUIET,
        default=default,
        help="only errors on stderr: no progress bar, notes or warnings",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=VERBOSE,
        default=default,
        help="debug lines on stderr: versions, debug logging, the command's time",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from unpixel import __version__

    parser = argparse.ArgumentParser(
        prog="unpixel",
        description="Detect pixelation in images and camera feeds and remove it.",
        epilog="Exit status: 0 done, 1 failed (or some inputs failed), 2 bad command line, "
        "128+N stopped by signal N (130 Ctrl-C), 141 stdout closed. See docs/cli.md.",
    )
    parser.add_argument(
        "--version", action="version", version=f"unpixel {__version__}", help="print the version"
    )
    add_verbosity_arguments(parser)
    common = argparse.ArgumentParser(add_help=False)
    add_verbosity_arguments(common, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_parser = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        if kw.get("add_help", True):  # not the stubs of missing extras: they take no option
            kw.setdefault("parents", [common])
        return _add_parser(name, **kw)

    sub.add_parser = add_parser  # every subcommand takes -q / -v after its name too

    from unpixel.cli_run import add_detect_arguments, add_model_arguments, add_restore_arguments
    from unpixel.distributed import add_cli_arguments as add_ray_arguments

    p = sub.add_parser("detect", help="is it pixelated? score, block size, phase")
    add_detect_arguments(p)
    p.set_defaults(func=_cmd_detect)

    p = sub.add_parser("restore", help="remove pixelation from images, folders and videos")
    add_restore_arguments(p)
    add_ray_arguments(p)
    p.set_defaults(func=_cmd_restore)

    p = sub.add_parser("live", help="clean a camera feed, stream or the sample clip in real time")
    from unpixel.live.cli_live import add_arguments as add_live_arguments

    add_live_arguments(p)
    add_model_arguments(p)
    p.set_defaults(func=_cmd_live)

    p = sub.add_parser("bench", help="latency, memory and FPS tables; --json, --plot")
    from unpixel.bench.cli_bench import add_arguments as add_bench_arguments

    add_bench_arguments(p)
    p.set_defaults(func=_cmd_bench)

    for name, (text, owner) in _PENDING.items():
        q = sub.add_parser(name, help=f"{text} (not built yet)")
        q.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        q.set_defaults(func=_pending(name, owner))

    for command in EXPORT_COMMANDS:
        add_extra_command(sub, command)

    p = sub.add_parser(
        "doctor", help="what a bug report needs; exit 1 when the default pipeline cannot run"
    )
    from unpixel.doctor import add_arguments as add_doctor_arguments

    add_doctor_arguments(p)
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("demo", help="the main job on the bundled sample")
    p.add_argument(
        "--output",
        type=Path,
        default=Path("out/demo"),
        help="folder for the sheet, restored images and summary.json (default out/demo)",
    )
    p.set_defaults(func=_cmd_demo)
    return parser


def _speak(verbosity: int) -> logging.Handler | None:
    """Apply ``-q`` / ``-v``; with ``-v``, the unpixel loggers' records go to stderr."""
    set_verbosity(verbosity)
    if verbosity < VERBOSE:
        return None
    import platform

    from unpixel import __version__

    handler = LineHandler()
    logger = logging.getLogger("unpixel")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    say(
        f"debug: unpixel {__version__}, Python {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}",
        err=True,
    )
    return handler


def _quiet_down(handler: logging.Handler | None) -> None:
    if handler is not None:
        logger = logging.getLogger("unpixel")
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``unpixel`` console script; returns the exit status."""
    with cli_output():
        try:
            args = build_parser().parse_args(argv)
        except BrokenPipeError:  # --help | head -1
            say()  # marks stdout closed, so the exit flush does not fail either
            return EXIT_OK
        handler, start = _speak(getattr(args, "verbosity", NORMAL)), time.monotonic()
        try:
            return int(args.func(args))
        except UnpixelError as exc:
            say(f"error: {exc}", err=True)
            return EXIT_FAIL
        except ValueError as exc:
            say(f"error: {exc}", err=True)
            return EXIT_USAGE
        except BrokenPipeError:  # a print outside unpixel.terminal met a closed stdout
            say()  # fails the same way, which points stdout at /dev/null for the exit flush
            return EXIT_UNREAD
        except OSError as exc:
            say(f"error: {exc}", err=True)
            return EXIT_FAIL
        except KeyboardInterrupt:
            say("interrupted", err=True)
            return EXIT_INTERRUPTED
        finally:
            if handler is not None:
                say(f"debug: unpixel {args.command}: {time.monotonic() - start:.2f} s", err=True)
            _quiet_down(handler)
            forget_secrets()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
