"""kill -9 of an IMAP sync against the real Dovecot: once while headers are being stored and once
while bodies are being downloaded; the next sync resumes and the store ends with every message
exactly once, every body readable and every body word searchable."""

from __future__ import annotations

import contextlib
import imaplib
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.mailstack import MailStack, MailUser

from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository
from mailapp.store.messages import MessageRepository
from mailapp.store.search import SearchRepository

pytestmark = pytest.mark.mailstack

REPO = Path(__file__).resolve().parents[2]
COUNT = 120

# The child syncs in small batches (10 headers, 10 bodies) and slows down at every progress
# step, so the parent can kill it in the middle of the phase it wants.
CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from mailapp.core.model import (
        Account, AccountOptions, IncomingProtocol, Security, ServerSettings, TlsTrust,
    )
    from mailapp.engine.sync import imap_sync
    from mailapp.store.blobs import BlobStore
    from mailapp.store.db import Database

    root, host, port, address, password, ca_file = sys.argv[1:7]
    imap_sync.BODY_BATCH_MAX = 10
    server = ServerSettings(host, int(port), Security.STARTTLS, address)
    account = Account(
        name="acct", email=address, display_name="Test",
        incoming_protocol=IncomingProtocol.IMAP, incoming=server, outgoing=server,
        trust=TlsTrust(ca_file=ca_file), options=AccountOptions(),
    )

    def progress(step):
        print(step.phase, step.done, step.total, flush=True)
        if step.phase in ("headers", "bodies"):
            time.sleep(0.05)

    async def secret():
        return password

    async def main():
        database = Database.open(root + "/mail.sqlite3")
        sync = imap_sync.ImapSync(
            account, database=database, blobs=BlobStore(root + "/messages", database),
            password=secret, progress=progress, batch_size=10, prefetch_inbox=0,
        )
        report = await sync.download_bodies(["INBOX"])
        await sync.index_pending()
        await sync.disconnect()
        print("finished", report.new, flush=True)

    asyncio.run(main())
    """
)


def fill_inbox(stack: MailStack, user: MailUser) -> list[str]:
    subjects = [f"kill sync {i:03d}" for i in range(COUNT)]
    client = imaplib.IMAP4(stack.host, stack.ports.imap, timeout=30)
    client.starttls(ssl_context=stack.ssl_context())
    client.login(user.address, user.password)
    try:
        for i, subject in enumerate(subjects):
            raw = (
                f"From: Sender <sender@outside.test>\r\nTo: {user.address}\r\n"
                f"Subject: {subject}\r\nMessage-ID: <kill-{i}@outside.test>\r\n"
                f"Date: Sun, 29 Nov 2026 10:00:{i % 60:02d} +0000\r\n\r\n"
                f"Body word bodyword{i:03d} and some padding {'x' * 2000}\r\n"
            ).encode()
            typ, _ = client.append("INBOX", "", None, raw)
            assert typ == "OK"
    finally:
        client.logout()
    return subjects


def run_child(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def kill_during(args: list[str], phase: str) -> list[str]:
    """Run a sync and SIGKILL it once it has stored at least one batch of `phase`."""
    child = run_child(args)
    seen: list[str] = []
    try:
        assert child.stdout is not None
        while True:
            line = child.stdout.readline()
            assert line, f"the sync ended before any {phase} batch: {child.stderr.read()}"  # type: ignore[union-attr]
            seen.append(line.strip())
            words = line.split()
            if words[0] == phase and int(words[1]) >= 10:
                break
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
    assert child.returncode == -signal.SIGKILL, "the sync finished before the kill"
    assert not any(s.startswith("finished") for s in seen)
    return seen


@pytest.mark.slow
def test_a_sync_killed_in_headers_and_in_bodies_resumes_without_loss_or_doubles(
    mailstack: MailStack, tmp_path: Path
) -> None:
    user = mailstack.unique_user("killsync")
    subjects = fill_inbox(mailstack, user)
    root = tmp_path / "store"
    root.mkdir()
    args = [
        str(root),
        mailstack.host,
        str(mailstack.ports.imap),
        user.address,
        user.password,
        str(mailstack.ca_file),
    ]
    headers = kill_during(args, "headers")
    assert any(s.startswith("headers") for s in headers)
    bodies = kill_during(args, "bodies")
    # The second run resumed: it had headers left to fetch or went straight to bodies, and
    # it was killed with bodies still missing.
    assert any(s.startswith("bodies") for s in bodies)
    final = run_child(args)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    assert out.splitlines()[-1].startswith("finished")

    database = Database.open(root / "mail.sqlite3")
    try:
        inbox = FolderRepository(database).by_name("acct", "INBOX")
        assert inbox is not None
        rows = MessageRepository(database).window(inbox.id, limit=10_000)
        assert sorted(r.subject for r in rows) == subjects, "lost or doubled messages"
        assert len({r.uid for r in rows}) == COUNT
        blobs = BlobStore(root / "messages", database)
        for row in rows:
            assert row.body_hash is not None, f"{row.subject} has no body"
            assert f"Subject: {row.subject}".encode() in blobs.get(row.body_hash)
        search = SearchRepository(database)
        for i in (0, 57, COUNT - 1):
            found = search.search(f"bodyword{i:03d}")
            assert [r.subject for r in found] == [f"kill sync {i:03d}"]
    finally:
        database.close()
