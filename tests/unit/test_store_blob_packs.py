"""BlobStore packs (ADR 0007): batches in one pack file, rows in blob_packs, files of their
own still read, torn and orphaned packs, delete_unreferenced and compaction, SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailapp.core.errors import StoreError
from mailapp.store import packs
from mailapp.store.blobs import PACK_MIN_ITEMS, BlobStore, digest_of
from mailapp.store.db import Database


def mails(count: int, tag: str = "m") -> list[bytes]:
    return [
        f"Subject: {tag} {i}\r\n\r\nbody {i} {'x' * (i * 37)}\r\n".encode() for i in range(count)
    ]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "mail.sqlite3")
    try:
        yield database
    finally:
        database.close()


def pack_files(store: BlobStore) -> list[Path]:
    return sorted(store.packs_dir.iterdir()) if store.packs_dir.is_dir() else []


def rows(db: Database) -> dict[str, tuple[str, int, int]]:
    with db.read() as connection:
        found = connection.execute("SELECT digest, pack, offset, length FROM blob_packs")
        return {d: (p, o, n) for d, p, o, n in found}


def age(path: Path, seconds: float = 7200) -> None:
    stamp = path.stat().st_mtime - seconds
    os.utime(path, (stamp, stamp))


def age_rows(db: Database, seconds: int = 7200) -> None:
    with db.write() as connection:
        connection.execute("UPDATE blob_packs SET created = created - ?", (seconds,))


def test_a_batch_goes_into_one_pack_and_reads_back(tmp_path: Path, db: Database) -> None:
    store = BlobStore(tmp_path / "messages", db)
    raws = mails(20)
    digests = store.put_many(raws)
    assert digests == [digest_of(r) for r in raws]
    assert len(pack_files(store)) == 1
    assert not any(store.path_for(d).exists() for d in digests)  # no file of its own
    assert [store.get(d) for d in digests] == raws
    assert all(store.exists(d) for d in digests)
    assert sorted(store.digests()) == sorted(digests)
    # The pack describes itself: its records are the rows.
    listed = {r.digest: (r.offset, r.length) for r in packs.scan(pack_files(store)[0])}
    assert listed == {d: (o, n) for d, (_, o, n) in rows(db).items()}


def test_small_batches_and_stores_without_a_database_write_files(
    tmp_path: Path, db: Database
) -> None:
    store = BlobStore(tmp_path / "messages", db)
    few = mails(PACK_MIN_ITEMS - 1)
    digests = store.put_many(few)
    assert all(store.path_for(d).is_file() for d in digests) and not pack_files(store)
    plain = BlobStore(tmp_path / "plain")
    many = plain.put_many(mails(20))
    assert all(plain.path_for(d).is_file() for d in many) and not pack_files(plain)
    with pytest.raises(StoreError, match="no database"):
        plain.stage_pack(mails(20))


def test_same_bytes_are_stored_once(tmp_path: Path, db: Database) -> None:
    store = BlobStore(tmp_path / "messages", db)
    raws = mails(10)
    store.put_many(raws + raws[:3])  # duplicates inside the batch
    assert len(rows(db)) == 10
    again = store.put_many(raws)  # all known: no new pack
    assert again == [digest_of(r) for r in raws] and len(pack_files(store)) == 1
    loose = store.put(b"one on its own\r\n")
    store.put_many([b"one on its own\r\n", *mails(10, "n")])
    assert loose not in rows(db)  # already a file of its own: not packed again
    assert store.get(loose) == b"one on its own\r\n"


def test_files_of_their_own_from_before_packs_stay_readable(tmp_path: Path) -> None:
    root = tmp_path / "messages"
    old_raws = mails(12, "old")
    old = BlobStore(root).put_many(old_raws)  # a store written before migration 0007
    database = Database.open(tmp_path / "mail.sqlite3")
    try:
        store = BlobStore(root, database)
        new_raws = mails(12, "new")
        new = store.put_many(new_raws)
        assert [store.get(d) for d in old] == old_raws
        assert [store.get(d) for d in new] == new_raws
        assert sorted(store.digests()) == sorted(old + new)
        assert all(store.exists(d) for d in old + new)
        assert store.delete(old[0]) and not store.exists(old[0])
        assert store.delete(new[0]) and not store.exists(new[0])
        assert not store.delete(new[0])
        with pytest.raises(StoreError, match="missing"):
            store.get(new[0])
    finally:
        database.close()


def test_a_pack_never_recorded_is_never_used_and_is_cleaned_up(
    tmp_path: Path, db: Database
) -> None:
    """A crash after the pack is written but before its rows commit (or one that tore the
    pack's tail): nothing points at it, the bytes count as missing, the cleanup removes it."""
    store = BlobStore(tmp_path / "messages", db)
    raws = mails(10)
    staged = store.stage_pack(raws)
    assert staged.name is not None
    path = store.packs_dir / staged.name
    with path.open("r+b") as stream:  # torn tail
        stream.truncate(path.stat().st_size // 2)
    assert not store.exists(staged.digests[0])
    with pytest.raises(StoreError, match="missing"):
        store.get(staged.digests[-1])
    assert len(list(packs.scan(path))) < len(raws)  # the scan stops at the torn record
    assert store.delete_unreferenced(set()) == 0 and path.exists()  # young: maybe in flight
    age(path)
    store.delete_unreferenced(set())
    assert not path.exists()
    # The same bytes can be stored again afterwards.
    assert store.put_many(raws) == staged.digests
    assert [store.get(d) for d in staged.digests] == raws


def test_damaged_packed_bytes_are_reported(tmp_path: Path, db: Database) -> None:
    store = BlobStore(tmp_path / "messages", db)
    digests = store.put_many(mails(10))
    pack, offset, _ = rows(db)[digests[4]]
    with (store.packs_dir / pack).open("r+b") as stream:
        stream.seek(offset + 3)
        stream.write(b"#")
    with pytest.raises(StoreError, match="damaged"):
        store.get(digests[4])
    assert store.get(digests[4], verify=False) != store.get(digests[5], verify=False)


def test_delete_unreferenced_drops_rows_and_compacts_packs(tmp_path: Path, db: Database) -> None:
    store = BlobStore(tmp_path / "messages", db)
    first = store.put_many(mails(20, "a"))
    second = store.put_many(mails(20, "b"))
    third = store.put_many(mails(20, "c"))
    by_pack = {d: rows(db)[d][0] for d in first + second + third}
    # first: all referenced (kept as it is); second: 3 of 20 referenced (rewritten);
    # third: none referenced (removed).
    referenced = set(first) | set(second[:3])
    assert store.delete_unreferenced(referenced) == 0  # young rows and packs are spared
    assert len(rows(db)) == 60
    age_rows(db)
    for path in pack_files(store):
        age(path)
    assert store.delete_unreferenced(referenced) == 37
    assert set(rows(db)) == referenced
    names = {path.name for path in pack_files(store)}
    assert by_pack[first[0]] in names  # untouched
    assert by_pack[second[0]] not in names and by_pack[third[0]] not in names
    assert len(names) == 2  # first, and the rewrite of second's live part
    for digest in referenced:
        assert (
            store.get(digest)
            == mails(20, "a" if digest in first else "b")[
                (first if digest in first else second).index(digest)
            ]
        )
    assert not any(store.exists(d) for d in second[3:] + third)


def test_a_compaction_cut_short_loses_nothing(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path / "messages", db)
    raws = mails(20)
    digests = store.put_many(raws)
    keep = set(digests[:2])
    age_rows(db)
    for path in pack_files(store):
        age(path)
    original = db.write

    def failing(*, durable: bool = False):  # type: ignore[no-untyped-def]
        if durable:  # the switch of the rows to the new pack
            raise OSError("power cut")
        return original(durable=durable)

    monkeypatch.setattr(db, "write", failing)
    with pytest.raises(StoreError, match="power cut"):
        store.delete_unreferenced(keep)
    monkeypatch.undo()
    assert all(store.get(d) == raws[digests.index(d)] for d in keep)
    assert len(pack_files(store)) == 2  # the old pack, and the new one nothing points at
    for path in pack_files(store):
        age(path)
    store.compact()
    assert len(pack_files(store)) == 1
    assert all(store.get(d) == raws[digests.index(d)] for d in keep)


WRITER = textwrap.dedent(
    """
    import sys
    from mailapp.store.blobs import BlobStore
    from mailapp.store.db import Database

    db = Database.open(sys.argv[1] + "/mail.sqlite3")
    store = BlobStore(sys.argv[1] + "/messages", db)
    for batch in range(100000):
        raws = [(f"batch {batch} message {i} " * 400).encode() for i in range(50)]
        digests = store.put_many(raws)
        print(batch, digests[0], flush=True)
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_while_packing_keeps_every_committed_batch(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    reported: list[str] = []
    try:
        assert child.stdout is not None
        while len(reported) < 5:
            line = child.stdout.readline()
            assert line, "the writer stopped before it was killed"
            reported.append(line.split()[1])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    database = Database.open(tmp_path / "mail.sqlite3")
    try:
        store = BlobStore(tmp_path / "messages", database)
        recorded = rows(database)
        assert set(reported) <= set(recorded)
        assert len(recorded) % 50 == 0  # whole batches only
        for digest in recorded:
            store.get(digest)  # every recorded message reads back whole
        # A pack the kill interrupted has no rows; the cleanup removes it once old.
        for path in pack_files(store):
            age(path)
        store.delete_unreferenced(set(recorded), min_age_seconds=3600)
        assert {p.name for p in pack_files(store)} == {p for p, _, _ in recorded.values()}
    finally:
        database.close()


def test_get_many_reads_packed_files_and_reports_the_rest(tmp_path: Path, db: Database) -> None:
    store = BlobStore(tmp_path / "messages", db)
    packed = store.put_many(mails(10))
    loose = store.put(b"a file of its own\r\n")
    absent = digest_of(b"never stored")
    pack, offset, _ = rows(db)[packed[2]]
    with (store.packs_dir / pack).open("r+b") as stream:
        stream.seek(offset)
        stream.write(b"#")
    got = store.get_many([packed[0], loose, absent, packed[2], packed[0]])
    assert got[0] == got[4] == mails(10)[0] and got[1] == b"a file of its own\r\n"
    assert isinstance(got[2], StoreError) and "missing" in got[2].message
    assert isinstance(got[3], StoreError) and "damaged" in got[3].message


def test_bytes_stored_again_are_young_again(tmp_path: Path, db: Database) -> None:
    """A writer reusing old unreferenced bytes commits its row after the cleanup took its
    snapshot of references: storing them again must restart their grace period."""
    store = BlobStore(tmp_path / "messages", db)
    packed = store.put_many(mails(PACK_MIN_ITEMS, "p"))
    single = store.put(b"Subject: alone\r\n\r\nonly one\r\n")
    age_rows(db)
    for path in [*pack_files(store), store.path_for(single)]:
        age(path)
    # Stored again (a re-download, the same attachment queued again), not yet referenced.
    assert store.put_many(mails(PACK_MIN_ITEMS, "p")) == packed
    assert store.put(b"Subject: alone\r\n\r\nonly one\r\n") == single
    assert store.delete_unreferenced(set()) == 0
    assert all(store.exists(d) for d in [*packed, single])
    # Once old again and still unreferenced, they go.
    age_rows(db)
    for path in [*pack_files(store), store.path_for(single)]:
        age(path)
    assert store.delete_unreferenced(set()) == PACK_MIN_ITEMS + 1
    assert not any(store.exists(d) for d in [*packed, single])
