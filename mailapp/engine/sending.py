"""Sending and delivery tracking for the engine facade: compose, store, send, and report back.

`SendingService` is what `Engine` holds: `send` composes a draft (in a thread: attachments
are read from disk), stores it in the outbox before any network I/O, and runs the worker
(engine.outbox_worker) until the server answered; the outbox actions (run, list, retry,
delete); what became of a message (`delivery_status`, `recent_sent`); and `ingest_report`
for a received DSN, bounce or read receipt. Store calls are synchronous and run in
asyncio.to_thread.

Each entry queued from a draft keeps that draft (engine.drafts' record, its attachments
copied into the message files first, so the queued bytes and the draft agree), and
`take_back` hands a queued message back to the composer ("Edit" in the Outbox).

Imports: core, protocols (compose), store, transport (through engine.outbox_worker), engine.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import datetime

from mailapp.core.delivery import (
    DEFAULT_RETRY_POLICY,
    MessageDeliverySummary,
    OutboxState,
    RecipientStatus,
    RetryPolicy,
)
from mailapp.core.draft import Attachment, Draft
from mailapp.core.errors import MessageNotFoundError
from mailapp.core.model import Account
from mailapp.engine.drafts import (
    DraftRef,
    LocalDrafts,
    SavedDraft,
    draft_from_record,
    draft_message,
    draft_record,
)
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
from mailapp.protocols.mime.compose import ComposedMessage, compose
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


def _compose(draft: Draft) -> ComposedMessage:
    # SMTPUTF8 is allowed here; whether the server offers it is checked when sending, and a
    # message that needs it fails there with the reason.
    return compose(
        draft,
        message_id_domain=draft.from_.ascii_domain,
        smtputf8_allowed=True,
        user_agent=USER_AGENT,
    )


def _record_holds(draft: Draft) -> bool:
    """Whether engine.drafts' record keeps everything of this draft (the composer never
    makes inline images or extra headers; a draft with them is queued without its draft)."""
    return not draft.inline_images and not draft.extra_headers


def _draft_record(
    account: str, draft: Draft, request_dsn: bool, composed: ComposedMessage
) -> str | None:
    """The draft as the drafts directory keeps it (engine.drafts' own record), as JSON."""
    if not _record_holds(draft) or any(a.path is None for a in draft.attachments):
        return None
    ref = DraftRef(account, "", composed.message_id, now_utc(), subject=draft.subject)
    return json.dumps(draft_record(ref, draft, request_dsn), ensure_ascii=False)


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
        self.outbox_blobs = blobs
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
        self,
        account: Account,
        draft: Draft,
        *,
        request_dsn: bool | None = None,
        send_at: datetime | None = None,
    ) -> OutboxEntry:
        """Compose the draft (in a thread) and store it durably in the outbox, with the draft
        itself for a later edit; no network. `send_at`: no worker takes it before then (the
        composer's Undo window); None: due at once.

        request_dsn None: the account's setting. Raises InvalidDraftError (for example an
        attachment that cannot be read), HeaderInjectionError."""
        if request_dsn is None:
            request_dsn = account.options.request_delivery_reports
        options = SendOptions.for_draft(draft, request_dsn=request_dsn, send_at=send_at)

        def store() -> OutboxEntry:
            kept, digests = self._keep_attachments(draft)
            composed = _compose(kept)
            recipients = recipients_from_draft(kept, composed.envelope_recipients)
            return self.outbox.enqueue_composed(
                account.name,
                composed,
                recipients,
                options,
                subject=draft.subject,
                draft_record=_draft_record(account.name, kept, request_dsn, composed),
                draft_blobs=digests,
            )

        return await asyncio.to_thread(store)

    def _keep_attachments(self, draft: Draft) -> tuple[Draft, list[str]]:
        """The draft with each attachment's bytes read once into the message files (fsynced),
        so the message composed now and the draft kept for editing hold the same bytes, and
        an attachment given in memory (a forward) has a file the draft record can name.
        A draft the record cannot hold is returned as it is (nothing is kept for it)."""
        if not _record_holds(draft) or not draft.attachments:
            return draft, []
        kept: list[Attachment] = []
        digests: list[str] = []
        for attachment in draft.attachments:
            data = attachment.read()  # InvalidDraftError for a file gone or changed
            digest = self.outbox_blobs.put(data, durable=True)
            digests.append(digest)
            kept.append(
                Attachment(
                    attachment.filename,
                    attachment.content_type,
                    path=self.outbox_blobs.path_for(digest),
                    size=len(data),
                )
            )
        return replace(draft, attachments=tuple(kept)), digests

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

    async def take_back(self, outbox_id: int, drafts: LocalDrafts) -> SavedDraft:
        """Take a queued message back for editing: its draft is saved in `drafts` (so closing
        the composer keeps it, and a crash loses nothing), then the entry leaves the outbox
        atomically (OutboxRepository.withdraw), so it can never be sent while being edited.

        Refused (OutboxEditError, with the reason) while an attempt is under way, once DATA
        may have reached the server (uncertain), when any recipient got it, or for an entry
        queued without its draft; MessageNotFoundError when it is gone. If a worker claims it
        between the first look and the withdrawal, the withdrawal is refused and the draft
        saved for it is removed again: it is sent, not edited.

        Sending the edited message makes a fresh entry with a new Message-ID (and ENVID): it
        is a different message, and a late report about the old attempt (a bounce of its 5xx
        after DATA, a DSN) must not be tied to it; the old id may also already be in the
        server's or a recipient's logs for the attempt that failed."""
        record = await asyncio.to_thread(self.outbox.draft_for_edit, outbox_id)
        data = json.loads(record)
        draft = draft_from_record(data)
        request_dsn = data.get("request_dsn")
        raw, message_id = await asyncio.to_thread(draft_message, draft, user_agent=USER_AGENT)
        ref = DraftRef(
            str(data["account"]), drafts.new_id(), message_id, now_utc(), subject=draft.subject
        )

        def keep_then_withdraw() -> None:
            # One thread for both steps: a cancelled caller cannot split them, so the draft
            # saved here is removed exactly when the entry stayed in the outbox.
            drafts.write(ref, draft, request_dsn, raw)
            try:
                self.outbox.withdraw(outbox_id)
            except BaseException:
                drafts.delete(ref.local_id)
                raise

        await asyncio.to_thread(keep_then_withdraw)
        return SavedDraft(ref, draft, request_dsn)

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
