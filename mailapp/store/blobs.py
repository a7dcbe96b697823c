"""Content-addressed message files: the raw bytes of each message, named by their SHA-256.

Imports: core and the stdlib only.

Layout: <root>/<first two hex digits>/<64 hex digits>, plus <root>/tmp for files being
written. A file appears under its final name only whole: it is written to tmp, optionally
fsynced, then renamed (atomic on one file system). Names are validated hex digests, so no
caller-supplied text ever becomes a path and nothing can escape the root.

Bulk writes (put_many) make a whole batch durable at once: every file is written, the files
are fsynced together (concurrent fsyncs share the file system's journal commits, so a batch
costs a few commits instead of one per file), renamed, and each directory that gained a name
is fsynced once. Only then does the caller commit the rows that point at them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path
from typing import Any

from mailapp.core.errors import StoreError

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SHARD = re.compile(r"[0-9a-f]{2}")
_TMP = "tmp"
_O_BINARY: int = getattr(os, "O_BINARY", 0)
_FSYNC_THREADS = 8


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


class BlobStore:
    """Message files under one root directory (the profile's `messages/`)."""

    def __init__(self, root: str | PathLike[str]) -> None:
        self.root = Path(root).absolute()
        self._made: set[Path] = set()  # directories known to exist

    def path_for(self, digest: str) -> Path:
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise StoreError(f"not a message file name: {digest!r}")
        return self.root / digest[:2] / digest

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store the bytes and return their digest; storing the same bytes again is free.

        durable=False skips the fsyncs (a bulk download that can re-fetch after a crash);
        get() verifies the digest, so a file torn by a power cut is reported, never used.
        """
        return self.put_many([data], durable=durable)[0]

    def put_many(self, items: Iterable[bytes], *, durable: bool = True) -> list[str]:
        """put() for a batch: the digests in order. With durable=True every file is on disk
        (data and name) when this returns; a failure leaves no file under a final name that
        was not already whole."""
        digests: list[str] = []
        todo: list[tuple[Path, Path, bytes, bool]] = []  # (tmp, final, data, durable)
        seen: set[str] = set()
        try:
            for data in items:
                digest = digest_of(data)
                digests.append(digest)
                final = self.path_for(digest)
                if digest in seen or _has_size(final, len(data)):
                    continue
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

    def get(self, digest: str, *, verify: bool = True) -> bytes:
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

    def exists(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def delete(self, digest: str) -> bool:
        try:
            self.path_for(digest).unlink()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise StoreError(f"cannot delete message file {digest}: {error.strerror}") from error
        return True

    def digests(self) -> Iterator[str]:
        """Every stored digest (order unspecified)."""
        if not self.root.is_dir():
            return
        for shard in self.root.iterdir():
            if not _SHARD.fullmatch(shard.name) or not shard.is_dir():
                continue
            for entry in shard.iterdir():
                if _DIGEST.fullmatch(entry.name) and entry.name.startswith(shard.name):
                    yield entry.name

    def delete_unreferenced(
        self, referenced: Collection[str], *, min_age_seconds: float = 3600.0
    ) -> int:
        """Delete files no row refers to; returns how many were deleted.

        Files younger than min_age_seconds are kept: a sync may have written a file whose row
        is not committed yet. Leftover temporary files of that age go too.
        """
        cutoff = time.time() - min_age_seconds
        removed = 0
        for digest in list(self.digests()):
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
        return removed


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
