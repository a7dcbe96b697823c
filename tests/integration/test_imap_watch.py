"""The IMAP watch (ImapSync.watch, Engine.watch_account) against the real Dovecot: once the
Inbox is in the store, a quiet Inbox costs an IDLE, not a stream of commands; a message the
ingest hook fails on, or files away, is handled once and not fetched again on every wake-up.

Commands are counted from the client's wire log (logger `mailapp.imap.wire`, one "C: " record
per command line sent) during a quiet period after the watch has settled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.mailstack import MailStack, MailUser

from mailapp.app.cli.mail import _send_outbox
from mailapp.core.delivery import DeliveryState, OutboxState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import (
    Account,
    AccountOptions,
    IncomingProtocol,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.engine.sync.imap_sync import ImapSync
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository
from mailapp.store.messages import MessageRepository

pytestmark = pytest.mark.mailstack

ACCOUNT = "watched"
# Long enough for a spinning loop to show hundreds of commands, short enough for the suite.
QUIET_SECONDS = 4.0
# A settled watch sends at most an IDLE (and its DONE when the test stops it).
MAX_QUIET_COMMANDS = 4


class WireCounter(logging.Handler):
    """Keeps the commands the IMAP client sends (the wire log's "C: " lines)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("C: "):
            self.sent.append(text[3:])


@pytest.fixture
def wire() -> Iterator[WireCounter]:
    logger = logging.getLogger("mailapp.imap.wire")
    counter = WireCounter()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def account_for(mailstack: MailStack, user: MailUser) -> Account:
    host, ports = mailstack.host, mailstack.ports
    return Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Watcher",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(host, ports.imap, Security.STARTTLS, user.address),
        outgoing=ServerSettings(host, ports.submission, Security.STARTTLS, user.address),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
        options=AccountOptions(),
    )


def bounce_like(to: str, tag: str) -> bytes:
    """A DSN about a message never sent from here (nothing will match it)."""
    return (
        f"From: MAILER-DAEMON@elsewhere.test\r\nTo: {to}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{tag}@elsewhere.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; elsewhere.test\r\n\r\n"
        "Final-Recipient: rfc822; ghost@elsewhere.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b1--\r\n"
    ).encode()


class Store:
    def __init__(self, root: Path) -> None:
        self.db = Database.open(root / "mail.sqlite3")
        self.blobs = BlobStore(root / "messages")
        self.folders = FolderRepository(self.db)
        self.messages = MessageRepository(self.db)

    def subjects(self, folder: str = "INBOX") -> list[str]:
        row = self.folders.by_name(ACCOUNT, folder)
        if row is None:
            return []
        return [m.subject for m in self.messages.window(row.id, limit=1000)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path)
    try:
        yield s
    finally:
        s.db.close()


def make_sync(
    mailstack: MailStack, user: MailUser, store: Store, hook: Callable[[bytes], object]
) -> ImapSync:
    async def password() -> str:
        return user.password

    return ImapSync(
        account_for(mailstack, user),
        database=store.db,
        blobs=store.blobs,
        password=password,
        on_new_inbox_message=hook,
        retry_delays=(0.05, 0.1),
    )


async def until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def quiet_commands(wire: WireCounter, settled: Callable[[], bool]) -> list[str]:
    """The commands sent during QUIET_SECONDS once `settled` holds (plus a short grace for
    the watch to reach IDLE)."""
    await until(settled, "the watch to settle")
    await asyncio.sleep(1.0)
    start = len(wire.sent)
    await asyncio.sleep(QUIET_SECONDS)
    return wire.sent[start:]


async def watch_quietly(
    sync: ImapSync, wire: WireCounter, settled: Callable[[], bool]
) -> list[str]:
    stop = asyncio.Event()
    watching = asyncio.create_task(sync.watch(stop, full_every=600, idle_seconds=600))
    try:
        return await quiet_commands(wire, settled)
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)


async def test_quiet_inbox_costs_one_idle(
    mailstack: MailStack, mail_user: MailUser, store: Store, wire: WireCounter
) -> None:
    await asyncio.to_thread(
        mailstack.deliver, bounce_like(mail_user.address, "q1"), mail_user.address
    )
    await asyncio.to_thread(mailstack.wait_for_inbox, mail_user.address, b"<q1@")
    seen: list[bytes] = []
    sync = make_sync(mailstack, mail_user, store, seen.append)
    sent = await watch_quietly(sync, wire, lambda: bool(store.subjects()))
    assert len(sent) <= MAX_QUIET_COMMANDS, sent


async def test_message_the_hook_fails_on_is_not_fetched_again(
    mailstack: MailStack, mail_user: MailUser, store: Store, wire: WireCounter
) -> None:
    calls: list[bytes] = []

    def failing(raw: bytes) -> object:
        calls.append(raw)
        raise RuntimeError("the tracker broke")

    sync = make_sync(mailstack, mail_user, store, failing)
    stop = asyncio.Event()
    watching = asyncio.create_task(sync.watch(stop, full_every=600, idle_seconds=600))
    try:
        await until(lambda: store.folders.by_name(ACCOUNT, "INBOX") is not None, "first sync")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(
            mailstack.deliver, bounce_like(mail_user.address, "f1"), mail_user.address
        )
        await until(lambda: bool(calls), "the hook to run")
        sent = await quiet_commands(wire, lambda: bool(store.subjects()))
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)
    assert len(sent) <= MAX_QUIET_COMMANDS, sent
    assert len(calls) == 1


async def test_filed_report_is_moved_once_and_the_watch_goes_quiet(
    mailstack: MailStack, mail_user: MailUser, store: Store, wire: WireCounter
) -> None:
    calls: list[bytes] = []

    def filing(raw: bytes) -> object:
        calls.append(raw)
        return b"<r1@" in raw

    sync = make_sync(mailstack, mail_user, store, filing)
    stop = asyncio.Event()
    watching = asyncio.create_task(sync.watch(stop, full_every=600, idle_seconds=600))
    try:
        await until(lambda: store.folders.by_name(ACCOUNT, "INBOX") is not None, "first sync")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(
            mailstack.deliver, bounce_like(mail_user.address, "r1"), mail_user.address
        )
        await until(lambda: bool(calls), "the hook to run")
        # Moved on the server (the watch syncs only the Inbox; the store follows later).
        await asyncio.to_thread(
            mailstack.wait_for_inbox, mail_user.address, b"<r1@", mailbox='"Delivery Reports"'
        )
        sent = await quiet_commands(wire, lambda: store.subjects() == [])
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)
    assert len(sent) <= MAX_QUIET_COMMANDS, sent
    assert len(calls) == 1
    assert store.subjects() == []


async def test_engine_watch_with_a_real_report_goes_quiet(
    mailstack: MailStack, mail_user: MailUser, tmp_path: Path, wire: WireCounter
) -> None:
    """The reported case: Postfix's DSN sits in the Inbox when the watch starts."""
    engine = Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())
    await engine.add_account(account_for(mailstack, mail_user), mail_user.password)
    sent = await engine.send(
        ACCOUNT,
        Draft(
            from_=Mailbox(mail_user.address),
            to=(Mailbox(mailstack.address("bob")),),
            subject="Watch me",
            text_body="Hello Bob.\n",
        ),
        request_dsn=True,
    )
    mid = sent.message_id.encode()
    await asyncio.to_thread(
        mailstack.wait_for_inbox,
        mail_user.address,
        lambda raw: mid in raw and b"Action: delivered" in raw,
    )
    states: list[DeliveryState] = []

    def delivered() -> bool:
        return states == [DeliveryState.DELIVERED]

    stop = asyncio.Event()
    watching = asyncio.create_task(engine.watch_account(ACCOUNT, stop))
    try:
        for _ in range(300):
            status = await engine.delivery_status(sent.message_id)
            states[:] = [r.state for r in status.recipients]
            if delivered():
                break
            await asyncio.sleep(0.1)
        await asyncio.to_thread(
            mailstack.wait_for_inbox, mail_user.address, mid, mailbox='"Delivery Reports"'
        )
        sent_quiet = await quiet_commands(wire, delivered)
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)
    assert len(sent_quiet) <= MAX_QUIET_COMMANDS, sent_quiet


async def test_sync_watch_sends_the_outbox(
    mailstack: MailStack, mail_user: MailUser, tmp_path: Path
) -> None:
    """`mailapp sync --watch` runs the outbox beside the watch (mail._send_outbox)."""
    engine = Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())
    account = account_for(mailstack, mail_user)
    await engine.add_account(account, mail_user.password)
    queued = await engine.send(
        ACCOUNT,
        Draft(
            from_=Mailbox(mail_user.address),
            to=(Mailbox(mailstack.address("bob")),),
            subject="Queued for the watch",
            text_body="Hello Bob.\n",
        ),
        request_dsn=False,
        wait=False,
    )
    assert queued.state is OutboxState.QUEUED
    stop = asyncio.Event()
    sending = asyncio.create_task(_send_outbox(engine, [account], stop))
    try:
        mid = queued.message_id.encode()
        await asyncio.to_thread(mailstack.wait_for_inbox, "bob", mid)
        status = await engine.delivery_status(queued.message_id)
        assert status.entry.state is OutboxState.SENT
    finally:
        stop.set()
        await asyncio.wait_for(sending, 30)
