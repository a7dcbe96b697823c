"""Folder and message repositories: batches, windows in every order, flags, expunge, bodies."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRole, FolderRow
from mailapp.store.messages import (
    BodyUpdate,
    FlagUpdate,
    MessageFlag,
    MessageRepository,
    NewMessage,
    SortKey,
    flags_from_imap,
    flags_to_imap,
    sender_sort_key,
    subject_sort_key,
)

BASE = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "mail.sqlite3") as database:
        yield database


@pytest.fixture
def inbox(db: Database) -> FolderRow:
    return FolderRepository(db).upsert("work", "INBOX", delimiter="/", role=FolderRole.INBOX)


def _message(uid: int, **fields: object) -> NewMessage:
    values: dict[str, object] = {
        "uid": uid,
        "internal_date": BASE + timedelta(minutes=uid),
        "size": 1000 + uid,
    }
    values.update(fields)
    return NewMessage(**values)  # type: ignore[arg-type]


def _generated(count: int, seed: int = 7) -> list[NewMessage]:
    rng = random.Random(seed)
    names = ["Ann Lee", "bob", "Émile Zola", "", "zoë", "Carl"]
    subjects = ["Re: Budget", "budget", "Fwd: Trip", "Ärger", "AW: Zebra", "", "meeting"]
    messages = []
    for uid in range(1, count + 1):
        name = rng.choice(names)
        messages.append(
            _message(
                uid,
                # Shuffled dates (not in uid order) with repeats, so ties are exercised.
                date=BASE + timedelta(hours=rng.randrange(5000)),
                size=rng.randrange(500, 60_000),
                subject=rng.choice(subjects),
                from_name=name,
                from_addr=f"{rng.choice('abcxyz')}@example.com",
                flags=MessageFlag.SEEN if rng.random() < 0.7 else MessageFlag.NONE,
                message_id=f"<m{uid}@example.com>",
            )
        )
    return messages


def test_twenty_thousand_rows_in_batches_and_windows_in_every_order(
    db: Database, inbox: FolderRow
) -> None:
    repository = MessageRepository(db)
    messages = _generated(20_000)
    assert repository.insert_many(inbox.id, messages) == 20_000
    assert repository.count(inbox.id) == 20_000

    by_uid = {message.uid: message for message in messages}
    ids = repository.ids(inbox.id)
    uid_of = {row.id: row.uid for row in repository.get_many(ids)}
    assert len(ids) == 20_000

    sort_keys: dict[SortKey, Callable[[NewMessage], Any]] = {
        SortKey.DATE: lambda m: int((m.date or m.internal_date).timestamp()),
        SortKey.SENDER: lambda m: sender_sort_key(m.from_name, m.from_addr),
        SortKey.SUBJECT: lambda m: subject_sort_key(m.subject),
        SortKey.SIZE: lambda m: m.size,
    }
    # ids grow with uid here (one batch stream), so (key, uid) is the expected order.
    for sort, key in sort_keys.items():
        for descending in (True, False):
            expected = sorted(by_uid, key=lambda uid: (key(by_uid[uid]), uid), reverse=descending)
            listed = [uid_of[i] for i in repository.ids(inbox.id, sort=sort, descending=descending)]
            assert listed == expected, (sort, descending)
            for offset in (0, 9_950, 19_990):
                window = repository.window(
                    inbox.id, sort=sort, descending=descending, offset=offset, limit=50
                )
                assert [row.uid for row in window] == expected[offset : offset + 50]


def test_rows_round_trip_every_field(db: Database, inbox: FolderRow) -> None:
    repository = MessageRepository(db)
    sent = datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)
    repository.insert_many(
        inbox.id,
        [
            _message(
                5,
                modseq=77,
                flags=MessageFlag.SEEN | MessageFlag.MDN_SENT,
                keywords=("$label1", "work"),
                date=sent,
                message_id="<a@b>",
                in_reply_to="<p@b>",
                references=("<root@b>", "<p@b>"),
                subject="Re: Hi",
                from_name="Ann",
                from_addr="ann@example.com",
                to="Bob <bob@example.com>",
                cc="c@example.com",
                has_attachment=True,
                preview="Hello there",
            )
        ],
    )
    row = repository.by_uid(inbox.id, 5)
    assert row is not None
    assert repository.get(row.id) == row
    assert (row.uid, row.modseq, row.size) == (5, 77, 1005)
    assert row.flags == MessageFlag.SEEN | MessageFlag.MDN_SENT and not row.unread
    assert row.keywords == ("$label1", "work")
    assert row.date == sent and row.internal_date == BASE + timedelta(minutes=5)
    assert row.references == ("<root@b>", "<p@b>")
    assert row.thread_key == "<root@b>"
    assert (row.subject, row.from_name, row.from_addr) == ("Re: Hi", "Ann", "ann@example.com")
    assert (row.to, row.cc, row.has_attachment, row.preview) == (
        "Bob <bob@example.com>",
        "c@example.com",
        True,
        "Hello there",
    )
    assert row.body_hash is None
    assert repository.by_message_id("<a@b>") == [row]
    assert repository.by_message_id("<a@b>", account="other") == []


def test_missing_date_falls_back_to_internal_date_and_naive_times_are_refused(
    db: Database, inbox: FolderRow
) -> None:
    repository = MessageRepository(db)
    repository.insert_many(inbox.id, [_message(1)])
    row = repository.by_uid(inbox.id, 1)
    assert row is not None and row.date == row.internal_date
    with pytest.raises(ValueError, match="timezone"):
        repository.insert_many(inbox.id, [_message(2, internal_date=datetime(2024, 1, 1))])


def test_counts_follow_inserts_flags_and_expunges(db: Database, inbox: FolderRow) -> None:
    folders = FolderRepository(db)
    repository = MessageRepository(db)
    repository.insert_many(inbox.id, [_message(uid) for uid in range(1, 11)])
    assert (folders.get(inbox.id) or inbox).unread == 10

    changed = repository.update_flags(
        inbox.id,
        [FlagUpdate(uid, MessageFlag.SEEN, ("work",), modseq=900 + uid) for uid in (1, 2, 3)]
        + [FlagUpdate(999, MessageFlag.SEEN)],
    )
    assert changed == 3
    row = repository.by_uid(inbox.id, 2)
    assert row is not None
    assert (row.flags, row.keywords, row.modseq) == (MessageFlag.SEEN, ("work",), 902)
    assert repository.count(inbox.id, unread_only=True) == 7
    folder = folders.get(inbox.id)
    assert folder is not None and (folder.total, folder.unread) == (10, 7)

    ids = repository.ids(inbox.id, sort=SortKey.DATE, descending=False)
    assert repository.change_flags(ids[:5], add=MessageFlag.FLAGGED, remove=MessageFlag.SEEN) == 5
    first = repository.get(ids[0])
    assert first is not None and first.flags == MessageFlag.FLAGGED
    folder = folders.get(inbox.id)
    assert folder is not None and folder.unread == 10

    assert repository.expunge_uids(inbox.id, [1, 2, 10, 555]) == 3
    assert repository.uids(inbox.id) == [3, 4, 5, 6, 7, 8, 9]
    folder = folders.get(inbox.id)
    assert folder is not None and (folder.total, folder.unread) == (7, 7)
    assert repository.delete_ids(ids[2:4]) == 2
    assert repository.clear_folder(inbox.id) == 5
    folder = folders.get(inbox.id)
    assert folder is not None and (folder.total, folder.unread) == (0, 0)


def test_reinserting_a_uid_refreshes_flags_only(db: Database, inbox: FolderRow) -> None:
    repository = MessageRepository(db)
    repository.insert_many(inbox.id, [_message(1, subject="first")])
    repository.insert_many(inbox.id, [_message(1, subject="second", flags=MessageFlag.SEEN)])
    row = repository.by_uid(inbox.id, 1)
    assert row is not None and (row.subject, row.flags) == ("first", MessageFlag.SEEN)
    assert repository.count(inbox.id) == 1
    folder = FolderRepository(db).get(inbox.id)
    assert folder is not None and (folder.total, folder.unread) == (1, 0)


def test_bodies_and_referenced_hashes(db: Database, inbox: FolderRow) -> None:
    repository = MessageRepository(db)
    repository.insert_many(inbox.id, [_message(uid) for uid in range(1, 4)])
    assert [uid for _, uid in repository.without_body(inbox.id)] == [3, 2, 1]
    row = repository.by_uid(inbox.id, 2)
    assert row is not None
    repository.set_body(row.id, "ab" * 32, body_text="text", preview="p", has_attachment=True)
    repository.set_bodies([BodyUpdate(row.id + 1, "cd" * 32, "more", extra_text="plan.pdf")])
    updated = repository.get(row.id)
    assert updated is not None
    assert (updated.body_hash, updated.preview, updated.has_attachment) == ("ab" * 32, "p", True)
    assert [uid for _, uid in repository.without_body(inbox.id)] == [1]
    assert repository.referenced_bodies() == {"ab" * 32, "cd" * 32}


def test_get_many_keeps_order_and_skips_missing(db: Database, inbox: FolderRow) -> None:
    repository = MessageRepository(db)
    repository.insert_many(inbox.id, [_message(uid) for uid in range(1, 6)])
    ids = repository.ids(inbox.id)
    wanted = [ids[3], 10_000, ids[0], ids[2]]
    assert [row.id for row in repository.get_many(wanted)] == [ids[3], ids[0], ids[2]]
    assert repository.window(inbox.id, offset=10, limit=5) == []
    with pytest.raises(ValueError, match="negative"):
        repository.window(inbox.id, offset=-1)


def test_folder_upsert_keeps_sync_state_and_cascades(db: Database) -> None:
    folders = FolderRepository(db)
    sent = folders.upsert("work", "Sent", role=FolderRole.SENT)
    folders.set_sync_state(sent.id, uidvalidity=42, uidnext=7, highestmodseq=9_000_000_000)
    again = folders.upsert("work", "Sent", role=FolderRole.SENT, subscribed=False)
    assert again.id == sent.id
    assert (again.uidvalidity, again.uidnext, again.highestmodseq) == (42, 7, 9_000_000_000)
    assert again.subscribed is False
    assert folders.by_role("work", FolderRole.SENT) == again
    assert folders.by_name("work", "Sent") == again
    assert folders.by_role("work", FolderRole.TRASH) is None
    other = folders.upsert("home", "INBOX", role=FolderRole.INBOX)
    assert [f.name for f in folders.folders()] == ["INBOX", "Sent"]
    assert folders.folders("work") == [again]

    MessageRepository(db).insert_many(sent.id, [_message(1)])
    folders.rename(sent.id, "Sent Items")
    assert folders.by_name("work", "Sent Items") is not None
    folders.delete_account("work")
    assert folders.folders() == [other]
    with db.read() as connection:
        assert connection.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM message_text").fetchone()[0] == 0


def test_imap_flag_names_map_both_ways() -> None:
    flags, keywords = flags_from_imap(["\\Seen", "\\FLAGGED", "\\Recent", "$MDNSent", "Work"])
    assert flags == MessageFlag.SEEN | MessageFlag.FLAGGED | MessageFlag.MDN_SENT
    assert keywords == ("Work",)
    assert flags_to_imap(flags, keywords) == ["\\Seen", "\\Flagged", "$MDNSent", "Work"]


def test_sort_keys_fold_case_and_reply_prefixes() -> None:
    assert subject_sort_key("Re: AW: Fwd[2]: Émile") == "émile"
    assert subject_sort_key("Fwd: Re:  Budget ") == "budget"
    assert subject_sort_key("Regarding") == "regarding"
    assert sender_sort_key("", "Bob@Example.com") == "bob@example.com"
    assert sender_sort_key(" Zoë ", "z@example.com") == "zoë"
