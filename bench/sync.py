"""Benchmark: IMAP receiving (header sync, full download, no-change resync, loop stalls), our
engine side by side with stdlib imaplib and mbsync (isync) in the same run.

Run as root (it starts a private Postfix + Dovecot, like the integration tests):
    .venv/bin/python bench/sync.py [--count 20000] [--repeat 3] [--profile header|full|resync]
Needs Debian's isync (mbsync). The mailbox comes from bench/mailgen.py (cached in /tmp).

Cases, each the median of --repeat runs, ours and the reference interleaved:
  header   imaplib `UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)`, raw bytes,
           after SELECT (the floor) vs our ImapSync of INBOX into a fresh store (headers only:
           fetch + parse + store), connected and logged in before the clock starts;
  full     mbsync into an empty Maildir (FSync yes, its default: an fsync per message) vs our
           ImapSync.download_bodies(["INBOX"]) into a fresh store (what Engine.download_bodies
           runs): headers, then every body into the BlobStore's packs, each batch durable
           (pack fsynced, rows committed FULL); connect + login + logout included. The clock
           stops when every body is durable; the text index follows the download (ADR 0007)
           and the time until it has every body (index_pending(), which Engine.download_bodies
           also awaits) is printed on the next row;
  resync   a second mbsync run with nothing changed vs our sync of INBOX on the store the
           full case left (connect + login + logout included); imaplib's CONDSTORE
           resync (SELECT (CONDSTORE) + UID FETCH 1:* (FLAGS) (CHANGEDSINCE m)) as information;
  stall    the worst lateness of a 10 ms asyncio timer during our header sync (all runs).
--profile runs our side of one case once more under cProfile (worker-thread work inline).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import Results, StackMailbox, median, profile_call, require_tools, stack_mailbox
from mailgen import COUNT, SEED, ensure_maildir

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.sync.imap_sync import ImapSync, SyncReport
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.search import SearchRepository

HEADER_ITEMS = "(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)"


# --- references --------------------------------------------------------------------------------


def imaplib_header_fetch(box: StackMailbox) -> float:
    client = box.imaplib_login()
    client.select("INBOX", readonly=True)
    start = time.perf_counter()
    typ, data = client.uid("FETCH", "1:*", HEADER_ITEMS)
    elapsed = time.perf_counter() - start
    assert typ == "OK" and len(data) >= box.mailbox.count, typ
    client.logout()
    return elapsed


def imaplib_resync(box: StackMailbox) -> float:
    start = time.perf_counter()
    client = box.imaplib_login()
    client.select("INBOX (CONDSTORE)")
    modseq = client.untagged_responses.get("HIGHESTMODSEQ", [b"1"])[0]
    client.uid("FETCH", "1:*", f"(FLAGS) (CHANGEDSINCE {int(modseq)})")
    client.logout()
    return time.perf_counter() - start


class Mbsync:
    """mbsync pulling INBOX into a Maildir under `work`, over STARTTLS with the stack's CA."""

    def __init__(self, box: StackMailbox, work: Path) -> None:
        self.target = work / "mbsync-maildir"
        self.config = work / "mbsyncrc"
        stack = box.stack
        # isync 1.4 spelling (SSLType; 1.5 calls it TLSType). FSync is left at its default
        # (yes). localhost: isync checks the certificate's DNS names, not IP addresses.
        self.config.write_text(
            f"IMAPAccount bench\nHost localhost\nPort {stack.ports.imap}\n"
            f"User {box.user.address}\nPass {box.user.password}\nSSLType STARTTLS\n"
            f"CertificateFile {stack.ca_file}\n\n"
            "IMAPStore bench-far\nAccount bench\n\n"
            f"MaildirStore bench-near\nPath {self.target}/\nInbox {self.target}/INBOX\n\n"
            "Channel bench\nFar :bench-far:\nNear :bench-near:\nPatterns INBOX\n"
            "Create Near\nSync Pull\nSyncState *\n"
        )
        self.config.chmod(0o600)

    def reset(self) -> None:
        shutil.rmtree(self.target, ignore_errors=True)
        self.target.mkdir(parents=True)

    def run(self) -> float:
        start = time.perf_counter()
        done = subprocess.run(
            ["mbsync", "-q", "-c", str(self.config), "bench"],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"mbsync failed ({done.returncode}): {done.stderr.strip()}")
        return elapsed

    def stored(self) -> int:
        inbox = self.target / "INBOX"
        return sum(1 for sub in ("cur", "new") for _ in (inbox / sub).iterdir())


# --- ours --------------------------------------------------------------------------------------


def make_sync(box: StackMailbox, root: Path, *, prefetch: int) -> tuple[ImapSync, Database]:
    stack, address = box.stack, box.user.address
    server = ServerSettings(stack.host, stack.ports.imap, Security.STARTTLS, address)
    account = Account(
        "bench", address, "Bench", IncomingProtocol.IMAP, server, server,
        TlsTrust(ca_file=str(stack.ca_file)),
    )  # fmt: skip
    root.mkdir(parents=True, exist_ok=True)
    database = Database.open(root / "mail.sqlite3")
    password = box.user.password

    async def secret() -> str:
        return password

    sync = ImapSync(
        account, database=database, blobs=BlobStore(root / "messages", database), password=secret,
        prefetch_inbox=prefetch,
    )  # fmt: skip
    return sync, database


class Ticker:
    """A 10 ms timer recording its worst lateness (how long the loop was blocked)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            self.worst = max(self.worst, loop.time() - before - 0.01)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _check(report: SyncReport, box: StackMailbox, *, bodies: bool) -> None:
    inbox = next(f for f in report.folders if f.folder == "INBOX")
    got = inbox.bodies if bodies else inbox.new
    if got != box.mailbox.count or report.errors:
        raise RuntimeError(f"our sync stored {got} of {box.mailbox.count}: {report.errors}")


async def ours_header(box: StackMailbox, root: Path) -> tuple[float, float]:
    """(seconds for the initial header sync, worst loop lateness during it)."""
    sync, database = make_sync(box, root, prefetch=0)
    try:
        await sync.client()  # connected and logged in before the clock, like imaplib's side
        ticker = Ticker()
        ticker.start()
        start = time.perf_counter()
        report = await sync.sync(["INBOX"])
        elapsed = time.perf_counter() - start
        await ticker.stop()
        _check(report, box, bodies=False)
        await sync.disconnect()
    finally:
        database.close()
    return elapsed, ticker.worst


async def ours_full(box: StackMailbox, root: Path) -> float:
    """Seconds until every body is downloaded and in the text index (bench/search.py's IMAP
    row: what a real account does)."""
    return (await ours_full_timed(box, root))[1]


async def ours_full_timed(box: StackMailbox, root: Path) -> tuple[float, float]:
    """(seconds until every body is durable, seconds until the text index has them too).

    What Engine.download_bodies runs: a sync, then every body, durable batch by batch, while
    the text indexer follows (ADR 0007); the engine returns after index_pending()."""
    sync, database = make_sync(box, root, prefetch=0)
    try:
        start = time.perf_counter()
        report = await sync.download_bodies(["INBOX"])
        await sync.disconnect()
        durable = time.perf_counter() - start
        await sync.index_pending()
        indexed = time.perf_counter() - start
        _check(report, box, bodies=True)
        _check_indexed(database, box)
    finally:
        database.close()
    return durable, indexed


def _check_indexed(database: Database, box: StackMailbox) -> None:
    """Every body's words are searchable: nothing queued, one text row with a body each."""
    with database.read() as connection:
        queued = connection.execute("SELECT count(*) FROM body_text_pending").fetchone()[0]
        missing = connection.execute(
            "SELECT count(*) FROM messages WHERE body_hash IS NULL"
        ).fetchone()[0]
    hits = len(SearchRepository(database).search("roadmap", limit=100_000))
    if queued or missing or hits < box.mailbox.count // 3:
        raise RuntimeError(f"index incomplete: {queued} queued, {missing} without body, {hits}")


async def ours_resync(box: StackMailbox, root: Path) -> float:
    sync, database = make_sync(box, root, prefetch=50)  # the engine's default prefetch
    try:
        start = time.perf_counter()
        report = await sync.sync(["INBOX"])
        await sync.disconnect()
        elapsed = time.perf_counter() - start
        if report.new or report.errors:
            raise RuntimeError(f"a no-change resync found changes: {report}")
    finally:
        database.close()
    return elapsed


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", choices=["header", "full", "resync"])
    args = parser.parse_args()
    require_tools({"mbsync": "isync", "postfix": "postfix", "dovecot": "dovecot-imapd"}, root=True)
    mailbox = ensure_maildir(args.seed, args.count)
    print(f"mailbox: {mailbox.count} messages, {mailbox.total_bytes / 1e6:.0f} MB ({mailbox.root})")
    with stack_mailbox(mailbox) as box, tempfile.TemporaryDirectory(prefix="mabench-") as tmp:
        work = Path(tmp)
        mbsync = Mbsync(box, work)
        raw, header, stalls, mb_full, full, indexed, mb_resync, resync, raw_resync = (
            [] for _ in range(9)
        )
        for run in range(1, args.repeat + 1):
            raw.append(imaplib_header_fetch(box))
            profile = work / f"header-{run}"
            seconds, stall = asyncio.run(ours_header(box, profile))
            header.append(seconds)
            stalls.append(stall)
            shutil.rmtree(profile)
            mbsync.reset()
            mb_full.append(mbsync.run())
            if mbsync.stored() != mailbox.count:
                raise RuntimeError(f"mbsync stored {mbsync.stored()} of {mailbox.count}")
            profile = work / f"full-{run}"
            durable, searchable = asyncio.run(ours_full_timed(box, profile))
            full.append(durable)
            indexed.append(searchable)
            mb_resync.append(mbsync.run())
            resync.append(asyncio.run(ours_resync(box, profile)))
            raw_resync.append(imaplib_resync(box))
            shutil.rmtree(profile)
            print(
                f"run {run}: header {raw[-1]:.2f}s raw / {header[-1]:.2f}s ours "
                f"(stall {stall * 1000:.0f} ms); full {mb_full[-1]:.2f}s mbsync / "
                f"{full[-1]:.2f}s ours (index complete {indexed[-1]:.2f}s); "
                f"resync {mb_resync[-1] * 1000:.0f} ms mbsync / "
                f"{resync[-1] * 1000:.0f} ms ours / {raw_resync[-1] * 1000:.0f} ms imaplib",
                flush=True,
            )
        results = Results()
        results.ratio("header sync, parsed + stored", median(header), median(raw), 5, "imaplib")
        results.ratio("  (stretch target)", median(header), median(raw), 3, "imaplib")
        results.ratio("full download into the store", median(full), median(mb_full), 0.5, "mbsync")
        results.info("  (until the text index has it)", median(indexed), median(mb_full), "mbsync")
        results.ratio("no-change resync", median(resync), median(mb_resync), 0.5, "mbsync")
        results.info(
            "  (same, vs imaplib CONDSTORE)", median(resync), median(raw_resync), "imaplib"
        )
        results.absolute("loop stall in header sync (max)", max(stalls), 0.050)
        results.print(
            f"bench/sync.py: {mailbox.count} messages, {mailbox.total_bytes / 1e6:.0f} MB, "
            f"median of {args.repeat}"
        )
        if args.profile == "header":
            profile_call("our header sync", lambda: ours_header(box, work / "profile-header"))
        elif args.profile == "full":
            profile_call("our full download", lambda: ours_full(box, work / "profile-full"))
        elif args.profile == "resync":
            asyncio.run(ours_full(box, work / "profile-resync"))
            profile_call("our no-change resync", lambda: ours_resync(box, work / "profile-resync"))


if __name__ == "__main__":
    main()
