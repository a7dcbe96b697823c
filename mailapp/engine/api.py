"""The engine facade: the only engine module the window (and the CLI) talks to.

Imports: everything in the engine, core, secrets; never Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailapp.core.checks import CheckReport, CheckStep
from mailapp.core.delivery import is_terminal
from mailapp.core.draft import Draft
from mailapp.core.errors import (
    ConfigError,
    MailAppError,
    MessageNotFoundError,
    MimePartNotFoundError,
    SecretError,
    UnsupportedError,
)
from mailapp.core.model import Account, IncomingProtocol
from mailapp.core.reading import AttachmentInfo, LinkWarning, ReadableMessage
from mailapp.core.replies import Original
from mailapp.engine import drafts as _drafts
from mailapp.engine import sent_folder as _sent_folder
from mailapp.engine.account_check import check_account
from mailapp.engine.accounts import AccountRegistry, validate_account
from mailapp.engine.discovery import (
    STEP_ORDER,
    DiscoveryConfig,
    DiscoveryResult,
    DiscoveryStep,
    FoundServer,
    ServerKind,
    StepName,
    StepOutcome,
    discover,
)
from mailapp.engine.drafts import DraftRef, SavedDraft
from mailapp.engine.outbox_worker import SendProgress, SendStage, SmtpCredentials, WorkerReport
from mailapp.engine.profile import Profile
from mailapp.engine.reading import (
    attachment_names,
    fetch_images,
    image_context,
    readable_message,
    save_part,
)
from mailapp.engine.send_later import enqueue_not_before
from mailapp.engine.sending import DeliveryStatus, SendingService, SendResult, SentSummary
from mailapp.engine.sent_folder import SentFolderItem
from mailapp.engine.store_upkeep import STATE_FILE as STORE_UPKEEP_STATE
from mailapp.engine.store_upkeep import StoreUpkeep, UpkeepReport
from mailapp.engine.store_upkeep import log as _upkeep_log
from mailapp.engine.sync.changes import ChangeQueue, parse_flag
from mailapp.engine.sync.imap_sync import ImapSync, IngestHook, SyncProgress, SyncReport
from mailapp.engine.sync.imap_sync import ProgressCallback as SyncProgressCallback
from mailapp.engine.sync.pop3_fetch import Pop3Fetch, Pop3FetchReport
from mailapp.engine.tracking import IngestResult
from mailapp.secrets.base import INCOMING, OUTGOING, CredentialStore
from mailapp.secrets.vault import open_default_store, resolve_password
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole, FolderRow
from mailapp.store.messages import MessageFlag, MessageRepository, MessageRow, SortKey
from mailapp.store.outbox import OutboxEntry
from mailapp.store.pop3_uidls import Pop3UidlRepository
from mailapp.store.search import SearchRepository
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.tls import normalize_fingerprint

__all__ = [
    "STEP_ORDER",
    "AttachmentInfo",
    "DeliveryStatus",
    "DiscoveryConfig",
    "DiscoveryResult",
    "DiscoveryStep",
    "DraftRef",
    "Engine",
    "FolderRole",
    "FolderRow",
    "FoundServer",
    "IngestResult",
    "LinkWarning",
    "MessageFlag",
    "MessageRow",
    "OutboxEntry",
    "ProgressCallback",
    "ReadableMessage",
    "SavedDraft",
    "SendProgress",
    "SendResult",
    "SendStage",
    "SentFolderItem",
    "SentSummary",
    "ServerKind",
    "SortKey",
    "StepName",
    "StepOutcome",
    "SyncProgress",
    "WorkerReport",
    "normalize_fingerprint",
]

ProgressCallback = Callable[[CheckStep], None]


def _missing_password_source() -> ConfigError:
    return ConfigError(
        "The account needs a password or a password command.",
        hint="Give the password (--password-stdin) or a command that prints it "
        "(--password-command 'pass show mail/work').",
    )


class Engine:
    """One profile's engine: accounts now; sending, receiving and tracking as they land.

    Methods that touch the credential store are coroutines: keyring calls block (D-Bus, the
    OS), so they run in a worker thread and the window stays responsive.
    """

    def __init__(self, profile: Profile, credentials: CredentialStore | None = None) -> None:
        self.profile = profile
        self.credentials = credentials if credentials is not None else open_default_store()
        self.accounts = AccountRegistry(profile.accounts_file)
        # Timeout for each network step of an account test, in seconds.
        self.network_timeout = DEFAULT_TIMEOUT

    @classmethod
    def open(
        cls, profile_dir: str | None = None, credentials: CredentialStore | None = None
    ) -> Engine:
        """The engine of a profile (created if new). Without `credentials`, the system
        keyring when one may be used, else passwords for this session only (this may block
        briefly while keyring looks for a backend)."""
        return cls(Profile.resolve(profile_dir).ensure(), credentials)

    # --- credential store -------------------------------------------------------------------

    @property
    def credentials_description(self) -> str:
        """Where passwords are kept, in words ("GNOME Keyring", "this session only: ...")."""
        return self.credentials.description

    @property
    def credentials_persistent(self) -> bool:
        """False when passwords given now are forgotten when mailapp exits."""
        return self.credentials.persistent

    @property
    def credentials_warning(self) -> str | None:
        """The sentence to show before asking for a password that cannot be kept."""
        if self.credentials.persistent:
            return None
        warning = getattr(self.credentials, "warning", None)
        if isinstance(warning, str):
            return warning
        return f"Passwords are kept for {self.credentials.description}."

    # --- accounts ---------------------------------------------------------------------------

    @property
    def account_warnings(self) -> list[str]:
        """What the last read of accounts.toml ignored (unknown or password fields)."""
        return list(self.accounts.warnings)

    def list_accounts(self) -> list[Account]:
        return self.accounts.load()

    def get_account(self, name: str) -> Account:
        return self.accounts.get(name)

    async def add_account(
        self, account: Account, password: str | None, smtp_password: str | None = None
    ) -> Account:
        """Save a new account and its password(s); returns the account as saved.

        Exactly one of `password` and `account.password_command` is the password source.
        `smtp_password` gives the SMTP server a password of its own (it implies
        `separate_smtp_password`)."""
        account = self._with_smtp_flag(account, smtp_password)
        validate_account(account)
        self._check_password_source(account, password, smtp_password, adding=True)
        if any(a.name.casefold() == account.name.casefold() for a in self.list_accounts()):
            self.accounts.add(account)  # raises AccountExistsError with its hint
        await self._store_secrets(account.name, password, smtp_password)
        try:
            self.accounts.add(account)
        except BaseException:
            await self._forget_secrets(account.name)
            raise
        return account

    async def update_account(
        self,
        account: Account,
        password: str | None = None,
        smtp_password: str | None = None,
        *,
        old_name: str | None = None,
    ) -> Account:
        """Replace a saved account (`old_name` when renaming). Passwords not given are kept;
        stored ones the new settings no longer use are deleted."""
        previous = self.get_account(old_name or account.name)
        account = self._with_smtp_flag(account, smtp_password)
        validate_account(account)
        self._check_password_source(account, password, smtp_password, adding=False)
        if (
            account.password_command is None
            and password is None
            and previous.password_command is not None
            and await self._get(previous.name, INCOMING) is None
        ):
            raise _missing_password_source()
        if account.separate_smtp_password and smtp_password is None:
            kept = await self._get(previous.name, OUTGOING)
            if kept is None:
                raise ConfigError(
                    "A separate SMTP password was asked for, but none is given or saved.",
                    hint="Give it with --smtp-password-stdin.",
                )
        renamed = previous.name != account.name
        if renamed:
            await self._move_secrets(previous.name, account.name)
        try:
            self.accounts.update(account, old_name=previous.name)
        except BaseException:
            if renamed:
                await self._move_secrets(account.name, previous.name)
            raise
        await self._store_secrets(account.name, password, smtp_password)
        if account.password_command is not None and password is None:
            await self._delete(account.name, INCOMING)
        if not account.separate_smtp_password:
            await self._delete(account.name, OUTGOING)
        return account

    async def remove_account(self, name: str) -> Account:
        """Remove the account, its local copy of mail (the server keeps its own) and its
        stored passwords; returns what was removed. Sent-message tracking stays."""
        removed = self.accounts.remove(name)
        if self.profile.database_file.exists():
            database, _ = self._mail_store()

            def forget_mail() -> None:
                # Without this, an account re-added under the same name would skip the POP3
                # messages it once downloaded.
                FolderRepository(database).delete_account(removed.name)
                Pop3UidlRepository(database).forget_account(removed.name)

            await asyncio.to_thread(forget_mail)
        try:
            await self._forget_secrets(removed.name, strict=True)
        except SecretError as exc:
            raise SecretError(
                f"The account {removed.name!r} was removed, but its password could not be "
                f"deleted from {self.credentials.description}: {exc.message}",
                hint="Delete it by hand in the keyring application.",
            ) from exc
        return removed

    # --- account test -----------------------------------------------------------------------

    async def test_account(
        self, name: str, progress: ProgressCallback | None = None
    ) -> CheckReport:
        """Log in to the saved account's incoming and outgoing servers; report each step."""
        account = self.get_account(name)
        password, smtp_password = await self._passwords_for(account)
        return await check_account(
            account, password, smtp_password, progress=progress, timeout=self.network_timeout
        )

    async def test_settings(
        self,
        account: Account,
        password: str | None,
        smtp_password: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CheckReport:
        """The same test for settings not saved yet (the account wizard).

        With `password` None the account's password command is run."""
        validate_account(account)
        if password is None:
            if account.password_command is None:
                raise _missing_password_source()
            password = await asyncio.to_thread(
                resolve_password,
                self.credentials,
                account.name,
                INCOMING,
                account.password_command,
            )
        return await check_account(
            account, password, smtp_password, progress=progress, timeout=self.network_timeout
        )

    # === receiving: IMAP sync, folders, messages, search =====================================
    # (begin of the block owned by the IMAP sync work; keep other methods outside it)

    # Replaces the hook called with the raw bytes of each new Inbox message during sync (at
    # least once each); None means the delivery tracker (see _ingest_hook).
    on_new_inbox_message: IngestHook | None = None
    _mail_database: Database | None = None
    _mail_blobs: BlobStore | None = None

    def _mail_store(self) -> tuple[Database, BlobStore]:
        """The profile's message database and message files, opened on first use."""
        if self._mail_database is None:
            self._mail_database = Database.open(self.profile.database_file)
        if self._mail_blobs is None:
            # With the database: bulk downloads go into pack files (ADR 0007).
            self._mail_blobs = BlobStore(self.profile.blobs_dir, self._mail_database)
        return self._mail_database, self._mail_blobs

    def _ingest_hook(self, account: Account) -> IngestHook:
        """Every new Inbox message passes through delivery-report recognition, so reports,
        bounces and read receipts update the sent messages they belong to."""
        if self.on_new_inbox_message is not None:
            return self.on_new_inbox_message
        tracker = self.sending.tracker
        name = account.name

        def ingest(raw: bytes) -> object:
            return tracker.ingest(raw, account=name)

        return ingest

    def _imap_sync(self, account: Account, progress: SyncProgressCallback | None) -> ImapSync:
        if account.incoming_protocol is not IncomingProtocol.IMAP:
            raise UnsupportedError(
                f"The account {account.name!r} receives with POP3; this needs IMAP."
            )
        database, blobs = self._mail_store()

        async def password() -> str:
            return (await self._passwords_for(account))[0]

        return ImapSync(
            account,
            database=database,
            blobs=blobs,
            password=password,
            on_new_inbox_message=self._ingest_hook(account),
            progress=progress,
            reports_since=self._reports_since(account),
        )

    def _reports_since(self, account: Account) -> Callable[[], datetime | None]:
        """For the first Inbox sync: since when a delivery report may have come in that still
        matters (the oldest message of the account sent within the tracker's window or with
        a recipient not yet delivered or failed, up to four windows back); None when there
        is none."""
        outbox = self.sending.outbox
        window = self.sending.tracker.address_window
        name = account.name

        def since() -> datetime | None:
            now = datetime.now(UTC)
            # A report can trail a delayed message by days; a month back is the limit.
            oldest = now - 4 * window
            times = [
                e.sent_at
                for e in outbox.recent_sent(500, account=name, since=oldest)
                if e.sent_at is not None
                and (
                    e.sent_at >= now - window or not all(is_terminal(r.state) for r in e.recipients)
                )
            ]
            return min(times, default=None)

        return since

    async def sync_account(
        self,
        name: str,
        progress: SyncProgressCallback | None = None,
        *,
        folders: list[str] | None = None,
    ) -> SyncReport:
        """Bring the account's folders (or only `folders`) up to date in the store."""
        account = self.get_account(name)
        if account.incoming_protocol is IncomingProtocol.POP3:  # POP3 fetch block below
            report = (await self._pop3_fetch(account, progress).fetch()).as_sync_report()
            await self._clean_store_if_due()  # store upkeep block
            return report
        sync = self._imap_sync(account, progress)
        try:
            report = await sync.sync(folders)
        finally:
            await sync.disconnect()
        await self._clean_store_if_due()  # store upkeep block: at most once a day
        return report

    async def watch_account(
        self, name: str, stop: asyncio.Event, progress: SyncProgressCallback | None = None
    ) -> None:
        """Sync, then keep the Inbox current (IDLE) until `stop` is set."""
        account = self.get_account(name)
        # store upkeep block: each finished pass may clean the store (at most once a day)
        async with self._store_upkeep_while_watching(progress) as relay:
            if account.incoming_protocol is IncomingProtocol.POP3:  # POP3 fetch block below
                await self._pop3_fetch(account, relay).watch(stop)
                return
            await self._imap_sync(account, relay).watch(stop)

    async def list_folders(self, account: str | None = None) -> list[FolderRow]:
        database, _ = self._mail_store()
        return await asyncio.to_thread(FolderRepository(database).folders, account)

    async def find_folder(self, account: str, folder: str) -> FolderRow:
        database, _ = self._mail_store()
        repo = FolderRepository(database)
        row = await asyncio.to_thread(repo.by_name, account, folder)
        if row is None and folder.upper() == "INBOX":
            row = await asyncio.to_thread(repo.by_name, account, "INBOX")
        if row is None:
            raise ConfigError(
                f"The account {account!r} has no folder {folder!r} in the store.",
                hint="Run `mailapp sync` first, or see `mailapp folders`.",
            )
        return row

    async def list_messages(
        self, account: str, folder: str = "INBOX", *, limit: int = 50, offset: int = 0
    ) -> list[MessageRow]:
        """A window of the folder's messages, newest first."""
        row = await self.find_folder(account, folder)
        database, _ = self._mail_store()
        return await asyncio.to_thread(
            MessageRepository(database).window, row.id, offset=offset, limit=limit
        )

    async def get_message(self, message_id: int) -> MessageRow:
        database, _ = self._mail_store()
        row = await asyncio.to_thread(MessageRepository(database).get, message_id)
        if row is None:
            raise MessageNotFoundError(f"There is no message {message_id}.")
        return row

    async def get_raw(self, message_id: int) -> bytes:
        """The message's bytes: from the store, else fetched from the server and kept."""
        row = await self.get_message(message_id)
        database, _ = self._mail_store()
        folder = await asyncio.to_thread(FolderRepository(database).get, row.folder_id)
        if folder is None:
            raise MessageNotFoundError(f"There is no message {message_id}.")
        account = self.get_account(folder.account)
        if account.incoming_protocol is IncomingProtocol.POP3:  # POP3 fetch block below
            return await self._pop3_raw(row)
        sync = self._imap_sync(account, None)
        try:
            return await sync.fetch_body(message_id)
        finally:
            await sync.disconnect()

    async def search(
        self, query: str, *, account: str | None = None, limit: int = 50
    ) -> list[MessageRow]:
        """The newest `limit` stored messages matching the query (see store.query)."""
        database, _ = self._mail_store()
        return await asyncio.to_thread(
            SearchRepository(database).search, query, account=account, limit=limit
        )

    async def flag_messages(
        self, ids: list[int], *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> int:
        """Set/clear flags ("seen", "flagged", "answered", ...) locally now; queued for the
        server (see replay_changes)."""
        add_bits, remove_bits = MessageFlag.NONE, MessageFlag.NONE
        for word in add:
            add_bits |= parse_flag(word)
        for word in remove:
            remove_bits |= parse_flag(word)
        database, _ = self._mail_store()
        return await asyncio.to_thread(
            ChangeQueue(database).change_flags, ids, add=add_bits, remove=remove_bits
        )

    async def move_messages(self, ids: list[int], folder: str) -> int:
        """Move locally now (the message leaves its folder); queued for the server."""
        database, _ = self._mail_store()
        return await asyncio.to_thread(ChangeQueue(database).move, ids, folder)

    async def delete_messages(self, ids: list[int]) -> int:
        """Delete locally now (to the Trash on the server when there is one); queued."""
        database, _ = self._mail_store()
        return await asyncio.to_thread(ChangeQueue(database).delete, ids)

    async def replay_changes(self, account: str) -> int:
        """Send the account's queued local changes to the server now; returns how many."""
        sync = self._imap_sync(self.get_account(account), None)
        try:
            return await sync.replay(await sync.client())
        finally:
            await sync.disconnect()

    async def pending_change_accounts(self) -> list[str]:
        """Accounts with local changes not yet sent."""
        database, _ = self._mail_store()
        names = [a.name for a in self.list_accounts()]
        queue = ChangeQueue(database)
        return [n for n in names if await asyncio.to_thread(queue.pending, n)]

    # (end of the IMAP sync block)
    # ==========================================================================================

    # --- POP3 fetch ---
    # (begin of the block owned by the POP3 fetch work; sync_account, watch_account and get_raw
    # call in here)

    def _pop3_fetch(self, account: Account, progress: SyncProgressCallback | None) -> Pop3Fetch:
        if account.incoming_protocol is not IncomingProtocol.POP3:
            raise UnsupportedError(
                f"The account {account.name!r} receives with IMAP; this needs POP3."
            )
        database, blobs = self._mail_store()

        async def password() -> str:
            return (await self._passwords_for(account))[0]

        return Pop3Fetch(
            account,
            database=database,
            blobs=blobs,
            password=password,
            on_new_message=self._ingest_hook(account),
            progress=progress,
            timeout=self.network_timeout,
        )

    async def fetch_pop3(
        self, name: str, progress: SyncProgressCallback | None = None
    ) -> Pop3FetchReport:
        """Download a POP3 account's new mail into its local Inbox (reports the hook files
        away go to the reports folder) and delete server copies as pop3_keep_days says."""
        return await self._pop3_fetch(self.get_account(name), progress).fetch()

    async def _pop3_raw(self, row: MessageRow) -> bytes:
        # POP3 mail is stored whole at download; the server may not have it any more.
        if row.body_hash is None:
            raise MessageNotFoundError(f"Message {row.id} has no stored copy.")
        _, blobs = self._mail_store()
        return await asyncio.to_thread(blobs.get, row.body_hash)

    # (end of the POP3 fetch block)
    # --- end POP3 fetch ---

    # --- offline: download all bodies ---
    # (begin of the block owned by the offline download work; the substance is in
    # engine.sync.imap_sync.ImapSync.download_bodies)

    async def download_bodies(
        self,
        name: str,
        folders: list[str] | None = None,
        progress: SyncProgressCallback | None = None,
    ) -> SyncReport:
        """Sync the account (or only `folders`), then download every message body it does
        not have yet, so all its mail reads and searches offline. Each batch is on disk
        (files fsynced, rows committed durably) before the next; an interrupted download
        keeps what it finished and the next call fetches the rest. POP3 accounts always
        download whole messages: this is their fetch."""
        account = self.get_account(name)
        if account.incoming_protocol is IncomingProtocol.POP3:
            return (await self._pop3_fetch(account, progress).fetch()).as_sync_report()
        sync = self._imap_sync(account, progress)
        try:
            report = await sync.download_bodies(folders)
            await sync.index_pending()  # search finds the body words once this returns
            return report
        finally:
            await sync.disconnect()

    # (end of the offline download block)
    # --- end offline: download all bodies ---

    # --- sending and delivery tracking ---------------------------------------------------
    # (begin of the block owned by the sending work; the substance is in engine.sending)

    _sending: SendingService | None = None

    @property
    def sending(self) -> SendingService:
        """The outbox, its worker and delivery tracking (opened on first use)."""
        if self._sending is None:
            database, blobs = self._mail_store()

            async def smtp_credentials(account: Account) -> SmtpCredentials:
                return SmtpCredentials(password=(await self._passwords_for(account))[1])

            async def incoming_password(account: Account) -> str:
                return (await self._passwords_for(account))[0]

            # IMAP accounts: the copy in Sent is APPENDed to the server's \Sent folder.
            self._sending = SendingService(
                database,
                blobs,
                accounts=self.get_account,
                credentials=smtp_credentials,
                timeout=self.network_timeout,
                incoming_password=incoming_password,
            )
        return self._sending

    async def send(
        self,
        account_name: str,
        draft: Draft,
        *,
        request_dsn: bool | None = None,
        wait: bool = True,
        progress: Callable[[SendProgress], None] | None = None,
    ) -> SendResult:
        """Store the message in the outbox (nothing is lost from here on), then with wait=True
        send it and return once the server answered for each recipient. request_dsn None:
        the account's setting. With wait=False something must run the outbox later
        (run_outbox_once)."""
        account = self.get_account(account_name)
        return await self.sending.send(
            account, draft, request_dsn=request_dsn, wait=wait, progress=progress
        )

    async def run_outbox_once(
        self,
        account: str | None = None,
        progress: Callable[[SendProgress], None] | None = None,
    ) -> WorkerReport:
        """Send every due outbox message (of one account, or all) now."""
        return await self.sending.run_outbox_once(account=account, progress=progress)

    async def outbox_entries(self, account: str | None = None) -> list[OutboxEntry]:
        return await self.sending.outbox_entries(account)

    async def retry_outbox(self, outbox_id: int) -> OutboxEntry:
        """Send again (the person's decision; also for an uncertain message)."""
        return await self.sending.retry(outbox_id)

    async def delete_outbox(self, outbox_id: int) -> bool:
        return await self.sending.delete(outbox_id)

    async def delivery_status(self, message_id: str) -> DeliveryStatus:
        """The message's entry and each recipient with its timeline."""
        return await self.sending.delivery_status(message_id)

    async def recent_sent(self, limit: int = 20, account: str | None = None) -> list[SentSummary]:
        return await self.sending.recent_sent(limit, account=account)

    async def ingest_report(self, raw: bytes, account: str | None = None) -> IngestResult:
        """Tie a received DSN, bounce or read receipt to the sent message (idempotent)."""
        return await self.sending.ingest_report(raw, account)

    # (end of the sending block)
    # --- end sending and delivery tracking ---

    # --- outbox: edit queued message ---
    # (begin of the block owned by the outbox edit work; the substance is in engine.sending)

    async def edit_outbox(self, outbox_id: int) -> SavedDraft:
        """Take a queued (deferred, failed) message back into the composer: it leaves the
        outbox atomically, so it is not sent while being edited, and its draft is saved on
        this computer (closing the composer keeps it in Drafts; sending it makes a new
        outbox entry with a new Message-ID). OutboxEntry.edit_refusal says beforehand why a
        message cannot be edited; this raises OutboxEditError with that reason (being sent,
        maybe sent already, queued without its draft), MessageNotFoundError when gone."""
        return await self.sending.take_back(outbox_id, self._local_drafts)

    # (end of the outbox edit block)
    # --- end outbox: edit queued message ---

    # --- window support: change notifications ---
    # (begin of the block owned by the window's delivery views: Sent, Outbox, the runner)

    def delivery_revision(self) -> tuple[int, ...]:
        """A value that changes whenever an outgoing message or a recipient's delivery or
        read state changes (also when another process, like `mailapp send`, changed it).
        Cheap (a few aggregates, no rows loaded): the window polls it every few seconds and
        reloads its Sent and Outbox views only when it moved. Synchronous on purpose."""
        database, _ = self._mail_store()
        # A weighted state checksum, because two changes can fall in the same second.
        outbox_sql = (
            "SELECT count(*), total(updated_at), total(attempts), "
            "total(id * instr('queued sending deferred sent failed uncertain', state)) "
            "FROM outbox"
        )
        events_sql = "SELECT coalesce(max(id), 0), count(*) FROM delivery_events"
        with database.read() as connection:
            outbox = connection.execute(outbox_sql).fetchone()
            events = connection.execute(events_sql).fetchone()
        return tuple(int(value) for value in (*outbox, *events))

    async def outgoing_message(self, outbox_id: int) -> ReadableMessage:
        """An outgoing (or sent) message as the reader shows it, from the outbox's own copy
        of the bytes that were (or will be) sent. Raises MessageNotFoundError."""
        entry = await asyncio.to_thread(self.sending.outbox.get, outbox_id)
        if entry is None:
            raise MessageNotFoundError(f"There is no outgoing message {outbox_id}.")
        raw = await asyncio.to_thread(self.sending.outbox.raw, entry)
        return await asyncio.to_thread(
            readable_message,
            raw,
            message_id=0,
            account=entry.account,
            folder_id=0,
            unread=False,
            flagged=False,
        )

    async def delivery_report_raw(self, report_ref: str) -> bytes:
        """The original report (DSN, bounce, read receipt) an event refers to, as received
        (DeliveryEvent.report_ref). Raises StoreError when its file is gone."""
        _, blobs = self._mail_store()
        return await asyncio.to_thread(blobs.get, report_ref)

    # (end of the window support block)
    # --- end window support: change notifications ---

    # --- reading (window) ---
    # (begin of the block owned by the reading work: the message list, folder pane and reader.
    # The list's reads are synchronous on purpose: a window of 200 rows takes ~1 ms; the
    # caller runs message_ids for big folders in a thread itself.)

    # Verifying context for "Load once" remote images (tests point it at their own CA).
    remote_image_context: ssl.SSLContext | None = None

    def folder_rows(self, account: str | None = None) -> list[FolderRow]:
        """Every stored folder with its total and unread counts (kept by the store)."""
        database, _ = self._mail_store()
        return FolderRepository(database).folders(account)

    def message_ids(
        self, folder_id: int, sort: SortKey | str = SortKey.DATE, descending: bool = True
    ) -> list[int]:
        """Every message id of the folder in list order (the lazy list's skeleton)."""
        database, _ = self._mail_store()
        return MessageRepository(database).ids(folder_id, sort=SortKey(sort), descending=descending)

    def message_rows(self, ids: Sequence[int]) -> list[MessageRow]:
        """The rows of `ids` in the order given; ids gone from the store are left out."""
        database, _ = self._mail_store()
        return MessageRepository(database).get_many(ids)

    async def search_messages(
        self,
        query: str,
        *,
        folder_id: int | None = None,
        account: str | None = None,
        limit: int = 10_000,
    ) -> list[MessageRow]:
        """The newest `limit` messages of a folder (or account, or all) matching the query
        (from:, to:, subject:, before:, after:, has:attachment, is:unread, words).
        SearchQueryError for a query that cannot be used."""
        database, _ = self._mail_store()
        return await asyncio.to_thread(
            SearchRepository(database).search,
            query,
            limit=limit,
            account=account,
            folder_id=folder_id,
        )

    async def open_message(self, message_id: int, *, allow_remote: bool = False) -> ReadableMessage:
        """Everything the reader shows: parsed, the HTML sanitised (remote images removed
        unless allow_remote), inline images decoded. The body is fetched from the server
        when the store has only the headers."""
        row = await self.get_message(message_id)
        database, _ = self._mail_store()
        folder = await asyncio.to_thread(FolderRepository(database).get, row.folder_id)
        raw = await self.get_raw(message_id)
        return await asyncio.to_thread(
            readable_message,
            raw,
            message_id=message_id,
            account=folder.account if folder is not None else "",
            folder_id=row.folder_id,
            unread=row.unread,
            flagged=MessageFlag.FLAGGED in row.flags,
            allow_remote=allow_remote,
        )

    async def fetch_remote_images(self, urls: Sequence[str]) -> dict[str, bytes]:
        """The https images of a message the person chose to load, by URL (http:// and
        failures left out). Each fetch tells the image's server that the mail was opened."""
        if self.remote_image_context is None:
            self.remote_image_context = await asyncio.to_thread(image_context)
        return await fetch_images(urls, ssl_context=self.remote_image_context)

    async def save_attachment(
        self, message_id: int, part: str, directory: str | Path, filename: str | None = None
    ) -> Path:
        """Save one attachment into `directory` under its safe name (or `filename` made
        safe), never over an existing file and never outside the folder; returns the path."""
        raw = await self.get_raw(message_id)
        names = await asyncio.to_thread(attachment_names, raw)
        if part not in names:
            raise MimePartNotFoundError(f"The message has no attachment {part!r}.")
        name = filename or names[part]
        return await asyncio.to_thread(save_part, raw, part, Path(directory), name)

    async def set_read(self, ids: Sequence[int], read: bool = True) -> int:
        """Mark read or unread, locally now; replayed to the server on the next sync."""
        if read:
            return await self.flag_messages(list(ids), add=["seen"])
        return await self.flag_messages(list(ids), remove=["seen"])

    async def set_flagged(self, ids: Sequence[int], flagged: bool = True) -> int:
        """Star or unstar (IMAP \\Flagged), locally now; replayed on the next sync."""
        if flagged:
            return await self.flag_messages(list(ids), add=["flagged"])
        return await self.flag_messages(list(ids), remove=["flagged"])

    # (end of the reading block)
    # --- end reading (window) ---

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _with_smtp_flag(account: Account, smtp_password: str | None) -> Account:
        if smtp_password is not None and not account.separate_smtp_password:
            return replace(account, separate_smtp_password=True)
        return account

    @staticmethod
    def _check_password_source(
        account: Account, password: str | None, smtp_password: str | None, *, adding: bool
    ) -> None:
        if password is not None and account.password_command is not None:
            raise ConfigError(
                "Give either a password or a password command, not both.",
                hint="The password command is run each time the password is needed.",
            )
        for value in (password, smtp_password):
            if value is not None and (not value or any(ch in value for ch in "\r\n\0")):
                raise ConfigError("A password must not be empty or contain line breaks.")
        if adding and password is None and account.password_command is None:
            raise _missing_password_source()
        if adding and account.separate_smtp_password and smtp_password is None:
            raise ConfigError(
                "A separate SMTP password was asked for, but none was given.",
                hint="Give it with --smtp-password-stdin.",
            )

    async def _passwords_for(self, account: Account) -> tuple[str, str]:
        store = self.credentials
        password = await asyncio.to_thread(
            resolve_password, store, account.name, INCOMING, account.password_command
        )
        if not account.separate_smtp_password:
            return password, password
        # The password command stands for the incoming server; a separate SMTP password
        # always lives in the credential store.
        smtp_password = await asyncio.to_thread(
            resolve_password, store, account.name, OUTGOING, None
        )
        return password, smtp_password

    async def _get(self, name: str, role: str) -> str | None:
        return await asyncio.to_thread(self.credentials.get_password, name, role)

    async def _delete(self, name: str, role: str) -> None:
        await asyncio.to_thread(self.credentials.delete_password, name, role)

    async def _store_secrets(
        self, name: str, password: str | None, smtp_password: str | None
    ) -> None:
        if password is not None:
            await asyncio.to_thread(self.credentials.set_password, name, INCOMING, password)
        if smtp_password is not None:
            await asyncio.to_thread(self.credentials.set_password, name, OUTGOING, smtp_password)

    async def _forget_secrets(self, name: str, *, strict: bool = False) -> None:
        for role in (INCOMING, OUTGOING):
            if strict:
                await self._delete(name, role)
            else:
                with contextlib.suppress(MailAppError):
                    await self._delete(name, role)

    async def _move_secrets(self, old: str, new: str) -> None:
        for role in (INCOMING, OUTGOING):
            value = await self._get(old, role)
            if value is not None:
                await asyncio.to_thread(self.credentials.set_password, new, role, value)
                await self._delete(old, role)

    # --- account discovery (wizard) ---------------------------------------------------------

    async def discover_settings(
        self,
        email: str,
        progress: Callable[[DiscoveryStep], None] | None = None,
        config: DiscoveryConfig | None = None,
    ) -> DiscoveryResult:
        """Find the servers of `email` (autoconfig, well-known file, ISPDB, DNS SRV, MX guess,
        port probing), each step reported to `progress` as it starts and ends. Nothing found
        is a normal result; InvalidAddressError for an unusable address."""
        return await discover(email, progress=progress, config=config)

    # (end of the account discovery block)

    # --- composer: drafts and address completion ---
    # (begin of the block owned by the composer work; the substance is in engine.drafts)

    @property
    def _local_drafts(self) -> _drafts.LocalDrafts:
        return _drafts.LocalDrafts(self.profile.root / "drafts")

    async def known_addresses(self, prefix: str, limit: int = 20) -> list[str]:
        """Addresses to complete `prefix` with ("Name <a@b>" or "a@b"), most used first:
        from stored mail's senders and recipients and from the outbox's recipients."""
        database, _ = self._mail_store()
        return await asyncio.to_thread(_drafts.known_addresses, database, prefix, limit)

    async def save_draft(
        self,
        account: str,
        draft: Draft,
        *,
        request_dsn: bool | None = None,
        replace: DraftRef | None = None,
    ) -> DraftRef:
        """Keep the draft on this computer, then (IMAP) in the account's Drafts folder with
        the \\Draft flag; `replace` is the earlier save of the same message, whose copies
        go. A server that cannot be reached is no error: the returned ref's server_error
        says why the server has no copy, and the local one is kept."""
        acc = self.get_account(account)
        local = self._local_drafts
        raw, message_id = await asyncio.to_thread(
            _drafts.draft_message, draft, user_agent=_drafts.USER_AGENT
        )
        ref = DraftRef(
            acc.name,
            replace.local_id if replace is not None else local.new_id(),
            message_id,
            _drafts.now_utc(),
            subject=draft.subject,
        )
        if replace is not None:
            # Until the new server copy exists, the record points at the old one.
            ref = ref.placed(replace.folder, replace.uid, replace.uidvalidity)
        await asyncio.to_thread(local.write, ref, draft, request_dsn, raw)
        if acc.incoming_protocol is not IncomingProtocol.IMAP:
            return ref
        sync = self._imap_sync(acc, None)
        database, _ = self._mail_store()
        try:
            client = await sync.client()
            folder = await _drafts.drafts_folder(client, database, acc.name)
            uid, validity = await _drafts.append_draft(client, folder, raw, message_id)
            saved = ref.placed(folder, uid, validity)
            if replace is not None and replace.folder is not None:
                # An old copy left behind is no reason to call the save failed.
                with contextlib.suppress(MailAppError):
                    await _drafts.remove_server_copy(client, replace)
        except MailAppError as exc:
            saved = ref.placed(ref.folder, ref.uid, ref.uidvalidity, exc.message)
        finally:
            await sync.disconnect()
        await asyncio.to_thread(local.write, saved, draft, request_dsn, raw)
        return saved

    async def delete_draft(self, ref: DraftRef) -> None:
        """Remove the draft here and its server copy (a sent draft, or a discarded one).
        The local copy goes first; a server that cannot be reached raises afterwards."""
        await asyncio.to_thread(self._local_drafts.delete, ref.local_id)
        if ref.folder is None:
            return
        acc = self.get_account(ref.account)
        if acc.incoming_protocol is not IncomingProtocol.IMAP:
            return
        sync = self._imap_sync(acc, None)
        try:
            await _drafts.remove_server_copy(await sync.client(), ref)
        finally:
            await sync.disconnect()

    async def send_after(
        self,
        account_name: str,
        draft: Draft,
        *,
        delay: float,
        request_dsn: bool | None = None,
    ) -> SendResult:
        """Store the message in the outbox, due only `delay` seconds from now: until then
        no worker takes it, and delete_outbox is a true Undo. Something must run the outbox
        afterwards (run_outbox_once), as with send(wait=False)."""
        send_at = _drafts.now_utc() + timedelta(seconds=max(0.0, delay))
        return await enqueue_not_before(
            self.sending,
            self.get_account(account_name),
            draft,
            send_at=send_at,
            request_dsn=request_dsn,
        )

    async def list_drafts(self, account: str | None = None) -> list[DraftRef]:
        """The drafts saved on this computer (of one account), newest first."""
        return await asyncio.to_thread(self._local_drafts.refs, account)

    async def open_draft(self, local_id: str) -> SavedDraft:
        """A saved draft to write on (MessageNotFoundError when it is gone)."""
        return await asyncio.to_thread(self._local_drafts.read, local_id)

    # (end of the composer block)

    # --- replying and forwarding ---
    # (begin of the block owned by the reply/forward work; the rules are in core.replies)

    async def reply_original(self, message_id: int, *, attachments: bool = False) -> Original:
        """The message as Reply, Reply All and Forward need it: addresses (Reply-To too),
        threading ids, the text and its HTML made safe to quote; with `attachments` (Forward)
        every attachment's bytes. The body is fetched from the server when the store has
        only the headers."""
        row = await self.get_message(message_id)
        database, _ = self._mail_store()
        folder = await asyncio.to_thread(FolderRepository(database).get, row.folder_id)
        raw = await self.get_raw(message_id)
        return await asyncio.to_thread(
            _sent_folder.original_from_raw,
            raw,
            account=folder.account if folder is not None else "",
            message_id=row.message_id,
            attachments=attachments,
        )

    # (end of the replying and forwarding block)
    # --- end replying and forwarding ---

    # --- sent folder view ---
    # (begin of the block owned by the Sent folder work; the substance is in
    # engine.sent_folder)

    async def sent_folder(
        self, account: str | None = None, limit: int = _sent_folder.DEFAULT_LIMIT
    ) -> list[SentFolderItem]:
        """The Sent folder of one account (None: every account's), newest first: each message
        of the synced server Sent folder (also those other programs sent), with mailapp's
        delivery summary when mailapp sent it (matched by Message-ID), and the messages
        mailapp sent that the server folder does not hold (yet), each listed once."""
        database, _ = self._mail_store()
        sending = self.sending
        return await asyncio.to_thread(
            _sent_folder.sent_folder_items,
            database,
            sending.outbox,
            sending.delivery,
            account=account,
            limit=limit,
        )

    async def outgoing_reply_original(
        self, outbox_id: int, *, attachments: bool = False
    ) -> Original:
        """Like reply_original, for a sent message known only from the outbox (a POP3 account,
        or sent before the next sync brought its server copy). MessageNotFoundError."""
        entry = await asyncio.to_thread(self.sending.outbox.get, outbox_id)
        if entry is None:
            raise MessageNotFoundError(f"There is no outgoing message {outbox_id}.")
        raw = await asyncio.to_thread(self.sending.outbox.raw, entry)
        return await asyncio.to_thread(
            _sent_folder.original_from_raw,
            raw,
            account=entry.account,
            message_id=entry.message_id,
            attachments=attachments,
        )

    async def search_all_folders(self, query: str, *, limit: int = 10_000) -> list[MessageRow]:
        """The newest `limit` messages of every folder of every account matching the query
        (the window's "All folders" search; the same syntax as search_messages)."""
        return await self.search_messages(query, limit=limit)

    # (end of the sent folder view block)
    # --- end sent folder view ---

    # --- store upkeep ---
    # (begin of the block owned by the store upkeep work; the substance is in
    # engine.store_upkeep)

    _store_upkeep: StoreUpkeep | None = None

    @property
    def store_upkeep(self) -> StoreUpkeep:
        """The cleanup of the profile's message store (opened on first use)."""
        if self._store_upkeep is None:
            database, blobs = self._mail_store()
            self._store_upkeep = StoreUpkeep(
                database,
                blobs,
                drafts_dir=self.profile.root / "drafts",
                state_file=self.profile.root / STORE_UPKEEP_STATE,
            )
        return self._store_upkeep

    async def clean_store(self) -> UpkeepReport:
        """Delete the bytes of messages nothing refers to any more (deleted mail, sent
        messages removed from the outbox, their reports) and compact the pack files, now,
        whenever the last run was; in a worker thread. Waits for a run already under way in
        this process, then runs again."""
        report = await asyncio.to_thread(self.store_upkeep.run)
        assert report is not None  # run() waits for the lock
        return report

    async def _clean_store_if_due(self) -> UpkeepReport | None:
        """After a successful sync: clean the store at most once a day. Never raises (a
        failed cleanup must not turn a good sync into an error); failures are logged."""
        try:
            upkeep = self.store_upkeep
            if not upkeep.due():
                return None
            return await asyncio.to_thread(upkeep.run_if_due)
        except (MailAppError, OSError):
            _upkeep_log.warning("cleaning the message store failed", exc_info=True)
            return None

    @contextlib.asynccontextmanager
    async def _store_upkeep_while_watching(
        self, progress: SyncProgressCallback | None
    ) -> AsyncIterator[SyncProgressCallback]:
        """A progress callback for a watch that also cleans the store (at most once a day)
        each time a sync pass reports it is done; a cleanup still running when the watch
        ends is waited for."""
        tasks: set[asyncio.Task[UpkeepReport | None]] = set()

        def relay(step: SyncProgress) -> None:
            if progress is not None:
                progress(step)
            if step.phase == "done" and not tasks and self.store_upkeep.due():
                task = asyncio.get_running_loop().create_task(self._clean_store_if_due())
                tasks.add(task)
                task.add_done_callback(tasks.discard)

        try:
            yield relay
        finally:
            # Its worker thread cannot be stopped and the database must not be closed under
            # it: let a cleanup under way finish (bounded work) rather than cancel it.
            for task in list(tasks):
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.shield(task)

    # (end of the store upkeep block)
    # --- end store upkeep ---
