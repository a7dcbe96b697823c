"""Content-addressed message files: naming, atomic writes, verification, path safety, GC."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from mailapp.core.errors import StoreError
from mailapp.store.blobs import BlobStore, digest_of

RAW = b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"


def test_put_names_files_by_sha256_in_shards(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "messages")
    digest = store.put(RAW)
    assert digest == hashlib.sha256(RAW).hexdigest() == digest_of(RAW)
    path = tmp_path / "messages" / digest[:2] / digest
    assert path.read_bytes() == RAW
    assert store.path_for(digest) == path
    assert store.exists(digest) and store.get(digest) == RAW
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600
    assert list(store.digests()) == [digest]


def test_same_bytes_are_stored_once_and_empty_message_works(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    assert store.put(RAW) == store.put(RAW, durable=False)
    assert store.get(store.put(b"")) == b""
    assert sorted(store.digests()) == sorted([digest_of(RAW), digest_of(b"")])
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_torn_file_is_replaced_on_put_and_reported_on_get(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(RAW)
    store.path_for(digest).write_bytes(RAW[:10])  # what a power cut without fsync can leave
    with pytest.raises(StoreError, match="damaged"):
        store.get(digest)
    assert store.get(digest, verify=False) == RAW[:10]
    store.put(RAW)
    assert store.get(digest) == RAW


def test_failed_write_leaves_no_file_under_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path)

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StoreError, match="No space left"):
        store.put(RAW)
    assert not store.exists(digest_of(RAW))
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "name",
    [
        "../" + "a" * 61,
        "/etc/passwd",
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "a" * 63 + "/",
        "..",
        "",
        "a" * 64 + "\n",
    ],
)
def test_names_that_are_not_digests_never_become_paths(tmp_path: Path, name: str) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(StoreError, match="not a message file name"):
        store.path_for(name)
    for call in (store.get, store.exists, store.delete):
        with pytest.raises(StoreError):
            call(name)


def test_missing_file_and_delete(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(RAW)
    assert store.delete(digest) is True
    assert store.delete(digest) is False
    assert not store.exists(digest)
    with pytest.raises(StoreError, match="missing"):
        store.get(digest)


def test_delete_unreferenced_spares_live_and_young_files(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    live = store.put(b"live")
    dead = store.put(b"dead")
    young = store.put(b"young")
    stray_tmp = tmp_path / "tmp" / "leftover"
    stray_tmp.write_bytes(b"partial")
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not ours")
    old = time.time() - 7200
    for path in (store.path_for(live), store.path_for(dead), stray_tmp):
        os.utime(path, (old, old))
    assert store.delete_unreferenced({live}) == 1
    assert store.exists(live) and store.exists(young) and not store.exists(dead)
    assert not stray_tmp.exists() and foreign.exists()
    assert store.delete_unreferenced({live}, min_age_seconds=0) == 1
    assert sorted(store.digests()) == [live]


def test_empty_root_lists_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "absent")
    assert list(store.digests()) == []
    assert store.delete_unreferenced(set()) == 0
