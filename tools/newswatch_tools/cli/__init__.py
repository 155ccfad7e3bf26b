"""`newswatch ...`: the command line. Each sub-command lives in its own module with a
``register(subparsers)`` function; heavy imports happen inside the command, not here."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules under newswatch_tools.cli that add sub-commands, in the order `--help` lists them.
COMMAND_MODULES = (
    "summarize",
    "evaluate",
    "subscriptions",
    "archive",
    "report",
    "backfill",
    "redrive",
    "local",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswatch", description="Summarize news articles and alert on the topics you watch."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"newswatch_tools.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        # The reader went away (`newswatch articles --json | head`): stop quietly, as cat does.
        # Python would report the failed flush of stdout at exit: point it at /dev/null.
        import contextlib
        import os

        # (stdout may be no file descriptor: a captured stream)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command killed by it
    return code


if __name__ == "__main__":
    sys.exit(main())
