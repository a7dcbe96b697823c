"""IMAP account sync: folder list, headers (newest first), flags, expunges, bodies, IDLE.

Imports: core, protocols (imap, mime.parse), transport.imap, store, engine.sync; asyncio.

Crash safety: messages are written in batches of `batch_size` rows, one transaction each; a
folder's UIDNEXT and HIGHESTMODSEQ are recorded only once every batch of that folder has
committed. A sync killed half way therefore finds the folder "incomplete" next time, asks
the server for all UIDs and fetches only what is missing (no duplicates: rows are keyed by
folder and UID). UIDVALIDITY is recorded before the first batch, so a changed one is always
noticed and the folder's rows dropped.

Incremental sync of a complete folder, best method first:
  QRESYNC      SELECT (QRESYNC (validity modseq)) returns VANISHED and changed FLAGS;
  CONDSTORE    UID FETCH 1:* (FLAGS) (CHANGEDSINCE m); expunges by count, else UID SEARCH;
  plain        UID FETCH 1:* (FLAGS) and UID SEARCH ALL.
New messages are the UIDs from the stored UIDNEXT on.

Delivery reports: every new Inbox message goes to the ingest hook (the delivery tracker). A
report it ties to a sent message (`file_away`) is moved to the account's reports folder
(created on the server when missing) through the local-first change queue: the move is
queued in the same transaction that stores the batch, so it survives a crash, and is replayed
on the server when the Inbox is done. A report that matched nothing stays in the Inbox.
The first sync of the Inbox stores its mail as history, but reports that came before it
still reach the hook: those since the oldest sent message awaiting reports (`reports_since`)
whose headers look like reports (only they have their bodies fetched).

Watch: IDLE on the Inbox; only a change the server reports during the wait starts an Inbox
pass (the answers to the pass's own commands do not), and a wake-up that brings nothing
makes the next pass wait longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from mailapp.core.errors import (
    AuthError,
    ImapCommandError,
    MailAppError,
    MessageNotFoundError,
    ProtocolError,
    StoreError,
    TLSError,
    TransportError,
)
from mailapp.core.model import Account
from mailapp.engine.sync.changes import ChangeKind, ChangeQueue, PendingChange, pending_uids
from mailapp.engine.sync.convert import flag_update, header_items, header_values, new_message
from mailapp.engine.sync.roles import assign_roles, is_inbox
from mailapp.protocols.imap import (
    ExistsResponse,
    ExpungeResponse,
    FetchPreparer,
    FetchResponse,
    ListResponse,
    PreparedFetch,
    QresyncParams,
    Response,
    VanishedResponse,
    compress_uids,
)
from mailapp.protocols.mime.parse import index_text
from mailapp.store.blobs import BlobStore, StagedPack, digest_of
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole, FolderRow
from mailapp.store.messages import (
    BodyUpdate,
    FlagUpdate,
    MessageRepository,
    MessageRow,
    NewMessage,
    RowValues,
)
from mailapp.store.text_queue import BodyTextQueue
from mailapp.transport.imap import DEFAULT_IDLE_SECONDS, ImapClient, MailboxState

log = logging.getLogger("mailapp.sync")

BATCH_SIZE = 1000
BODY_BATCH = 25  # Inbox prefetch: few per round trip, so the first bodies show at once
# Downloading every body: batches cut by size, fetched while the previous one is stored.
BODY_BATCH_BYTES = 16 * 1024 * 1024
BODY_BATCH_MAX = 2000
# The text indexer that follows a download takes this many bodies per transaction: bounded
# (the write lock is held for one chunk's FTS5 insert, a fraction of a second), and large
# enough that FTS5's work per commit does not dominate (chunks of 200 took 1.5-2x as long).
INDEX_CHUNK = 1000
PREFETCH_INBOX = 50
PREVIEW_CHARS = 200
# Reconnect delays (seconds) within one sync run; `watch` keeps doubling up to the cap.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
WATCH_BACKOFF_CAP = 300.0
# A wake-up from IDLE that brings nothing makes the next Inbox pass wait, up to this.
WAKE_BACKOFF_CAP = 30.0
POLL_SECONDS = 60.0
# The first Inbox sync looks this far back for delivery reports when the engine gives no
# hint (the tracker's address window).
HISTORY_WINDOW = timedelta(days=7)
# The header fields that tell a report from ordinary mail (looks_like_report).
REPORT_HINT_SECTION = (
    "HEADER.FIELDS (FROM SUBJECT CONTENT-TYPE RETURN-PATH AUTO-SUBMITTED X-FAILED-RECIPIENTS)"
)

# Runs in a worker thread. Returning True, or an object whose `file_away` is True (the
# delivery tracker's IngestResult), files the message into the account's reports folder.
IngestHook = Callable[[bytes], object]
PasswordSource = Callable[[], Awaitable[str]]
ReportsSince = Callable[[], datetime | None]


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """A step of a sync, for a progress line or bar (the UI re-queries the store)."""

    account: str
    folder: str
    phase: str  # "folders", "headers", "flags", "bodies", "done", "reconnect", "indexing"
    done: int = 0
    total: int = 0


@dataclass(slots=True)
class FolderReport:
    folder: str
    new: int = 0
    updated: int = 0
    expunged: int = 0
    bodies: int = 0
    reset: bool = False  # UIDVALIDITY changed: local rows were dropped
    filed: int = 0  # new messages moved to the reports folder (matched delivery reports)
    error: str | None = None


@dataclass(slots=True)
class SyncReport:
    account: str
    folders: list[FolderReport] = field(default_factory=list)
    reconnects: int = 0
    replayed: int = 0  # local changes sent to the server

    @property
    def new(self) -> int:
        return sum(f.new for f in self.folders)

    @property
    def errors(self) -> list[str]:
        return [f"{f.folder}: {f.error}" for f in self.folders if f.error]


ProgressCallback = Callable[[SyncProgress], None]
ClientFactory = Callable[[Account], ImapClient]


def _preview(text: str) -> str:
    return " ".join(text.split())[:PREVIEW_CHARS]


def _chunks(items: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _body_batches(
    todo: Sequence[tuple[int, int, int]], max_bytes: int, max_count: int
) -> Iterable[list[tuple[int, int, int]]]:
    """Consecutive runs of (id, uid, size) of about max_bytes (at least one row each)."""
    batch: list[tuple[int, int, int]] = []
    size = 0
    for item in todo:
        if batch and (size + item[2] > max_bytes or len(batch) >= max_count):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item[2]
    if batch:
        yield batch


def _body_texts(raws: list[bytes]) -> list[tuple[str, str]]:
    """(file digest, index text) of each message (runs in a worker thread)."""
    # Text extraction makes many short-lived objects; collections would only slow it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return [(digest_of(raw), index_text(raw).body) for raw in raws]
    finally:
        if collecting:
            gc.enable()


def _stored_texts(digests: list[str], blobs: BlobStore) -> list[str | None]:
    """The index text of each stored body (runs in a worker thread); None for one that is
    missing or damaged (its headers stay indexed; opening it fetches it again)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        texts: list[str | None] = []
        for digest, raw in zip(digests, blobs.get_many(digests), strict=True):
            if isinstance(raw, StoreError):
                log.warning("cannot index message %s: %s", digest, raw.message)
                texts.append(None)
            else:
                texts.append(index_text(raw).body)
        return texts
    finally:
        if collecting:
            gc.enable()


def _log_indexer_failure(task: asyncio.Task[int]) -> None:
    # The background indexer's rows stay queued on failure; the next run retries them.
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("text indexing stopped: %s", error)


def wants_filing(result: object) -> bool:
    """Whether the ingest hook's answer asks to file the message away from the Inbox."""
    if isinstance(result, bool):
        return result
    return getattr(result, "file_away", False) is True


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_REPORT_TYPES = (
    b"multipart/report",
    b"message/delivery-status",
    b"message/global-delivery-status",
    b"message/disposition-notification",
)
_DAEMON_SENDERS = re.compile(rb"mailer-daemon|postmaster|mail delivery (subsystem|system)")
_REPORT_SUBJECTS = re.compile(
    rb"undeliver|not (been |be )?delivered|delivery (status|failure|notification|report|has "
    rb"failed|delayed)|failure notice|returned mail|returned to sender|non-?delivery|"
    rb"mail delivery failed|delayed mail|read receipt|^read:|disposition notification|"
    rb"return receipt"
)


def imap_date(moment: datetime) -> str:
    """A SEARCH date (RFC 3501 date: 1-Feb-2026), independent of the locale."""
    return f"{moment.day}-{_MONTHS[moment.month - 1]}-{moment.year:04d}"


def looks_like_report(headers: bytes) -> bool:
    """Whether a message's REPORT_HINT_SECTION fields look like a delivery report, bounce or
    read receipt: a report content type, a null Return-Path, X-Failed-Recipients, an
    Auto-Submitted other than "no", a daemon sender, or a bounce-like subject. Generous on
    purpose (the tracker decides); it only spares ordinary mail a body download."""
    fields: dict[bytes, list[bytes]] = {}
    for line in re.sub(rb"\r?\n[ \t]+", b" ", headers).splitlines():
        name, colon, value = line.partition(b":")
        if colon:
            fields.setdefault(name.strip().lower(), []).append(value.strip().lower())

    def values(name: bytes) -> list[bytes]:
        return fields.get(name, [])

    if any(t in v for v in values(b"content-type") for t in _REPORT_TYPES):
        return True
    if values(b"x-failed-recipients") or any(v == b"<>" for v in values(b"return-path")):
        return True
    if any(v and not v.startswith(b"no") for v in values(b"auto-submitted")):
        return True
    if any(_DAEMON_SENDERS.search(v) for v in values(b"from")):
        return True
    return any(_REPORT_SUBJECTS.search(v) for v in values(b"subject"))


def _default_client(account: Account) -> ImapClient:
    return ImapClient(
        account.incoming,
        account.trust,
        allow_plaintext_loopback=account.options.allow_plaintext_loopback,
    )


class ImapSync:
    """Keeps one IMAP account's folders in the store; one connection at a time."""

    def __init__(
        self,
        account: Account,
        *,
        database: Database,
        blobs: BlobStore,
        password: PasswordSource,
        on_new_inbox_message: IngestHook | None = None,
        progress: ProgressCallback | None = None,
        client_factory: ClientFactory | None = None,
        batch_size: int = BATCH_SIZE,
        prefetch_inbox: int = PREFETCH_INBOX,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        reports_since: ReportsSince | None = None,
    ) -> None:
        """`reports_since` (run in a worker thread): how far back a delivery report may still
        matter (the oldest sent message awaiting one), None when nothing was sent; the first
        sync of the Inbox looks that far back for reports (default: HISTORY_WINDOW)."""
        self.account = account
        self.name = account.name
        self.db = database
        self.blobs = blobs
        self.folders = FolderRepository(database)
        self.messages = MessageRepository(database)
        self.changes = ChangeQueue(database)
        self._password = password
        self.on_new_inbox_message = on_new_inbox_message
        self._progress = progress
        self._factory = client_factory or _default_client
        self.batch_size = batch_size
        self.prefetch_inbox = prefetch_inbox
        self.retry_delays = tuple(retry_delays)
        self._client: ImapClient | None = None
        self._changed = asyncio.Event()
        # The selected mailbox's message count as the server last announced it (watch).
        self._announced: int | None = None
        # The reports folder when this run created it (it was not in the run's LIST).
        self._created_reports: FolderRow | None = None
        self._reports_since = reports_since or self._reports_since_default
        # (UIDVALIDITY, UID) of Inbox history already looked at for reports in this run.
        self._history_seen: set[tuple[int, int]] = set()
        # The text indexer that follows a bulk download (index_pending); one at a time.
        self.text_queue = BodyTextQueue(database)
        self._indexer: asyncio.Task[int] | None = None
        self._index_lock = asyncio.Lock()
        self._index_stopping = False

    # --- connection ---------------------------------------------------------------------

    def _say(self, folder: str, phase: str, done: int = 0, total: int = 0) -> None:
        if self._progress is not None:
            self._progress(SyncProgress(self.name, folder, phase, done, total))

    def _on_event(self, response: Response) -> None:
        self._note_event(response)
        if isinstance(
            response, ExistsResponse | ExpungeResponse | VanishedResponse | FetchResponse
        ):
            self._changed.set()

    async def client(self) -> ImapClient:
        """The logged-in connection, opened when needed."""
        if self._client is not None and self._client.connected:
            return self._client
        await self.disconnect()
        client = self._factory(self.account)
        client.on_event = self._on_event
        try:
            await client.connect()
            await client.login(await self._password())
            with contextlib.suppress(ImapCommandError):
                await client.compress()
        except BaseException:
            await client.close()
            raise
        self._client = client
        return client

    async def disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.logout()

    async def _retrying(
        self, what: str, work: Callable[[ImapClient], Awaitable[None]], report: SyncReport
    ) -> None:
        """Run `work` on a live connection; on a lost connection reconnect and run it again
        (the work resumes where the store says it stopped)."""
        attempt = 0
        while True:
            try:
                client = await self.client()
                await work(client)
                return
            except (TransportError, ProtocolError) as exc:
                if isinstance(exc, TLSError) or attempt >= len(self.retry_delays):
                    raise
                delay = self.retry_delays[attempt]
                attempt += 1
                report.reconnects += 1
                log.info("%s: %s failed (%s); reconnecting in %.1fs", self.name, what, exc, delay)
                self._say(what, "reconnect", attempt, len(self.retry_delays))
                if self._client is not None:
                    await self._client.close()
                    self._client = None
                await asyncio.sleep(delay)

    # --- whole account ------------------------------------------------------------------

    async def sync(self, folders: Sequence[str] | None = None) -> SyncReport:
        """One sync of the folder list and of every folder (or only `folders`)."""
        report = SyncReport(self.name)
        listed: list[FolderRow] = []

        async def replay_step(client: ImapClient) -> None:
            report.replayed += await self.replay(client)

        await self._retrying("changes", replay_step, report)

        async def list_step(client: ImapClient) -> None:
            listed[:] = await self.sync_folder_list(client)

        await self._retrying("folders", list_step, report)
        wanted = [f for f in listed if f.selectable]
        if folders is not None:
            names = {n.casefold() for n in folders}
            wanted = [f for f in wanted if f.name.casefold() in names]
        for row in wanted:
            folder_report = FolderReport(row.name)
            report.folders.append(folder_report)
            try:
                await self._retrying(row.name, self._folder_step(row.id, folder_report), report)
            except ImapCommandError as exc:
                # One folder the server will not open must not stop the others.
                folder_report.error = exc.message
                log.warning("%s: %s", self.name, exc.message)
        created, self._created_reports = self._created_reports, None
        if created is not None and folders is None and all(f.id != created.id for f in wanted):
            # Reports were filed into a folder made during this run: bring them in too.
            folder_report = FolderReport(created.name)
            report.folders.append(folder_report)
            await self._retrying(created.name, self._folder_step(created.id, folder_report), report)
        self._say("", "done")
        return report

    def _folder_step(
        self, folder_id: int, into: FolderReport
    ) -> Callable[[ImapClient], Awaitable[None]]:
        async def step(client: ImapClient) -> None:
            fresh = await asyncio.to_thread(self.folders.get, folder_id)
            if fresh is not None:
                _merge(into, await self.sync_folder(client, fresh))

        return step

    async def sync_folder_list(self, client: ImapClient) -> list[FolderRow]:
        """LIST into the store with roles; folders gone from the server are removed.
        Returns the folders, Inbox first, then the ones with a role, then by name."""
        self._say("", "folders")
        listings = [item for item in await client.list_folders() if item.name_valid]
        roles = assign_roles(listings)
        return await asyncio.to_thread(self._store_folder_list, listings, roles)

    def _store_folder_list(
        self, listings: list[ListResponse], roles: dict[str, FolderRole]
    ) -> list[FolderRow]:
        rows: list[FolderRow] = []
        reports = self.account.options.reports_folder
        wanted: dict[str, tuple[str | None, FolderRole | None, bool]] = {}
        for item in listings:
            name = "INBOX" if is_inbox(item.name) else item.name
            role = roles.get(item.name)
            if role is None and name == reports:
                role = FolderRole.REPORTS
            wanted[name] = (item.delimiter, role, item.selectable)
        stored = {row.name: row for row in self.folders.folders(self.name)}
        if stored.keys() == wanted.keys() and all(
            (row.delimiter, row.role, row.selectable) == wanted[row.name] and row.subscribed
            for row in stored.values()
        ):
            # Nothing changed since the last LIST: no write transaction.
            rows = list(stored.values())
        else:
            with self.db.write():
                for name, (delimiter, role, selectable) in wanted.items():
                    rows.append(
                        self.folders.upsert(
                            self.name,
                            name,
                            delimiter=delimiter,
                            role=role,
                            subscribed=True,
                            selectable=selectable,
                        )
                    )
                for old in self.folders.folders(self.name):
                    if old.name not in wanted:
                        self.folders.delete(old.id)
        order = {FolderRole.INBOX: 0}
        rows.sort(key=lambda r: (order.get(r.role, 1) if r.role else 2, r.name.casefold()))
        return rows

    # --- one folder ---------------------------------------------------------------------

    async def sync_folder(self, client: ImapClient, folder: FolderRow) -> FolderReport:
        report = FolderReport(folder.name)
        complete = folder.uidvalidity is not None and folder.uidnext is not None
        qresync = None
        if complete and client.qresync and folder.highestmodseq:
            assert folder.uidvalidity is not None
            qresync = QresyncParams(folder.uidvalidity, folder.highestmodseq)
        state = await client.select(folder.name, qresync=qresync)
        if state.uidvalidity is None:
            raise ProtocolError(f"{client.where} sent no UIDVALIDITY for {folder.name}.")
        if folder.uidvalidity is not None and folder.uidvalidity != state.uidvalidity:
            log.info("%s/%s: UIDVALIDITY changed; resyncing", self.name, folder.name)
            await asyncio.to_thread(self.messages.clear_folder, folder.id)
            report.reset = True
            complete = False
            qresync = None
        if folder.uidvalidity != state.uidvalidity:
            # Recorded before any batch, with UIDNEXT/MODSEQ unset until the folder is done.
            await asyncio.to_thread(
                self.folders.set_sync_state,
                folder.id,
                uidvalidity=state.uidvalidity,
                uidnext=None,
                highestmodseq=None,
            )
        # Changes made here and not yet replayed must survive this sync.
        hidden, _ = await asyncio.to_thread(pending_uids, self.db, folder.id)
        quiet = complete and not hidden and _unchanged(folder, state)
        local: set[int] = set()
        if not quiet:
            local = set(await asyncio.to_thread(self.messages.uids, folder.id)) | hidden
        inbox = is_inbox(folder.name)
        if quiet:
            pass  # the server reports no change at all: nothing to fetch, expunge or store
        elif complete:
            assert folder.uidnext is not None
            if qresync is not None:
                gone = local.intersection(state.vanished)
                updates = [u for f in state.changed if (u := flag_update(f)) and u.uid in local]
                report.updated += await self._apply_flags(folder, updates)
            elif state.highestmodseq is not None and folder.highestmodseq is not None:
                gone = set()
                if state.highestmodseq != folder.highestmodseq:
                    report.updated += await self._fetch_flags(
                        client, folder, local, changed_since=folder.highestmodseq
                    )
            else:
                gone = set()
                report.updated += await self._fetch_flags(client, folder, local)
            report.expunged += await self._expunge(folder, gone - hidden)
            local -= gone
            new: list[int] = []
            if state.uidnext is None or state.uidnext > folder.uidnext:
                found = await client.uid_search(["UID", f"{folder.uidnext}:*"])
                new = [u for u in found if u >= folder.uidnext and u not in local]
            if qresync is None and state.exists != len(local) + len(new):
                # Something was expunged that no cheaper method reported.
                server = set(await client.uid_search_all())
                gone = local - server
                report.expunged += await self._expunge(folder, gone - hidden)
                local -= gone
                new = sorted(server - local)
            report.new += await self._fetch_headers(
                client, folder, sorted(new, reverse=True), ingest=inbox, into=report
            )
        else:
            server = set(await client.uid_search_all()) if state.exists else set()
            gone = local - server
            report.expunged += await self._expunge(folder, gone - hidden)
            kept = (local - hidden) & server
            if kept:
                report.updated += await self._fetch_flags(client, folder, kept)
            missing = sorted(server - local, reverse=True)
            report.new += await self._fetch_headers(client, folder, missing, ingest=False)
            if inbox:
                report.filed += await self._ingest_history(client, folder, server - hidden)
        if (folder.uidvalidity, folder.uidnext, folder.highestmodseq) != (
            state.uidvalidity,
            state.uidnext,
            state.highestmodseq,
        ):
            await asyncio.to_thread(
                self.folders.set_sync_state,
                folder.id,
                uidvalidity=state.uidvalidity,
                uidnext=state.uidnext,
                highestmodseq=state.highestmodseq,
            )
        if inbox and self.prefetch_inbox:
            report.bodies += await self._prefetch(client, folder)
        if report.filed:
            # The reports filed away leave the Inbox on the server now, not at the next sync;
            # the folder stays selected for what follows (IDLE in `watch`).
            await self.replay(client)
            if client.selected is None or client.selected.name != folder.name:
                await client.select(folder.name)
        return report

    async def _apply_flags(self, folder: FolderRow, updates: list[FlagUpdate]) -> int:
        _, unsent = await asyncio.to_thread(pending_uids, self.db, folder.id)
        updates = [u for u in updates if u.uid not in unsent]
        if not updates:
            return 0
        return await asyncio.to_thread(self.messages.update_flags, folder.id, updates)

    async def _fetch_flags(
        self,
        client: ImapClient,
        folder: FolderRow,
        local: set[int],
        *,
        changed_since: int | None = None,
    ) -> int:
        if not local:
            return 0
        self._say(folder.name, "flags", 0, len(local))
        updates: list[FlagUpdate] = []

        async def collect(batch: list[Response]) -> None:
            for r in batch:
                if isinstance(r, FetchResponse):
                    update = flag_update(r)
                    if update is not None and update.uid in local:
                        updates.append(update)

        items = ["UID", "FLAGS"] + (["MODSEQ"] if client.condstore else [])
        await client.uid_fetch("1:*", items, changed_since=changed_since, on_batch=collect)
        return await self._apply_flags(folder, updates)

    async def _expunge(self, folder: FolderRow, uids: set[int]) -> int:
        if not uids:
            return 0
        return await asyncio.to_thread(self.messages.expunge_uids, folder.id, sorted(uids))

    async def _fetch_headers(
        self,
        client: ImapClient,
        folder: FolderRow,
        uids_desc: list[int],
        *,
        ingest: bool,
        into: FolderReport | None = None,
    ) -> int:
        """Fetch and store headers of these UIDs in batches (newest first). With `ingest`
        (new Inbox mail) the bodies come along and go to the ingest hook before the batch
        commits (at least once: a crash before the commit fetches them again); the moves of
        the reports it files away are queued in the batch's transaction."""
        if not uids_desc:
            return 0
        with_body = ingest and self.on_new_inbox_message is not None
        items = header_items(client.condstore, with_body=with_body)
        size = BODY_BATCH if with_body else self.batch_size
        total = len(uids_desc)
        stored = 0
        writing: asyncio.Future[int] | None = None
        try:
            for chunk in _chunks(uids_desc, size):
                got: list[FetchResponse] = []
                rows: list[NewMessage | RowValues] | None = None
                prepare: FetchPreparer | None = None
                if with_body:
                    collect = _collector(got, set(chunk), envelope=True)
                else:
                    # Rows are made as the answers arrive, in a worker, while the previous
                    # batch is written: the writer then spends its time in SQLite (GIL
                    # released) instead of contending with the parser, and the responses
                    # die young (fewer objects for the garbage collector to promote and
                    # walk again; its passes hold the GIL and stall the event loop).
                    # The rows are made in the parse pass itself (header_values), without
                    # the typed ENVELOPE and BODYSTRUCTURE.
                    rows = []
                    collect = _row_collector(rows, set(chunk))
                    prepare = header_values
                await client.uid_fetch(
                    compress_uids(chunk), items, on_batch=collect, prepare=prepare
                )
                file_away: list[int] = []
                reports: str | None = None
                if with_body:
                    file_away = await asyncio.to_thread(self._ingest, got)
                    if file_away:
                        reports = await self._reports_folder(client)
                    if reports is not None and into is not None:
                        into.filed += len(file_away)
                if writing is not None:
                    stored += await writing
                    self._say(folder.name, "headers", stored, total)
                # The next batch is fetched while this one is written.
                writing = asyncio.ensure_future(
                    asyncio.to_thread(
                        self._store_headers,
                        folder.id,
                        got,
                        with_body,
                        file_away if reports is not None else [],
                        reports,
                        rows=rows,
                    )
                )
            if writing is not None:
                stored += await writing
                writing = None
                self._say(folder.name, "headers", stored, total)
        finally:
            if writing is not None:
                # A failed fetch must not lose the batch already being written.
                with contextlib.suppress(MailAppError):
                    await writing
        return stored

    def _ingest(self, fetches: list[FetchResponse]) -> list[int]:
        """Hand each message to the hook (in a worker thread); returns the UIDs to file."""
        hook = self.on_new_inbox_message
        if hook is None:
            return []
        file_away: list[int] = []
        for fetch in sorted(fetches, key=lambda f: f.uid or 0):
            raw = fetch.section("")
            if raw is None:
                continue
            try:
                if wants_filing(hook(raw)) and fetch.uid is not None:
                    file_away.append(fetch.uid)
            except Exception:  # the hook's failure must not stop the sync
                log.exception("%s: the new-message hook failed", self.name)
        return file_away

    def _reports_since_default(self) -> datetime | None:
        return datetime.now(UTC) - HISTORY_WINDOW

    async def _ingest_history(self, client: ImapClient, folder: FolderRow, uids: set[int]) -> int:
        """The first sync of the Inbox stores what is there as history, but a delivery report
        may be among it (it arrived before this account's first sync): hand the hook the
        messages since `reports_since` whose headers look like a report (UID SEARCH SINCE,
        then a few header fields each; only those get their bodies fetched). Returns how
        many were filed away (their moves are queued, replayed by sync_folder). Ingesting
        again is harmless: the tracker keys reports by their Message-ID."""
        if self.on_new_inbox_message is None or not uids:
            return 0
        since = await asyncio.to_thread(self._reports_since)
        if since is None:
            return 0
        # SEARCH SINCE compares whole days in the server's time zone: start a day early.
        day = since.astimezone(UTC) - timedelta(days=1)
        found = await client.uid_search(["SINCE", imap_date(day)])
        selected = client.selected
        validity = (selected.uidvalidity if selected is not None else None) or 0
        todo = sorted(
            (u for u in set(found) & uids if (validity, u) not in self._history_seen),
            reverse=True,
        )
        if not todo:
            return 0
        self._say(folder.name, "reports", 0, len(todo))
        candidates: list[int] = []
        for chunk in _chunks(todo, self.batch_size):
            got: list[FetchResponse] = []
            await client.uid_fetch(
                compress_uids(chunk),
                ["UID", f"BODY.PEEK[{REPORT_HINT_SECTION}]"],
                on_batch=_collector(got, set(chunk)),
            )
            candidates.extend(
                f.uid
                for f in got
                if f.uid is not None and looks_like_report(f.section(REPORT_HINT_SECTION) or b"")
            )
        filed = 0
        for chunk in _chunks(sorted(candidates, reverse=True), BODY_BATCH):
            got = []
            await client.uid_fetch(
                compress_uids(chunk), ["UID", "BODY.PEEK[]"], on_batch=_collector(got, set(chunk))
            )
            file_away = await asyncio.to_thread(self._ingest, got)
            reports = await self._reports_folder(client) if file_away else None
            filed += await asyncio.to_thread(
                self._store_ingested, folder.id, got, file_away if reports else [], reports
            )
        self._history_seen.update((validity, u) for u in todo)
        return filed

    def _store_ingested(
        self,
        folder_id: int,
        fetches: list[FetchResponse],
        file_away: Sequence[int],
        reports: str | None,
    ) -> int:
        """Keep the bodies fetched for the hook and queue the moves of what it filed away, in
        one transaction; returns how many moves were queued."""
        raws = {f.uid: raw for f in fetches if f.uid is not None and (raw := f.section(""))}
        digests = {uid: self.blobs.put(raw, durable=False) for uid, raw in raws.items()}
        with self.db.write():
            updates = []
            for uid, raw in raws.items():
                found = self.messages.by_uid(folder_id, uid)
                if found is not None and found.body_hash is None:
                    text = index_text(raw).body
                    updates.append(BodyUpdate(found.id, digests[uid], text, _preview(text)))
            self.messages.set_bodies(updates)
            if reports is None:
                return 0
            ids = [
                found.id
                for uid in file_away
                if (found := self.messages.by_uid(folder_id, uid)) is not None
            ]
            return self.changes.move(ids, reports)

    async def _reports_folder(self, client: ImapClient) -> str | None:
        """The account's reports folder, created on the server (and in the store) when
        missing; None when there is none to use (reports then stay in the Inbox)."""
        name = self.account.options.reports_folder.strip()
        if not name or is_inbox(name):
            return None
        row = await asyncio.to_thread(self.folders.by_name, self.name, name)
        if row is not None:
            return name if row.selectable else None
        try:
            await client.create(name)
        except ImapCommandError as exc:
            if exc.response_code != "ALREADYEXISTS":
                log.warning("%s: cannot create %s for delivery reports: %s", self.name, name, exc)
                return None
        self._created_reports = await asyncio.to_thread(
            self.folders.upsert, self.name, name, role=FolderRole.REPORTS
        )
        return name

    def _store_headers(
        self,
        folder_id: int,
        fetches: list[FetchResponse],
        bodies: bool,
        file_away: Sequence[int] = (),
        reports: str | None = None,
        *,
        rows: list[NewMessage | RowValues] | None = None,
    ) -> int:
        """Write a batch: the `rows` made as the answers came (headers only), else rows made
        here from `fetches` (with their bodies)."""
        if rows is not None:
            # Little to allocate here, and most of the time is spent in SQLite: pausing the
            # (process-wide) collector meanwhile would only let the parser's objects pile up
            # into one long collection that holds the GIL and stalls the event loop.
            return self._store_header_batch(
                folder_id, fetches, bodies, file_away, reports, prepared=rows
            )
        # Like the parse half (parser.parse_many): a batch makes many small objects and no
        # cycles, and a collection would walk every response of the batch again. A batch is
        # bounded (batch_size rows), so the pause is too.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._store_header_batch(
                folder_id, fetches, bodies, file_away, reports, prepared=None
            )
        finally:
            if collecting:
                gc.enable()

    def _store_header_batch(
        self,
        folder_id: int,
        fetches: list[FetchResponse],
        bodies: bool,
        file_away: Sequence[int],
        reports: str | None,
        *,
        prepared: list[NewMessage | RowValues] | None,
    ) -> int:
        rows: list[NewMessage | RowValues] = [] if prepared is None else prepared
        texts: dict[int, tuple[str, str]] = {}
        for fetch in fetches if prepared is None else ():
            body_hash = None
            raw = fetch.section("") if bodies else None
            if raw is not None:
                body_hash = self.blobs.put(raw, durable=False)
                text = index_text(raw).body
                assert fetch.uid is not None
                texts[fetch.uid] = (body_hash, text)
            row = new_message(fetch, body_hash=body_hash)
            if row is not None:
                rows.append(row)
        with self.db.write():
            count = self.messages.insert_many(folder_id, rows)
            if texts:
                updates = []
                for uid, (digest, text) in texts.items():
                    found = self.messages.by_uid(folder_id, uid)
                    if found is not None:
                        updates.append(BodyUpdate(found.id, digest, text, _preview(text)))
                self.messages.set_bodies(updates)
            if reports is not None and file_away:
                ids = [
                    found.id
                    for uid in file_away
                    if (found := self.messages.by_uid(folder_id, uid)) is not None
                ]
                self.changes.move(ids, reports)
        return count

    # --- replaying local changes -----------------------------------------------------

    async def replay(self, client: ImapClient) -> int:
        """Send queued local changes (flags, moves, deletes); returns how many were sent."""
        changes = await asyncio.to_thread(self.changes.pending, self.name)
        if not changes:
            return 0
        sent = 0
        by_folder: dict[int, list[PendingChange]] = {}
        for change in changes:
            by_folder.setdefault(change.folder_id, []).append(change)
        for folder_id, items in by_folder.items():
            folder = await asyncio.to_thread(self.folders.get, folder_id)
            if folder is None:
                await asyncio.to_thread(self.changes.done, [c.id for c in items])
                continue
            try:
                state = await client.select(folder.name)
            except ImapCommandError as exc:
                for change in items:
                    await asyncio.to_thread(
                        self.changes.failed, change, exc.message, permanent=not exc.temporary
                    )
                continue
            if folder.uidvalidity is not None and state.uidvalidity != folder.uidvalidity:
                for change in items:
                    await asyncio.to_thread(
                        self.changes.failed, change, "the folder was reset", permanent=True
                    )
                continue
            for group in _groups(items):
                try:
                    await self._replay_group(client, group)
                except ImapCommandError as exc:
                    for change in group:
                        await asyncio.to_thread(
                            self.changes.failed, change, exc.message, permanent=not exc.temporary
                        )
                    continue
                await asyncio.to_thread(self.changes.done, [c.id for c in group])
                sent += len(group)
        return sent

    async def _replay_group(self, client: ImapClient, group: list[PendingChange]) -> None:
        first = group[0]
        uids = sorted({c.uid for c in group})
        if first.kind is ChangeKind.FLAGS:
            if first.add:
                await client.uid_store(uids, first.add, mode="+")
            if first.remove:
                await client.uid_store(uids, first.remove, mode="-")
        elif first.target is not None:
            await client.uid_move(uids, first.target)
        else:
            await client.uid_store(uids, ["\\Deleted"], mode="+")
            await client.expunge(uids)

    # --- bodies -------------------------------------------------------------------------

    async def _prefetch(self, client: ImapClient, folder: FolderRow) -> int:
        todo = await asyncio.to_thread(
            self.messages.bodies_missing, folder.id, limit=self.prefetch_inbox
        )
        if not todo:
            return 0
        self._say(folder.name, "bodies", 0, len(todo))
        return await self._fetch_bodies(client, folder, todo, max_count=BODY_BATCH)

    # --- offline: download all bodies (begin) ------------------------------------------

    async def download_bodies(self, folders: Sequence[str] | None = None) -> SyncReport:
        """Sync (or only `folders`), then fetch every body the store lacks, newest first.

        Each batch is durable before it counts: its bytes are in one fsynced pack (ADR 0007),
        then its rows are committed with synchronous=FULL. A download that is stopped or
        loses its connection keeps every finished batch and continues with the missing
        bodies next time.

        The text index follows the download: each committed batch is queued for it, and an
        indexer in the background then extracts and indexes the texts in bounded chunks (until
        then those messages are found by their headers). This returns once every body is
        durable, with the indexer started; `await index_pending()` waits until it is done."""
        report = await self.sync(folders)
        for into in report.folders:
            if into.error:
                continue
            row = await asyncio.to_thread(self.folders.by_name, self.name, into.folder)
            if row is None or not row.selectable:
                continue
            before = len(await asyncio.to_thread(self.messages.bodies_missing, row.id))
            try:
                await self._retrying(row.name, self._bodies_step(row.id), report)
            except ImapCommandError as exc:
                into.error = exc.message
                log.warning("%s: %s", self.name, exc.message)
            finally:
                # Counted from the store: batches of an attempt that failed half way count.
                after = await asyncio.to_thread(self.messages.bodies_missing, row.id)
                into.bodies += max(0, before - len(after))
        # After the download, not beside it: both are CPU work under one GIL, and run
        # side by side the download took longer and the index was not done sooner (ADR 0007).
        # This also picks up bodies a stopped earlier run left unindexed.
        self._start_indexer()
        self._say("", "done")
        return report

    def _bodies_step(self, folder_id: int) -> Callable[[ImapClient], Awaitable[None]]:
        async def step(client: ImapClient) -> None:
            folder = await asyncio.to_thread(self.folders.get, folder_id)
            if folder is None:
                return
            todo = await asyncio.to_thread(self.messages.bodies_missing, folder.id)
            if not todo:
                return
            state = client.selected
            if state is None or state.name != folder.name:
                state = await client.select(folder.name, readonly=True)
            if state.uidvalidity != folder.uidvalidity:
                return  # reset on the server since the sync: the next sync redoes it
            self._say(folder.name, "bodies", 0, len(todo))
            await self._fetch_bodies(client, folder, todo, durable=True, index_later=True)

        return step

    async def index_pending(self) -> int:
        """Index the text of every downloaded body still waiting for it, a chunk of
        INDEX_CHUNK per worker-thread transaction; returns how many were indexed. Waits for
        a background indexer already running, then catches up what is left.

        Two stages overlap: the texts of the next chunk are extracted (Python, holding the
        GIL) while the previous chunk is written (mostly SQLite's FTS5, which releases it)."""
        async with self._index_lock:
            done = 0
            after = 0
            ready = asyncio.ensure_future(asyncio.to_thread(self._index_prepare, after))
            try:
                while True:
                    chunk = await ready
                    if self._index_stopping:
                        return done
                    if not chunk:
                        if after == 0:
                            return done
                        after = 0  # once more from the start: rows queued meanwhile
                        ready = asyncio.ensure_future(asyncio.to_thread(self._index_prepare, 0))
                        continue
                    after = chunk[-1][0]
                    ready = asyncio.ensure_future(asyncio.to_thread(self._index_prepare, after))
                    await asyncio.to_thread(self._index_commit, chunk)
                    done += len(chunk)
                    self._say("", "indexing", done, 0)
            finally:
                if not ready.done():
                    with contextlib.suppress(Exception):
                        await ready

    async def stop_indexer(self) -> None:
        """Stop the background indexer after the chunk it is on (before the database is
        closed: a worker thread must not be left using it); the queue keeps the rest."""
        self._index_stopping = True
        try:
            if self._indexer is not None:
                with contextlib.suppress(Exception):
                    await self._indexer
        finally:
            self._index_stopping = False

    def _start_indexer(self) -> None:
        if self._indexer is None or self._indexer.done():
            self._indexer = asyncio.ensure_future(self.index_pending())
            self._indexer.add_done_callback(_log_indexer_failure)

    def _index_prepare(self, after: int) -> list[tuple[int, BodyUpdate | None]]:
        """The indexer's first stage (worker thread): the next INDEX_CHUNK queued messages
        with ids above `after`, and their texts read out of the stored bodies (None for a
        body that is missing or damaged: it leaves the queue with its headers indexed)."""
        pending = self.text_queue.pending(INDEX_CHUNK, after=after)
        texts = _stored_texts([digest for _, digest in pending], self.blobs)
        return [
            (
                message_id,
                None if text is None else BodyUpdate(message_id, digest, text, _preview(text)),
            )
            for (message_id, digest), text in zip(pending, texts, strict=True)
        ]

    def _index_commit(self, chunk: list[tuple[int, BodyUpdate | None]]) -> None:
        """The second stage: the chunk's FTS5 rows and previews, and off the queue, in one
        transaction."""
        with self.db.write() as connection:
            self.messages.set_bodies([update for _, update in chunk if update is not None])
            self.text_queue.done(connection, [message_id for message_id, _ in chunk])

    # --- offline: download all bodies (end) --------------------------------------------

    async def _fetch_bodies(
        self,
        client: ImapClient,
        folder: FolderRow,
        todo: Sequence[tuple[int, int, int]],
        *,
        max_count: int = BODY_BATCH_MAX,
        durable: bool = False,
        index_later: bool = False,
    ) -> int:
        """Fetch and store the bodies of `todo` ((id, uid, size) rows) in batches of about
        BODY_BATCH_BYTES; the next batch is fetched while the previous one is stored; returns
        how many were stored. index_later: queue the texts for the indexer instead of
        indexing them with the batch."""
        done = 0
        total = len(todo)
        writing: asyncio.Future[int] | None = None
        try:
            for batch in _body_batches(todo, BODY_BATCH_BYTES, max_count):
                ids_by_uid = {uid: mid for mid, uid, _ in batch}
                got: list[FetchResponse] = []
                collect = _collector(got, set(ids_by_uid))
                await client.uid_fetch(
                    compress_uids(sorted(ids_by_uid)), ["UID", "BODY.PEEK[]"], on_batch=collect
                )
                pairs = [
                    (ids_by_uid[f.uid], raw)
                    for f in got
                    if f.uid is not None and (raw := f.section("")) is not None
                ]
                if writing is not None:
                    done += await writing
                    self._say(folder.name, "bodies", done, total)
                writing = asyncio.ensure_future(self._store_bodies(pairs, durable, index_later))
            if writing is not None:
                done += await writing
                writing = None
                self._say(folder.name, "bodies", done, total)
        finally:
            if writing is not None:
                # A failed fetch must not lose the batch already being written.
                with contextlib.suppress(MailAppError):
                    await writing
        return done

    async def _store_bodies(
        self, pairs: list[tuple[int, bytes]], durable: bool, index_later: bool = False
    ) -> int:
        """Store a batch. index_later (the bulk download): the bytes go into one pack (fsynced
        when durable), then the rows get their body hashes and a place in the indexer's queue
        in one transaction; the indexer is started. Else the texts are extracted and indexed
        with the batch, while the bytes are written; the commit waits for the bytes."""
        if not pairs:
            return 0
        if index_later:
            return await asyncio.to_thread(self._store_bodies_queued, pairs, durable)
        raws = [raw for _, raw in pairs]
        staged = asyncio.ensure_future(asyncio.to_thread(self._stage, raws, durable))
        try:
            texts = await asyncio.to_thread(_body_texts, raws)
            updates = [
                BodyUpdate(message_id, digest, text, _preview(text))
                for (message_id, _), (digest, text) in zip(pairs, texts, strict=True)
            ]
            return await asyncio.to_thread(self._commit_bodies, updates, await staged, durable)
        finally:
            if not staged.done():
                with contextlib.suppress(MailAppError):
                    await staged

    def _stage(self, raws: list[bytes], durable: bool) -> StagedPack | None:
        """The batch's bytes on disk: a pack to record in the batch's transaction when the
        store keeps packs in this database, else files (put_many, done when it returns).
        From two messages on: the rows share the batch's commit, so a pack of two already
        costs less than two files."""
        if self.blobs.database is self.db and len(raws) > 1:
            return self.blobs.stage_pack(raws, durable=durable)
        self.blobs.put_many(raws, durable=durable)
        return None

    def _store_bodies_queued(self, pairs: list[tuple[int, bytes]], durable: bool) -> int:
        staged = self._stage([raw for _, raw in pairs], durable)
        digests = staged.digests if staged is not None else [digest_of(raw) for _, raw in pairs]
        updates = [
            BodyUpdate(message_id, digest)
            for (message_id, _), digest in zip(pairs, digests, strict=True)
        ]
        return self._commit_bodies(updates, staged, durable, True)

    def _commit_bodies(
        self,
        updates: list[BodyUpdate],
        staged: StagedPack | None,
        durable: bool,
        index_later: bool = False,
    ) -> int:
        """The batch's transaction: its pack's rows, then the bodies, either indexed now
        (set_bodies) or given their hashes and queued for the indexer (index_later)."""
        with self.db.write(durable=durable) as connection:
            if staged is not None:
                self.blobs.record_pack(connection, staged)
            if index_later:
                self.text_queue.record_downloads(
                    connection, [(u.message_id, u.body_hash) for u in updates]
                )
                return len(updates)
            return self.messages.set_bodies(updates)

    async def fetch_body(self, message_id: int) -> bytes:
        """The raw message, from the store or else fetched (BODY.PEEK[]) and stored."""
        row = await asyncio.to_thread(self.messages.get, message_id)
        if row is None:
            raise MessageNotFoundError(f"There is no message {message_id}.")
        if row.body_hash is not None and await asyncio.to_thread(self.blobs.exists, row.body_hash):
            return await asyncio.to_thread(self.blobs.get, row.body_hash)
        folder = await asyncio.to_thread(self.folders.get, row.folder_id)
        if folder is None:
            raise MessageNotFoundError(f"The folder of message {message_id} is gone.")
        raw: list[bytes] = []

        async def fetch(client: ImapClient) -> None:
            raw.clear()
            state = client.selected
            if state is None or state.name != folder.name:
                state = await client.select(folder.name, readonly=True)
            if state.uidvalidity != folder.uidvalidity:
                raise MessageNotFoundError(
                    f"The folder {folder.name} changed on the server; sync it first.",
                    hint="Run `mailapp sync`.",
                )
            result = await client.uid_fetch([row.uid], ["UID", "BODY.PEEK[]"])
            for r in result.untagged:
                if isinstance(r, FetchResponse) and r.uid == row.uid:
                    data = r.section("")
                    if data is not None:
                        raw.append(data)

        await self._retrying(folder.name, fetch, SyncReport(self.name))
        if not raw:
            raise MessageNotFoundError(
                f"Message {message_id} is no longer on the server.", hint="Run `mailapp sync`."
            )
        await asyncio.to_thread(self._store_body_durable, row, raw[0])
        return raw[0]

    def _store_body_durable(self, row: MessageRow, raw: bytes) -> None:
        digest = self.blobs.put(raw, durable=True)
        text = index_text(raw).body
        with self.db.write() as connection:
            self.messages.set_bodies([BodyUpdate(row.id, digest, text, _preview(text))])
            # Indexed now: an entry a bulk download queued for it is done.
            self.text_queue.done(connection, [row.id])

    # --- watching -----------------------------------------------------------------------

    def _note_event(self, response: Response) -> None:
        """Keeps the message count the server last announced for the selected mailbox."""
        if isinstance(response, ExistsResponse):
            self._announced = response.count
        elif self._announced is None:
            return
        elif isinstance(response, ExpungeResponse):
            self._announced = max(0, self._announced - 1)
        elif isinstance(response, VanishedResponse) and not response.earlier:
            self._announced = max(0, self._announced - len(response.uids))

    def _forget_announced(self) -> None:
        self._announced = None

    def _inbox_known(self, folder_id: int) -> int:
        """How many messages the server holds in the folder as far as the store knows (its
        rows plus those moved or deleted here and not yet replayed)."""
        hidden, _ = pending_uids(self.db, folder_id)
        return self.messages.count(folder_id) + len(hidden)

    async def _inbox_pass(self, client: ImapClient, inbox: FolderRow) -> bool:
        """Sync the Inbox; True when it brought or changed something. The untagged answers
        to its own commands (the EXISTS of SELECT, the EXPUNGEs of a MOVE) are no news:
        only mail the server announced beyond what the store now knows asks for one more
        pass, and at most one, so a count that never agrees cannot keep the loop busy."""
        found = False
        for _ in range(2):
            self._forget_announced()
            result = await self.sync_folder(client, inbox)
            found = found or bool(result.new or result.updated or result.expunged)
            announced = self._announced
            if announced is None:
                break
            if announced <= await asyncio.to_thread(self._inbox_known, inbox.id):
                break
            fresh = await asyncio.to_thread(self.folders.get, inbox.id)
            if fresh is None:
                break
            inbox = fresh
        # The window refreshes its list and counts on "done": an IDLE wake-up is a sync too.
        self._say("", "done")
        return found

    async def _wait_for_change(
        self,
        client: ImapClient,
        stop: asyncio.Event,
        seconds: float,
        *,
        poll_seconds: float,
    ) -> bool:
        """IDLE (NOOP polling without it) until the server reports a change, `stop` is set
        or `seconds` pass; True when a change came."""
        self._changed.clear()
        if client.has("IDLE"):
            await client.idle(max_seconds=seconds, stop=stop)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(poll_seconds, seconds))
            if not stop.is_set():
                await client.noop()
        return self._changed.is_set()

    async def watch(
        self,
        stop: asyncio.Event,
        *,
        full_every: float | None = None,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        """Sync everything, then wait in IDLE on the Inbox (NOOP polling without IDLE) and
        sync it when the server reports a change; everything again every `full_every`
        seconds. A wake-up whose Inbox pass finds nothing makes the next one wait a little
        longer (up to WAKE_BACKOFF_CAP), so a server that keeps waking us cannot make the
        watch spin. A lost connection is reopened with growing delays (reset only once a
        wait went through); wrong credentials or certificates end the watch."""
        every = (
            full_every
            if full_every is not None
            else (max(1, self.account.options.check_interval_minutes) * 60.0)
        )
        first_delay = self.retry_delays[0] if self.retry_delays else 1.0
        delay = first_delay
        while not stop.is_set():
            try:
                await self.sync()
                # Bodies a stopped download left unindexed (ADR 0007) get indexed meanwhile.
                self._start_indexer()
                next_full = time.monotonic() + every
                pause = 0.0
                sync_inbox = False  # the full sync just did it
                while not stop.is_set():
                    client = await self.client()
                    inbox = await asyncio.to_thread(self.folders.by_name, self.name, "INBOX")
                    if inbox is None:
                        break
                    if sync_inbox:
                        found = await self._inbox_pass(client, inbox)
                        pause = 0.0 if found else min(max(pause * 2, 0.5), WAKE_BACKOFF_CAP)
                    elif client.selected is None or not is_inbox(client.selected.name):
                        # IDLE watches the selected mailbox: the full sync ended elsewhere.
                        await self._inbox_pass(client, inbox)
                    wait = next_full - time.monotonic()
                    if wait <= 0:
                        break
                    if pause:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), min(pause, wait))
                        if stop.is_set() or time.monotonic() >= next_full:
                            break
                        wait = next_full - time.monotonic()
                    sync_inbox = await self._wait_for_change(
                        client, stop, min(idle_seconds, wait), poll_seconds=poll_seconds
                    )
                    delay = first_delay
                    if not sync_inbox:
                        # A quiet wait: a later change deserves a prompt answer again.
                        pause = 0.0
                    if time.monotonic() >= next_full:
                        break
            except (AuthError, TLSError):
                raise
            except (TransportError, ProtocolError, ImapCommandError) as exc:
                log.warning("%s: %s; retrying in %.0fs", self.name, exc, delay)
                self._say("", "reconnect")
                if self._client is not None:
                    await self._client.close()
                    self._client = None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay * (1 + random.random() / 4))
                delay = min(delay * 2, WATCH_BACKOFF_CAP)
        await self.stop_indexer()  # before the owner closes the database
        await self.disconnect()


def _unchanged(folder: FolderRow, state: MailboxState) -> bool:
    """Whether SELECT shows a complete folder exactly as stored: same UIDNEXT and
    HIGHESTMODSEQ (CONDSTORE), as many messages as the stored rows, nothing vanished or
    changed (QRESYNC). The stored UIDs need not even be read then."""
    return (
        folder.uidnext is not None
        and state.uidnext is not None
        and state.uidnext <= folder.uidnext
        and state.highestmodseq is not None
        and state.highestmodseq == folder.highestmodseq
        and state.exists == folder.total
        and not state.vanished
        and not state.changed
    )


def _header_rows(fetches: list[FetchResponse]) -> list[NewMessage]:
    """Rows from header FETCH answers without bodies (in a worker thread)."""
    return [row for fetch in fetches if (row := new_message(fetch)) is not None]


def _row_collector(
    into: list[NewMessage | RowValues], wanted: set[int]
) -> Callable[[list[Response]], Awaitable[None]]:
    """Like _collector(envelope=True), but keeping only the rows made from the answers:
    the row values convert.header_values made while parsing, or rows made here from the
    answers it left to the general parser."""

    async def collect(batch: list[Response]) -> None:
        fetches: list[FetchResponse] = []
        for r in batch:
            if isinstance(r, PreparedFetch):
                if r.uid in wanted:
                    into.append(cast(RowValues, r.value))
            elif isinstance(r, FetchResponse) and r.uid in wanted and r.envelope is not None:
                fetches.append(r)
        if fetches:
            into.extend(await asyncio.to_thread(_header_rows, fetches))

    return collect


def _merge(into: FolderReport, result: FolderReport) -> None:
    into.new += result.new
    into.updated += result.updated
    into.expunged += result.expunged
    into.bodies += result.bodies
    into.filed += result.filed
    into.reset = into.reset or result.reset


def _collector(
    into: list[FetchResponse], wanted: set[int], *, envelope: bool = False
) -> Callable[[list[Response]], Awaitable[None]]:
    """A streaming callback keeping the FETCH answers for the wanted UIDs (a server may
    slip in unsolicited FETCHes of other messages)."""

    async def collect(batch: list[Response]) -> None:
        for r in batch:
            if (
                isinstance(r, FetchResponse)
                and r.uid in wanted
                and (not envelope or r.envelope is not None)
            ):
                into.append(r)

    return collect


def _groups(changes: list[PendingChange]) -> list[list[PendingChange]]:
    """Consecutive changes that one command can carry (same kind, flags and target)."""
    groups: list[list[PendingChange]] = []
    for change in changes:
        key = (change.kind, change.add, change.remove, change.target)
        if groups:
            last = groups[-1][0]
            if (last.kind, last.add, last.remove, last.target) == key:
                groups[-1].append(change)
                continue
        groups.append([change])
    return groups
