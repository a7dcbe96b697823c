"""Delivery tracking values: per-recipient states, read receipts, events, summaries, and the
precedence rules that decide which piece of evidence a recipient's current state follows.

Pure values and functions, no I/O. Imports: the standard library, core.draft and core.errors.

Two separate axes per recipient:
- DeliveryState: what became of the message on its way (SMTP replies, DSNs, bounces).
- ReadState: what the recipient's program said about it (MDN, RFC 8098).
An MDN never changes the delivery state and a DSN never changes the read state.

Precedence (see `next_state`): reports arrive out of order and twice, so a recipient's state
only moves forward along

    queued | sending | deferred  <  uncertain  <  accepted  <  delayed  <  relayed | expanded
                                                                          <  delivered | failed

delivered and failed are terminal: once there, no later report changes the state (a `delayed`
arriving after `delivered` is an old report overtaken in transit). relayed and expanded are
not terminal: the next system may still report (a later `delivered` upgrades them), but a
`delayed` after them is taken as older news. Equal ranks take the newer evidence (a second
`delayed` refreshes the status and diagnostic). Only the person can start over: `retry` in
the outbox is an explicit reset, not an event passing through these rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from mailapp.core.draft import domain_to_ascii
from mailapp.core.errors import InvalidAddressError


class DeliveryState(StrEnum):
    """Per-recipient delivery state, as the product's delivery-tracking guide defines it."""

    QUEUED = "queued"  # in the outbox, not tried yet (or waiting for the network)
    SENDING = "sending"  # a transaction is under way
    DEFERRED = "deferred"  # temporary failure at submission (4xx or network); next try later
    ACCEPTED = "accepted"  # the submission server took it (250 after DATA)
    RELAYED = "relayed"  # DSN: passed to a system that gives no reports
    EXPANDED = "expanded"  # DSN: an alias or list took it and sent it on
    DELAYED = "delayed"  # DSN: still trying
    DELIVERED = "delivered"  # DSN delivered, or the recipient's own MX said 250
    FAILED = "failed"  # DSN failed, a bounce, or a 5xx at submission
    UNCERTAIN = "uncertain"  # the connection broke after the data and before the reply


class ReadState(StrEnum):
    """The MDN axis (RFC 8098 disposition types; denied and failed from RFC 3798)."""

    NONE = "none"  # no receipt (none asked for, or none came yet)
    FAILED = "failed"  # the recipient's program could not produce a receipt (error)
    DENIED = "denied"  # the recipient declined to send a receipt (RFC 3798)
    PROCESSED = "processed"  # handled without being shown (a filter, an archive)
    DISPATCHED = "dispatched"  # sent on without being shown (a forward)
    DELETED = "deleted"  # deleted without being shown
    DISPLAYED = "displayed"  # shown to the recipient: "Read"


class EventSource(StrEnum):
    """Where a piece of evidence came from (the timeline's "source" column)."""

    SMTP = "smtp"  # a reply of our submission (or MX) server
    DSN = "dsn"  # a standard delivery status notification (RFC 3464)
    MDN = "mdn"  # a read receipt (RFC 8098)
    BOUNCE = "bounce"  # a non-standard bounce or delay notice
    USER = "user"  # the person did it (retry)
    SYSTEM = "system"  # mailapp itself (queued, crash recovery, giving up)


class OutboxState(StrEnum):
    """The state of a whole outgoing message in the outbox (not per recipient)."""

    QUEUED = "queued"  # waiting for its first (or next, after recovery) attempt
    SENDING = "sending"  # a worker holds its lease
    DEFERRED = "deferred"  # temporary failure; tried again at next_attempt_at
    SENT = "sent"  # the server took it for every recipient that is not failed
    FAILED = "failed"  # nobody took it; stays in the outbox with its reason
    UNCERTAIN = "uncertain"  # may or may not have been sent; only the person resends


class RecipientKind(StrEnum):
    TO = "to"
    CC = "cc"
    BCC = "bcc"


class SentCopyState(StrEnum):
    """The copy to the account's Sent folder, made after the server accepted the message."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # the server files its own copy, or the setting is off


# -- precedence -----------------------------------------------------------------------------

TERMINAL_STATES = frozenset({DeliveryState.DELIVERED, DeliveryState.FAILED})
# Still in the outbox: the submission server has not answered for them yet.
PENDING_STATES = frozenset({DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.DEFERRED})

_RANK: dict[DeliveryState, int] = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENDING: 0,
    DeliveryState.DEFERRED: 0,
    DeliveryState.UNCERTAIN: 1,
    DeliveryState.ACCEPTED: 2,
    DeliveryState.DELAYED: 3,
    DeliveryState.RELAYED: 4,
    DeliveryState.EXPANDED: 4,
    DeliveryState.DELIVERED: 5,
    DeliveryState.FAILED: 5,
}

_READ_RANK: dict[ReadState, int] = {
    ReadState.NONE: 0,
    ReadState.FAILED: 1,
    ReadState.DENIED: 2,
    ReadState.PROCESSED: 3,
    ReadState.DISPATCHED: 4,
    ReadState.DELETED: 5,
    ReadState.DISPLAYED: 6,
}


def is_terminal(state: DeliveryState) -> bool:
    return state in TERMINAL_STATES


def takes_over(current: DeliveryState, incoming: DeliveryState) -> bool:
    """True when evidence of `incoming` becomes the recipient's current state (see module)."""
    if current in TERMINAL_STATES:
        return False
    return _RANK[incoming] >= _RANK[current]


def next_state(current: DeliveryState, incoming: DeliveryState) -> DeliveryState:
    """The recipient's state after evidence of `incoming` arrives while it is `current`."""
    return incoming if takes_over(current, incoming) else current


def read_takes_over(current: ReadState, incoming: ReadState) -> bool:
    """Read receipts only move up: displayed is final, a late `processed` changes nothing."""
    if incoming is ReadState.NONE or current is ReadState.DISPLAYED:
        return False
    return _READ_RANK[incoming] >= _READ_RANK[current]


def next_read_state(current: ReadState, incoming: ReadState) -> ReadState:
    return incoming if read_takes_over(current, incoming) else current


def read_state_for_disposition(
    disposition_type: str | None, modifiers: Iterable[str] = ()
) -> ReadState | None:
    """An MDN's disposition as a ReadState; None when it says nothing we know (ignored).

    The type decides ("displayed/error" was still displayed); the `error` modifier alone,
    with no known type, means the recipient's program failed to process the message.
    """
    try:
        state = ReadState((disposition_type or "").strip().lower())
    except ValueError:
        state = ReadState.NONE
    if state is not ReadState.NONE:
        return state
    if any(m.strip().lower() in ("error", "failed", "failure") for m in modifiers):
        return ReadState.FAILED
    return None


# -- retry schedule -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff: 1 min, 2, 4, ... capped at 1 h; give up after 5 days
    (Postfix's default queue lifetime), counted from when the message was queued."""

    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=5)

    def delay(self, failed_attempts: int) -> timedelta:
        """Wait before the next try after `failed_attempts` failures (0 failures: none)."""
        if failed_attempts <= 0:
            return timedelta(0)
        # Capping the exponent first keeps the number small for absurd attempt counts.
        exponent = min(failed_attempts - 1, 32)
        return min(self.first_delay * (1 << exponent), self.max_delay)

    def gives_up(self, queued_at: datetime, now: datetime) -> bool:
        return now - queued_at >= self.give_up_after


DEFAULT_RETRY_POLICY = RetryPolicy()


# -- addresses and replies ------------------------------------------------------------------


def address_key(address: str) -> str:
    """The form two addresses are compared in: case-folded, domain in A-labels.

    Local parts are case-sensitive by the letter of RFC 5321, but reports routinely change
    their case and no mail system we know of gives two mailboxes that differ only in case,
    so comparing without case finds the report's recipient instead of missing it. The
    address itself is stored and shown as written.
    """
    text = address.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return text.casefold()
    try:
        domain = domain_to_ascii(domain)
    except InvalidAddressError:
        domain = domain.lower()
    return f"{local.casefold()}@{domain.lower()}"


_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)")
_LEADING_REPLY = re.compile(r"^([2-5]\d\d)(?:[ -]+|$)")


def split_reply(text: str) -> tuple[str | None, str]:
    """An SMTP reply text as (enhanced status code, rest): "5.1.1 No such user" ->
    ("5.1.1", "No such user"). A text without a code comes back whole."""
    stripped = text.strip()
    match = _ENHANCED.match(stripped)
    if not match:
        return None, stripped
    return match.group(1), stripped[match.end() :].strip()


def reply_code_in(diagnostic: str | None) -> int | None:
    """The SMTP reply code a report's diagnostic starts with ("550 5.1.1 ..." -> 550)."""
    if not diagnostic:
        return None
    match = _LEADING_REPLY.match(diagnostic.strip())
    return int(match.group(1)) if match else None


def state_for_reply(code: int) -> DeliveryState:
    """Where one recipient stands after a server reply: 2xx accepted, 4xx deferred, 5xx
    failed (anything else, like a 3xx where none belongs, counts as a temporary fault)."""
    if 200 <= code < 300:
        return DeliveryState.ACCEPTED
    if 500 <= code < 600:
        return DeliveryState.FAILED
    return DeliveryState.DEFERRED


# -- events and views -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """One piece of evidence about one recipient, as the timeline shows it.

    `state` is the delivery state the evidence speaks for (None for an MDN); `read_state` the
    read receipt (MDN only). `report_ref` is the BlobStore hash of the raw report (the
    original one click away); `report_key` the report's idempotency key.
    """

    time: datetime
    source: EventSource
    state: DeliveryState | None = None
    status: str | None = None  # enhanced status code, "5.1.1"
    reply_code: int | None = None  # SMTP reply code, 550
    diagnostic: str | None = None  # the server's own words
    reporting_host: str | None = None
    report_ref: str | None = None
    read_state: ReadState | None = None
    report_key: str | None = None
    # Which per-recipient block of the report (an alias can yield several for one of ours).
    report_part: int = 0
    # False when the event is kept only as history (older news than the current state).
    applied: bool = True


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One recipient of a sent (or outgoing) message: current states and their evidence."""

    id: int
    outbox_id: int
    position: int
    address: str
    orcpt: str
    kind: RecipientKind
    state: DeliveryState
    read_state: ReadState
    status: str | None
    diagnostic: str | None
    reporting_host: str | None
    reply_code: int | None
    updated_at: datetime
    events: tuple[DeliveryEvent, ...] = ()

    @property
    def last_event(self) -> DeliveryEvent | None:
        """The newest event that moved the state (None before any evidence)."""
        for event in reversed(self.events):
            if event.applied:
                return event
        return None


class SummaryKind(StrEnum):
    """Which icon the Delivery column shows; the label carries the words."""

    QUEUED = "queued"
    SENDING = "sending"
    DEFERRED = "deferred"
    UNCERTAIN = "uncertain"
    ACCEPTED = "accepted"  # "Sent to server"
    RELAYED = "relayed"
    DELAYED = "delayed"
    DELIVERED = "delivered"  # every recipient
    PARTLY_DELIVERED = "partly-delivered"
    FAILED = "failed"
    READ = "read"


@dataclass(frozen=True, slots=True)
class MessageDeliverySummary:
    """A sent message at a glance: counts per state and the Delivery column's word."""

    total: int
    counts: Mapping[DeliveryState, int]
    read_count: int
    kind: SummaryKind
    label: str
    # True when the server said it gives no delivery reports (DSN not offered): the panel
    # says so once instead of an eternal "pending".
    reports_unavailable: bool = False
    recipients: tuple[tuple[str, DeliveryState, ReadState], ...] = field(default=())

    def count(self, state: DeliveryState) -> int:
        return self.counts.get(state, 0)


def summarize(
    recipients: Iterable[tuple[str, DeliveryState, ReadState]],
    *,
    dsn_offered: bool | None = None,
    reports_requested: bool = True,
) -> MessageDeliverySummary:
    """The Delivery column for one message from its recipients' (address, state, read).

    Order of what matters most: a failure, a doubt, still sending, a delay, read, delivered,
    then sent to the server. Words follow the UX guide ("Delivered 3/3", "Failed 1/3").
    """
    rows = tuple(recipients)
    total = len(rows)
    counts: dict[DeliveryState, int] = {}
    for _address, state, _read in rows:
        counts[state] = counts.get(state, 0) + 1
    read_count = sum(1 for _a, _s, read in rows if read is ReadState.DISPLAYED)

    def has(*states: DeliveryState) -> int:
        return sum(counts.get(state, 0) for state in states)

    failed = has(DeliveryState.FAILED)
    delivered = has(DeliveryState.DELIVERED)
    if total == 0:
        kind, label = SummaryKind.QUEUED, "Queued"
    elif failed:
        kind, label = SummaryKind.FAILED, f"Failed {failed}/{total}"
    elif has(DeliveryState.UNCERTAIN):
        kind, label = SummaryKind.UNCERTAIN, "Uncertain"
    elif has(DeliveryState.SENDING):
        kind, label = SummaryKind.SENDING, "Sending"
    elif has(DeliveryState.DEFERRED):
        kind, label = SummaryKind.DEFERRED, "Deferred"
    elif has(DeliveryState.QUEUED):
        kind, label = SummaryKind.QUEUED, "Queued"
    elif has(DeliveryState.DELAYED):
        kind, label = SummaryKind.DELAYED, "Delayed"
    elif read_count:
        kind = SummaryKind.READ
        label = "Read" if read_count == total else f"Read {read_count}/{total}"
    elif delivered == total:
        kind, label = SummaryKind.DELIVERED, f"Delivered {delivered}/{total}"
    elif delivered:
        kind, label = SummaryKind.PARTLY_DELIVERED, f"Delivered {delivered}/{total}"
    elif has(DeliveryState.RELAYED, DeliveryState.EXPANDED) == total:
        kind, label = SummaryKind.RELAYED, "Relayed"
    else:
        kind, label = SummaryKind.ACCEPTED, "Sent to server"
    return MessageDeliverySummary(
        total=total,
        counts=counts,
        read_count=read_count,
        kind=kind,
        label=label,
        reports_unavailable=reports_requested and dsn_offered is False,
        recipients=rows,
    )
