"""A writer killed with SIGKILL mid-sync leaves a consistent store holding whole batches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository
from mailapp.store.messages import MessageRepository

BATCH = 1000

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from mailapp.store.db import Database
    from mailapp.store.folders import FolderRepository
    from mailapp.store.messages import MessageFlag, MessageRepository, NewMessage

    db = Database.open(sys.argv[1])
    folder = FolderRepository(db).upsert("work", "INBOX")
    messages = MessageRepository(db)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    uid = 0
    for batch in range(1000):
        rows = []
        for _ in range({batch}):
            uid += 1
            rows.append(NewMessage(
                uid=uid, internal_date=start + timedelta(seconds=uid), size=uid,
                subject=f"message {{uid}} of batch {{batch}}", from_addr="a@example.com",
                flags=MessageFlag.SEEN if uid % 2 else MessageFlag.NONE,
            ))
        messages.insert_many(folder.id, rows)
        print(batch, flush=True)
    """
).format(batch=BATCH)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sigkill_during_batch_writes_keeps_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        committed = 0
        # Kill right after a commit is reported: the child is then inside the next batch.
        while committed < 4:
            line = child.stdout.readline()
            assert line, "the writer stopped before it was killed"
            committed = int(line) + 1
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with Database.open(path) as db:
        with db.read() as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            # FTS5 checks its index against its stored content.
            connection.execute("INSERT INTO message_text (message_text) VALUES ('integrity-check')")
            fts_rows = connection.execute("SELECT count(*) FROM message_text").fetchone()[0]
        folder = FolderRepository(db).by_name("work", "INBOX")
        assert folder is not None
        messages = MessageRepository(db)
        count = messages.count(folder.id)
        assert count >= committed * BATCH
        assert count % BATCH == 0
        assert messages.uids(folder.id) == list(range(1, count + 1))
        assert fts_rows == count
        # The trigger-kept counters moved in the same transactions as the rows.
        assert (folder.total, folder.unread) == (count, count // 2)
        assert messages.count(folder.id, unread_only=True) == count // 2
