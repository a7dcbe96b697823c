"""The outbox: durable enqueue, leases and crash recovery, outcomes, backoff, the outbox list."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.delivery import (
    DeliveryState,
    EventSource,
    OutboxState,
    RecipientKind,
    RetryPolicy,
    SentCopyState,
)
from mailapp.core.draft import Draft, Mailbox, Notify
from mailapp.core.errors import InvalidDraftError, LeaseLostError, OutboxError
from mailapp.protocols.mime.compose import compose
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database, load_migrations
from mailapp.store.delivery import DeliveryRepository
from mailapp.store.outbox import (
    DEFAULT_LEASE_SECONDS,
    INTERRUPTED_BEFORE_DATA,
    INTERRUPTED_DURING_DATA,
    DataStart,
    LeaseRenewal,
    NewRecipient,
    OutboxEntry,
    OutboxRepository,
    Outcome,
    RcptReply,
    SendOptions,
    SentCopyMark,
    recipients_from_draft,
)

T0 = datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
WORKER = "worker-1"


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


def raw_message(n: int) -> bytes:
    return (
        f"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: test {n}\r\n"
        f"Message-ID: <m{n}@example.com>\r\n\r\nbody {n}\r\n"
    ).encode()


def enqueue(
    outbox: OutboxRepository,
    n: int = 1,
    *,
    to: tuple[str, ...] = ("bob@example.net",),
    now: datetime = T0,
    options: SendOptions | None = None,
) -> OutboxEntry:
    return outbox.enqueue(
        "work",
        raw=raw_message(n),
        message_id=f"<m{n}@example.com>",
        envelope_from="alice@example.com",
        recipients=[NewRecipient(address) for address in to],
        options=options,
        subject=f"test {n}",
        now=now,
    )


def claim_one(outbox: OutboxRepository, now: datetime = T0, **kwargs: int) -> OutboxEntry:
    claimed = outbox.claim_due(now, WORKER, **kwargs)
    assert len(claimed) == 1
    return claimed[0]


# -- enqueue --------------------------------------------------------------------------------


def test_enqueue_is_there_after_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    blobs = BlobStore(tmp_path / "messages")
    options = SendOptions(notify=frozenset({Notify.FAILURE}), ret="FULL", read_receipt=True)
    with Database.open(path) as database:
        entry = enqueue(
            OutboxRepository(database, blobs),
            7,
            to=("bob@example.net", "carol@example.org"),
            options=options,
        )
    with Database.open(path) as database:
        outbox = OutboxRepository(database, blobs)
        again = outbox.by_message_id("<m7@example.com>")
        assert again == entry
        assert again.state is OutboxState.QUEUED
        assert again.next_attempt_at == T0
        assert again.envid and outbox.by_envid(again.envid) == entry
        assert outbox.raw(again) == raw_message(7)
        assert again.size == len(raw_message(7))
        assert (again.notify, again.ret, again.read_receipt) == (
            frozenset({Notify.FAILURE}),
            "FULL",
            True,
        )
        assert [r.address for r in again.recipients] == ["bob@example.net", "carol@example.org"]
        assert all(r.state is DeliveryState.QUEUED for r in again.recipients)
        timeline = DeliveryRepository(database).recipients(again.id)[0].events
        assert [(e.source, e.state) for e in timeline] == [
            (EventSource.SYSTEM, DeliveryState.QUEUED)
        ]


def test_a_profile_from_before_the_outbox_is_upgraded_in_place(
    tmp_path: Path, blobs: BlobStore
) -> None:
    path = tmp_path / "old.sqlite3"
    with Database.open(path, migrations=load_migrations()[:1]) as old, old.write() as connection:
        connection.execute("INSERT INTO folders (account, name) VALUES ('work', 'INBOX')")
    with Database.open(path) as database:
        assert database.schema_version == len(load_migrations())
        with database.read() as connection:
            assert connection.execute("SELECT name FROM folders").fetchall() == [("INBOX",)]
        entry = enqueue(OutboxRepository(database, blobs))
        assert entry.state is OutboxState.QUEUED


def test_enqueue_same_message_twice_returns_the_stored_one(outbox: OutboxRepository) -> None:
    first = enqueue(outbox, 1)
    assert enqueue(outbox, 1) == first
    with pytest.raises(OutboxError, match="already has the Message-ID"):
        outbox.enqueue(
            "work",
            raw=b"other bytes\r\n",
            message_id="<m1@example.com>",
            envelope_from="alice@example.com",
            recipients=[NewRecipient("bob@example.net")],
        )
    assert len(outbox.list_outbox()) == 1


def test_enqueue_refuses_bad_input_and_stores_nothing(outbox: OutboxRepository) -> None:
    with pytest.raises(InvalidDraftError, match="no recipient"):
        enqueue(outbox, 1, to=())
    with pytest.raises(InvalidDraftError, match="twice"):
        enqueue(outbox, 2, to=("bob@example.net", "Bob@Example.NET"))
    with pytest.raises(InvalidDraftError, match="Message-ID"):
        outbox.enqueue(
            "work",
            raw=b"x",
            message_id="m3@example.com",
            envelope_from="a@example.com",
            recipients=[NewRecipient("bob@example.net")],
        )
    assert outbox.list_outbox() == []


def test_recipients_from_draft_keeps_to_cc_bcc_apart() -> None:
    draft = Draft(
        from_=Mailbox("alice@example.com"),
        to=(Mailbox("bob@example.net"),),
        cc=(Mailbox("carol@example.org"), Mailbox("Bob@example.net")),
        bcc=(Mailbox("dave@example.org"),),
    )
    envelope = [m.smtp_address for m in draft.recipients]
    found = recipients_from_draft(draft, envelope)
    assert [(r.address, r.kind) for r in found] == [
        ("bob@example.net", RecipientKind.TO),
        ("carol@example.org", RecipientKind.CC),
        ("dave@example.org", RecipientKind.BCC),
    ]
    with pytest.raises(InvalidDraftError):
        recipients_from_draft(draft, envelope[:1])


def test_enqueue_composed_keeps_what_the_worker_needs(outbox: OutboxRepository) -> None:
    draft = Draft(
        from_=Mailbox("alice@example.com"),
        to=(Mailbox("bob@example.net"),),
        bcc=(Mailbox("dave@example.org"),),
        subject="hello",
        text_body="hi",
        read_receipt=True,
    )
    composed = compose(draft, message_id_domain="example.com", smtputf8_allowed=False)
    entry = outbox.enqueue_composed(
        "work",
        composed,
        recipients_from_draft(draft, composed.envelope_recipients),
        SendOptions.for_draft(draft),
        subject=draft.subject,
        now=T0,
    )
    assert outbox.raw(entry) == composed.raw
    assert (entry.message_id, entry.envelope_from, entry.size) == (
        composed.message_id,
        "alice@example.com",
        composed.size,
    )
    assert (entry.needs_smtputf8, entry.body_8bit, entry.read_receipt, entry.ret) == (
        False,
        False,
        True,
        "HDRS",
    )
    assert [(r.address, r.orcpt, r.kind) for r in entry.recipients] == [
        ("bob@example.net", "bob@example.net", RecipientKind.TO),
        ("dave@example.org", "dave@example.org", RecipientKind.BCC),
    ]


# -- claiming and leases --------------------------------------------------------------------


def test_claim_leases_due_entries_and_skips_the_rest(outbox: OutboxRepository) -> None:
    later = enqueue(outbox, 1, options=SendOptions(send_at=T0 + timedelta(seconds=30)))
    due = enqueue(outbox, 2)
    claimed = claim_one(outbox, lease_seconds=120)
    assert claimed.id == due.id
    assert claimed.state is OutboxState.SENDING
    assert (claimed.lease_owner, claimed.lease_until) == (WORKER, T0 + timedelta(seconds=120))
    assert claimed.attempts == 1
    assert [r.state for r in claimed.sending_recipients] == [DeliveryState.SENDING]
    # Already leased: not claimed twice; the other one is not due yet.
    assert outbox.claim_due(T0 + timedelta(seconds=10), "worker-2") == []
    assert [e.id for e in outbox.claim_due(T0 + timedelta(seconds=30), "worker-2")] == [later.id]


def test_one_deferred_message_never_blocks_the_others(outbox: OutboxRepository) -> None:
    stuck = enqueue(outbox, 1)
    claim_one(outbox)
    outbox.mark_deferred(stuck.id, WORKER, error="421 try later", now=T0)
    fresh = [enqueue(outbox, n, now=T0 + timedelta(seconds=1)) for n in (2, 3)]
    claimed = outbox.claim_due(T0 + timedelta(seconds=2), WORKER, limit=10)
    assert [e.id for e in claimed] == [e.id for e in fresh]


def test_claim_limit_takes_the_oldest_due_first(outbox: OutboxRepository) -> None:
    entries = [enqueue(outbox, n, now=T0 + timedelta(seconds=n)) for n in (1, 2, 3)]
    first = outbox.claim_due(T0 + timedelta(seconds=5), WORKER, limit=2)
    assert [e.id for e in first] == [entries[0].id, entries[1].id]
    assert [e.id for e in outbox.claim_due(T0 + timedelta(seconds=5), WORKER)] == [entries[2].id]


def test_crash_before_data_is_sent_again_then_backs_off(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox, lease_seconds=60)
    crash = T0 + timedelta(seconds=61)
    report = outbox.recover(crash)
    assert report.requeued == (entry.id,)
    back = outbox.get(entry.id)
    assert back is not None
    assert back.state is OutboxState.QUEUED
    assert back.last_error == INTERRUPTED_BEFORE_DATA
    assert back.next_attempt_at == crash  # the first interruption: at once
    assert back.lease_owner is None
    assert [r.state for r in back.recipients] == [DeliveryState.QUEUED]
    second = claim_one(outbox, crash, lease_seconds=60)
    assert second.attempts == 2
    # Crashes again: now with backoff, so a message that kills the worker cannot loop.
    crash2 = crash + timedelta(seconds=61)
    assert outbox.claim_due(crash2, WORKER) == []
    again = outbox.get(entry.id)
    assert again is not None and again.next_attempt_at == crash2 + timedelta(minutes=1)


def test_crash_after_data_started_is_uncertain_and_never_resent(
    outbox: OutboxRepository,
) -> None:
    entry = enqueue(outbox, to=("bob@example.net", "carol@example.org"))
    claim_one(outbox, lease_seconds=60)
    outbox.record_recipient_reply(entry.id, "bob@example.net", 250, "2.1.5 Ok")
    outbox.record_recipient_reply(entry.id, "carol@example.org", 550, "5.1.1 No such user")
    outbox.mark_data_started(entry.id, WORKER, T0)
    # Found by claim_due's own recovery as well as by recover().
    assert outbox.claim_due(T0 + timedelta(seconds=61), "worker-2") == []
    stuck = outbox.get(entry.id)
    assert stuck is not None
    assert stuck.state is OutboxState.UNCERTAIN
    assert stuck.last_error == INTERRUPTED_DURING_DATA
    states = {r.address: r.state for r in stuck.recipients}
    # Refused at RCPT, so it cannot have got the message.
    assert states == {
        "bob@example.net": DeliveryState.UNCERTAIN,
        "carol@example.org": DeliveryState.FAILED,
    }
    assert outbox.claim_due(T0 + timedelta(days=30), "worker-2") == []
    assert [e.id for e in outbox.list_outbox()] == [entry.id]
    # Only the person sends it again: to everyone no server has taken it for.
    retried = outbox.retry(entry.id, T0 + timedelta(hours=1))
    assert retried.state is OutboxState.QUEUED
    claimed = claim_one(outbox, T0 + timedelta(hours=1))
    assert [r.address for r in claimed.sending_recipients] == [
        "bob@example.net",
        "carol@example.org",
    ]


def test_late_answer_after_recovery_replaces_the_doubt(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox, lease_seconds=60)
    outbox.mark_data_started(entry.id, WORKER, T0)
    outbox.recover(T0 + timedelta(seconds=61))
    done = outbox.mark_accepted(
        entry.id,
        WORKER,
        reply="2.0.0 Ok: queued as 4ABC",
        smtp_host="smtp.example.com",
        dsn_offered=True,
        now=T0 + timedelta(seconds=62),
    )
    assert done.state is OutboxState.SENT
    assert done.recipients[0].state is DeliveryState.ACCEPTED


def test_a_worker_that_lost_its_lease_is_fenced_out(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox, lease_seconds=60)
    later = T0 + timedelta(seconds=61)
    taken = outbox.claim_due(later, "worker-2")
    assert [e.lease_owner for e in taken] == ["worker-2"]
    with pytest.raises(LeaseLostError):
        outbox.mark_data_started(entry.id, WORKER, later)
    with pytest.raises(LeaseLostError):
        outbox.mark_deferred(entry.id, WORKER, error="timeout", now=later)
    with pytest.raises(LeaseLostError):
        outbox.renew_lease(entry.id, WORKER, later)
    outbox.renew_lease(entry.id, "worker-2", later, 600)
    current = outbox.get(entry.id)
    assert current is not None and current.lease_until == later + timedelta(seconds=600)
    outbox.mark_data_started(entry.id, "worker-2", later)


# -- outcomes -------------------------------------------------------------------------------


def test_rcpt_replies_decide_each_recipient(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox, to=("bob@example.net", "carol@example.org", "dave@example.org"))
    claim_one(outbox)
    outbox.record_recipient_reply(entry.id, "BOB@example.net", 250, "2.1.5 Ok")
    outbox.record_recipient_reply(entry.id, "carol@example.org", 550, "5.1.1 User unknown")
    outbox.record_recipient_reply(entry.id, "dave@example.org", 450, "4.2.0 Greylisted")
    outbox.mark_data_started(entry.id, WORKER, T0)
    done = outbox.mark_accepted(
        entry.id,
        WORKER,
        reply="2.0.0 Ok: queued as 4ABC",
        smtp_host="smtp.example.com",
        dsn_offered=True,
        now=T0,
    )
    bob, carol, dave = done.recipients
    assert (bob.state, bob.status, bob.diagnostic, bob.reporting_host) == (
        DeliveryState.ACCEPTED,
        "2.0.0",
        "250 2.0.0 Ok: queued as 4ABC",
        "smtp.example.com",
    )
    assert (carol.state, carol.status, carol.reply_code, carol.diagnostic) == (
        DeliveryState.FAILED,
        "5.1.1",
        550,
        "550 5.1.1 User unknown",
    )
    assert dave.state is DeliveryState.DEFERRED
    # Sent for bob, but dave still waits: the entry stays in the outbox with a reason.
    assert done.sent_at == T0 and done.dsn_offered is True
    assert done.state is OutboxState.DEFERRED
    assert done.last_error and done.next_attempt_at == T0 + timedelta(minutes=1)
    again = claim_one(outbox, T0 + timedelta(minutes=1))
    assert [r.address for r in again.sending_recipients] == ["dave@example.org"]
    final = outbox.mark_accepted(
        entry.id,
        WORKER,
        reply="2.0.0 Ok: queued as 5DEF",
        smtp_host="smtp.example.com",
        dsn_offered=True,
        now=T0 + timedelta(minutes=1),
    )
    assert final.state is OutboxState.SENT
    assert final.sent_at == T0
    assert [r.state for r in final.recipients] == [
        DeliveryState.ACCEPTED,
        DeliveryState.FAILED,
        DeliveryState.ACCEPTED,
    ]
    with pytest.raises(OutboxError):
        outbox.record_recipient_reply(entry.id, "nobody@example.org", 250, "ok")


def test_every_recipient_refused_fails_with_the_servers_words(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox)
    outbox.record_recipient_reply(entry.id, "bob@example.net", 550, "5.1.1 <bob>: User unknown")
    failed = outbox.mark_failed(
        entry.id, WORKER, reason="No recipient was accepted.", smtp_host="smtp.example.com", now=T0
    )
    assert failed.state is OutboxState.FAILED
    assert failed.last_error == "No recipient was accepted."
    assert failed.recipients[0].diagnostic == "550 5.1.1 <bob>: User unknown"
    assert failed.recipients[0].reporting_host == "smtp.example.com"
    assert failed.lease_owner is None


def test_uncertain_when_the_connection_breaks_after_data(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox)
    outbox.mark_data_started(entry.id, WORKER, T0)
    result = outbox.mark_uncertain(entry.id, WORKER, reason="connection lost after DATA", now=T0)
    assert result.state is OutboxState.UNCERTAIN
    assert result.recipients[0].state is DeliveryState.UNCERTAIN
    assert outbox.claim_due(T0 + timedelta(days=1), WORKER) == []


def test_backoff_schedule_is_bounded() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n) for n in range(9)] == [
        timedelta(0),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=16),
        timedelta(minutes=32),
        timedelta(hours=1),
        timedelta(hours=1),
    ]
    assert policy.delay(10_000) == timedelta(hours=1)


def test_deferrals_back_off_then_give_up_with_a_visible_reason(
    db: Database, blobs: BlobStore
) -> None:
    outbox = OutboxRepository(db, blobs, policy=RetryPolicy(give_up_after=timedelta(hours=2)))
    entry = enqueue(outbox)
    now = T0
    waits = []
    while True:
        claim_one(outbox, now)
        result = outbox.mark_deferred(
            entry.id,
            WORKER,
            error="The server did not answer.",
            reply="4.3.2 Try again later",
            reply_code=421,
            now=now,
        )
        if result.state is not OutboxState.DEFERRED:
            break
        assert result.next_attempt_at is not None
        waits.append(result.next_attempt_at - now)
        now = result.next_attempt_at
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=1)
    assert result.state is OutboxState.FAILED
    assert result.last_error is not None and result.last_error.startswith("Gave up after")
    assert "The server did not answer." in result.last_error
    assert result.last_reply == "4.3.2 Try again later" and result.last_reply_code == 421
    assert result.recipients[0].state is DeliveryState.FAILED
    assert result in outbox.list_outbox()


def test_wake_makes_deferred_entries_due(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox)
    outbox.mark_deferred(entry.id, WORKER, error="network unreachable", now=T0)
    assert outbox.claim_due(T0 + timedelta(seconds=5), WORKER) == []
    assert outbox.wake(T0 + timedelta(seconds=5)) == 1
    assert [e.id for e in outbox.claim_due(T0 + timedelta(seconds=5), WORKER)] == [entry.id]


# -- the person's actions and the list ------------------------------------------------------


def test_retry_and_delete(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox)
    with pytest.raises(OutboxError, match="being sent"):
        outbox.retry(entry.id)
    with pytest.raises(OutboxError, match="being sent"):
        outbox.delete(entry.id)
    outbox.mark_failed(entry.id, WORKER, reason="554 rejected", now=T0)
    retried = outbox.retry(entry.id, T0 + timedelta(minutes=5))
    assert retried.state is OutboxState.QUEUED
    assert (retried.attempts, retried.last_error) == (0, None)
    assert retried.next_attempt_at == T0 + timedelta(minutes=5)
    assert retried.queued_at == T0 + timedelta(minutes=5)
    assert retried.recipients[0].state is DeliveryState.QUEUED
    assert outbox.delete(entry.id) is True
    assert outbox.get(entry.id) is None
    assert outbox.delete(entry.id) is False
    with pytest.raises(OutboxError):
        outbox.retry(entry.id)


def test_retry_of_a_fully_accepted_message_is_refused(outbox: OutboxRepository) -> None:
    entry = enqueue(outbox)
    claim_one(outbox)
    outbox.mark_accepted(
        entry.id, WORKER, reply="2.0.0 Ok", smtp_host="smtp.example.com", dsn_offered=False
    )
    with pytest.raises(OutboxError, match="nothing to send again"):
        outbox.retry(entry.id)


def test_nothing_sits_in_the_outbox_without_a_reason(
    db: Database, outbox: OutboxRepository
) -> None:
    sending, deferred, failed, uncertain, sent = (enqueue(outbox, n) for n in (2, 3, 4, 5, 6))
    assert len(outbox.claim_due(T0, WORKER, limit=100)) == 5
    queued = enqueue(outbox, 1)
    outbox.mark_deferred(deferred.id, WORKER, error="421 busy", now=T0)
    outbox.mark_failed(failed.id, WORKER, reason="554 no", now=T0)
    outbox.mark_data_started(uncertain.id, WORKER, T0)
    outbox.mark_uncertain(uncertain.id, WORKER, reason="connection lost", now=T0)
    outbox.mark_accepted(sent.id, WORKER, reply="2.0.0 ok", smtp_host="h", dsn_offered=True)
    listed = {e.id: e for e in outbox.list_outbox()}
    assert set(listed) == {queued.id, sending.id, deferred.id, failed.id, uncertain.id}
    assert outbox.count_outbox() == 5
    for entry in listed.values():
        if entry.state in (OutboxState.DEFERRED, OutboxState.FAILED, OutboxState.UNCERTAIN):
            assert entry.last_error
        if entry.state in (OutboxState.QUEUED, OutboxState.DEFERRED):
            assert entry.next_attempt_at is not None
        if entry.state is OutboxState.SENDING:
            assert entry.lease_owner and entry.lease_until
    # The schema itself refuses a reasonless entry.
    with pytest.raises(sqlite3.IntegrityError), db.write() as connection:
        connection.execute(
            "UPDATE outbox SET state = 'deferred', last_error = NULL WHERE id = ?", (queued.id,)
        )


def test_sent_copies_recent_sent_and_referenced_files(
    outbox: OutboxRepository, blobs: BlobStore
) -> None:
    first, second = enqueue(outbox, 1), enqueue(outbox, 2)
    claim_one_each = outbox.claim_due(T0, WORKER)
    assert len(claim_one_each) == 2
    for entry, when in ((first, T0), (second, T0 + timedelta(seconds=5))):
        outbox.mark_accepted(
            entry.id, WORKER, reply="2.0.0 ok", smtp_host="h", dsn_offered=True, now=when
        )
    assert [e.id for e in outbox.recent_sent()] == [second.id, first.id]
    assert [e.id for e in outbox.recent_sent(account="other")] == []
    assert [e.id for e in outbox.pending_sent_copies()] == [first.id, second.id]
    outbox.mark_sent_copy(first.id, SentCopyState.DONE)
    outbox.mark_sent_copy(second.id, SentCopyState.FAILED, "APPEND refused")
    assert outbox.pending_sent_copies() == []
    again = outbox.get(second.id)
    assert again is not None and again.sent_copy_error == "APPEND refused"
    assert outbox.referenced_blobs() == {first.raw_hash, second.raw_hash}
    assert set(blobs.digests()) == {first.raw_hash, second.raw_hash}


def test_entry_reports_dsn_parameters_only_when_possible(outbox: OutboxRepository) -> None:
    asked = enqueue(outbox, 1)
    assert asked.dsn_envid(True) == asked.envid
    assert asked.dsn_notify(True) == frozenset({Notify.SUCCESS, Notify.FAILURE, Notify.DELAY})
    assert asked.dsn_envid(False) is None and asked.dsn_notify(False) is None
    unasked = enqueue(outbox, 2, options=SendOptions(request_dsn=False))
    assert unasked.dsn_envid(True) is None and unasked.dsn_notify(True) is None


# -- a crash in the middle of enqueueing ----------------------------------------------------

ENQUEUER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from mailapp.store.blobs import BlobStore
    from mailapp.store.db import Database, load_migrations
    from mailapp.store.outbox import NewRecipient, OutboxRepository

    db = Database.open(sys.argv[1])
    outbox = OutboxRepository(db, BlobStore(sys.argv[2]))
    for n in range(200):
        raw = (f"Subject: crash {n}\\r\\n\\r\\n" + "x" * (n * 37 % 5000)).encode()
        outbox.enqueue(
            "work", raw=raw, message_id=f"<crash-{n}@example.com>",
            envelope_from="alice@example.com",
            recipients=[NewRecipient("bob@example.net"), NewRecipient(f"r{n}@example.org")],
            subject=f"crash {n}",
        )
        print(n, flush=True)
    """
)


def crash_raw(n: int) -> bytes:
    return (f"Subject: crash {n}\r\n\r\n" + "x" * (n * 37 % 5000)).encode()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_while_enqueueing_keeps_every_returned_enqueue(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    blob_root = tmp_path / "messages"
    Database.open(path).close()  # migrate before the child starts
    child = subprocess.Popen(
        [sys.executable, "-c", ENQUEUER, str(path), str(blob_root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    returned: list[int] = []
    try:
        assert child.stdout is not None
        while len(returned) < 40:
            line = child.stdout.readline()
            assert line, "the child stopped before it was killed"
            returned.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with Database.open(path) as database:
        with database.read() as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        outbox = OutboxRepository(database, BlobStore(blob_root))
        stored = outbox.list_outbox()
        assert len(stored) >= len(returned)
        for n in returned:
            entry = outbox.by_message_id(f"<crash-{n}@example.com>")
            assert entry is not None, n
            assert outbox.raw(entry) == crash_raw(n)
            assert entry.subject == f"crash {n}"
            assert [r.address for r in entry.recipients] == [
                "bob@example.net",
                f"r{n}@example.org",
            ]
        # Whatever else got in (the enqueue in progress) is whole too: never half a message.
        for entry in stored:
            assert len(entry.recipients) == 2
            assert outbox.raw(entry)


# -- batches (group commit of the sending worker) -------------------------------------------


def test_batch_outcomes_match_the_single_calls(outbox: OutboxRepository) -> None:
    to = ("bob@example.net", "carol@example.org", "dave@example.org")
    rcpt = (
        RcptReply("bob@example.net", 250, "2.1.5 Ok"),
        RcptReply("carol@example.org", 550, "5.1.1 User unknown"),
        RcptReply("dave@example.org", 251, "2.1.5 Will forward"),
    )
    single = [enqueue(outbox, n, to=to) for n in (1, 2, 3, 4)]
    batched = [enqueue(outbox, n, to=to) for n in (5, 6, 7, 8)]
    assert len(outbox.claim_due(T0, WORKER, limit=10)) == 8
    a, d, f, u = (e.id for e in single)
    for reply in rcpt:
        for outbox_id in (a, d, f, u):
            outbox.record_recipient_reply(outbox_id, reply.address, reply.code, reply.text)
    outbox.mark_data_started(a, WORKER, T0)
    outbox.mark_data_started(u, WORKER, T0)
    outbox.mark_accepted(a, WORKER, reply="2.0.0 Ok: 4ABC", smtp_host="h", dsn_offered=True, now=T0)
    outbox.mark_deferred(d, WORKER, error="busy", reply="4.3.0 busy", reply_code=451, now=T0)
    outbox.mark_failed(f, WORKER, reason="no", reply="5.3.4 too big", reply_code=552, now=T0)
    outbox.mark_uncertain(u, WORKER, reason="connection lost after DATA", now=T0)

    ba, bd, bf, bu = (e.id for e in batched)
    started = outbox.record_steps(WORKER, [DataStart(ba, rcpt), DataStart(bu, rcpt)], now=T0)
    assert [r.error for r in started] == [None, None]
    results = outbox.record_steps(
        WORKER,
        [
            Outcome.accepted(ba, reply="2.0.0 Ok: 4ABC", smtp_host="h", dsn_offered=True),
            Outcome.deferred(bd, error="busy", reply="4.3.0 busy", reply_code=451, replies=rcpt),
            Outcome.failed(bf, reason="no", reply="5.3.4 too big", reply_code=552, replies=rcpt),
            Outcome.uncertain(bu, reason="connection lost after DATA"),
        ],
        now=T0,
    )
    assert [r.error for r in results] == [None] * 4

    def shape(outbox_id: int) -> tuple[object, ...]:
        entry = outbox.get(outbox_id)
        assert entry is not None
        return (
            entry.state,
            entry.last_error,
            entry.last_reply,
            entry.last_reply_code,
            entry.sent_at,
            entry.next_attempt_at,
            entry.lease_owner,
            entry.data_started_at,
            tuple(
                (r.state, r.status, r.reply_code, r.diagnostic, r.reporting_host, r.in_flight)
                for r in entry.recipients
            ),
        )

    for one, many, result in zip((a, d, f, u), (ba, bd, bf, bu), results, strict=True):
        assert shape(one) == shape(many)
        assert result.state is shape(many)[0]
    assert [r.state for r in results] == [
        OutboxState.SENT,  # carol's 550 at RCPT fails her alone
        OutboxState.DEFERRED,
        OutboxState.FAILED,
        OutboxState.UNCERTAIN,
    ]
    assert outbox.record_steps(WORKER, []) == []


def test_a_failing_step_changes_nothing_and_spares_the_others(
    outbox: OutboxRepository,
) -> None:
    lost, bad, good, copied = (enqueue(outbox, n) for n in (1, 2, 3, 4))
    assert [e.id for e in outbox.claim_due(T0, WORKER, lease_seconds=10, limit=1)] == [lost.id]
    assert len(outbox.claim_due(T0, WORKER, limit=10)) == 3
    outbox.mark_accepted(copied.id, WORKER, reply="2.0.0 ok", smtp_host="h", dsn_offered=True)
    # Another worker took `lost` over after its lease ran out.
    later = T0 + timedelta(seconds=11)
    assert [e.id for e in outbox.claim_due(later, "worker-2", limit=1)] == [lost.id]
    ok = RcptReply("bob@example.net", 250, "2.1.5 Ok")
    stranger = RcptReply("nobody@example.org", 250, "2.1.5 Ok")
    results = outbox.record_steps(
        WORKER,
        [
            DataStart(lost.id, (ok,)),
            DataStart(bad.id, (ok, stranger), lease_seconds=600),
            LeaseRenewal(good.id, 900),
            DataStart(good.id, (ok,)),
            LeaseRenewal(lost.id),
            SentCopyMark(copied.id, SentCopyState.FAILED, "APPEND refused"),
        ],
        now=later,
    )
    errors = [type(r.error) if r.error else None for r in results]
    assert errors == [LeaseLostError, OutboxError, None, None, LeaseLostError, None]
    assert results[0].step == DataStart(lost.id, (ok,))
    # The failed steps left no trace: no marker, no RCPT reply, the lease as it was.
    taken, untouched, marked = (outbox.get(e.id) for e in (lost, bad, good))
    assert taken is not None and taken.lease_owner == "worker-2"
    assert taken.data_started_at is None
    assert untouched is not None and untouched.data_started_at is None
    assert untouched.recipients[0].rcpt_code is None
    assert untouched.lease_until == T0 + timedelta(seconds=DEFAULT_LEASE_SECONDS)
    assert marked is not None and marked.data_started_at == later
    assert marked.lease_until == later + timedelta(seconds=900)
    assert marked.recipients[0].rcpt_code == 250
    copy = outbox.get(copied.id)
    assert copy is not None
    assert (copy.sent_copy_state, copy.sent_copy_error) == (
        SentCopyState.FAILED,
        "APPEND refused",
    )


BATCH_THEN_KILL = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from mailapp.store.blobs import BlobStore
    from mailapp.store.db import Database
    from mailapp.store.outbox import DataStart, OutboxRepository, RcptReply
    now = datetime.fromisoformat(sys.argv[3])
    database = Database.open(sys.argv[1])
    outbox = OutboxRepository(database, BlobStore(sys.argv[2]))
    ids = [int(i) for i in sys.argv[4].split(",")]
    steps = [DataStart(i, (RcptReply("bob@example.net", 250, "2.1.5 Ok"),), 60) for i in ids]
    results = outbox.record_steps("worker-1", steps, now=now)
    assert all(r.error is None for r in results), results
    os.kill(os.getpid(), signal.SIGKILL)  # right after the commit: no clean shutdown
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_a_batch_of_data_markers_then_kill_9_makes_exactly_those_uncertain(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mail.sqlite3"
    blob_root = tmp_path / "messages"
    with Database.open(path) as database:
        outbox = OutboxRepository(database, BlobStore(blob_root))
        entries = [
            enqueue(outbox, n, to=("bob@example.net", "carol@example.org")) for n in range(6)
        ]
        assert len(outbox.claim_due(T0, WORKER, lease_seconds=60, limit=10)) == 6
        for entry in entries:
            outbox.record_recipient_reply(entry.id, "carol@example.org", 550, "5.1.1 unknown")
    in_data = [entries[0].id, entries[2].id, entries[3].id]
    child = subprocess.run(
        [sys.executable, "-c", BATCH_THEN_KILL, str(path), str(blob_root), T0.isoformat(),
         ",".join(map(str, in_data))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stderr

    with Database.open(path) as database:
        outbox = OutboxRepository(database, BlobStore(blob_root))
        report = outbox.recover(T0 + timedelta(seconds=61))
        assert sorted(report.uncertain) == sorted(in_data)
        assert sorted(report.requeued) == sorted({e.id for e in entries} - set(in_data))
        for entry in entries:
            after = outbox.get(entry.id)
            assert after is not None
            states = [r.state for r in after.recipients]
            if entry.id in in_data:
                assert after.state is OutboxState.UNCERTAIN
                assert after.last_error == INTERRUPTED_DURING_DATA
                # bob took RCPT (recorded with the marker): nobody knows; carol was refused.
                assert states == [DeliveryState.UNCERTAIN, DeliveryState.FAILED]
            else:
                assert after.state is OutboxState.QUEUED
                assert after.last_error == INTERRUPTED_BEFORE_DATA
                assert states == [DeliveryState.QUEUED, DeliveryState.QUEUED]
        # Never sent again without the person: only the others come back.
        again = outbox.claim_due(T0 + timedelta(days=30), "worker-2", limit=10)
        assert sorted(e.id for e in again) == sorted({e.id for e in entries} - set(in_data))
