"""Pure pieces of sending: DATA dot-stuffing, size-scaled timeouts, the CLI's words and exit
statuses, Message-ID normalisation, and the worker's report."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from mailapp.app.cli.send import EX_TEMPFAIL, _notify, event_line, exit_status, status_lines
from mailapp.core.delivery import (
    DeliveryEvent,
    DeliveryState,
    EventSource,
    OutboxState,
    ReadState,
    RecipientKind,
    RecipientStatus,
    SentCopyState,
    summarize,
)
from mailapp.core.draft import Notify
from mailapp.core.errors import ConfigError
from mailapp.engine.outbox_worker import WorkerReport
from mailapp.engine.sending import DeliveryStatus, normalize_message_id
from mailapp.store.outbox import OutboxEntry
from mailapp.transport.smtp import DATA_BASE_SECONDS, data_timeout, dot_stuffed

T = datetime(2025, 7, 1, 10, 0, tzinfo=UTC)


def test_dot_stuffing_doubles_leading_dots_only() -> None:
    raw = b".one\r\ntwo.\r\n..three\r\n.\r\n"
    assert dot_stuffed(raw) == b"..one\r\ntwo.\r\n...three\r\n..\r\n"


def test_dot_stuffing_normalises_line_ends_and_ends_with_crlf() -> None:
    assert dot_stuffed(b"a\nb\r.c") == b"a\r\nb\r\n..c\r\n"
    assert dot_stuffed(b"") == b"\r\n"


def test_data_timeout_scales_with_size() -> None:
    assert data_timeout(0) == DATA_BASE_SECONDS
    assert data_timeout(25 * 1024 * 1024) == pytest.approx(DATA_BASE_SECONDS + 2560)
    assert data_timeout(0, minimum=90) == 90


def test_message_ids_are_normalised() -> None:
    assert normalize_message_id(" abc@x ") == "<abc@x>"
    assert normalize_message_id("<abc@x>") == "<abc@x>"


def test_notify_words() -> None:
    assert _notify(None) is None
    assert _notify("success, FAILURE") == frozenset({Notify.SUCCESS, Notify.FAILURE})
    assert _notify("never") == frozenset({Notify.NEVER})
    with pytest.raises(ConfigError, match="not a kind of delivery report"):
        _notify("sometimes")


def recipient(state: DeliveryState, *events: DeliveryEvent) -> RecipientStatus:
    return RecipientStatus(
        id=1,
        outbox_id=1,
        position=0,
        address="bob@example.test",
        orcpt="bob@example.test",
        kind=RecipientKind.TO,
        state=state,
        read_state=ReadState.NONE,
        status=None,
        diagnostic=None,
        reporting_host=None,
        reply_code=None,
        updated_at=T,
        events=events,
    )


def test_exit_status() -> None:
    accepted = recipient(DeliveryState.ACCEPTED)
    failed = recipient(DeliveryState.FAILED)
    assert exit_status(OutboxState.SENT, (accepted,)) == 0
    assert exit_status(OutboxState.SENT, (accepted, failed)) == 1
    assert exit_status(OutboxState.DEFERRED, (accepted,)) == EX_TEMPFAIL
    assert exit_status(OutboxState.QUEUED, ()) == EX_TEMPFAIL
    assert exit_status(OutboxState.UNCERTAIN, ()) == 1


def entry(**changes: object) -> OutboxEntry:
    values: dict[str, object] = {
        "id": 7,
        "account": "work",
        "message_id": "<m1@example.test>",
        "envid": "e1",
        "raw_hash": "h",
        "envelope_from": "me@example.test",
        "size": 10,
        "subject": "Hi",
        "needs_smtputf8": False,
        "body_8bit": False,
        "request_dsn": True,
        "notify": frozenset({Notify.SUCCESS}),
        "ret": "HDRS",
        "read_receipt": False,
        "created_at": T,
        "queued_at": T,
        "state": OutboxState.SENT,
        "attempts": 1,
        "next_attempt_at": None,
        "last_error": None,
        "last_reply": "2.0.0 Ok: queued as ABC",
        "last_reply_code": 250,
        "smtp_host": "smtp.example.test",
        "dsn_offered": True,
        "data_started_at": T,
        "sent_at": T,
        "sent_copy_state": SentCopyState.DONE,
        "sent_copy_error": None,
        "lease_owner": None,
        "lease_until": None,
        "updated_at": T,
        "recipients": (),
    }
    values.update(changes)
    return OutboxEntry(**values)  # type: ignore[arg-type]


def test_status_lines_show_the_latest_evidence() -> None:
    dsn = DeliveryEvent(
        T,
        EventSource.DSN,
        DeliveryState.FAILED,
        status="5.1.1",
        diagnostic="550 5.1.1 <bob@example.test>: User doesn't exist",
        reporting_host="mx.example.test",
    )
    bob = recipient(DeliveryState.FAILED, dsn)
    status = DeliveryStatus(entry(), (bob,), summarize([(bob.address, bob.state, bob.read_state)]))
    text = "\n".join(status_lines(status))
    assert "<m1@example.test>  Failed 1/1" in text
    assert "Server: smtp.example.test (offers delivery reports)" in text
    assert "bob@example.test  failed" in text
    assert "dsn  failed  5.1.1  by mx.example.test" in text
    assert "550 5.1.1 <bob@example.test>: User doesn't exist" in text


def test_status_lines_say_why_a_message_waits() -> None:
    waiting = entry(
        state=OutboxState.DEFERRED,
        sent_at=None,
        last_error="451 4.3.0 try later",
        next_attempt_at=T,
    )
    status = DeliveryStatus(waiting, (), summarize([]))
    text = "\n".join(status_lines(status))
    assert "Not sent yet: 451 4.3.0 try later; next try at" in text


def test_event_line_marks_history() -> None:
    old = DeliveryEvent(T, EventSource.DSN, DeliveryState.DELAYED, applied=False)
    assert event_line(old).endswith("(older news, kept as history)")


def test_worker_report_sorts_outcomes() -> None:
    report = WorkerReport()
    for number, state in enumerate(OutboxState):
        report.note(number, state)
    assert report.accepted == [list(OutboxState).index(OutboxState.SENT)]
    assert report.attempted == len(OutboxState)


def test_parser_knows_the_commands() -> None:
    from mailapp.app.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["send", "--to", "a@b.c", "--subject", "s", "--body", "x"])
    assert isinstance(args, argparse.Namespace) and args.handler.__name__ == "run_send"
    assert parser.parse_args(["outbox", "run"]).handler.__name__ == "run_outbox_run"
    assert parser.parse_args(["outbox"]).handler.__name__ == "run_outbox_list"
    assert parser.parse_args(["status"]).handler.__name__ == "run_status"
    assert parser.parse_args(["report", "ingest", "f"]).handler.__name__ == "run_ingest"
