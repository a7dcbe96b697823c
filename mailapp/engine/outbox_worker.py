"""The sending worker: moves due outbox entries through SMTP, one account's batch per connection.

Imports: core, store (outbox), transport (smtp), the stdlib.

The store's rules carry the guarantees; this module follows them exactly (see the docstring of
store.outbox): entries are claimed with a lease, each recipient's RCPT reply is recorded,
`mark_data_started` is committed durably right before DATA (LeaseLostError: no DATA), and every
transaction ends in exactly one outcome call. So a kill -9 at any moment loses nothing and
sends nothing twice: before the marker the entry is simply sent again, after it the entry
becomes uncertain and waits for the person.

One bad message never blocks the others: every entry has its own try/except, a connection
failure defers only the entries of that account's batch, and a poison message (one that makes
our own code fail) is deferred with backoff, or made uncertain if its final "." was out.

After the server took a message (and it is marked sent), `SentCopier` files the copy in Sent:
the local copy (the outbox keeps the exact bytes: `LocalSentCopier`) or the IMAP APPEND to
the account's \\Sent folder (engine.sent_copy). A copy that fails stays pending with its
reason and is tried again on the next run; it never makes the message be sent again.

`connections_per_account` > 1 sends an account's due messages over that many SMTP
connections at once (bulk mail); each connection takes the next claimed entry in turn.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
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
from mailapp.store.outbox import OutboxEntry, OutboxRepository
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.smtp import (
    DsnRequest,
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
    and `recent_sent` lists them. Checks the bytes are there and calls it done.

    IMAP accounts file theirs on the server instead (engine.sent_copy.ImapSentCopier)."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    async def copy(self, account: Account, entry: OutboxEntry, raw: bytes) -> SentCopyState:
        if not await asyncio.to_thread(self._blobs.exists, entry.raw_hash):
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
                await self.copy_pending(account)
            finally:
                self._copies_tried.clear()
                await self.sent_copier.release()
        return report

    async def _claim(self, account: str | None) -> list[OutboxEntry]:
        return await asyncio.to_thread(
            self.outbox.claim_due,
            now_utc(),
            self.worker_id,
            lease_seconds=self.lease_seconds,
            limit=self.batch_size,
            account=account,
        )

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
        account, each with its own connection. The queues hold about one batch, so nothing
        waits long enough under its lease to lose it."""
        lanes: dict[str, _AccountLanes] = {}
        try:
            while entries := await self._claim(account):
                for name, batch in entries_by_account(entries).items():
                    group = lanes.get(name)
                    if group is None:
                        group = lanes[name] = _AccountLanes(self.batch_size)
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
        try:
            while (entry := await group.queue.get()) is not None:
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
                    if session is not None:
                        session.abort()
                    _say(
                        progress,
                        SendStage.CONNECTING,
                        entry,
                        f"connecting to {account.outgoing.address}",
                    )
                    try:
                        session = await self._open(account)
                    except MailAppError as exc:
                        session = None
                        # The other lanes of the account defer their entries at once too.
                        group.unusable = f"Cannot send through {account.outgoing.address}: {exc}"
                        await self._settle_without_sending(entry, report, reason=group.unusable)
                        continue
                await self._send_one(session, account, entry, report, progress)
        except BaseException:
            # Entries still queued keep their leases; the lease expiry requeues them.
            if session is not None:
                session.abort()
                session = None
            raise
        finally:
            if session is not None:
                if session.is_connected:
                    await session.quit()
                else:
                    session.abort()

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
                    if session is not None:
                        session.abort()
                    _say(
                        progress,
                        SendStage.CONNECTING,
                        entry,
                        f"connecting to {account.outgoing.address}",
                    )
                    try:
                        session = await self._open(account)
                    except MailAppError as exc:
                        session = None
                        reason = f"Cannot send through {account.outgoing.address}: {exc}"
                        for waiting in batch[index:]:
                            await self._settle_without_sending(waiting, report, reason=reason)
                        return
                await self._send_one(session, account, entry, report, progress)
        finally:
            if session is not None:
                if session.is_connected:
                    await session.quit()
                else:
                    session.abort()

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
    ) -> None:
        final_dot_maybe_sent = False
        in_transaction = False
        try:
            await asyncio.to_thread(
                self.outbox.renew_lease, entry.id, self.worker_id, now_utc(), self.lease_seconds
            )
            try:
                raw = await asyncio.to_thread(self.outbox.raw, entry)
            except StoreError as exc:
                unreadable = f"The stored message cannot be read: {exc}"
                await self._mark(
                    entry,
                    report,
                    lambda: self.outbox.mark_failed(entry.id, self.worker_id, reason=unreadable),
                )
                return
            _say(progress, SendStage.SENDING, entry, f"sending {entry.message_id}")

            async def on_recipient(address: str, reply: SmtpReply) -> None:
                await asyncio.to_thread(
                    self.outbox.record_recipient_reply, entry.id, address, reply.code, reply.text
                )

            async def before_data() -> None:
                nonlocal final_dot_maybe_sent
                lease = self.data_lease_seconds
                if lease is None:
                    upload = int(data_timeout(len(raw), session.timeout)) + _LEASE_MARGIN
                    lease = max(upload, self.lease_seconds)
                await asyncio.to_thread(
                    self.outbox.renew_lease, entry.id, self.worker_id, now_utc(), lease
                )
                await asyncio.to_thread(self.outbox.mark_data_started, entry.id, self.worker_id)
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
                dsn=DsnRequest(entry.envid, entry.notify, entry.ret) if entry.request_dsn else None,
                smtputf8=entry.needs_smtputf8,
                body_8bit=entry.body_8bit,
                on_recipient=on_recipient,
                before_data=before_data,
                progress=uploaded,
            )
            state = await self._record(session, entry, outcome, report)
            _say(progress, SendStage.FINISHED, entry, outcome.error or "accepted", state=state)
            if state is OutboxState.SENT:
                await self._copy_to_sent(entry, raw=raw, account=account)
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
            if final_dot_maybe_sent:
                await self._mark(
                    entry,
                    report,
                    lambda: self.outbox.mark_uncertain(
                        entry.id,
                        self.worker_id,
                        reason=f"{internal} (the message may have been handed over).",
                    ),
                )
            else:
                await self._mark(
                    entry,
                    report,
                    lambda: self.outbox.mark_deferred(
                        entry.id,
                        self.worker_id,
                        error=internal,
                    ),
                )

    async def _record(
        self,
        session: SmtpSession,
        entry: OutboxEntry,
        outcome: SendOutcome,
        report: WorkerReport,
    ) -> OutboxState | None:
        host = session.settings.host
        reply = outcome.reply
        code = None if reply is None else reply.code
        text = None if reply is None else reply.text
        worker = self.worker_id
        offered = outcome.dsn_offered
        if outcome.kind is SendOutcomeKind.ACCEPTED:
            assert reply is not None
            return await self._mark(
                entry,
                report,
                lambda: self.outbox.mark_accepted(
                    entry.id,
                    worker,
                    reply=reply.text,
                    reply_code=reply.code,
                    smtp_host=host,
                    dsn_offered=offered,
                ),
            )
        if outcome.kind is SendOutcomeKind.DEFERRED:
            return await self._mark(
                entry,
                report,
                lambda: self.outbox.mark_deferred(
                    entry.id,
                    worker,
                    error=outcome.error,
                    reply=text,
                    reply_code=code,
                    smtp_host=host,
                    dsn_offered=offered,
                ),
            )
        if outcome.kind is SendOutcomeKind.FAILED:
            return await self._mark(
                entry,
                report,
                lambda: self.outbox.mark_failed(
                    entry.id,
                    worker,
                    reason=outcome.error,
                    reply=text,
                    reply_code=code,
                    smtp_host=host,
                    dsn_offered=offered,
                ),
            )
        return await self._mark(
            entry,
            report,
            lambda: self.outbox.mark_uncertain(
                entry.id, worker, reason=outcome.error, smtp_host=host, dsn_offered=offered
            ),
        )

    async def _mark(
        self,
        entry: OutboxEntry,
        report: WorkerReport,
        call: Callable[[], OutboxEntry],
    ) -> OutboxState | None:
        """Run one outcome call; a lost lease means the entry is someone else's now."""
        try:
            updated = await asyncio.to_thread(call)
        except LeaseLostError as exc:
            log.info("outbox %s: outcome not recorded, lease lost: %s", entry.id, exc)
            report.skipped.append(entry.id)
            return None
        report.note(entry.id, updated.state)
        return updated.state

    async def _settle_without_sending(
        self, entry: OutboxEntry, report: WorkerReport, *, reason: str, failed: bool = False
    ) -> None:
        if failed:
            await self._mark(
                entry,
                report,
                lambda: self.outbox.mark_failed(entry.id, self.worker_id, reason=reason),
            )
        else:
            await self._mark(
                entry,
                report,
                lambda: self.outbox.mark_deferred(entry.id, self.worker_id, error=reason),
            )

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
            await asyncio.to_thread(
                self.outbox.mark_sent_copy, entry.id, SentCopyState.PENDING, str(exc)
            )
            return
        except Exception as exc:
            log.exception("outbox %s: filing the copy in Sent failed", entry.id)
            await asyncio.to_thread(
                self.outbox.mark_sent_copy,
                entry.id,
                SentCopyState.PENDING,
                f"Filing the copy in Sent stopped with an internal error: {exc}",
            )
            return
        await asyncio.to_thread(self.outbox.mark_sent_copy, entry.id, state)


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


def entries_by_account(entries: Sequence[OutboxEntry]) -> dict[str, list[OutboxEntry]]:
    grouped: dict[str, list[OutboxEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.account, []).append(entry)
    return grouped
