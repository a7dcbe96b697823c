"""The IMAP sync engine (engine/sync) against the real Dovecot, a scripted fake for a
connection cut in the middle of a FETCH, and the `mailapp sync|list|search|show` commands."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.fake_server import FakeServer, expect, line, starttls
from support.fake_server import drop as drop_connection

from mailapp.core.model import (
    Account,
    AccountOptions,
    IncomingProtocol,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.engine.sync.changes import ChangeQueue
from mailapp.engine.sync.imap_sync import ImapSync, SyncProgress
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.messages import MessageFlag, MessageRepository, MessageRow
from mailapp.store.search import SearchRepository
from mailapp.transport.imap import ImapClient

pytestmark = pytest.mark.mailstack

REPO = Path(__file__).resolve().parents[2]


# --- helpers ---------------------------------------------------------------------------------


class Store:
    def __init__(self, root: Path) -> None:
        self.db = Database.open(root / "mail.sqlite3")
        self.blobs = BlobStore(root / "messages")
        self.folders = FolderRepository(self.db)
        self.messages = MessageRepository(self.db)
        self.search = SearchRepository(self.db)

    def rows(self, account: str, folder: str = "INBOX") -> list[MessageRow]:
        row = self.folders.by_name(account, folder)
        assert row is not None, f"no folder {folder}"
        return self.messages.window(row.id, limit=10_000)

    def by_uid(self, account: str, folder: str = "INBOX") -> dict[int, MessageRow]:
        return {r.uid: r for r in self.rows(account, folder)}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path)
    try:
        yield s
    finally:
        s.db.close()


def make_account(host: str, port: int, address: str, ca_file: str, name: str = "acct") -> Account:
    server = ServerSettings(host, port, Security.STARTTLS, address)
    return Account(
        name=name,
        email=address,
        display_name="Test",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=server,
        outgoing=server,
        trust=TlsTrust(ca_file=ca_file),
        options=AccountOptions(),
    )


def stdlib_imap(stack: Any, address: str) -> imaplib.IMAP4:
    """A logged-in imaplib session (retrying while Dovecot learns of a new user)."""
    for attempt in range(30):
        client = imaplib.IMAP4(stack.host, stack.ports.imap, timeout=15)
        client.starttls(ssl_context=stack.ssl_context())
        try:
            client.login(address, stack.password(address))
            return client
        except imaplib.IMAP4.error:
            with contextlib.suppress(Exception):
                client.shutdown()
            if attempt == 29:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def wait_count(stack: Any, address: str, count: int, mailbox: str = "INBOX") -> None:
    client = stdlib_imap(stack, address)
    try:
        for _ in range(300):
            typ, data = client.select(mailbox, readonly=True)
            if typ == "OK" and int(data[0] or 0) >= count:
                return
            time.sleep(0.1)
    finally:
        client.logout()
    raise AssertionError(f"{address}: {mailbox} did not reach {count} messages")


def message(subject: bytes, body: bytes = b"hello", extra: bytes = b"") -> bytes:
    return (
        b"From: Sender <sender@outside.test>\r\nTo: someone@example.test\r\n"
        b"Subject: " + subject + b"\r\nMessage-ID: <" + subject.hex().encode()[:40]
        + b"@outside.test>\r\n" + extra + b"\r\n" + body + b"\r\n"
    )  # fmt: skip


class LimitedClient(ImapClient):
    """Hides capabilities, to drive the CONDSTORE-only and plain fallbacks on Dovecot."""

    hidden: frozenset[str] = frozenset()

    def has(self, capability: str) -> bool:
        return capability.upper() not in self.hidden and super().has(capability)


def make_sync(
    stack: Any, user: tuple[str, str], store: Store, *, hidden: frozenset[str] = frozenset(),
    **kwargs: Any,
) -> ImapSync:  # fmt: skip
    account = make_account(stack.host, stack.ports.imap, user[0], str(stack.ca_file))

    def factory(acct: Account) -> ImapClient:
        client = LimitedClient(acct.incoming, acct.trust, timeout=20)
        client.hidden = hidden
        return client

    async def password() -> str:
        return user[1]

    kwargs.setdefault("retry_delays", (0.05, 0.1, 0.2))
    return ImapSync(
        account,
        database=store.db,
        blobs=store.blobs,
        password=password,
        client_factory=factory,
        **kwargs,
    )


@pytest.fixture
def user(mailstack: Any) -> tuple[str, str]:
    address, password = mailstack.unique_user("sync")
    stdlib_imap(mailstack, address).logout()  # known to Dovecot from here on
    return address, password


# --- Dovecot ---------------------------------------------------------------------------------


async def test_initial_sync_of_delivered_messages(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    count = 30
    for i in range(count):
        mailstack.deliver(message(b"initial %d" % i, b"body word%d" % i), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], count)
    steps: list[SyncProgress] = []
    sync = make_sync(mailstack, user, store, batch_size=7, progress=steps.append)
    try:
        report = await sync.sync()
    finally:
        await sync.disconnect()
    assert report.new == count
    rows = store.rows("acct")
    assert sorted(r.subject for r in rows) == sorted(f"initial {i}" for i in range(count))
    assert all(r.from_addr == "sender@outside.test" for r in rows)
    roles = {f.name: f.role for f in store.folders.folders("acct")}
    assert roles["INBOX"] is FolderRole.INBOX
    assert roles["Sent"] is FolderRole.SENT and roles["Trash"] is FolderRole.TRASH
    inbox = store.folders.by_name("acct", "INBOX")
    assert inbox is not None and inbox.total == count and inbox.uidnext == count + 1
    assert inbox.highestmodseq is not None
    # Newest first, in batches of 7: the first batch stored holds the highest UIDs.
    headers = [s for s in steps if s.phase == "headers" and s.folder == "INBOX"]
    assert [s.done for s in headers] == [7, 14, 21, 28, 30]
    # The recent Inbox bodies were prefetched and indexed.
    assert all(r.body_hash is not None for r in rows)
    found = store.search.search("word17")
    assert [r.subject for r in found] == ["initial 17"]


@pytest.mark.parametrize(
    "hidden",
    [
        frozenset(),
        frozenset({"QRESYNC"}),
        frozenset({"QRESYNC", "CONDSTORE", "ESEARCH"}),
    ],
    ids=["qresync", "condstore", "plain"],
)
async def test_flags_expunges_and_new_mail_after_resync(
    mailstack: Any, user: tuple[str, str], store: Store, hidden: frozenset[str]
) -> None:
    for i in range(4):
        mailstack.deliver(message(b"m%d" % i), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], 4)
    sync = make_sync(mailstack, user, store, hidden=hidden)
    try:
        await sync.sync()
        assert sorted(store.by_uid("acct")) == [1, 2, 3, 4]

        def change_elsewhere() -> None:
            other = stdlib_imap(mailstack, user[0])
            other.select("INBOX")
            other.uid("STORE", "1", "+FLAGS", "(\\Flagged $Work)")
            other.uid("STORE", "2", "+FLAGS", "(\\Seen)")
            other.uid("STORE", "3", "+FLAGS", "(\\Deleted)")
            other.expunge()
            other.logout()

        await asyncio.to_thread(change_elsewhere)
        mailstack.deliver(message(b"m-new"), user[0])
        await asyncio.to_thread(wait_count, mailstack, user[0], 4)
        report = await sync.sync(["INBOX"])
    finally:
        await sync.disconnect()
    rows = store.by_uid("acct")
    assert sorted(rows) == [1, 2, 4, 5]
    assert MessageFlag.FLAGGED in rows[1].flags and rows[1].keywords == ("$Work",)
    assert MessageFlag.SEEN in rows[2].flags
    assert rows[4].flags == MessageFlag.NONE
    assert rows[5].subject == "m-new"
    inbox = report.folders[0]
    assert (inbox.new, inbox.expunged) == (1, 1)
    folder = store.folders.by_name("acct", "INBOX")
    assert folder is not None and folder.total == 4 and folder.unread == 3


async def test_odd_subjects_survive_into_the_store(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    subjects = [
        b"Re: * important * notice",
        b"* 3 FETCH (looks like a response",
        b"smile :) and (unbalanced ((",
        b'quote " and back\\slash {5}\r\n',
        "Grüße * ) ( ünïcode".encode(),
        b"=?utf-8?q?encoded_*_=28word?=",
    ]
    for subject in subjects:
        mailstack.deliver(message(subject.rstrip(b"\r\n")), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], len(subjects))
    sync = make_sync(mailstack, user, store)
    try:
        await sync.sync(["INBOX"])
    finally:
        await sync.disconnect()
    expected = [s.rstrip(b"\r\n").decode() for s in subjects[:-1]] + ["encoded * (word"]
    assert sorted(r.subject for r in store.rows("acct")) == sorted(expected)


async def test_uidvalidity_change_drops_and_refetches_the_folder(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    def recreate(subjects: list[bytes]) -> int:
        client = stdlib_imap(mailstack, user[0])
        try:
            client.delete("Reset")
            client.create("Reset")
            for s in subjects:
                client.append("Reset", "", None, message(s))
            _, data = client.status("Reset", "(UIDVALIDITY)")
            return int(data[0].split()[-1].rstrip(b")"))
        finally:
            client.logout()

    first = await asyncio.to_thread(recreate, [b"old 1", b"old 2", b"old 3"])
    sync = make_sync(mailstack, user, store)
    try:
        await sync.sync()
        assert sorted(r.subject for r in store.rows("acct", "Reset")) == ["old 1", "old 2", "old 3"]
        second = first
        while second == first:  # Dovecot derives UIDVALIDITY from the clock
            await asyncio.sleep(1.0)
            second = await asyncio.to_thread(recreate, [b"new 1", b"new 2"])
        report = await sync.sync(["Reset"])
    finally:
        await sync.disconnect()
    assert report.folders[0].reset
    assert sorted(r.subject for r in store.rows("acct", "Reset")) == ["new 1", "new 2"]
    folder = store.folders.by_name("acct", "Reset")
    assert folder is not None and folder.uidvalidity == second and folder.total == 2


async def test_a_sync_killed_mid_way_resumes_without_losses(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    count = 25
    for i in range(count):
        mailstack.deliver(message(b"crash %d" % i), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], count)

    class Killed(Exception):
        pass

    def kill_after_first_batch(step: SyncProgress) -> None:
        if step.phase == "headers" and step.done:
            raise Killed

    sync = make_sync(mailstack, user, store, batch_size=10, progress=kill_after_first_batch)
    try:
        with pytest.raises(Killed):
            await sync.sync(["INBOX"])
    finally:
        await sync.disconnect()
    # Only the committed batch (the newest 10) is there; the folder is not marked done.
    assert sorted(store.by_uid("acct")) == list(range(16, 26))
    folder = store.folders.by_name("acct", "INBOX")
    assert folder is not None and folder.uidnext is None
    again = make_sync(mailstack, user, store, batch_size=10)
    try:
        report = await again.sync(["INBOX"])
    finally:
        await again.disconnect()
    assert report.new == 15
    assert sorted(store.by_uid("acct")) == list(range(1, 26))
    folder = store.folders.by_name("acct", "INBOX")
    assert folder is not None and folder.total == 25 and folder.uidnext == 26


async def test_new_inbox_messages_go_to_the_ingest_hook(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    mailstack.deliver(message(b"already there"), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], 1)
    ingested: list[bytes] = []
    sync = make_sync(mailstack, user, store, on_new_inbox_message=ingested.append)
    try:
        await sync.sync()
        assert ingested == []  # the first sync learns the folder; nothing is "new" yet
        mailstack.deliver(message(b"fresh one", b"marker-4711"), user[0])
        await asyncio.to_thread(wait_count, mailstack, user[0], 2)
        await sync.sync(["INBOX"])
    finally:
        await sync.disconnect()
    assert len(ingested) == 1 and b"marker-4711" in ingested[0]
    row = store.by_uid("acct")[2]
    assert row.body_hash is not None and store.blobs.get(row.body_hash) == ingested[0]
    assert [r.uid for r in store.search.search("marker")] == [2]


async def test_body_is_fetched_on_demand(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    mailstack.deliver(message(b"lazy", b"Only-in-the-body zebra"), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], 1)
    sync = make_sync(mailstack, user, store, prefetch_inbox=0)
    try:
        await sync.sync(["INBOX"])
        (row,) = store.rows("acct")
        assert row.body_hash is None and store.search.search("zebra") == []
        raw = await sync.fetch_body(row.id)
    finally:
        await sync.disconnect()
    assert b"Only-in-the-body zebra" in raw and raw.startswith(b"Return-Path")
    stored = store.messages.get(row.id)
    assert stored is not None and stored.body_hash is not None
    assert [r.id for r in store.search.search("zebra")] == [row.id]
    assert "zebra" in stored.preview
    # Second time from the store, with no server needed.
    offline = make_sync(mailstack, (user[0], "wrong"), store)
    assert await offline.fetch_body(row.id) == raw


async def test_watch_picks_up_a_delivery(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    mailstack.deliver(message(b"before watch"), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], 1)
    ingested: list[bytes] = []
    sync = make_sync(mailstack, user, store, on_new_inbox_message=ingested.append)
    stop = asyncio.Event()
    watching = asyncio.create_task(sync.watch(stop, full_every=600))
    try:
        for _ in range(300):
            if store.folders.by_name("acct", "INBOX") and store.rows("acct"):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(mailstack.deliver, message(b"during watch"), user[0])
        for _ in range(600):
            if any(r.subject == "during watch" for r in store.rows("acct")):
                break
            await asyncio.sleep(0.1)
        assert any(r.subject == "during watch" for r in store.rows("acct"))
        assert any(b"during watch" in raw for raw in ingested)
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)


async def test_local_changes_are_replayed_and_refusals_backed_out(
    mailstack: Any, user: tuple[str, str], store: Store
) -> None:
    for i in range(4):
        mailstack.deliver(message(b"change %d" % i), user[0])
    await asyncio.to_thread(wait_count, mailstack, user[0], 4)

    def make_tmp(create: bool) -> None:
        client = stdlib_imap(mailstack, user[0])
        client.create("Tmp") if create else client.delete("Tmp")
        client.logout()

    await asyncio.to_thread(make_tmp, True)
    sync = make_sync(mailstack, user, store)
    try:
        await sync.sync()
        rows = store.by_uid("acct")
        junked, trashed = rows[2].subject, rows[3].subject
        queue = ChangeQueue(store.db)
        queue.change_flags([rows[1].id], add=MessageFlag.SEEN | MessageFlag.FLAGGED)
        queue.move([rows[2].id], "Junk")
        queue.delete([rows[3].id])
        queue.move([rows[4].id], "Tmp")
        # Applied locally at once.
        assert sorted(store.by_uid("acct")) == [1]
        assert MessageFlag.FLAGGED in store.by_uid("acct")[1].flags
        await asyncio.to_thread(make_tmp, False)  # the server will refuse the last move
        report = await sync.sync()
    finally:
        await sync.disconnect()
    assert report.replayed == 3
    assert queue.pending("acct") == []
    assert [kind for _, kind, _ in queue.failures("acct")] == ["move"]

    def server_view() -> dict[str, Any]:
        client = stdlib_imap(mailstack, user[0])
        try:
            client.select("INBOX", readonly=True)
            _, flags = client.uid("FETCH", "1", "(FLAGS)")
            _, inbox = client.uid("SEARCH", "ALL")
            counts = {}
            for name in ("Junk", "Trash"):
                _, data = client.select(name, readonly=True)
                counts[name] = int(data[0])
            return {"flags": flags[0], "inbox": inbox[0].split(), **counts}
        finally:
            client.logout()

    view = await asyncio.to_thread(server_view)
    assert b"\\Seen" in view["flags"] and b"\\Flagged" in view["flags"]
    assert view["inbox"] == [b"1", b"4"]
    assert view["Junk"] == 1 and view["Trash"] == 1
    # The refused move was backed out: message 4 is back in the Inbox here.
    assert sorted(store.by_uid("acct")) == [1, 4]
    assert [r.subject for r in store.rows("acct", "Junk")] == [junked]
    assert [r.subject for r in store.rows("acct", "Trash")] == [trashed]


# --- scripted fake: the connection dies in the middle of a FETCH -----------------------------


def _fetch_line(uid: int) -> bytes:
    subject = b"fake * ( %d" % uid
    return (
        b'* %d FETCH (UID %d FLAGS () RFC822.SIZE 100 INTERNALDATE "01-Jan-2026 10:00:00 +0000" '
        b'ENVELOPE ("Thu, 1 Jan 2026 10:00:00 +0000" {%d}\r\n%s '
        b'(("A" NIL "a" "x.test")) NIL NIL NIL NIL NIL NIL "<m%d@x.test>") '
        b'BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 5 1 NIL NIL NIL NIL) '
        b"BODY[HEADER.FIELDS (REFERENCES)] {2}\r\n\r\n)\r\n"
    ) % (uid, uid, len(subject), subject, uid)


def _tagged(text: str) -> Any:
    return lambda m: m["tag"] + b" " + text.encode()


def _fake_script(context: Any, index: int) -> list[Any]:
    steps: list[Any] = [
        line("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN SASL-IR] fake ready"),
        expect(rb"(?P<tag>\w+) STARTTLS"),
        line(_tagged("OK begin TLS")),
        starttls(context),
        expect(rb"(?P<tag>\w+) CAPABILITY"),
        line("* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR UIDPLUS"),
        line(_tagged("OK done")),
        expect(rb"(?P<tag>\w+) AUTHENTICATE PLAIN "),
        line(_tagged("OK [CAPABILITY IMAP4rev1 UIDPLUS] logged in")),
    ]
    if index == 0:  # the reconnected session goes straight back to the folder
        steps += [
            expect(rb"(?P<tag>\w+) LIST "),
            line('* LIST (\\HasNoChildren) "/" INBOX'),
            line(_tagged("OK listed")),
        ]
    steps += [
        expect(rb"(?P<tag>\w+) SELECT INBOX"),
        line("* 5 EXISTS"),
        line("* OK [UIDVALIDITY 77] ok"),
        line("* OK [UIDNEXT 6] ok"),
        line(_tagged("OK [READ-WRITE] selected")),
        expect(rb"(?P<tag>\w+) UID SEARCH ALL"),
        line("* SEARCH 1 2 3 4 5"),
        line(_tagged("OK searched")),
    ]
    if index == 0:
        cut = _fetch_line(2)
        return [
            *steps,
            expect(rb"(?P<tag>\w+) UID FETCH 4:5 "),
            line(lambda m: _fetch_line(5) + _fetch_line(4) + m["tag"] + b" OK fetched"),
            expect(rb"(?P<tag>\w+) UID FETCH 2:3 "),
            line(lambda m: _fetch_line(3) + cut[: len(cut) // 2]),
            drop_connection(),
        ]
    return [
        *steps,
        # The two stored messages get their flags refreshed; the rest is fetched.
        expect(rb"(?P<tag>\w+) UID FETCH 1:\* \(UID FLAGS\)"),
        line(
            lambda m: (
                b"* 4 FETCH (UID 4 FLAGS (\\Seen))\r\n* 5 FETCH (UID 5 FLAGS ())\r\n"
                + m["tag"]
                + b" OK flags"
            )
        ),
        expect(rb"(?P<tag>\w+) UID FETCH 2:3 "),
        line(lambda m: _fetch_line(3) + _fetch_line(2) + m["tag"] + b" OK fetched"),
        expect(rb"(?P<tag>\w+) UID FETCH 1 "),
        line(lambda m: _fetch_line(1) + m["tag"] + b" OK fetched"),
        expect(rb"(?P<tag>\w+) LOGOUT"),
        line(lambda m: b"* BYE bye\r\n" + m["tag"] + b" OK bye"),
    ]


async def test_connection_cut_mid_fetch_resumes_without_duplicates_or_losses(
    mailstack: Any, store: Store
) -> None:
    context = mailstack.server_ssl_context()
    async with FakeServer(lambda index: _fake_script(context, index)) as server:
        account = make_account(server.host, server.port, "u", str(mailstack.ca_file))

        async def password() -> str:
            return "pw"

        sync = ImapSync(
            account,
            database=store.db,
            blobs=store.blobs,
            password=password,
            batch_size=2,
            prefetch_inbox=0,
            retry_delays=(0.05, 0.1),
        )
        try:
            report = await sync.sync()
        finally:
            await sync.disconnect()
        await server.wait_finished_async(2)
    assert server.errors == []
    assert report.reconnects == 1
    rows = store.by_uid("acct")
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert rows[3].subject == "fake * ( 3"
    assert MessageFlag.SEEN in rows[4].flags
    folder = store.folders.by_name("acct", "INBOX")
    assert folder is not None and folder.total == 5 and folder.uidnext == 6


# --- the command line ------------------------------------------------------------------------


def run_cli(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("MAILAPP_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "mailapp", "--profile", str(profile), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_cli_sync_list_search_show(mailstack: Any, user: tuple[str, str], tmp_path: Path) -> None:
    for i in range(3):
        mailstack.deliver(message(b"cli message %d" % i, b"platypus %d" % i), user[0])
    wait_count(mailstack, user[0], 3)
    secret = tmp_path / "secret.txt"
    secret.write_text(user[1] + "\n")
    secret.chmod(0o600)
    profile = tmp_path / "profile"
    added = run_cli(
        profile, "account", "add", "work",
        "--email", user[0], "--display-name", "Test",
        "--imap", f"{mailstack.host}:{mailstack.ports.imap}", "--incoming-security", "starttls",
        "--smtp", f"{mailstack.host}:{mailstack.ports.submission}", "--smtp-security", "starttls",
        "--user", user[0], "--password-command", f"cat '{secret}'",
        "--ca-file", str(mailstack.ca_file),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    synced = run_cli(profile, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "work/INBOX: 3 new" in synced.stdout
    listed = run_cli(profile, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["subject"] for r in rows) == [f"cli message {i}" for i in range(3)]
    plain = run_cli(profile, "list")
    assert "cli message 2" in plain.stdout
    found = run_cli(profile, "search", "platypus", "--json")
    assert found.returncode == 0, found.stderr
    assert len(json.loads(found.stdout)) == 3
    one = run_cli(profile, "search", "subject:message from:sender 1")
    assert one.returncode == 0 and "cli message 1" in one.stdout
    message_id = next(r["id"] for r in rows if r["subject"] == "cli message 1")
    shown = run_cli(profile, "show", str(message_id))
    assert shown.returncode == 0, shown.stderr
    assert "Subject: cli message 1" in shown.stdout and "platypus 1" in shown.stdout
    flagged = run_cli(profile, "flag", str(message_id), "--set", "flagged", "--json")
    assert flagged.returncode == 0, flagged.stderr
    assert json.loads(flagged.stdout) == {"changed": 1, "sent": 1, "queued": False, "error": None}
    client = stdlib_imap(mailstack, user[0])
    client.select("INBOX", readonly=True)
    _, found_flagged = client.uid("SEARCH", "FLAGGED")
    client.logout()
    assert len(found_flagged[0].split()) == 1
    deleted = run_cli(profile, "delete", str(message_id))
    assert deleted.returncode == 0 and "1 change(s) sent" in deleted.stdout
    assert "cli message 1" not in run_cli(profile, "list").stdout
    trash = json.loads(run_cli(profile, "list", "Trash", "--json").stdout)
    assert trash == []  # known there only after the next sync
    run_cli(profile, "sync")
    trash = json.loads(run_cli(profile, "list", "Trash", "--json").stdout)
    assert [r["subject"] for r in trash] == ["cli message 1"]
    folders = json.loads(run_cli(profile, "folders", "--json").stdout)
    assert {f["name"]: f["role"] for f in folders}["Sent"] == "sent"
    again = run_cli(profile, "sync", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)[0]["new"] == 0
    missing = run_cli(profile, "show", "999999")
    assert missing.returncode == 1 and "no message 999999" in missing.stderr
