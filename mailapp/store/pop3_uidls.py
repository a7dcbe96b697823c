"""POP3 bookkeeping: downloaded UIDLs, their local rows, and deletions on the server.

Imports: core, store.db, store.messages and the stdlib.

POP3 messages live in local folders, so their rows need UIDs the server never gave: each
folder hands out synthetic ones from its `uidnext` column (never reused, even after the
newest row was deleted or moved away). `record_download` writes the message row, its body
text and the UIDL row in one transaction: after a crash either all of them exist or none,
so a message is never lost (it is downloaded again) and never doubled.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from mailapp.store.db import Database
from mailapp.store.messages import BodyUpdate, MessageRepository, NewMessage

__all__ = ["Pop3UidlRepository", "Pop3UidlRow", "StoredBody", "allocate_local_uid"]


@dataclass(frozen=True, slots=True)
class Pop3UidlRow:
    account: str
    uidl: str
    message_id: int | None  # None once the local copy was deleted
    downloaded_at: datetime
    delete_requested_at: datetime | None
    deleted_on_server: bool


@dataclass(frozen=True, slots=True)
class StoredBody:
    """The downloaded bytes as the row refers to them: their file and the indexed text."""

    body_hash: str
    body_text: str = ""
    preview: str | None = None
    extra_text: str = ""


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("POP3 bookkeeping times must be timezone-aware")
    return int(moment.timestamp())


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def allocate_local_uid(connection: sqlite3.Connection, folder_id: int) -> int:
    """The next synthetic UID of a local folder (call inside a write transaction).

    Also past every UID already there, so rows written before the counter existed (or by
    another path) can never collide.
    """
    row = connection.execute(
        """UPDATE folders
              SET uidnext = max(coalesce(uidnext, 1),
                                (SELECT coalesce(max(uid), 0) + 1 FROM messages
                                  WHERE folder_id = ?1)) + 1
            WHERE id = ?1
        RETURNING uidnext - 1""",
        (folder_id,),
    ).fetchone()
    if row is None:
        raise LookupError(f"there is no folder {folder_id}")
    return int(row[0])


_COLUMNS = "account, uidl, message_id, downloaded_at, delete_requested_at, deleted_on_server"


def _row(values: tuple[object, ...]) -> Pop3UidlRow:
    account, uidl, message_id, downloaded, requested, deleted = values
    assert isinstance(account, str) and isinstance(uidl, str) and isinstance(downloaded, int)
    return Pop3UidlRow(
        account,
        uidl,
        message_id if isinstance(message_id, int) else None,
        _moment(downloaded),
        _moment(requested) if isinstance(requested, int) else None,
        bool(deleted),
    )


class Pop3UidlRepository:
    """The pop3_uidls table; each method is its own transaction unless nested."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._messages = MessageRepository(database)

    # -- reads -------------------------------------------------------------------------------

    def stored(self, account: str) -> dict[str, datetime]:
        """{uidl: downloaded_at} of every UIDL the account holds a record of."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT uidl, downloaded_at FROM pop3_uidls WHERE account = ?", (account,)
            )
            return {uidl: _moment(when) for uidl, when in rows}

    def get(self, account: str, uidl: str) -> Pop3UidlRow | None:
        with self._db.read() as connection:
            values = connection.execute(
                f"SELECT {_COLUMNS} FROM pop3_uidls WHERE account = ? AND uidl = ?",
                (account, uidl),
            ).fetchone()
        return None if values is None else _row(values)

    def rows(self, account: str) -> list[Pop3UidlRow]:
        with self._db.read() as connection:
            found = connection.execute(
                f"SELECT {_COLUMNS} FROM pop3_uidls WHERE account = ? ORDER BY downloaded_at, uidl",
                (account,),
            ).fetchall()
        return [_row(values) for values in found]

    # -- writes ------------------------------------------------------------------------------

    def record_download(
        self,
        account: str,
        uidl: str,
        folder_id: int,
        message: NewMessage,
        body: StoredBody,
        *,
        downloaded_at: datetime,
        durable: bool = False,
    ) -> int | None:
        """Store a downloaded message: its row (with a fresh local UID; message.uid is
        ignored), its body text and the UIDL, atomically. Returns the new row's id, or None
        when the UIDL was recorded already (another fetch got there first): nothing is
        written then.

        The message file (body.body_hash) must be on disk before this is called.
        """
        when = _epoch(downloaded_at)
        with self._db.write(durable=durable) as connection:
            if connection.execute(
                "SELECT 1 FROM pop3_uidls WHERE account = ? AND uidl = ?", (account, uidl)
            ).fetchone():
                return None
            uid = allocate_local_uid(connection, folder_id)
            stored = replace(message, uid=uid, body_hash=body.body_hash)
            self._messages.insert_many(folder_id, [stored])
            found = connection.execute(
                "SELECT id FROM messages WHERE folder_id = ? AND uid = ?", (folder_id, uid)
            ).fetchone()
            message_id = int(found[0])
            self._messages.set_bodies(
                [
                    BodyUpdate(
                        message_id,
                        body.body_hash,
                        body.body_text,
                        body.preview,
                        extra_text=body.extra_text,
                    )
                ]
            )
            connection.execute(
                "INSERT INTO pop3_uidls (account, uidl, message_id, downloaded_at)"
                " VALUES (?, ?, ?, ?)",
                (account, uidl, message_id, when),
            )
        return message_id

    def request_deletion(self, account: str, uidls: Iterable[str], when: datetime) -> int:
        """Note that DELE is about to be sent, durably: the commit also makes every earlier
        commit (the downloads) survive a power cut before the server drops its copy."""
        chunk = sorted(set(uidls))
        if not chunk:
            return 0
        with self._db.write(durable=True) as connection:
            cursor = connection.execute(
                "UPDATE pop3_uidls SET delete_requested_at = ? WHERE account = ? AND uidl IN"
                " (SELECT value FROM json_each(?))",
                (_epoch(when), account, json.dumps(chunk)),
            )
            return max(cursor.rowcount, 0)

    def mark_deleted(self, account: str, uidls: Iterable[str]) -> int:
        """The server committed our DELE (QUIT answered +OK)."""
        chunk = sorted(set(uidls))
        if not chunk:
            return 0
        with self._db.write() as connection:
            cursor = connection.execute(
                "UPDATE pop3_uidls SET deleted_on_server = 1 WHERE account = ? AND uidl IN"
                " (SELECT value FROM json_each(?))",
                (account, json.dumps(chunk)),
            )
            return max(cursor.rowcount, 0)

    def forget(self, account: str, uidls: Iterable[str]) -> int:
        """Drop the records of UIDLs the server no longer lists (the local rows stay)."""
        chunk = sorted(set(uidls))
        if not chunk:
            return 0
        with self._db.write() as connection:
            cursor = connection.execute(
                "DELETE FROM pop3_uidls WHERE account = ? AND uidl IN"
                " (SELECT value FROM json_each(?))",
                (account, json.dumps(chunk)),
            )
            return max(cursor.rowcount, 0)

    def forget_account(self, account: str) -> int:
        """Every record of the account (when the account is removed)."""
        with self._db.write() as connection:
            cursor = connection.execute("DELETE FROM pop3_uidls WHERE account = ?", (account,))
            return max(cursor.rowcount, 0)
