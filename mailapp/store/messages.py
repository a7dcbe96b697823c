"""Message rows: batch inserts from sync, flags, expunge, and windows for the message list.

Imports: core, store.db and the stdlib.

Writes go in batches of BATCH_SIZE rows, one transaction each, so a crash keeps whole batches
only and the writer lock is released between batches (readers never wait anyway in WAL).
"""

from __future__ import annotations

import enum
import functools
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

from mailapp.store.db import Database

BATCH_SIZE = 1000


class MessageFlag(enum.IntFlag):
    """IMAP system flags and the common keywords, as bits in messages.flags."""

    NONE = 0
    SEEN = 1
    ANSWERED = 2
    FLAGGED = 4
    DELETED = 8
    DRAFT = 16
    FORWARDED = 32  # $Forwarded
    MDN_SENT = 64  # $MDNSent (RFC 3503): a read receipt was sent or declined
    JUNK = 128  # $Junk
    NOT_JUNK = 256  # $NotJunk


_IMAP_NAMES: dict[str, MessageFlag] = {
    "\\seen": MessageFlag.SEEN,
    "\\answered": MessageFlag.ANSWERED,
    "\\flagged": MessageFlag.FLAGGED,
    "\\deleted": MessageFlag.DELETED,
    "\\draft": MessageFlag.DRAFT,
    "$forwarded": MessageFlag.FORWARDED,
    "$mdnsent": MessageFlag.MDN_SENT,
    "$junk": MessageFlag.JUNK,
    "$notjunk": MessageFlag.NOT_JUNK,
}
_FLAG_TO_IMAP: dict[MessageFlag, str] = {
    MessageFlag.SEEN: "\\Seen",
    MessageFlag.ANSWERED: "\\Answered",
    MessageFlag.FLAGGED: "\\Flagged",
    MessageFlag.DELETED: "\\Deleted",
    MessageFlag.DRAFT: "\\Draft",
    MessageFlag.FORWARDED: "$Forwarded",
    MessageFlag.MDN_SENT: "$MDNSent",
    MessageFlag.JUNK: "$Junk",
    MessageFlag.NOT_JUNK: "$NotJunk",
}


def flags_from_imap(names: Iterable[str]) -> tuple[MessageFlag, tuple[str, ...]]:
    """Split IMAP flag names into our bits and the remaining keywords (\\Recent dropped)."""
    bits = MessageFlag.NONE
    keywords: list[str] = []
    for name in names:
        bit = _IMAP_NAMES.get(name.lower())
        if bit is not None:
            bits |= bit
        elif name.lower() != "\\recent" and name not in keywords:
            keywords.append(name)
    return bits, tuple(keywords)


def flags_to_imap(flags: MessageFlag, keywords: Iterable[str] = ()) -> list[str]:
    names = [name for bit, name in _FLAG_TO_IMAP.items() if bit in flags]
    names.extend(keywords)
    return names


class SortKey(enum.StrEnum):
    DATE = "date"
    SENDER = "sender"
    SUBJECT = "subject"
    SIZE = "size"


_SORT_COLUMNS = {
    SortKey.DATE: "date",
    SortKey.SENDER: "sender_key",
    SortKey.SUBJECT: "subject_key",
    SortKey.SIZE: "size",
}

# Reply and forward prefixes in the languages mail clients commonly write them in.
_SUBJECT_PREFIX = re.compile(
    r"^(?:\s*(?:re|fwd?|aw|sv|vs|wg|antw|tr|rif|odp|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def subject_sort_key(subject: str) -> str:
    return _SUBJECT_PREFIX.sub("", subject).strip().casefold()


def sender_sort_key(name: str, address: str) -> str:
    return (name.strip() or address.strip()).casefold()


def thread_key_for(
    message_id: str | None, in_reply_to: str | None, refs: Sequence[str]
) -> str | None:
    """The thread's root as the message knows it: first Reference, parent, else itself."""
    if refs:
        return refs[0]
    return in_reply_to or message_id


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("message times must be timezone-aware")
    return int(moment.timestamp())


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message as sync learns it (headers only; the body comes later via set_bodies).

    A row inserted with body_hash set gets its full-text row from set_bodies only (call it
    in the same transaction); without body_hash it is indexed by its headers at once."""

    uid: int
    internal_date: datetime
    size: int
    flags: MessageFlag = MessageFlag.NONE
    keywords: tuple[str, ...] = ()
    modseq: int | None = None
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str = ""
    from_name: str = ""
    from_addr: str = ""
    to: str = ""
    cc: str = ""
    has_attachment: bool = False
    body_hash: str | None = None
    preview: str = ""
    thread_key: str | None = None


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    folder_id: int
    uid: int
    modseq: int | None
    flags: MessageFlag
    keywords: tuple[str, ...]
    internal_date: datetime
    date: datetime
    size: int
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    thread_key: str | None
    subject: str
    from_name: str
    from_addr: str
    to: str
    cc: str
    has_attachment: bool
    body_hash: str | None
    preview: str

    @property
    def unread(self) -> bool:
        return MessageFlag.SEEN not in self.flags


@dataclass(frozen=True, slots=True)
class FlagUpdate:
    """Flags the server reported for a UID (FETCH FLAGS, CONDSTORE changes)."""

    uid: int
    flags: MessageFlag
    keywords: tuple[str, ...] = ()
    modseq: int | None = None


@dataclass(frozen=True, slots=True)
class BodyUpdate:
    """A fetched body: its file, the text to index, and what the list shows.

    preview and has_attachment left as None keep what header sync stored.
    """

    message_id: int
    body_hash: str
    body_text: str = ""
    preview: str | None = None
    has_attachment: bool | None = None
    # Extra words to index with the body (attachment file names, say).
    extra_text: str = ""


COLUMNS = (
    "m.id, m.folder_id, m.uid, m.modseq, m.flags, m.keywords, m.internal_date, m.date, m.size,"
    " m.message_id, m.in_reply_to, m.refs, m.thread_key, m.subject, m.from_name, m.from_addr,"
    " m.to_text, m.cc_text, m.has_attachment, m.body_hash, m.preview"
)


def row_from_values(values: Any) -> MessageRow:
    """Build a MessageRow from a SELECT of COLUMNS (search.py reuses it)."""
    (mid, folder_id, uid, modseq, flags, keywords, internal_date, date, size, message_id,
     in_reply_to, refs, thread_key, subject, from_name, from_addr, to_text, cc_text,
     has_attachment, body_hash, preview) = values  # fmt: skip
    return MessageRow(
        mid,
        folder_id,
        uid,
        modseq,
        MessageFlag(flags),
        tuple(keywords.split()),
        _moment(internal_date),
        _moment(date),
        size,
        message_id,
        in_reply_to,
        tuple(refs.split()),
        thread_key,
        subject,
        from_name,
        from_addr,
        to_text,
        cc_text,
        bool(has_attachment),
        body_hash,
        preview,
    )


_COLUMNS = (
    "folder_id, uid, modseq, flags, keywords, internal_date, date, size, message_id, in_reply_to,"
    " refs, thread_key, subject, from_name, from_addr, to_text, cc_text, has_attachment,"
    " body_hash, preview, sender_key, subject_key"
)
_ON_CONFLICT = """
ON CONFLICT (folder_id, uid) DO UPDATE SET
    flags = excluded.flags, keywords = excluded.keywords,
    modseq = coalesce(excluded.modseq, modseq)
"""
# Many rows per statement (a multi-row VALUES): SQLite then inserts them all in one step.
# executemany steps once per row and releases the GIL around every step; with a parser
# running in another thread, winning the GIL back a thousand times per batch cost more
# than the inserts themselves. (JSON through json_each did the same in one step but spent
# three times as long extracting the values.)
_COLUMN_COUNT = len(_COLUMNS.split(","))
_ROW_MARKS = "(" + ", ".join("?" * _COLUMN_COUNT) + ")"
_ROWS_PER_STATEMENT = 1000  # 22,000 parameters; SQLite allows 32,766 by default


@functools.lru_cache(maxsize=8)
def _insert_sql(rows: int) -> str:
    marks = ", ".join([_ROW_MARKS] * rows)
    return f"INSERT INTO messages ({_COLUMNS}) VALUES {marks} {_ON_CONFLICT}"


# A message row's values in _COLUMNS order after folder_id, as row_values gives them (a bulk
# header sync makes them straight from the FETCH tokens: engine.sync.convert.header_values).
RowValues = tuple[object, ...]


def row_values(message: NewMessage) -> RowValues:
    """What insert_many writes for this message (the columns after folder_id)."""
    internal = _epoch(message.internal_date)
    thread = message.thread_key or thread_key_for(
        message.message_id, message.in_reply_to, message.references
    )
    return (
        message.uid,
        message.modseq,
        int(message.flags),
        " ".join(message.keywords),
        internal,
        internal if message.date is None else _epoch(message.date),
        message.size,
        message.message_id,
        message.in_reply_to,
        " ".join(message.references),
        thread,
        message.subject,
        message.from_name,
        message.from_addr,
        message.to,
        message.cc,
        int(message.has_attachment),
        message.body_hash,
        message.preview,
        sender_sort_key(message.from_name, message.from_addr),
        subject_sort_key(message.subject),
    )


_T = TypeVar("_T")


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class MessageRepository:
    """Message rows; each method is its own transaction (or batches) unless nested."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- writes from sync --------------------------------------------------------------------

    def insert_many(
        self,
        folder_id: int,
        messages: Iterable[NewMessage | RowValues],
        *,
        batch_size: int = BATCH_SIZE,
    ) -> int:
        """Insert (or refresh the flags of) messages, batch_size per transaction.

        Each message is a NewMessage or its row_values. A UID already present keeps its row
        and takes the new flags and modseq. Returns the number of messages handed in.
        """
        count = 0
        for chunk in _chunks(messages, batch_size):
            with self._db.write() as connection:
                limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
                size = max(1, min(_ROWS_PER_STATEMENT, limit // _COLUMN_COUNT))
                for start in range(0, len(chunk), size):
                    part = chunk[start : start + size]
                    values: list[object] = []
                    for m in part:
                        values.append(folder_id)
                        values.extend(m if isinstance(m, tuple) else row_values(m))
                    connection.execute(_insert_sql(len(part)), values)
            count += len(chunk)
        return count

    def update_flags(
        self, folder_id: int, updates: Iterable[FlagUpdate], *, batch_size: int = BATCH_SIZE
    ) -> int:
        """Apply flags the server reported; returns how many rows changed."""
        changed = 0
        for chunk in _chunks(updates, batch_size):
            with self._db.write() as connection:
                cursor = connection.executemany(
                    "UPDATE messages SET flags = ?, keywords = ?, modseq = coalesce(?, modseq)"
                    " WHERE folder_id = ? AND uid = ?",
                    [
                        (int(u.flags), " ".join(u.keywords), u.modseq, folder_id, u.uid)
                        for u in chunk
                    ],
                )
                changed += max(cursor.rowcount, 0)
        return changed

    def change_flags(
        self,
        ids: Iterable[int],
        *,
        add: MessageFlag = MessageFlag.NONE,
        remove: MessageFlag = MessageFlag.NONE,
    ) -> int:
        """Local-first flag change on message ids (the caller queues the replay)."""
        changed = 0
        for chunk in _chunks(ids, BATCH_SIZE):
            with self._db.write() as connection:
                cursor = connection.execute(
                    "UPDATE messages SET flags = (flags | ?) & ~? "
                    "WHERE id IN (SELECT value FROM json_each(?)) AND flags <> ((flags | ?) & ~?)",
                    (int(add), int(remove), json.dumps(chunk), int(add), int(remove)),
                )
                changed += max(cursor.rowcount, 0)
        return changed

    def expunge_uids(
        self, folder_id: int, uids: Iterable[int], *, batch_size: int = BATCH_SIZE
    ) -> int:
        """Remove messages the server expunged; returns how many rows went."""
        removed = 0
        for chunk in _chunks(uids, batch_size):
            with self._db.write() as connection:
                cursor = connection.executemany(
                    "DELETE FROM messages WHERE folder_id = ? AND uid = ?",
                    [(folder_id, uid) for uid in chunk],
                )
                removed += max(cursor.rowcount, 0)
        return removed

    def delete_ids(self, ids: Iterable[int]) -> int:
        removed = 0
        for chunk in _chunks(ids, BATCH_SIZE):
            with self._db.write() as connection:
                cursor = connection.execute(
                    "DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(chunk),),
                )
                removed += max(cursor.rowcount, 0)
        return removed

    def clear_folder(self, folder_id: int) -> int:
        """Drop every message of a folder (its UIDVALIDITY changed)."""
        with self._db.write() as connection:
            cursor = connection.execute("DELETE FROM messages WHERE folder_id = ?", (folder_id,))
            return max(cursor.rowcount, 0)

    def set_bodies(
        self, bodies: Iterable[BodyUpdate], *, batch_size: int = BATCH_SIZE, durable: bool = False
    ) -> int:
        """Record fetched bodies and index their text; durable=True commits each batch with
        synchronous=FULL (a bulk download whose files were fsynced first)."""
        count = 0
        for chunk in _chunks(bodies, batch_size):
            with self._db.write(durable=durable) as connection:
                connection.executemany(
                    "UPDATE messages SET body_hash = ?, preview = coalesce(?, preview),"
                    " has_attachment = coalesce(?, has_attachment) WHERE id = ?",
                    [
                        (
                            b.body_hash,
                            b.preview,
                            None if b.has_attachment is None else int(b.has_attachment),
                            b.message_id,
                        )
                        for b in chunk
                    ],
                )
                # One full-text row per message with its body: inserted now when the row
                # came with its body (migration 0005), else replacing the header-only one.
                # (VALUES, not INSERT ... SELECT: SQLite feeds FTS5 far faster that way.)
                headers = {
                    values[0]: values[1:]
                    for values in connection.execute(
                        "SELECT id, subject, from_name || ' ' || from_addr,"
                        " to_text || ' ' || cc_text FROM messages"
                        " WHERE id IN (SELECT value FROM json_each(?))",
                        (json.dumps([b.message_id for b in chunk]),),
                    )
                }
                connection.executemany(
                    "INSERT OR REPLACE INTO message_text (rowid, subject, sender, recipients,"
                    " body) VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            b.message_id,
                            *headers[b.message_id],
                            f"{b.body_text}\n{b.extra_text}" if b.extra_text else b.body_text,
                        )
                        for b in chunk
                        if b.message_id in headers
                    ],
                )
            count += len(chunk)
        return count

    def set_body(
        self,
        message_id: int,
        body_hash: str,
        *,
        body_text: str = "",
        preview: str | None = None,
        has_attachment: bool | None = None,
    ) -> None:
        self.set_bodies([BodyUpdate(message_id, body_hash, body_text, preview, has_attachment)])

    # -- reads -------------------------------------------------------------------------------

    def get(self, message_id: int) -> MessageRow | None:
        with self._db.read() as connection:
            values = connection.execute(
                f"SELECT {COLUMNS} FROM messages m WHERE m.id = ?", (message_id,)
            ).fetchone()
        return None if values is None else row_from_values(values)

    def get_many(self, ids: Sequence[int]) -> list[MessageRow]:
        """Rows for the ids, in the order given; ids that no longer exist are left out."""
        found: dict[int, MessageRow] = {}
        with self._db.read() as connection:
            for chunk in _chunks(ids, BATCH_SIZE):
                for values in connection.execute(
                    f"SELECT {COLUMNS} FROM messages m"
                    " WHERE m.id IN (SELECT value FROM json_each(?))",
                    (json.dumps(chunk),),
                ):
                    row = row_from_values(values)
                    found[row.id] = row
        return [found[i] for i in ids if i in found]

    def by_uid(self, folder_id: int, uid: int) -> MessageRow | None:
        with self._db.read() as connection:
            values = connection.execute(
                f"SELECT {COLUMNS} FROM messages m WHERE m.folder_id = ? AND m.uid = ?",
                (folder_id, uid),
            ).fetchone()
        return None if values is None else row_from_values(values)

    def by_message_id(self, message_id: str, *, account: str | None = None) -> list[MessageRow]:
        """Every copy of a Message-ID (DSN/MDN matching, threading), newest first."""
        sql = f"SELECT {COLUMNS} FROM messages m WHERE m.message_id = ?"
        params: tuple[object, ...] = (message_id,)
        if account is not None:
            sql += " AND m.folder_id IN (SELECT id FROM folders WHERE account = ?)"
            params += (account,)
        with self._db.read() as connection:
            rows = connection.execute(sql + " ORDER BY m.date DESC, m.id DESC", params)
            return [row_from_values(values) for values in rows]

    def count(self, folder_id: int, *, unread_only: bool = False) -> int:
        sql = "SELECT count(*) FROM messages WHERE folder_id = ?"
        if unread_only:
            sql += " AND (flags & 1) = 0"
        with self._db.read() as connection:
            return int(connection.execute(sql, (folder_id,)).fetchone()[0])

    def window(
        self,
        folder_id: int,
        *,
        sort: SortKey = SortKey.DATE,
        descending: bool = True,
        offset: int = 0,
        limit: int = 100,
    ) -> list[MessageRow]:
        """Rows offset..offset+limit of the folder in the given order (ties broken by id)."""
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        column = _SORT_COLUMNS[sort]
        direction = "DESC" if descending else "ASC"
        with self._db.read() as connection:
            rows = connection.execute(
                f"SELECT {COLUMNS} FROM messages m WHERE m.folder_id = ?"
                f" ORDER BY m.{column} {direction}, m.id {direction} LIMIT ? OFFSET ?",
                (folder_id, limit, offset),
            )
            return [row_from_values(values) for values in rows]

    def ids(
        self, folder_id: int, *, sort: SortKey = SortKey.DATE, descending: bool = True
    ) -> list[int]:
        """Every id of the folder in list order: the skeleton a lazy list model starts from."""
        column = _SORT_COLUMNS[sort]
        direction = "DESC" if descending else "ASC"
        with self._db.read() as connection:
            rows = connection.execute(
                f"SELECT id FROM messages WHERE folder_id = ? ORDER BY {column} {direction},"
                f" id {direction}",
                (folder_id,),
            )
            return [values[0] for values in rows]

    def uids(self, folder_id: int) -> list[int]:
        """The folder's UIDs, ascending (to compare with the server's UID SEARCH ALL)."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT uid FROM messages WHERE folder_id = ? ORDER BY uid", (folder_id,)
            )
            return [values[0] for values in rows]

    def without_body(self, folder_id: int, *, limit: int = BATCH_SIZE) -> list[tuple[int, int]]:
        """(id, uid) of messages whose body is not fetched yet, newest first."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT id, uid FROM messages WHERE folder_id = ? AND body_hash IS NULL"
                " ORDER BY date DESC, id DESC LIMIT ?",
                (folder_id, limit),
            )
            return [(values[0], values[1]) for values in rows]

    def bodies_missing(self, folder_id: int, *, limit: int = -1) -> list[tuple[int, int, int]]:
        """(id, uid, size) of messages whose body is not fetched yet, newest first; every
        one when limit is negative. The sizes let a download cut batches by bytes."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT id, uid, size FROM messages WHERE folder_id = ? AND body_hash IS NULL"
                " ORDER BY date DESC, id DESC LIMIT ?",
                (folder_id, limit),
            )
            return [(values[0], values[1], values[2]) for values in rows]

    def referenced_bodies(self) -> set[str]:
        """Every body hash a row refers to (the live set for BlobStore.delete_unreferenced)."""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT DISTINCT body_hash FROM messages WHERE body_hash IS NOT NULL"
            )
            return {values[0] for values in rows}
