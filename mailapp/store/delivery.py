"""Per-recipient delivery state and its evidence: events, timelines, summaries, ingested reports.

Imports: core, store.db and the stdlib.

Every change of a recipient's state goes through `apply_event`, or `apply_events` for many
at once (the outbox's SMTP outcomes), so the precedence of core.delivery holds whatever the
order evidence arrives in: a terminal state is never downgraded, older news is kept in the
timeline as history only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mailapp.core.delivery import (
    DeliveryEvent,
    DeliveryState,
    EventSource,
    MessageDeliverySummary,
    ReadState,
    RecipientKind,
    RecipientStatus,
    address_key,
    read_takes_over,
    summarize,
    takes_over,
)
from mailapp.core.errors import OutboxError
from mailapp.store.db import Database

# Evidence from beyond our submission server: the message left it for this recipient.
_REMOTE_SOURCES = frozenset({EventSource.DSN, EventSource.BOUNCE})


def epoch(moment: datetime) -> int:
    """Unix seconds of an aware datetime; a naive one is taken as UTC (reports' dates)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


RECIPIENT_COLUMNS = (
    "r.id, r.outbox_id, r.position, r.address, r.orcpt, r.kind, r.state, r.read_state,"
    " r.status, r.diagnostic, r.reporting_host, r.reply_code, r.updated_at"
)
_EVENT_COLUMNS = (
    "recipient_id, time, source, state, read_state, status, reply_code, diagnostic,"
    " reporting_host, report_key, report_part, report_hash, applied"
)


_MOVE_STATE = (
    "UPDATE outbox_recipients SET state = ?, status = ?, diagnostic = ?,"
    " reporting_host = ?, reply_code = ?, updated_at = ? WHERE id = ?"
)
_MOVE_READ = (
    "UPDATE outbox_recipients SET read_state = ?, updated_at = max(updated_at, ?) WHERE id = ?"
)


def _status_from(values: Any, events: tuple[DeliveryEvent, ...]) -> RecipientStatus:
    (rid, outbox_id, position, address, orcpt, kind, state, read_state, status, diagnostic,
     reporting_host, reply_code, updated_at) = values  # fmt: skip
    return RecipientStatus(
        id=int(rid),
        outbox_id=int(outbox_id),
        position=int(position),
        address=address,
        orcpt=orcpt,
        kind=RecipientKind(kind),
        state=DeliveryState(state),
        read_state=ReadState(read_state),
        status=status,
        diagnostic=diagnostic,
        reporting_host=reporting_host,
        reply_code=None if reply_code is None else int(reply_code),
        updated_at=moment(int(updated_at)),
        events=events,
    )


def _event_from(values: Any) -> DeliveryEvent:
    (_rid, time, source, state, read_state, status, reply_code, diagnostic, reporting_host,
     report_key, report_part, report_hash, applied) = values  # fmt: skip
    return DeliveryEvent(
        time=moment(int(time)),
        source=EventSource(source),
        state=None if state is None else DeliveryState(state),
        status=status,
        reply_code=None if reply_code is None else int(reply_code),
        diagnostic=diagnostic,
        reporting_host=reporting_host,
        report_ref=report_hash,
        read_state=None if read_state is None else ReadState(read_state),
        report_key=report_key,
        report_part=int(report_part),
        applied=bool(applied),
    )


def load_statuses(
    connection: sqlite3.Connection, where: str, params: Sequence[object], *, with_events: bool
) -> list[RecipientStatus]:
    """Recipients matching `where` (on alias r), each with its timeline, oldest event first."""
    rows = connection.execute(
        f"SELECT {RECIPIENT_COLUMNS} FROM outbox_recipients r WHERE {where}"
        " ORDER BY r.outbox_id, r.position",
        tuple(params),
    ).fetchall()
    events: dict[int, list[DeliveryEvent]] = {}
    if with_events and rows:
        ids = [row[0] for row in rows]
        for values in connection.execute(
            f"SELECT {_EVENT_COLUMNS} FROM delivery_events"
            " WHERE recipient_id IN (SELECT value FROM json_each(?)) ORDER BY time, id",
            (json.dumps(ids),),
        ):
            events.setdefault(values[0], []).append(_event_from(values))
    return [_status_from(row, tuple(events.get(row[0], ()))) for row in rows]


def apply_event(
    connection: sqlite3.Connection,
    recipient_id: int,
    event: DeliveryEvent,
    *,
    force: bool = False,
) -> bool:
    """Record the event on the recipient's timeline and move its states per the precedence.

    Returns True when the event became the recipient's current evidence (its delivery or read
    state follows it). An event whose report_key this recipient already has is a duplicate:
    nothing is written and False is returned. force=True skips the precedence (the person's
    retry starts over). Must run inside a write transaction.
    """
    row = connection.execute(
        "SELECT state, read_state FROM outbox_recipients WHERE id = ?", (recipient_id,)
    ).fetchone()
    if row is None:
        raise OutboxError(f"no outgoing recipient with id {recipient_id}")
    current, current_read = DeliveryState(row[0]), ReadState(row[1])
    moves_state = event.state is not None and (force or takes_over(current, event.state))
    moves_read = event.read_state is not None and read_takes_over(current_read, event.read_state)
    applied = moves_state or moves_read
    when = epoch(event.time)
    cursor = connection.execute(
        f"INSERT OR IGNORE INTO delivery_events ({_EVENT_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _event_row(recipient_id, event, applied),
    )
    if cursor.rowcount == 0:
        return False
    if event.source in _REMOTE_SOURCES and event.state is not None:
        connection.execute(
            "UPDATE outbox_recipients SET reported = 1 WHERE id = ?", (recipient_id,)
        )
    if moves_state:
        assert event.state is not None
        connection.execute(
            _MOVE_STATE,
            (
                str(event.state),
                event.status,
                event.diagnostic,
                event.reporting_host,
                event.reply_code,
                when,
                recipient_id,
            ),
        )
    if moves_read:
        assert event.read_state is not None
        connection.execute(_MOVE_READ, (str(event.read_state), when, recipient_id))
    return applied


def _event_row(recipient_id: int, event: DeliveryEvent, applied: bool) -> tuple[object, ...]:
    return (
        recipient_id,
        epoch(event.time),
        str(event.source),
        None if event.state is None else str(event.state),
        None if event.read_state is None else str(event.read_state),
        event.status,
        event.reply_code,
        event.diagnostic,
        event.reporting_host,
        event.report_key,
        event.report_part,
        event.report_ref,
        int(applied),
    )


def apply_events(
    connection: sqlite3.Connection,
    events: Sequence[tuple[int, DeliveryEvent, bool]],
    *,
    current: Mapping[int, tuple[DeliveryState, ReadState]] | None = None,
) -> list[bool]:
    """`apply_event(connection, recipient_id, event, force=force)` for each
    (recipient_id, event, force), in order, with the same effects and results, in a few
    statements for the whole batch instead of a few per event.

    `current`: the recipients' (state, read_state) as the caller just read them in this
    transaction (saves reading them again); missing ones are read. Events with a report_key
    (a duplicate is found per event) or several events for one recipient go one by one.
    Must run inside a write transaction.
    """
    ids = [recipient_id for recipient_id, _event, _force in events]
    if len(set(ids)) != len(ids) or any(event.report_key is not None for _r, event, _f in events):
        return [apply_event(connection, r, event, force=force) for r, event, force in events]
    states = dict(current or {})
    missing = [recipient_id for recipient_id in ids if recipient_id not in states]
    if missing:
        for rid, state, read_state in connection.execute(
            "SELECT id, state, read_state FROM outbox_recipients"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(missing),),
        ):
            states[rid] = (DeliveryState(state), ReadState(read_state))
    rows: list[tuple[object, ...]] = []
    reported: list[tuple[int]] = []
    moved: list[tuple[object, ...]] = []
    read: list[tuple[object, ...]] = []
    results: list[bool] = []
    for recipient_id, event, force in events:
        known = states.get(recipient_id)
        if known is None:
            raise OutboxError(f"no outgoing recipient with id {recipient_id}")
        state, read_state = known
        moves_state = event.state is not None and (force or takes_over(state, event.state))
        moves_read = event.read_state is not None and read_takes_over(read_state, event.read_state)
        applied = moves_state or moves_read
        when = epoch(event.time)
        rows.append(_event_row(recipient_id, event, applied))
        if event.source in _REMOTE_SOURCES and event.state is not None:
            reported.append((recipient_id,))
        if moves_state:
            moved.append((
                str(event.state), event.status, event.diagnostic, event.reporting_host,
                event.reply_code, when, recipient_id,
            ))  # fmt: skip
        if moves_read:
            read.append((str(event.read_state), when, recipient_id))
        results.append(applied)
    connection.executemany(
        f"INSERT INTO delivery_events ({_EVENT_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    if reported:
        connection.executemany("UPDATE outbox_recipients SET reported = 1 WHERE id = ?", reported)
    if moved:
        connection.executemany(_MOVE_STATE, moved)
    if read:
        connection.executemany(_MOVE_READ, read)
    return results


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A report already ingested: its key, kind, and the outgoing message it matched."""

    report_key: str
    kind: str
    outbox_id: int | None
    report_hash: str | None
    ingested_at: datetime


class DeliveryRepository:
    """Recipients' delivery states, timelines and summaries; the ledger of ingested reports."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- events ------------------------------------------------------------------------------

    def add_event(self, recipient_id: int, event: DeliveryEvent) -> bool:
        """Add evidence about one recipient (see apply_event); True when it was applied."""
        with self._db.write() as connection:
            return apply_event(connection, recipient_id, event)

    # -- reads -------------------------------------------------------------------------------

    def recipients(self, outbox_id: int) -> list[RecipientStatus]:
        """The message's recipients in envelope order, each with its whole timeline."""
        with self._db.read() as connection:
            return load_statuses(connection, "r.outbox_id = ?", (outbox_id,), with_events=True)

    def recipient(self, recipient_id: int) -> RecipientStatus | None:
        with self._db.read() as connection:
            found = load_statuses(connection, "r.id = ?", (recipient_id,), with_events=True)
        return found[0] if found else None

    def summary(self, outbox_id: int) -> MessageDeliverySummary | None:
        """The Delivery column for one outgoing message; None if there is no such message."""
        return self.summaries([outbox_id]).get(outbox_id)

    def summaries(self, outbox_ids: Iterable[int]) -> dict[int, MessageDeliverySummary]:
        """Summaries for many messages at once (a window of the Sent list)."""
        ids = list(dict.fromkeys(outbox_ids))
        if not ids:
            return {}
        with self._db.read() as connection:
            heads = {
                row[0]: (row[1], bool(row[2]))
                for row in connection.execute(
                    "SELECT id, dsn_offered, request_dsn FROM outbox"
                    " WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(ids),),
                )
            }
            rows: dict[int, list[tuple[str, DeliveryState, ReadState]]] = {i: [] for i in heads}
            for outbox_id, address, state, read_state in connection.execute(
                "SELECT outbox_id, address, state, read_state FROM outbox_recipients"
                " WHERE outbox_id IN (SELECT value FROM json_each(?)) ORDER BY outbox_id, position",
                (json.dumps(ids),),
            ):
                rows[outbox_id].append((address, DeliveryState(state), ReadState(read_state)))
        result: dict[int, MessageDeliverySummary] = {}
        for outbox_id, (dsn_offered, request_dsn) in heads.items():
            result[outbox_id] = summarize(
                rows[outbox_id],
                dsn_offered=None if dsn_offered is None else bool(dsn_offered),
                reports_requested=request_dsn,
            )
        return result

    def summaries_by_message_id(
        self, message_ids: Iterable[str]
    ) -> dict[str, MessageDeliverySummary]:
        """Summaries keyed by Message-ID (the Sent folder's rows know only that)."""
        wanted = list(dict.fromkeys(message_ids))
        if not wanted:
            return {}
        with self._db.read() as connection:
            pairs = connection.execute(
                "SELECT id, message_id FROM outbox"
                " WHERE message_id IN (SELECT value FROM json_each(?))",
                (json.dumps(wanted),),
            ).fetchall()
        by_id = self.summaries(row[0] for row in pairs)
        return {message_id: by_id[oid] for oid, message_id in pairs if oid in by_id}

    def find_recipient(self, outbox_id: int, address_or_orcpt: str) -> RecipientStatus | None:
        """The message's recipient a report names: by ORCPT first, then by address."""
        key = address_key(address_or_orcpt)
        with self._db.read() as connection:
            for column in ("orcpt_key", "address_key"):
                found = load_statuses(
                    connection,
                    f"r.outbox_id = ? AND r.{column} = ?",
                    (outbox_id, key),
                    with_events=False,
                )
                if found:
                    return found[0]
        return None

    def recent_recipients_by_address(
        self, address: str, since: datetime, *, account: str | None = None
    ) -> list[RecipientStatus]:
        """Recipients with this address (or ORCPT) of messages sent since `since`, newest
        message first: the candidates for a bounce that names only the failed address."""
        key = address_key(address)
        where = (
            "(r.address_key = ? OR r.orcpt_key = ?) AND r.outbox_id IN"
            " (SELECT id FROM outbox WHERE coalesce(sent_at, data_started_at, created_at) >= ?"
        )
        params: list[object] = [key, key, epoch(since)]
        if account is not None:
            where += " AND account = ?"
            params.append(account)
        where += ")"
        with self._db.read() as connection:
            found = load_statuses(connection, where, params, with_events=False)
        found.sort(key=lambda status: status.outbox_id, reverse=True)
        return found

    # -- ingested reports --------------------------------------------------------------------

    def report_seen(self, report_key: str) -> bool:
        return self.report(report_key) is not None

    def report(self, report_key: str) -> ReportRecord | None:
        with self._db.read() as connection:
            row = connection.execute(
                "SELECT report_key, kind, outbox_id, report_hash, ingested_at"
                " FROM delivery_reports WHERE report_key = ?",
                (report_key,),
            ).fetchone()
        if row is None:
            return None
        return ReportRecord(row[0], row[1], row[2], row[3], moment(row[4]))

    def record_report(
        self,
        report_key: str,
        kind: str,
        outbox_id: int | None,
        report_hash: str | None,
        now: datetime | None = None,
    ) -> bool:
        """Note a report as ingested; False if it was already (nothing changes then)."""
        with self._db.write() as connection:
            return record_report(
                connection,
                report_key,
                kind=kind,
                outbox_id=outbox_id,
                report_hash=report_hash,
                now=now,
            )

    def reports_for(self, outbox_id: int) -> list[ReportRecord]:
        """Every report matched to the message, oldest first (the originals to show)."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT report_key, kind, outbox_id, report_hash, ingested_at"
                " FROM delivery_reports WHERE outbox_id = ? ORDER BY ingested_at, rowid",
                (outbox_id,),
            ).fetchall()
        return [ReportRecord(r[0], r[1], r[2], r[3], moment(r[4])) for r in rows]


def record_report(
    connection: sqlite3.Connection,
    report_key: str,
    *,
    kind: str,
    outbox_id: int | None,
    report_hash: str | None,
    now: datetime | None = None,
) -> bool:
    """record_report inside the caller's transaction (ingest writes it with the events)."""
    cursor = connection.execute(
        "INSERT OR IGNORE INTO delivery_reports"
        " (report_key, kind, outbox_id, report_hash, ingested_at) VALUES (?, ?, ?, ?, ?)",
        (report_key, kind, outbox_id, report_hash, epoch(now or now_utc())),
    )
    return cursor.rowcount > 0
