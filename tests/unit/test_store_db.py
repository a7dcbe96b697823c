"""Opening the store: migrations, version refusal, damaged files, WAL, transactions, threads."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest

from mailapp.core.errors import StoreError, StoreVersionError
from mailapp.store.db import APPLICATION_ID, Database, Migration, load_migrations, split_statements


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(db: Database) -> set[str]:
    with db.read() as connection:
        rows = connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        return {name for (name,) in rows}


def test_migrations_from_empty_create_the_mail_schema(tmp_path: Path) -> None:
    with Database.open(tmp_path / "mail.sqlite3") as db:
        assert db.schema_version == len(load_migrations()) >= 1
        assert {"folders", "messages", "message_text", "pending_changes"} <= _tables(db)
        assert {"outbox", "outbox_recipients", "delivery_events", "delivery_reports"} <= _tables(db)
        with db.read() as connection:
            assert connection.execute("PRAGMA user_version").fetchone()[0] == db.schema_version
            assert connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_wal_mode_foreign_keys_and_normal_sync(tmp_path: Path) -> None:
    with Database.open(tmp_path / "mail.sqlite3") as db, db.read() as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_reopen_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    with Database.open(path) as db, db.write() as connection:
        connection.execute("INSERT INTO folders (account, name) VALUES ('a', 'INBOX')")
    with Database.open(path) as db:
        assert db.schema_version == len(load_migrations())
        with db.read() as connection:
            assert connection.execute("SELECT name FROM folders").fetchall() == [("INBOX",)]


def test_newer_schema_is_refused_and_file_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    Database.open(path).close()
    future = len(load_migrations()) + 5
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {future}")
    raw.commit()
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    before = _digest(path)
    with pytest.raises(StoreVersionError) as caught:
        Database.open(path)
    assert caught.value.code == "store.version"
    assert f"schema {future}, we know {len(load_migrations())}" in caught.value.message
    assert "newer mailapp" in caught.value.message
    assert _digest(path) == before


def test_non_sqlite_file_gives_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    path.write_bytes(b"From alice Mon Jan 1 00:00:00 2024\n" * 200)
    before = _digest(path)
    with pytest.raises(StoreError) as caught:
        Database.open(path)
    assert "damaged or is not a mailapp database" in caught.value.message
    assert _digest(path) == before


def test_damaged_database_gives_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    with Database.open(path) as db:
        db.checkpoint()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        Database.open(path)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="another program"):
        Database.open(path)


def test_missing_directory_gives_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        Database.open(tmp_path / "absent" / "mail.sqlite3")


def test_failing_migration_is_rolled_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    good = Migration(1, "one", "CREATE TABLE t1 (x INTEGER);")
    bad = Migration(2, "two", "CREATE TABLE t2 (x INTEGER); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(sqlite3.OperationalError):
        Database.open(path, migrations=[good, bad])
    with Database.open(path, migrations=[good]) as db:
        assert db.schema_version == 1
        assert "t1" in _tables(db)
        assert "t2" not in _tables(db)


def test_packaged_migrations_are_numbered_and_complete() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "mail"
    for migration in migrations:
        assert split_statements(migration.sql)


def test_split_statements_keeps_triggers_and_strings_whole() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE a (x TEXT DEFAULT 'x;y');
        CREATE TRIGGER t AFTER INSERT ON a BEGIN
            UPDATE a SET x = 'z;'; DELETE FROM a WHERE 0;
        END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_nested_write_is_a_savepoint(tmp_path: Path) -> None:
    with Database.open(tmp_path / "mail.sqlite3") as db:
        with db.write() as connection:
            connection.execute("INSERT INTO folders (account, name) VALUES ('a', 'one')")
            with pytest.raises(ZeroDivisionError), db.write() as inner:
                inner.execute("INSERT INTO folders (account, name) VALUES ('a', 'two')")
                _ = 1 / 0
            connection.execute("INSERT INTO folders (account, name) VALUES ('a', 'three')")
        with db.read() as connection:
            names = [n for (n,) in connection.execute("SELECT name FROM folders ORDER BY id")]
        assert names == ["one", "three"]


def test_failed_write_rolls_back_and_sql_bugs_are_not_store_errors(tmp_path: Path) -> None:
    with Database.open(tmp_path / "mail.sqlite3") as db:
        with pytest.raises(sqlite3.IntegrityError), db.write() as connection:
            connection.execute("INSERT INTO folders (account, name) VALUES ('a', 'x')")
            connection.execute("INSERT INTO folders (account, name) VALUES ('a', 'x')")
        with db.read() as connection:
            assert connection.execute("SELECT count(*) FROM folders").fetchone()[0] == 0


def test_durable_transaction_commits_with_full_sync(tmp_path: Path) -> None:
    with Database.open(tmp_path / "mail.sqlite3") as db:
        with db.durable_transaction() as connection:
            # Reading the level inside is allowed; it was set before BEGIN.
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            connection.execute("INSERT INTO folders (account, name) VALUES ('a', 'x')")
        with db.read() as connection:
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1
            assert connection.execute("SELECT count(*) FROM folders").fetchone()[0] == 1
        with db.write(), pytest.raises(RuntimeError, match="outermost"), db.write(durable=True):
            pass


def test_write_inside_read_is_refused(tmp_path: Path) -> None:
    with (
        Database.open(tmp_path / "mail.sqlite3") as db,
        db.read(),
        pytest.raises(RuntimeError),
        db.write(),
    ):
        pass


def test_each_thread_gets_its_own_connection_and_writes_serialise(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with Database.open(tmp_path / "mail.sqlite3") as db:

        def work(index: int) -> None:
            try:
                for step in range(20):
                    with db.write() as connection:
                        connection.execute(
                            "INSERT INTO folders (account, name) VALUES (?, ?)",
                            (f"a{index}", f"f{step}"),
                        )
                    with db.read() as connection:
                        connection.execute("SELECT count(*) FROM folders").fetchone()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with db.read() as connection:
            assert connection.execute("SELECT count(*) FROM folders").fetchone()[0] == 80
