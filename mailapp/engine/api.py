"""The engine facade: the only engine module the window (and the CLI) talks to.

Imports: everything in the engine, core, secrets; never Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace

from mailapp.core.checks import CheckReport, CheckStep
from mailapp.core.draft import Draft
from mailapp.core.errors import (
    ConfigError,
    MailAppError,
    MessageNotFoundError,
    SecretError,
    UnsupportedError,
)
from mailapp.core.model import Account, IncomingProtocol
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
from mailapp.engine.outbox_worker import SendProgress, SendStage, SmtpCredentials, WorkerReport
from mailapp.engine.profile import Profile
from mailapp.engine.sending import DeliveryStatus, SendingService, SendResult, SentSummary
from mailapp.engine.sync.changes import ChangeQueue, parse_flag
from mailapp.engine.sync.imap_sync import ImapSync, IngestHook, SyncReport
from mailapp.engine.sync.imap_sync import ProgressCallback as SyncProgressCallback
from mailapp.engine.sync.pop3_fetch import Pop3Fetch, Pop3FetchReport
from mailapp.engine.tracking import IngestResult
from mailapp.secrets.base import INCOMING, OUTGOING, CredentialStore
from mailapp.secrets.vault import open_default_store, resolve_password
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRow
from mailapp.store.messages import MessageFlag, MessageRepository, MessageRow
from mailapp.store.outbox import OutboxEntry
from mailapp.store.pop3_uidls import Pop3UidlRepository
from mailapp.store.search import SearchRepository
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.tls import normalize_fingerprint

__all__ = [
    "STEP_ORDER",
    "DeliveryStatus",
    "DiscoveryConfig",
    "DiscoveryResult",
    "DiscoveryStep",
    "Engine",
    "FoundServer",
    "IngestResult",
    "ProgressCallback",
    "SendProgress",
    "SendResult",
    "SendStage",
    "SentSummary",
    "ServerKind",
    "StepName",
    "StepOutcome",
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
            self._mail_blobs = BlobStore(self.profile.blobs_dir)
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
        )

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
            return (await self._pop3_fetch(account, progress).fetch()).as_sync_report()
        sync = self._imap_sync(account, progress)
        try:
            return await sync.sync(folders)
        finally:
            await sync.disconnect()

    async def watch_account(
        self, name: str, stop: asyncio.Event, progress: SyncProgressCallback | None = None
    ) -> None:
        """Sync, then keep the Inbox current (IDLE) until `stop` is set."""
        account = self.get_account(name)
        if account.incoming_protocol is IncomingProtocol.POP3:  # POP3 fetch block below
            await self._pop3_fetch(account, progress).watch(stop)
            return
        await self._imap_sync(account, progress).watch(stop)

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

            self._sending = SendingService(
                database,
                blobs,
                accounts=self.get_account,
                credentials=smtp_credentials,
                timeout=self.network_timeout,
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
