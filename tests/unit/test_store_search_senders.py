"""`from:` by the sender index (migration 0008, SearchPlan.SENDER_SEEK): the same rows as the
full-text plans, the plan it compiles to, its fallback, and the upgrade of an older store."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.store.db import Database, load_migrations
from mailapp.store.folders import FolderRepository
from mailapp.store.messages import BodyUpdate, MessageFlag, MessageRepository, NewMessage
from mailapp.store.query import parse_query
from mailapp.store.search import (
    MAX_SENDER_TEXTS,
    SearchPlan,
    SearchRepository,
    compile_sender_search,
    matching_sender_texts,
    sender_expression,
)

# (name, address): the same address under several names, addresses that contain another
# one's tokens, a name that is an address, diacritics, an empty sender.
SENDERS = [
    ("Bob Smith", "bob.smith38@example.org"),
    ("", "bob.smith38@example.org"),
    ("Robert Smith", "bob.smith38@example.org"),
    ("", "alice+bob.smith38@example.org"),
    ("", "bob.smith38@example.org.uk"),
    ("bob.smith38@example.org", "relay@lists.example"),
    ("Jörg Müller", "joerg@example.de"),
    ("Ann Lee", "ann@example.com"),
    ("", ""),
]
WORDS = ["budget", "lunch", "roadmap", "zebra", "plan"]
START = datetime(2024, 1, 1, tzinfo=UTC)


def fill(db: Database, count: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    folders = FolderRepository(db)
    inbox = folders.upsert("work", "INBOX")
    archive = folders.upsert("home", "Archive")
    messages = MessageRepository(db)
    for folder in (inbox, archive):
        rows = []
        for uid in range(1, count + 1):
            name, addr = rng.choice(SENDERS)
            rows.append(
                NewMessage(
                    uid=uid,
                    internal_date=START + timedelta(hours=rng.randrange(5000)),
                    size=10,
                    subject=" ".join(rng.sample(WORDS, 2)),
                    from_name=name,
                    from_addr=addr,
                    has_attachment=rng.random() < 0.3,
                    flags=MessageFlag.SEEN if rng.random() < 0.5 else MessageFlag.NONE,
                )
            )
        messages.insert_many(folder.id, rows)
        updates = [
            BodyUpdate(row.id, f"{row.id:064x}", " ".join(rng.sample(WORDS, 2)))
            for row in messages.window(folder.id, limit=count)
            if row.uid % 2
        ]
        messages.set_bodies(updates)
    # Deleted messages leave their sender text behind; searches must not see them.
    messages.expunge_uids(inbox.id, range(1, count // 5))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "mail.sqlite3") as database:
        fill(database, 150)
        yield database


QUERIES = [
    "from:bob.smith38@example.org",
    "from:BOB.SMITH38@EXAMPLE.ORG",
    'from:"Bob Smith"',
    "from:smith38",
    "from:bob*",
    "from:joerg@example.de",
    "from:jorg",
    "from:ann@example.com budget",
    "from:bob.smith38@example.org subject:lunch",
    "from:bob.smith38@example.org zebra after:2024-03-01 before:2024-06-01",
    "from:bob.smith38@example.org has:attachment is:unread",
    "from:example.org from:relay",
    "from:nobody@nowhere.example",
]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("limit", [1, 7, 50, 1000])
@pytest.mark.parametrize("scope", ["all", "account", "folder"])
def test_sender_seek_returns_the_rows_of_the_fts_plans(
    db: Database, text: str, limit: int, scope: str
) -> None:
    repository = SearchRepository(db)
    kw: dict[str, object] = {"limit": limit, "zone": UTC}
    if scope == "account":
        kw["account"] = "work"
    elif scope == "folder":
        kw["folder_id"] = FolderRepository(db).upsert("home", "Archive").id
    found = {
        plan: [row.id for row in repository.search(text, plan=plan, **kw)]  # type: ignore[arg-type]
        for plan in SearchPlan
    }
    assert found[SearchPlan.SENDER_SEEK] == found[SearchPlan.SORT_MATCHES]
    assert found[SearchPlan.WALK_DATES] == found[SearchPlan.SORT_MATCHES]
    assert [row.id for row in repository.search(text, **kw)] == found[SearchPlan.SORT_MATCHES]  # type: ignore[arg-type]
    with db.read() as connection:
        # These queries really take the sender index (few matching sender texts).
        assert repository._sender_seek(connection, parse_query(text), **kw) is not None  # type: ignore[arg-type]


def test_an_address_finds_its_superstrings_as_the_text_index_does(db: Database) -> None:
    with db.read() as connection:
        texts = matching_sender_texts(
            connection,
            sender_expression(parse_query("from:bob.smith38@example.org")) or "",
            most=99,
        )
    assert sorted(texts) == sorted(
        [
            "Bob Smith bob.smith38@example.org",
            " bob.smith38@example.org",
            "Robert Smith bob.smith38@example.org",
            " alice+bob.smith38@example.org",
            " bob.smith38@example.org.uk",
            "bob.smith38@example.org relay@lists.example",
        ]
    )


def test_many_matching_senders_fall_back_to_the_text_index(tmp_path: Path) -> None:
    with Database.open(tmp_path / "mail.sqlite3") as db:
        folder = FolderRepository(db).upsert("work", "INBOX")
        MessageRepository(db).insert_many(
            folder.id,
            [
                NewMessage(
                    uid=uid,
                    internal_date=START + timedelta(days=uid),
                    size=1,
                    from_addr=f"user{uid}@example.org",
                )
                for uid in range(1, MAX_SENDER_TEXTS + 10)
            ],
        )
        repository = SearchRepository(db)
        query = parse_query("from:example.org")
        with db.read() as connection:
            assert repository._sender_seek(connection, query, limit=5) is None
        rows = repository.search(query, limit=5)
        assert [r.from_addr for r in rows] == [
            f"user{uid}@example.org"
            for uid in range(MAX_SENDER_TEXTS + 9, MAX_SENDER_TEXTS + 4, -1)
        ]


def test_sender_search_walks_the_sender_index_without_sorting(db: Database) -> None:
    for text in ("from:ann@example.com", "from:ann@example.com budget after:2024-02-01"):
        compiled = compile_sender_search(parse_query(text), "Ann Lee ann@example.com", zone=UTC)
        with db.read() as connection:
            plan = " ".join(
                row[3]
                for row in connection.execute("EXPLAIN QUERY PLAN " + compiled.sql, compiled.params)
            )
        assert "messages_by_sender_text" in plan and "TEMP B-TREE" not in plan


def test_upgrade_indexes_the_senders_of_an_existing_store(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    before = [m for m in load_migrations() if m.version < 8]
    with Database.open(path, migrations=before) as old:
        assert old.schema_version == 7
        fill(old, 120)
        old_rows = {
            text: [r.id for r in SearchRepository(old).search(text, limit=1000)] for text in QUERIES
        }
        assert any(old_rows.values())
    with Database.open(path) as db:
        assert db.schema_version >= 8
        repository = SearchRepository(db)
        with db.read() as connection:
            texts = {t for (t,) in connection.execute("SELECT text FROM sender_texts")}
            assert texts == {f"{name} {addr}" for name, addr in SENDERS}
            for text in QUERIES:
                seek = repository._sender_seek(connection, parse_query(text), limit=1000)
                assert seek is not None and [r.id for r in seek] == old_rows[text]
        # New mail after the upgrade is indexed by the trigger.
        folder = FolderRepository(db).upsert("work", "INBOX")
        MessageRepository(db).insert_many(
            folder.id,
            [NewMessage(uid=9999, internal_date=START, size=1, from_addr="new@example.net")],
        )
        assert [r.uid for r in repository.search("from:new@example.net")] == [9999]
