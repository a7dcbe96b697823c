"""Folders of each account: names, special-use roles, sync state and message counts.

Imports: core, store.db and the stdlib.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from mailapp.store.db import Database


class FolderRole(enum.StrEnum):
    """What a folder is for (RFC 6154 special use, plus the INBOX)."""

    INBOX = "inbox"
    SENT = "sent"
    DRAFTS = "drafts"
    TRASH = "trash"
    JUNK = "junk"
    ARCHIVE = "archive"
    ALL = "all"
    FLAGGED = "flagged"
    # Not an RFC 6154 role: the local folder where matched delivery reports are filed.
    REPORTS = "reports"


@dataclass(frozen=True, slots=True)
class FolderRow:
    id: int
    account: str
    name: str
    delimiter: str | None
    role: FolderRole | None
    subscribed: bool
    selectable: bool
    uidvalidity: int | None
    uidnext: int | None
    highestmodseq: int | None
    total: int
    unread: int


_COLUMNS = (
    "id, account, name, delimiter, role, subscribed, selectable, uidvalidity, uidnext,"
    " highestmodseq, total, unread"
)


def _row(values: Any) -> FolderRow:
    (fid, account, name, delimiter, role, subscribed, selectable, validity, uidnext, modseq,
     total, unread) = values  # fmt: skip
    return FolderRow(
        fid,
        account,
        name,
        delimiter,
        None if role is None else FolderRole(role),
        bool(subscribed),
        bool(selectable),
        validity,
        uidnext,
        modseq,
        total,
        unread,
    )


class FolderRepository:
    """Folder rows of every account; each method is its own transaction unless nested."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def upsert(
        self,
        account: str,
        name: str,
        *,
        delimiter: str | None = None,
        role: FolderRole | None = None,
        subscribed: bool = True,
        selectable: bool = True,
    ) -> FolderRow:
        """Create the folder or refresh its LIST attributes; sync state and counts are kept."""
        with self._db.write() as connection:
            values = connection.execute(
                f"""INSERT INTO folders (account, name, delimiter, role, subscribed, selectable)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (account, name) DO UPDATE SET
                        delimiter = excluded.delimiter, role = excluded.role,
                        subscribed = excluded.subscribed, selectable = excluded.selectable
                    RETURNING {_COLUMNS}""",
                (account, name, delimiter, role, int(subscribed), int(selectable)),
            ).fetchone()
        return _row(values)

    def get(self, folder_id: int) -> FolderRow | None:
        with self._db.read() as connection:
            values = connection.execute(
                f"SELECT {_COLUMNS} FROM folders WHERE id = ?", (folder_id,)
            ).fetchone()
        return None if values is None else _row(values)

    def by_name(self, account: str, name: str) -> FolderRow | None:
        with self._db.read() as connection:
            values = connection.execute(
                f"SELECT {_COLUMNS} FROM folders WHERE account = ? AND name = ?", (account, name)
            ).fetchone()
        return None if values is None else _row(values)

    def by_role(self, account: str, role: FolderRole) -> FolderRow | None:
        with self._db.read() as connection:
            values = connection.execute(
                f"SELECT {_COLUMNS} FROM folders WHERE account = ? AND role = ? ORDER BY id"
                " LIMIT 1",
                (account, role),
            ).fetchone()
        return None if values is None else _row(values)

    def folders(self, account: str | None = None) -> list[FolderRow]:
        """Folders ordered by account then name (the tree view sorts roles itself)."""
        with self._db.read() as connection:
            if account is None:
                rows = connection.execute(
                    f"SELECT {_COLUMNS} FROM folders ORDER BY account, name"
                ).fetchall()
            else:
                rows = connection.execute(
                    f"SELECT {_COLUMNS} FROM folders WHERE account = ? ORDER BY name", (account,)
                ).fetchall()
        return [_row(values) for values in rows]

    def set_sync_state(
        self,
        folder_id: int,
        *,
        uidvalidity: int | None,
        uidnext: int | None,
        highestmodseq: int | None,
    ) -> None:
        with self._db.write() as connection:
            connection.execute(
                "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ? WHERE id = ?",
                (uidvalidity, uidnext, highestmodseq, folder_id),
            )

    def rename(self, folder_id: int, new_name: str) -> None:
        with self._db.write() as connection:
            connection.execute("UPDATE folders SET name = ? WHERE id = ?", (new_name, folder_id))

    def delete(self, folder_id: int) -> None:
        """Remove the folder with its messages (and their queued changes)."""
        with self._db.write() as connection:
            connection.execute("DELETE FROM folders WHERE id = ?", (folder_id,))

    def delete_account(self, account: str) -> None:
        with self._db.write() as connection:
            connection.execute("DELETE FROM folders WHERE account = ?", (account,))
            connection.execute("DELETE FROM pending_changes WHERE account = ?", (account,))
