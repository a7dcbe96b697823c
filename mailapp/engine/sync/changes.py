"""Local-first message changes (flag, move, delete) and their queue for replay on the server.

Imports: core, store (db, folders, messages) and the stdlib; runs in worker threads.

A change is applied to the store at once and queued in `pending_changes` in the same
transaction, with the folder and UID copied (the row may be gone by replay time). The sync
replays the queue before it syncs, so the server's flags never overwrite a change not yet
sent. A change the server refuses for good is dropped and its folder is marked for a full
resync, which restores the server's truth locally (that is the back-out).
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

from mailapp.core.errors import ConfigError, MessageNotFoundError
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole, FolderRow
from mailapp.store.messages import MessageFlag, MessageRepository, flags_to_imap

MAX_ATTEMPTS = 5


class ChangeKind(enum.StrEnum):
    FLAGS = "flags"
    MOVE = "move"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class PendingChange:
    id: int
    account: str
    kind: ChangeKind
    folder_id: int
    uid: int
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    target: str | None = None  # MOVE: the folder's name; DELETE: the Trash, or None
    attempts: int = 0


_FLAG_WORDS: dict[str, MessageFlag] = {
    "seen": MessageFlag.SEEN,
    "read": MessageFlag.SEEN,
    "flagged": MessageFlag.FLAGGED,
    "answered": MessageFlag.ANSWERED,
    "draft": MessageFlag.DRAFT,
    "forwarded": MessageFlag.FORWARDED,
    "junk": MessageFlag.JUNK,
    "notjunk": MessageFlag.NOT_JUNK,
}


def parse_flag(word: str) -> MessageFlag:
    flag = _FLAG_WORDS.get(word.lower().lstrip("\\$"))
    if flag is None:
        raise ConfigError(
            f"Unknown flag {word!r}.", hint="Use one of: " + ", ".join(sorted(_FLAG_WORDS)) + "."
        )
    return flag


class ChangeQueue:
    """Applies changes locally and keeps the queue the sync replays."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.folders = FolderRepository(database)
        self.messages = MessageRepository(database)

    def _enqueue(
        self,
        account: str,
        *,
        kind: ChangeKind,
        folder_id: int,
        message_id: int | None,
        uid: int,
        payload: dict[str, object],
    ) -> None:
        now = int(time.time())
        with self._db.write() as connection:
            connection.execute(
                "INSERT INTO pending_changes (account, kind, folder_id, message_id, uid, payload,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (account, kind.value, folder_id, message_id, uid, json.dumps(payload), now, now),
            )

    def _located(self, message_id: int) -> tuple[FolderRow, int]:
        row = self.messages.get(message_id)
        if row is None:
            raise MessageNotFoundError(f"There is no message {message_id}.")
        folder = self.folders.get(row.folder_id)
        if folder is None:
            raise MessageNotFoundError(f"There is no message {message_id}.")
        return folder, row.uid

    def change_flags(
        self,
        ids: Iterable[int],
        *,
        add: MessageFlag = MessageFlag.NONE,
        remove: MessageFlag = MessageFlag.NONE,
    ) -> int:
        """Set/clear flags now; queue the STOREs. Returns how many messages there were."""
        count = 0
        with self._db.write():
            for message_id in ids:
                folder, uid = self._located(message_id)
                self.messages.change_flags([message_id], add=add, remove=remove)
                self._enqueue(
                    folder.account,
                    kind=ChangeKind.FLAGS,
                    folder_id=folder.id,
                    message_id=message_id,
                    uid=uid,
                    payload={"add": flags_to_imap(add), "remove": flags_to_imap(remove)},
                )
                count += 1
        return count

    def move(self, ids: Iterable[int], target: str) -> int:
        """Move to another folder of the same account: gone here now; the server moves it
        on replay and the next sync of `target` brings it in there."""
        count = 0
        with self._db.write():
            for message_id in ids:
                folder, uid = self._located(message_id)
                dest = self.folders.by_name(folder.account, target)
                if dest is None or not dest.selectable:
                    raise ConfigError(
                        f"The account {folder.account!r} has no folder {target!r}.",
                        hint="See `mailapp folders`.",
                    )
                if dest.id == folder.id:
                    continue
                self.messages.delete_ids([message_id])
                self._enqueue(
                    folder.account,
                    kind=ChangeKind.MOVE,
                    folder_id=folder.id,
                    message_id=None,
                    uid=uid,
                    payload={"target": dest.name},
                )
                count += 1
        return count

    def delete(self, ids: Iterable[int]) -> int:
        """Delete: into the Trash when there is one (and it is not already there), else
        \\Deleted and expunged on the server."""
        count = 0
        with self._db.write():
            for message_id in ids:
                folder, uid = self._located(message_id)
                trash = self.folders.by_role(folder.account, FolderRole.TRASH)
                target = trash.name if trash is not None and trash.id != folder.id else None
                self.messages.delete_ids([message_id])
                self._enqueue(
                    folder.account,
                    kind=ChangeKind.DELETE,
                    folder_id=folder.id,
                    message_id=None,
                    uid=uid,
                    payload={"target": target},
                )
                count += 1
        return count

    # --- replay side -----------------------------------------------------------------------

    def pending(self, account: str) -> list[PendingChange]:
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT id, account, kind, folder_id, uid, payload, attempts FROM pending_changes"
                " WHERE account = ? AND state IN ('queued', 'running') AND folder_id IS NOT NULL"
                " ORDER BY id",
                (account,),
            ).fetchall()
        out = []
        for cid, acct, kind, folder_id, uid, payload, attempts in rows:
            data = json.loads(payload or "{}")
            out.append(
                PendingChange(
                    cid,
                    acct,
                    ChangeKind(kind),
                    folder_id,
                    uid,
                    tuple(data.get("add", ())),
                    tuple(data.get("remove", ())),
                    data.get("target"),
                    attempts,
                )
            )
        return out

    def done(self, change_ids: Iterable[int]) -> None:
        with self._db.write() as connection:
            connection.executemany(
                "DELETE FROM pending_changes WHERE id = ?", [(i,) for i in change_ids]
            )

    def failed(self, change: PendingChange, error: str, *, permanent: bool) -> None:
        """Count a failed attempt; a permanent failure (or too many) drops the change and
        marks its folder for a full resync, which puts the server's state back."""
        give_up = permanent or change.attempts + 1 >= MAX_ATTEMPTS
        with self._db.write() as connection:
            connection.execute(
                "UPDATE pending_changes SET attempts = attempts + 1, last_error = ?,"
                " state = ?, updated_at = ? WHERE id = ?",
                (error, "failed" if give_up else "queued", int(time.time()), change.id),
            )
            if give_up:
                connection.execute(
                    "UPDATE folders SET uidnext = NULL, highestmodseq = NULL WHERE id = ?",
                    (change.folder_id,),
                )

    def failures(self, account: str) -> list[tuple[int, str, str]]:
        """(change id, kind, last error) of changes the server refused for good."""
        with self._db.read() as connection:
            return [
                (r[0], r[1], r[2] or "")
                for r in connection.execute(
                    "SELECT id, kind, last_error FROM pending_changes"
                    " WHERE account = ? AND state = 'failed' ORDER BY id",
                    (account,),
                )
            ]


def pending_uids(database: Database, folder_id: int) -> tuple[set[int], set[int]]:
    """(UIDs moved or deleted here but not yet on the server, UIDs with unsent flag changes):
    the sync must neither bring the first back nor overwrite the flags of the second."""
    gone: set[int] = set()
    flagged: set[int] = set()
    with database.read() as connection:
        for kind, uid in connection.execute(
            "SELECT kind, uid FROM pending_changes WHERE folder_id = ?"
            " AND state IN ('queued', 'running') AND uid IS NOT NULL",
            (folder_id,),
        ):
            (flagged if kind == ChangeKind.FLAGS.value else gone).add(uid)
    return gone, flagged
