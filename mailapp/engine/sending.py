"""Sending and delivery tracking for the engine facade: compose, store, send, and report back.

`SendingService` is what `Engine` holds: `send` composes a draft (in a thread: attachments
are read from disk), stores it in the outbox before any network I/O, and runs the worker
(engine.outbox_worker) until the server answered; the outbox actions (run, list, retry,
delete); what became of a message (`delivery_status`, `recent_sent`); and `ingest_report`
for a received DSN, bounce or read receipt. Store calls are synchronous and run in
asyncio.to_thread.

Imports: core, protocols (compose), store, transport (through engine.outbox_worker), engine.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from mailapp.core.delivery import (
    DEFAULT_RETRY_POLICY,
    MessageDeliverySummary,
    OutboxState,
    RecipientStatus,
    RetryPolicy,
)
from mailapp.core.draft import Draft
from mailapp.core.errors import MessageNotFoundError
from mailapp.core.model import Account
from mailapp.engine.outbox_worker import (
    DEFAULT_LEASE_SECONDS,
    AccountLookup,
    CredentialLookup,
    LocalSentCopier,
    OutboxWorker,
    ProgressCallback,
    SendProgress,
    SendStage,
    SentCopier,
    SessionFactory,
    WorkerReport,
)
from mailapp.engine.sent_copy import AccountPassword, ImapSentCopier
from mailapp.engine.tracking import DeliveryTracker, IngestResult
from mailapp.protocols.mime.compose import compose
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.delivery import DeliveryRepository, now_utc
from mailapp.store.folders import FolderRepository
from mailapp.store.outbox import (
    OutboxEntry,
    OutboxRepository,
    SendOptions,
    recipients_from_draft,
)
from mailapp.transport.net import DEFAULT_TIMEOUT

USER_AGENT = "mailapp"
# While another process holds the entry, how often `send(wait=True)` looks again.
_POLL_SECONDS = 0.5
_WAITING = (OutboxState.QUEUED, OutboxState.SENDING)


@dataclass(frozen=True, slots=True)
class DeliveryStatus:
    """One outgoing message and what became of it, per recipient with the timeline."""

    entry: OutboxEntry
    recipients: tuple[RecipientStatus, ...]
    summary: MessageDeliverySummary

    @property
    def message_id(self) -> str:
        return self.entry.message_id


@dataclass(frozen=True, slots=True)
class SendResult:
    """What `send` came to: the message, its outbox entry and each recipient's state.

    With wait=True the server has answered (state sent, deferred, failed or uncertain),
    unless another process is still sending it; with wait=False the state is queued."""

    message_id: str
    outbox_id: int
    state: OutboxState
    recipients: tuple[RecipientStatus, ...]
    summary: MessageDeliverySummary
    next_attempt_at: datetime | None
    last_error: str | None
    dsn_offered: bool | None


@dataclass(frozen=True, slots=True)
class SentSummary:
    """A sent message at a glance (the Sent folder's Delivery column)."""

    entry: OutboxEntry
    summary: MessageDeliverySummary


def normalize_message_id(text: str) -> str:
    """`abc@x` or `<abc@x>` as stored: with angle brackets, no surrounding blanks."""
    text = text.strip()
    if not text.startswith("<"):
        text = f"<{text}>"
    return text


class SendingService:
    """The profile's outbox, its worker and delivery tracking (one per Engine)."""

    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        *,
        accounts: AccountLookup,
        credentials: CredentialLookup,
        timeout: float = DEFAULT_TIMEOUT,
        sent_copier: SentCopier | None = None,
        session_factory: SessionFactory | None = None,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        worker_id: str | None = None,
        incoming_password: AccountPassword | None = None,
        connections_per_account: int = 1,
    ) -> None:
        """sent_copier None: IMAP accounts get their copy APPENDed to the server's Sent folder
        when `incoming_password` is given (POP3 accounts, and all without it: the local copy)."""
        if sent_copier is None:
            sent_copier = LocalSentCopier(blobs)
            if incoming_password is not None:
                sent_copier = ImapSentCopier(
                    sent_copier,
                    password=incoming_password,
                    folders=FolderRepository(database),
                    timeout=timeout,
                )
        self.outbox = OutboxRepository(database, blobs, policy=policy)
        self.delivery = DeliveryRepository(database)
        self.tracker = DeliveryTracker(database, blobs, outbox=self.outbox, delivery=self.delivery)
        self.worker = OutboxWorker(
            self.outbox,
            accounts=accounts,
            credentials=credentials,
            sent_copier=sent_copier,
            session_factory=session_factory,
            timeout=timeout,
            lease_seconds=lease_seconds,
            worker_id=worker_id,
            connections_per_account=connections_per_account,
        )

    # -- sending -----------------------------------------------------------------------------

    async def enqueue(
        self, account: Account, draft: Draft, *, request_dsn: bool | None = None
    ) -> OutboxEntry:
        """Compose the draft (in a thread) and store it durably in the outbox; no network.

        request_dsn None: the account's setting. Raises InvalidDraftError (for example an
        attachment that cannot be read), HeaderInjectionError."""
        if request_dsn is None:
            request_dsn = account.options.request_delivery_reports
        # SMTPUTF8 is allowed here; whether the server offers it is checked when sending,
        # and a message that needs it fails there with the reason.
        composed = await asyncio.to_thread(
            compose,
            draft,
            message_id_domain=draft.from_.ascii_domain,
            smtputf8_allowed=True,
            user_agent=USER_AGENT,
        )
        recipients = recipients_from_draft(draft, composed.envelope_recipients)
        options = SendOptions.for_draft(draft, request_dsn=request_dsn)
        return await asyncio.to_thread(
            self.outbox.enqueue_composed,
            account.name,
            composed,
            recipients,
            options,
            subject=draft.subject,
        )

    async def send(
        self,
        account: Account,
        draft: Draft,
        *,
        request_dsn: bool | None = None,
        wait: bool = True,
        progress: ProgressCallback | None = None,
    ) -> SendResult:
        """Store the message in the outbox, then (wait=True) send it now and return once the
        server answered for each recipient. With wait=False it only stores it: something
        must run the outbox (`run_outbox_once`; the window and `mailapp outbox run` do)."""
        entry = await self.enqueue(account, draft, request_dsn=request_dsn)
        if progress is not None:
            progress(
                SendProgress(
                    SendStage.CONNECTING,
                    entry.id,
                    account.name,
                    f"stored {entry.message_id} in the outbox",
                    state=entry.state,
                )
            )
        if wait:
            await self.wait_for(entry.id, progress=progress)
        return await self.result(entry.id)

    async def wait_for(self, outbox_id: int, *, progress: ProgressCallback | None = None) -> None:
        """Run the outbox until this entry's attempt is over (it is no longer queued or being
        sent). An entry another process is sending is waited for until its lease ends."""
        while True:
            entry = await asyncio.to_thread(self.outbox.get, outbox_id)
            if entry is None or entry.state not in _WAITING:
                return
            now = now_utc()
            if entry.state is OutboxState.QUEUED:
                if entry.next_attempt_at is not None and entry.next_attempt_at > now:
                    return  # scheduled for later (send_at, or backoff after a crash)
                await self.worker.run_once(account=entry.account, progress=progress)
                after = await asyncio.to_thread(self.outbox.get, outbox_id)
                if after is not None and after.state is OutboxState.QUEUED:
                    # Claimed by another process between our look and our claim.
                    await asyncio.sleep(_POLL_SECONDS)
                continue
            # Sending, by someone: ours has finished by now, so another process holds it.
            if entry.lease_until is not None and entry.lease_until < now:
                await self.worker.run_once(account=entry.account, progress=progress)
                continue
            await asyncio.sleep(_POLL_SECONDS)

    async def result(self, outbox_id: int) -> SendResult:
        status = await self._status_of(outbox_id)
        entry = status.entry
        return SendResult(
            message_id=entry.message_id,
            outbox_id=entry.id,
            state=entry.state,
            recipients=status.recipients,
            summary=status.summary,
            next_attempt_at=entry.next_attempt_at,
            last_error=entry.last_error,
            dsn_offered=entry.dsn_offered,
        )

    async def run_outbox_once(
        self, *, account: str | None = None, progress: ProgressCallback | None = None
    ) -> WorkerReport:
        """Send everything due now; returns what happened to each entry tried."""
        return await self.worker.run_once(account=account, progress=progress)

    async def wake(self, account: str | None = None) -> int:
        """The network is back: deferred messages become due now."""
        return await asyncio.to_thread(self.outbox.wake, account=account)

    # -- the outbox --------------------------------------------------------------------------

    async def outbox_entries(self, account: str | None = None) -> list[OutboxEntry]:
        """Every message the server has not taken (queued, sending, deferred, failed,
        uncertain), oldest first, each with its reason."""
        return await asyncio.to_thread(self.outbox.list_outbox, account)

    async def retry(self, outbox_id: int) -> OutboxEntry:
        """The person says "send again" (also for an uncertain message); due at once."""
        return await asyncio.to_thread(self.outbox.retry, outbox_id)

    async def delete(self, outbox_id: int) -> bool:
        return await asyncio.to_thread(self.outbox.delete, outbox_id)

    # -- delivery ----------------------------------------------------------------------------

    async def delivery_status(self, message_id: str) -> DeliveryStatus:
        """A sent (or outgoing) message by Message-ID (with or without <>), per recipient
        with the timeline. Raises MessageNotFoundError."""
        wanted = normalize_message_id(message_id)
        entry = await asyncio.to_thread(self.outbox.by_message_id, wanted)
        if entry is None:
            raise MessageNotFoundError(
                f"No message sent from here has the Message-ID {wanted}.",
                hint="`mailapp status` lists recent sent messages.",
            )
        return await self._status_of(entry.id)

    async def recent_sent(
        self, limit: int = 20, *, account: str | None = None
    ) -> list[SentSummary]:
        """Messages the server took, newest first, with their Delivery summary."""
        entries = await asyncio.to_thread(self.outbox.recent_sent, limit, account=account)
        summaries = await asyncio.to_thread(self.delivery.summaries, [e.id for e in entries])
        return [SentSummary(e, summaries[e.id]) for e in entries if e.id in summaries]

    async def ingest_report(self, raw: bytes, account: str | None = None) -> IngestResult:
        """Tie a received report (DSN, bounce, read receipt) to what we sent; idempotent."""
        return await asyncio.to_thread(self.tracker.ingest, raw, account=account)

    async def _status_of(self, outbox_id: int) -> DeliveryStatus:
        def load() -> DeliveryStatus | None:
            entry = self.outbox.get(outbox_id)
            summary = self.delivery.summary(outbox_id)
            if entry is None or summary is None:
                return None
            return DeliveryStatus(entry, tuple(self.delivery.recipients(outbox_id)), summary)

        status = await asyncio.to_thread(load)
        if status is None:
            raise MessageNotFoundError(f"There is no outgoing message {outbox_id}.")
        return status
