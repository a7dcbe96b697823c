"""Downloaded bodies waiting for their text in the full-text index (migration 0007).

Imports: core, store.db and the stdlib.

A bulk download makes the bodies durable first and indexes their text after (ADR 0007):
record_downloads sets each message's body_hash and queues it, in the download's own
transaction; the indexer takes pending() in bounded chunks, fills message_text through
MessageRepository.set_bodies and calls done() in the same transaction. A crash in between
leaves the rows queued, so the next indexer run picks them up; a message deleted meanwhile
leaves the queue with it (ON DELETE CASCADE).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from mailapp.store.db import Database


class BodyTextQueue:
    def __init__(self, database: Database) -> None:
        self._db = database

    def record_downloads(
        self, connection: sqlite3.Connection, bodies: Sequence[tuple[int, str]]
    ) -> int:
        """Inside the caller's write transaction: each (message id, body hash) gets its
        body_hash set and is queued for indexing; returns how many rows still existed."""
        connection.executemany(
            "UPDATE messages SET body_hash = ? WHERE id = ?",
            [(digest, message_id) for message_id, digest in bodies],
        )
        cursor = connection.execute(
            "INSERT OR IGNORE INTO body_text_pending (message_id)"
            " SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([message_id for message_id, _ in bodies]),),
        )
        return cursor.rowcount

    def pending(self, limit: int, *, after: int = 0) -> list[tuple[int, str]]:
        """Up to `limit` queued (message id, body hash) with ids above `after`, by id (so
        an indexer can take the next chunk while the previous one is still being written)."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT p.message_id, m.body_hash FROM body_text_pending p"
                " JOIN messages m ON m.id = p.message_id"
                " WHERE p.message_id > ? AND m.body_hash IS NOT NULL"
                " ORDER BY p.message_id LIMIT ?",
                (after, limit),
            )
            return [(values[0], values[1]) for values in rows]

    def count(self) -> int:
        with self._db.read() as connection:
            row = connection.execute("SELECT count(*) FROM body_text_pending").fetchone()
            return int(row[0])

    def done(self, connection: sqlite3.Connection, message_ids: Iterable[int]) -> None:
        """Inside the caller's write transaction (the one that indexed them)."""
        connection.execute(
            "DELETE FROM body_text_pending WHERE message_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(message_ids)),),
        )
