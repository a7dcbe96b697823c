"""Content-addressed message files: the raw bytes of each message, named by their SHA-256.

Imports: core, store.db, store.packs and the stdlib.

Layout: <root>/<first two hex digits>/<64 hex digits>, plus <root>/tmp for files being
written. A file appears under its final name only whole: it is written to tmp, optionally
fsynced, then renamed (atomic on one file system). Names are validated hex digests, so no
caller-supplied text ever becomes a path and nothing can escape the root.

Bulk writes (put_many) make a whole batch durable at once: every file is written, the files
are fsynced together (concurrent fsyncs share the file system's journal commits, so a batch
costs a few commits instead of one per file), renamed, and each directory that gained a name
is fsynced once. Only then does the caller commit the rows that point at them.

Packs (ADR 0007): given the profile's database, batches of PACK_MIN_ITEMS messages or more
go into one pack file instead (packs.py: one create, one write, one fsync per batch), and
the table blob_packs (migration 0007) maps each digest to (pack, offset, length). The rows
are inserted only after the pack is fsynced, in the caller's transaction when it uses
stage_pack/record_pack (so a batch's messages and their locations commit together), else
by put_many itself. Reads look for a row first, then for a file of its own, so stores
written before packs, and single messages (still one file each: a pack of one would cost
the same file plus a commit), read as before. delete_unreferenced drops unreferenced rows
and rewrites packs that became mostly garbage (compaction).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from mailapp.core.errors import StoreError
from mailapp.store import packs
from mailapp.store.db import Database

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SHARD = re.compile(r"[0-9a-f]{2}")
_TMP = "tmp"
PACKS = "packs"
_O_BINARY: int = getattr(os, "O_BINARY", 0)
_FSYNC_THREADS = 8
# Batches smaller than this are written as files of their own (a pack would cost as much).
PACK_MIN_ITEMS = 8
# Compaction rewrites a pack once less than this share of its bytes is still referenced.
COMPACT_BELOW = 0.5


class _FsyncPool:
    """Threads for concurrent fsyncs, started on first use and shared by every store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def get(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    _FSYNC_THREADS, thread_name_prefix="mailapp-fsync"
                )
            return self._executor


_POOL = _FsyncPool()


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class StagedPack:
    """A pack written (and fsynced when durable) whose rows are not recorded yet.

    digests: one per item given to stage_pack, in order; records: the new ones in the pack
    (none when every item was already stored, and then there is no file either)."""

    name: str | None
    digests: list[str]
    records: list[packs.Record]


class BlobStore:
    """Message bytes under one root directory (the profile's `messages/`): files of their
    own, and packs when the store has the profile's database (see the module docstring)."""

    def __init__(self, root: str | PathLike[str], database: Database | None = None) -> None:
        self.root = Path(root).absolute()
        self.database = database
        self._made: set[Path] = set()  # directories known to exist

    @property
    def packs_dir(self) -> Path:
        return self.root / PACKS

    def path_for(self, digest: str) -> Path:
        """Where the message would be as a file of its own."""
        _check_digest(digest)
        return self.root / digest[:2] / digest

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store the bytes and return their digest; storing the same bytes again is free.

        durable=False skips the fsyncs (a bulk download that can re-fetch after a crash);
        get() verifies the digest, so a file torn by a power cut is reported, never used.
        """
        return self.put_many([data], durable=durable)[0]

    def put_many(self, items: Iterable[bytes], *, durable: bool = True) -> list[str]:
        """put() for a batch: the digests in order. With durable=True every message is on
        disk (data and name, and its pack row committed FULL) when this returns; a failure
        leaves nothing under a final name or in a row that was not already whole."""
        batch = list(items)
        if self.database is None or len(batch) < PACK_MIN_ITEMS:
            return self._put_files(batch, durable=durable)
        staged = self.stage_pack(batch, durable=durable)
        if staged.records:
            with self.database.write(durable=durable) as connection:
                self.record_pack(connection, staged)
        return staged.digests

    # --- packs ---------------------------------------------------------------------------

    def stage_pack(self, items: Sequence[bytes], *, durable: bool = True) -> StagedPack:
        """Write the items not stored yet into a new pack (fsynced, and its directory, when
        durable). Nothing points at it until record_pack's rows commit; a pack never
        recorded (a crash, a rollback) is removed by delete_unreferenced."""
        if self.database is None:
            raise StoreError("this message store has no database, so it cannot keep packs")
        digests = [digest_of(data) for data in items]
        known = self._known(digests)
        self._refresh(known)
        todo: list[tuple[str, bytes]] = []
        for digest, data in zip(digests, items, strict=True):
            if digest in known:
                continue
            known.add(digest)
            todo.append((digest, data))
        if not todo:
            return StagedPack(None, digests, [])
        name = packs.new_name()
        try:
            self._ensure_dir(self.packs_dir)
            records = packs.write_pack(self.packs_dir / name, todo, durable=durable)
            if durable:
                _fsync_directory(self.packs_dir)
        except OSError as error:
            self._made.clear()
            raise StoreError(
                f"cannot write a message pack under {self.root}: {error.strerror or error}"
            ) from error
        return StagedPack(name, digests, records)

    def record_pack(self, connection: sqlite3.Connection, staged: StagedPack) -> None:
        """Insert the staged pack's rows (inside the caller's write transaction, on the
        database this store was given). Same bytes recorded twice keep the first row."""
        if not staged.records:
            return
        now = int(time.time())
        connection.executemany(
            "INSERT OR IGNORE INTO blob_packs (digest, pack, offset, length, created)"
            " VALUES (?, ?, ?, ?, ?)",
            [(r.digest, staged.name, r.offset, r.length, now) for r in staged.records],
        )

    def _refresh(self, digests: Collection[str]) -> None:
        """Bytes stored again count as new: delete_unreferenced keeps only what is younger
        than its grace period among what its snapshot of references did not name, and a
        writer reusing old unreferenced bytes commits its row after that snapshot."""
        if not digests:
            return
        packed = self._packed(digests)
        if packed and self.database is not None:
            with self.database.write() as connection:
                connection.execute(
                    "UPDATE blob_packs SET created = ?"
                    " WHERE digest IN (SELECT value FROM json_each(?))",
                    (int(time.time()), json.dumps(sorted(packed))),
                )
        for digest in set(digests) - packed:
            _touch(self.path_for(digest))

    def _known(self, digests: Sequence[str]) -> set[str]:
        """Which of the digests are stored already (packed, or a whole file)."""
        known = self._packed(digests)
        return known | {d for d in set(digests) - known if self.path_for(d).is_file()}

    def _packed(self, digests: Iterable[str]) -> set[str]:
        if self.database is None:
            return set()
        with self.database.read() as connection:
            rows = connection.execute(
                "SELECT digest FROM blob_packs WHERE digest IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(set(digests))),),
            )
            return {values[0] for values in rows}

    def _location(self, digest: str) -> tuple[str, int, int] | None:
        if self.database is None:
            return None
        with self.database.read() as connection:
            row = connection.execute(
                "SELECT pack, offset, length FROM blob_packs WHERE digest = ?", (digest,)
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    # --- files of their own --------------------------------------------------------------

    def _put_files(self, items: Sequence[bytes], *, durable: bool) -> list[str]:
        digests: list[str] = []
        todo: list[tuple[Path, Path, bytes, bool]] = []  # (tmp, final, data, durable)
        seen: set[str] = set()
        try:
            for data in items:
                digest = digest_of(data)
                digests.append(digest)
                final = self.path_for(digest)
                if digest in seen:
                    continue
                if _has_size(final, len(data)) and _touch(final):
                    continue  # stored already; now young again (see _refresh)
                seen.add(digest)
                self._ensure_dir(final.parent)
                tmp = self._tmp_dir() / f"{digest[:16]}.{secrets.token_hex(8)}"
                todo.append((tmp, final, data, durable))
            # Creating, writing and fsyncing files waits on the disk, not the CPU: done
            # concurrently, the waits overlap (and the fsyncs share journal commits).
            _run_all(_write_file, todo)
            if durable and todo:
                _run_all(_fsync_directory, sorted({final.parent for _, final, _, _ in todo}))
        except OSError as error:
            self._made.clear()  # a directory removed behind our back is made again next time
            raise StoreError(
                f"cannot write a message file under {self.root}: {error.strerror or error}"
            ) from error
        return digests

    def _tmp_dir(self) -> Path:
        tmp_dir = self.root / _TMP
        self._ensure_dir(tmp_dir)
        return tmp_dir

    def _ensure_dir(self, directory: Path) -> None:
        if directory not in self._made:
            directory.mkdir(parents=True, exist_ok=True)
            self._made.add(directory)

    # --- reading -------------------------------------------------------------------------

    def get(self, digest: str, *, verify: bool = True) -> bytes:
        _check_digest(digest)
        data = self._read_packed(digest)
        if data is None:
            path = self.path_for(digest)
            try:
                data = path.read_bytes()
            except FileNotFoundError as error:
                raise StoreError(f"message file {digest} is missing") from error
            except OSError as error:
                raise StoreError(f"cannot read message file {path}: {error.strerror}") from error
        if verify and digest_of(data) != digest:
            raise StoreError(
                f"message file {digest} is damaged (its content does not match its name)",
                hint="It will be downloaded again.",
            )
        return data

    def get_many(self, digests: Sequence[str]) -> list[bytes | StoreError]:
        """get() for a batch (one lookup of the pack rows for all): the bytes of each, or the
        StoreError get() would have raised for it."""
        for digest in digests:
            _check_digest(digest)
        located: dict[str, tuple[str, int, int]] = {}
        if self.database is not None:
            with self.database.read() as connection:
                located = {
                    values[0]: (values[1], values[2], values[3])
                    for values in connection.execute(
                        "SELECT digest, pack, offset, length FROM blob_packs"
                        " WHERE digest IN (SELECT value FROM json_each(?))",
                        (json.dumps(sorted(set(digests))),),
                    )
                }
        found: list[bytes | StoreError] = []
        for digest in digests:
            where = located.get(digest)
            try:
                if where is None:
                    found.append(self.get(digest))
                    continue
                try:
                    data = packs.read_at(self.packs_dir / where[0], where[1], where[2])
                except FileNotFoundError:  # moved by a compaction meanwhile
                    data = self.get(digest, verify=False)
                except OSError as error:
                    raise StoreError(
                        f"cannot read message pack {where[0]}: {error.strerror or error}"
                    ) from error
                if digest_of(data) != digest:
                    raise StoreError(
                        f"message file {digest} is damaged (its content does not match its name)",
                        hint="It will be downloaded again.",
                    )
                found.append(data)
            except StoreError as error:
                found.append(error)
        return found

    def _read_packed(self, digest: str) -> bytes | None:
        # Compaction may move the bytes between the lookup and the read: look again once.
        for _ in range(2):
            location = self._location(digest)
            if location is None:
                return None
            pack, offset, length = location
            try:
                return packs.read_at(self.packs_dir / pack, offset, length)
            except FileNotFoundError:
                continue
            except OSError as error:
                raise StoreError(
                    f"cannot read message pack {pack}: {error.strerror or error}"
                ) from error
        raise StoreError(f"message file {digest} is missing (its pack is gone)")

    def exists(self, digest: str) -> bool:
        _check_digest(digest)
        return self._location(digest) is not None or self.path_for(digest).is_file()

    def delete(self, digest: str) -> bool:
        """Forget the message's bytes: its file goes at once, its pack row too (the pack's
        space comes back when delete_unreferenced compacts it)."""
        _check_digest(digest)
        removed = False
        if self.database is not None:
            with self.database.write() as connection:
                cursor = connection.execute("DELETE FROM blob_packs WHERE digest = ?", (digest,))
                removed = cursor.rowcount > 0
        try:
            self.path_for(digest).unlink()
        except FileNotFoundError:
            return removed
        except OSError as error:
            raise StoreError(f"cannot delete message file {digest}: {error.strerror}") from error
        return True

    def digests(self) -> Iterator[str]:
        """Every stored digest, packed or a file of its own (order unspecified; one that is
        both is given twice)."""
        if self.database is not None:
            with self.database.read() as connection:
                packed = [
                    values[0] for values in connection.execute("SELECT digest FROM blob_packs")
                ]
            yield from packed
        yield from self._file_digests()

    # --- cleaning up ---------------------------------------------------------------------

    def delete_unreferenced(
        self, referenced: Collection[str], *, min_age_seconds: float = 3600.0
    ) -> int:
        """Delete messages no row refers to; returns how many were deleted.

        Files and pack rows younger than min_age_seconds are kept: a sync may have written
        one whose message row is not committed yet. Leftover temporary files and packs no
        row points at of that age go too, and packs mostly unreferenced are compacted."""
        cutoff = time.time() - min_age_seconds
        removed = 0
        for digest in set(self._file_digests()):
            if digest in referenced:
                continue
            path = self.path_for(digest)
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
        tmp_dir = self.root / _TMP
        if tmp_dir.is_dir():
            for entry in tmp_dir.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file() and entry.stat().st_mtime <= cutoff:
                        entry.unlink()
        if self.database is not None:
            removed += self._drop_unreferenced_rows(referenced, cutoff)
            self.compact(min_age_seconds=min_age_seconds)
        return removed

    def _file_digests(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for shard in self.root.iterdir():
            if not _SHARD.fullmatch(shard.name) or not shard.is_dir():
                continue
            for entry in shard.iterdir():
                if _DIGEST.fullmatch(entry.name) and entry.name.startswith(shard.name):
                    yield entry.name

    def _drop_unreferenced_rows(self, referenced: Collection[str], cutoff: float) -> int:
        assert self.database is not None
        with self.database.read() as connection:
            candidates = [
                values[0]
                for values in connection.execute(
                    "SELECT digest FROM blob_packs WHERE created <= ?", (int(cutoff),)
                )
                if values[0] not in referenced
            ]
        if not candidates:
            return 0
        with self.database.write() as connection:
            cursor = connection.execute(
                "DELETE FROM blob_packs WHERE digest IN (SELECT value FROM json_each(?))",
                (json.dumps(candidates),),
            )
            return cursor.rowcount

    def compact(self, *, min_age_seconds: float = 3600.0) -> int:
        """Remove packs no row points at and rewrite those mostly unreferenced into a new
        pack (only packs older than min_age_seconds: a young one may be staged for a
        commit still to come); returns how many pack files were removed.

        Crash safety: the new pack is fsynced before its rows are switched to it in one
        transaction, and the old file is removed only after that commit. A crash leaves
        either the old rows (the new pack is garbage) or the new ones (the old pack is)."""
        if self.database is None or not self.packs_dir.is_dir():
            return 0
        cutoff = time.time() - min_age_seconds
        with self.database.read() as connection:
            live = {
                values[0]: values[1]
                for values in connection.execute(
                    "SELECT pack, sum(length + ?) FROM blob_packs GROUP BY pack",
                    (packs.HEAD_SIZE,),
                )
            }
        removed = 0
        for entry in self.packs_dir.iterdir():
            if not packs.is_pack_name(entry.name):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            if stat.st_mtime > cutoff:
                continue
            kept = live.get(entry.name, 0)
            if kept and kept >= COMPACT_BELOW * stat.st_size:
                continue
            try:
                if kept:
                    self._rewrite(entry.name)
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
            except OSError as error:
                raise StoreError(
                    f"cannot compact message pack {entry.name}: {error.strerror or error}"
                ) from error
            removed += 1
        return removed

    def _rewrite(self, name: str) -> None:
        """Copy the live records of pack `name` into a new pack and point their rows at it."""
        assert self.database is not None
        with self.database.read() as connection:
            rows = connection.execute(
                "SELECT digest, offset, length FROM blob_packs WHERE pack = ?", (name,)
            ).fetchall()
        items: list[tuple[str, bytes]] = []
        for digest, offset, length in rows:
            data = packs.read_at(self.packs_dir / name, offset, length)
            if digest_of(data) == digest:  # damaged bytes are dropped, to be fetched again
                items.append((digest, data))
        new = packs.new_name() if items else None
        records: list[packs.Record] = []
        if new is not None:
            records = packs.write_pack(self.packs_dir / new, items, durable=True)
            _fsync_directory(self.packs_dir)
        with self.database.write(durable=True) as connection:
            connection.execute(
                "DELETE FROM blob_packs WHERE pack = ? AND digest NOT IN"
                " (SELECT value FROM json_each(?))",
                (name, json.dumps([r.digest for r in records])),
            )
            connection.executemany(
                "UPDATE blob_packs SET pack = ?, offset = ? WHERE digest = ? AND pack = ?",
                [(new, r.offset, r.digest, name) for r in records],
            )


def _check_digest(digest: str) -> None:
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise StoreError(f"not a message file name: {digest!r}")


def _write_file(job: tuple[Path, Path, bytes, bool]) -> None:
    """Write to a temporary name, fsync when durable, then rename into place."""
    tmp, final, data, durable = job
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _touch(path: Path) -> bool:
    """Give an existing file the current time; False when it is gone (write it again)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _run_all(work: Callable[[Any], object], items: Sequence[Any]) -> None:
    """work(item) for every item, concurrently when there are several (fsyncs release the
    GIL); the first error is raised once all have finished."""
    if len(items) == 1:
        work(items[0])
        return
    futures = [_POOL.get().submit(work, item) for item in items]
    errors = [error for future in futures if (error := future.exception()) is not None]
    if errors:
        raise errors[0]


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX. Windows cannot fsync a directory; there the
    # rename is as durable as NTFS's own journal makes it.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
