"""Store upkeep (engine.store_upkeep, Engine.clean_store, `mailapp store clean`): deleted
messages' bytes are reclaimed, everything still referenced or too young survives, syncs
clean at most once a day."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from mailapp.app.cli import build_parser, run_command
from mailapp.core.model import IncomingProtocol
from mailapp.engine import api
from mailapp.engine.api import Engine
from mailapp.engine.store_upkeep import INTERVAL_SECONDS, StoreUpkeep
from mailapp.engine.sync.imap_sync import SyncProgress
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.store.blobs import PACK_MIN_ITEMS, BlobStore
from mailapp.store.db import Database

OLD = time.time() - 3 * 3600  # well past the one-hour grace period


def mail(tag: str, size: int = 2000) -> bytes:
    return f"Subject: {tag}\r\n\r\n{tag} {'x' * size}\r\n".encode()


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    store = MemoryCredentialStore(description="test keyring", persistent=True)
    monkeypatch.setattr(api, "open_default_store", lambda: store)
    return Engine.open(str(tmp_path / "profile"))


def store_of(engine: Engine) -> tuple[Database, BlobStore]:
    return engine._mail_store()


def age(database: Database, blobs: BlobStore, digests: list[str], when: float = OLD) -> None:
    """Make the digests' bytes look written at `when` (files, pack rows and packs)."""
    with database.write() as connection:
        connection.executemany(
            "UPDATE blob_packs SET created = ? WHERE digest = ?", [(int(when), d) for d in digests]
        )
    for digest in digests:
        path = blobs.path_for(digest)
        if path.exists():
            os.utime(path, (when, when))
    if blobs.packs_dir.is_dir():
        for pack in blobs.packs_dir.iterdir():
            os.utime(pack, (when, when))


def add_message(database: Database, digest: str | None, uid: int) -> int:
    with database.write() as connection:
        folder = connection.execute(
            "SELECT id FROM folders WHERE account = 'a' AND name = 'INBOX'"
        ).fetchone()
        if folder is None:
            folder_id = connection.execute(
                "INSERT INTO folders (account, name) VALUES ('a', 'INBOX')"
            ).lastrowid
        else:
            folder_id = folder[0]
        cursor = connection.execute(
            "INSERT INTO messages (folder_id, uid, internal_date, date, size, body_hash)"
            " VALUES (?, ?, 0, 0, 10, ?)",
            (folder_id, uid, digest),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def add_outbox(database: Database, raw_hash: str, attachments: list[str]) -> int:
    now = int(time.time())
    with database.write() as connection:
        cursor = connection.execute(
            "INSERT INTO outbox (account, message_id, envid, raw_hash, envelope_from, size,"
            " created_at, queued_at, updated_at, next_attempt_at)"
            " VALUES ('a', ?, ?, ?, 'a@example.test', 10, ?, ?, ?, ?)",
            (f"<{raw_hash[:8]}@x>", raw_hash[:12], raw_hash, now, now, now, now),
        )
        outbox_id = cursor.lastrowid
        connection.execute(
            "INSERT INTO outbox_drafts (outbox_id, record, attachment_hashes) VALUES (?, '{}', ?)",
            (outbox_id, json.dumps(attachments)),
        )
        assert outbox_id is not None
        return outbox_id


def test_reclaims_deleted_and_keeps_every_owner(engine: Engine) -> None:
    database, blobs = store_of(engine)
    packed = [mail(f"packed {i}") for i in range(PACK_MIN_ITEMS * 2)]
    pack_digests = blobs.put_many(packed)  # one pack
    singles = {
        name: blobs.put(mail(name))
        for name in ("gone", "outbox", "attachment", "report", "local draft", "message file")
    }
    age(database, blobs, pack_digests + list(singles.values()))
    # Owners: a quarter of the pack and one file are messages; the rest one owner each.
    kept = PACK_MIN_ITEMS // 2
    for uid, digest in enumerate(pack_digests[:kept]):
        add_message(database, digest, uid + 1)
    add_message(database, singles["message file"], 100)
    add_outbox(database, singles["outbox"], [singles["attachment"]])
    with database.write() as connection:
        connection.execute(
            "INSERT INTO delivery_reports (report_key, kind, report_hash, ingested_at)"
            " VALUES ('k1', 'dsn', ?, 0)",
            (singles["report"],),
        )
    drafts = engine.profile.root / "drafts"
    drafts.mkdir()
    record = {"attachments": [{"path": str(blobs.path_for(singles["local draft"]))}]}
    (drafts / "0123456789abcdef01234567.json").write_text(json.dumps(record))
    unreferenced = pack_digests[kept:]
    size_before = sum(len(m) for m in packed) + len(mail("gone"))

    report = asyncio.run(engine.clean_store())

    assert report.messages == len(unreferenced) + 1
    assert not blobs.exists(singles["gone"])
    for digest in unreferenced:
        assert not blobs.exists(digest)
    for name, digest in singles.items():
        if name != "gone":
            assert blobs.get(digest) == mail(name)
    for digest, data in zip(pack_digests, packed, strict=True):
        if digest not in unreferenced:
            assert blobs.get(digest) == data
    # The pack was more than half garbage: rewritten, so its space came back too.
    assert report.packs_removed == 1
    assert 0 < report.bytes_freed < size_before


def test_deleted_message_row_body_is_reclaimed(engine: Engine) -> None:
    database, blobs = store_of(engine)
    digest = blobs.put(mail("read then deleted"))
    message_id = add_message(database, digest, 1)
    age(database, blobs, [digest])
    assert asyncio.run(engine.clean_store()).messages == 0
    assert blobs.exists(digest)
    with database.write() as connection:
        connection.execute("DELETE FROM messages WHERE id = ?", (message_id,))
    report = asyncio.run(engine.clean_store())
    assert report.messages == 1
    assert report.bytes_freed == len(mail("read then deleted"))
    assert not blobs.exists(digest)


def test_young_bytes_survive_the_grace_period(engine: Engine) -> None:
    _, blobs = store_of(engine)
    young_file = blobs.put(mail("just written"))
    young_pack = blobs.put_many([mail(f"batch {i}") for i in range(PACK_MIN_ITEMS)])
    report = asyncio.run(engine.clean_store())
    assert report.messages == 0
    assert report.bytes_freed == 0
    assert blobs.exists(young_file)
    assert all(blobs.exists(d) for d in young_pack)


def test_pending_change_payload_keeps_its_file(engine: Engine) -> None:
    database, blobs = store_of(engine)
    digest = blobs.put(mail("to append"))
    age(database, blobs, [digest])
    now = int(time.time())
    with database.write() as connection:
        connection.execute(
            "INSERT INTO pending_changes (account, kind, payload, created_at, updated_at)"
            " VALUES ('a', 'append', ?, ?, ?)",
            (json.dumps({"blob": digest}), now, now),
        )
    asyncio.run(engine.clean_store())
    assert blobs.exists(digest)


def test_syncs_clean_at_most_once_a_day(engine: Engine) -> None:
    database, blobs = store_of(engine)
    first = blobs.put(mail("first"))
    age(database, blobs, [first])
    report = asyncio.run(engine._clean_store_if_due())
    assert report is not None and report.messages == 1
    second = blobs.put(mail("second"))
    age(database, blobs, [second])
    assert asyncio.run(engine._clean_store_if_due()) is None  # ran today already
    assert blobs.exists(second)
    upkeep = engine.store_upkeep
    last = upkeep.last_run()
    assert last is not None
    assert not upkeep.due(last + INTERVAL_SECONDS - 60)
    assert upkeep.due(last + INTERVAL_SECONDS)
    assert upkeep.due(last - 3600)  # a clock set back does not stop it for good
    # A day later (the record says so), the next sync cleans again.
    upkeep.state_file.write_text(json.dumps({"last_run": last - INTERVAL_SECONDS}))
    report = asyncio.run(engine._clean_store_if_due())
    assert report is not None and report.messages == 1
    assert not blobs.exists(second)


def test_a_failing_cleanup_does_not_fail_the_sync(engine: Engine) -> None:
    def broken(*_: Any, **__: Any) -> int:
        raise OSError("disk gone")

    store_of(engine)[1].delete_unreferenced = broken  # type: ignore[method-assign]
    assert asyncio.run(engine._clean_store_if_due()) is None


def test_sync_account_cleans_after_a_successful_sync(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, blobs = store_of(engine)
    digest = blobs.put(mail("expunged"))
    age(database, blobs, [digest])

    class FakeSync:
        async def sync(self, folders: list[str] | None) -> str:
            return "report"

        async def disconnect(self) -> None:
            pass

    class FakeAccount:
        incoming_protocol = IncomingProtocol.IMAP

    monkeypatch.setattr(engine, "get_account", lambda name: FakeAccount())
    monkeypatch.setattr(engine, "_imap_sync", lambda account, progress: FakeSync())
    result: object = asyncio.run(engine.sync_account("a"))
    assert result == "report"
    assert not blobs.exists(digest)
    assert engine.store_upkeep.last_run() is not None


def test_watch_cleans_when_a_pass_is_done(engine: Engine) -> None:
    database, blobs = store_of(engine)
    digest = blobs.put(mail("expunged while watching"))
    age(database, blobs, [digest])
    seen: list[str] = []

    async def main() -> None:
        async with engine._store_upkeep_while_watching(lambda s: seen.append(s.phase)) as relay:
            relay(SyncProgress("a", "INBOX", "headers"))
            await asyncio.sleep(0)
            assert blobs.exists(digest)  # not done yet: nothing cleaned
            relay(SyncProgress("a", "", "done"))
            for _ in range(200):
                if not blobs.exists(digest):
                    break
                await asyncio.sleep(0.05)

    asyncio.run(main())
    assert seen == ["headers", "done"]
    assert not blobs.exists(digest)


def test_cli_store_clean_prints_what_it_freed(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    database, blobs = store_of(engine)
    gone = blobs.put(mail("gone", 5000))
    age(database, blobs, [gone])
    profile = str(engine.profile.root)
    assert run_command(build_parser().parse_args(["--profile", profile, "store", "clean"])) == 0
    out = capsys.readouterr().out
    assert "1 message(s) deleted" in out
    assert f"{len(mail('gone', 5000)) / 1024:.1f} KB" in out
    again = build_parser().parse_args(["--profile", profile, "store", "clean", "--json"])
    assert run_command(again) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"] == 0
    assert data["bytes_freed"] == 0


def test_standalone_upkeep_without_state_is_due(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "mail.sqlite3")
    try:
        upkeep = StoreUpkeep(
            database,
            BlobStore(tmp_path / "messages", database),
            drafts_dir=tmp_path / "drafts",
            state_file=tmp_path / "state.json",
        )
        assert upkeep.due()
        assert upkeep.run_if_due() is not None
        assert not upkeep.due()
        assert upkeep.run_if_due() is None
    finally:
        database.close()
