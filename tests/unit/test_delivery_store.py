"""Delivery states: precedence rules, summaries, and the event store with its timelines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.delivery import (
    DeliveryEvent,
    DeliveryState,
    EventSource,
    ReadState,
    SummaryKind,
    address_key,
    is_terminal,
    next_read_state,
    next_state,
    read_state_for_disposition,
    reply_code_in,
    split_reply,
    state_for_reply,
    summarize,
)
from mailapp.core.errors import OutboxError
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.delivery import DeliveryRepository
from mailapp.store.outbox import NewRecipient, OutboxEntry, OutboxRepository

T0 = datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
S = DeliveryState
R = ReadState


# -- pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        # Out of order: an older delay notice never undoes a delivery or a failure.
        (S.DELIVERED, S.DELAYED, S.DELIVERED),
        (S.FAILED, S.DELAYED, S.FAILED),
        (S.DELIVERED, S.FAILED, S.DELIVERED),
        (S.FAILED, S.DELIVERED, S.FAILED),
        (S.DELIVERED, S.QUEUED, S.DELIVERED),
        # relayed and expanded are not the end: a later hop may still report.
        (S.RELAYED, S.DELIVERED, S.DELIVERED),
        (S.EXPANDED, S.FAILED, S.FAILED),
        (S.RELAYED, S.DELAYED, S.RELAYED),
        (S.RELAYED, S.EXPANDED, S.EXPANDED),
        (S.ACCEPTED, S.DELAYED, S.DELAYED),
        (S.DELAYED, S.ACCEPTED, S.DELAYED),
        (S.DELAYED, S.DELAYED, S.DELAYED),
        (S.DELAYED, S.DELIVERED, S.DELIVERED),
        # A report settles a doubt.
        (S.UNCERTAIN, S.DELIVERED, S.DELIVERED),
        (S.UNCERTAIN, S.QUEUED, S.UNCERTAIN),
        (S.QUEUED, S.SENDING, S.SENDING),
        (S.SENDING, S.DEFERRED, S.DEFERRED),
        (S.SENDING, S.ACCEPTED, S.ACCEPTED),
        (S.SENDING, S.DELIVERED, S.DELIVERED),
        (S.ACCEPTED, S.DEFERRED, S.ACCEPTED),
    ],
)
def test_next_state(current: S, incoming: S, expected: S) -> None:
    assert next_state(current, incoming) is expected


def test_only_delivered_and_failed_are_terminal() -> None:
    assert {s for s in S if is_terminal(s)} == {S.DELIVERED, S.FAILED}


def test_read_receipts_only_move_up() -> None:
    assert next_read_state(R.NONE, R.PROCESSED) is R.PROCESSED
    assert next_read_state(R.PROCESSED, R.DISPLAYED) is R.DISPLAYED
    assert next_read_state(R.DISPLAYED, R.DELETED) is R.DISPLAYED
    assert next_read_state(R.DELETED, R.PROCESSED) is R.DELETED
    assert next_read_state(R.DISPLAYED, R.NONE) is R.DISPLAYED


def test_dispositions_map_to_read_states() -> None:
    assert read_state_for_disposition("displayed") is R.DISPLAYED
    assert read_state_for_disposition("Deleted ") is R.DELETED
    assert read_state_for_disposition("displayed", ["error"]) is R.DISPLAYED
    assert read_state_for_disposition(None, ["error"]) is R.FAILED
    assert read_state_for_disposition("something-new") is None
    assert read_state_for_disposition(None) is None


def test_replies_and_addresses() -> None:
    assert split_reply("5.1.1 <bob@x>: User unknown") == ("5.1.1", "<bob@x>: User unknown")
    assert split_reply("Ok: queued as 4ABC") == (None, "Ok: queued as 4ABC")
    assert reply_code_in("550 5.1.1 User unknown") == 550
    assert reply_code_in("550-5.1.1 multi") == 550
    assert reply_code_in("connect to mx: timed out") is None
    assert [state_for_reply(c) for c in (250, 451, 554, 354)] == [
        S.ACCEPTED,
        S.DEFERRED,
        S.FAILED,
        S.DEFERRED,
    ]
    assert address_key("Bob@Example.NET") == address_key("bob@example.net")
    assert address_key("<bob@example.net>") == "bob@example.net"
    assert address_key("bob@bücher.example") == "bob@xn--bcher-kva.example"
    assert address_key("bob@example.net") != address_key("rob@example.net")


def rows(*states: S, read: tuple[R, ...] = ()) -> list[tuple[str, S, R]]:
    reads = read or (R.NONE,) * len(states)
    return [(f"r{i}@example.org", s, r) for i, (s, r) in enumerate(zip(states, reads, strict=True))]


@pytest.mark.parametrize(
    ("states", "kind", "label"),
    [
        ((S.DELIVERED,) * 3, SummaryKind.DELIVERED, "Delivered 3/3"),
        ((S.DELIVERED, S.DELIVERED, S.ACCEPTED), SummaryKind.PARTLY_DELIVERED, "Delivered 2/3"),
        ((S.DELIVERED, S.DELIVERED, S.FAILED), SummaryKind.FAILED, "Failed 1/3"),
        ((S.DELIVERED, S.DELAYED), SummaryKind.DELAYED, "Delayed"),
        ((S.ACCEPTED, S.ACCEPTED), SummaryKind.ACCEPTED, "Sent to server"),
        ((S.RELAYED, S.EXPANDED), SummaryKind.RELAYED, "Relayed"),
        ((S.QUEUED,), SummaryKind.QUEUED, "Queued"),
        ((S.SENDING, S.QUEUED), SummaryKind.SENDING, "Sending"),
        ((S.DEFERRED, S.ACCEPTED), SummaryKind.DEFERRED, "Deferred"),
        ((S.UNCERTAIN,), SummaryKind.UNCERTAIN, "Uncertain"),
    ],
)
def test_summary_labels(states: tuple[S, ...], kind: SummaryKind, label: str) -> None:
    summary = summarize(rows(*states))
    assert (summary.kind, summary.label) == (kind, label)
    assert summary.total == len(states)
    assert sum(summary.counts.values()) == len(states)


def test_read_shows_beside_delivery_and_reports_unavailable() -> None:
    both = summarize(rows(S.DELIVERED, S.DELIVERED, read=(R.DISPLAYED, R.DISPLAYED)))
    assert (both.kind, both.label, both.read_count) == (SummaryKind.READ, "Read", 2)
    some = summarize(rows(S.DELIVERED, S.ACCEPTED, read=(R.DISPLAYED, R.NONE)))
    assert some.label == "Read 1/2"
    assert some.count(S.DELIVERED) == 1
    # A failure still matters more than a receipt.
    assert summarize(rows(S.FAILED, S.DELIVERED, read=(R.NONE, R.DISPLAYED))).label == "Failed 1/2"
    assert summarize(rows(S.ACCEPTED), dsn_offered=False).reports_unavailable
    assert not summarize(rows(S.ACCEPTED), dsn_offered=None).reports_unavailable
    assert not summarize(
        rows(S.ACCEPTED), dsn_offered=False, reports_requested=False
    ).reports_unavailable


# -- the store ------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "mail.sqlite3") as database:
        yield database


@pytest.fixture
def outbox(db: Database, tmp_path: Path) -> OutboxRepository:
    return OutboxRepository(db, BlobStore(tmp_path / "messages"))


@pytest.fixture
def delivery(db: Database) -> DeliveryRepository:
    return DeliveryRepository(db)


def accepted(
    outbox: OutboxRepository, n: int, to: tuple[NewRecipient, ...], now: datetime = T0
) -> OutboxEntry:
    entry = outbox.enqueue(
        "work",
        raw=f"Subject: {n}\r\n\r\nhi\r\n".encode(),
        message_id=f"<d{n}@example.com>",
        envelope_from="alice@example.com",
        recipients=to,
        now=now,
    )
    assert [e.id for e in outbox.claim_due(now, "w")] == [entry.id]
    outbox.mark_data_started(entry.id, "w", now)
    return outbox.mark_accepted(
        entry.id, "w", reply="2.0.0 Ok", smtp_host="smtp.example.com", dsn_offered=True, now=now
    )


def dsn_event(state: S, minutes: int, key: str, status: str = "2.0.0") -> DeliveryEvent:
    return DeliveryEvent(
        T0 + timedelta(minutes=minutes),
        EventSource.DSN,
        state,
        status=status,
        diagnostic=f"{status} words",
        reporting_host="mx.example.net",
        report_key=key,
    )


def test_delayed_after_delivered_stays_delivered_and_is_kept_as_history(
    outbox: OutboxRepository, delivery: DeliveryRepository
) -> None:
    entry = accepted(outbox, 1, (NewRecipient("bob@example.net"),))
    bob = entry.recipients[0].id
    assert delivery.add_event(bob, dsn_event(S.DELIVERED, 10, "<r1@mx>")) is True
    assert delivery.add_event(bob, dsn_event(S.DELAYED, 5, "<r2@mx>", "4.2.2")) is False
    status = delivery.recipient(bob)
    assert status is not None
    assert (status.state, status.status, status.reporting_host) == (
        S.DELIVERED,
        "2.0.0",
        "mx.example.net",
    )
    # The timeline is in time order and keeps the late delay as history.
    assert [(e.source, e.state, e.applied) for e in status.events] == [
        (EventSource.SYSTEM, S.QUEUED, True),
        (EventSource.SMTP, S.ACCEPTED, True),
        (EventSource.DSN, S.DELAYED, False),
        (EventSource.DSN, S.DELIVERED, True),
    ]
    assert status.last_event is not None and status.last_event.state is S.DELIVERED


def test_the_same_report_counts_once(
    outbox: OutboxRepository, delivery: DeliveryRepository
) -> None:
    entry = accepted(outbox, 1, (NewRecipient("bob@example.net"),))
    bob = entry.recipients[0].id
    assert delivery.add_event(bob, dsn_event(S.DELAYED, 5, "<r1@mx>", "4.2.2")) is True
    assert delivery.add_event(bob, dsn_event(S.DELAYED, 5, "<r1@mx>", "4.2.2")) is False
    status = delivery.recipient(bob)
    assert status is not None
    assert len([e for e in status.events if e.source is EventSource.DSN]) == 1


def test_read_receipts_never_touch_the_delivery_state(
    outbox: OutboxRepository, delivery: DeliveryRepository
) -> None:
    entry = accepted(outbox, 1, (NewRecipient("bob@example.net"),))
    bob = entry.recipients[0].id
    mdn = DeliveryEvent(T0, EventSource.MDN, read_state=R.DISPLAYED, report_key="<mdn@x>")
    assert delivery.add_event(bob, mdn) is True
    status = delivery.recipient(bob)
    assert status is not None
    assert (status.state, status.read_state) == (S.ACCEPTED, R.DISPLAYED)
    summary = delivery.summary(entry.id)
    assert summary is not None and summary.label == "Read"
    with pytest.raises(OutboxError):
        delivery.add_event(999_999, mdn)


def test_lookups_by_address_orcpt_and_message_id(
    outbox: OutboxRepository, delivery: DeliveryRepository
) -> None:
    old = accepted(outbox, 1, (NewRecipient("bob@example.net"),), T0 - timedelta(days=10))
    new = accepted(
        outbox,
        2,
        (
            NewRecipient("Bob@Example.net"),
            NewRecipient("list@example.org", orcpt="team@example.org"),
        ),
    )
    found = delivery.find_recipient(new.id, "team@EXAMPLE.org")
    assert found is not None and found.address == "list@example.org"
    assert delivery.find_recipient(new.id, "BOB@example.net") is not None
    assert delivery.find_recipient(new.id, "nobody@example.net") is None
    recent = delivery.recent_recipients_by_address("bob@example.NET", T0 - timedelta(days=7))
    assert [r.outbox_id for r in recent] == [new.id]
    both = delivery.recent_recipients_by_address("bob@example.net", T0 - timedelta(days=30))
    assert [r.outbox_id for r in both] == [new.id, old.id]
    assert delivery.recent_recipients_by_address("bob@example.net", T0, account="other") == []
    summaries = delivery.summaries_by_message_id(["<d1@example.com>", "<d2@example.com>", "<x@y>"])
    assert {k: v.label for k, v in summaries.items()} == {
        "<d1@example.com>": "Sent to server",
        "<d2@example.com>": "Sent to server",
    }


def test_ingested_reports_ledger(outbox: OutboxRepository, delivery: DeliveryRepository) -> None:
    entry = accepted(outbox, 1, (NewRecipient("bob@example.net"),))
    assert not delivery.report_seen("<r1@mx>")
    assert delivery.record_report("<r1@mx>", "dsn", entry.id, "ab" * 32, T0) is True
    assert delivery.record_report("<r1@mx>", "dsn", None, None, T0) is False
    record = delivery.report("<r1@mx>")
    assert record is not None and (record.outbox_id, record.kind) == (entry.id, "dsn")
    assert [r.report_key for r in delivery.reports_for(entry.id)] == ["<r1@mx>"]
    assert delivery.report_seen("<r1@mx>")
    # Deleting the message keeps the key, so a re-sync still knows the report.
    outbox.delete(entry.id)
    record = delivery.report("<r1@mx>")
    assert record is not None and record.outbox_id is None
