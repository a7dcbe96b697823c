"""POP3 fetch: new messages (by UIDL) into the account's local Inbox, and server retention.

Imports: core, protocols (pop3 retention, mime.parse), transport.pop3, store, engine.sync;
asyncio. The facade (engine.api) is the way in.

One session: UIDL, plan (protocols.pop3.retention), then for each new message RETR streamed
into memory, the file written durably (BlobStore), the ingest hook, and one store
transaction holding the message row, its indexed text and the UIDL record. A fetch killed at
any moment therefore loses at most the message under way (fetched again next time) and
never stores one twice. Deletions (keep_days) are recorded durably first, then DELE'd, and
committed by QUIT; a session that breaks before QUIT deletes nothing on the server.

The ingest hook sees every newly downloaded message (at least once: a crash between the
hook and the commit shows it again; the delivery tracker is idempotent). When it answers
True, or an object whose `file_away` is True (the tracker's IngestResult), the message is
stored in the account's reports folder instead of the Inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from mailapp.core.errors import ProtocolError, TemporaryServerError, TransportError
from mailapp.core.model import Account, IncomingProtocol, Security, TlsTrust
from mailapp.engine.sync.imap_sync import FolderReport, SyncProgress, SyncReport
from mailapp.protocols.mime.parse import Address, parse_for_store
from mailapp.protocols.pop3.retention import plan_download
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole, FolderRow
from mailapp.store.messages import NewMessage, thread_key_for
from mailapp.store.pop3_uidls import Pop3UidlRepository, StoredBody
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.pop3 import Pop3Client

__all__ = [
    "INBOX_NAME",
    "Pop3Fetch",
    "Pop3FetchReport",
    "Pop3IngestHook",
    "Pop3Session",
    "new_message_from",
    "wants_filing",
]

log = logging.getLogger("mailapp.sync")

# Named like an IMAP account's Inbox, so the same commands and views find it.
INBOX_NAME = "INBOX"
PREVIEW_CHARS = 200
# Reconnect delays (seconds) within one fetch after a lost connection.
RETRY_DELAYS = (0.5, 1.0, 2.0)
# First wait (seconds) of `watch` after a failed fetch; it doubles up to the check interval.
WATCH_FIRST_DELAY = 5.0

# Returns True (or an object with a true `file_away`) to file the message into the reports
# folder; anything else keeps it in the Inbox. Runs in a worker thread.
Pop3IngestHook = Callable[[bytes], object]
PasswordSource = Callable[[], Awaitable[str]]
ProgressCallback = Callable[[SyncProgress], None]


class Pop3Session(Protocol):
    """What the fetch needs of a POP3 connection (transport.pop3.Pop3Client has it)."""

    async def connect(
        self,
        host: str,
        port: int,
        security: Security | str = ...,
        *,
        trust: TlsTrust | None = ...,
        timeout: float = ...,
    ) -> object: ...

    async def login(self, user: str, password: str) -> str: ...

    async def uidl(self) -> dict[int, str]: ...

    async def retr_to(self, number: int, sink: Callable[[bytes], object]) -> int: ...

    async def dele(self, number: int) -> None: ...

    async def quit(self) -> None: ...

    async def close(self) -> None: ...


ClientFactory = Callable[[], Pop3Session]


@dataclass(slots=True)
class Pop3FetchReport:
    account: str
    on_server: int = 0  # messages in the maildrop at the last UIDL
    downloaded: int = 0  # new messages stored (Inbox and reports folder)
    filed: int = 0  # of those, filed into the reports folder by the hook
    deleted: int = 0  # server copies whose deletion QUIT committed
    forgotten: int = 0  # records dropped for messages gone from the server
    reconnects: int = 0
    reports_folder: str = ""

    def as_sync_report(self) -> SyncReport:
        """The shape `Engine.sync_account` returns for IMAP accounts."""
        report = SyncReport(self.account, reconnects=self.reconnects)
        report.folders.append(
            FolderReport(INBOX_NAME, new=self.downloaded - self.filed, expunged=0)
        )
        if self.filed:
            report.folders.append(FolderReport(self.reports_folder, new=self.filed))
        return report


def wants_filing(result: object) -> bool:
    """Whether the ingest hook's answer asks to file the message away from the Inbox."""
    if isinstance(result, bool):
        return result
    return getattr(result, "file_away", False) is True


def _address_text(addresses: tuple[Address, ...]) -> str:
    return ", ".join(text for a in addresses if (text := str(a)))


def _preview(text: str) -> str:
    return " ".join(text[: PREVIEW_CHARS * 8].split())[:PREVIEW_CHARS]


def new_message_from(raw: bytes, received: datetime) -> tuple[NewMessage, StoredBody]:
    """The row (uid 0: the store gives a local one) and the indexed text of a message.

    `received` stands in for IMAP's internal date (POP3 has none): when it was downloaded.
    Never raises on bad mail: the MIME parser is tolerant.
    """
    parsed, text = parse_for_store(raw)  # one parse for both
    sender = parsed.from_[0] if parsed.from_ else None
    row = NewMessage(
        uid=0,
        internal_date=received,
        size=len(raw),
        date=parsed.date,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        subject=parsed.subject,
        from_name=sender.name if sender else "",
        from_addr=sender.addr if sender else "",
        to=_address_text(parsed.to),
        cc=_address_text(parsed.cc),
        has_attachment=parsed.has_attachment,
        thread_key=thread_key_for(parsed.message_id, parsed.in_reply_to, parsed.references),
    )
    body = StoredBody(
        body_hash="",
        body_text=text.body,
        preview=_preview(parsed.text or text.body),
        extra_text=" ".join(parsed.attachment_names),
    )
    return row, body


def _default_client() -> Pop3Session:
    return Pop3Client()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Pop3Fetch:
    """Fetches one POP3 account into the store; one connection at a time."""

    def __init__(
        self,
        account: Account,
        *,
        database: Database,
        blobs: BlobStore,
        password: PasswordSource,
        on_new_message: Pop3IngestHook | None = None,
        progress: ProgressCallback | None = None,
        client_factory: ClientFactory | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if account.incoming_protocol is not IncomingProtocol.POP3:
            raise ValueError(f"the account {account.name!r} does not use POP3")
        self.account = account
        self.name = account.name
        self.db = database
        self.blobs = blobs
        self.folders = FolderRepository(database)
        self.uidls = Pop3UidlRepository(database)
        self._password = password
        self.on_new_message = on_new_message
        self._progress = progress
        self._factory = client_factory or _default_client
        self.timeout = timeout
        self.retry_delays = tuple(retry_delays)
        self._clock = clock
        self._reports_folder: FolderRow | None = None

    @property
    def keep_days(self) -> int | None:
        return self.account.options.pop3_keep_days

    def _say(self, folder: str, phase: str, done: int = 0, total: int = 0) -> None:
        if self._progress is not None:
            self._progress(SyncProgress(self.name, folder, phase, done, total))

    # --- the fetch ----------------------------------------------------------------------

    async def fetch(self) -> Pop3FetchReport:
        """Download what is new, apply the account's keep_days, and say what happened.

        Raises AuthFailedError for a refused login, TLS errors as they are, and a
        TransportError when the server stays unreachable after the retries; whatever was
        stored before stays stored and the next fetch continues from there.
        """
        report = Pop3FetchReport(self.name, reports_folder=self.account.options.reports_folder)
        inbox = await asyncio.to_thread(
            self.folders.upsert, self.name, INBOX_NAME, role=FolderRole.INBOX
        )
        password = await self._password()
        attempt = 0
        while True:
            try:
                await self._session(inbox, password, report)
                break
            except (TransportError, ProtocolError) as exc:
                if attempt >= len(self.retry_delays):
                    raise
                delay = self.retry_delays[attempt]
                attempt += 1
                report.reconnects += 1
                log.info("%s: POP3 fetch failed (%s); reconnecting in %.1fs", self.name, exc, delay)
                self._say(INBOX_NAME, "reconnect", attempt, len(self.retry_delays))
                await asyncio.sleep(delay)
        self._say(INBOX_NAME, "done")
        return report

    async def watch(self, stop: asyncio.Event, *, every: float | None = None) -> None:
        """Fetch now and then every `every` seconds (the account's check interval) until
        `stop` is set. Lost connections and busy servers are retried with growing delays;
        wrong credentials or certificates end the watch with their error."""
        interval = (
            every
            if every is not None
            else max(1, self.account.options.check_interval_minutes) * 60.0
        )
        delay = WATCH_FIRST_DELAY
        while not stop.is_set():
            try:
                await self.fetch()
                wait, delay = interval, WATCH_FIRST_DELAY
            except (TransportError, ProtocolError, TemporaryServerError) as exc:
                log.warning("%s: %s; trying again in %.0fs", self.name, exc, delay)
                self._say(INBOX_NAME, "reconnect")
                wait, delay = delay, min(delay * 2, interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    async def _session(self, inbox: FolderRow, password: str, report: Pop3FetchReport) -> None:
        server = self.account.incoming
        client = self._factory()
        try:
            self._say(INBOX_NAME, "connect")
            await client.connect(
                server.host,
                server.port,
                server.security,
                trust=self.account.trust,
                timeout=self.timeout,
            )
            await client.login(server.user, password)
            listing = await client.uidl()
            report.on_server = len(listing)
            stored = await asyncio.to_thread(self.uidls.stored, self.name)
            plan = plan_download(listing, stored, self.keep_days, self._clock())
            if plan.forget:
                report.forgotten += await asyncio.to_thread(
                    self.uidls.forget, self.name, plan.forget
                )
            downloaded = await self._download(client, inbox, listing, plan.download, report)
            doomed = list(plan.delete)
            if plan.delete_after_download:
                doomed += downloaded
            await self._delete(client, listing, sorted(set(doomed)), report)
        except BaseException:
            # No QUIT: the server commits none of this session's DELEs.
            await client.close()
            raise

    async def _download(
        self,
        client: Pop3Session,
        inbox: FolderRow,
        listing: dict[int, str],
        numbers: Sequence[int],
        report: Pop3FetchReport,
    ) -> list[int]:
        """RETR and store each message; returns the numbers stored by this session."""
        downloaded: list[int] = []
        total = len(numbers)
        self._say(INBOX_NAME, "download", 0, total)
        for done, number in enumerate(numbers, start=1):
            buffer = bytearray()
            await client.retr_to(number, buffer.extend)
            stored, filed = await asyncio.to_thread(
                self._store_one, inbox, listing[number], bytes(buffer)
            )
            if stored:
                downloaded.append(number)
                report.downloaded += 1
                report.filed += int(filed)
            self._say(INBOX_NAME, "download", done, total)
        return downloaded

    def _store_one(self, inbox: FolderRow, uidl: str, raw: bytes) -> tuple[bool, bool]:
        """File, hook, then the one transaction. Returns (stored now, filed away)."""
        digest = self.blobs.put(raw, durable=True)
        filed = self._ingest(raw)
        target = self._reports_folder_row() if filed else inbox
        received = self._clock()
        row, body = new_message_from(raw, received)
        body = StoredBody(digest, body.body_text, body.preview, body.extra_text)
        message_id = self.uidls.record_download(
            self.name,
            uidl,
            target.id,
            row,
            body,
            downloaded_at=received,
        )
        return message_id is not None, filed

    def _ingest(self, raw: bytes) -> bool:
        hook = self.on_new_message
        if hook is None:
            return False
        try:
            return wants_filing(hook(raw))
        except Exception:  # the hook's failure must not stop the fetch nor lose the mail
            log.exception("%s: the new-message hook failed", self.name)
            return False

    def _reports_folder_row(self) -> FolderRow:
        if self._reports_folder is None:
            name = self.account.options.reports_folder
            # An existing folder of that name keeps whatever role it already has.
            self._reports_folder = self.folders.by_name(self.name, name) or self.folders.upsert(
                self.name, name, role=FolderRole.REPORTS
            )
        return self._reports_folder

    async def _delete(
        self,
        client: Pop3Session,
        listing: dict[int, str],
        numbers: list[int],
        report: Pop3FetchReport,
    ) -> None:
        if not numbers:
            await client.quit()
            return
        uidls = [listing[n] for n in numbers]
        # A durable commit also syncs every earlier one (the downloads just stored): a power
        # cut after QUIT cannot lose a message whose server copy is gone.
        await asyncio.to_thread(self.uidls.request_deletion, self.name, uidls, self._clock())
        self._say(INBOX_NAME, "delete", 0, len(numbers))
        for done, number in enumerate(numbers, start=1):
            await client.dele(number)
            self._say(INBOX_NAME, "delete", done, len(numbers))
        await client.quit()
        report.deleted += await asyncio.to_thread(self.uidls.mark_deleted, self.name, uidls)
