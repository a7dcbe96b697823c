"""The copy of a sent message in the account's Sent folder on the IMAP server (APPEND).

Imports: core, protocols.imap (command builder, response codes), store.folders,
transport.imap, engine (outbox_worker's SentCopier, sync.roles) and the stdlib.

The message is marked sent before its copy is made, as Geary does: the copy is a second,
separate step. When it fails (server down, folder gone, quota) the outbox records the copy as
pending with the reason and the worker tries again on its next run; a failed copy never makes
the message be sent again. A retried copy first looks in Sent for the Message-ID, so an APPEND
whose answer was lost (the connection broke after the server stored it) is not filed twice.

The folder: the one the store knows with the Sent role, else the server's LIST (RFC 6154
\\Sent attribute, then the well-known names), else "Sent" is created (with USE (\\Sent)
where the server has CREATE-SPECIAL-USE). The bytes are those handed to the SMTP server,
flagged \\Seen, dated when the server took them. POP3 accounts have no server folder: their
copy stays the outbox's local one (the fallback copier).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mailapp.core.delivery import SentCopyState
from mailapp.core.errors import ImapCommandError, TransportError
from mailapp.core.model import Account, IncomingProtocol
from mailapp.engine.outbox_worker import SentCopier
from mailapp.engine.sync.roles import assign_roles
from mailapp.protocols.imap import AppendUidCode, CommandBuilder
from mailapp.store.delivery import now_utc
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.outbox import OutboxEntry
from mailapp.transport.imap import DEFAULT_TIMEOUT, ImapClient

__all__ = ["DEFAULT_SENT_NAME", "AppendedCopy", "ImapSentCopier"]

log = logging.getLogger("mailapp.outbox")

DEFAULT_SENT_NAME = "Sent"
# Codes of a NO to APPEND that say the folder is not there (RFC 3501 TRYCREATE, RFC 5530).
_MISSING_CODES = frozenset({"TRYCREATE", "NONEXISTENT"})
# Gmail files every message sent through its SMTP in "Sent Mail" itself; a copy would be a
# second one.
_FILES_OWN_COPY = "X-GM-EXT-1"
# Our own tags on the shared connection (the client's are A1, A2, ...).
_TAG_PREFIX = "S"

AccountPassword = Callable[[Account], Awaitable[str]]
ClientFactory = Callable[[Account], ImapClient]


@dataclass(frozen=True, slots=True)
class AppendedCopy:
    """Where a copy went: folder and, when the server says (UIDPLUS APPENDUID), its UID."""

    folder: str
    uidvalidity: int | None = None
    uid: int | None = None


@dataclass(slots=True)
class _Link:
    """One logged-in connection of an account, kept for the copies of one worker run."""

    client: ImapClient
    builder: CommandBuilder
    sent: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ImapSentCopier:
    """SentCopier for IMAP accounts: APPEND to the \\Sent folder; others go to `fallback`.

    One connection per account, opened on the first copy and kept until `release` (the
    worker calls it at the end of each run). `appended` holds, per outbox id, where each copy
    made by this copier went."""

    def __init__(
        self,
        fallback: SentCopier,
        *,
        password: AccountPassword,
        folders: FolderRepository | None = None,
        client_factory: ClientFactory | None = None,
        create_name: str = DEFAULT_SENT_NAME,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._fallback = fallback
        self._password = password
        self._folders = folders
        self._factory = client_factory or self._default_client
        self.create_name = create_name
        self.timeout = timeout
        self.appended: dict[int, AppendedCopy] = {}
        self._links: dict[str, _Link] = {}
        self._opening: dict[str, asyncio.Lock] = {}

    def _default_client(self, account: Account) -> ImapClient:
        return ImapClient(
            account.incoming,
            account.trust,
            timeout=self.timeout,
            allow_plaintext_loopback=account.options.allow_plaintext_loopback,
        )

    # -- SentCopier ---------------------------------------------------------------------------

    async def copy(self, account: Account, entry: OutboxEntry, raw: bytes) -> SentCopyState:
        """File `raw` in the account's Sent folder. DONE, SKIPPED (the server files its own),
        or MailAppError with the reason (the worker keeps the copy pending)."""
        if account.incoming_protocol is not IncomingProtocol.IMAP:
            return await self._fallback.copy(account, entry, raw)
        link = await self._link(account)
        async with link.lock:
            try:
                return await self._copy(link, account, entry, raw)
            except TransportError:
                # The connection is gone or in an unknown state: the next copy opens another.
                await self._drop(account.name, link)
                raise

    async def release(self) -> None:
        """Log out of every connection opened for copies."""
        links, self._links = self._links, {}
        for link in links.values():
            await link.client.logout()
        await self._fallback.release()

    # -- the steps ----------------------------------------------------------------------------

    async def _link(self, account: Account) -> _Link:
        opening = self._opening.setdefault(account.name, asyncio.Lock())
        async with opening:
            link = self._links.get(account.name)
            if link is not None and link.client.connected:
                return link
            if link is not None:
                await self._drop(account.name, link)
            client = self._factory(account)
            try:
                await client.connect()
                await client.login(await self._password(account))
            except BaseException:
                await client.close()
                raise
            link = _Link(client, self._builder_for(client))
            self._links[account.name] = link
            return link

    @staticmethod
    def _builder_for(client: ImapClient) -> CommandBuilder:
        # APPEND with a date and CREATE with USE need builder options the client's own
        # methods do not take; a builder with its own tag prefix shares the connection.
        return CommandBuilder(
            capabilities=client.capabilities, tag_prefix=_TAG_PREFIX, utf8=client.utf8
        )

    async def _drop(self, name: str, link: _Link) -> None:
        if self._links.get(name) is link:
            del self._links[name]
        await link.client.close()

    async def _copy(
        self, link: _Link, account: Account, entry: OutboxEntry, raw: bytes
    ) -> SentCopyState:
        client = link.client
        if client.has(_FILES_OWN_COPY):
            return SentCopyState.SKIPPED
        folder = await self._sent_folder(link, account)
        if entry.sent_at is not None and await self._already_there(link, folder, entry):
            # A retry after an attempt that may have reached the server: never twice.
            log.info("outbox %s: the copy is already in %s", entry.id, folder)
            return SentCopyState.DONE
        try:
            copied = await self._append(link, folder, entry, raw)
        except ImapCommandError as exc:
            if exc.response_code not in _MISSING_CODES:
                raise
            # The folder the store knew is gone on the server: find or create it again.
            link.sent = None
            folder = await self._sent_folder(link, account, fresh=True)
            copied = await self._append(link, folder, entry, raw)
        self.appended[entry.id] = copied
        log.info(
            "outbox %s: copy filed in %s (uid %s)",
            entry.id,
            copied.folder,
            copied.uid if copied.uid is not None else "not given",
        )
        return SentCopyState.DONE

    async def _sent_folder(self, link: _Link, account: Account, *, fresh: bool = False) -> str:
        if link.sent is not None and not fresh:
            return link.sent
        if not fresh and self._folders is not None:
            row = await asyncio.to_thread(self._folders.by_role, account.name, FolderRole.SENT)
            if row is not None and row.selectable:
                link.sent = row.name
                return row.name
        listings = [item for item in await link.client.list_folders() if item.name_valid]
        for name, role in assign_roles(listings).items():
            if role is FolderRole.SENT:
                link.sent = name
                return name
        await self._create(link, self.create_name)
        link.sent = self.create_name
        return self.create_name

    async def _create(self, link: _Link, name: str) -> None:
        client = link.client
        try:
            if client.has("CREATE-SPECIAL-USE"):
                try:
                    await client.run(link.builder.create(name, special_use="\\Sent"))
                except ImapCommandError as exc:
                    if exc.response_code != "USEATTR":
                        raise
                    await client.create(name)  # the server will not give it the role
            else:
                await client.create(name)
        except ImapCommandError as exc:
            if exc.response_code != "ALREADYEXISTS":
                raise
        log.info("%s: created the folder %s for sent messages", client.where, name)

    async def _already_there(self, link: _Link, folder: str, entry: OutboxEntry) -> bool:
        client = link.client
        try:
            await client.select(folder, readonly=True)
        except ImapCommandError as exc:
            if exc.response_code in _MISSING_CODES:
                return False
            raise
        try:
            found = await client.uid_search(["HEADER", "MESSAGE-ID", entry.message_id.encode()])
        finally:
            with contextlib.suppress(ImapCommandError):
                await client.unselect()
        return bool(found)

    async def _append(
        self, link: _Link, folder: str, entry: OutboxEntry, raw: bytes
    ) -> AppendedCopy:
        command = link.builder.append(
            folder, raw, flags=["\\Seen"], internal_date=entry.sent_at or now_utc()
        )
        try:
            result = await link.client.run(command)
        except ImapCommandError as exc:
            if exc.response_code in _MISSING_CODES:
                raise
            raise ImapCommandError(
                f"The copy could not be filed in {folder}: {exc.message}",
                hint=exc.hint,
                status=exc.status,
                response_code=exc.response_code,
            ) from exc
        code = result.tagged.code
        if isinstance(code, AppendUidCode):
            uids = list(code.uids)
            return AppendedCopy(folder, code.uidvalidity, uids[-1] if uids else None)
        return AppendedCopy(folder)
