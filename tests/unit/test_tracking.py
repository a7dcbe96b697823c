"""Ingesting reports: correlation, precedence, idempotency, read receipts on their own axis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.delivery import DeliveryState, EventSource, OutboxState, ReadState
from mailapp.engine.tracking import DeliveryTracker, MatchedBy
from mailapp.protocols.reports import ReportKind
from mailapp.store.blobs import BlobStore, digest_of
from mailapp.store.db import Database
from mailapp.store.delivery import DeliveryRepository
from mailapp.store.outbox import NewRecipient, OutboxEntry, OutboxRepository

T0 = datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "mail.sqlite3") as database:
        yield database


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "messages")


@pytest.fixture
def outbox(db: Database, blobs: BlobStore) -> OutboxRepository:
    return OutboxRepository(db, blobs)


@pytest.fixture
def delivery(db: Database) -> DeliveryRepository:
    return DeliveryRepository(db)


@pytest.fixture
def tracker(db: Database, blobs: BlobStore) -> DeliveryTracker:
    return DeliveryTracker(db, blobs)


def sent(
    outbox: OutboxRepository,
    n: int,
    *to: str,
    now: datetime = T0,
    orcpts: dict[str, str] | None = None,
) -> OutboxEntry:
    """A message the submission server accepted for every recipient."""
    orcpts = orcpts or {}
    entry = outbox.enqueue(
        "work",
        raw=f"Message-ID: <orig-{n}@example.com>\r\n\r\nhello\r\n".encode(),
        message_id=f"<orig-{n}@example.com>",
        envelope_from="alice@example.com",
        recipients=[NewRecipient(a, orcpt=orcpts.get(a)) for a in to],
        options=None,
        now=now,
    )
    assert [e.id for e in outbox.claim_due(now, "w")] == [entry.id]
    for address in to:
        outbox.record_recipient_reply(entry.id, address, 250, "2.1.5 Ok")
    outbox.mark_data_started(entry.id, "w", now)
    return outbox.mark_accepted(
        entry.id, "w", reply="2.0.0 Ok: queued as 4ABC", smtp_host="smtp.example.com",
        dsn_offered=True, now=now,
    )  # fmt: skip


def dsn(
    report_id: str,
    blocks: str,
    *,
    envid: str | None = None,
    original_id: str | None = None,
) -> bytes:
    head = f"Original-Envelope-Id: {envid}\n" if envid else ""
    returned = ""
    if original_id:
        returned = (
            "--B\nContent-Type: text/rfc822-headers\n\n"
            f"From: alice@example.com\nTo: bob@example.net\nMessage-ID: {original_id}\n"
            "Subject: hello\n\n"
        )
    text = f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: alice@example.com
Subject: Delivery Status Notification
Message-ID: {report_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.org.

--B
Content-Type: message/delivery-status

{head}Reporting-MTA: dns; mx.example.org

{blocks}
{returned}--B--
"""
    return text.encode()


def block(address: str, action: str, status: str, diagnostic: str = "", orcpt: str = "") -> str:
    lines = [f"Final-Recipient: rfc822; {address}"]
    if orcpt:
        lines.append(f"Original-Recipient: rfc822;{orcpt}")
    lines += [f"Action: {action}", f"Status: {status}"]
    if diagnostic:
        lines.append(f"Diagnostic-Code: smtp; {diagnostic}")
    return "\n".join(lines) + "\n"


def mdn(report_id: str, original_id: str, final: str, disposition: str) -> bytes:
    return f"""From: {final}
To: alice@example.com
Subject: Read: hello
Message-ID: {report_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="M"

--M
Content-Type: text/plain

Your message was displayed.

--M
Content-Type: message/disposition-notification

Reporting-UA: pc.example.net; SomeMailer 1.0
Final-Recipient: rfc822;{final}
Original-Message-ID: {original_id}
Disposition: manual-action/MDN-sent-manually; {disposition}

--M--
""".encode()


def exim_bounce(failed: str, *, quoted_id: str | None = None) -> bytes:
    quoted = f"Message-ID: {quoted_id}\n" if quoted_id else ""
    return f"""From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: alice@example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {failed}
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {failed}
    host mx.example.net [192.0.2.1]: 550 5.1.1 <{failed}>: unknown user

------ This is a copy of the message, including all the headers. ------

From: alice@example.com
{quoted}Subject: hello
""".encode()


def states(delivery: DeliveryRepository, entry: OutboxEntry) -> dict[str, DeliveryState]:
    return {r.address: r.state for r in delivery.recipients(entry.id)}


# -- correlation ----------------------------------------------------------------------------


def test_dsn_is_tied_by_envid_and_keeps_the_original(
    outbox: OutboxRepository,
    delivery: DeliveryRepository,
    tracker: DeliveryTracker,
    blobs: BlobStore,
) -> None:
    entry = sent(outbox, 1, "bob@example.net", "carol@example.org")
    raw = dsn(
        "<dsn-1@mx.example.org>",
        block("bob@example.net", "delivered", "2.0.0", "250 2.0.0 Ok: delivered"),
        envid=entry.envid,
    )
    result = tracker.ingest(raw, now=LATER)
    assert result.kind is ReportKind.DSN
    assert (result.matched_by, result.outbox_id) == (MatchedBy.ENVID, entry.id)
    assert result.matched_message_id == "<orig-1@example.com>"
    assert result.file_away and not result.duplicate and result.changed
    assert states(delivery, entry) == {
        "bob@example.net": DeliveryState.DELIVERED,
        "carol@example.org": DeliveryState.ACCEPTED,
    }
    bob = delivery.recipients(entry.id)[0]
    event = bob.events[-1]
    assert (event.source, event.status, event.reply_code, event.reporting_host) == (
        EventSource.DSN,
        "2.0.0",
        250,
        "mx.example.org",
    )
    # The original report is one click away.
    assert event.report_ref == result.report_ref == digest_of(raw)
    assert blobs.get(event.report_ref) == raw
    assert event.report_ref in outbox.referenced_blobs()
    summary = delivery.summary(entry.id)
    assert summary is not None and summary.label == "Delivered 1/2"


def test_dsn_is_tied_by_the_returned_message_id(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 2, "bob@example.net")
    raw = dsn(
        "<dsn-2@mx.example.org>",
        block("bob@example.net", "failed", "5.1.1", "550 5.1.1 User unknown"),
        original_id="<orig-2@example.com>",
    )
    result = tracker.ingest(raw, now=LATER)
    assert result.matched_by is MatchedBy.MESSAGE_ID
    bob = delivery.recipients(entry.id)[0]
    assert (bob.state, bob.status, bob.diagnostic, bob.reporting_host) == (
        DeliveryState.FAILED,
        "5.1.1",
        "550 5.1.1 User unknown",
        "mx.example.org",
    )


def test_original_recipient_names_our_recipient_when_the_final_one_differs(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 3, "team@example.org", "bob@example.net")
    raw = dsn(
        "<dsn-3@mx.example.org>",
        block("carol.smith@lists.example.org", "delivered", "2.0.0", orcpt="TEAM@example.org"),
        envid=entry.envid,
    )
    result = tracker.ingest(raw, now=LATER)
    assert [(u.address, u.state, u.applied) for u in result.updated] == [
        ("team@example.org", DeliveryState.DELIVERED, True)
    ]
    assert states(delivery, entry)["bob@example.net"] is DeliveryState.ACCEPTED


def test_bounce_without_ids_is_tied_by_the_failed_address_when_unambiguous(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    sent(outbox, 1, "old@example.net", now=T0 - timedelta(days=30))
    entry = sent(outbox, 4, "bob@example.net")
    result = tracker.ingest(exim_bounce("Bob@example.net"), now=LATER)
    assert result.kind is ReportKind.BOUNCE
    assert (result.matched_by, result.outbox_id, result.file_away) == (
        MatchedBy.ADDRESS,
        entry.id,
        True,
    )
    bob = delivery.recipients(entry.id)[0]
    assert (bob.state, bob.status) == (DeliveryState.FAILED, "5.1.1")
    assert bob.events[-1].source is EventSource.BOUNCE


def test_address_fallback_refuses_to_guess_between_two_messages(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    first = sent(outbox, 5, "bob@example.net")
    second = sent(outbox, 6, "bob@example.net", now=T0 + timedelta(minutes=1))
    result = tracker.ingest(exim_bounce("bob@example.net"), now=LATER)
    assert result.outbox_id is None and not result.file_away
    assert (
        states(delivery, first)
        == states(delivery, second)
        == {"bob@example.net": DeliveryState.ACCEPTED}
    )
    # Outside the window, nothing is a candidate either.
    late = tracker.ingest(exim_bounce("bob@example.net").replace(b"Auto", b"X-Note: 2\nAuto"),
                          now=LATER + timedelta(days=8))  # fmt: skip
    assert late.outbox_id is None


def test_quoted_message_id_in_a_bounce_beats_the_address(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    sent(outbox, 7, "bob@example.net")
    target = sent(outbox, 8, "bob@example.net")
    result = tracker.ingest(exim_bounce("bob@example.net", quoted_id="<orig-8@example.com>"))
    assert (result.matched_by, result.outbox_id) == (MatchedBy.MESSAGE_ID, target.id)
    assert states(delivery, target) == {"bob@example.net": DeliveryState.FAILED}


def test_a_report_about_someone_elses_message_matches_nothing(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 9, "bob@example.net")
    raw = dsn(
        "<dsn-9@mx.example.org>",
        block("zed@example.com", "failed", "5.1.1"),
        envid="not-ours",
        original_id="<stranger@example.com>",
    )
    result = tracker.ingest(raw, now=LATER)
    assert (result.kind, result.outbox_id, result.file_away, result.updated) == (
        ReportKind.DSN,
        None,
        False,
        (),
    )
    assert states(delivery, entry) == {"bob@example.net": DeliveryState.ACCEPTED}


# -- precedence and idempotency -------------------------------------------------------------


def test_delayed_arriving_after_delivered_stays_delivered(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 10, "bob@example.net")
    delivered = dsn("<dsn-d@mx>", block("bob@example.net", "delivered", "2.0.0"), envid=entry.envid)
    delayed = dsn(
        "<dsn-w@mx>",
        block("bob@example.net", "delayed", "4.4.7", "421 4.4.7 busy"),
        envid=entry.envid,
    )
    assert tracker.ingest(delivered, now=LATER).changed
    late = tracker.ingest(delayed, now=LATER + timedelta(minutes=1))
    assert [(u.state, u.applied) for u in late.updated] == [(DeliveryState.DELAYED, False)]
    bob = delivery.recipients(entry.id)[0]
    assert bob.state is DeliveryState.DELIVERED
    assert [e.state for e in bob.events if e.source is EventSource.DSN] == [
        DeliveryState.DELIVERED,
        DeliveryState.DELAYED,
    ]


def test_the_same_report_twice_is_a_duplicate(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 11, "bob@example.net")
    raw = dsn("<dsn-11@mx>", block("bob@example.net", "delayed", "4.2.2"), envid=entry.envid)
    first = tracker.ingest(raw, now=LATER)
    again = tracker.ingest(raw, now=LATER + timedelta(hours=1))
    assert not first.duplicate and again.duplicate
    # A re-synced copy in the Inbox is filed away again, but counted once.
    assert again.file_away and again.matched_message_id == entry.message_id
    assert again.updated == ()
    events = delivery.recipients(entry.id)[0].events
    assert len([e for e in events if e.source is EventSource.DSN]) == 1


def test_report_without_message_id_is_keyed_by_its_bytes(
    outbox: OutboxRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 12, "bob@example.net")
    raw = dsn("", block("bob@example.net", "delayed", "4.2.2"), envid=entry.envid)
    raw = raw.replace(b"Message-ID: \n", b"")
    first = tracker.ingest(raw, now=LATER)
    assert first.report_key == "sha256:" + digest_of(raw)
    assert tracker.ingest(raw, now=LATER).duplicate


def test_failed_with_4_4_1_status_is_failed(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 13, "bob@example.net")
    raw = dsn(
        "<dsn-13@mx>",
        "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 4.4.1\n"
        "Diagnostic-Code: X-Postfix; connect to mx.example.net[192.0.2.1]:25: Connection "
        "timed out\n",
        envid=entry.envid,
    )
    tracker.ingest(raw, now=LATER)
    bob = delivery.recipients(entry.id)[0]
    assert (bob.state, bob.status) == (DeliveryState.FAILED, "4.4.1")
    assert bob.diagnostic is not None and "Connection timed out" in bob.diagnostic
    summary = delivery.summary(entry.id)
    assert summary is not None and summary.label == "Failed 1/1"


def test_read_receipt_is_on_its_own_axis(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = sent(outbox, 14, "bob@example.net", "carol@example.org")
    result = tracker.ingest(
        mdn("<mdn-14@pc>", "<orig-14@example.com>", "carol@example.org", "displayed"), now=LATER
    )
    assert result.kind is ReportKind.MDN and result.file_away
    assert [(u.address, u.state, u.read_state) for u in result.updated] == [
        ("carol@example.org", None, ReadState.DISPLAYED)
    ]
    by_address = {r.address: r for r in delivery.recipients(entry.id)}
    carol, bob = by_address["carol@example.org"], by_address["bob@example.net"]
    assert (carol.state, carol.read_state) == (DeliveryState.ACCEPTED, ReadState.DISPLAYED)
    assert (bob.state, bob.read_state) == (DeliveryState.ACCEPTED, ReadState.NONE)
    assert carol.events[-1].source is EventSource.MDN
    assert carol.events[-1].reporting_host == "pc.example.net; SomeMailer 1.0"
    # A later DSN still moves the delivery state; the receipt stays.
    tracker.ingest(
        dsn("<dsn-14@mx>", block("carol@example.org", "delivered", "2.0.0"), envid=entry.envid),
        now=LATER,
    )
    carol = {r.address: r for r in delivery.recipients(entry.id)}["carol@example.org"]
    assert (carol.state, carol.read_state) == (DeliveryState.DELIVERED, ReadState.DISPLAYED)


def test_report_about_an_uncertain_message_settles_it(
    outbox: OutboxRepository, delivery: DeliveryRepository, tracker: DeliveryTracker
) -> None:
    entry = outbox.enqueue(
        "work",
        raw=b"Subject: x\r\n\r\nx\r\n",
        message_id="<orig-15@example.com>",
        envelope_from="alice@example.com",
        recipients=[NewRecipient("bob@example.net"), NewRecipient("carol@example.org")],
        now=T0,
    )
    outbox.claim_due(T0, "w")
    outbox.mark_data_started(entry.id, "w", T0)
    outbox.mark_uncertain(entry.id, "w", reason="connection lost after DATA", now=T0)
    tracker.ingest(
        dsn("<dsn-15@mx>", block("bob@example.net", "delivered", "2.0.0"), envid=entry.envid),
        now=LATER,
    )
    settled = outbox.get(entry.id)
    assert settled is not None
    assert settled.state is OutboxState.SENT
    assert states(delivery, entry) == {
        "bob@example.net": DeliveryState.DELIVERED,
        # DATA is all or nothing: the server took it for carol too.
        "carol@example.org": DeliveryState.ACCEPTED,
    }
    assert outbox.list_outbox() == []


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (
            b"From: Bob <bob@example.net>\nTo: alice@example.com\nSubject: Out of office\n"
            b"In-Reply-To: <orig-16@example.com>\nAuto-Submitted: auto-replied\n"
            b"Message-ID: <ar-1@example.net>\n\nAway.\n",
            ReportKind.AUTO_REPLY,
        ),
        (
            b"From: carol@example.org\nTo: alice@example.com\nSubject: lunch?\n"
            b"Message-ID: <chat-1@example.org>\n\nNoon?\n",
            ReportKind.NONE,
        ),
    ],
)
def test_look_alikes_change_nothing(
    outbox: OutboxRepository,
    delivery: DeliveryRepository,
    tracker: DeliveryTracker,
    raw: bytes,
    kind: ReportKind,
) -> None:
    entry = sent(outbox, 16, "bob@example.net")
    result = tracker.ingest(raw, now=LATER)
    assert (result.kind, result.file_away, result.outbox_id, result.updated) == (
        kind,
        False,
        None,
        (),
    )
    assert states(delivery, entry) == {"bob@example.net": DeliveryState.ACCEPTED}
    assert not delivery.report_seen(result.report_key)
