"""The sending worker: moves due outbox entries through SMTP, one account's batch per connection.

Imports: core, store (outbox), transport (smtp), the stdlib.

The store's rules carry the guarantees; this module follows them exactly (see the docstring of
store.outbox): entries are claimed with a lease, the DATA marker (with the RCPT replies) is
committed durably right before DATA (LeaseLostError: no DATA), and every transaction ends in
exactly one outcome. So a kill -9 at any moment loses nothing and sends nothing twice: before
the marker the entry is simply sent again, after it the entry becomes uncertain and waits for
the person.

Group commit: the store steps of all connections (DATA markers, outcomes, lease renewals,
Sent copy states) go through one `_StepBatcher`, which commits whatever is waiting in ONE
transaction (`OutboxRepository.record_steps`, in a worker thread) while the connections wait for
their own step; what arrives meanwhile goes into the next one. Each connection still waits
until its own marker is durable before DATA, and its own outcome before the entry counts as
sent, so the per-message guarantees are those of the single calls.

One bad message never blocks the others: every entry has its own try/except, a connection
failure defers only the entries of that account's batch, and a poison message (one that makes
our own code fail) is deferred with backoff, or made uncertain if its final "." was out.

After the server took a message (and it is marked sent), `SentCopier` files the copy in Sent:
the local copy (the outbox keeps the exact bytes: `LocalSentCopier`; it is recorded as made
with the outcome itself) or the IMAP APPEND to the account's \\Sent folder
(engine.sent_copy). A copy that fails stays pending with its
reason and is tried again on the next run; it never makes the message be sent again.

`connections_per_account` > 1 sends an account's due messages over that many SMTP
connections at once (bulk mail); each connection takes the next claimed entry in turn, and
goes on with it while the previous entry's outcome is being committed. A lane hands the
session its next entry's envelope while the current body goes out (RFC 2920 across
messages, see transport.smtp), when that entry is ready to go at once (its bytes read with
the claim, its lease fresh): its DATA marker is then queued in the same turn of the loop as
the previous entry's outcome, and both share one group commit.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from mailapp.core.delivery import OutboxState, SentCopyState
from mailapp.core.errors import (
    AccountNotFoundError,
    LeaseLostError,
    MailAppError,
    StoreError,
)
from mailapp.core.model import Account
from mailapp.store.blobs import BlobStore
from mailapp.store.delivery import now_utc
from mailapp.store.outbox import (
    DataStart,
    LeaseRenewal,
    OutboxEntry,
    OutboxRepository,
    OutboxStep,
    Outcome,
    RcptReply,
    SentCopyMark,
    StepResult,
)
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.smtp import (
    DsnRequest,
    Envelope,
    EnvelopeRecipient,
    OAuthTokenProvider,
    SendOutcome,
    SendOutcomeKind,
    SmtpReply,
    SmtpSession,
    data_timeout,
)

log = logging.getLogger("mailapp.outbox")

# A lease must outlive the longest step taken without renewing it (one SMTP command); the
# upload renews it for its own, size-scaled, duration. Short, so a killed process's entries
# come back soon.
DEFAULT_LEASE_SECONDS = 120
_LEASE_MARGIN = 60
# Messages up to this size are read from the store together with their claim.
_PREFETCH_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class SmtpCredentials:
    """How to log in to an account's SMTP server: a password, or an OAuth token provider."""

    password: str | None = None
    oauth_token: OAuthTokenProvider | None = None


AccountLookup = Callable[[str], Account]
CredentialLookup = Callable[[Account], Awaitable[SmtpCredentials]]
SessionFactory = Callable[[Account], SmtpSession]


class SendStage(StrEnum):
    CONNECTING = "connecting"
    SENDING = "sending"  # MAIL FROM / RCPT TO
    UPLOADING = "uploading"  # DATA; done/total bytes
    FINISHED = "finished"  # the entry's attempt ended (state says how)


@dataclass(frozen=True, slots=True)
class SendProgress:
    """One step of sending, for a progress bar or the command line."""

    stage: SendStage
    outbox_id: int | None
    account: str
    detail: str = ""
    done: int = 0
    total: int = 0
    state: OutboxState | None = None


ProgressCallback = Callable[[SendProgress], None]


@dataclass(slots=True)
class WorkerReport:
    """What one run of the worker did, by outbox id."""

    accepted: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # the lease went to someone else

    @property
    def attempted(self) -> int:
        return sum(
            map(len, (self.accepted, self.deferred, self.failed, self.uncertain, self.skipped))
        )

    def note(self, entry_id: int, state: OutboxState) -> None:
        if state is OutboxState.SENT:
            self.accepted.append(entry_id)
        elif state is OutboxState.DEFERRED or state is OutboxState.QUEUED:
            self.deferred.append(entry_id)
        elif state is OutboxState.FAILED:
            self.failed.append(entry_id)
        elif state is OutboxState.UNCERTAIN:
            self.uncertain.append(entry_id)
        else:
            self.skipped.append(entry_id)


class SentCopier(Protocol):
    """Files a copy of a sent message in the account's Sent folder.

    Returns DONE, SKIPPED (the server files its own copy, or the setting is off), or raises
    MailAppError (the copy stays pending and is tried again on the next run)."""

    async def copy(self, account: Account, entry: OutboxEntry, raw: bytes) -> SentCopyState: ...

    async def release(self) -> None:
        """Close what the copies of one worker run held open (connections)."""
        ...


class LocalSentCopier:
    """The local Sent: the outbox keeps every sent message's exact bytes (fsynced at enqueue)
    and `recent_sent` lists them. Calls it done once the bytes are known to be there (the
    worker just read them from the store; without them, it looks).

    IMAP accounts file theirs on the server instead (engine.sent_copy.ImapSentCopier)."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    async def copy(self, account: Account, entry: OutboxEntry, raw: bytes) -> SentCopyState:
        # The worker hands over the bytes it read from that very file (digest checked) during
        # this run, and the outbox row keeps the file referenced: no need to look again.
        # Without them, one stat of a local file: cheaper than a hop to a thread and back.
        if not raw and not self._blobs.exists(entry.raw_hash):
            raise StoreError(f"The sent message {entry.message_id} is missing from the store.")
        return SentCopyState.DONE

    async def release(self) -> None:
        return None


def new_worker_id() -> str:
    """host:pid:random, so a lease names the process that holds it."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class OutboxWorker:
    """Sends due outbox entries. One `run_once` at a time per worker (an asyncio lock);
    several processes may run workers side by side: the leases keep them apart."""

    def __init__(
        self,
        outbox: OutboxRepository,
        *,
        accounts: AccountLookup,
        credentials: CredentialLookup,
        sent_copier: SentCopier,
        session_factory: SessionFactory | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        data_lease_seconds: int | None = None,
        batch_size: int = 10,
        worker_id: str | None = None,
        connections_per_account: int = 1,
    ) -> None:
        """lease_seconds: each claim and each renewal between commands. data_lease_seconds:
        the lease taken for the upload; None: scaled with the message size (its timeout).
        connections_per_account: SMTP connections used side by side for one account."""
        if connections_per_account < 1:
            raise ValueError("connections_per_account must be at least 1")
        self.outbox = outbox
        self.accounts = accounts
        self.credentials = credentials
        self.sent_copier = sent_copier
        self._local_copies = isinstance(sent_copier, LocalSentCopier)
        self.timeout = timeout
        self.session_factory = session_factory or self._default_session
        self.lease_seconds = lease_seconds
        self.data_lease_seconds = data_lease_seconds
        self.batch_size = batch_size
        self.worker_id = worker_id or new_worker_id()
        self.connections_per_account = connections_per_account
        self._lock = asyncio.Lock()
        # Copies tried in the running run_once: a refused one waits for the next run.
        self._copies_tried: set[int] = set()
        # When each entry of the running run_once was claimed (the loop's clock): its lease
        # is renewed before sending only when it has waited a while.
        self._claimed_at: dict[int, float] = {}
        self._prefetched: dict[int, bytes] = {}  # the bytes of small claimed messages
        self._steps = _StepBatcher(outbox, self.worker_id)
        # Lanes claim enough for a few rounds of all connections at once: fewer claims, which
        # hold the store's write lock like the group commits do.
        self._claim_size = (
            batch_size
            if connections_per_account == 1
            else max(batch_size, 4 * connections_per_account)
        )
        # Entries whose SMTP transaction is over, waiting for their outcome to be committed.
        self._followups: set[asyncio.Future[None]] = set()

    def _default_session(self, account: Account) -> SmtpSession:
        return SmtpSession(account.outgoing, account.trust, timeout=self.timeout)

    # -- the loop ----------------------------------------------------------------------------

    async def run_once(
        self, *, account: str | None = None, progress: ProgressCallback | None = None
    ) -> WorkerReport:
        """Send everything due now (of one account, or all), then make pending Sent copies.
        Returns when nothing is due any more."""
        report = WorkerReport()
        async with self._lock:
            try:
                if self.connections_per_account > 1:
                    await self._run_lanes(account, report, progress)
                else:
                    await self._run_serial(account, report, progress)
                while self._followups:
                    await asyncio.gather(*self._followups)
                await self._steps.flush()
                await self.copy_pending(account)
            finally:
                for followup in self._followups:
                    followup.cancel()  # only after an error: the leases decide
                self._followups.clear()
                await self._steps.flush()
                self._copies_tried.clear()
                self._claimed_at.clear()
                self._prefetched.clear()
                await self.sent_copier.release()
        return report

    async def _claim(self, account: str | None) -> list[OutboxEntry]:
        claimed_at = asyncio.get_running_loop().time()

        def claim_and_read() -> list[OutboxEntry]:
            entries = self.outbox.claim_due(
                now_utc(),
                self.worker_id,
                lease_seconds=self.lease_seconds,
                limit=self._claim_size,
                account=account,
            )
            # Small messages are read in the same thread hop; one that cannot be read (for
            # whatever reason) is read again when its turn comes, and fails then, alone.
            for entry in entries:
                if entry.size <= _PREFETCH_BYTES:
                    with contextlib.suppress(Exception):
                        self._prefetched[entry.id] = self.outbox.raw(entry)
            return entries

        entries = await asyncio.to_thread(claim_and_read)
        for entry in entries:
            self._claimed_at[entry.id] = claimed_at
        return entries

    async def _run_serial(
        self, account: str | None, report: WorkerReport, progress: ProgressCallback | None
    ) -> None:
        while entries := await self._claim(account):
            for name, batch in entries_by_account(entries).items():
                await self._send_batch(name, batch, report, progress)

    async def _run_lanes(
        self, account: str | None, report: WorkerReport, progress: ProgressCallback | None
    ) -> None:
        """Claim in batches and hand the entries to `connections_per_account` lanes per
        account, each with its own connection. The queues hold about one claim; an entry
        that waited there a while has its lease renewed before it is sent."""
        lanes: dict[str, _AccountLanes] = {}
        try:
            while entries := await self._claim(account):
                for name, batch in entries_by_account(entries).items():
                    group = lanes.get(name)
                    if group is None:
                        group = lanes[name] = _AccountLanes(self._claim_size)
                        for _ in range(self.connections_per_account):
                            group.tasks.append(
                                asyncio.ensure_future(self._lane(name, group, report, progress))
                            )
                    for entry in batch:
                        await group.queue.put(entry)
        finally:
            for group in lanes.values():
                for _ in group.tasks:
                    await group.queue.put(None)
            for group in lanes.values():
                await asyncio.gather(*group.tasks)

    async def _lane(
        self,
        name: str,
        group: _AccountLanes,
        report: WorkerReport,
        progress: ProgressCallback | None,
    ) -> None:
        session: SmtpSession | None = None
        # An entry taken from the queue early, to send its envelope ahead (see next_envelope).
        taken: collections.deque[OutboxEntry | None] = collections.deque()

        def next_envelope() -> Envelope | None:
            if taken or group.unusable is not None:
                return None
            try:
                upcoming = group.queue.get_nowait()
            except asyncio.QueueEmpty:
                return None
            taken.append(upcoming)
            return None if upcoming is None else self._ready_envelope(upcoming)

        try:
            while (entry := taken.popleft() if taken else await group.queue.get()) is not None:
                if group.unusable is not None:
                    await self._settle_without_sending(
                        entry, report, reason=group.unusable, failed=group.unusable_final
                    )
                    continue
                try:
                    account = self.accounts(name)
                except AccountNotFoundError:
                    group.unusable_final = True
                    group.unusable = (
                        f"The account {name!r} no longer exists, so the message cannot be "
                        "sent. Add the account again and retry, or delete the message."
                    )
                    await self._settle_without_sending(
                        entry, report, reason=group.unusable, failed=True
                    )
                    continue
                if session is None or not session.is_connected:
                    try:
                        session = await self._reconnect(session, account, entry, progress)
                    except MailAppError as exc:
                        session = None
                        # The other lanes of the account defer their entries at once too.
                        group.unusable = f"Cannot send through {account.outgoing.address}: {exc}"
                        await self._settle_without_sending(entry, report, reason=group.unusable)
                        continue
                self._follow(
                    await self._send_one(
                        session, account, entry, report, progress, next_envelope=next_envelope
                    )
                )
        except BaseException:
            # Entries still queued keep their leases; the lease expiry requeues them.
            if session is not None:
                session.abort()
                session = None
            raise
        finally:
            await _close(session)

    def _ready_envelope(self, entry: OutboxEntry) -> Envelope | None:
        """The entry's envelope to send ahead, if it can go without a store step first: its
        bytes came with the claim and its lease needs no renewal (so `_send_one` reaches
        send_envelope without waiting; nothing else may use the session meanwhile)."""
        raw = self._prefetched.get(entry.id)
        claimed_at = self._claimed_at.get(entry.id)
        now = asyncio.get_running_loop().time()
        if raw is None or claimed_at is None or now - claimed_at >= self.lease_seconds / 20:
            return None
        return Envelope(
            entry.envelope_from,
            tuple(EnvelopeRecipient(r.address, r.orcpt) for r in entry.sending_recipients),
            len(raw),
            _dsn_of(entry),
            smtputf8=entry.needs_smtputf8,
            body_8bit=entry.body_8bit,
        )

    async def copy_pending(self, account: str | None = None) -> None:
        """Sent copies still to be made (also those a crash interrupted)."""
        pending = await asyncio.to_thread(self.outbox.pending_sent_copies, account)
        for entry in pending:
            if entry.id not in self._copies_tried:
                await self._copy_to_sent(entry)

    async def _send_batch(
        self,
        name: str,
        batch: list[OutboxEntry],
        report: WorkerReport,
        progress: ProgressCallback | None,
    ) -> None:
        try:
            account = self.accounts(name)
        except AccountNotFoundError:
            for entry in batch:
                await self._settle_without_sending(
                    entry,
                    report,
                    failed=True,
                    reason=f"The account {name!r} no longer exists, so the message cannot be "
                    "sent. Add the account again and retry, or delete the message.",
                )
            return
        session: SmtpSession | None = None
        try:
            for index, entry in enumerate(batch):
                if session is None or not session.is_connected:
                    try:
                        session = await self._reconnect(session, account, entry, progress)
                    except MailAppError as exc:
                        session = None
                        reason = f"Cannot send through {account.outgoing.address}: {exc}"
                        for waiting in batch[index:]:
                            await self._settle_without_sending(waiting, report, reason=reason)
                        return
                self._follow(await self._send_one(session, account, entry, report, progress))
        finally:
            await _close(session)

    async def _reconnect(
        self,
        session: SmtpSession | None,
        account: Account,
        entry: OutboxEntry,
        progress: ProgressCallback | None,
    ) -> SmtpSession:
        """A fresh logged-in session in place of a missing or dropped one."""
        if session is not None:
            session.abort()
        _say(progress, SendStage.CONNECTING, entry, f"connecting to {account.outgoing.address}")
        return await self._open(account)

    async def _open(self, account: Account) -> SmtpSession:
        session = self.session_factory(account)
        try:
            await session.connect()
            credentials = await self.credentials(account)
            await session.login(credentials.password, oauth_token=credentials.oauth_token)
        except BaseException:
            session.abort()
            raise
        return session

    # -- one entry ---------------------------------------------------------------------------

    async def _send_one(
        self,
        session: SmtpSession,
        account: Account,
        entry: OutboxEntry,
        report: WorkerReport,
        progress: ProgressCallback | None,
        *,
        next_envelope: Callable[[], Envelope | None] | None = None,
    ) -> asyncio.Future[None] | None:
        """Send one entry; returns the task that finishes it once its outcome is committed
        (None: it is finished already). `next_envelope`: see SmtpSession.send_envelope."""
        final_dot_maybe_sent = False
        in_transaction = False
        # RCPT replies wait here and are written with the DATA marker (or the outcome).
        replies: list[RcptReply] = []
        replies_recorded = False
        try:
            await self._renew_if_waited(entry)
            try:
                raw = self._prefetched.pop(entry.id, None)
                if raw is None:
                    raw = await asyncio.to_thread(self.outbox.raw, entry)
            except StoreError as exc:
                unreadable = f"The stored message cannot be read: {exc}"
                await self._mark(entry, report, Outcome.failed(entry.id, reason=unreadable))
                return None
            _say(progress, SendStage.SENDING, entry, f"sending {entry.message_id}")

            async def on_recipient(address: str, reply: SmtpReply) -> None:
                replies.append(RcptReply(address, reply.code, reply.text))

            async def before_data() -> None:
                nonlocal final_dot_maybe_sent, replies_recorded
                lease = self.data_lease_seconds
                if lease is None:
                    upload = int(data_timeout(len(raw), session.timeout)) + _LEASE_MARGIN
                    lease = max(upload, self.lease_seconds)
                # Durable before DATA: from here on a crash makes the entry uncertain.
                await self._step(DataStart(entry.id, tuple(replies), lease))
                replies_recorded = True
                final_dot_maybe_sent = True

            def uploaded(done: int, total: int) -> None:
                if progress is not None:
                    progress(
                        SendProgress(SendStage.UPLOADING, entry.id, entry.account, "", done, total)
                    )

            in_transaction = True
            outcome = await session.send_envelope(
                entry.envelope_from,
                [EnvelopeRecipient(r.address, r.orcpt) for r in entry.sending_recipients],
                raw,
                dsn=_dsn_of(entry),
                smtputf8=entry.needs_smtputf8,
                body_8bit=entry.body_8bit,
                on_recipient=on_recipient,
                before_data=before_data,
                progress=uploaded,
                next_envelope=next_envelope,
            )
            unrecorded = () if replies_recorded else tuple(replies)
            committed = self._steps.queue(self._outcome_step(session, entry, outcome, unrecorded))
            # The connection goes on with the next entry while the outcome is committed (with
            # the next entries' DATA markers); the entry counts as sent only once it is.
            detail = outcome.error or "accepted"
            data_started = final_dot_maybe_sent
            followup: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def recorded(done: asyncio.Future[StepResult]) -> None:
                if followup.done():  # cancelled: the leases decide
                    return
                result = None if done.cancelled() or done.exception() else done.result()
                if result is not None and result.error is None and self._local_copies:
                    # The usual end, without a task of its own: as _after_outcome does it.
                    assert result.state is not None
                    report.note(entry.id, result.state)
                    _say(progress, SendStage.FINISHED, entry, detail, state=result.state)
                    self._copies_tried.add(entry.id)
                    followup.set_result(None)
                    return
                task = asyncio.ensure_future(
                    self._after_outcome(
                        entry,
                        account,
                        raw,
                        done,
                        report,
                        progress=progress,
                        detail=detail,
                        data_started=data_started,
                    )
                )
                task.add_done_callback(lambda _: _resolve(followup))
                followup.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)

            committed.add_done_callback(recorded)
            return followup
        except LeaseLostError as exc:
            log.info("outbox %s: lease lost (%s); leaving it to its new owner", entry.id, exc)
            report.skipped.append(entry.id)
            session.abort()
        except asyncio.CancelledError:
            # The lease runs out and recovery decides (requeue, or uncertain after DATA).
            session.abort()
            raise
        except Exception as exc:
            # Our own failure (a poison message, a store error): this entry alone pays.
            log.exception("outbox %s: sending failed", entry.id)
            if in_transaction:  # the connection is in an unknown state
                session.abort()
            internal = f"Sending stopped with an internal error: {exc}"
            await self._mark_internal_error(entry, report, internal, final_dot_maybe_sent)
        return None

    async def _mark_internal_error(
        self, entry: OutboxEntry, report: WorkerReport, internal: str, data_started: bool
    ) -> None:
        if data_started:
            reason = f"{internal} (the message may have been handed over)."
            await self._mark(entry, report, Outcome.uncertain(entry.id, reason=reason))
        else:
            await self._mark(entry, report, Outcome.deferred(entry.id, error=internal))

    async def _after_outcome(
        self,
        entry: OutboxEntry,
        account: Account,
        raw: bytes,
        committed: asyncio.Future[StepResult],
        report: WorkerReport,
        *,
        progress: ProgressCallback | None,
        detail: str,
        data_started: bool,
    ) -> None:
        """Once the entry's outcome is durable: report it, then file the Sent copy."""
        try:
            try:
                result = await committed
                if result.error is not None:
                    raise result.error
            except LeaseLostError as exc:
                log.info("outbox %s: outcome not recorded, lease lost: %s", entry.id, exc)
                report.skipped.append(entry.id)
                return
            assert result.state is not None
            report.note(entry.id, result.state)
        except Exception as exc:
            # The SMTP transaction is over, so the connection is fine: only the entry pays.
            log.exception("outbox %s: recording the outcome failed", entry.id)
            internal = f"Sending stopped with an internal error: {exc}"
            await self._mark_internal_error(entry, report, internal, data_started)
            return
        _say(progress, SendStage.FINISHED, entry, detail, state=result.state)
        if self._local_copies:
            # The outcome recorded the local copy as made (see _outcome_step).
            self._copies_tried.add(entry.id)
        elif result.state is OutboxState.SENT:
            await self._copy_to_sent(entry, raw=raw, account=account)

    def _follow(self, followup: asyncio.Future[None] | None) -> None:
        if followup is not None:
            self._followups.add(followup)
            followup.add_done_callback(self._followups.discard)

    async def _renew_if_waited(self, entry: OutboxEntry) -> None:
        """Renew the lease (LeaseLostError: not ours any more) unless it was taken moments
        ago: the claim's lease then still covers the commands up to the DATA marker, which
        renews it again."""
        claimed_at = self._claimed_at.pop(entry.id, None)
        now = asyncio.get_running_loop().time()
        if claimed_at is not None and now - claimed_at < self.lease_seconds / 10:
            return
        await self._step(LeaseRenewal(entry.id, self.lease_seconds))

    async def _step(self, step: OutboxStep) -> StepResult:
        """One store step, committed with whatever the other connections have waiting;
        raises what the step raised."""
        result = await self._steps.submit(step)
        if result.error is not None:
            raise result.error
        return result

    def _outcome_step(
        self,
        session: SmtpSession,
        entry: OutboxEntry,
        outcome: SendOutcome,
        replies: tuple[RcptReply, ...] = (),
    ) -> Outcome:
        """The store step for what the server said (replies: RCPT replies not recorded yet)."""
        host = session.settings.host
        reply = outcome.reply
        code = None if reply is None else reply.code
        text = None if reply is None else reply.text
        offered = outcome.dsn_offered
        if outcome.kind is SendOutcomeKind.ACCEPTED:
            assert reply is not None
            return Outcome.accepted(
                entry.id,
                reply=reply.text,
                reply_code=reply.code,
                smtp_host=host,
                dsn_offered=offered,
                replies=replies,
                # The local Sent is the stored bytes: the copy is made with the outcome, in
                # the same transaction, instead of one more step after it.
                sent_copy=SentCopyState.DONE if self._local_copies else None,
            )
        if outcome.kind is SendOutcomeKind.DEFERRED:
            return Outcome.deferred(
                entry.id,
                error=outcome.error,
                reply=text,
                reply_code=code,
                smtp_host=host,
                dsn_offered=offered,
                replies=replies,
            )
        if outcome.kind is SendOutcomeKind.FAILED:
            return Outcome.failed(
                entry.id,
                reason=outcome.error,
                reply=text,
                reply_code=code,
                smtp_host=host,
                dsn_offered=offered,
                replies=replies,
            )
        return Outcome.uncertain(
            entry.id,
            reason=outcome.error,
            smtp_host=host,
            dsn_offered=offered,
            replies=replies,
        )

    async def _mark(
        self, entry: OutboxEntry, report: WorkerReport, outcome: Outcome
    ) -> OutboxState | None:
        """Commit one outcome (durably, before it is reported); a lost lease means the entry
        is someone else's now."""
        try:
            result = await self._step(outcome)
        except LeaseLostError as exc:
            log.info("outbox %s: outcome not recorded, lease lost: %s", entry.id, exc)
            report.skipped.append(entry.id)
            return None
        assert result.state is not None
        report.note(entry.id, result.state)
        return result.state

    async def _settle_without_sending(
        self, entry: OutboxEntry, report: WorkerReport, *, reason: str, failed: bool = False
    ) -> None:
        self._claimed_at.pop(entry.id, None)
        self._prefetched.pop(entry.id, None)
        if failed:
            await self._mark(entry, report, Outcome.failed(entry.id, reason=reason))
        else:
            await self._mark(entry, report, Outcome.deferred(entry.id, error=reason))

    async def _copy_to_sent(
        self, entry: OutboxEntry, *, raw: bytes | None = None, account: Account | None = None
    ) -> None:
        # The message is sent whatever happens here: a failed copy is only recorded, with
        # its reason, and tried again on the next run.
        self._copies_tried.add(entry.id)
        try:
            account = account or self.accounts(entry.account)
            if raw is None:
                raw = await asyncio.to_thread(self.outbox.raw, entry)
            state = await self.sent_copier.copy(account, entry, raw)
        except MailAppError as exc:
            log.warning("outbox %s: no copy in Sent yet: %s", entry.id, exc)
            self._steps.post(SentCopyMark(entry.id, SentCopyState.PENDING, str(exc)))
            return
        except Exception as exc:
            log.exception("outbox %s: filing the copy in Sent failed", entry.id)
            self._steps.post(
                SentCopyMark(
                    entry.id,
                    SentCopyState.PENDING,
                    f"Filing the copy in Sent stopped with an internal error: {exc}",
                )
            )
            return
        # Not waited for: it goes with the next group commit (run_once flushes before it
        # returns). Lost in a crash, the copy is only made again: the entry stays sent.
        self._steps.post(SentCopyMark(entry.id, state))


class _StepBatcher:
    """Group commit for the store steps of a worker's connections.

    `submit` queues a step and waits for its result. A committer in a worker thread commits
    every step waiting at that moment (up to `max_steps`) in one `record_steps` call, then at
    once whatever arrived meanwhile, and so on until nothing waits; the results go back to
    the loop with one call per group. The loop does not sit between two commits, so a busy
    loop does not hold the next group back. With one connection this is a plain call per
    step; with several, the steps of the connections that reach the same point together
    share one transaction and one fsync.
    """

    def __init__(self, outbox: OutboxRepository, worker_id: str, max_steps: int = 64) -> None:
        self._outbox = outbox
        self._worker_id = worker_id
        self._max_steps = max_steps
        # Shared with the committer thread: guarded by _lock.
        self._lock = threading.Lock()
        self._waiting: list[tuple[OutboxStep, asyncio.Future[StepResult]]] = []
        self._running = False
        self._committer: asyncio.Future[None] | None = None
        self._posted: set[asyncio.Future[StepResult]] = set()

    async def submit(self, step: OutboxStep) -> StepResult:
        """Commit the step with the others waiting; its result once that is committed."""
        return await self.queue(step)

    def post(self, step: OutboxStep) -> None:
        """Commit the step with the next group, without waiting for it (for steps nothing
        depends on); a failure is logged. `flush` waits for every posted step."""
        future = self.queue(step)
        self._posted.add(future)
        future.add_done_callback(self._posted_done)

    async def flush(self) -> None:
        """Wait until every posted step is committed (or failed)."""
        while self._posted:
            await asyncio.wait(set(self._posted))

    def _posted_done(self, future: asyncio.Future[StepResult]) -> None:
        self._posted.discard(future)
        if future.cancelled():
            return
        error = future.exception() or future.result().error
        if error is not None:
            log.warning("outbox: a store step was not recorded: %s", error)

    def queue(self, step: OutboxStep) -> asyncio.Future[StepResult]:
        """Queue the step for the next group commit; the future has its result then."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StepResult] = loop.create_future()
        with self._lock:
            self._waiting.append((step, future))
            if self._running:
                return future
            self._running = True
        # One turn of the loop first, so connections that are ready at the same moment join.
        loop.call_soon(self._start, loop)
        return future

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._committer = loop.run_in_executor(None, self._commit_while_waiting, loop)

    def _commit_while_waiting(self, loop: asyncio.AbstractEventLoop) -> None:
        """In a worker thread: commit the waiting steps group by group until none is left."""
        while True:
            with self._lock:
                batch = self._waiting[: self._max_steps]
                del self._waiting[: self._max_steps]
                if not batch:
                    self._running = False
                    return
            results: list[StepResult] | BaseException
            try:
                results = self._outbox.record_steps(self._worker_id, [step for step, _ in batch])
            except BaseException as exc:
                results = exc
            # RuntimeError: the loop is closed, nobody waits for these any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._deliver, batch, results)
            if isinstance(results, BaseException) and not isinstance(results, Exception):
                with self._lock:
                    self._running = False
                raise results

    @staticmethod
    def _deliver(
        batch: list[tuple[OutboxStep, asyncio.Future[StepResult]]],
        results: list[StepResult] | BaseException,
    ) -> None:
        if isinstance(results, BaseException):
            for _, future in batch:
                if not future.done():
                    future.set_exception(results)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


class _AccountLanes:
    """The lanes sending one account's entries: a shared queue (None ends a lane) and, once
    the account cannot be used in this run, the reason its remaining entries are settled."""

    __slots__ = ("queue", "tasks", "unusable", "unusable_final")

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[OutboxEntry | None] = asyncio.Queue(maxsize=max(1, size))
        self.tasks: list[asyncio.Future[None]] = []
        self.unusable: str | None = None
        self.unusable_final = False


def _say(
    progress: ProgressCallback | None,
    stage: SendStage,
    entry: OutboxEntry,
    detail: str,
    *,
    state: OutboxState | None = None,
) -> None:
    if progress is not None:
        progress(SendProgress(stage, entry.id, entry.account, detail, state=state))


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _dsn_of(entry: OutboxEntry) -> DsnRequest | None:
    return DsnRequest(entry.envid, entry.notify, entry.ret) if entry.request_dsn else None


def entries_by_account(entries: Sequence[OutboxEntry]) -> dict[str, list[OutboxEntry]]:
    grouped: dict[str, list[OutboxEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.account, []).append(entry)
    return grouped


async def _close(session: SmtpSession | None) -> None:
    """QUIT when the connection still stands, else just drop it."""
    if session is None:
        return
    if session.is_connected:
        await session.quit()
    else:
        session.abort()
