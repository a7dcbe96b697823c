"""BlobStore.put_many: a batch of message files written (and fsynced) together."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailapp.core.errors import StoreError
from mailapp.store import blobs as blobs_module
from mailapp.store.blobs import BlobStore, digest_of

MESSAGES = [b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i) for i in range(40)]


def test_put_many_stores_each_file_and_returns_digests_in_order(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    batch = [*MESSAGES, MESSAGES[3]]  # the same bytes twice in one batch
    digests = store.put_many(batch)
    assert digests == [digest_of(m) for m in batch]
    assert all(store.get(d) == m for d, m in zip(digests, batch, strict=True))
    assert sorted(store.digests()) == sorted(set(digests))
    assert list((tmp_path / "tmp").iterdir()) == []
    assert store.put_many(MESSAGES, durable=False) == digests[:-1]  # already there: free
    assert store.put_many([]) == []


def test_a_durable_batch_fsyncs_every_file_and_each_directory_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    directories: list[Path] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    def fsync_directory(directory: Path) -> None:
        directories.append(directory)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(blobs_module, "_fsync_directory", fsync_directory)
    store = BlobStore(tmp_path)
    digests = store.put_many(MESSAGES)
    assert len(synced) == len(MESSAGES)
    assert sorted(directories) == sorted({store.path_for(d).parent for d in digests})
    synced.clear()
    store.put_many([b"another"], durable=False)
    assert synced == []


def test_a_failed_batch_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path)
    real_fsync = os.fsync
    calls = 0

    def fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 7:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StoreError, match="No space left"):
        store.put_many(MESSAGES)
    assert list((tmp_path / "tmp").iterdir()) == []
    for digest in store.digests():  # whatever made it is whole
        assert store.get(digest) in MESSAGES
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert store.put_many(MESSAGES) == [digest_of(m) for m in MESSAGES]
    assert len(list(store.digests())) == len(MESSAGES)
