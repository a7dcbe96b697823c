"""The search language: parsing, FTS5 safety, and each kind of query against a real store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.core.errors import ConfigError, SearchQueryError
from mailapp.store.db import Database, load_migrations, split_statements
from mailapp.store.folders import FolderRepository
from mailapp.store.messages import BodyUpdate, MessageFlag, MessageRepository, NewMessage
from mailapp.store.query import Field, SearchQuery, TextTerm, fts_expression, parse_query
from mailapp.store.search import (
    SearchPlan,
    SearchRepository,
    choose_plan,
    compile_search,
    walk_threshold,
)

# --- parser ---------------------------------------------------------------------------------


def test_words_phrases_and_fields() -> None:
    query = parse_query('budget "quarterly plan" from:ann@example.com to:"Bob Dole" subject:Re:')
    assert query.terms == (
        TextTerm(Field.ANY, "budget"),
        TextTerm(Field.ANY, "quarterly plan", phrase=True),
        TextTerm(Field.FROM, "ann@example.com"),
        TextTerm(Field.TO, "Bob Dole", phrase=True),
        TextTerm(Field.SUBJECT, "Re:"),
    )


def test_dates_flags_and_attachments() -> None:
    query = parse_query(
        "before:2024-03-01 BEFORE:2024-02-01 after:2023-01-01 after:2023-06-01 "
        "has:attachment is:unread is:flagged"
    )
    assert query.before == date(2024, 2, 1)  # the tighter bound wins
    assert query.after == date(2023, 6, 1)
    assert query.has_attachment and query.unread is True and query.flagged
    assert parse_query("is:read").unread is False
    assert parse_query("").is_empty and parse_query("  \t ").is_empty


def test_prefixes_unknown_keys_and_odd_text() -> None:
    assert parse_query("budg*").terms == (TextTerm(Field.ANY, "budg", prefix=True),)
    assert parse_query('"quart pl"*').terms == (
        TextTerm(Field.ANY, "quart pl", phrase=True, prefix=True),
    )
    # Unknown keys, URLs and lone punctuation are text (or nothing), never errors.
    assert parse_query("re:meeting").terms == (TextTerm(Field.ANY, "re:meeting"),)
    assert parse_query("https://example.com/x").terms[0].text == "https://example.com/x"
    assert parse_query('- * ::: "" \'').terms == ()
    # An unclosed quote runs to the end, so typing never shows an error midway.
    assert parse_query('"half open').terms == (TextTerm(Field.ANY, "half open", phrase=True),)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("from:", "from: needs a value"),
        ("subject: x", "subject: needs a value"),
        ('to:""', "to: needs a value"),
        ("before:2024-13-01", "before:2024-13-01 is not a day"),
        ("after:yesterday", "is not a day"),
        ("after:2024-1-1", "is not a day"),
        ("has:pictures", "has:pictures"),
        ("is:spam", "is:spam"),
        ("x" * 3000, "too long"),
    ],
)
def test_unusable_values_raise_search_query_error(text: str, fragment: str) -> None:
    with pytest.raises(SearchQueryError) as caught:
        parse_query(text)
    assert fragment in caught.value.message
    assert isinstance(caught.value, ConfigError) and caught.value.code == "config.search_query"


def test_user_text_is_always_quoted_for_fts() -> None:
    query = parse_query('from:x" OR NEAR(a b) "a""b" col:{x} ^x')
    assert fts_expression(query) == (
        'sender : "x""" AND "OR" AND "NEAR(a" AND "b)" AND "a" AND "b" AND "col:{x}" AND "^x"'
    )
    assert fts_expression(parse_query("a\x00b\ud800c")) == '"abc"'
    assert fts_expression(SearchQuery()) is None


def _fts_connection() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    for statement in split_statements(load_migrations()[0].sql):
        connection.execute(statement)
    return connection


_FTS = _fts_connection()

_query_text = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            [
                '"',
                "*",
                ":",
                "from:",
                "to:",
                "subject:",
                "before:",
                "after:",
                "has:",
                "is:",
                " ",
                "AND",
                "OR",
                "NOT",
                "NEAR",
                "(",
                ")",
                "{",
                "}",
                "^",
                "-",
                "+",
                "a",
                "é",
                "\x00",
                "2024-01-01",
                "attachment",
                "unread",
                "\t",
                "'",
            ]
        ),
        max_size=14,
    ).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(_query_text)
def test_arbitrary_text_parses_or_fails_cleanly_and_never_breaks_fts(text: str) -> None:
    try:
        query = parse_query(text)
    except SearchQueryError:
        return
    compiled = compile_search(query, zone=UTC)
    # Runs the whole statement (MATCH included) against the real schema: an FTS5 syntax
    # error would raise sqlite3.OperationalError here.
    _FTS.execute(compiled.sql, compiled.params).fetchall()


# --- queries against a store ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[SearchRepository, dict[str, int]]]:
    with Database.open(tmp_path / "mail.sqlite3") as db:
        folders = FolderRepository(db)
        inbox = folders.upsert("work", "INBOX")
        archive = folders.upsert("home", "Archive")
        messages = MessageRepository(db)

        def add(folder: int, uid: int, day: int, **fields: object) -> None:
            moment = datetime(2024, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
            values: dict[str, object] = {"uid": uid, "internal_date": moment, "size": 100}
            values.update(fields)
            messages.insert_many(folder, [NewMessage(**values)])  # type: ignore[arg-type]

        add(inbox.id, 1, 0, subject="Quarterly budget review", from_name="Ann Lee",
            from_addr="ann@example.com", to="bob@example.org")  # fmt: skip
        add(inbox.id, 2, 10, subject="Lunch?", from_name="Bob", from_addr="bob@example.org",
            to="Ann Lee <ann@example.com>", cc="carl@example.net", has_attachment=True)  # fmt: skip
        add(inbox.id, 3, 20, subject="Café crème budget", from_addr="noreply@shop.example",
            flags=MessageFlag.SEEN | MessageFlag.FLAGGED)  # fmt: skip
        add(archive.id, 1, 30, subject="Old budget", from_addr="ann@example.com",
            flags=MessageFlag.SEEN)  # fmt: skip
        by_uid = {f"inbox{r.uid}": r.id for r in messages.window(inbox.id)}
        by_uid |= {f"archive{r.uid}": r.id for r in messages.window(archive.id)}
        messages.set_bodies(
            [
                BodyUpdate(by_uid["inbox1"], "a" * 64, "Please look at the spreadsheet zebra."),
                BodyUpdate(by_uid["inbox2"], "b" * 64, "Shall we eat at noon?", extra_text="x.pdf"),
            ]
        )
        by_uid["inbox_folder"] = inbox.id
        yield SearchRepository(db), by_uid


def _found(store: tuple[SearchRepository, dict[str, int]], text: str, **kw: object) -> list[str]:
    repository, ids = store
    names = {value: key for key, value in ids.items() if key != "inbox_folder"}
    return [names[row.id] for row in repository.search(text, zone=UTC, **kw)]  # type: ignore[arg-type]


def test_free_words_match_anywhere_newest_first(
    store: tuple[SearchRepository, dict[str, int]],
) -> None:
    assert _found(store, "budget") == ["archive1", "inbox3", "inbox1"]
    assert _found(store, "BUDGET review") == ["inbox1"]
    assert _found(store, "zebra") == ["inbox1"]  # body text
    assert _found(store, "x.pdf") == ["inbox2"]  # extra text
    assert _found(store, "cafe creme") == ["inbox3"]  # diacritics folded
    assert _found(store, "budg*") == ["archive1", "inbox3", "inbox1"]
    assert _found(store, "nothing-like-this") == []


def test_phrases_need_adjacent_words(store: tuple[SearchRepository, dict[str, int]]) -> None:
    assert _found(store, '"budget review"') == ["inbox1"]
    assert _found(store, '"review budget"') == []


def test_field_queries(store: tuple[SearchRepository, dict[str, int]]) -> None:
    assert _found(store, "from:ann@example.com") == ["archive1", "inbox1"]
    assert _found(store, 'from:"Ann Lee"') == ["inbox1"]
    assert _found(store, "to:ann@example.com") == ["inbox2"]
    assert _found(store, "to:carl") == ["inbox2"]  # Cc counts as a recipient
    assert _found(store, "subject:budget from:noreply") == ["inbox3"]
    assert _found(store, "subject:zebra") == []  # body words are not the subject


def test_dates_attachments_and_flags(store: tuple[SearchRepository, dict[str, int]]) -> None:
    assert _found(store, "after:2024-01-11") == ["archive1", "inbox3", "inbox2"]
    assert _found(store, "before:2024-01-11") == ["inbox1"]
    assert _found(store, "after:2024-01-02 before:2024-01-21") == ["inbox2"]
    assert _found(store, "budget before:2024-01-21") == ["inbox1"]
    assert _found(store, "has:attachment") == ["inbox2"]
    assert _found(store, "is:unread") == ["inbox2", "inbox1"]
    assert _found(store, "is:flagged budget") == ["inbox3"]
    assert _found(store, "") == ["archive1", "inbox3", "inbox2", "inbox1"]


def test_limit_and_scope(store: tuple[SearchRepository, dict[str, int]]) -> None:
    assert _found(store, "budget", limit=1) == ["archive1"]
    assert _found(store, "budget", account="work") == ["inbox3", "inbox1"]
    assert _found(store, "budget", folder_id=store[1]["inbox_folder"]) == ["inbox3", "inbox1"]
    repository, _ = store
    assert [r.subject for r in repository.search(parse_query("lunch"))] == ["Lunch?"]


# --- query plans ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "budget",
        "budget before:2024-01-21",
        "budg*",
        "from:ann@example.com",
        "is:unread budget",
        "is:flagged budget",
        "zebra",
        "nothing-like-this",
        "has:attachment x.pdf",
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 50])
@pytest.mark.parametrize("scope", ["all", "account", "folder"])
def test_both_plans_return_the_same_rows(
    store: tuple[SearchRepository, dict[str, int]], text: str, limit: int, scope: str
) -> None:
    repository, ids = store
    kw: dict[str, object] = {"limit": limit, "zone": UTC}
    if scope == "account":
        kw["account"] = "work"
    elif scope == "folder":
        kw["folder_id"] = ids["inbox_folder"]
    found = {
        plan: [row.id for row in repository.search(text, plan=plan, **kw)]  # type: ignore[arg-type]
        for plan in SearchPlan
    }
    assert found[SearchPlan.WALK_DATES] == found[SearchPlan.SORT_MATCHES]
    assert found[SearchPlan.SORT_MATCHES] == [
        row.id
        for row in repository.search(text, **kw)  # type: ignore[arg-type]
    ]


def test_walk_dates_plan_reads_a_date_index_without_sorting() -> None:
    for folder_id, index in ((None, "messages_all_by_date"), (7, "messages_by_date")):
        compiled = compile_search(
            parse_query("budget"), folder_id=folder_id, plan=SearchPlan.WALK_DATES
        )
        plan = " ".join(
            row[3] for row in _FTS.execute("EXPLAIN QUERY PLAN " + compiled.sql, compiled.params)
        )
        assert index in plan and "TEMP B-TREE" not in plan


def test_plan_choice_follows_the_number_of_matches(tmp_path: Path) -> None:
    # Few matches: sort them; many (past the threshold): walk the date index.
    assert walk_threshold(50, 20_000, 20_000) == 378
    assert walk_threshold(50, 20_000, 2_000) > walk_threshold(50, 20_000, 20_000)
    assert walk_threshold(0, 100, 100) == 0 and walk_threshold(50, 0, 0) == 0
    with Database.open(tmp_path / "mail.sqlite3") as db:
        folder = FolderRepository(db).upsert("work", "INBOX")
        moment = datetime(2024, 1, 1, tzinfo=UTC)
        MessageRepository(db).insert_many(
            folder.id,
            [
                NewMessage(
                    uid=uid,
                    internal_date=moment,
                    size=1,
                    subject="common rare" if uid % 40 == 0 else "common",
                )
                for uid in range(1, 201)
            ],
        )
        with db.read() as connection:
            assert choose_plan(connection, '"common"', limit=5) is SearchPlan.WALK_DATES
            assert choose_plan(connection, '"rare"', limit=5) is SearchPlan.SORT_MATCHES
            assert choose_plan(connection, '"common"', limit=5000) is SearchPlan.SORT_MATCHES
        repository = SearchRepository(db)
        for text in ("common", "rare"):
            rows = {p: [r.id for r in repository.search(text, limit=5, plan=p)] for p in SearchPlan}
            assert rows[SearchPlan.WALK_DATES] == rows[SearchPlan.SORT_MATCHES]
            assert len(rows[SearchPlan.WALK_DATES]) == 5
