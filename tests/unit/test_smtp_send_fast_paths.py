"""The sending fast paths give exactly what the plain ways give.

`dot_stuffed` skips its regular expressions for a message that already has CRLF everywhere
and no line starting with "."; `apply_events` records a batch of outcome events in a few
statements. Both are compared with the straightforward version on the same input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailapp.core.delivery import DeliveryEvent, DeliveryState, EventSource, ReadState
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.delivery import DeliveryRepository, apply_event, apply_events
from mailapp.store.outbox import NewRecipient, OutboxRepository
from mailapp.transport.smtp import dot_stuffed

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def plain_dot_stuffed(message: bytes) -> bytes:
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return re.sub(rb"(?m)^\.", b"..", data)


@given(st.lists(st.sampled_from([b"a", b".", b"\r\n", b"\n", b"\r", b"x.y", b".."]), max_size=12))
def test_dot_stuffing_matches_the_plain_transformation(parts: list[bytes]) -> None:
    message = b"".join(parts)
    assert dot_stuffed(message) == plain_dot_stuffed(message)


def test_dot_stuffing_returns_a_clean_message_as_it_is() -> None:
    clean = b"Subject: x\r\n\r\nbody. with dots.\r\n"
    assert dot_stuffed(clean) is clean
    assert dot_stuffed(b"Subject: x\r\n\r\nno end") == b"Subject: x\r\n\r\nno end\r\n"


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Database, OutboxRepository]]:
    with Database.open(tmp_path / "mail.sqlite3") as database:
        yield database, OutboxRepository(database, BlobStore(tmp_path / "blobs"))


def recipient_ids(outbox: OutboxRepository, n: int) -> list[int]:
    entry = outbox.enqueue(
        "work",
        raw=f"Subject: {n}\r\n\r\nhi\r\n".encode(),
        message_id=f"<fast{n}@example.com>",
        envelope_from="alice@example.com",
        recipients=[NewRecipient(f"r{i}@example.net") for i in range(4)],
        now=T0,
    )
    return [r.id for r in entry.recipients]


def events_for(ids: list[int]) -> list[tuple[int, DeliveryEvent, bool]]:
    at = T0 + timedelta(minutes=1)
    accepted = DeliveryEvent(
        at, EventSource.SMTP, DeliveryState.ACCEPTED, "2.0.0", 250, "250 2.0.0 Ok", "smtp.x"
    )
    refused = DeliveryEvent(
        at, EventSource.SMTP, DeliveryState.FAILED, "5.1.1", 550, "550 5.1.1 no", "smtp.x"
    )
    late = DeliveryEvent(at, EventSource.DSN, DeliveryState.DELAYED, "4.4.1")
    read = DeliveryEvent(at, EventSource.MDN, None, read_state=ReadState.DISPLAYED)
    # forced, not forced over a terminal state, a remote source, a read state only
    return [(ids[0], accepted, True), (ids[1], refused, True), (ids[2], late, False),
            (ids[3], read, False)]  # fmt: skip


def snapshot(db: Database, ids: list[int]) -> list[object]:
    delivery = DeliveryRepository(db)
    result: list[object] = []
    for rid in ids:
        status = delivery.recipient(rid)
        assert status is not None
        result.append(
            (status.state, status.read_state, status.status, status.diagnostic,
             status.reply_code, status.updated_at,
             [(e.source, e.state, e.read_state, e.applied) for e in status.events])
        )  # fmt: skip
    with db.read() as connection:
        result.append(
            connection.execute(
                "SELECT reported FROM outbox_recipients WHERE id IN (?, ?, ?, ?) ORDER BY id",
                ids,
            ).fetchall()
        )
    return result


def test_apply_events_does_what_apply_event_does(
    stores: tuple[Database, OutboxRepository],
) -> None:
    db, outbox = stores
    one_by_one, batched = recipient_ids(outbox, 1), recipient_ids(outbox, 2)
    # A terminal state first, so the precedence has something to refuse.
    for ids in (one_by_one, batched):
        with db.write() as connection:
            apply_event(
                connection,
                ids[2],
                DeliveryEvent(T0, EventSource.DSN, DeliveryState.DELIVERED, "2.0.0"),
            )
    with db.write() as connection:
        expected = [apply_event(connection, r, e, force=f) for r, e, f in events_for(one_by_one)]
    with db.write() as connection:
        got = apply_events(connection, events_for(batched))
    assert got == expected == [True, True, False, True]
    assert snapshot(db, batched) == snapshot(db, one_by_one)
