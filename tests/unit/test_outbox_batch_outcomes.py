"""`record_steps` settles a batch of accepted outcomes in a few statements for all of them:
the rows it writes (entries, recipients, timelines) are exactly those of the single calls,
and a batch in which one step fails goes step by step with the same results.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.delivery import DeliveryEvent, DeliveryState, EventSource, SentCopyState
from mailapp.core.errors import LeaseLostError
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.delivery import apply_event
from mailapp.store.outbox import (
    DataStart,
    NewRecipient,
    OutboxRepository,
    Outcome,
    RcptReply,
)

T0 = datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
WORKER = "worker-1"
TO = ("bob@example.net", "carol@example.org", "dave@example.org")
OK = "2.1.5 Ok"


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Database, OutboxRepository]]:
    with Database.open(tmp_path / "mail.sqlite3") as database:
        yield database, OutboxRepository(database, BlobStore(tmp_path / "messages"))


def enqueue(outbox: OutboxRepository, n: int) -> int:
    raw = f"From: a@example.com\r\nSubject: {n}\r\nMessage-ID: <b{n}@x>\r\n\r\nbody\r\n"
    entry = outbox.enqueue(
        "work",
        raw=raw.encode(),
        message_id=f"<b{n}@x>",
        envelope_from="a@example.com",
        recipients=[NewRecipient(address) for address in TO],
        now=T0,
    )
    return entry.id


# Per case: the RCPT replies, whether they go with the marker (else with the outcome), and
# whether a fast report already told that dave got it.
CASES = [
    ((250, 250, 250), True, False),
    ((250, 250, 250), False, False),
    ((250, 550, 251), True, False),
    ((250, 550, 451), False, False),
    ((250, 250, 250), True, True),
]


def replies_for(codes: tuple[int, ...]) -> tuple[RcptReply, ...]:
    return tuple(
        RcptReply(address, code, OK if code < 300 else "5.1.1 no")
        for address, code in zip(TO, codes, strict=True)
    )


def snapshot(db: Database, ids: list[int]) -> list[object]:
    """Every column the outcome writes, with the outbox ids replaced by their position."""
    rows: list[object] = []
    with db.read() as connection:
        for n, outbox_id in enumerate(ids):
            head = connection.execute(
                "SELECT state, attempts, next_attempt_at, last_error, last_reply,"
                " last_reply_code, smtp_host, dsn_offered, data_started_at, sent_at,"
                " sent_copy_state, sent_copy_error, lease_owner, lease_until, updated_at"
                " FROM outbox WHERE id = ?",
                (outbox_id,),
            ).fetchone()
            recipients = connection.execute(
                "SELECT position, state, read_state, status, diagnostic, reporting_host,"
                " reply_code, rcpt_code, rcpt_reply, in_flight, reported, updated_at"
                " FROM outbox_recipients WHERE outbox_id = ? ORDER BY position",
                (outbox_id,),
            ).fetchall()
            events = connection.execute(
                "SELECT r.position, e.time, e.source, e.state, e.read_state, e.status,"
                " e.reply_code, e.diagnostic, e.reporting_host, e.applied FROM delivery_events e"
                " JOIN outbox_recipients r ON r.id = e.recipient_id WHERE r.outbox_id = ?"
                " ORDER BY e.id",
                (outbox_id,),
            ).fetchall()
            rows.append((n, head, recipients, events))
    return rows


def prepare(db: Database, outbox: OutboxRepository, first: int) -> list[int]:
    ids = [enqueue(outbox, first + n) for n in range(len(CASES))]
    assert len(outbox.claim_due(T0, WORKER, limit=len(ids))) == len(ids)
    for outbox_id, (_codes, _with_marker, reported) in zip(ids, CASES, strict=True):
        if reported:
            with db.write() as connection:
                dave = connection.execute(
                    "SELECT id FROM outbox_recipients WHERE outbox_id = ? AND position = 2",
                    (outbox_id,),
                ).fetchone()[0]
                apply_event(
                    connection,
                    dave,
                    DeliveryEvent(T0, EventSource.DSN, DeliveryState.DELIVERED, "2.0.0"),
                )
    return ids


def test_a_batch_of_accepted_outcomes_writes_what_the_single_calls_write(
    stores: tuple[Database, OutboxRepository],
) -> None:
    db, outbox = stores
    later = T0 + timedelta(seconds=5)
    single = prepare(db, outbox, 1)
    batched = prepare(db, outbox, 100)
    for outbox_id, (codes, _with_marker, _reported) in zip(single, CASES, strict=True):
        for reply in replies_for(codes):
            outbox.record_recipient_reply(outbox_id, reply.address, reply.code, reply.text)
        outbox.mark_data_started(outbox_id, WORKER, later)
        outbox.mark_accepted(
            outbox_id, WORKER, reply="2.0.0 Ok: 4ABC", smtp_host="h", dsn_offered=True, now=later
        )
    markers = [
        DataStart(outbox_id, replies_for(codes) if with_marker else ())
        for outbox_id, (codes, with_marker, _reported) in zip(batched, CASES, strict=True)
    ]
    assert all(r.error is None for r in outbox.record_steps(WORKER, markers, now=later))
    outcomes = [
        Outcome.accepted(
            outbox_id,
            reply="2.0.0 Ok: 4ABC",
            smtp_host="h",
            dsn_offered=True,
            replies=() if with_marker else replies_for(codes),
        )
        for outbox_id, (codes, with_marker, _reported) in zip(batched, CASES, strict=True)
    ]
    results = outbox.record_steps(WORKER, outcomes, now=later)
    assert [r.error for r in results] == [None] * len(CASES)
    assert snapshot(db, batched) == snapshot(db, single)
    states = [outbox.get(i).state for i in single]  # type: ignore[union-attr]
    assert [r.state for r in results] == states
    assert [str(s) for s in states] == ["sent", "sent", "sent", "deferred", "sent"]


def test_a_batch_with_a_lost_lease_goes_step_by_step(
    stores: tuple[Database, OutboxRepository],
) -> None:
    db, outbox = stores
    single = prepare(db, outbox, 1)[:2]
    batched = prepare(db, outbox, 100)[:2]
    later = T0 + timedelta(seconds=5)
    replies = replies_for((250, 250, 250))
    for ids in (single, batched):
        assert all(
            r.error is None
            for r in outbox.record_steps(WORKER, [DataStart(i, replies) for i in ids], now=later)
        )
    # The second entry of each pair was taken over by another worker (its lease ran out).
    with db.write() as connection:
        connection.execute(
            "UPDATE outbox SET lease_owner = 'worker-2' WHERE id IN (?, ?)",
            (single[1], batched[1]),
        )
    outbox.mark_accepted(
        single[0], WORKER, reply="2.0.0 Ok", smtp_host="h", dsn_offered=True, now=later
    )
    with pytest.raises(LeaseLostError):
        outbox.mark_accepted(
            single[1], WORKER, reply="2.0.0 Ok", smtp_host="h", dsn_offered=True, now=later
        )
    results = outbox.record_steps(
        WORKER,
        [
            Outcome.accepted(
                i, reply="2.0.0 Ok", smtp_host="h", dsn_offered=True, sent_copy=SentCopyState.DONE
            )
            for i in batched
        ],
        now=later,
    )
    assert results[0].error is None and isinstance(results[1].error, LeaseLostError)
    # The local copy aside (the single call does not record it), the same rows.
    with db.write() as connection:
        connection.execute("UPDATE outbox SET sent_copy_state = 'done' WHERE id = ?", (single[0],))
    assert snapshot(db, batched) == snapshot(db, single)
