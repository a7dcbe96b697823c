"""Reclaiming the message store: the bytes of messages nothing refers to any more leave the disk.

Imports: core, store (db, blobs, messages, outbox) and the stdlib; never asyncio (the engine
runs `StoreUpkeep.run` in a worker thread).

BlobStore keeps every message's bytes until `delete_unreferenced` is told which digests are
still live (ADR 0007). The live set is the union of every owner of a digest:
- messages.body_hash (mail in the store, IMAP and POP3),
- the outbox (raw_hash), delivery reports and events (report_hash) and the drafts kept with
  queued messages (outbox_drafts.attachment_hashes): OutboxRepository.referenced_blobs,
- pending_changes payloads (a queued APPEND may name a message file),
- the drafts saved on this computer (<profile>/drafts/*.json): their attachments are paths of
  message files once a queued message was taken back for editing.
The database owners are read in one snapshot, before the drafts directory: a message taken
back from the outbox is written to the drafts directory before its outbox row goes, so reading
in this order sees it in one place or the other. Files and pack rows younger than the grace
period survive whatever the live set says (a sync may have stored bytes whose row is not
committed yet); anything a draft file or payload mentions that looks like a digest is kept,
so a record this module cannot parse never costs a message.

The last run is remembered in <profile>/store-upkeep.json, so syncs clean at most once a day.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mailapp.store import packs
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.store.messages import MessageRepository
from mailapp.store.outbox import OutboxRepository

log = logging.getLogger(__name__)

STATE_FILE = "store-upkeep.json"
# Bytes younger than this are kept: their row may be in a transaction still to commit.
GRACE_SECONDS = 3600.0
# A sync cleans the store at most this often.
INTERVAL_SECONDS = 24 * 3600.0

_DIGEST_TEXT = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_SHARD = re.compile(r"[0-9a-f]{2}")


@dataclass(frozen=True, slots=True)
class UpkeepReport:
    """What one cleanup did. messages: message files and pack rows deleted; packs_removed:
    pack files gone (emptied, or rewritten smaller); bytes_freed: disk space given back (an
    under-count when a download wrote new packs meanwhile); referenced: the live set's size."""

    messages: int
    packs_removed: int
    bytes_freed: int
    referenced: int
    started_at: float
    seconds: float


class StoreUpkeep:
    """The cleanup of one profile's message store (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        *,
        drafts_dir: Path,
        state_file: Path,
        grace_seconds: float = GRACE_SECONDS,
        interval_seconds: float = INTERVAL_SECONDS,
    ) -> None:
        self.database = database
        self.blobs = blobs
        self.drafts_dir = drafts_dir
        self.state_file = state_file
        self.grace_seconds = grace_seconds
        self.interval_seconds = interval_seconds
        self._running = threading.Lock()

    # --- the live set ------------------------------------------------------------------------

    def referenced(self) -> set[str]:
        """Every digest something in the profile still refers to."""
        with self.database.read() as connection:  # one snapshot for every table
            live = MessageRepository(self.database).referenced_bodies()
            live |= OutboxRepository(self.database, self.blobs).referenced_blobs()
            for (payload,) in connection.execute("SELECT payload FROM pending_changes"):
                live.update(_DIGEST_TEXT.findall(str(payload).lower()))
        live |= self._draft_digests()
        return live

    def _draft_digests(self) -> set[str]:
        found: set[str] = set()
        if not self.drafts_dir.is_dir():
            return found
        for entry in self.drafts_dir.iterdir():
            # Records and their temporary files alike (a save in progress); the .eml copies
            # hold the message itself, never the name of a message file.
            if entry.suffix == ".eml":
                continue
            try:
                text = entry.read_text(encoding="utf-8", errors="replace")
            except (FileNotFoundError, IsADirectoryError):
                continue
            found.update(_DIGEST_TEXT.findall(text.lower()))
        return found

    # --- running -------------------------------------------------------------------------------

    def due(self, now: float | None = None) -> bool:
        """True when the last run is an interval or more ago (or unknown, or in the future:
        a clock set back must not stop the cleanup for good)."""
        now = time.time() if now is None else now
        last = self.last_run()
        return last is None or last > now or now - last >= self.interval_seconds

    def last_run(self) -> float | None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            return float(data["last_run"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def run_if_due(self) -> UpkeepReport | None:
        """run() when due; None when not (or when a run is under way in this process)."""
        if not self.due():
            return None
        return self.run(wait=False)

    def run(self, *, wait: bool = True) -> UpkeepReport | None:
        """Delete unreferenced message bytes and compact the packs; blocking (call it in a
        worker thread). The run is recorded first, so a failure is not retried at every sync.
        Without wait, returns None at once when another run of this process is under way.

        BlobStore's write transactions are short (one DELETE of the unreferenced rows, one
        switch of rows per rewritten pack); reading, writing and removing files happen
        outside them, so syncs keep committing meanwhile."""
        if not self._running.acquire(blocking=wait):
            return None
        try:
            started = time.time()
            self._record(started)
            live = frozenset(self.referenced())
            before = self._usage()
            messages = self.blobs.delete_unreferenced(live, min_age_seconds=self.grace_seconds)
            # delete_unreferenced compacts too; a second pass catches packs its row deletion
            # left empty only after the first pass had looked.
            self.blobs.compact(min_age_seconds=self.grace_seconds)
            after = self._usage()
            gone = sum(size for key, size in before.items() if key not in after)
            new = sum(size for key, size in after.items() if key not in before)
            report = UpkeepReport(
                messages=messages,
                packs_removed=sum(1 for key in before if key[0] == "pack" and key not in after),
                bytes_freed=max(0, gone - new),
                referenced=len(live),
                started_at=started,
                seconds=time.time() - started,
            )
            log.info(
                "message store cleaned: %d message(s), %d pack(s), %d bytes freed",
                report.messages,
                report.packs_removed,
                report.bytes_freed,
            )
            return report
        finally:
            self._running.release()

    def _record(self, when: float) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_name(f".{self.state_file.name}.{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_text(json.dumps({"last_run": when}), encoding="utf-8")
            os.replace(tmp, self.state_file)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def _usage(self) -> dict[tuple[str, str], int]:
        """(kind, name) -> size of every file the store holds: files of their own, packs and
        leftover temporary files."""
        sizes: dict[tuple[str, str], int] = {}
        root = self.blobs.root
        if not root.is_dir():
            return sizes
        for directory in root.iterdir():
            if _SHARD.fullmatch(directory.name):
                kind = "file"
            elif directory.name == "tmp":
                kind = "tmp"
            elif directory == self.blobs.packs_dir:
                kind = "pack"
            else:
                continue
            if not directory.is_dir():
                continue
            for entry in directory.iterdir():
                if kind == "pack" and not packs.is_pack_name(entry.name):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    sizes[(kind, entry.name)] = entry.stat().st_size
        return sizes
