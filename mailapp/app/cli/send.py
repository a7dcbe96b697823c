"""`mailapp send`, `mailapp outbox [run|retry|delete]`, `mailapp status [MESSAGE-ID]`.

`send` stores the message in the outbox first (nothing is lost from then on), then sends it
and waits until the server accepted or refused each recipient. With --no-wait it only stores
it and starts `mailapp outbox run` in the background, which sends it and exits; a message
that could not go out stays in the outbox (`mailapp outbox`) and is tried again by the next
`mailapp outbox run`, `mailapp send`, or the window.

Exit status of `send` and `outbox run`: 0 when the server took every message for every
recipient, 75 (EX_TEMPFAIL) when something waits in the outbox for another try, 1 when a
recipient failed or the outcome is uncertain. `--json` prints one JSON document.

Imports: core, engine.api.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from mailapp.core.delivery import (
    DeliveryEvent,
    DeliveryState,
    OutboxState,
    ReadState,
    RecipientStatus,
)
from mailapp.core.draft import (
    Attachment,
    DeliveryOptions,
    Draft,
    Mailbox,
    Notify,
    parse_mailbox_list,
)
from mailapp.core.errors import ConfigError, InvalidDraftError
from mailapp.engine.api import (
    DeliveryStatus,
    Engine,
    IngestResult,
    SendProgress,
    SendResult,
    SendStage,
    SentSummary,
    WorkerReport,
)
from mailapp.store.outbox import OutboxEntry

EX_TEMPFAIL = 75
_FAILED_STATES = (OutboxState.FAILED, OutboxState.UNCERTAIN)


def register(subparsers: Any) -> None:
    _register_send(subparsers)
    _register_outbox(subparsers)
    _register_status(subparsers)


def _register_send(subparsers: Any) -> None:
    send = subparsers.add_parser(
        "send",
        help="send a message and wait for the server's answer per recipient",
        description="Compose a message, store it in the outbox, send it, and print what the "
        "server said for each recipient. Delivery reports are asked for when the server "
        "offers them; `mailapp status MESSAGE-ID` shows what became of the message.",
        epilog="Exit status: 0 sent, 75 waiting in the outbox for another try, 1 failed or "
        "uncertain.",
    )
    send.add_argument("--account", metavar="NAME", help="send from this account")
    send.add_argument("--to", action="append", default=[], metavar="ADDR", help="recipient")
    send.add_argument("--cc", action="append", default=[], metavar="ADDR", help="copy to")
    send.add_argument(
        "--bcc", action="append", default=[], metavar="ADDR", help="blind copy (not shown)"
    )
    send.add_argument("--subject", required=True, metavar="TEXT")
    body = send.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", metavar="TEXT", help="the text of the message")
    body.add_argument("--body-file", metavar="FILE", help="read the text from FILE (- for stdin)")
    send.add_argument("--html-file", metavar="FILE", help="an HTML version of the text")
    send.add_argument("--attach", action="append", default=[], metavar="FILE", help="attach a file")
    send.add_argument(
        "--notify",
        metavar="WHEN",
        help="delivery reports wanted: a list of success,failure,delay (default: all), or never",
    )
    send.add_argument(
        "--no-reports",
        action="store_true",
        help="ask for no delivery reports at all (no DSN parameters)",
    )
    send.add_argument(
        "--read-receipt", action="store_true", help="ask the recipients for a read receipt"
    )
    send.add_argument(
        "--no-wait",
        action="store_true",
        help="store the message and return; a background `mailapp outbox run` sends it",
    )
    send.add_argument("--json", action="store_true", help="print JSON")
    send.set_defaults(handler=run_send)


def _register_outbox(subparsers: Any) -> None:
    outbox = subparsers.add_parser(
        "outbox",
        help="messages not (yet) taken by the server, with the reason; retry or delete them",
        description="Without an action: list every queued, deferred, failed or uncertain "
        "message with its last server reply and next try.",
    )
    outbox.add_argument("--account", metavar="NAME", help="only this account")
    outbox.add_argument("--json", action="store_true", help="print JSON")
    outbox.set_defaults(handler=run_outbox_list)
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    run = actions.add_parser("run", help="send every message that is due now")
    run.add_argument("--account", metavar="NAME", help="only this account")
    run.add_argument("--quiet", action="store_true", help="print nothing")
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(handler=run_outbox_run)
    retry = actions.add_parser(
        "retry", help="send a message again now (also one whose outcome is uncertain)"
    )
    retry.add_argument("id", type=int, metavar="ID", help="the id `mailapp outbox` shows")
    retry.add_argument("--no-wait", action="store_true", help="only queue it")
    retry.add_argument("--json", action="store_true", help="print JSON")
    retry.set_defaults(handler=run_outbox_retry)
    delete = actions.add_parser("delete", help="remove a message from the outbox")
    delete.add_argument("id", type=int, metavar="ID")
    delete.add_argument("--json", action="store_true", help="print JSON")
    delete.set_defaults(handler=run_outbox_delete)


def _register_status(subparsers: Any) -> None:
    status = subparsers.add_parser(
        "status",
        help="what became of sent messages, per recipient, with the evidence",
        description="With a Message-ID: each recipient's state and latest evidence (time, "
        "source smtp|dsn|mdn|bounce, status code, the server's words, reporting host). "
        "Without: the recent sent messages with their delivery summary.",
    )
    status.add_argument("message_id", nargs="?", metavar="MESSAGE-ID")
    status.add_argument("--account", metavar="NAME", help="only this account (list)")
    status.add_argument("--limit", type=int, default=20, metavar="N", help="at most N (20)")
    status.add_argument("--timeline", action="store_true", help="every event, not only the last")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=run_status)


# --- send ------------------------------------------------------------------------------------


def _read_text(name: str, what: str) -> str:
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read the {what} {name}: {exc.strerror or exc}.") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDraftError(f"The {what} {name} is not UTF-8 text.") from exc


def _mailboxes(values: list[str]) -> tuple[Mailbox, ...]:
    return tuple(m for value in values for m in parse_mailbox_list(value))


def _notify(text: str | None) -> frozenset[Notify] | None:
    if text is None:
        return None
    kinds = set()
    for part in text.split(","):
        word = part.strip().lower()
        try:
            kinds.add(Notify(word))
        except ValueError:
            raise ConfigError(
                f"{word!r} is not a kind of delivery report.",
                hint="Use a list of success, failure, delay; or never.",
            ) from None
    return frozenset(kinds)


def _account_name(engine: Engine, name: str | None) -> str:
    if name is not None:
        return engine.get_account(name).name
    accounts = engine.list_accounts()
    if len(accounts) == 1:
        return accounts[0].name
    if not accounts:
        raise ConfigError("There is no account yet.", hint="Add one with `mailapp account add`.")
    raise ConfigError(
        "There are several accounts; say which one sends.",
        hint="Add --account NAME (`mailapp account list` shows them).",
    )


def build_draft(engine: Engine, account_name: str, args: argparse.Namespace) -> Draft:
    account = engine.get_account(account_name)
    to, cc, bcc = _mailboxes(args.to), _mailboxes(args.cc), _mailboxes(args.bcc)
    if not (to or cc or bcc):
        raise InvalidDraftError("The message has no recipient.", hint="Add --to ADDRESS.")
    text = args.body if args.body is not None else _read_text(args.body_file, "text file")
    html = _read_text(args.html_file, "HTML file") if args.html_file else None
    notify = _notify(args.notify)
    return Draft(
        from_=Mailbox(account.email, account.display_name),
        to=to,
        cc=cc,
        bcc=bcc,
        subject=args.subject,
        text_body=text,
        html_body=html,
        attachments=tuple(Attachment.from_path(path) for path in args.attach),
        read_receipt=args.read_receipt,
        delivery=DeliveryOptions(notify=notify) if notify is not None else DeliveryOptions(),
    )


def run_send(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    account = _account_name(engine, args.account)
    draft = build_draft(engine, account, args)
    request_dsn = False if args.no_reports else None
    progress = None if args.json else _progress_printer()
    result = asyncio.run(
        engine.send(
            account, draft, request_dsn=request_dsn, wait=not args.no_wait, progress=progress
        )
    )
    if args.no_wait:
        start_background_run(engine)
    if args.json:
        print(json.dumps(send_result_json(result), ensure_ascii=False, indent=2))
    else:
        for line in send_result_lines(result, waited=not args.no_wait):
            print(line)
    return exit_status(result.state, result.recipients)


def start_background_run(engine: Engine) -> None:
    """`mailapp outbox run` in its own session, detached: it sends and exits."""
    program = (
        [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "mailapp"]
    )
    subprocess.Popen(
        [*program, "--profile", str(engine.profile.root), "outbox", "run", "--quiet"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _progress_printer() -> Any:
    def show(step: SendProgress) -> None:
        if step.stage is SendStage.CONNECTING:
            print(f"... {step.detail}", file=sys.stderr, flush=True)

    return show


def exit_status(state: OutboxState, recipients: tuple[RecipientStatus, ...] | list[Any]) -> int:
    if state in _FAILED_STATES or any(r.state is DeliveryState.FAILED for r in recipients):
        return 1
    if state is OutboxState.SENT:
        return 0
    return EX_TEMPFAIL


def send_result_lines(result: SendResult, *, waited: bool) -> list[str]:
    lines = [f"Message-ID: {result.message_id}"]
    if not waited:
        lines.append(
            f"Stored in the outbox as {result.outbox_id}; it is being sent in the background "
            "(`mailapp outbox` shows it until the server took it)."
        )
        return lines
    lines.append(_state_sentence(result.state, result.last_error, result.next_attempt_at))
    if result.state is OutboxState.SENT and result.dsn_offered is False:
        lines.append("This server gives no delivery reports; the states stop at accepted.")
    lines.extend(_recipient_lines(result.recipients, timeline=False))
    return lines


def _state_sentence(state: OutboxState, error: str | None, next_at: datetime | None) -> str:
    if state is OutboxState.SENT:
        return "The server took the message."
    if state is OutboxState.DEFERRED:
        when = f"; next try at {_time(next_at)}" if next_at else ""
        return f"Not sent yet: {error}{when}. It stays in the outbox."
    if state is OutboxState.FAILED:
        return f"Not sent: {error}"
    if state is OutboxState.UNCERTAIN:
        return (
            f"Uncertain: {error} It is not sent again unless you say so "
            "(`mailapp outbox retry ID`)."
        )
    return f"State: {state} {error or ''}".rstrip()


# --- outbox ----------------------------------------------------------------------------------


def run_outbox_list(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    entries = asyncio.run(engine.outbox_entries(args.account))
    if args.json:
        print(json.dumps([entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print("The outbox is empty.")
        return 0
    for entry in entries:
        print(
            f"{entry.id}  {entry.state}  {entry.account}  {entry.message_id}  "
            f"{entry.subject or '(no subject)'}"
        )
        print(f"    queued {_time(entry.queued_at)}, {entry.attempts} attempt(s)", end="")
        if entry.next_attempt_at is not None and entry.state in (
            OutboxState.QUEUED,
            OutboxState.DEFERRED,
        ):
            print(f", next try {_time(entry.next_attempt_at)}", end="")
        print()
        if entry.last_error:
            print(f"    reason: {entry.last_error}")
        if entry.last_reply:
            code = f"{entry.last_reply_code} " if entry.last_reply_code else ""
            print(f"    last reply: {code}{entry.last_reply}")
        for r in entry.recipients:
            print(f"    {r.address}  {r.state}" + (f"  {r.diagnostic}" if r.diagnostic else ""))
    return 0


def run_outbox_run(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    report = asyncio.run(engine.run_outbox_once(args.account))
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    elif not args.quiet:
        print(
            f"Sent {len(report.accepted)}, deferred {len(report.deferred)}, failed "
            f"{len(report.failed)}, uncertain {len(report.uncertain)}."
        )
    if report.failed or report.uncertain:
        return 1
    return EX_TEMPFAIL if report.deferred else 0


def run_outbox_retry(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)

    async def retry() -> SendResult:
        entry = await engine.retry_outbox(args.id)
        if not args.no_wait:
            await engine.sending.wait_for(entry.id)
        return await engine.sending.result(entry.id)

    result = asyncio.run(retry())
    if args.json:
        print(json.dumps(send_result_json(result), ensure_ascii=False, indent=2))
    elif args.no_wait:
        print(f"Queued {result.message_id} again.")
    else:
        for line in send_result_lines(result, waited=True):
            print(line)
    return 0 if args.no_wait else exit_status(result.state, result.recipients)


def run_outbox_delete(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    deleted = asyncio.run(engine.delete_outbox(args.id))
    if args.json:
        print(json.dumps({"id": args.id, "deleted": deleted}))
    elif deleted:
        print(f"Deleted outgoing message {args.id}.")
    else:
        print(f"mailapp: there is no outgoing message {args.id}", file=sys.stderr)
    return 0 if deleted else 1


# --- status ----------------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    if args.message_id:
        status = asyncio.run(engine.delivery_status(args.message_id))
        if args.json:
            print(json.dumps(status_json(status), ensure_ascii=False, indent=2))
        else:
            for line in status_lines(status, timeline=args.timeline):
                print(line)
        return 0
    sent = asyncio.run(engine.recent_sent(args.limit, args.account))
    if args.json:
        print(json.dumps([sent_json(s) for s in sent], ensure_ascii=False, indent=2))
        return 0
    if not sent:
        print("Nothing sent yet.")
        return 0
    for item in sent:
        print(recent_line(item))
    return 0


def recent_line(item: SentSummary) -> str:
    entry = item.entry
    return (
        f"{_time(entry.sent_at or entry.queued_at)}  {item.summary.label:<16}  "
        f"{entry.message_id}  {entry.subject or '(no subject)'}"
    )


def status_lines(status: DeliveryStatus, *, timeline: bool = False) -> list[str]:
    entry = status.entry
    lines = [
        f"{entry.message_id}  {status.summary.label}",
        f"  Subject: {entry.subject or '(no subject)'}",
        f"  Account: {entry.account}   Queued: {_time(entry.queued_at)}"
        + (f"   Sent: {_time(entry.sent_at)}" if entry.sent_at else ""),
    ]
    if entry.smtp_host:
        offered = {True: "offers", False: "gives no", None: "?"}[entry.dsn_offered]
        lines.append(f"  Server: {entry.smtp_host} ({offered} delivery reports)")
    if entry.state is not OutboxState.SENT:
        lines.append("  " + _state_sentence(entry.state, entry.last_error, entry.next_attempt_at))
    if status.summary.reports_unavailable:
        lines.append("  This server gives no delivery reports; the states stop at accepted.")
    lines.extend(_recipient_lines(status.recipients, timeline=timeline))
    return lines


def _recipient_lines(recipients: tuple[RecipientStatus, ...], *, timeline: bool) -> list[str]:
    lines: list[str] = []
    width = max((len(r.address) for r in recipients), default=0)
    for r in recipients:
        read = f"  read: {r.read_state}" if r.read_state is not ReadState.NONE else ""
        kind = f" ({r.kind})" if r.kind.value != "to" else ""
        lines.append(f"  {r.address:<{width}}  {r.state}{read}{kind}")
        events = r.events if timeline else tuple(e for e in (r.last_event,) if e is not None)
        for event in events:
            lines.append("      " + event_line(event))
            if event.diagnostic:
                lines.append(f"        {event.diagnostic}")
    return lines


def event_line(event: DeliveryEvent) -> str:
    words = [_time(event.time), str(event.source)]
    if event.state is not None:
        words.append(str(event.state))
    if event.read_state is not None:
        words.append(f"read:{event.read_state}")
    if event.status:
        words.append(event.status)
    elif event.reply_code:
        words.append(str(event.reply_code))
    if event.reporting_host:
        words.append(f"by {event.reporting_host}")
    if not event.applied:
        words.append("(older news, kept as history)")
    return "  ".join(words)


# --- JSON ------------------------------------------------------------------------------------


def _time(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def event_json(event: DeliveryEvent) -> dict[str, Any]:
    return {
        "time": _iso(event.time),
        "source": str(event.source),
        "state": None if event.state is None else str(event.state),
        "read_state": None if event.read_state is None else str(event.read_state),
        "status": event.status,
        "reply_code": event.reply_code,
        "diagnostic": event.diagnostic,
        "reporting_host": event.reporting_host,
        "applied": event.applied,
        "report_ref": event.report_ref,
    }


def recipient_json(r: RecipientStatus) -> dict[str, Any]:
    last = r.last_event
    return {
        "address": r.address,
        "kind": str(r.kind),
        "state": str(r.state),
        "read_state": str(r.read_state),
        "status": r.status,
        "diagnostic": r.diagnostic,
        "reporting_host": r.reporting_host,
        "reply_code": r.reply_code,
        "latest": None if last is None else event_json(last),
        "events": [event_json(e) for e in r.events],
    }


def entry_json(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "account": entry.account,
        "message_id": entry.message_id,
        "subject": entry.subject,
        "state": str(entry.state),
        "attempts": entry.attempts,
        "queued_at": _iso(entry.queued_at),
        "next_attempt_at": _iso(entry.next_attempt_at),
        "sent_at": _iso(entry.sent_at),
        "last_error": entry.last_error,
        "last_reply": entry.last_reply,
        "last_reply_code": entry.last_reply_code,
        "smtp_host": entry.smtp_host,
        "dsn_offered": entry.dsn_offered,
        # Whether the window's Outbox can take it back into the composer, and if not, why.
        "editable": entry.editable,
        "edit_refusal": entry.edit_refusal,
        "recipients": [
            {"address": r.address, "state": str(r.state), "diagnostic": r.diagnostic}
            for r in entry.recipients
        ],
    }


def send_result_json(result: SendResult) -> dict[str, Any]:
    return {
        "message_id": result.message_id,
        "outbox_id": result.outbox_id,
        "state": str(result.state),
        "summary": result.summary.label,
        "next_attempt_at": _iso(result.next_attempt_at),
        "last_error": result.last_error,
        "dsn_offered": result.dsn_offered,
        "recipients": [recipient_json(r) for r in result.recipients],
    }


def status_json(status: DeliveryStatus) -> dict[str, Any]:
    return {
        **entry_json(status.entry),
        "summary": status.summary.label,
        "summary_kind": str(status.summary.kind),
        "reports_unavailable": status.summary.reports_unavailable,
        "recipients": [recipient_json(r) for r in status.recipients],
    }


def sent_json(item: SentSummary) -> dict[str, Any]:
    return {
        **entry_json(item.entry),
        "summary": item.summary.label,
        "summary_kind": str(item.summary.kind),
    }


def report_json(report: WorkerReport) -> dict[str, list[int]]:
    return {
        "accepted": report.accepted,
        "deferred": report.deferred,
        "failed": report.failed,
        "uncertain": report.uncertain,
        "skipped": report.skipped,
    }


def ingest_json(name: str, result: IngestResult) -> dict[str, Any]:
    return {
        "file": name,
        "kind": str(result.kind),
        "report_key": result.report_key,
        "matched_message_id": result.matched_message_id,
        "matched_by": None if result.matched_by is None else str(result.matched_by),
        "duplicate": result.duplicate,
        "updated": [
            {
                "address": u.address,
                "state": None if u.state is None else str(u.state),
                "read_state": None if u.read_state is None else str(u.read_state),
                "applied": u.applied,
            }
            for u in result.updated
        ],
    }


def ingest_lines(name: str, result: IngestResult) -> list[str]:
    if result.matched_message_id is None:
        what = "already ingested" if result.duplicate else "matches no message sent from here"
        return [f"{name}: {result.kind}, {what}"]
    how = f" (by {result.matched_by})" if result.matched_by else ""
    dup = ", already ingested" if result.duplicate else ""
    lines = [f"{name}: {result.kind} about {result.matched_message_id}{how}{dup}"]
    for u in result.updated:
        state = u.state or (f"read: {u.read_state}" if u.read_state else "-")
        note = "" if u.applied else "  (older news, kept as history)"
        lines.append(f"  {u.address}  {state}{note}")
    return lines


def ingest_reports(args: argparse.Namespace, read: Any) -> int:
    """`mailapp report ingest FILE...`: exit 0 when every file could be read."""
    engine = Engine.open(args.profile)
    status = 0

    async def ingest_all() -> None:
        nonlocal status
        for name in args.files:
            try:
                raw = read(name)
            except OSError as exc:
                print(f"mailapp: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
                status = 1
                continue
            result = await engine.ingest_report(raw, args.account)
            if args.json:
                print(json.dumps(ingest_json(name, result), ensure_ascii=False))
            else:
                for line in ingest_lines(name, result):
                    print(line)
            sys.stdout.flush()

    asyncio.run(ingest_all())
    return status
