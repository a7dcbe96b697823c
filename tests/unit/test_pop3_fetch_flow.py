"""Pop3Fetch (engine/sync/pop3_fetch.py) against an in-memory maildrop: incremental UIDL
downloads, keep_days, the ingest hook and filing, cuts and crashes at awkward moments. The
real Dovecot runs in tests/integration/test_pop3_fetch.py; this fake only scripts faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.errors import AuthFailedError, ConnectionLostError
from mailapp.core.model import (
    Account,
    AccountOptions,
    IncomingProtocol,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.engine.sync.imap_sync import SyncProgress
from mailapp.engine.sync.pop3_fetch import (
    INBOX_NAME,
    Pop3Fetch,
    Pop3FetchReport,
    new_message_from,
    wants_filing,
)
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.messages import MessageRepository, MessageRow
from mailapp.store.pop3_uidls import Pop3UidlRepository
from mailapp.store.search import SearchRepository

PASSWORD = "right"
DAY0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def mail(n: int, body: str = "hello") -> bytes:
    return (
        f"From: Ann <ann@example.test>\r\nTo: Bob <bob@example.test>\r\n"
        f"Subject: message {n}\r\nMessage-ID: <m{n}@example.test>\r\n"
        f"Date: Sun, 01 Nov 2026 07:00:00 +0000\r\n\r\n{body} {n}\r\n"
    ).encode()


@dataclass
class Maildrop:
    """The server side: messages by UIDL; deletions happen only at QUIT."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)
    cut_in: set[str] = field(default_factory=set)  # UIDLs whose next RETR breaks half way
    sessions: int = 0
    deleted: list[str] = field(default_factory=list)

    def add(self, uidl: str, raw: bytes) -> None:
        self.messages.append((uidl, raw))

    @property
    def uidls(self) -> list[str]:
        return [u for u, _ in self.messages]


class FakeSession:
    def __init__(self, drop: Maildrop) -> None:
        self.drop = drop
        self.pending: set[int] = set()
        self.view = list(drop.messages)  # numbers are fixed for the session
        self.open = False

    async def connect(self, host: str, port: int, security: object = None, **_: object) -> str:
        self.drop.sessions += 1
        self.open = True
        return "+OK"

    async def login(self, user: str, password: str) -> str:
        if password != PASSWORD:
            raise AuthFailedError(f"The POP3 server refused the login for {user}: -ERR")
        return "USER/PASS"

    async def uidl(self) -> dict[int, str]:
        return {n: uidl for n, (uidl, _) in enumerate(self.view, start=1)}

    async def retr_to(self, number: int, sink: Callable[[bytes], object]) -> int:
        uidl, raw = self.view[number - 1]
        half = len(raw) // 2
        sink(raw[:half])
        await asyncio.sleep(0)
        if uidl in self.drop.cut_in:
            self.drop.cut_in.discard(uidl)
            self.open = False
            raise ConnectionLostError("the server closed the connection")
        sink(raw[half:])
        return len(raw)

    async def dele(self, number: int) -> None:
        self.pending.add(number)

    async def quit(self) -> None:
        gone = {self.view[n - 1][0] for n in self.pending}
        self.drop.deleted += sorted(gone)
        self.drop.messages = [(u, r) for u, r in self.drop.messages if u not in gone]
        self.open = False

    async def close(self) -> None:
        self.pending.clear()  # no QUIT: nothing is deleted
        self.open = False


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Env:
    tmp: Path
    db: Database
    blobs: BlobStore
    drop: Maildrop
    clock: Clock
    keep_days: int | None = None
    events: list[SyncProgress] = field(default_factory=list)

    def account(self) -> Account:
        server = ServerSettings("127.0.0.1", 995, Security.SSL, "bob@example.test")
        return Account(
            name="pop",
            email="bob@example.test",
            display_name="Bob",
            incoming_protocol=IncomingProtocol.POP3,
            incoming=server,
            outgoing=replace(server, port=465),
            trust=TlsTrust(),
            options=AccountOptions(pop3_keep_days=self.keep_days),
        )

    def fetcher(
        self,
        *,
        password: str = PASSWORD,
        hook: Callable[[bytes], object] | None = None,
        **kw: object,
    ) -> Pop3Fetch:
        async def secret() -> str:
            return password

        kw.setdefault("retry_delays", ())
        kw.setdefault("progress", self.events.append)
        return Pop3Fetch(
            self.account(),
            database=self.db,
            blobs=self.blobs,
            password=secret,
            on_new_message=hook,
            client_factory=lambda: FakeSession(self.drop),
            clock=self.clock,
            **kw,  # type: ignore[arg-type]
        )

    async def fetch(self, **kw: object) -> Pop3FetchReport:
        return await self.fetcher(**kw).fetch()  # type: ignore[arg-type]

    def rows(self, folder: str = INBOX_NAME) -> list[MessageRow]:
        row = FolderRepository(self.db).by_name("pop", folder)
        if row is None:
            return []
        return MessageRepository(self.db).window(row.id, limit=1000)

    def subjects(self, folder: str = INBOX_NAME) -> list[str]:
        return sorted(r.subject for r in self.rows(folder))


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    db = Database.open(tmp_path / "mail.sqlite3")
    try:
        yield Env(tmp_path, db, BlobStore(tmp_path / "messages"), Maildrop(), Clock(DAY0))
    finally:
        db.close()


# --- downloading ------------------------------------------------------------------------------


async def test_first_fetch_stores_everything_and_the_second_only_the_new(env: Env) -> None:
    for n in range(1, 4):
        env.drop.add(f"U{n}", mail(n, "kangaroo"))
    report = await env.fetch()
    assert (report.on_server, report.downloaded, report.deleted) == (3, 3, 0)
    assert env.subjects() == ["message 1", "message 2", "message 3"]
    rows = env.rows()
    assert sorted(r.uid for r in rows) == [1, 2, 3]
    first = next(r for r in rows if r.subject == "message 1")
    assert first.from_name == "Ann" and first.from_addr == "ann@example.test"
    assert first.to == "Bob <bob@example.test>" and first.message_id == "<m1@example.test>"
    assert first.date == datetime(2026, 11, 1, 7, 0, tzinfo=UTC) and first.internal_date == DAY0
    assert first.body_hash is not None and env.blobs.get(first.body_hash) == mail(1, "kangaroo")
    assert first.preview == "kangaroo 1"
    assert len(SearchRepository(env.db).search("kangaroo")) == 3
    inbox = FolderRepository(env.db).by_name("pop", INBOX_NAME)
    assert inbox is not None and inbox.role is FolderRole.INBOX and inbox.total == 3
    download = [(e.done, e.total) for e in env.events if e.phase == "download"]
    assert download == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert env.events[-1].phase == "done"

    env.drop.add("U4", mail(4))
    again = await env.fetch()
    assert (again.on_server, again.downloaded) == (4, 1)
    assert env.subjects() == [f"message {n}" for n in range(1, 5)]
    assert sorted(r.uid for r in env.rows()) == [1, 2, 3, 4]
    assert env.drop.deleted == []
    sync = again.as_sync_report()
    assert (
        sync.account == "pop" and sync.new == 1 and [f.folder for f in sync.folders] == [INBOX_NAME]
    )


async def test_keep_days_zero_deletes_after_download_and_forgets_later(env: Env) -> None:
    env.keep_days = 0
    env.drop.add("A", mail(1))
    env.drop.add("B", mail(2))
    report = await env.fetch()
    assert report.downloaded == 2 and report.deleted == 2
    assert env.drop.deleted == ["A", "B"] and env.drop.messages == []
    records = Pop3UidlRepository(env.db).rows("pop")
    assert all(r.deleted_on_server and r.delete_requested_at == DAY0 for r in records)
    env.drop.add("C", mail(3))
    again = await env.fetch()
    assert again.downloaded == 1 and again.forgotten == 2 and again.deleted == 1
    assert sorted(Pop3UidlRepository(env.db).stored("pop")) == ["C"]
    assert env.subjects() == ["message 1", "message 2", "message 3"]


async def test_keep_days_n_deletes_only_once_the_days_have_passed(env: Env) -> None:
    env.keep_days = 2
    env.drop.add("A", mail(1))
    assert (await env.fetch()).deleted == 0
    env.clock.now = DAY0 + timedelta(days=1)
    env.drop.add("B", mail(2))
    assert (await env.fetch()).deleted == 0
    env.clock.now = DAY0 + timedelta(days=2, minutes=1)
    report = await env.fetch()
    assert report.deleted == 1 and env.drop.deleted == ["A"]
    env.clock.now = DAY0 + timedelta(days=30)
    assert (await env.fetch()).deleted == 1
    assert env.drop.deleted == ["A", "B"] and len(env.rows()) == 2


async def test_keep_days_none_never_deletes(env: Env) -> None:
    env.drop.add("A", mail(1))
    await env.fetch()
    env.clock.now = DAY0 + timedelta(days=3650)
    report = await env.fetch()
    assert report.deleted == 0 and env.drop.deleted == [] and env.drop.uidls == ["A"]


# --- the ingest hook --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    file_away: bool


async def test_hook_sees_each_new_message_once_and_files_matched_reports(env: Env) -> None:
    seen: list[bytes] = []

    def hook(raw: bytes) -> object:
        seen.append(raw)
        if b"message 2" in raw:
            return True
        if b"message 3" in raw:
            return Verdict(file_away=True)
        return Verdict(file_away=False) if b"message 4" in raw else None

    for n in range(1, 5):
        env.drop.add(f"U{n}", mail(n))
    report = await env.fetch(hook=hook)
    assert report.downloaded == 4 and report.filed == 2
    assert seen == [mail(n) for n in range(1, 5)]
    assert env.subjects() == ["message 1", "message 4"]
    assert env.subjects("Delivery Reports") == ["message 2", "message 3"]
    reports = FolderRepository(env.db).by_name("pop", "Delivery Reports")
    assert reports is not None and reports.total == 2
    assert sorted(r.uid for r in env.rows("Delivery Reports")) == [1, 2]
    assert [f.folder for f in report.as_sync_report().folders] == [INBOX_NAME, "Delivery Reports"]
    await env.fetch(hook=hook)
    assert len(seen) == 4  # nothing new, nothing hooked again


async def test_a_failing_hook_keeps_the_message_in_the_inbox(env: Env) -> None:
    def hook(raw: bytes) -> object:
        raise RuntimeError("tracker bug")

    env.drop.add("A", mail(1))
    env.drop.add("B", mail(2))
    report = await env.fetch(hook=hook)
    assert report.downloaded == 2 and report.filed == 0
    assert env.subjects() == ["message 1", "message 2"]


def test_wants_filing_reads_bools_and_ingest_results() -> None:
    assert wants_filing(True) and wants_filing(Verdict(True))
    assert not wants_filing(False) and not wants_filing(None) and not wants_filing(Verdict(False))
    assert not wants_filing("yes") and not wants_filing(1)


# --- faults -----------------------------------------------------------------------------------


async def test_a_cut_mid_retr_keeps_what_was_stored_and_the_next_fetch_resumes(
    env: Env,
) -> None:
    env.keep_days = 0
    for n in range(1, 5):
        env.drop.add(f"U{n}", mail(n))
    env.drop.cut_in.add("U3")
    with pytest.raises(ConnectionLostError):
        await env.fetch()
    assert env.subjects() == ["message 1", "message 2"]
    assert env.drop.deleted == []  # no QUIT: the server deleted nothing
    report = await env.fetch()
    assert report.downloaded == 2 and report.deleted == 4
    assert env.subjects() == [f"message {n}" for n in range(1, 5)]
    assert env.drop.messages == []


async def test_a_cut_is_retried_within_the_fetch(env: Env) -> None:
    for n in range(1, 4):
        env.drop.add(f"U{n}", mail(n))
    env.drop.cut_in.add("U2")
    report = await env.fetch(retry_delays=(0.0,))
    assert report.downloaded == 3 and report.reconnects == 1 and env.drop.sessions == 2
    assert [e.phase for e in env.events].count("reconnect") == 1
    assert env.subjects() == ["message 1", "message 2", "message 3"]


class Killed(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


async def test_dying_between_the_hook_and_the_commit_never_duplicates(env: Env) -> None:
    seen: list[bytes] = []

    def dying_hook(raw: bytes) -> object:
        seen.append(raw)
        if b"message 2" in raw:
            raise Killed
        return None

    for n in range(1, 4):
        env.drop.add(f"U{n}", mail(n))
    with pytest.raises(Killed):
        await env.fetch(hook=dying_hook)
    assert env.subjects() == ["message 1"]
    # The file of message 2 is on disk already (no row refers to it: collected later).
    assert len(list(env.blobs.digests())) == 2
    report = await env.fetch(hook=seen.append)
    assert report.downloaded == 2
    assert env.subjects() == ["message 1", "message 2", "message 3"]
    # At least once: the message under way when it died is shown to the hook again.
    assert seen == [mail(1), mail(2), mail(2), mail(3)]


async def test_a_wrong_password_is_an_auth_error_and_changes_nothing(env: Env) -> None:
    env.keep_days = 0
    env.drop.add("A", mail(1))
    with pytest.raises(AuthFailedError, match="refused the login"):
        await env.fetch(password="wrong", retry_delays=(0.0, 0.0))
    assert env.drop.sessions == 1  # not retried
    assert env.rows() == [] and env.drop.uidls == ["A"]


# --- watching -------------------------------------------------------------------------------


async def test_watch_fetches_again_until_stopped_and_survives_a_cut(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mailapp.engine.sync.pop3_fetch.WATCH_FIRST_DELAY", 0.01)
    stop = asyncio.Event()
    phases: list[str] = []

    def progress(step: SyncProgress) -> None:
        phases.append(step.phase)
        if step.phase != "done":
            return
        if phases.count("done") == 1:
            env.drop.add("U2", mail(2))
            env.drop.cut_in.add("U2")  # the second round fails, the third gets it
        else:
            stop.set()

    env.drop.add("U1", mail(1))
    await asyncio.wait_for(env.fetcher(progress=progress).watch(stop, every=0.01), 10)
    assert env.subjects() == ["message 1", "message 2"]
    assert phases.count("done") == 2 and phases.count("reconnect") == 1
    assert env.drop.sessions == 3


async def test_watch_ends_with_a_wrong_password(env: Env) -> None:
    with pytest.raises(AuthFailedError):
        await asyncio.wait_for(env.fetcher(password="wrong").watch(asyncio.Event(), every=0.01), 10)


# --- conversion -------------------------------------------------------------------------------


def test_new_message_from_reads_headers_attachments_and_text() -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.test>\r\n"
        b"To: a@example.test, B <b@example.test>\r\nCc: c@example.test\r\n"
        b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <x1@example.test>\r\n"
        b"In-Reply-To: <x0@example.test>\r\nReferences: <r@example.test> <x0@example.test>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nthe echidna body\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename=plan.pdf\r\n\r\n%PDF\r\n--b--\r\n"
    )
    row, body = new_message_from(raw, DAY0)
    assert (
        row.subject == "Grüße" and row.from_name == "Jürgen" and row.from_addr == "j@example.test"
    )
    assert row.to == "a@example.test, B <b@example.test>" and row.cc == "c@example.test"
    assert row.message_id == "<x1@example.test>" and row.in_reply_to == "<x0@example.test>"
    assert row.references == ("<r@example.test>", "<x0@example.test>")
    assert row.thread_key == "<r@example.test>"
    assert row.has_attachment and row.size == len(raw) and row.date is None
    assert row.internal_date == DAY0
    assert "echidna" in body.body_text and body.preview == "the echidna body"
    assert body.extra_text == "plan.pdf"


def test_garbage_still_becomes_a_row() -> None:
    raw = b"\xff\xfe not mail at all"
    row, body = new_message_from(raw, DAY0)
    assert row.size == len(raw) and row.subject == "" and isinstance(body.body_text, str)


def test_an_imap_account_is_refused(env: Env) -> None:
    account = replace(env.account(), incoming_protocol=IncomingProtocol.IMAP)

    async def secret() -> str:
        return PASSWORD

    with pytest.raises(ValueError, match="POP3"):
        Pop3Fetch(account, database=env.db, blobs=env.blobs, password=secret)
