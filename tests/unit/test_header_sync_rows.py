"""Header-sync rows: many-row INSERT statements, and the converter's inlined helpers agreeing
with the plain definitions they replace (address texts, attachment hints, cached flags)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.engine.sync.convert import address_list, has_attachment, new_message
from mailapp.protocols.imap import (
    Address,
    BodyPart,
    FetchResponse,
    Multipart,
    parse_response,
    walk_body,
)
from mailapp.store.db import Database
from mailapp.store.folders import FolderRepository, FolderRow
from mailapp.store.messages import MessageFlag, MessageRepository, NewMessage

BASE = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path / "mail.sqlite3") as database:
        yield database


@pytest.fixture
def inbox(db: Database) -> FolderRow:
    return FolderRepository(db).upsert("work", "INBOX")


def _row(uid: int, **fields: object) -> NewMessage:
    values: dict[str, object] = {
        "uid": uid,
        "internal_date": BASE + timedelta(minutes=uid),
        "size": uid,
        "subject": f"Subject {uid} – ünïcode",
        "from_name": "Ann",
        "from_addr": "ann@example.test",
    }
    values.update(fields)
    return NewMessage(**values)  # type: ignore[arg-type]


def test_a_batch_larger_than_one_statement_keeps_every_row(db: Database, inbox: FolderRow) -> None:
    messages = MessageRepository(db)
    assert messages.insert_many(inbox.id, [_row(uid) for uid in range(1, 2502)], batch_size=2501)
    assert sorted(messages.uids(inbox.id)) == list(range(1, 2502))
    row = messages.by_uid(inbox.id, 2500)
    assert row is not None
    assert row.subject == "Subject 2500 – ünïcode" and row.size == 2500
    assert row.internal_date == BASE + timedelta(minutes=2500)
    folder = FolderRepository(db).by_name("work", "INBOX")
    assert folder is not None and folder.total == 2501


def test_a_uid_twice_in_one_statement_takes_the_later_flags(db: Database, inbox: FolderRow) -> None:
    messages = MessageRepository(db)
    rows = [_row(1), _row(2), _row(1, flags=MessageFlag.SEEN, modseq=9)]
    assert messages.insert_many(inbox.id, rows) == 3
    assert sorted(messages.uids(inbox.id)) == [1, 2]
    row = messages.by_uid(inbox.id, 1)
    assert row is not None and row.flags == MessageFlag.SEEN and row.modseq == 9


def _plain_address_list(addresses: tuple[Address, ...]) -> str:
    texts = []
    for a in addresses:
        if a.is_group_start or a.is_group_end:
            continue
        email, name = a.email or "", a.display_name or ""
        text = f"{name} <{email}>" if name and email else name or email
        if text:
            texts.append(text)
    return ", ".join(texts)


def test_address_list_matches_the_plain_definition() -> None:
    cases = [
        Address(b"=?utf-8?q?J=C3=BCrgen?=", None, b"j", b"example.test"),
        Address(None, None, b"team", None),  # group start
        Address(b"Bob", None, b"bob", b"example.test"),
        Address(None, None, None, None),  # group end
        Address(b"", None, b"empty-name", b"example.test"),
        Address(b"Only Name", None, None, b"example.test"),
        Address(None, None, None, b"example.test"),  # nothing to show
        Address(b"\xff bad", None, b"x\xff", b"example.test"),
    ]
    assert address_list(cases) == _plain_address_list(tuple(cases))
    assert address_list(()) == ""


def _fetch(data: bytes) -> FetchResponse:
    response = parse_response(data)
    assert isinstance(response, FetchResponse)
    return response


def _plain_has_attachment(fetch: FetchResponse) -> bool:
    body = fetch.body_structure
    if body is None:
        return False
    for _, part in walk_body(body):
        if isinstance(part, Multipart):
            continue
        assert isinstance(part, BodyPart)
        if part.disposition is not None and part.disposition.type.lower() == "attachment":
            return True
        if part.type.lower() not in ("text", "multipart", "message") and part.filename:
            return True
    return False


TEXT = b'("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)'
PDF = b'("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 100 NIL NIL NIL NIL)'
UNNAMED = b'("application" "octet-stream" NIL NIL NIL "base64" 100 NIL NIL NIL NIL)'
INLINE_ATTACHMENT = (
    b'("text" "plain" NIL NIL NIL "7bit" 5 1 NIL ("ATTACHMENT" ("filename" "a.txt")) NIL NIL)'
)


def _message(inner: bytes) -> bytes:
    envelope = b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"
    return b'("message" "rfc822" NIL NIL NIL "7bit" 99 ' + envelope + b" " + inner + b" 3)"


@pytest.mark.parametrize(
    "body",
    [
        TEXT,
        PDF,
        UNNAMED,
        INLINE_ATTACHMENT,
        b"(" + TEXT + TEXT + b' "alternative")',
        b"(" + TEXT + PDF + b' "mixed")',
        b"(" + TEXT + _message(TEXT) + b' "mixed")',
        b"(" + TEXT + _message(b"(" + TEXT + PDF + b' "mixed")') + b' "mixed")',
        b"(" + TEXT + _message(INLINE_ATTACHMENT) + b' "mixed")',
        b"((" + TEXT + UNNAMED + b' "mixed")' + TEXT + b' "mixed")',
    ],
)
def test_has_attachment_matches_the_walk_body_definition(body: bytes) -> None:
    fetch = _fetch(b"* 1 FETCH (UID 1 BODYSTRUCTURE " + body + b")\r\n")
    assert has_attachment(fetch.body_structure) == _plain_has_attachment(fetch)


def test_cached_flag_split_gives_the_same_rows() -> None:
    many = " ".join(f"$k{i}" for i in range(40))
    for flags in ("\\Seen \\Recent $Label1", "\\Seen \\Recent $Label1", many, ""):
        row = new_message(_fetch(b"* 1 FETCH (UID 7 FLAGS (" + flags.encode() + b"))\r\n"))
        assert row is not None
        names = [f for f in flags.split() if f.lower() != "\\recent"]
        assert (MessageFlag.SEEN in row.flags) == ("\\Seen" in names)
        assert list(row.keywords) == [n for n in names if n.startswith("$")]
