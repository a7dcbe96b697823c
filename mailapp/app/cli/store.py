"""`mailapp store clean`: give back the disk space of messages nothing refers to any more.

Syncs do this by themselves at most once a day; the command does it now. Output: one line
saying what was freed, or with --json one object {"messages", "packs_removed", "bytes_freed",
"referenced", "seconds"}. Imports: engine.api.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from mailapp.engine.api import Engine


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "store",
        help="look after the local message store",
        description="Maintenance of this profile's message store.",
    )
    actions = parser.add_subparsers(dest="store_command", metavar="ACTION")
    clean = actions.add_parser(
        "clean",
        help="delete the bytes of deleted messages and compact the message packs",
        description="Delete the stored bytes of messages nothing refers to any more (mail "
        "deleted here or on the server, messages removed from the outbox) and rewrite pack "
        "files that became mostly empty. Messages stored within the last hour are kept.",
    )
    clean.add_argument("--json", action="store_true", help="print the result as JSON")
    clean.set_defaults(handler=run_clean)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def run_clean(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    report = asyncio.run(engine.clean_store())
    if args.json:
        print(
            json.dumps(
                {
                    "messages": report.messages,
                    "packs_removed": report.packs_removed,
                    "bytes_freed": report.bytes_freed,
                    "referenced": report.referenced,
                    "seconds": round(report.seconds, 3),
                }
            )
        )
    else:
        print(
            f"Freed {_size(report.bytes_freed)}: {report.messages} message(s) deleted, "
            f"{report.packs_removed} pack file(s) removed; "
            f"{report.referenced} still referenced."
        )
    return 0
