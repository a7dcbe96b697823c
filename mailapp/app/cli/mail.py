"""`mailapp sync|folders|list|show|search|flag|move|delete`: receiving and reading mail.

Message ids are the store's ids (first column of `list` and `search`). `--json` prints JSON
(one document; `sync --watch` prints nothing but progress). Imports: core, engine.api, and
protocols.mime.parse to show a message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import Any

from mailapp.core.errors import ConfigError, MailAppError, TLSError, TransportError
from mailapp.core.model import Account
from mailapp.engine.api import Engine
from mailapp.engine.sync.imap_sync import SyncProgress, SyncReport
from mailapp.protocols.mime.parse import parse_message
from mailapp.store.folders import FolderRow
from mailapp.store.messages import MessageFlag, MessageRow


def register(subparsers: Any) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="fetch new mail and changes from the server into the local store",
        description="Bring accounts up to date in the local store. IMAP: new messages "
        "(headers; recent Inbox bodies too), flag changes, deletions, in every folder. POP3: new "
        "messages into the local Inbox, deleting old ones on the server as the account says.",
    )
    sync.add_argument("--account", metavar="NAME", help="only this account (default: all)")
    sync.add_argument("--folder", action="append", metavar="NAME", help="only this folder")
    sync.add_argument(
        "--watch", action="store_true", help="keep running: wait for new mail (IDLE) until Ctrl-C"
    )
    sync.add_argument(
        "--bodies",
        choices=["all"],
        help="all: also download every message body not yet stored (for offline reading)",
    )
    sync.add_argument("--json", action="store_true", help="print the result as JSON")
    sync.set_defaults(handler=run_sync)

    folders = subparsers.add_parser("folders", help="list the folders in the local store")
    folders.add_argument("--account", metavar="NAME", help="only this account")
    folders.add_argument("--json", action="store_true", help="print JSON")
    folders.set_defaults(handler=run_folders)

    listing = subparsers.add_parser("list", help="list the messages of a folder, newest first")
    listing.add_argument("folder", nargs="?", default="INBOX", metavar="FOLDER")
    listing.add_argument("--account", metavar="NAME", help="the account (needed if several)")
    listing.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (50)")
    listing.add_argument("--offset", type=int, default=0, metavar="N", help="skip N first")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = subparsers.add_parser(
        "show", help="show one message (its body is fetched if not stored yet)"
    )
    show.add_argument("id", type=int, metavar="ID", help="message id from `list` or `search`")
    show.add_argument("--raw", action="store_true", help="write the message's exact bytes")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    search = subparsers.add_parser(
        "search",
        help="search the stored mail",
        description='Search the local store. Words and "phrases", from:, to:, subject:, '
        "before:YYYY-MM-DD, after:YYYY-MM-DD, has:attachment, is:unread, is:read, is:flagged.",
    )
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--account", metavar="NAME", help="only this account")
    search.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (50)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=run_search)

    flag = subparsers.add_parser(
        "flag",
        help="set or clear flags (seen, flagged, answered, ...) of messages",
        description="Change flags here at once and on the server right after (or at the next "
        "sync when it cannot be reached).",
    )
    flag.add_argument("ids", type=int, nargs="+", metavar="ID")
    flag.add_argument("--set", action="append", default=[], metavar="FLAG", dest="add")
    flag.add_argument("--clear", action="append", default=[], metavar="FLAG", dest="remove")
    _change_options(flag)
    flag.set_defaults(handler=run_flag)

    move = subparsers.add_parser("move", help="move messages to another folder")
    move.add_argument("ids", type=int, nargs="+", metavar="ID")
    move.add_argument("--to", required=True, metavar="FOLDER", help="the target folder")
    _change_options(move)
    move.set_defaults(handler=run_move)

    delete = subparsers.add_parser(
        "delete", help="delete messages (into the Trash when the account has one)"
    )
    delete.add_argument("ids", type=int, nargs="+", metavar="ID")
    _change_options(delete)
    delete.set_defaults(handler=run_delete)


def _change_options(parser: Any) -> None:
    parser.add_argument(
        "--offline", action="store_true", help="only change the local store; send at next sync"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


# --- helpers -----------------------------------------------------------------------------------


def _sync_accounts(engine: Engine, name: str | None) -> list[Account]:
    """The named account, else every account (IMAP and POP3 alike)."""
    if name is not None:
        return [engine.get_account(name)]
    accounts = engine.list_accounts()
    if not accounts:
        raise ConfigError(
            "There is no account in this profile.", hint="Add one with `mailapp account add`."
        )
    return accounts


def _one_account(engine: Engine, name: str | None) -> str:
    if name is not None:
        return engine.get_account(name).name
    accounts = engine.list_accounts()
    if len(accounts) == 1:
        return accounts[0].name
    if not accounts:
        raise ConfigError("There is no account in this profile.")
    raise ConfigError(
        "This profile has several accounts.",
        hint="Say which with --account (" + ", ".join(a.name for a in accounts) + ").",
    )


def _flag_letters(flags: MessageFlag) -> str:
    return (
        ("N" if MessageFlag.SEEN not in flags else "-")
        + ("F" if MessageFlag.FLAGGED in flags else "-")
        + ("A" if MessageFlag.ANSWERED in flags else "-")
    )


def _flag_names(flags: MessageFlag) -> list[str]:
    return [f.name.lower() for f in MessageFlag if f and f.name and f in flags]


def message_json(row: MessageRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "folder_id": row.folder_id,
        "uid": row.uid,
        "date": row.date.isoformat(),
        "from_name": row.from_name,
        "from": row.from_addr,
        "to": row.to,
        "cc": row.cc,
        "subject": row.subject,
        "size": row.size,
        "flags": _flag_names(row.flags),
        "keywords": list(row.keywords),
        "message_id": row.message_id,
        "has_attachment": row.has_attachment,
        "body_stored": row.body_hash is not None,
        "preview": row.preview,
    }


def folder_json(row: FolderRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "account": row.account,
        "name": row.name,
        "role": row.role.value if row.role else None,
        "total": row.total,
        "unread": row.unread,
        "selectable": row.selectable,
        "uidvalidity": row.uidvalidity,
        "uidnext": row.uidnext,
        "highestmodseq": row.highestmodseq,
    }


def _message_line(row: MessageRow) -> str:
    sender = row.from_name or row.from_addr
    return (
        f"{row.id:>7}  {row.date.astimezone():%Y-%m-%d %H:%M}  {_flag_letters(row.flags)}  "
        f"{sender[:28]:<28}  {row.subject}"
    )


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _report_json(report: SyncReport) -> dict[str, Any]:
    return {
        "account": report.account,
        "new": report.new,
        "reconnects": report.reconnects,
        "folders": [
            {
                "folder": f.folder,
                "new": f.new,
                "updated": f.updated,
                "expunged": f.expunged,
                "bodies": f.bodies,
                "reset": f.reset,
                "error": f.error,
            }
            for f in report.folders
        ],
    }


def _progress_printer(verbose: bool) -> Any:
    def show(step: SyncProgress) -> None:
        if not verbose and step.phase not in ("reconnect",):
            return
        amount = f" {step.done}/{step.total}" if step.total else ""
        where = f"{step.account}/{step.folder}" if step.folder else step.account
        print(f"{where}: {step.phase}{amount}", file=sys.stderr)

    return show


# --- commands ----------------------------------------------------------------------------------


def run_sync(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    accounts = _sync_accounts(engine, args.account)
    progress = _progress_printer(getattr(args, "verbose", 0) > 0)
    if args.watch:
        return _watch(engine, accounts, progress)
    if getattr(args, "bodies", None) == "all":
        reports = [
            asyncio.run(engine.download_bodies(a.name, args.folder, progress)) for a in accounts
        ]
    else:
        reports = [
            asyncio.run(engine.sync_account(a.name, progress, folders=args.folder))
            for a in accounts
        ]
    if args.json:
        _print_json([_report_json(r) for r in reports])
    else:
        for report in reports:
            for f in report.folders:
                line = (
                    f"{report.account}/{f.folder}: {f.new} new, {f.updated} changed, "
                    f"{f.expunged} removed"
                )
                if f.bodies:
                    line += f", {f.bodies} bodies downloaded"
                if f.reset:
                    line += " (folder was reset on the server; resynced)"
                if f.error:
                    line += f" - failed: {f.error}"
                print(line)
    return 1 if any(r.errors for r in reports) else 0


def _watch(engine: Engine, accounts: list[Account], progress: Any) -> int:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Windows' event loops have no signal handlers: Ctrl+C then ends the watch with
            # KeyboardInterrupt instead of a clean stop.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await asyncio.gather(
            *(engine.watch_account(a.name, stop, progress) for a in accounts),
            _send_outbox(engine, accounts, stop),
        )

    asyncio.run(main())
    return 0


# How often `sync --watch` sends what is due in the outbox (queued, or deferred until now).
OUTBOX_SECONDS = 30.0


async def _send_outbox(engine: Engine, accounts: list[Account], stop: asyncio.Event) -> None:
    """Send the watched accounts' due outbox messages now and every OUTBOX_SECONDS, so mail
    queued with `mailapp send --no-wait` or deferred goes out while the watch runs."""
    while not stop.is_set():
        for account in accounts:
            try:
                report = await engine.run_outbox_once(account.name)
            except MailAppError as exc:
                print(f"{account.name}: sending the outbox failed: {exc}", file=sys.stderr)
                continue
            if report.attempted:
                print(
                    f"{account.name}: outbox: {len(report.accepted)} sent, "
                    f"{len(report.deferred)} deferred, {len(report.failed)} failed, "
                    f"{len(report.uncertain)} uncertain",
                    file=sys.stderr,
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), OUTBOX_SECONDS)


def run_folders(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    if args.account is not None:
        engine.get_account(args.account)
    rows = asyncio.run(engine.list_folders(args.account))
    if args.json:
        _print_json([folder_json(r) for r in rows])
        return 0
    for row in rows:
        role = f" [{row.role.value}]" if row.role else ""
        print(f"{row.account}/{row.name}{role}  {row.total} messages, {row.unread} unread")
    return 0


def run_list(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    account = _one_account(engine, args.account)
    if args.limit < 0 or args.offset < 0:
        raise ConfigError("--limit and --offset must not be negative.")
    rows = asyncio.run(
        engine.list_messages(account, args.folder, limit=args.limit, offset=args.offset)
    )
    if args.json:
        _print_json([message_json(r) for r in rows])
        return 0
    for row in rows:
        print(_message_line(row))
    return 0


def run_show(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)

    async def load() -> tuple[MessageRow, bytes]:
        raw = await engine.get_raw(args.id)
        return await engine.get_message(args.id), raw

    row, raw = asyncio.run(load())
    if args.raw:
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return 0
    parsed = parse_message(raw)
    if args.json:
        data = message_json(row)
        data["text"] = parsed.text
        data["attachments"] = [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in parsed.attachments
        ]
        _print_json(data)
        return 0

    def addresses(items: Any) -> str:
        return ", ".join(f"{a.name} <{a.addr}>" if a.name else a.addr for a in items)

    print(f"From:    {addresses(parsed.from_)}")
    if parsed.to:
        print(f"To:      {addresses(parsed.to)}")
    if parsed.cc:
        print(f"Cc:      {addresses(parsed.cc)}")
    print(f"Date:    {row.date.astimezone():%Y-%m-%d %H:%M %z}")
    print(f"Subject: {parsed.subject}")
    for attachment in parsed.attachments:
        print(f"Attachment: {attachment.filename or attachment.safe_name} ({attachment.size} B)")
    print()
    print(parsed.text)
    return 0


def run_search(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    if args.account is not None:
        engine.get_account(args.account)
    rows = asyncio.run(engine.search(args.query, account=args.account, limit=args.limit))
    if args.json:
        _print_json([message_json(r) for r in rows])
        return 0
    for row in rows:
        print(_message_line(row))
    return 0


# --- changes -----------------------------------------------------------------------------------


def _finish_change(engine: Engine, args: argparse.Namespace, changed: int) -> int:
    sent = 0
    queued = False
    error = None
    if not args.offline:

        async def replay() -> int:
            total = 0
            for account in await engine.pending_change_accounts():
                total += await engine.replay_changes(account)
            return total

        try:
            sent = asyncio.run(replay())
        except (TransportError, TLSError) as exc:
            queued, error = True, str(exc)
    else:
        queued = True
    if args.json:
        _print_json({"changed": changed, "sent": sent, "queued": queued, "error": error})
    else:
        print(f"{changed} message(s) changed here", end="")
        if queued:
            print(
                "; the server gets the change at the next sync" + (f" ({error})" if error else "")
            )
        else:
            print(f"; {sent} change(s) sent to the server")
    return 0


def run_flag(args: argparse.Namespace) -> int:
    if not args.add and not args.remove:
        raise ConfigError("Say which flags to change with --set FLAG and/or --clear FLAG.")
    engine = Engine.open(args.profile)
    changed = asyncio.run(engine.flag_messages(args.ids, add=args.add, remove=args.remove))
    return _finish_change(engine, args, changed)


def run_move(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    changed = asyncio.run(engine.move_messages(args.ids, args.to))
    return _finish_change(engine, args, changed)


def run_delete(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    changed = asyncio.run(engine.delete_messages(args.ids))
    return _finish_change(engine, args, changed)
