"""Benchmark: push latency. How long after another MTA hands a message to our Postfix does it
show up in our store, while our engine waits in IMAP IDLE? Side by side with a plain imaplib
IDLE client on the same mailbox in the same run, which sees the server's `* n EXISTS` (the
floor: Postfix queue + LMTP delivery + Dovecot's notification).

Run as root (it starts a private Postfix + Dovecot, like the integration tests):
    .venv/bin/python bench/push.py [--messages 10] [--gap 1.0]

For each message: the clock starts when smtplib has handed it to Postfix's MX port; the
reference time is when the imaplib IDLE client reads the EXISTS; ours is when the message's row
is visible in our store through a separate SQLite connection (polled every 2 ms), i.e. after
`ImapSync.watch` woke from IDLE, fetched, ran the report hook and committed. Target from the
receiving issue: a message delivered while IDLE shows up within two seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import imaplib
import re
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from harness import MailStack, MailStackUnavailable, Results, median, require_tools

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.sync.imap_sync import ImapSync
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database

EXISTS = re.compile(rb"^\* (\d+) EXISTS")


def message(number: int) -> bytes:
    return (
        f"From: Pusher <pusher@outside.test>\r\nSubject: push {number}\r\n"
        f"Message-ID: <push-{number}-{time.time_ns()}@outside.test>\r\n"
        "Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n\r\nA message to wake the watchers.\r\n"
    ).encode()


class ImaplibIdle:
    """A stdlib IDLE watcher in a thread: the time each new EXISTS count was read."""

    def __init__(self, stack: MailStack, address: str, password: str) -> None:
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._client = imaplib.IMAP4(stack.host, stack.ports.imap, timeout=60)
        self._client.starttls(ssl_context=stack.ssl_context())
        self._client.login(address, password)
        self._client.select("INBOX")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        # imaplib of Python 3.11 has no idle(): the command by hand, lines read as they come.
        client = self._client
        tag = client._new_tag()  # type: ignore[attr-defined]
        client.send(tag + b" IDLE\r\n")
        while not self._stop.is_set():
            try:
                line = client.readline()
            except TimeoutError:
                continue
            found = EXISTS.match(line)
            if found:
                self.seen[int(found.group(1))] = time.perf_counter()
            if line.startswith(tag):
                break

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._client.send(b"DONE\r\n")
        self._thread.join(10)
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self._client.logout()


def make_sync(stack: MailStack, address: str, password: str, root: Path) -> ImapSync:
    server = ServerSettings(stack.host, stack.ports.imap, Security.STARTTLS, address)
    account = Account(
        "push", address, "Push", IncomingProtocol.IMAP, server, server,
        TlsTrust(ca_file=str(stack.ca_file)),
    )  # fmt: skip

    async def secret() -> str:
        return password

    return ImapSync(
        account, database=Database.open(root / "mail.sqlite3"),
        blobs=BlobStore(root / "messages"), password=secret,
    )  # fmt: skip


def visible(db_path: Path, subject: str) -> bool:
    with contextlib.closing(sqlite3.connect(db_path, timeout=5)) as conn:
        return (
            conn.execute("SELECT 1 FROM messages WHERE subject = ?", (subject,)).fetchone()
            is not None
        )


async def wait_visible(db_path: Path, subject: str, limit: float = 30.0) -> float:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if await asyncio.to_thread(visible, db_path, subject):
            return time.perf_counter()
        await asyncio.sleep(0.002)
    raise RuntimeError(f"{subject!r} did not reach our store within {limit:.0f}s")


async def run(
    stack: MailStack, messages: int, gap: float, root: Path
) -> tuple[list[float], list[float]]:
    user = stack.unique_user("push")
    stack.deliver(message(0), user.address)
    sync = make_sync(stack, user.address, user.password, root)
    db_path = root / "mail.sqlite3"
    stop = asyncio.Event()
    watching = asyncio.create_task(sync.watch(stop, full_every=3600))
    reference = ImaplibIdle(stack, user.address, user.password)
    ours: list[float] = []
    floor: list[float] = []
    try:
        await wait_visible(db_path, "push 0")
        reference.start()
        await asyncio.sleep(1.0)  # both are in IDLE now
        for number in range(1, messages + 1):
            await asyncio.to_thread(stack.deliver, message(number), user.address)
            sent = time.perf_counter()
            arrived = await wait_visible(db_path, f"push {number}")
            for _ in range(500):
                if number + 1 in reference.seen:
                    break
                await asyncio.sleep(0.01)
            ours.append(arrived - sent)
            floor.append(reference.seen.get(number + 1, float("nan")) - sent)
            print(
                f"message {number}: imaplib EXISTS after {floor[-1] * 1000:.0f} ms, "
                f"in our store after {ours[-1] * 1000:.0f} ms",
                flush=True,
            )
            await asyncio.sleep(gap)
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)
        await asyncio.to_thread(reference.close)
    return ours, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between deliveries")
    args = parser.parse_args()
    require_tools({"postfix": "postfix", "dovecot": "dovecot-imapd"}, root=True)
    stack = MailStack()
    try:
        stack.start()
    except MailStackUnavailable as exc:
        raise SystemExit(f"cannot start the mail stack: {exc}") from exc
    try:
        with tempfile.TemporaryDirectory(prefix="mapush-") as tmp:
            ours, floor = asyncio.run(run(stack, args.messages, args.gap, Path(tmp)))
    finally:
        stack.stop()
    results = Results()
    results.info("push: delivered -> in our store", median(ours), median(floor), "imaplib EXISTS")
    results.absolute("  worst of the run", max(ours), 2.0)
    results.absolute("  median", median(ours), 2.0)
    results.print(f"bench/push.py: {args.messages} messages while in IDLE, median")


if __name__ == "__main__":
    main()
