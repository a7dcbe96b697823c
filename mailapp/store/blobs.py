"""Content-addressed message files: the raw bytes of each message, named by their SHA-256.

Imports: core and the stdlib only.

Layout: <root>/<first two hex digits>/<64 hex digits>, plus <root>/tmp for files being
written. A file appears under its final name only whole: it is written to tmp, optionally
fsynced, then renamed (atomic on one file system). Names are validated hex digests, so no
caller-supplied text ever becomes a path and nothing can escape the root.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import Collection, Iterator
from os import PathLike
from pathlib import Path

from mailapp.core.errors import StoreError

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SHARD = re.compile(r"[0-9a-f]{2}")
_TMP = "tmp"
_O_BINARY: int = getattr(os, "O_BINARY", 0)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Message files under one root directory (the profile's `messages/`)."""

    def __init__(self, root: str | PathLike[str]) -> None:
        self.root = Path(root).absolute()

    def path_for(self, digest: str) -> Path:
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise StoreError(f"not a message file name: {digest!r}")
        return self.root / digest[:2] / digest

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store the bytes and return their digest; storing the same bytes again is free.

        durable=False skips the fsyncs (a bulk download that can re-fetch after a crash);
        get() verifies the digest, so a file torn by a power cut is reported, never used.
        """
        digest = digest_of(data)
        final = self.path_for(digest)
        try:
            if final.is_file() and final.stat().st_size == len(data):
                return digest
            tmp_dir = self.root / _TMP
            tmp_dir.mkdir(parents=True, exist_ok=True)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = tmp_dir / f"{digest[:16]}.{secrets.token_hex(8)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
            try:
                with os.fdopen(fd, "wb") as stream:
                    stream.write(data)
                    stream.flush()
                    if durable:
                        os.fsync(stream.fileno())
                os.replace(tmp, final)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
            if durable:
                _fsync_directory(final.parent)
        except OSError as error:
            raise StoreError(
                f"cannot write a message file under {self.root}: {error.strerror or error}"
            ) from error
        return digest

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
