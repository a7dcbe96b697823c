"""The POP3 fetch (engine/sync/pop3_fetch.py) against the real Dovecot of the session's mail
stack: incremental downloads by UIDL, keep_days, the ingest hook and a real Postfix DSN filed
away, a connection cut mid-RETR (a byte-counting proxy in front of Dovecot), a fetch process
killed with SIGKILL, a wrong password, and `mailapp sync|list|search|show` for a POP3 account."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import poplib
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.mailstack import MailStack, MailUser

from mailapp.core.errors import AuthFailedError, ConnectionLostError
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
from mailapp.engine.sync.pop3_fetch import INBOX_NAME, Pop3Fetch, Pop3FetchReport
from mailapp.protocols.reports import ReportKind, parse_report
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.messages import MessageRepository, MessageRow
from mailapp.store.pop3_uidls import Pop3UidlRepository
from mailapp.store.search import SearchRepository

pytestmark = pytest.mark.mailstack

REPO = Path(__file__).resolve().parents[2]


# --- helpers ---------------------------------------------------------------------------------


def message(rcpt: str, subject: str, body: str = "Hello.", *, pad: int = 0) -> bytes:
    filler = "".join(f"filler line {i:06d} {'x' * 60}\r\n" for i in range(pad // 80))
    return (
        f"From: Sender <sender@outside.test>\r\nTo: {rcpt}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@outside.test>\r\n"
        "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}\r\n{filler}"
    ).encode()


def pop3_count(stack: MailStack, user: MailUser) -> int:
    client = stack.pop3(user.address)
    try:
        return int(client.stat()[0])
    finally:
        client.quit()


def wait_count(stack: MailStack, user: MailUser, count: int) -> None:
    for _ in range(300):
        if pop3_count(stack, user) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{user.address}: the maildrop did not reach {count} messages")


def deliver(stack: MailStack, user: MailUser, subjects: list[str], **kw: Any) -> None:
    before = pop3_count(stack, user)
    for subject in subjects:
        stack.deliver(message(user.address, subject, **kw), user.address)
    wait_count(stack, user, before + len(subjects))


def pop_account(
    stack: MailStack,
    user: MailUser,
    *,
    keep_days: int | None = None,
    port: int | None = None,
    security: Security = Security.STARTTLS,
    name: str = "pop",
    password_command: str | None = None,
) -> Account:
    incoming = ServerSettings(stack.host, port or stack.ports.pop3, security, user.address)
    outgoing = ServerSettings(stack.host, stack.ports.submission, Security.STARTTLS, user.address)
    return Account(
        name=name,
        email=user.address,
        display_name="Test",
        incoming_protocol=IncomingProtocol.POP3,
        incoming=incoming,
        outgoing=outgoing,
        trust=TlsTrust(ca_file=str(stack.ca_file)),
        password_command=password_command,
        options=AccountOptions(pop3_keep_days=keep_days),
    )


class Store:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.db = Database.open(root / "mail.sqlite3")
        self.blobs = BlobStore(root / "messages")

    def rows(self, folder: str = INBOX_NAME, account: str = "pop") -> list[MessageRow]:
        row = FolderRepository(self.db).by_name(account, folder)
        if row is None:
            return []
        return MessageRepository(self.db).window(row.id, limit=10_000)

    def subjects(self, folder: str = INBOX_NAME) -> list[str]:
        return sorted(r.subject for r in self.rows(folder))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store")
    try:
        yield s
    finally:
        s.db.close()


@pytest.fixture
def user(mailstack: MailStack) -> MailUser:
    """A fresh mailbox, logged in to once so Dovecot surely knows it."""
    new = mailstack.unique_user("pop")
    for attempt in range(30):
        try:
            mailstack.pop3(new.address).quit()
            return new
        except poplib.error_proto:
            if attempt == 29:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def fetcher(
    stack: MailStack, user: MailUser, store: Store, password: str | None = None, **kw: Any
) -> Pop3Fetch:
    account = kw.pop("account", None) or pop_account(
        stack, user, keep_days=kw.pop("keep_days", None)
    )

    async def secret() -> str:
        return user.password if password is None else password

    kw.setdefault("retry_delays", ())
    return Pop3Fetch(account, database=store.db, blobs=store.blobs, password=secret, **kw)


async def fetch(stack: MailStack, user: MailUser, store: Store, **kw: Any) -> Pop3FetchReport:
    return await fetcher(stack, user, store, **kw).fetch()


# --- Dovecot ---------------------------------------------------------------------------------


async def test_first_fetch_downloads_all_and_the_second_only_the_new_one(
    mailstack: MailStack, user: MailUser, store: Store
) -> None:
    await asyncio.to_thread(deliver, mailstack, user, ["one", "two", "three"], body="quokka")
    progress: list[tuple[str, int, int]] = []
    seen: list[bytes] = []
    report = await fetch(
        mailstack,
        user,
        store,
        progress=lambda s: progress.append((s.phase, s.done, s.total)),
        on_new_message=seen.append,
    )
    assert (report.on_server, report.downloaded, report.deleted) == (3, 3, 0)
    assert store.subjects() == ["one", "three", "two"]
    rows = store.rows()
    assert sorted(r.uid for r in rows) == [1, 2, 3]
    for row in rows:
        assert row.from_addr == "sender@outside.test" and row.from_name == "Sender"
        assert row.to == user.address and row.message_id and row.preview == "quokka"
        assert row.body_hash is not None
        raw = store.blobs.get(row.body_hash)
        assert f"Subject: {row.subject}".encode() in raw and row.size == len(raw)
    assert sorted(seen) == sorted(store.blobs.get(r.body_hash or "") for r in rows)
    found = SearchRepository(store.db).search("quokka", account="pop")
    assert len(found) == 3
    assert ("download", 3, 3) in progress and progress[-1][0] == "done"
    inbox = FolderRepository(store.db).by_name("pop", INBOX_NAME)
    assert inbox is not None and inbox.role is FolderRole.INBOX and inbox.total == 3

    await asyncio.to_thread(deliver, mailstack, user, ["four"], body="numbat")
    again = await fetch(mailstack, user, store, on_new_message=seen.append)
    assert (again.on_server, again.downloaded) == (4, 1)
    assert store.subjects() == ["four", "one", "three", "two"]
    assert len(seen) == 4 and b"numbat" in seen[-1]
    assert [r.subject for r in SearchRepository(store.db).search("numbat")] == ["four"]
    # keep_days None: every message is still on the server.
    assert await asyncio.to_thread(pop3_count, mailstack, user) == 4
    third = await fetch(mailstack, user, store)
    assert third.downloaded == 0 and len(store.rows()) == 4


async def test_keep_days_zero_deletes_on_the_server_after_download(
    mailstack: MailStack, user: MailUser, store: Store
) -> None:
    await asyncio.to_thread(deliver, mailstack, user, ["a", "b"])
    report = await fetch(mailstack, user, store, keep_days=0)
    assert report.downloaded == 2 and report.deleted == 2
    assert await asyncio.to_thread(pop3_count, mailstack, user) == 0
    assert store.subjects() == ["a", "b"]
    assert all(r.deleted_on_server for r in Pop3UidlRepository(store.db).rows("pop"))
    await asyncio.to_thread(deliver, mailstack, user, ["c"])
    again = await fetch(mailstack, user, store, keep_days=0)
    assert again.downloaded == 1 and again.deleted == 1 and again.forgotten == 2
    assert store.subjects() == ["a", "b", "c"]
    assert await asyncio.to_thread(pop3_count, mailstack, user) == 0


async def test_pop3s_and_keep_days_n_leave_young_messages(
    mailstack: MailStack, user: MailUser, store: Store
) -> None:
    await asyncio.to_thread(deliver, mailstack, user, ["young"])
    account = pop_account(
        mailstack, user, keep_days=3, port=mailstack.ports.pop3s, security=Security.SSL
    )
    report = await fetch(mailstack, user, store, account=account)
    assert report.downloaded == 1 and report.deleted == 0
    assert await asyncio.to_thread(pop3_count, mailstack, user) == 1
    stored = Pop3UidlRepository(store.db).rows("pop")[0].downloaded_at

    def later() -> datetime:
        return stored + timedelta(days=3, seconds=1)

    aged = await fetch(mailstack, user, store, account=account, clock=later)
    assert aged.downloaded == 0 and aged.deleted == 1
    assert await asyncio.to_thread(pop3_count, mailstack, user) == 0
    assert store.subjects() == ["young"]


async def test_a_postfix_dsn_is_filed_into_delivery_reports(
    mailstack: MailStack, user: MailUser, store: Store
) -> None:
    other = mailstack.unique_user("rcpt")
    envid = uuid.uuid4().hex
    sent = message(other.address, "tracked mail").replace(
        b"From: Sender <sender@outside.test>", f"From: <{user.address}>".encode()
    )
    await asyncio.to_thread(
        mailstack.submit,
        user.address,
        other.address,
        sent,
        mail_options=["RET=HDRS", f"ENVID={envid}"],
        rcpt_options=["NOTIFY=SUCCESS,FAILURE,DELAY", f"ORCPT=rfc822;{other.address}"],
    )
    await asyncio.to_thread(deliver, mailstack, user, ["plain mail"])
    await asyncio.to_thread(mailstack.wait_for_inbox, user.address, envid.encode())
    hooked: list[ReportKind] = []

    def hook(raw: bytes) -> bool:
        kind = parse_report(raw).kind
        hooked.append(kind)
        return kind is ReportKind.DSN and envid.encode() in raw

    report = await fetch(mailstack, user, store, on_new_message=hook)
    assert report.downloaded == 2 and report.filed == 1
    assert sorted(hooked) == sorted([ReportKind.DSN, ReportKind.NONE])
    assert store.subjects() == ["plain mail"]
    filed = store.rows("Delivery Reports")
    assert len(filed) == 1 and filed[0].body_hash is not None
    assert envid.encode() in store.blobs.get(filed[0].body_hash)
    folder = FolderRepository(store.db).by_name("pop", "Delivery Reports")
    assert folder is not None and folder.total == 1
    sync = report.as_sync_report()
    assert {f.folder: f.new for f in sync.folders} == {INBOX_NAME: 1, "Delivery Reports": 1}


async def test_a_wrong_password_says_so_and_changes_nothing(
    mailstack: MailStack, user: MailUser, store: Store
) -> None:
    await asyncio.to_thread(deliver, mailstack, user, ["kept"])
    with pytest.raises(AuthFailedError) as caught:
        await fetch(mailstack, user, store, password="wrong-password", keep_days=0)
    assert user.address in caught.value.message and "refused the login" in caught.value.message
    assert "wrong-password" not in str(caught.value)
    assert store.rows() == []
    assert await asyncio.to_thread(pop3_count, mailstack, user) == 1


# --- a connection cut in the middle of RETR --------------------------------------------------


class CuttingProxy:
    """Forwards TCP to Dovecot; the first connection is cut after `limit` bytes from the
    server (TLS records and all), later ones pass untouched."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        limit = self.limit if self.connections == 1 else None
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, budget: int | None
        ) -> None:
            sent = 0
            try:
                while data := await src.read(16384):
                    if budget is not None and sent + len(data) > budget:
                        dst.write(data[: budget - sent])
                        await dst.drain()
                        break
                    sent += len(data)
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                for w in (writer, up_writer):
                    w.close()

        await asyncio.gather(pipe(reader, up_writer, None), pipe(up_reader, writer, limit))


async def test_server_gone_mid_retr_then_the_next_fetch_resumes(
    mailstack: MailStack, user: MailUser, store: Store
) -> None:
    subjects = ["big 1", "big 2", "big 3"]
    await asyncio.to_thread(deliver, mailstack, user, subjects, pad=120_000)
    proxy = CuttingProxy(mailstack.host, mailstack.ports.pop3s, limit=190_000)
    port = await proxy.start()
    try:
        account = pop_account(mailstack, user, keep_days=0, port=port, security=Security.SSL)
        seen: list[bytes] = []
        with pytest.raises(ConnectionLostError):
            await fetch(mailstack, user, store, account=account, on_new_message=seen.append)
        # The first message on the server is stored whole; which one it is depends on the
        # order in which Postfix handed the three to Dovecot.
        [first] = store.subjects()
        assert first in subjects and len(seen) == 1
        # No QUIT reached the server: nothing was deleted there.
        assert await asyncio.to_thread(pop3_count, mailstack, user) == 3
        report = await fetch(mailstack, user, store, account=account, on_new_message=seen.append)
    finally:
        await proxy.close()
    assert report.downloaded == 2 and report.deleted == 3
    assert store.subjects() == subjects and len(seen) == 3
    assert await asyncio.to_thread(pop3_count, mailstack, user) == 0


async def test_a_cut_is_retried_within_one_fetch(
    mailstack: MailStack, user: MailUser, store: Store
) -> None:
    await asyncio.to_thread(deliver, mailstack, user, ["r1", "r2"], pad=120_000)
    proxy = CuttingProxy(mailstack.host, mailstack.ports.pop3s, limit=190_000)
    port = await proxy.start()
    try:
        account = pop_account(mailstack, user, port=port, security=Security.SSL)
        report = await fetch(mailstack, user, store, account=account, retry_delays=(0.1,))
    finally:
        await proxy.close()
    assert report.downloaded == 2 and report.reconnects == 1 and proxy.connections == 2
    assert store.subjects() == ["r1", "r2"]


# --- kill -9 ---------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from mailapp.engine.api import Engine
    from mailapp.secrets.memory import MemoryCredentialStore

    engine = Engine.open(sys.argv[1], credentials=MemoryCredentialStore())

    def hook(raw):
        subject = next(l for l in raw.split(b"\\r\\n") if l.startswith(b"Subject:"))
        print(subject.decode(), flush=True)
        time.sleep(0.02)  # a slow tracker: gives the kill a wide window

    engine.on_new_inbox_message = hook
    report = asyncio.run(engine.sync_account("pop"))
    print("finished", report.new, flush=True)
    """
)


def add_account(profile: Path, account: Account) -> None:
    engine = Engine(Profile(profile).ensure(), credentials=MemoryCredentialStore())
    asyncio.run(engine.add_account(account, None))


@pytest.mark.slow
def test_a_fetch_killed_at_any_moment_loses_and_doubles_nothing(
    mailstack: MailStack, user: MailUser, tmp_path: Path
) -> None:
    count = 30
    subjects = [f"kill test {i:02d}" for i in range(count)]
    deliver(mailstack, user, subjects, pad=20_000)
    secret = tmp_path / "secret.txt"
    secret.write_text(user.password + "\n")
    secret.chmod(0o600)
    profile = tmp_path / "profile"
    account = pop_account(mailstack, user, keep_days=0, password_command=f"cat '{secret}'")
    add_account(profile, account)
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    rng = random.Random()
    hooked: list[str] = []
    for round_ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(profile)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        try:
            assert child.stdout is not None
            for _ in range(3 + round_):
                line = child.stdout.readline()
                assert line.startswith("Subject: "), (line, child.stderr and child.stderr.read())
                hooked.append(line.strip()[len("Subject: ") :])
            time.sleep(rng.uniform(0.0, 0.03))
            child.send_signal(signal.SIGKILL)
            rest, _ = child.communicate(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
        assert child.returncode == -signal.SIGKILL, "the fetch finished before the kill"
        hooked += [x[len("Subject: ") :] for x in rest.splitlines() if x.startswith("Subject: ")]
    final: list[bytes] = []
    engine = Engine(Profile(profile), credentials=MemoryCredentialStore())
    engine.on_new_inbox_message = final.append
    report = asyncio.run(engine.sync_account("pop"))
    database, blobs = engine._mail_store()
    try:
        inbox = FolderRepository(database).by_name("pop", INBOX_NAME)
        assert inbox is not None
        rows = MessageRepository(database).window(inbox.id, limit=1000)
        got = sorted(r.subject for r in rows)
        assert got == subjects, "lost or doubled messages"
        assert len({r.message_id for r in rows}) == count and len({r.uid for r in rows}) == count
        for row in rows:
            assert row.body_hash is not None
            assert f"Subject: {row.subject}".encode() in blobs.get(row.body_hash)
        # Every message reached the hook at least once; only a message that was under way
        # at a kill may have reached it twice.
        final_subjects = [
            next(x for x in raw.split(b"\r\n") if x.startswith(b"Subject:"))[9:].decode()
            for raw in final
        ]
        assert sorted(set(hooked + final_subjects)) == subjects
        assert len(hooked) + len(final_subjects) <= count + 3
        assert report.new == len(final)
        uidls = Pop3UidlRepository(database).rows("pop")
        assert len(uidls) == count and all(u.deleted_on_server for u in uidls)
    finally:
        database.close()
    assert pop3_count(mailstack, user) == 0


# --- the command line ------------------------------------------------------------------------


def run_cli(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
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


def test_cli_sync_list_search_show_for_a_pop3_account(
    mailstack: MailStack, user: MailUser, tmp_path: Path
) -> None:
    deliver(mailstack, user, ["cli pop 1", "cli pop 2"], body="bandicoot")
    secret = tmp_path / "secret.txt"
    secret.write_text(user.password + "\n")
    secret.chmod(0o600)
    profile = tmp_path / "profile"
    add_account(profile, pop_account(mailstack, user, password_command=f"cat '{secret}'"))
    synced = run_cli(profile, "sync", "--account", "pop")
    assert synced.returncode == 0, synced.stderr
    assert "pop/INBOX: 2 new" in synced.stdout
    listed = run_cli(profile, "list", "--account", "pop", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["subject"] for r in rows) == ["cli pop 1", "cli pop 2"]
    assert all(r["body_stored"] for r in rows)
    found = run_cli(profile, "search", "bandicoot", "--json")
    assert found.returncode == 0 and len(json.loads(found.stdout)) == 2
    shown = run_cli(profile, "show", str(rows[0]["id"]))
    assert shown.returncode == 0, shown.stderr
    assert "bandicoot" in shown.stdout
    again = run_cli(profile, "sync", "--account", "pop", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)[0]["new"] == 0
    deliver(mailstack, user, ["cli pop 3"])
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    command = ["sync", "--watch", "--account", "pop"]
    watcher = subprocess.Popen(
        [sys.executable, "-m", "mailapp", "--profile", str(profile), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        for _ in range(300):
            listed = run_cli(profile, "list", "--account", "pop", "--json")
            if len(json.loads(listed.stdout or "[]")) == 3:
                break
            assert watcher.poll() is None, watcher.communicate()
            time.sleep(0.1)
        else:
            raise AssertionError("the watching process did not fetch the new message")
        watcher.send_signal(signal.SIGTERM)
        _, errors = watcher.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            watcher.kill()
    assert watcher.returncode == 0, errors
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not-the-password\n")
    bad = pop_account(mailstack, user, name="bad", password_command=f"cat '{wrong}'")
    add_account(profile, bad)
    refused = run_cli(profile, "sync", "--account", "bad")
    assert refused.returncode != 0 and "refused the login" in refused.stderr
