"""The SQLite database of a profile: opening, version checks, migrations, transactions.

Imports: core, sqlite3 and the stdlib; never the network, the engine, asyncio or Qt.

Thread model: one connection per thread, opened on first use and kept for the thread's life
(the engine runs store work in the long-lived threads of asyncio.to_thread's executor). In WAL
mode readers never wait for the writer, so reads run in parallel; writes are serialised by one
process-wide lock taken around `BEGIN IMMEDIATE ... COMMIT`, so threads queue in Python instead
of spinning in SQLite's busy handler (busy_timeout still covers other processes, like the
command line running next to the window). Transactions nest: an inner `write()` becomes a
SAVEPOINT of the outer one, so repository calls can be grouped into one atomic unit.

Durability: connections run with synchronous=NORMAL. In WAL mode that keeps the database
consistent after a crash or power cut, and a commit survives a crash of the program, but the
last commits before a power cut or OS crash may be rolled back (the WAL is synced only at
checkpoints). That is fine for synced mail (the server still has it). Writes that must not be
lost once acknowledged (the outbox) use `durable_transaction()` / `write(durable=True)`, which
commits with synchronous=FULL (the WAL is fsynced at that commit).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import NoReturn

from mailapp.core.errors import StoreError, StoreVersionError

# Stamped into the file header so that another program's SQLite file is recognised as such.
APPLICATION_ID = 0x4D41494C  # "MAIL"
BUSY_TIMEOUT_MS = 10_000
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# Failures of the file, the disk or another process: the person can act on these. Anything
# else sqlite3 raises (SQL errors, constraint violations, misuse) is a defect in our code and
# is left as it is.
_STORE_FAILURES = (
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_CORRUPT",
    "SQLITE_NOTADB",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_READONLY",
    "SQLITE_CANTOPEN",
    "SQLITE_PERM",
    "SQLITE_NOMEM",
    "SQLITE_PROTOCOL",
    "SQLITE_AUTH",
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(package: str = "mailapp.store.migrations") -> tuple[Migration, ...]:
    """Read `NNNN_name.sql` files shipped as package data; numbers must run 1, 2, 3, ..."""
    found: list[Migration] = []
    for entry in resources.files(package).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match and entry.is_file():
            sql = entry.read_text(encoding="utf-8")
            found.append(Migration(int(match.group(1)), match.group(2), sql))
    found.sort(key=lambda migration: migration.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migrations in {package} must be numbered 1..N without gaps")
    return tuple(found)


def split_statements(script: str) -> list[str]:
    """Cut a script into complete statements (triggers, strings and comments kept whole)."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise RuntimeError(f"incomplete SQL statement in migration: {pending[:60]!r}")
    return statements


def is_store_failure(error: sqlite3.Error) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(_STORE_FAILURES)


def store_error(error: sqlite3.Error, path: Path) -> StoreError:
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return StoreError(
            f"the mail database {path} is damaged or is not a mailapp database ({error})",
            hint="Restore it from a backup or move it away so mailapp starts a new one.",
        )
    if name.startswith("SQLITE_FULL"):
        return StoreError(f"the disk holding {path} is full", hint="Free some space.")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreError(
            f"the mail database {path} is busy in another program ({error})",
            hint="Close the other mailapp using this profile and try again.",
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_READONLY", "SQLITE_AUTH")):
        return StoreError(
            f"cannot open or write the mail database {path} ({error})",
            hint="Check that the profile directory exists and is writable.",
        )
    return StoreError(f"the mail database {path} failed: {error}")


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.connection: sqlite3.Connection | None = None
        self.mode: str | None = None  # None, "read" or "write"
        self.depth = 0
        self.durable = False


class Database:
    """A profile's SQLite database; see the module docstring for threads and durability."""

    def __init__(self, path: str | PathLike[str]) -> None:
        # Use Database.open(); the constructor only records where the file is.
        self.path = Path(path)
        self.schema_version = 0
        self._local = _ThreadState()
        self._write_lock = threading.Lock()
        self._registry_lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False

    @classmethod
    def open(
        cls, path: str | PathLike[str], *, migrations: Sequence[Migration] | None = None
    ) -> Database:
        """Open (or create) the database and bring its schema up to date.

        Raises StoreVersionError for a file written by a newer mailapp (left untouched) and
        StoreError for a damaged file or one that belongs to another program.
        """
        database = cls(path)
        try:
            database._prepare(load_migrations() if migrations is None else tuple(migrations))
        except BaseException:
            database.close()
            raise
        return database

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("the database is closed")
        try:
            # check_same_thread=False only so close() can close every thread's connection;
            # each connection is otherwise used by the thread that opened it.
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            raise store_error(error, self.path) from error
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as error:
            connection.close()
            raise store_error(error, self.path) from error
        with self._registry_lock:
            alive = []
            for thread, other in self._connections:
                if thread.is_alive():
                    alive.append((thread, other))
                else:
                    other.close()
            alive.append((threading.current_thread(), connection))
            self._connections = alive
        return connection

    def _connection(self) -> sqlite3.Connection:
        state = self._local
        if state.connection is None:
            state.connection = self._connect()
        return state.connection

    def close(self) -> None:
        """Close every thread's connection; call when no store work is running."""
        with self._registry_lock:
            self._closed = True
            for index, (_, connection) in enumerate(self._connections):
                if index == 0:
                    # Lets SQLite refresh its planner statistics (cheap; SQLite's advice).
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("PRAGMA optimize")
                connection.close()
            self._connections = []
        self._local.connection = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- opening and migrations --------------------------------------------------------------

    def _prepare(self, migrations: tuple[Migration, ...]) -> None:
        connection = self._connection()
        known = len(migrations)
        try:
            # Read before writing anything: a newer or foreign file must stay byte for byte as
            # it is, and a damaged one fails here with SQLITE_NOTADB.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            has_tables = connection.execute(
                "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
            ).fetchone()[0]
        except sqlite3.Error as error:
            raise store_error(error, self.path) from error
        if application_id not in (0, APPLICATION_ID) or (
            application_id == 0 and (version or has_tables)
        ):
            raise StoreError(
                f"{self.path} is an SQLite database of another program, not a mail store",
                hint="Choose another profile directory.",
            )
        self._check_version(version, known)
        try:
            if connection.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise StoreError(f"the mail database {self.path} cannot use WAL mode")
            for migration in migrations:
                self._apply(connection, migration, known)
            self.schema_version = connection.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if is_store_failure(error):
                raise store_error(error, self.path) from error
            raise

    def _check_version(self, version: int, known: int) -> None:
        if version > known:
            raise StoreVersionError(
                f"this profile was written by a newer mailapp (schema {version}, we know "
                f"{known}); upgrade mailapp or use another profile",
                hint=f"The database {self.path} was left unchanged.",
            )

    def _apply(self, connection: sqlite3.Connection, migration: Migration, known: int) -> None:
        # Each migration is one transaction; the version is re-read inside it because another
        # process may have migrated between our read and our BEGIN.
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            self._check_version(version, known)
            if version >= migration.version:
                connection.execute("COMMIT")
                return
            for statement in split_statements(migration.sql):
                connection.execute(statement)
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {migration.version}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs (inside a write: that write's view)."""
        state = self._local
        connection = self._connection()
        if state.depth:
            state.depth += 1
            try:
                yield connection
            except sqlite3.Error as error:
                self._raise_translated(error)
            finally:
                state.depth -= 1
            return
        try:
            connection.execute("BEGIN DEFERRED")
        except sqlite3.Error as error:
            self._raise_translated(error)
        state.mode, state.depth = "read", 1
        try:
            yield connection
        except sqlite3.Error as error:
            self._raise_translated(error)
        finally:
            state.mode, state.depth = None, 0
            if connection.in_transaction:
                connection.execute("COMMIT")

    @contextmanager
    def write(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction; nested calls become savepoints of the outer one.

        durable=True commits with synchronous=FULL (survives a power cut once returned). It
        must be asked for on the outermost transaction: SQLite cannot change the level
        inside one.
        """
        state = self._local
        connection = self._connection()
        if state.mode == "read":
            raise RuntimeError("cannot start a write inside a read() snapshot")
        if state.depth:
            if durable and not state.durable:
                raise RuntimeError("durable=True must be set on the outermost transaction")
            yield from self._savepoint(connection, state)
            return
        with self._write_lock:
            try:
                if durable:
                    connection.execute("PRAGMA synchronous = FULL")
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                if durable:
                    connection.execute("PRAGMA synchronous = NORMAL")
                self._raise_translated(error)
            state.mode, state.depth, state.durable = "write", 1, durable
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    self._raise_translated(error)
                raise
            finally:
                state.mode, state.depth, state.durable = None, 0, False
                if durable:
                    connection.execute("PRAGMA synchronous = NORMAL")

    def _savepoint(
        self, connection: sqlite3.Connection, state: _ThreadState
    ) -> Iterator[sqlite3.Connection]:
        name = f"nested_{state.depth}"
        connection.execute(f"SAVEPOINT {name}")
        state.depth += 1
        try:
            yield connection
            connection.execute(f"RELEASE {name}")
        except BaseException as error:
            connection.execute(f"ROLLBACK TO {name}")
            connection.execute(f"RELEASE {name}")
            if isinstance(error, sqlite3.Error):
                self._raise_translated(error)
            raise
        finally:
            state.depth -= 1

    def durable_transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """Shorthand for write(durable=True): the outbox's writes."""
        return self.write(durable=True)

    def _raise_translated(self, error: sqlite3.Error) -> NoReturn:
        if is_store_failure(error):
            raise store_error(error, self.path) from error
        raise error

    def checkpoint(self) -> None:
        """Fold the WAL back into the database file (at quiet times, e.g. after a sync)."""
        with self._write_lock:
            try:
                self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as error:
                self._raise_translated(error)
