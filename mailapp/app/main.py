"""The `mailapp` entry point: no sub-command opens the window, sub-commands are the CLI.

`mailapp mailto:...` (how desktops and installers start us for links) opens the window with a
filled composer. Imports: app.cli, core.mailto and (lazily, only for the window) app.gui, so
scripts never load Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence


def _parse_quietly(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | None:
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            return parser.parse_args(argv)
        except SystemExit:
            return None


def main(argv: Sequence[str] | None = None) -> int:
    from mailapp.app.cli import build_parser, run_command
    from mailapp.core.mailto import split_mailto_argument

    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # mailto: link (desktop file `Exec=mailapp %u`, Windows "%1"): argparse would take it for a
    # sub-command, so it is taken out first. If what is left names a command, the link was that
    # command's own argument: parse everything as given.
    mailto, rest = split_mailto_argument(args_list)
    args = _parse_quietly(parser, rest) if mailto else None
    if args is None or getattr(args, "command", None) is not None:
        args, mailto = parser.parse_args(args_list), None
    args.mailto = mailto
    if getattr(args, "command", None) is None:
        from mailapp.app.gui import run_window

        return run_window(args)
    return run_command(args)
