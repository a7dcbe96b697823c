"""Downloading every body for offline use (ImapSync.download_bodies, Engine.download_bodies,
`mailapp sync --bodies all`) against the real Dovecot."""

from __future__ import annotations

import contextlib
import imaplib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli_profile import CliProfile

from mailapp.core.model import (
    Account,
    AccountOptions,
    IncomingProtocol,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.engine.sync import imap_sync
from mailapp.engine.sync.imap_sync import ImapSync, SyncProgress
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository
from mailapp.store.messages import MessageRepository, MessageRow
from mailapp.store.search import SearchRepository

pytestmark = pytest.mark.mailstack

REPO = Path(__file__).resolve().parents[2]


class Store:
    def __init__(self, root: Path) -> None:
        self.db = Database.open(root / "mail.sqlite3")
        self.blobs = BlobStore(root / "messages")
        self.folders = FolderRepository(self.db)
        self.messages = MessageRepository(self.db)
        self.search = SearchRepository(self.db)

    def rows(self, folder: str) -> list[MessageRow]:
        row = self.folders.by_name("acct", folder)
        assert row is not None, f"no folder {folder}"
        return self.messages.window(row.id, limit=10_000)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path)
    try:
        yield s
    finally:
        s.db.close()


def imap_session(stack: Any, address: str, password: str) -> imaplib.IMAP4:
    for attempt in range(30):
        client = imaplib.IMAP4(stack.host, stack.ports.imap, timeout=15)
        client.starttls(ssl_context=stack.ssl_context())
        try:
            client.login(address, password)
            return client
        except imaplib.IMAP4.error:
            with contextlib.suppress(Exception):
                client.shutdown()
            if attempt == 29:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def mail(subject: str, word: str, size: int = 0) -> bytes:
    filler = b"".join(b"line %d of padding text\r\n" % i for i in range(size // 25))
    return (
        f"From: Sender <sender@outside.test>\r\nTo: someone@example.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@outside.test>\r\n"
        f"\r\nthe word {word} is here\r\n"
    ).encode() + filler


@pytest.fixture
def mailbox(mailstack: Any) -> tuple[str, str]:
    """A user with 12 messages in INBOX and 5 in Archive, put there with APPEND."""
    address, password = mailstack.unique_user("offline")
    client = imap_session(mailstack, address, password)
    try:
        client.create("Archive")
        for i in range(12):
            client.append(
                "INBOX",
                "",
                imaplib.Time2Internaldate(time.time()),
                mail(f"in {i}", f"inword{i}", 3000 * i),
            )
        for i in range(5):
            client.append(
                "Archive", "", imaplib.Time2Internaldate(time.time()), mail(f"ar {i}", f"arword{i}")
            )
    finally:
        client.logout()
    return address, password


def make_sync(stack: Any, user: tuple[str, str], store: Store, **kwargs: Any) -> ImapSync:
    server = ServerSettings(stack.host, stack.ports.imap, Security.STARTTLS, user[0])
    account = Account(
        "acct", user[0], "Test", IncomingProtocol.IMAP, server, server,
        TlsTrust(ca_file=str(stack.ca_file)), AccountOptions(),
    )  # fmt: skip

    async def password() -> str:
        return user[1]

    kwargs.setdefault("retry_delays", (0.05, 0.1))
    return ImapSync(account, database=store.db, blobs=store.blobs, password=password, **kwargs)


async def test_download_bodies_fetches_every_folder_in_durable_batches(
    mailstack: Any, mailbox: tuple[str, str], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches by bytes, so the fetch of one overlaps the storing of the previous.
    monkeypatch.setattr(imap_sync, "BODY_BATCH_BYTES", 8000)
    steps: list[SyncProgress] = []
    sync = make_sync(mailstack, mailbox, store, prefetch_inbox=0, progress=steps.append)
    try:
        report = await sync.download_bodies()
        # The text index follows the download (ADR 0007); this waits until it caught up.
        await sync.index_pending()
    finally:
        await sync.disconnect()
    assert not report.errors
    bodies = {f.folder: f.bodies for f in report.folders}
    assert bodies["INBOX"] == 12 and bodies["Archive"] == 5
    for folder in ("INBOX", "Archive"):
        rows = store.rows(folder)
        assert rows and all(r.body_hash is not None for r in rows)
        for row in rows:
            assert row.body_hash is not None
            assert store.blobs.get(row.body_hash).startswith(b"From: Sender")
            assert row.preview.startswith("the word")
    done = [s.done for s in steps if s.phase == "bodies" and s.folder == "INBOX"]
    assert done[0] == 0 and done[-1] == 12 and len(done) > 3  # several batches
    assert [r.subject for r in store.search.search("inword7")] == ["in 7"]
    assert [r.subject for r in store.search.search("arword3")] == ["ar 3"]
    # Nothing is left to fetch: a second run downloads nothing.
    again = make_sync(mailstack, mailbox, store, prefetch_inbox=0)
    try:
        second = await again.download_bodies(["Archive"])
    finally:
        await again.disconnect()
    assert [(f.folder, f.bodies) for f in second.folders] == [("Archive", 0)]


async def test_a_download_cut_short_keeps_its_batches_and_resumes(
    mailstack: Any, mailbox: tuple[str, str], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap_sync, "BODY_BATCH_BYTES", 1)  # one message per batch
    sync = make_sync(mailstack, mailbox, store, prefetch_inbox=0, retry_delays=())
    original = ImapSync._commit_bodies
    calls = 0

    def failing(self: ImapSync, *args: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError("the disk went away")
        return original(self, *args)

    monkeypatch.setattr(ImapSync, "_commit_bodies", failing)
    try:
        with pytest.raises(OSError, match="went away"):
            await sync.download_bodies(["INBOX"])
    finally:
        await sync.disconnect()
    kept = [r for r in store.rows("INBOX") if r.body_hash is not None]
    assert len(kept) == 3  # the batches committed before the failure
    monkeypatch.setattr(ImapSync, "_commit_bodies", original)
    again = make_sync(mailstack, mailbox, store, prefetch_inbox=0)
    try:
        report = await again.download_bodies(["INBOX"])
    finally:
        await again.disconnect()
    assert [(f.folder, f.bodies) for f in report.folders] == [("INBOX", 9)]
    assert all(r.body_hash is not None for r in store.rows("INBOX"))


def test_cli_sync_bodies_all(mailstack: Any, mailbox: tuple[str, str], tmp_path: Path) -> None:
    profile = CliProfile(tmp_path, mailbox[1])
    profile.add_imap_account("work", mailstack, mailbox[0])
    cli = profile.run
    synced = cli("sync", "--bodies", "all")
    assert synced.returncode == 0, synced.stderr
    assert "work/Archive: 5 new" in synced.stdout and "5 bodies downloaded" in synced.stdout
    database = Database.open(profile.profile / "mail.sqlite3")
    try:
        with database.read() as connection:
            missing = connection.execute(
                "SELECT count(*) FROM messages WHERE body_hash IS NULL"
            ).fetchone()[0]
    finally:
        database.close()
    assert missing == 0
