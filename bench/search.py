"""Benchmark: indexing a mailbox for search, and five queries, our store side by side with
notmuch (Xapian) in the same run.

Run (as root unless --no-imap):
    .venv/bin/python bench/search.py [--count 20000] [--repeat 3] [--no-imap] [--profile]
Needs Debian's notmuch (the CLI). The mailbox comes from bench/mailgen.py (cached in /tmp).

Cases, each the median of --repeat runs, ours and notmuch interleaved:
  index (files)  `notmuch new` into a fresh database over a hard-linked copy of the Maildir vs
                 ours from the same files: the engine's from-bytes path
                 (engine.sync.pop3_fetch.new_message_from: headers parsed + index_text), each
                 batch of 1,000 files written into one pack of the BlobStore (stage_pack, as
                 a bulk download does), then the pack's rows, the message rows and FTS5 text
                 in one transaction per batch (record_pack + MessageRepository.insert_many +
                 set_bodies);
  index (IMAP)   information: our full IMAP download (headers, then every body into the
                 BlobStore + FTS5) from the suite's Dovecot, the path a real account takes;
                 skipped with --no-imap (it needs root for Postfix + Dovecot);
  queries        subject word, from:, rare body word, common body word, one-month date range:
                 SearchRepository.search(query, limit=50) (rows with subject, sender, preview)
                 vs `notmuch search --output=messages --limit=50` (newest first), each the
                 median of --query-repeat after one warm-up; hit counts are printed to show
                 the two sides answer the same question.
--profile runs our file indexing once more under cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from harness import Results, median, profile_call, require_tools, stack_mailbox
from mailgen import COMMON_WORD, COUNT, RARE_WORD, SEED, SUBJECT_WORD, Mailbox, ensure_maildir
from mailgen import link_maildir as link_copy

from mailapp.engine.sync.pop3_fetch import new_message_from
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.messages import BodyUpdate, MessageFlag, MessageRepository, NewMessage
from mailapp.store.search import SearchRepository

BATCH = 1000
_FLAGS = {"S": MessageFlag.SEEN, "F": MessageFlag.FLAGGED, "R": MessageFlag.ANSWERED}


@dataclass(frozen=True, slots=True)
class Query:
    label: str
    ours: str
    notmuch: list[str]


def queries(mailbox: Mailbox) -> list[Query]:
    after, before = mailbox.date_range
    last_day = (datetime.fromisoformat(before) - datetime.fromisoformat(after)).days
    end = datetime.fromisoformat(after).replace(day=last_day).date().isoformat()
    return [
        Query("subject word", f"subject:{SUBJECT_WORD}", [f"subject:{SUBJECT_WORD}"]),
        Query("from:", f"from:{mailbox.sender}", [f"from:{mailbox.sender}"]),
        Query("rare body word", RARE_WORD, [RARE_WORD]),
        Query("common body word", COMMON_WORD, [COMMON_WORD]),
        Query("date range", f"after:{after} before:{before}", [f"date:{after}..{end}"]),
    ]


# --- notmuch ------------------------------------------------------------------------------------


class Notmuch:
    def __init__(self, mailbox: Mailbox, work: Path) -> None:
        self.mail = work / "notmuch-mail"
        link_copy(mailbox.root, self.mail)
        self.database = work / "notmuch-db"
        self.config = work / "notmuch-config"
        self.config.write_text(
            f"[database]\npath={self.database}\nmail_root={self.mail}\n\n"
            "[user]\nname=Bench User\nprimary_email=bench@example.test\n\n"
            "[new]\ntags=unread;inbox;\nignore=\n\n"
            "[search]\nexclude_tags=deleted;spam;\n\n"
            "[maildir]\nsynchronize_flags=true\n"
        )

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            ["notmuch", f"--config={self.config}", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"notmuch {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def index(self) -> float:
        shutil.rmtree(self.database, ignore_errors=True)
        self.database.mkdir()
        start = time.perf_counter()
        self._run("new", "--quiet")
        return time.perf_counter() - start

    def search(self, terms: list[str]) -> tuple[float, int]:
        start = time.perf_counter()
        out = self._run("search", "--output=messages", "--limit=50", *terms)
        return time.perf_counter() - start, len(out.splitlines())

    def count(self, terms: list[str]) -> int:
        return int(self._run("count", *terms))

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.database.rglob("*") if p.is_file())


# --- ours ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class IndexTimes:
    total: float = 0.0
    parse: float = 0.0  # new_message_from: headers + index_text
    blobs: float = 0.0  # BlobStore.stage_pack
    store: float = 0.0  # rows + FTS5 in transactions


def _flags(path: Path) -> MessageFlag:
    flags = MessageFlag.NONE
    for letter in path.name.rpartition(":2,")[2]:
        flags |= _FLAGS.get(letter, MessageFlag.NONE)
    return flags


def ours_index(mailbox: Mailbox, root: Path) -> IndexTimes:
    """Index the Maildir's files into a fresh store (see the module docstring)."""
    root.mkdir(parents=True)
    times = IndexTimes()
    start = time.perf_counter()
    database = Database.open(root / "mail.sqlite3")
    blobs = BlobStore(root / "messages", database)
    folder = FolderRepository(database).upsert("bench", "INBOX", role=FolderRole.INBOX)
    messages = MessageRepository(database)
    files = mailbox.files()
    for offset in range(0, len(files), BATCH):
        rows: list[NewMessage] = []
        bodies = []
        raws = []
        for uid, path in enumerate(files[offset : offset + BATCH], start=offset + 1):
            raw = path.read_bytes()
            raws.append(raw)
            received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            t0 = time.perf_counter()
            row, body = new_message_from(raw, received)
            times.parse += time.perf_counter() - t0
            rows.append(replace(row, uid=uid, flags=_flags(path)))
            bodies.append((uid, body))
        t0 = time.perf_counter()
        # The batch's files go into one pack (ADR 0007), recorded in the rows' transaction.
        staged = blobs.stage_pack(raws, durable=False)
        times.blobs += time.perf_counter() - t0
        t0 = time.perf_counter()
        with database.write() as connection:
            blobs.record_pack(connection, staged)
            rows = [replace(r, body_hash=d) for r, d in zip(rows, staged.digests, strict=True)]
            messages.insert_many(folder.id, rows)
            # insert_many returns no ids: one look-up for the batch's (uid -> id).
            ids = dict(
                connection.execute(
                    "SELECT uid, id FROM messages WHERE folder_id = ? AND uid BETWEEN ? AND ?",
                    (folder.id, offset + 1, offset + len(rows)),
                ).fetchall()
            )
            messages.set_bodies(
                [
                    BodyUpdate(
                        ids[uid], digest, body.body_text, body.preview, None, body.extra_text
                    )
                    for (uid, body), digest in zip(bodies, staged.digests, strict=True)
                ]
            )
        times.store += time.perf_counter() - t0
    database.checkpoint()
    database.close()
    times.total = time.perf_counter() - start
    return times


def ours_search(database: Database, query: str) -> tuple[float, int]:
    start = time.perf_counter()
    rows = SearchRepository(database).search(query, limit=50)
    return time.perf_counter() - start, len(rows)


def _store_size(root: Path) -> tuple[int, int]:
    db = sum(p.stat().st_size for p in root.glob("mail.sqlite3*"))
    blobs = sum(p.stat().st_size for p in (root / "messages").rglob("*") if p.is_file())
    return db, blobs


def imap_index_runs(mailbox: Mailbox, work: Path, repeat: int) -> list[float]:
    """Our full IMAP download (bench/sync.py's `full` case) `repeat` times."""
    from sync import ours_full  # needs the mail stack; imported only when used

    runs = []
    with stack_mailbox(mailbox) as box:
        for run in range(repeat):
            profile = work / f"imap-{run}"
            runs.append(asyncio.run(ours_full(box, profile)))
            shutil.rmtree(profile)
            print(f"imap run {run + 1}: {runs[-1]:.2f}s", flush=True)
    return runs


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=COUNT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--query-repeat", type=int, default=7)
    parser.add_argument("--no-imap", action="store_true", help="skip the IMAP indexing row")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    tools = {"notmuch": "notmuch"}
    if not args.no_imap:
        tools |= {"postfix": "postfix", "dovecot": "dovecot-imapd"}
    require_tools(tools, root=not args.no_imap)
    mailbox = ensure_maildir(args.seed, args.count)
    print(f"mailbox: {mailbox.count} messages, {mailbox.total_bytes / 1e6:.0f} MB ({mailbox.root})")
    results = Results()
    with tempfile.TemporaryDirectory(prefix="mabench-") as tmp:
        work = Path(tmp)
        notmuch = Notmuch(mailbox, work)
        nm_index, our_index = [], []
        for run in range(1, args.repeat + 1):
            nm_index.append(notmuch.index())
            store = work / "store"
            shutil.rmtree(store, ignore_errors=True)
            times = ours_index(mailbox, store)
            our_index.append(times.total)
            print(
                f"run {run}: notmuch new {nm_index[-1]:.2f}s; ours {times.total:.2f}s (parse "
                f"{times.parse:.2f}s, blobs {times.blobs:.2f}s, rows+FTS {times.store:.2f}s)",
                flush=True,
            )
        db_size, blob_size = _store_size(store)
        results.ratio("index (files)", median(our_index), median(nm_index), 0.15, "notmuch")
        if not args.no_imap:
            imap = imap_index_runs(mailbox, work, args.repeat)
            results.info("  index (IMAP download)", median(imap), median(nm_index), "notmuch")
        database = Database.open(store / "mail.sqlite3")
        counts = []
        for query in queries(mailbox):
            ours_t, nm_t = [], []
            ours_search(database, query.ours)
            notmuch.search(query.notmuch)
            for _ in range(args.query_repeat):
                seconds, rows = ours_search(database, query.ours)
                ours_t.append(seconds)
                seconds, nm_rows = notmuch.search(query.notmuch)
                nm_t.append(seconds)
            ours_all = len(SearchRepository(database).search(query.ours, limit=10**9))
            counts.append(
                f"  {query.label}: ours {ours_all} hits ({rows} shown) `{query.ours}`; "
                f"notmuch {notmuch.count(query.notmuch)} ({nm_rows} shown) "
                f"`{' '.join(query.notmuch)}`"
            )
            results.both(f"query: {query.label}", median(ours_t), median(nm_t), 0.2, 0.020)
        database.close()
        results.print(
            f"bench/search.py: {mailbox.count} messages, {mailbox.total_bytes / 1e6:.0f} MB, "
            f"index median of {args.repeat}, queries median of {args.query_repeat}"
        )
        print("\nhits (same questions on both sides):")
        print("\n".join(counts))
        print(
            f"\nsizes: notmuch database {notmuch.size() / 1e6:.0f} MB; ours {db_size / 1e6:.0f} MB"
            f" SQLite (+ {blob_size / 1e6:.0f} MB message files, notmuch keeps none)"
        )
        if args.profile:
            profile_call("our file indexing", lambda: ours_index(mailbox, work / "profile"))


if __name__ == "__main__":
    main()
