"""The command-line interface: one argparse tree, one module per command group.

Each group module exposes `register(subparsers)`; its handlers take the parsed arguments and
return an exit status. Errors from the engine become one plain sentence on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

from mailapp.core.errors import MailAppError

Handler = Callable[[argparse.Namespace], int]

# Command group modules under mailapp.app.cli, in the order `mailapp --help` lists them.
COMMAND_GROUPS: tuple[str, ...] = ("account", "send", "report", "discover", "mail", "store")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailapp",
        description="A desktop email client that tells you whether your mail arrived. "
        "Without a command it opens the window.",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="profile directory (default: $MAILAPP_PROFILE, else the per-user data directory)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument(
        "--language",
        metavar="LANG",
        help="window language, e.g. de or en (default: $MAILAPP_LANGUAGE, else the system's)",
    )
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        importlib.import_module(f"mailapp.app.cli.{group}").register(sub)
    return parser


def configure_logging(verbose: int) -> None:
    """Command-line logging: warnings by default, -v info, -vv debug; always to stderr."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mailapp: %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("mailapp")
    # Replace (not add) our handler, so running several commands in one process (tests)
    # never prints a line twice.
    for old in [h for h in root.handlers if getattr(h, "mailapp_cli", False)]:
        root.removeHandler(old)
    handler.mailapp_cli = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)


def run_command(args: argparse.Namespace) -> int:
    configure_logging(getattr(args, "verbose", 0))
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        build_parser().parse_args([args.command, "--help"])
        return 2
    try:
        return handler(args)
    except MailAppError as exc:
        print(f"mailapp: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
