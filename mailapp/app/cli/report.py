"""`mailapp report parse FILE...`: what a received message says about delivery.

Output: without --json, a short readable summary per file; with --json, JSON Lines, one object
per file in argument order (a stream a script can read line by line, also for one file). Exit
status 0 when every file could be read, whatever its kind; 1 when one could not (the others
are still printed). `-` reads standard input.

Imports: protocols.reports (pure parsing, no engine state needed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mailapp.protocols.reports import ParsedReport, ReportKind, parse_report

_KIND_WORDS = {
    ReportKind.DSN: "delivery status notification",
    ReportKind.MDN: "read receipt",
    ReportKind.BOUNCE: "bounce (non-standard)",
    ReportKind.FEEDBACK: "feedback report (complaint, not a bounce)",
    ReportKind.AUTO_REPLY: "automatic reply (not a bounce)",
    ReportKind.NONE: "not a delivery report",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="read delivery reports (DSNs, bounces, read receipts)",
        description="Recognise and read delivery reports saved as files.",
    )
    actions = parser.add_subparsers(dest="report_command", metavar="ACTION")
    _register_parse(actions)
    _register_ingest(actions)


def _register_ingest(actions: Any) -> None:
    ingest = actions.add_parser(
        "ingest",
        help="tie saved reports to the messages sent from here",
        description="Record what each saved report (DSN, bounce, read receipt) says about a "
        "message sent from this profile; `mailapp status` then shows it. Ingesting the same "
        "report again changes nothing.",
    )
    ingest.add_argument("files", nargs="+", metavar="FILE", help="message file; - for stdin")
    ingest.add_argument("--account", metavar="NAME", help="the account it was received by")
    ingest.add_argument("--json", action="store_true", help="JSON Lines, one object per file")
    ingest.set_defaults(handler=run_ingest)


def run_ingest(args: argparse.Namespace) -> int:
    # The engine and the output live with `mailapp send`/`status` (cli/send.py).
    from mailapp.app.cli.send import ingest_reports

    return ingest_reports(args, _read)


def _register_parse(actions: Any) -> None:
    parse = actions.add_parser(
        "parse",
        help="print what each message says about delivery",
        description="Print what each message file says about delivery: its kind (dsn, mdn, "
        "bounce, feedback, auto-reply, none), the original Message-ID and, per recipient, "
        "the action, status and the server's words.",
        epilog="With --json the output is JSON Lines: one object per file, one per line.",
    )
    parse.add_argument("files", nargs="+", metavar="FILE", help="message file; - for stdin")
    parse.add_argument("--json", action="store_true", help="JSON Lines, one object per file")
    parse.set_defaults(handler=run_parse)


def report_to_json(name: str, report: ParsedReport) -> dict[str, Any]:
    disposition = report.disposition
    return {
        "file": name,
        "kind": report.kind.value,
        "original_message_id": report.original_message_id,
        "envelope_id": report.envelope_id,
        "recipients": [
            {
                "recipient": r.recipient,
                "action": r.action.value if r.action else None,
                "status": r.status,
                "diagnostic": r.diagnostic,
                "remote_mta": r.remote_mta,
            }
            for r in report.recipients
        ],
        "disposition": None
        if disposition is None
        else {"raw": disposition.raw, "mode": disposition.mode, "type": disposition.type},
    }


def summary(name: str, report: ParsedReport) -> str:
    lines = [f"{name}: {_KIND_WORDS[report.kind]}"]
    if report.original_message_id:
        lines.append(f"  about message {report.original_message_id}")
    if report.envelope_id:
        lines.append(f"  envelope id {report.envelope_id}")
    if report.reporting_mta:
        lines.append(f"  reported by {report.reporting_mta}")
    if report.disposition is not None:
        lines.append(f"  disposition: {report.disposition.type or report.disposition.raw}")
    if report.feedback_type:
        lines.append(f"  feedback type: {report.feedback_type}")
    for r in report.recipients:
        words = [r.action.value if r.action else "-", r.recipient or "(unknown recipient)"]
        if r.status:
            words.append(r.status)
        lines.append("  " + "  ".join(words))
        if r.diagnostic:
            lines.append(f"      {r.diagnostic}")
    return "\n".join(lines)


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def run_parse(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        try:
            raw = _read(name)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(f"mailapp: cannot read {name}: {reason}", file=sys.stderr)
            status = 1
            continue
        report = parse_report(raw)
        if args.json:
            print(json.dumps(report_to_json(name, report), ensure_ascii=False))
        else:
            print(summary(name, report))
        sys.stdout.flush()
    return status
