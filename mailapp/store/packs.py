"""Pack files: many messages' bytes in one file, written once, never changed (ADR 0007).

Imports: core and the stdlib only. Where each message lies in which pack is recorded by
blobs.py in the database; this module only writes, reads and scans the files.

A pack is a run of records, each a 44-byte head (the magic b"mpk1", the 32-byte SHA-256
of the data, the data's length as 8 bytes big-endian) followed by the data. The heads make a
pack self-describing (scan() lists its records without the database, for repairs), and a
record cut short by a crash is recognisable as such. Packs are written under a fresh random
name with O_EXCL, so writers (threads, or two programs on one profile) never share a file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"mpk1"
_HEAD = struct.Struct(">4s32sQ")
HEAD_SIZE = _HEAD.size
SUFFIX = ".pack"
_O_BINARY: int = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True, slots=True)
class Record:
    """Where one message's bytes lie in a pack."""

    digest: str
    offset: int  # of the data, past the head
    length: int


def new_name() -> str:
    return f"{secrets.token_hex(12)}{SUFFIX}"


def is_pack_name(name: str) -> bool:
    stem = name.removesuffix(SUFFIX)
    return name.endswith(SUFFIX) and len(stem) == 24 and all(c in "0123456789abcdef" for c in stem)


def write_pack(path: Path, items: Sequence[tuple[str, bytes]], *, durable: bool) -> list[Record]:
    """Write a new pack of (digest, data) items in one write; fsync it when durable. The
    caller fsyncs the directory. A failure removes the partial file."""
    pieces: list[bytes] = []
    records: list[Record] = []
    offset = 0
    for digest, data in items:
        pieces.append(_HEAD.pack(MAGIC, bytes.fromhex(digest), len(data)))
        pieces.append(data)
        offset += HEAD_SIZE
        records.append(Record(digest, offset, len(data)))
        offset += len(data)
    blob = b"".join(pieces)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
    try:
        try:
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return records


def read_at(path: Path, offset: int, length: int) -> bytes:
    """The bytes at offset (raises FileNotFoundError when the pack is gone). Short reads
    (a pack cut short) return fewer bytes; the caller's digest check reports them."""
    fd = os.open(path, os.O_RDONLY | _O_BINARY)
    try:
        if hasattr(os, "pread"):
            parts: list[bytes] = []
            while length > 0:
                part = os.pread(fd, length, offset)
                if not part:
                    break
                parts.append(part)
                offset += len(part)
                length -= len(part)
            return b"".join(parts)
        os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows has no pread
        return os.read(fd, length)  # pragma: no cover
    finally:
        os.close(fd)


def scan(path: Path) -> Iterator[Record]:
    """The whole records of a pack in order; stops at the first torn or foreign one."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        offset = 0
        while offset + HEAD_SIZE <= size:
            stream.seek(offset)
            magic, raw_digest, length = _HEAD.unpack(stream.read(HEAD_SIZE))
            if magic != MAGIC or offset + HEAD_SIZE + length > size:
                return
            yield Record(raw_digest.hex(), offset + HEAD_SIZE, length)
            offset += HEAD_SIZE + length
