"""The outbox: outgoing messages stored durably before any network I/O, leased to one sending
worker at a time, retried with bounded backoff, and never resent silently once DATA began.

Imports: core, store.db, store.blobs, store.delivery, protocols.smtp_params (and the type
protocols.mime.compose.ComposedMessage) and the stdlib.

Life of an entry (core.delivery.OutboxState):

    enqueue -> queued --claim_due--> sending --mark_accepted--> sent
                                             --mark_deferred--> deferred --(due)--> sending
                                             --mark_failed----> failed
                                             --mark_uncertain-> uncertain
    queued, deferred or failed --withdraw--> gone (its draft goes back to the composer)

A crashed worker's lease expires; `recover` (run by every `claim_due` too) puts the entry back
to queued when DATA never started (safe to send again) and to uncertain when it had (maybe
sent: only the person may send it again, with `retry`). Nothing sits in the outbox without a
reason: the schema refuses a deferred, failed or uncertain entry without last_error.

Durability: enqueue fsyncs the bytes, then commits the rows with synchronous=FULL. The DATA
marker and every outcome commit FULL as well, because the crash rule above relies on them.

A sending worker, for each entry from claim_due (see OutboxRepository for the calls):
    raw = outbox.raw(entry); EHLO; MAIL FROM with entry.dsn_envid(offered) and entry.ret;
    per recipient in entry.sending_recipients: RCPT TO with ORCPT=recipient.orcpt and
        NOTIFY=entry.dsn_notify(offered); record_recipient_reply(...) with the reply;
    mark_data_started (raises LeaseLostError: stop, send no DATA); DATA;
    then exactly one of mark_accepted / mark_deferred / mark_failed / mark_uncertain.
A worker with several connections does the same in batches: `record_steps` commits the
DataStart (RCPT replies + marker), Outcome, LeaseRenewal and SentCopyMark steps of all its
connections in one transaction, each step exactly as its single call.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from mailapp.core.delivery import (
    DEFAULT_RETRY_POLICY,
    PENDING_STATES,
    DeliveryEvent,
    DeliveryState,
    EventSource,
    OutboxState,
    ReadState,
    RecipientKind,
    RetryPolicy,
    SentCopyState,
    address_key,
    split_reply,
    state_for_reply,
    takes_over,
)
from mailapp.core.draft import ALL_NOTIFY, Draft, Notify
from mailapp.core.errors import (
    InvalidDraftError,
    LeaseLostError,
    MessageNotFoundError,
    OutboxEditError,
    OutboxError,
)
from mailapp.protocols.smtp_params import envid as new_envid
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.delivery import apply_event, apply_events, epoch, moment, now_utc

if TYPE_CHECKING:
    from mailapp.protocols.mime.compose import ComposedMessage

Ret = Literal["HDRS", "FULL"]

DEFAULT_LEASE_SECONDS = 300
# In the outbox list: everything not (yet) taken by the server.
OUTBOX_STATES = (
    OutboxState.QUEUED,
    OutboxState.SENDING,
    OutboxState.DEFERRED,
    OutboxState.FAILED,
    OutboxState.UNCERTAIN,
)
# The recipients' states our own SMTP transaction may overwrite: nothing from beyond the
# submission server has spoken about them yet.
_LOCAL_STATES = PENDING_STATES | {DeliveryState.UNCERTAIN}
# A server took the message for these recipients.
_TAKEN_STATES = frozenset(DeliveryState) - _LOCAL_STATES - {DeliveryState.FAILED}
_NOTIFY_ORDER = (Notify.SUCCESS, Notify.FAILURE, Notify.DELAY)

INTERRUPTED_BEFORE_DATA = (
    "The previous attempt was interrupted before the message was handed to the server; "
    "it will be sent again."
)
INTERRUPTED_DURING_DATA = (
    "mailapp stopped while handing the message to the server, before the server confirmed "
    "it: the message may or may not have been sent."
)
ACCEPTED_PER_REPORT = "A delivery report shows that the server took the message."


# -- values ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewRecipient:
    """A recipient handed to enqueue: the RCPT TO address, its kind, its ORCPT address."""

    address: str
    kind: RecipientKind = RecipientKind.TO
    orcpt: str | None = None  # None: the address itself (what RFC 3461 expects)


def recipients_from_draft(draft: Draft, envelope_recipients: Sequence[str]) -> list[NewRecipient]:
    """Pair a composed message's envelope recipients (same order as draft.recipients) with
    the field each came from, so the panel can show To, Cc and Bcc apart."""
    mailboxes = draft.recipients
    if len(mailboxes) != len(envelope_recipients):
        raise InvalidDraftError("The composed envelope does not match the draft's recipients.")
    to_keys = {m.smtp_address.casefold() for m in draft.to}
    cc_keys = {m.smtp_address.casefold() for m in draft.cc}
    result: list[NewRecipient] = []
    for mailbox, address in zip(mailboxes, envelope_recipients, strict=True):
        key = mailbox.smtp_address.casefold()
        if key in to_keys:
            kind = RecipientKind.TO
        elif key in cc_keys:
            kind = RecipientKind.CC
        else:
            kind = RecipientKind.BCC
        result.append(NewRecipient(address, kind))
    return result


@dataclass(frozen=True, slots=True)
class SendOptions:
    """What the person asked for with this message."""

    request_dsn: bool = True  # ask for delivery reports (used only if the server offers DSN)
    notify: frozenset[Notify] = ALL_NOTIFY
    ret: Ret = "HDRS"
    read_receipt: bool = False  # the message carries Disposition-Notification-To
    envid: str | None = None  # None: a fresh one (protocols.smtp_params.envid)
    send_at: datetime | None = None  # not before (an undo window); None: at once

    @classmethod
    def for_draft(
        cls, draft: Draft, *, request_dsn: bool = True, send_at: datetime | None = None
    ) -> SendOptions:
        return cls(
            request_dsn=request_dsn,
            notify=draft.delivery.notify,
            ret="HDRS" if draft.delivery.return_headers_only else "FULL",
            read_receipt=draft.read_receipt,
            send_at=send_at,
        )


@dataclass(frozen=True, slots=True)
class OutboxRecipient:
    id: int
    position: int
    address: str  # RCPT TO, as sent
    orcpt: str  # the address to name in ORCPT (smtp_params.orcpt_value(orcpt))
    kind: RecipientKind
    state: DeliveryState
    read_state: ReadState
    status: str | None
    diagnostic: str | None
    reporting_host: str | None
    reply_code: int | None
    rcpt_code: int | None  # RCPT reply of the transaction under way
    rcpt_reply: str | None
    in_flight: bool  # part of the transaction under way
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outgoing message and its recipients, as stored."""

    id: int
    account: str
    message_id: str
    envid: str
    raw_hash: str
    envelope_from: str
    size: int
    subject: str
    needs_smtputf8: bool
    body_8bit: bool
    request_dsn: bool
    notify: frozenset[Notify]
    ret: Ret
    read_receipt: bool
    created_at: datetime
    queued_at: datetime
    state: OutboxState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_reply: str | None
    last_reply_code: int | None
    smtp_host: str | None
    dsn_offered: bool | None
    data_started_at: datetime | None
    sent_at: datetime | None
    sent_copy_state: SentCopyState
    sent_copy_error: str | None
    lease_owner: str | None
    lease_until: datetime | None
    updated_at: datetime
    recipients: tuple[OutboxRecipient, ...]
    # The composer's draft is kept with the entry (outbox_drafts), so it can be edited.
    has_draft: bool = False

    @property
    def edit_refusal(self) -> str | None:
        """Why the person cannot take this message back into the composer (None: they can).
        See OutboxRepository.withdraw, which decides again inside its transaction."""
        return edit_refusal(self)

    @property
    def editable(self) -> bool:
        return self.edit_refusal is None

    @property
    def sending_recipients(self) -> tuple[OutboxRecipient, ...]:
        """The recipients of the transaction under way (RCPT TO these, in this order)."""
        return tuple(r for r in self.recipients if r.in_flight)

    def dsn_envid(self, server_offers_dsn: bool) -> str | None:
        """ENVID for MAIL FROM, or None when no reports are asked for or possible."""
        return self.envid if self.request_dsn and server_offers_dsn else None

    def dsn_notify(self, server_offers_dsn: bool) -> frozenset[Notify] | None:
        """NOTIFY for each RCPT TO, or None (then no DSN parameters at all)."""
        return self.notify if self.request_dsn and server_offers_dsn else None


# -- taking a message back for editing --------------------------------------------------------

# Recipients in these states have not got the message from us: editing it cannot duplicate.
_EDITABLE_RECIPIENT_STATES = frozenset(
    {DeliveryState.QUEUED, DeliveryState.DEFERRED, DeliveryState.FAILED}
)
_EDITABLE_STATES = frozenset({OutboxState.QUEUED, OutboxState.DEFERRED, OutboxState.FAILED})
EDIT_BEING_SENT = "It is being sent right now."
EDIT_MAYBE_SENT = (
    "It may already have been sent: the connection broke after the message was handed to the "
    "server, before the server confirmed it."
)
EDIT_TAKEN = "The server already took it for some recipients, so it cannot be changed any more."
EDIT_NO_DRAFT = (
    "It was queued without its draft (by an older version of mailapp), so it cannot be "
    "opened for editing."
)


def edit_refusal(entry: OutboxEntry) -> str | None:
    """Why `entry` cannot be taken back into the composer, in one sentence; None if it can.

    Never while an attempt is under way (sending: it holds a lease) or once an attempt may
    have delivered it (uncertain: DATA began and no answer came); never when any recipient
    got it. A deferred or failed entry whose last DATA drew a definite refusal is editable:
    the server said it did not take the message."""
    if entry.state is OutboxState.SENDING:
        return EDIT_BEING_SENT
    if entry.state is OutboxState.UNCERTAIN or any(
        r.state is DeliveryState.UNCERTAIN for r in entry.recipients
    ):
        return EDIT_MAYBE_SENT
    if (
        entry.state not in _EDITABLE_STATES
        or entry.sent_at is not None
        or any(r.state not in _EDITABLE_RECIPIENT_STATES for r in entry.recipients)
    ):
        return EDIT_TAKEN
    if not entry.has_draft:
        return EDIT_NO_DRAFT
    return None


def _edit_hint(reason: str) -> str:
    if reason == EDIT_BEING_SENT:
        return "Wait for the attempt to end; if the server does not take it, edit it then."
    if reason == EDIT_MAYBE_SENT:
        return "Send it again or delete it; to change it, write a new message."
    if reason == EDIT_NO_DRAFT:
        return "Delete it and write it again."
    return "Write a new message instead."


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What recover() did with expired leases."""

    requeued: tuple[int, ...] = ()
    uncertain: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()


class OutcomeKind(StrEnum):
    """How the transaction under way ended (the mark_* call it stands for)."""

    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True)
class RcptReply:
    """The server's RCPT TO reply for one recipient (as record_recipient_reply takes it)."""

    address: str
    code: int
    text: str


@dataclass(frozen=True, slots=True)
class DataStart:
    """Batch step: the transaction's RCPT replies, then mark_data_started, and the lease
    renewed to now + lease_seconds (None: left as it is). LeaseLostError: send no DATA."""

    outbox_id: int
    replies: tuple[RcptReply, ...] = ()
    lease_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """Batch step: the end of the transaction, exactly as the mark_* call of its kind (build
    it with the class methods), after recording `replies` (RCPT replies not yet recorded).
    `sent_copy` (accepted only): the copy in Sent is settled with it, as mark_sent_copy
    would (a local Sent: the stored bytes are the copy)."""

    outbox_id: int
    kind: OutcomeKind
    reason: str
    reply: str | None = None
    reply_code: int | None = None
    smtp_host: str | None = None
    dsn_offered: bool | None = None
    next_attempt_at: datetime | None = None
    replies: tuple[RcptReply, ...] = ()
    sent_copy: SentCopyState | None = None

    @classmethod
    def accepted(
        cls,
        outbox_id: int,
        *,
        reply: str,
        smtp_host: str,
        dsn_offered: bool,
        reply_code: int = 250,
        replies: tuple[RcptReply, ...] = (),
        sent_copy: SentCopyState | None = None,
    ) -> Outcome:
        return cls(
            outbox_id,
            OutcomeKind.ACCEPTED,
            "Some recipients were not accepted yet.",
            reply,
            reply_code,
            smtp_host,
            dsn_offered,
            replies=replies,
            sent_copy=sent_copy,
        )

    @classmethod
    def deferred(
        cls,
        outbox_id: int,
        *,
        error: str,
        reply: str | None = None,
        reply_code: int | None = None,
        smtp_host: str | None = None,
        dsn_offered: bool | None = None,
        next_attempt_at: datetime | None = None,
        replies: tuple[RcptReply, ...] = (),
    ) -> Outcome:
        return cls(
            outbox_id,
            OutcomeKind.DEFERRED,
            error,
            reply,
            reply_code,
            smtp_host,
            dsn_offered,
            next_attempt_at,
            replies,
        )

    @classmethod
    def failed(
        cls,
        outbox_id: int,
        *,
        reason: str,
        reply: str | None = None,
        reply_code: int | None = None,
        smtp_host: str | None = None,
        dsn_offered: bool | None = None,
        replies: tuple[RcptReply, ...] = (),
    ) -> Outcome:
        return cls(
            outbox_id,
            OutcomeKind.FAILED,
            reason,
            reply,
            reply_code,
            smtp_host,
            dsn_offered,
            replies=replies,
        )

    @classmethod
    def uncertain(
        cls,
        outbox_id: int,
        *,
        reason: str,
        smtp_host: str | None = None,
        dsn_offered: bool | None = None,
        replies: tuple[RcptReply, ...] = (),
    ) -> Outcome:
        return cls(
            outbox_id,
            OutcomeKind.UNCERTAIN,
            reason,
            smtp_host=smtp_host,
            dsn_offered=dsn_offered,
            replies=replies,
        )

    def event(self, now: datetime) -> DeliveryEvent:
        """The recipients' event this outcome stands for."""
        if self.kind is OutcomeKind.ACCEPTED:
            reply = self.reply or ""
            return DeliveryEvent(
                now,
                EventSource.SMTP,
                DeliveryState.ACCEPTED,
                status=split_reply(reply)[0],
                reply_code=self.reply_code,
                diagnostic=_reply_words(self.reply_code, reply),
                reporting_host=self.smtp_host,
            )
        if self.kind is OutcomeKind.UNCERTAIN:
            return DeliveryEvent(
                now, EventSource.SYSTEM, DeliveryState.UNCERTAIN, diagnostic=self.reason
            )
        state = (
            DeliveryState.DEFERRED if self.kind is OutcomeKind.DEFERRED else DeliveryState.FAILED
        )
        status = split_reply(self.reply)[0] if self.reply else None
        return DeliveryEvent(
            now,
            EventSource.SMTP if self.reply_code is not None else EventSource.SYSTEM,
            state,
            status=status,
            reply_code=self.reply_code,
            diagnostic=_reply_words(self.reply_code, self.reply)
            if self.reply or self.reply_code
            else self.reason,
        )


@dataclass(frozen=True, slots=True)
class LeaseRenewal:
    """Batch step: renew_lease to now + lease_seconds."""

    outbox_id: int
    lease_seconds: int = DEFAULT_LEASE_SECONDS


@dataclass(frozen=True, slots=True)
class SentCopyMark:
    """Batch step: mark_sent_copy."""

    outbox_id: int
    state: SentCopyState
    error: str | None = None


OutboxStep = DataStart | Outcome | LeaseRenewal | SentCopyMark


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step of record_steps did: `state` is the entry's state after an Outcome;
    `error` what the step raised (LeaseLostError, OutboxError; the step changed nothing)."""

    step: OutboxStep
    state: OutboxState | None = None
    error: Exception | None = None


def _notify_text(notify: frozenset[Notify]) -> str:
    if Notify.NEVER in notify:
        return "never"
    return ",".join(str(kind) for kind in _NOTIFY_ORDER if kind in notify)


def _notify_from(text: str) -> frozenset[Notify]:
    return frozenset(Notify(part) for part in text.split(",") if part)


def _reply_words(code: int | None, text: str | None) -> str | None:
    """A reply as the server said it: "550 5.1.1 No such user"."""
    if code is None:
        return text or None
    return f"{code} {text}".strip() if text else str(code)


def _opt_moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else moment(seconds)


class _BatchRefused(Exception):
    """A batch of steps cannot go through at once: the steps go one by one instead."""


def _recipient_event(
    outcome: DeliveryEvent, rcpt_code: int | None, rcpt_reply: str | None, smtp_host: str | None
) -> DeliveryEvent:
    """The transaction's outcome for one recipient: one the server refused at RCPT keeps its
    own verdict (5xx failed, 4xx deferred)."""
    if rcpt_code is not None and not 200 <= rcpt_code < 300:
        status, _text = split_reply(rcpt_reply or "")
        return DeliveryEvent(
            outcome.time,
            EventSource.SMTP,
            state_for_reply(rcpt_code),
            status=status,
            reply_code=rcpt_code,
            diagnostic=_reply_words(rcpt_code, rcpt_reply),
            reporting_host=smtp_host,
        )
    if smtp_host and outcome.reporting_host is None:
        return replace(outcome, reporting_host=smtp_host)
    return outcome


_ENTRY_COLUMNS = (
    "id, account, message_id, envid, raw_hash, envelope_from, size, subject, needs_smtputf8,"
    " body_8bit, request_dsn, notify, ret, read_receipt, created_at, queued_at, state,"
    " attempts, next_attempt_at, last_error, last_reply, last_reply_code, smtp_host,"
    " dsn_offered, data_started_at, sent_at, sent_copy_state, sent_copy_error, lease_owner,"
    " lease_until, updated_at,"
    " EXISTS (SELECT 1 FROM outbox_drafts d WHERE d.outbox_id = outbox.id)"
)
_RECIPIENT_COLUMNS = (
    "outbox_id, id, position, address, orcpt, kind, state, read_state, status, diagnostic,"
    " reporting_host, reply_code, rcpt_code, rcpt_reply, in_flight, updated_at"
)


def _recipient_from(values: Any) -> OutboxRecipient:
    (_oid, rid, position, address, orcpt, kind, state, read_state, status, diagnostic,
     reporting_host, reply_code, rcpt_code, rcpt_reply, in_flight, updated_at) = values  # fmt: skip
    return OutboxRecipient(
        id=rid,
        position=position,
        address=address,
        orcpt=orcpt,
        kind=RecipientKind(kind),
        state=DeliveryState(state),
        read_state=ReadState(read_state),
        status=status,
        diagnostic=diagnostic,
        reporting_host=reporting_host,
        reply_code=reply_code,
        rcpt_code=rcpt_code,
        rcpt_reply=rcpt_reply,
        in_flight=bool(in_flight),
        updated_at=moment(updated_at),
    )


def _entry_from(values: Any, recipients: tuple[OutboxRecipient, ...]) -> OutboxEntry:
    (oid, account, message_id, envid, raw_hash, envelope_from, size, subject, needs_smtputf8,
     body_8bit, request_dsn, notify, ret, read_receipt, created_at, queued_at, state, attempts,
     next_attempt_at, last_error, last_reply, last_reply_code, smtp_host, dsn_offered,
     data_started_at, sent_at, sent_copy_state, sent_copy_error, lease_owner, lease_until,
     updated_at, has_draft) = values  # fmt: skip
    return OutboxEntry(
        id=oid,
        account=account,
        message_id=message_id,
        envid=envid,
        raw_hash=raw_hash,
        envelope_from=envelope_from,
        size=size,
        subject=subject,
        needs_smtputf8=bool(needs_smtputf8),
        body_8bit=bool(body_8bit),
        request_dsn=bool(request_dsn),
        notify=_notify_from(notify),
        ret="FULL" if ret == "FULL" else "HDRS",
        read_receipt=bool(read_receipt),
        created_at=moment(created_at),
        queued_at=moment(queued_at),
        state=OutboxState(state),
        attempts=attempts,
        next_attempt_at=_opt_moment(next_attempt_at),
        last_error=last_error,
        last_reply=last_reply,
        last_reply_code=last_reply_code,
        smtp_host=smtp_host,
        dsn_offered=None if dsn_offered is None else bool(dsn_offered),
        data_started_at=_opt_moment(data_started_at),
        sent_at=_opt_moment(sent_at),
        sent_copy_state=SentCopyState(sent_copy_state),
        sent_copy_error=sent_copy_error,
        lease_owner=lease_owner,
        lease_until=_opt_moment(lease_until),
        updated_at=moment(updated_at),
        recipients=recipients,
        has_draft=bool(has_draft),
    )


# -- the repository -------------------------------------------------------------------------


class OutboxRepository:
    """Outgoing messages: enqueue, leases for the sending worker, outcomes, the outbox list.

    Times are aware datetimes (`now` defaults to the current time); every method is one
    transaction, or a savepoint of the caller's.
    """

    def __init__(
        self, database: Database, blobs: BlobStore, *, policy: RetryPolicy = DEFAULT_RETRY_POLICY
    ) -> None:
        self._db = database
        self._blobs = blobs
        self.policy = policy

    # -- enqueue -----------------------------------------------------------------------------

    def enqueue(
        self,
        account: str,
        *,
        raw: bytes,
        message_id: str,
        envelope_from: str,
        recipients: Sequence[NewRecipient],
        options: SendOptions | None = None,
        subject: str = "",
        needs_smtputf8: bool = False,
        body_8bit: bool = False,
        now: datetime | None = None,
        draft_record: str | None = None,
        draft_blobs: Sequence[str] = (),
    ) -> OutboxEntry:
        """Store a message for sending; when this returns, it survives a crash or power cut.

        The bytes go to the BlobStore (fsynced) first, then the rows in one FULL-sync
        transaction. Enqueueing the same Message-ID with the same bytes again returns the
        stored entry; with other bytes it raises OutboxError. Raises InvalidDraftError for no
        recipient or the same recipient twice.

        `draft_record` is the composer's draft the message was made from (the engine's
        serialisation, opaque here), kept with the entry so it can be edited (withdraw);
        `draft_blobs` the digests of message files it names (already stored by the caller),
        kept alive while the entry is.
        """
        options = options or SendOptions()
        now = now or now_utc()
        if not recipients:
            raise InvalidDraftError("The message has no recipient.", hint="Add an address in To.")
        if not raw:
            raise InvalidDraftError("The message is empty.")
        if not (message_id.startswith("<") and message_id.endswith(">") and len(message_id) > 2):
            raise InvalidDraftError(f"{message_id[:80]!r} is not a Message-ID like <a@b>.")
        keys = [address_key(r.address) for r in recipients]
        if len(set(keys)) != len(keys):
            raise InvalidDraftError("A recipient appears twice in the envelope.")
        envid = options.envid or new_envid()
        raw_hash = self._blobs.put(raw, durable=True)
        when = epoch(now)
        due = epoch(options.send_at) if options.send_at is not None else when
        with self._db.durable_transaction() as connection:
            existing = connection.execute(
                "SELECT id, raw_hash, account FROM outbox WHERE message_id = ?", (message_id,)
            ).fetchone()
            if existing is not None:
                if existing[1] == raw_hash and existing[2] == account:
                    return self._load(connection, "id = ?", (existing[0],))[0]
                raise OutboxError(
                    f"another outgoing message already has the Message-ID {message_id}"
                )
            cursor = connection.execute(
                "INSERT INTO outbox (account, message_id, envid, raw_hash, envelope_from, size,"
                " subject, needs_smtputf8, body_8bit, request_dsn, notify, ret, read_receipt,"
                " created_at, queued_at, state, next_attempt_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                (
                    account,
                    message_id,
                    envid,
                    raw_hash,
                    envelope_from,
                    len(raw),
                    subject,
                    int(needs_smtputf8),
                    int(body_8bit),
                    int(options.request_dsn),
                    _notify_text(options.notify),
                    options.ret,
                    int(options.read_receipt),
                    when,
                    when,
                    due,
                    when,
                ),
            )
            outbox_id = cursor.lastrowid
            assert outbox_id is not None
            for position, (recipient, key) in enumerate(zip(recipients, keys, strict=True)):
                orcpt = recipient.orcpt or recipient.address
                rcursor = connection.execute(
                    "INSERT INTO outbox_recipients (outbox_id, position, address, address_key,"
                    " orcpt, orcpt_key, kind, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        outbox_id,
                        position,
                        recipient.address,
                        key,
                        orcpt,
                        address_key(orcpt),
                        str(recipient.kind),
                        when,
                    ),
                )
                assert rcursor.lastrowid is not None
                apply_event(
                    connection,
                    rcursor.lastrowid,
                    DeliveryEvent(now, EventSource.SYSTEM, DeliveryState.QUEUED),
                )
            if draft_record is not None:
                connection.execute(
                    "INSERT INTO outbox_drafts (outbox_id, record, attachment_hashes)"
                    " VALUES (?, ?, ?)",
                    (outbox_id, draft_record, json.dumps(list(draft_blobs))),
                )
            return self._load(connection, "id = ?", (outbox_id,))[0]

    def enqueue_composed(
        self,
        account: str,
        composed: ComposedMessage,
        recipients: Sequence[NewRecipient],
        options: SendOptions | None = None,
        *,
        subject: str = "",
        now: datetime | None = None,
        draft_record: str | None = None,
        draft_blobs: Sequence[str] = (),
    ) -> OutboxEntry:
        """enqueue() for a protocols.mime.compose result; `recipients` usually from
        recipients_from_draft(draft, composed.envelope_recipients)."""
        return self.enqueue(
            account,
            raw=composed.raw,
            message_id=composed.message_id,
            envelope_from=composed.envelope_from,
            recipients=recipients,
            options=options,
            subject=subject,
            needs_smtputf8=composed.needs_smtputf8,
            body_8bit=composed.has_8bit,
            now=now,
            draft_record=draft_record,
            draft_blobs=draft_blobs,
        )

    def raw(self, entry: OutboxEntry) -> bytes:
        """The exact bytes to send (verified against their digest)."""
        return self._blobs.get(entry.raw_hash)

    # -- the sending worker ------------------------------------------------------------------

    def claim_due(
        self,
        now: datetime,
        worker_id: str,
        *,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        limit: int = 10,
        account: str | None = None,
    ) -> list[OutboxEntry]:
        """Take up to `limit` due entries (queued or deferred, next attempt reached; oldest
        due first) for this worker: they become sending with a lease until now+lease_seconds.

        Expired leases are recovered first (see recover). Entries not due are skipped, so a
        message waiting for its next try never holds up the others. Each claim counts as an
        attempt; the recipients still to be sent become the transaction's (in_flight).
        """
        if limit <= 0:
            return []
        when = epoch(now)
        with self._db.write() as connection:
            self._recover(connection, now)
            sql = (
                "SELECT id FROM outbox WHERE state IN ('queued', 'deferred')"
                " AND next_attempt_at <= ?"
            )
            params: list[object] = [when]
            if account is not None:
                sql += " AND account = ?"
                params.append(account)
            sql += " ORDER BY next_attempt_at, id LIMIT ?"
            params.append(limit)
            ids = [row[0] for row in connection.execute(sql, params).fetchall()]
            if not ids:
                return []
            # A few statements for the whole claim, not a few per entry.
            connection.execute(
                "UPDATE outbox_recipients SET in_flight = 0"
                " WHERE outbox_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )
            moved = {
                row[0]
                for row in connection.execute(
                    "UPDATE outbox_recipients SET state = 'sending', in_flight = 1,"
                    " rcpt_code = NULL, rcpt_reply = NULL, updated_at = ?"
                    " WHERE outbox_id IN (SELECT value FROM json_each(?))"
                    " AND state IN ('queued', 'deferred') RETURNING outbox_id",
                    (when, json.dumps(ids)),
                ).fetchall()
            }
            claimed = [outbox_id for outbox_id in ids if outbox_id in moved]
            for outbox_id in ids:
                if outbox_id not in moved:
                    # Nobody left to send to (a report overtook the queue): just settle it.
                    self._finish(connection, outbox_id, now, reason="nothing left to send")
            if not claimed:
                return []
            connection.execute(
                "UPDATE outbox SET state = 'sending', lease_owner = ?, lease_until = ?,"
                " attempts = attempts + 1, data_started_at = NULL, updated_at = ?"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (worker_id, when + lease_seconds, when, json.dumps(claimed)),
            )
        # Read back after the commit, so the write lock (which the group commits of the
        # sending connections wait for) is not held while the rows become values. The
        # entries are leased to this worker: nothing sends or settles them meanwhile.
        with self._db.read() as connection:
            by_id = {
                entry.id: entry
                for entry in self._load(
                    connection, "id IN (SELECT value FROM json_each(?))", (json.dumps(claimed),)
                )
            }
        return [by_id[i] for i in claimed if i in by_id]

    def renew_lease(
        self,
        outbox_id: int,
        worker_id: str,
        now: datetime,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
    ) -> None:
        """Extend the lease (a long upload); raises LeaseLostError when it is not ours."""
        with self._db.write() as connection:
            updated = connection.execute(
                "UPDATE outbox SET lease_until = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sending' AND lease_owner = ?",
                (epoch(now) + lease_seconds, epoch(now), outbox_id, worker_id),
            ).rowcount
        if not updated:
            raise LeaseLostError(f"outgoing message {outbox_id} is no longer leased to {worker_id}")

    def mark_data_started(
        self, outbox_id: int, worker_id: str, now: datetime | None = None
    ) -> None:
        """Record, durably, that DATA is about to be sent. Call right before DATA: from then
        on a crash makes the entry uncertain instead of sending it again.

        Raises LeaseLostError when the entry is no longer this worker's: send no DATA then.
        """
        when = epoch(now or now_utc())
        with self._db.durable_transaction() as connection:
            updated = connection.execute(
                "UPDATE outbox SET data_started_at = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sending' AND lease_owner = ?",
                (when, when, outbox_id, worker_id),
            ).rowcount
        if not updated:
            raise LeaseLostError(f"outgoing message {outbox_id} is no longer leased to {worker_id}")

    def record_recipient_reply(self, outbox_id: int, address: str, code: int, text: str) -> None:
        """Keep the server's RCPT TO reply for one recipient of the transaction under way.

        The outcome call then treats it: a 5xx fails that recipient whatever happens to the
        message, a 4xx defers it (it is tried again alone), a 2xx follows the transaction.
        """
        with self._db.write() as connection:
            self._record_replies(connection, outbox_id, (RcptReply(address, code, text),))

    def mark_accepted(
        self,
        outbox_id: int,
        worker_id: str,
        *,
        reply: str,
        smtp_host: str,
        dsn_offered: bool,
        reply_code: int = 250,
        now: datetime | None = None,
    ) -> OutboxEntry:
        """The server answered 2xx after DATA. Recipients it accepted at RCPT become accepted
        (with the reply: the queue id), the refused ones failed or deferred per their RCPT
        reply. The entry becomes sent, or deferred while some recipients wait for a retry."""
        outcome = Outcome.accepted(
            outbox_id,
            reply=reply,
            smtp_host=smtp_host,
            dsn_offered=dsn_offered,
            reply_code=reply_code,
        )
        return self._conclude(worker_id, outcome, now or now_utc())

    def mark_deferred(
        self,
        outbox_id: int,
        worker_id: str,
        *,
        error: str,
        reply: str | None = None,
        reply_code: int | None = None,
        smtp_host: str | None = None,
        dsn_offered: bool | None = None,
        now: datetime | None = None,
        next_attempt_at: datetime | None = None,
    ) -> OutboxEntry:
        """A temporary failure (a 4xx, the network): try again at next_attempt_at, by default
        after the policy's backoff. After policy.give_up_after since queued, the recipients
        still waiting fail instead, with the reason visible."""
        outcome = Outcome.deferred(
            outbox_id,
            error=error,
            reply=reply,
            reply_code=reply_code,
            smtp_host=smtp_host,
            dsn_offered=dsn_offered,
            next_attempt_at=next_attempt_at,
        )
        return self._conclude(worker_id, outcome, now or now_utc())

    def mark_failed(
        self,
        outbox_id: int,
        worker_id: str,
        *,
        reason: str,
        reply: str | None = None,
        reply_code: int | None = None,
        smtp_host: str | None = None,
        dsn_offered: bool | None = None,
        now: datetime | None = None,
    ) -> OutboxEntry:
        """A permanent failure of the transaction (a 5xx to MAIL FROM or DATA, every
        recipient refused, a message the server will never take)."""
        outcome = Outcome.failed(
            outbox_id,
            reason=reason,
            reply=reply,
            reply_code=reply_code,
            smtp_host=smtp_host,
            dsn_offered=dsn_offered,
        )
        return self._conclude(worker_id, outcome, now or now_utc())

    def mark_uncertain(
        self,
        outbox_id: int,
        worker_id: str,
        *,
        reason: str,
        smtp_host: str | None = None,
        dsn_offered: bool | None = None,
        now: datetime | None = None,
    ) -> OutboxEntry:
        """The connection broke after DATA began and before the final reply: nobody knows.
        The entry waits for the person (retry) or for a report that settles it."""
        outcome = Outcome.uncertain(
            outbox_id, reason=reason, smtp_host=smtp_host, dsn_offered=dsn_offered
        )
        return self._conclude(worker_id, outcome, now or now_utc())

    def _conclude(self, worker_id: str, outcome: Outcome, now: datetime) -> OutboxEntry:
        """One outcome of the transaction under way, committed durably at once."""
        with self._db.durable_transaction() as connection:
            self._conclude_in(connection, worker_id, outcome, now)
            return self._load(connection, "id = ?", (outcome.outbox_id,))[0]

    def _conclude_in(
        self, connection: sqlite3.Connection, worker_id: str, outcome: Outcome, now: datetime
    ) -> OutboxState:
        """The recipients' verdicts, the server's reply and the entry's new state (as of
        now), in the caller's transaction."""
        outbox_id = outcome.outbox_id
        self._fence(connection, outbox_id, worker_id)
        self._record_replies(connection, outbox_id, outcome.replies)
        self._settle(connection, outbox_id, outcome.event(now), outcome.smtp_host)
        # What this attempt did not learn (None) keeps what an earlier one found out; sent_at
        # is set by the first attempt the server took.
        accepted = outcome.kind is OutcomeKind.ACCEPTED
        sent_at = epoch(now) if accepted else None
        dsn_offered = outcome.dsn_offered
        copy = None if outcome.sent_copy is None or not accepted else str(outcome.sent_copy)
        connection.execute(
            "UPDATE outbox SET sent_at = coalesce(sent_at, ?),"
            " last_reply = coalesce(?, last_reply),"
            " last_reply_code = coalesce(?, last_reply_code),"
            " smtp_host = coalesce(?, smtp_host), dsn_offered = coalesce(?, dsn_offered),"
            " sent_copy_error = CASE WHEN ? IS NULL THEN sent_copy_error END,"
            " sent_copy_state = coalesce(?, sent_copy_state)"
            " WHERE id = ?",
            (
                sent_at,
                outcome.reply,
                outcome.reply_code,
                outcome.smtp_host,
                None if dsn_offered is None else int(dsn_offered),
                copy,
                copy,
                outbox_id,
            ),
        )
        return self._finish(
            connection,
            outbox_id,
            now,
            reason=outcome.reason,
            next_attempt_at=outcome.next_attempt_at,
        )

    # -- batches of the sending worker -------------------------------------------------------

    def record_steps(
        self, worker_id: str, steps: Sequence[OutboxStep], *, now: datetime | None = None
    ) -> list[StepResult]:
        """Steps of a worker's connections in ONE transaction (group commit), each exactly
        as its single call (DataStart: record_recipient_reply for each reply, then
        renew_lease and mark_data_started; Outcome: the mark_* of its kind; LeaseRenewal:
        renew_lease; SentCopyMark: mark_sent_copy), in order, each in its own savepoint: a
        step that raises (LeaseLostError, OutboxError, or anything else) changes nothing and
        its error is in its result; the others go on. Committed with synchronous=FULL when a
        DataStart or Outcome is among them, so when this returns every marker and outcome
        in it is durable (a DataStart without error: DATA may be sent). Must not be called
        inside another transaction. An error of the transaction itself (StoreError) is
        raised for all.
        """
        now = now or now_utc()
        durable = any(isinstance(step, (DataStart, Outcome)) for step in steps)
        results: list[StepResult] = []
        if not steps:
            return results
        # Steps almost never fail: all of them at once first, a few statements for the whole
        # batch (_apply_steps), in one transaction. Only when that raises (a lost lease, a
        # defect, anything), it is rolled back and the steps go again one by one, each in
        # its own savepoint: the same results, the failing step alone changed nothing.
        try:
            with self._db.write(durable=durable) as connection:
                states = self._apply_steps(connection, worker_id, steps, now)
            return [
                StepResult(step, state=state) for step, state in zip(steps, states, strict=True)
            ]
        except Exception:  # noqa: S110 - found again below, step by step
            pass
        with self._db.write(durable=durable) as connection:
            for step in steps:
                try:
                    if isinstance(step, (LeaseRenewal, SentCopyMark)):
                        # One statement, which changes all or nothing by itself.
                        state = self._apply_step(connection, worker_id, step, now)
                    else:
                        with self._db.write():  # a savepoint: this step alone
                            state = self._apply_step(connection, worker_id, step, now)
                except Exception as exc:
                    # One bad step (a lost lease, or a defect) must not sink the others.
                    results.append(StepResult(step, error=exc))
                else:
                    results.append(StepResult(step, state=state))
        return results

    def _apply_steps(
        self,
        connection: sqlite3.Connection,
        worker_id: str,
        steps: Sequence[OutboxStep],
        now: datetime,
    ) -> list[OutboxState | None]:
        """Every step as `_apply_step` would, for the whole batch in a few statements; raises
        _BatchRefused (or what a step raises) when any step would fail: the caller then
        rolls back and goes step by step. Steps of distinct entries touch distinct rows, so
        their order does not matter; a batch naming an entry twice goes in order."""
        ids = [step.outbox_id for step in steps]
        if len(set(ids)) != len(ids):
            return [self._apply_step(connection, worker_id, step, now) for step in steps]
        when = epoch(now)
        starts: list[tuple[object, ...]] = []
        replies: list[tuple[object, ...]] = []
        renewals: list[tuple[object, ...]] = []
        copies: list[tuple[object, ...]] = []
        accepted: list[Outcome] = []
        states: dict[int, OutboxState | None] = {}
        for step in steps:
            if isinstance(step, DataStart):
                lease_until = None if step.lease_seconds is None else when + step.lease_seconds
                starts.append((when, lease_until, when, step.outbox_id, worker_id))
                for reply in step.replies:
                    replies.append(
                        (reply.code, reply.text, step.outbox_id, address_key(reply.address))
                    )
            elif isinstance(step, Outcome):
                if step.kind is OutcomeKind.ACCEPTED:
                    # Its RCPT replies are recorded with the markers' (before it is settled,
                    # as _conclude_in does; a fence that fails refuses the whole batch).
                    accepted.append(step)
                    for reply in step.replies:
                        replies.append(
                            (reply.code, reply.text, step.outbox_id, address_key(reply.address))
                        )
                else:
                    states[step.outbox_id] = self._conclude_in(connection, worker_id, step, now)
            elif isinstance(step, LeaseRenewal):
                renewals.append((when + step.lease_seconds, when, step.outbox_id, worker_id))
            else:
                copies.append((str(step.state), step.error, step.outbox_id))
        if starts:
            updated = connection.executemany(
                "UPDATE outbox SET data_started_at = ?, lease_until = coalesce(?, lease_until),"
                " updated_at = ? WHERE id = ? AND state = 'sending' AND lease_owner = ?",
                starts,
            ).rowcount
            if updated != len(starts):
                raise _BatchRefused("a DATA marker's lease is lost")
        if replies:
            # One row per reply: a recipient's address_key is unique within its entry.
            updated = connection.executemany(
                "UPDATE outbox_recipients SET rcpt_code = ?, rcpt_reply = ?"
                " WHERE outbox_id = ? AND address_key = ? AND in_flight = 1",
                replies,
            ).rowcount
            if updated != len(replies):
                raise _BatchRefused("a RCPT reply names no recipient being sent")
        if renewals:
            updated = connection.executemany(
                "UPDATE outbox SET lease_until = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sending' AND lease_owner = ?",
                renewals,
            ).rowcount
            if updated != len(renewals):
                raise _BatchRefused("a lease is lost")
        if copies:
            connection.executemany(
                "UPDATE outbox SET sent_copy_state = ?, sent_copy_error = ? WHERE id = ?", copies
            )
        if accepted:
            states.update(self._conclude_accepted(connection, worker_id, accepted, now))
        return [states.get(step.outbox_id) for step in steps]

    def _conclude_accepted(
        self,
        connection: sqlite3.Connection,
        worker_id: str,
        outcomes: Sequence[Outcome],
        now: datetime,
    ) -> dict[int, OutboxState]:
        """`_conclude_in` for accepted outcomes of distinct entries (their RCPT replies
        recorded already, by the caller), in a few statements for all: the same rows
        written, the same states. Raises _BatchRefused for what the single call would treat
        otherwise (a fence that does not hold, an entry to give up on)."""
        when = epoch(now)
        ids = json.dumps([outcome.outbox_id for outcome in outcomes])
        heads = {
            row[0]: row[1:]
            for row in connection.execute(
                "SELECT id, state, lease_owner, data_started_at, attempts, queued_at"
                " FROM outbox WHERE id IN (SELECT value FROM json_each(?))",
                (ids,),
            )
        }
        members: dict[int, list[tuple[int, str, str, int | None, str | None, int]]] = {}
        for row in connection.execute(
            "SELECT outbox_id, id, state, read_state, rcpt_code, rcpt_reply, in_flight"
            " FROM outbox_recipients WHERE outbox_id IN (SELECT value FROM json_each(?))",
            (ids,),
        ):
            members.setdefault(row[0], []).append(row[1:])
        events: list[tuple[int, DeliveryEvent, bool]] = []
        current: dict[int, tuple[DeliveryState, ReadState]] = {}
        updates: list[tuple[object, ...]] = []
        states: dict[int, OutboxState] = {}
        for outcome in outcomes:
            outbox_id = outcome.outbox_id
            head = heads.get(outbox_id)
            if head is None or head[1] != worker_id:
                raise _BatchRefused("an outcome's lease is lost")
            state, _owner, data_started_at, attempts, queued_at = head
            if not (
                state == OutboxState.SENDING
                or (state == OutboxState.UNCERTAIN and data_started_at is not None)
            ):
                raise _BatchRefused("an outcome's entry is not being sent")
            event = outcome.event(now)
            host = outcome.smtp_host
            counts: dict[DeliveryState, int] = {}
            for recipient_id, rstate, rread, rcpt_code, rcpt_reply, in_flight in members.get(
                outbox_id, ()
            ):
                before = DeliveryState(rstate)
                after = before
                if in_flight:
                    current[recipient_id] = (before, ReadState(rread))
                    own = _recipient_event(event, rcpt_code, rcpt_reply, host)
                    takes = before in _LOCAL_STATES
                    events.append((recipient_id, own, takes))
                    if own.state is not None and (takes or takes_over(before, own.state)):
                        after = own.state
                counts[after] = counts.get(after, 0) + 1
            waiting = sum(counts.get(s, 0) for s in PENDING_STATES)
            if waiting and self.policy.gives_up(moment(queued_at), now):
                raise _BatchRefused("an entry is given up on")
            next_at: int | None = None
            if waiting:
                new_state = OutboxState.DEFERRED
                next_at = epoch(now + self.policy.delay(attempts))
            elif counts.get(DeliveryState.UNCERTAIN):
                new_state = OutboxState.UNCERTAIN
            else:
                # The outcome sets sent_at, so the entry counts as sent (as _finish finds).
                new_state = OutboxState.SENT
            keeps_reason = new_state is not OutboxState.SENT
            copy = None if outcome.sent_copy is None else str(outcome.sent_copy)
            dsn_offered = outcome.dsn_offered
            updates.append((
                when, outcome.reply, outcome.reply_code, host,
                None if dsn_offered is None else int(dsn_offered), copy, copy,
                str(new_state), next_at, outcome.reason if keeps_reason else None, when,
                outbox_id,
            ))  # fmt: skip
            states[outbox_id] = new_state
        apply_events(connection, events, current=current)
        connection.execute(
            "UPDATE outbox_recipients SET in_flight = 0"
            " WHERE outbox_id IN (SELECT value FROM json_each(?)) AND in_flight = 1",
            (ids,),
        )
        connection.executemany(
            "UPDATE outbox SET sent_at = coalesce(sent_at, ?),"
            " last_reply = coalesce(?, last_reply),"
            " last_reply_code = coalesce(?, last_reply_code),"
            " smtp_host = coalesce(?, smtp_host), dsn_offered = coalesce(?, dsn_offered),"
            " sent_copy_error = CASE WHEN ? IS NULL THEN sent_copy_error END,"
            " sent_copy_state = coalesce(?, sent_copy_state),"
            " state = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL,"
            " lease_until = NULL, updated_at = ? WHERE id = ?",
            updates,
        )
        return states

    def _apply_step(
        self, connection: sqlite3.Connection, worker_id: str, step: OutboxStep, now: datetime
    ) -> OutboxState | None:
        when = epoch(now)
        if isinstance(step, Outcome):
            return self._conclude_in(connection, worker_id, step, now)
        if isinstance(step, DataStart):
            lease_until = None if step.lease_seconds is None else when + step.lease_seconds
            updated = connection.execute(
                "UPDATE outbox SET data_started_at = ?, lease_until = coalesce(?, lease_until),"
                " updated_at = ? WHERE id = ? AND state = 'sending' AND lease_owner = ?",
                (when, lease_until, when, step.outbox_id, worker_id),
            ).rowcount
            if not updated:
                raise LeaseLostError(
                    f"outgoing message {step.outbox_id} is no longer leased to {worker_id}"
                )
            self._record_replies(connection, step.outbox_id, step.replies)
            return None
        if isinstance(step, LeaseRenewal):
            updated = connection.execute(
                "UPDATE outbox SET lease_until = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sending' AND lease_owner = ?",
                (when + step.lease_seconds, when, step.outbox_id, worker_id),
            ).rowcount
            if not updated:
                raise LeaseLostError(
                    f"outgoing message {step.outbox_id} is no longer leased to {worker_id}"
                )
            return None
        connection.execute(
            "UPDATE outbox SET sent_copy_state = ?, sent_copy_error = ? WHERE id = ?",
            (str(step.state), step.error, step.outbox_id),
        )
        return None

    @staticmethod
    def _record_replies(
        connection: sqlite3.Connection, outbox_id: int, replies: Sequence[RcptReply]
    ) -> None:
        for reply in replies:
            updated = connection.execute(
                "UPDATE outbox_recipients SET rcpt_code = ?, rcpt_reply = ?"
                " WHERE outbox_id = ? AND address_key = ? AND in_flight = 1",
                (reply.code, reply.text, outbox_id, address_key(reply.address)),
            ).rowcount
            if not updated:
                raise OutboxError(
                    f"{reply.address} is not a recipient of outgoing message {outbox_id} being sent"
                )

    # -- recovery, the person's actions ------------------------------------------------------

    def recover(self, now: datetime | None = None) -> RecoveryReport:
        """At startup (and inside every claim_due): expired leases of crashed workers.

        DATA never started: back to queued (at once the first time, then with backoff, so a
        message that crashes the worker cannot loop). DATA started: uncertain, never resent
        without the person.
        """
        with self._db.durable_transaction() as connection:
            return self._recover(connection, now or now_utc())

    def retry(self, outbox_id: int, now: datetime | None = None) -> OutboxEntry:
        """The person says "send again": recipients not yet taken by any server (queued,
        deferred, uncertain, or failed at submission) are queued for now, backoff and the
        give-up clock start over. Raises OutboxError while it is being sent, or when every
        recipient was accepted or already has a report."""
        now = now or now_utc()
        when = epoch(now)
        with self._db.durable_transaction() as connection:
            if self._state_unless_sending(connection, outbox_id) is None:
                raise OutboxError(f"there is no outgoing message {outbox_id}")
            targets = [
                r[0]
                for r in connection.execute(
                    "SELECT id FROM outbox_recipients WHERE outbox_id = ? AND reported = 0"
                    " AND state IN ('queued', 'deferred', 'failed', 'uncertain')",
                    (outbox_id,),
                )
            ]
            if not targets:
                raise OutboxError("there is nothing to send again: every recipient was reached")
            for recipient_id in targets:
                apply_event(
                    connection,
                    recipient_id,
                    DeliveryEvent(now, EventSource.USER, DeliveryState.QUEUED),
                    force=True,
                )
            connection.execute(
                "UPDATE outbox_recipients SET in_flight = 0 WHERE outbox_id = ?", (outbox_id,)
            )
            connection.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_at = ?, queued_at = ?,"
                " attempts = 0, last_error = NULL, lease_owner = NULL, lease_until = NULL,"
                " data_started_at = NULL, updated_at = ? WHERE id = ?",
                (when, when, when, outbox_id),
            )
            return self._load(connection, "id = ?", (outbox_id,))[0]

    def wake(self, now: datetime | None = None, *, account: str | None = None) -> int:
        """The network is back: deferred entries become due now. Returns how many."""
        when = epoch(now or now_utc())
        sql = (
            "UPDATE outbox SET next_attempt_at = ?, updated_at = ?"
            " WHERE state = 'deferred' AND next_attempt_at > ?"
        )
        params: list[object] = [when, when, when]
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        with self._db.write() as connection:
            return max(connection.execute(sql, params).rowcount, 0)

    def delete(self, outbox_id: int) -> bool:
        """Remove a message, its recipients and their timelines (the message file stays until
        BlobStore.delete_unreferenced). Raises OutboxError while it is being sent."""
        with self._db.durable_transaction() as connection:
            if self._state_unless_sending(connection, outbox_id) is None:
                return False
            connection.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))
            return True

    def draft_for_edit(self, outbox_id: int, now: datetime | None = None) -> str:
        """The draft record of an entry the person may take back into the composer (see
        edit_refusal). Leaves the entry where it is (expired leases are recovered first, as
        withdraw does): the caller keeps the draft somewhere safe, then calls withdraw.
        Raises MessageNotFoundError, OutboxEditError (with the reason)."""
        # Its own transaction: what the recovery found stays even when the edit is refused.
        self.recover(now)
        with self._db.read() as connection:
            return self._editable_record(connection, outbox_id)

    def withdraw(self, outbox_id: int, now: datetime | None = None) -> str:
        """Take the entry out of the outbox for editing, atomically; returns its draft record.

        One durable write transaction, so it is serialised with claim_due: expired leases are
        recovered first (a crashed worker's entry becomes queued, or uncertain if DATA began),
        then the entry is checked again (edit_refusal) and deleted with its recipients and
        draft. Either a worker claimed it before (then this raises: an attempt is under way)
        or it never can; a worker still holding an older, expired claim has lost its fence
        (mark_data_started raises LeaseLostError), so the message is never sent after this.
        Raises MessageNotFoundError, OutboxEditError."""
        now = now or now_utc()
        with self._db.durable_transaction() as connection:
            self._recover(connection, now)
            record = self._editable_record(connection, outbox_id)
            connection.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))
            return record

    def _editable_record(self, connection: sqlite3.Connection, outbox_id: int) -> str:
        found = self._load(connection, "id = ?", (outbox_id,))
        if not found:
            raise MessageNotFoundError(f"There is no outgoing message {outbox_id}.")
        reason = edit_refusal(found[0])
        if (
            reason is None
            and connection.execute(
                "SELECT 1 FROM outbox_recipients WHERE outbox_id = ? AND reported = 1 LIMIT 1",
                (outbox_id,),
            ).fetchone()
        ):
            reason = EDIT_TAKEN  # a report spoke: it left the submission server once
        row = connection.execute(
            "SELECT record FROM outbox_drafts WHERE outbox_id = ?", (outbox_id,)
        ).fetchone()
        if reason is None and row is None:
            reason = EDIT_NO_DRAFT
        if reason is not None:
            raise OutboxEditError(reason, hint=_edit_hint(reason))
        return str(row[0])

    def resolve_uncertain(self, outbox_id: int, now: datetime | None = None) -> bool:
        """A report about an uncertain message proves the server took it: its uncertain
        recipients become accepted (DATA is all or nothing) and the entry sent. True if it
        changed anything."""
        now = now or now_utc()
        with self._db.write() as connection:
            row = connection.execute(
                "SELECT state FROM outbox WHERE id = ?", (outbox_id,)
            ).fetchone()
            if row is None:
                return False
            targets = [
                r[0]
                for r in connection.execute(
                    "SELECT id FROM outbox_recipients WHERE outbox_id = ? AND state = 'uncertain'",
                    (outbox_id,),
                )
            ]
            if not targets and row[0] != OutboxState.UNCERTAIN:
                return False
            for recipient_id in targets:
                apply_event(
                    connection,
                    recipient_id,
                    DeliveryEvent(
                        now,
                        EventSource.SYSTEM,
                        DeliveryState.ACCEPTED,
                        diagnostic=ACCEPTED_PER_REPORT,
                    ),
                )
            connection.execute(
                "UPDATE outbox_recipients SET in_flight = 0 WHERE outbox_id = ? AND"
                " state <> 'sending'",
                (outbox_id,),
            )
            connection.execute(
                "UPDATE outbox SET sent_at = coalesce(sent_at, data_started_at, ?) WHERE id = ?",
                (epoch(now), outbox_id),
            )
            if row[0] != OutboxState.SENDING:
                self._finish(connection, outbox_id, now, reason=ACCEPTED_PER_REPORT)
            return True

    # -- copies to Sent ----------------------------------------------------------------------

    def pending_sent_copies(self, account: str | None = None) -> list[OutboxEntry]:
        """Sent messages whose copy to the Sent folder is still to be made."""
        where = "sent_at IS NOT NULL AND sent_copy_state = 'pending'"
        params: tuple[object, ...] = ()
        if account is not None:
            where += " AND account = ?"
            params = (account,)
        with self._db.read() as connection:
            return self._load(connection, where, params, order="sent_at, id")

    def mark_sent_copy(
        self, outbox_id: int, state: SentCopyState, error: str | None = None
    ) -> None:
        with self._db.write() as connection:
            connection.execute(
                "UPDATE outbox SET sent_copy_state = ?, sent_copy_error = ? WHERE id = ?",
                (str(state), error, outbox_id),
            )

    # -- reads -------------------------------------------------------------------------------

    def get(self, outbox_id: int) -> OutboxEntry | None:
        with self._db.read() as connection:
            found = self._load(connection, "id = ?", (outbox_id,))
        return found[0] if found else None

    def by_message_id(self, message_id: str) -> OutboxEntry | None:
        """By Message-ID (with angle brackets); exact first, then ignoring case."""
        with self._db.read() as connection:
            found = self._load(connection, "message_id = ?", (message_id,)) or self._load(
                connection, "message_id = ? COLLATE NOCASE", (message_id,), order="id DESC"
            )
        return found[0] if found else None

    def by_envid(self, envid: str) -> OutboxEntry | None:
        with self._db.read() as connection:
            found = self._load(connection, "envid = ?", (envid,))
        return found[0] if found else None

    def list_outbox(self, account: str | None = None) -> list[OutboxEntry]:
        """Every message the server has not taken: queued, sending, deferred, failed,
        uncertain, oldest first. Each carries its reason: state, last_error (always set for
        deferred, failed, uncertain), last_reply, next_attempt_at."""
        where = "state IN (SELECT value FROM json_each(?))"
        params: tuple[object, ...] = (json.dumps([str(s) for s in OUTBOX_STATES]),)
        if account is not None:
            where += " AND account = ?"
            params += (account,)
        with self._db.read() as connection:
            return self._load(connection, where, params, order="created_at, id")

    def count_outbox(self, account: str | None = None) -> int:
        """How many messages list_outbox would show (the status bar's Outbox count)."""
        sql = "SELECT count(*) FROM outbox WHERE state NOT IN ('sent')"
        params: tuple[object, ...] = ()
        if account is not None:
            sql += " AND account = ?"
            params = (account,)
        with self._db.read() as connection:
            return int(connection.execute(sql, params).fetchone()[0])

    def recent_sent(
        self, limit: int = 50, *, account: str | None = None, since: datetime | None = None
    ) -> list[OutboxEntry]:
        """Messages the server took, newest first."""
        where = "sent_at IS NOT NULL"
        params: tuple[object, ...] = ()
        if account is not None:
            where += " AND account = ?"
            params += (account,)
        if since is not None:
            where += " AND sent_at >= ?"
            params += (epoch(since),)
        with self._db.read() as connection:
            return self._load(connection, where, params, order="sent_at DESC, id DESC", limit=limit)

    def referenced_blobs(self) -> set[str]:
        """Message files the outbox and the delivery reports refer to: add these to the live
        set given to BlobStore.delete_unreferenced."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT raw_hash FROM outbox UNION SELECT report_hash FROM delivery_reports"
                " WHERE report_hash IS NOT NULL UNION SELECT report_hash FROM delivery_events"
                " WHERE report_hash IS NOT NULL UNION SELECT d.value FROM outbox_drafts,"
                " json_each(outbox_drafts.attachment_hashes) AS d"
            )
            return {row[0] for row in rows}

    # -- internals ---------------------------------------------------------------------------

    def _load(
        self,
        connection: sqlite3.Connection,
        where: str,
        params: Sequence[object],
        *,
        order: str = "id",
        limit: int | None = None,
    ) -> list[OutboxEntry]:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM outbox WHERE {where} ORDER BY {order}"
        args = list(params)
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        rows = connection.execute(sql, args).fetchall()
        if not rows:
            return []
        recipients: dict[int, list[OutboxRecipient]] = {}
        for values in connection.execute(
            f"SELECT {_RECIPIENT_COLUMNS} FROM outbox_recipients"
            " WHERE outbox_id IN (SELECT value FROM json_each(?)) ORDER BY outbox_id, position",
            (json.dumps([row[0] for row in rows]),),
        ):
            recipients.setdefault(values[0], []).append(_recipient_from(values))
        return [_entry_from(row, tuple(recipients.get(row[0], ()))) for row in rows]

    def _fence(self, connection: sqlite3.Connection, outbox_id: int, worker_id: str) -> None:
        # The worker's outcome counts while it holds the lease, and also after the recovery
        # made the entry uncertain under it: a late real answer beats "nobody knows".
        row = connection.execute(
            "SELECT state, lease_owner, data_started_at FROM outbox WHERE id = ?", (outbox_id,)
        ).fetchone()
        if row is None or row[1] != worker_id:
            raise LeaseLostError(f"outgoing message {outbox_id} is no longer leased to {worker_id}")
        state, _owner, data_started_at = row
        if state == OutboxState.SENDING or (
            state == OutboxState.UNCERTAIN and data_started_at is not None
        ):
            return
        raise LeaseLostError(f"outgoing message {outbox_id} is not being sent by {worker_id}")

    @staticmethod
    def _state_unless_sending(connection: sqlite3.Connection, outbox_id: int) -> OutboxState | None:
        """The entry's state (None: there is none); raises OutboxError while it is being sent,
        as the person's actions must wait for the attempt to end."""
        row = connection.execute("SELECT state FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        if row is None:
            return None
        if row[0] == OutboxState.SENDING:
            raise OutboxError(
                "the message is being sent right now", hint="Wait for the attempt to end."
            )
        return OutboxState(row[0])

    @staticmethod
    def _settle(
        connection: sqlite3.Connection,
        outbox_id: int,
        outcome: DeliveryEvent,
        smtp_host: str | None,
    ) -> None:
        """Apply the transaction's outcome to its recipients; a recipient the server refused
        at RCPT keeps its own verdict (5xx failed, 4xx deferred) whatever the outcome."""
        rows = connection.execute(
            "SELECT id, state, read_state, rcpt_code, rcpt_reply FROM outbox_recipients"
            " WHERE outbox_id = ? AND in_flight = 1",
            (outbox_id,),
        ).fetchall()
        events: list[tuple[int, DeliveryEvent, bool]] = []
        current: dict[int, tuple[DeliveryState, ReadState]] = {}
        for recipient_id, state, read_state, rcpt_code, rcpt_reply in rows:
            current[recipient_id] = (DeliveryState(state), ReadState(read_state))
            event = _recipient_event(outcome, rcpt_code, rcpt_reply, smtp_host)
            # Our own transaction decides over local states only; a report that already
            # spoke (a fast DSN) stays, and this reply goes into the timeline as history.
            events.append((recipient_id, event, current[recipient_id][0] in _LOCAL_STATES))
        apply_events(connection, events, current=current)
        connection.execute(
            "UPDATE outbox_recipients SET in_flight = 0 WHERE outbox_id = ? AND in_flight = 1",
            (outbox_id,),
        )

    def _finish(
        self,
        connection: sqlite3.Connection,
        outbox_id: int,
        now: datetime,
        *,
        reason: str,
        next_attempt_at: datetime | None = None,
        keep_owner: bool = False,
    ) -> OutboxState:
        """Set the entry's overall state from its recipients after an outcome."""
        when = epoch(now)
        # The entry's head and its recipients' states in one query.
        rows = connection.execute(
            "SELECT o.attempts, o.queued_at, o.sent_at, r.state, count(r.id) FROM outbox o"
            " LEFT JOIN outbox_recipients r ON r.outbox_id = o.id WHERE o.id = ?"
            " GROUP BY r.state",
            (outbox_id,),
        ).fetchall()
        attempts, queued_at, sent_at = rows[0][:3]
        counts = {row[3]: row[4] for row in rows if row[3] is not None}
        waiting = sum(counts.get(str(s), 0) for s in PENDING_STATES)
        if waiting and self.policy.gives_up(moment(queued_at), now):
            days = self.policy.give_up_after / timedelta(days=1)
            reason = f"Gave up after {days:g} days of trying. Last error: {reason}"
            for (recipient_id,) in connection.execute(
                "SELECT id FROM outbox_recipients WHERE outbox_id = ?"
                " AND state IN ('queued', 'sending', 'deferred')",
                (outbox_id,),
            ).fetchall():
                apply_event(
                    connection,
                    recipient_id,
                    DeliveryEvent(now, EventSource.SYSTEM, DeliveryState.FAILED, diagnostic=reason),
                )
            waiting = 0
        next_at: int | None = None
        if waiting:
            state = OutboxState.DEFERRED
            due = now + self.policy.delay(attempts) if next_attempt_at is None else next_attempt_at
            next_at = epoch(due)
        elif counts.get(str(DeliveryState.UNCERTAIN)):
            state = OutboxState.UNCERTAIN
        elif sent_at is not None or any(counts.get(str(s)) for s in _TAKEN_STATES):
            state = OutboxState.SENT
        else:
            state = OutboxState.FAILED
        keeps_reason = state in (OutboxState.DEFERRED, OutboxState.FAILED, OutboxState.UNCERTAIN)
        connection.execute(
            "UPDATE outbox SET state = ?, next_attempt_at = ?, last_error = ?,"
            " lease_owner = CASE WHEN ? THEN lease_owner END, lease_until = NULL,"
            " updated_at = ? WHERE id = ?",
            (
                str(state),
                next_at,
                reason if keeps_reason else None,
                int(keep_owner),
                when,
                outbox_id,
            ),
        )
        return state

    def _recover(self, connection: sqlite3.Connection, now: datetime) -> RecoveryReport:
        when = epoch(now)
        expired = connection.execute(
            "SELECT id, data_started_at, attempts, queued_at FROM outbox"
            " WHERE state = 'sending' AND lease_until <= ?",
            (when,),
        ).fetchall()
        requeued: list[int] = []
        uncertain: list[int] = []
        failed: list[int] = []
        for outbox_id, data_started_at, attempts, queued_at in expired:
            if data_started_at is not None:
                outcome = DeliveryEvent(
                    now,
                    EventSource.SYSTEM,
                    DeliveryState.UNCERTAIN,
                    diagnostic=INTERRUPTED_DURING_DATA,
                )
                self._settle(connection, outbox_id, outcome, None)
                # Keep the uncertain recipients in the transaction and the owner on the
                # entry: the worker may still be alive and report the server's real answer.
                connection.execute(
                    "UPDATE outbox_recipients SET in_flight = 1"
                    " WHERE outbox_id = ? AND state = 'uncertain'",
                    (outbox_id,),
                )
                state = self._finish(
                    connection, outbox_id, now, reason=INTERRUPTED_DURING_DATA, keep_owner=True
                )
                (uncertain if state == OutboxState.UNCERTAIN else requeued).append(outbox_id)
                continue
            if self.policy.gives_up(moment(queued_at), now):
                outcome = DeliveryEvent(
                    now,
                    EventSource.SYSTEM,
                    DeliveryState.DEFERRED,
                    diagnostic=INTERRUPTED_BEFORE_DATA,
                )
                self._settle(connection, outbox_id, outcome, None)
                self._finish(connection, outbox_id, now, reason=INTERRUPTED_BEFORE_DATA)
                failed.append(outbox_id)
                continue
            connection.execute(
                "UPDATE outbox_recipients SET state = 'queued', in_flight = 0, updated_at = ?"
                " WHERE outbox_id = ? AND in_flight = 1 AND state = 'sending'",
                (when, outbox_id),
            )
            connection.execute(
                "UPDATE outbox_recipients SET in_flight = 0 WHERE outbox_id = ?", (outbox_id,)
            )
            # The first interruption retries at once; repeated ones back off, so a message
            # that kills the worker every time cannot keep it busy.
            due = now + self.policy.delay(attempts - 1)
            connection.execute(
                "UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ?,"
                " lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
                (epoch(due), INTERRUPTED_BEFORE_DATA, when, outbox_id),
            )
            requeued.append(outbox_id)
        return RecoveryReport(tuple(requeued), tuple(uncertain), tuple(failed))
