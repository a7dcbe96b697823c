"""Delivery tracking: read a received report (DSN, MDN, bounce) and tie it to what we sent.

Imports: core, protocols.reports, store. Synchronous: the engine calls it in a worker thread.

Correlation, in the delivery guide's order: Original-Envelope-Id = our ENVID; the original
Message-ID (returned headers, message part, or quoted in a bounce's text); for a bounce with
neither, the failed address among recently sent recipients, only when exactly one message
fits. Per recipient: Original-Recipient (our ORCPT), then Final-Recipient; a message with a
single recipient takes a report's single block even when the report names an address we
never used (an alias expanded on the way).

Ingesting is idempotent: the key is the report's Message-ID (else sha256 of its bytes), and a
report already seen changes nothing. The report's bytes are kept in the BlobStore and each
event points at them: the original is one click away.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from mailapp.core.delivery import (
    PENDING_STATES,
    DeliveryEvent,
    DeliveryState,
    EventSource,
    OutboxState,
    ReadState,
    address_key,
    read_state_for_disposition,
    reply_code_in,
)
from mailapp.protocols.reports import (
    DeliveryAction,
    ParsedReport,
    RecipientReport,
    ReportKind,
    parse_report,
)
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.delivery import DeliveryRepository, apply_event, record_report
from mailapp.store.outbox import OutboxEntry, OutboxRecipient, OutboxRepository

# Kinds that speak about delivery or reading; feedback reports and auto-replies do not.
TRACKED_KINDS = frozenset({ReportKind.DSN, ReportKind.MDN, ReportKind.BOUNCE})
DEFAULT_ADDRESS_WINDOW = timedelta(days=7)

_ACTION_STATES = {
    DeliveryAction.FAILED: DeliveryState.FAILED,
    DeliveryAction.DELAYED: DeliveryState.DELAYED,
    DeliveryAction.DELIVERED: DeliveryState.DELIVERED,
    DeliveryAction.RELAYED: DeliveryState.RELAYED,
    DeliveryAction.EXPANDED: DeliveryState.EXPANDED,
}
_STATUS_CLASS_STATES = {
    "2": DeliveryState.DELIVERED,
    "4": DeliveryState.DELAYED,
    "5": DeliveryState.FAILED,
}


class MatchedBy(StrEnum):
    """How a report was tied to our message."""

    ENVID = "envid"
    MESSAGE_ID = "message-id"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class RecipientUpdate:
    """What one report did to one of our recipients."""

    address: str
    state: DeliveryState | None  # the state the report speaks for (None for an MDN)
    read_state: ReadState | None
    applied: bool  # False: kept as history only (older than the state it found)


@dataclass(frozen=True, slots=True)
class IngestResult:
    kind: ReportKind
    report_key: str
    matched_message_id: str | None = None
    outbox_id: int | None = None
    matched_by: MatchedBy | None = None
    updated: tuple[RecipientUpdate, ...] = ()
    duplicate: bool = False
    # True when the report is tied to a sent message: the receiving engine moves it to the
    # reports folder (per the account's setting). A report that matched nothing stays.
    file_away: bool = False
    report_ref: str | None = None  # BlobStore digest of the raw report

    @property
    def changed(self) -> bool:
        return any(update.applied for update in self.updated)


def report_key_for(raw: bytes, report: ParsedReport) -> str:
    """The report's Message-ID, else a digest of its bytes."""
    if report.report_message_id:
        return report.report_message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def delivery_state_for(kind: ReportKind, recipient: RecipientReport) -> DeliveryState | None:
    """The state a DSN or bounce block speaks for. The stated Action wins (Postfix reports an
    expired message as failed with a 4.4.1 status); only without one does the status class
    decide, and a bounce that says neither is a failure."""
    if recipient.action is not None:
        return _ACTION_STATES[recipient.action]
    if recipient.status:
        state = _STATUS_CLASS_STATES.get(recipient.status[:1])
        if state is not None:
            return state
    return DeliveryState.FAILED if kind is ReportKind.BOUNCE else None


class DeliveryTracker:
    """Ties received reports to the outbox's recipients."""

    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        *,
        outbox: OutboxRepository | None = None,
        delivery: DeliveryRepository | None = None,
        address_window: timedelta = DEFAULT_ADDRESS_WINDOW,
    ) -> None:
        self._db = database
        self._blobs = blobs
        self.outbox = outbox or OutboxRepository(database, blobs)
        self.delivery = delivery or DeliveryRepository(database)
        self.address_window = address_window

    def ingest(
        self,
        raw: bytes,
        *,
        account: str | None = None,
        now: datetime | None = None,
        parsed: ParsedReport | None = None,
    ) -> IngestResult:
        """Read one received message and record what it says about our recipients.

        `account`: the account whose mailbox it came from (limits the address fallback to
        that account's messages). `parsed`: the parse_report result if the caller has it.
        Ordinary mail, feedback reports and auto-replies change nothing (kind tells which).
        """
        now = now or datetime.now(UTC)
        report = parsed if parsed is not None else parse_report(raw)
        key = report_key_for(raw, report)
        if report.kind not in TRACKED_KINDS:
            return IngestResult(kind=report.kind, report_key=key)
        seen = self.delivery.report(key)
        if seen is not None:
            return self._duplicate(report, key, seen.outbox_id, seen.report_hash)

        entry, matched_by = self._correlate(report, account, now)
        report_hash = self._blobs.put(raw, durable=True) if entry is not None else None
        with self._db.durable_transaction() as connection:
            if not record_report(
                connection,
                key,
                kind=str(report.kind),
                outbox_id=None if entry is None else entry.id,
                report_hash=report_hash,
                now=now,
            ):
                # Another thread ingested the same report between our check and here.
                existing = self.delivery.report(key)
                return self._duplicate(
                    report,
                    key,
                    None if existing is None else existing.outbox_id,
                    None if existing is None else existing.report_hash,
                )
            if entry is None:
                return IngestResult(kind=report.kind, report_key=key)
            if entry.state is OutboxState.UNCERTAIN or any(
                r.state is DeliveryState.UNCERTAIN for r in entry.recipients
            ):
                # Any report about it proves the server took it.
                self.outbox.resolve_uncertain(entry.id, now)
            updates: list[RecipientUpdate] = []
            for part, block in enumerate(self._blocks(report)):
                target = _recipient_for(entry, block, len(report.recipients))
                if target is None:
                    continue
                event = _event_for(
                    report, block, now=now, key=key, part=part, report_hash=report_hash
                )
                if event is None:
                    continue
                applied = apply_event(connection, target.id, event)
                updates.append(
                    RecipientUpdate(target.address, event.state, event.read_state, applied)
                )
        return IngestResult(
            kind=report.kind,
            report_key=key,
            matched_message_id=entry.message_id,
            outbox_id=entry.id,
            matched_by=matched_by,
            updated=tuple(updates),
            file_away=True,
            report_ref=report_hash,
        )

    # -- correlation -------------------------------------------------------------------------

    def _correlate(
        self, report: ParsedReport, account: str | None, now: datetime
    ) -> tuple[OutboxEntry | None, MatchedBy | None]:
        if report.envelope_id:
            entry = self.outbox.by_envid(report.envelope_id.strip())
            if entry is not None:
                return entry, MatchedBy.ENVID
        if report.original_message_id:
            entry = self.outbox.by_message_id(report.original_message_id.strip())
            if entry is not None:
                return entry, MatchedBy.MESSAGE_ID
        if report.kind is ReportKind.MDN:
            return None, None
        entry = self._by_failed_address(report, account, now)
        return (entry, MatchedBy.ADDRESS) if entry is not None else (None, None)

    def _by_failed_address(
        self, report: ParsedReport, account: str | None, now: datetime
    ) -> OutboxEntry | None:
        """The one recent message sent to the report's addresses; None when none or several."""
        since = now - self.address_window
        found: set[int] = set()
        for block in report.recipients:
            addresses = {a for a in (block.original_recipient, block.recipient) if a}
            for address in addresses:
                candidates = {
                    status.outbox_id
                    for status in self.delivery.recent_recipients_by_address(
                        address, since, account=account
                    )
                    if status.state not in PENDING_STATES
                }
                if len(candidates) > 1:
                    return None
                found |= candidates
        if len(found) != 1:
            return None
        return self.outbox.get(found.pop())

    @staticmethod
    def _blocks(report: ParsedReport) -> tuple[RecipientReport, ...]:
        if report.recipients:
            return report.recipients
        if report.kind is ReportKind.MDN:
            # An MDN without Final-Recipient still speaks for a single-recipient message.
            return (RecipientReport(recipient=None),)
        return ()

    def _duplicate(
        self,
        report: ParsedReport,
        key: str,
        outbox_id: int | None,
        report_hash: str | None,
    ) -> IngestResult:
        entry = self.outbox.get(outbox_id) if outbox_id is not None else None
        return IngestResult(
            kind=report.kind,
            report_key=key,
            matched_message_id=None if entry is None else entry.message_id,
            outbox_id=outbox_id,
            duplicate=True,
            # Seen again in the Inbox (a re-sync): file it away again if it matched.
            file_away=outbox_id is not None,
            report_ref=report_hash,
        )


def _recipient_for(
    entry: OutboxEntry, block: RecipientReport, blocks: int
) -> OutboxRecipient | None:
    """Our recipient a report block speaks of: by ORCPT, then by final address."""
    by_orcpt = {address_key(r.orcpt): r for r in entry.recipients}
    by_address = {address_key(r.address): r for r in entry.recipients}
    if block.original_recipient:
        key = address_key(block.original_recipient)
        found = by_orcpt.get(key) or by_address.get(key)
        if found is not None:
            return found
    if block.recipient:
        key = address_key(block.recipient)
        found = by_address.get(key) or by_orcpt.get(key)
        if found is not None:
            return found
    if len(entry.recipients) == 1 and blocks <= 1:
        return entry.recipients[0]
    return None


def _event_for(
    report: ParsedReport,
    block: RecipientReport,
    *,
    now: datetime,
    key: str,
    part: int,
    report_hash: str | None,
) -> DeliveryEvent | None:
    if report.kind is ReportKind.MDN:
        disposition = report.disposition
        if disposition is None:
            return None
        read_state = read_state_for_disposition(disposition.type, disposition.modifiers)
        if read_state is None:
            return None
        return DeliveryEvent(
            time=now,
            source=EventSource.MDN,
            read_state=read_state,
            diagnostic=disposition.raw,
            reporting_host=report.reporting_ua,
            report_ref=report_hash,
            report_key=key,
            report_part=part,
        )
    state = delivery_state_for(report.kind, block)
    if state is None:
        return None
    when = block.last_attempt_date or now
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if state in (DeliveryState.FAILED, DeliveryState.DELAYED):
        # The words come from the system that refused or is still trying.
        host = block.remote_mta or report.reporting_mta
    else:
        host = report.reporting_mta or block.remote_mta
    return DeliveryEvent(
        time=min(when, now),
        source=EventSource.DSN if report.kind is ReportKind.DSN else EventSource.BOUNCE,
        state=state,
        status=block.status,
        reply_code=reply_code_in(block.diagnostic),
        diagnostic=block.diagnostic,
        reporting_host=host,
        report_ref=report_hash,
        report_key=key,
        report_part=part,
    )
