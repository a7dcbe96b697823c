"""POP3 bookkeeping in the store (migration 0003, store/pop3_uidls.py): synthetic local UIDs,
the all-or-nothing download record, deletion marks and forgetting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.store.db import Database, load_migrations
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.messages import MessageRepository, NewMessage
from mailapp.store.pop3_uidls import Pop3UidlRepository, StoredBody, allocate_local_uid
from mailapp.store.search import SearchRepository

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "mail.sqlite3")
    try:
        yield database
    finally:
        database.close()


def row(subject: str, message_id: str | None = None) -> NewMessage:
    return NewMessage(
        uid=0,
        internal_date=NOW,
        size=100,
        subject=subject,
        from_name="Ann",
        from_addr="ann@example.test",
        message_id=message_id,
    )


def body(text: str = "", digest: str = "ab" * 32) -> StoredBody:
    return StoredBody(digest, text, text[:20])


def test_migration_0003_is_the_pop3_table(db: Database) -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations][:3] == [1, 2, 3]
    assert migrations[2].name == "pop3"
    assert db.schema_version == len(migrations)
    with db.read() as connection:
        columns = [r[1] for r in connection.execute("PRAGMA table_info(pop3_uidls)")]
    assert columns == [
        "account",
        "uidl",
        "message_id",
        "downloaded_at",
        "delete_requested_at",
        "deleted_on_server",
    ]


def test_a_download_is_one_row_with_a_fresh_local_uid_and_searchable_text(
    db: Database,
) -> None:
    inbox = FolderRepository(db).upsert("acct", "INBOX", role=FolderRole.INBOX)
    repo = Pop3UidlRepository(db)
    first = repo.record_download(
        "acct", "uid-A", inbox.id, row("Hello", "<a@x>"), body("wombat text"), downloaded_at=NOW
    )
    second = repo.record_download(
        "acct", "uid-b", inbox.id, row("Again"), body("other"), downloaded_at=NOW
    )
    assert first is not None and second is not None
    messages = MessageRepository(db)
    got = messages.get(first)
    assert got is not None and got.uid == 1 and got.subject == "Hello"
    assert got.body_hash == "ab" * 32 and got.message_id == "<a@x>"
    other = messages.get(second)
    assert other is not None and other.uid == 2
    assert [r.id for r in SearchRepository(db).search("wombat")] == [first]
    assert repo.stored("acct") == {"uid-A": NOW, "uid-b": NOW}
    assert repo.stored("other") == {}
    record = repo.get("acct", "uid-A")
    assert record is not None and record.message_id == first and not record.deleted_on_server
    folder = FolderRepository(db).get(inbox.id)
    assert folder is not None and folder.total == 2 and folder.unread == 2


def test_uidls_are_case_sensitive_and_a_second_record_writes_nothing(db: Database) -> None:
    inbox = FolderRepository(db).upsert("acct", "INBOX", role=FolderRole.INBOX)
    repo = Pop3UidlRepository(db)
    assert repo.record_download("acct", "Abc", inbox.id, row("1"), body(), downloaded_at=NOW)
    assert repo.record_download("acct", "abc", inbox.id, row("2"), body(), downloaded_at=NOW)
    # The same UIDL again (a second fetch racing this one): no second row.
    again = repo.record_download("acct", "Abc", inbox.id, row("3"), body(), downloaded_at=NOW)
    assert again is None
    assert MessageRepository(db).count(inbox.id) == 2


def test_local_uids_are_never_reused(db: Database) -> None:
    inbox = FolderRepository(db).upsert("acct", "INBOX", role=FolderRole.INBOX)
    repo = Pop3UidlRepository(db)
    messages = MessageRepository(db)
    ids = [
        repo.record_download("acct", f"u{i}", inbox.id, row(str(i)), body(), downloaded_at=NOW)
        for i in range(3)
    ]
    newest = ids[-1]
    assert newest is not None
    messages.delete_ids([newest])
    fourth = repo.record_download("acct", "u3", inbox.id, row("3"), body(), downloaded_at=NOW)
    assert fourth is not None
    got = messages.get(fourth)
    assert got is not None and got.uid == 4
    # The deleted message's record stays (not downloaded again), without a row.
    record = repo.get("acct", "u2")
    assert record is not None and record.message_id is None


def test_uid_allocation_skips_rows_written_before_the_counter(db: Database) -> None:
    folder = FolderRepository(db).upsert("acct", "Local")
    MessageRepository(db).insert_many(folder.id, [NewMessage(uid=41, internal_date=NOW, size=1)])
    with db.write() as connection:
        assert allocate_local_uid(connection, folder.id) == 42
        assert allocate_local_uid(connection, folder.id) == 43
        with pytest.raises(LookupError):
            allocate_local_uid(connection, 9999)


def test_a_failure_inside_the_transaction_leaves_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = FolderRepository(db).upsert("acct", "INBOX", role=FolderRole.INBOX)
    repo = Pop3UidlRepository(db)

    def crash(*args: object, **kwargs: object) -> int:
        raise OSError("the disk went away")

    # After the message row is written, before the UIDL row: all of it must roll back.
    monkeypatch.setattr(MessageRepository, "set_bodies", crash)
    with pytest.raises(OSError, match="disk"):
        repo.record_download("acct", "u1", inbox.id, row("x"), body(), downloaded_at=NOW)
    with pytest.raises(LookupError):
        repo.record_download("acct", "u1", 9999, row("x"), body(), downloaded_at=NOW)
    assert repo.stored("acct") == {}
    assert MessageRepository(db).count(inbox.id) == 0
    folder = FolderRepository(db).get(inbox.id)
    assert folder is not None and folder.total == 0 and folder.uidnext is None


def test_deletion_marks_and_forgetting(db: Database) -> None:
    inbox = FolderRepository(db).upsert("acct", "INBOX", role=FolderRole.INBOX)
    repo = Pop3UidlRepository(db)
    for name in ("a", "b", "c"):
        repo.record_download("acct", name, inbox.id, row(name), body(), downloaded_at=NOW)
    later = NOW + timedelta(days=1)
    assert repo.request_deletion("acct", ["a", "b", "zz"], later) == 2
    assert repo.mark_deleted("acct", ["a"]) == 1
    a, b = repo.get("acct", "a"), repo.get("acct", "b")
    assert a is not None and a.deleted_on_server and a.delete_requested_at == later
    assert b is not None and not b.deleted_on_server and b.delete_requested_at == later
    assert repo.forget("acct", ["a", "nope"]) == 1
    assert sorted(repo.stored("acct")) == ["b", "c"]
    assert [r.uidl for r in repo.rows("acct")] == ["b", "c"]
    # Forgetting the record keeps the local message.
    assert MessageRepository(db).count(inbox.id) == 3
    assert repo.request_deletion("acct", [], later) == 0
    assert repo.forget_account("acct") == 2
    assert repo.stored("acct") == {}


def test_naive_times_are_refused(db: Database) -> None:
    inbox = FolderRepository(db).upsert("acct", "INBOX", role=FolderRole.INBOX)
    with pytest.raises(ValueError, match="timezone"):
        Pop3UidlRepository(db).record_download(
            "acct", "u", inbox.id, row("x"), body(), downloaded_at=datetime(2026, 1, 1)
        )
