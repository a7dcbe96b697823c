"""A bulk download into packs with the text index following it (ADR 0007), against the real
Dovecot: bodies durable in pack files, then searchable once the indexer caught up; an indexer
stopped half way resumes; the engine's `mailapp sync --bodies all` leaves every body word
searchable when it returns."""

from __future__ import annotations

import asyncio
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
from mailapp.engine.sync.imap_sync import ImapSync
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository
from mailapp.store.messages import MessageRepository, MessageRow
from mailapp.store.search import SearchRepository
from mailapp.store.text_queue import BodyTextQueue

pytestmark = pytest.mark.mailstack

REPO = Path(__file__).resolve().parents[2]
COUNT = 14


class Store:
    def __init__(self, root: Path) -> None:
        self.db = Database.open(root / "mail.sqlite3")
        self.blobs = BlobStore(root / "messages", self.db)
        self.folders = FolderRepository(self.db)
        self.messages = MessageRepository(self.db)
        self.search = SearchRepository(self.db)
        self.queue = BodyTextQueue(self.db)

    def rows(self, folder: str = "INBOX") -> list[MessageRow]:
        row = self.folders.by_name("acct", folder)
        assert row is not None, f"no folder {folder}"
        return self.messages.window(row.id, limit=10_000)

    def subjects(self, query: str) -> list[str]:
        return sorted(r.subject for r in self.search.search(query))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path)
    try:
        yield s
    finally:
        s.db.close()


def mail(i: int) -> bytes:
    filler = b"".join(b"padding line %d\r\n" % n for n in range(i * 40))
    return (
        f"From: Sender <sender@outside.test>\r\nTo: someone@example.test\r\n"
        f"Subject: packed {i}\r\nMessage-ID: <packed.{i}@outside.test>\r\n"
        f"\r\nthe body word bodyword{i} is here\r\n"
    ).encode() + filler


@pytest.fixture
def mailbox(mailstack: Any) -> tuple[str, str]:
    address, password = mailstack.unique_user("packs")
    for attempt in range(30):
        client = imaplib.IMAP4(mailstack.host, mailstack.ports.imap, timeout=15)
        client.starttls(ssl_context=mailstack.ssl_context())
        try:
            client.login(address, password)
            break
        except imaplib.IMAP4.error:
            with contextlib.suppress(Exception):
                client.shutdown()
            if attempt == 29:
                raise
            time.sleep(0.1)
    try:
        for i in range(COUNT):
            client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), mail(i))
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
    kwargs.setdefault("prefetch_inbox", 0)
    return ImapSync(account, database=store.db, blobs=store.blobs, password=password, **kwargs)


async def test_bodies_go_into_packs_and_the_index_follows(
    mailstack: Any, mailbox: tuple[str, str], store: Store
) -> None:
    sync = make_sync(mailstack, mailbox, store)
    try:
        report = await sync.download_bodies(["INBOX"])
        assert [(f.folder, f.bodies) for f in report.folders] == [("INBOX", COUNT)]
        rows = store.rows()
        assert len(rows) == COUNT and all(r.body_hash is not None for r in rows)
        # Durable and readable offline at once, from one pack, no file per message.
        packs = list(store.blobs.packs_dir.iterdir())
        assert len(packs) == 1
        for row in rows:
            assert row.body_hash is not None
            assert not store.blobs.path_for(row.body_hash).exists()
            assert store.blobs.get(row.body_hash) == mail(int(row.subject.split()[1]))
        assert await sync.index_pending() >= 0
    finally:
        await sync.disconnect()
    assert store.queue.count() == 0
    assert store.subjects("bodyword7") == ["packed 7"]
    assert store.subjects("bodyword13") == ["packed 13"]
    assert all(r.preview.startswith("the body word") for r in store.rows())


async def test_an_indexer_stopped_half_way_resumes(
    mailstack: Any, mailbox: tuple[str, str], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap_sync, "INDEX_CHUNK", 4)
    original = ImapSync._index_commit
    calls = 0

    def failing(self: ImapSync, chunk: Any) -> None:
        nonlocal calls
        calls += 1
        if calls >= 3:  # the background indexer or ours, whichever runs first, and then both
            raise OSError("the machine went down")
        original(self, chunk)

    monkeypatch.setattr(ImapSync, "_index_commit", failing)
    sync = make_sync(mailstack, mailbox, store)
    try:
        await sync.download_bodies(["INBOX"])
        with pytest.raises(OSError, match="went down"):
            await sync.index_pending()
    finally:
        await sync.disconnect()
    assert store.queue.count() == COUNT - 8  # two chunks of 4 committed
    indexed = [r for r in store.rows() if r.preview]
    waiting = [r for r in store.rows() if not r.preview]
    assert len(indexed) == 8 and len(waiting) == COUNT - 8
    for row in indexed:
        assert store.subjects(f"bodyword{row.subject.split()[1]}") == [row.subject]
    for row in waiting:  # found by its headers meanwhile, not yet by its body
        assert store.subjects(f'"{row.subject}"') == [row.subject]
        assert store.subjects(f"bodyword{row.subject.split()[1]}") == []
    monkeypatch.setattr(ImapSync, "_index_commit", original)
    again = make_sync(mailstack, mailbox, store)
    try:
        report = await again.download_bodies(["INBOX"])  # nothing to fetch; indexes the rest
        assert [(f.folder, f.bodies) for f in report.folders] == [("INBOX", 0)]
        await again.index_pending()
    finally:
        await again.disconnect()
    assert store.queue.count() == 0
    for i in range(COUNT):
        assert store.subjects(f"bodyword{i}") == [f"packed {i}"]


def test_cli_sync_bodies_all_leaves_body_words_searchable(
    mailstack: Any, mailbox: tuple[str, str], tmp_path: Path
) -> None:
    profile = CliProfile(tmp_path, mailbox[1])
    profile.add_imap_account("work", mailstack, mailbox[0])
    cli = profile.run
    synced = cli("sync", "--bodies", "all")
    assert synced.returncode == 0, synced.stderr
    database = Database.open(profile.profile / "mail.sqlite3")
    try:
        assert BodyTextQueue(database).count() == 0
        search = SearchRepository(database)
        for i in (0, 6, COUNT - 1):
            assert [r.subject for r in search.search(f"bodyword{i}")] == [f"packed {i}"]
        with database.read() as connection:
            packed = connection.execute("SELECT count(*) FROM blob_packs").fetchone()[0]
    finally:
        database.close()
    assert packed == COUNT  # the engine's store keeps packs


async def test_the_background_indexer_stops_between_chunks(
    mailstack: Any, mailbox: tuple[str, str], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap_sync, "INDEX_CHUNK", 2)
    sync = make_sync(mailstack, mailbox, store)
    try:
        await sync.download_bodies(["INBOX"])
        await sync.stop_indexer()  # what an owner does before closing the database
        assert sync._indexer is not None and sync._indexer.done()
        left = store.queue.count()
        assert left % 2 == 0  # whole chunks only
        assert await sync.index_pending() == left
    finally:
        await sync.disconnect()
    assert store.queue.count() == 0
    assert store.subjects("bodyword5") == ["packed 5"]


async def test_the_watch_indexes_what_a_stopped_download_left(
    mailstack: Any, mailbox: tuple[str, str], store: Store
) -> None:
    sync = make_sync(mailstack, mailbox, store)
    try:
        await sync.download_bodies(["INBOX"])
        await sync.stop_indexer()  # the window closed right after the download
    finally:
        await sync.disconnect()
    left = store.queue.count()
    assert left > 0 or all(r.preview for r in store.rows())
    if left == 0:  # the indexer was quicker than the stop: queue the bodies again
        with store.db.write() as connection:
            store.queue.record_downloads(connection, [(r.id, r.body_hash) for r in store.rows()])
        assert store.queue.count() == COUNT
    watcher = make_sync(mailstack, mailbox, store)
    stop = asyncio.Event()
    watching = asyncio.create_task(watcher.watch(stop, full_every=600))
    try:
        for _ in range(300):
            if store.queue.count() == 0:
                break
            await asyncio.sleep(0.1)
        assert store.queue.count() == 0, "the watch did not index the waiting bodies"
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)
    for i in range(COUNT):
        assert store.subjects(f"bodyword{i}") == [f"packed {i}"]
