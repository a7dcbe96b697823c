"""Runs parsed search queries against the store: FTS5 for text, SQL for dates and flags.

Imports: core, store.db, store.messages, store.query and the stdlib.

Two plans return the same rows, newest first; which one is cheaper depends on how many
messages the text matches:
  SORT_MATCHES  join every FTS5 match to its row and sort them all by date, then LIMIT: cheap
                for a few hundred matches, slow for thousands (each row is carried through
                the sort);
  WALK_DATES    walk a date index newest first and keep the rows whose id is among the FTS5
                matches, stopping at LIMIT: cheap when matches are common (the walk is short),
                slow for a rare word (the walk covers the whole index).
SearchRepository probes the match count (a LIMITed count, so a common word costs no more than
a rare one) and picks the plan; see `walk_threshold`.

A query with `from:` terms goes a third way when it can (migration 0008):
  SENDER_SEEK   the `from:` terms are matched against the distinct sender texts (a small
                full-text index, sender_words), then each matching text's newest rows are read
                from messages_by_sender_text, which holds that text by date, and merged; the
                other conditions filter those rows. Used when at most `MAX_SENDER_TEXTS`
                texts match. Same rows: a message's sender column in message_text is exactly
                its sender text, tokenised the same way.
"""

from __future__ import annotations

import enum
import math
import sqlite3
from dataclasses import dataclass
from datetime import tzinfo

from mailapp.store.db import Database
from mailapp.store.messages import COLUMNS, MessageRow, row_from_values
from mailapp.store.query import (
    Field,
    SearchQuery,
    day_start,
    fts_expression,
    fts_string,
    parse_query,
)

DEFAULT_LIMIT = 50
# More matching sender texts than this ("from:example") and SENDER_SEEK would read too many
# index ranges; the FTS5 plans take over.
MAX_SENDER_TEXTS = 16
# Relative costs measured on a 20k store: sorting one FTS5 match (row lookup + sort) costs
# about seven times one step of a date-index walk (an index entry and a set lookup).
_SORT_COST_PER_STEP = 7.0


class SearchPlan(enum.StrEnum):
    SORT_MATCHES = "sort_matches"
    WALK_DATES = "walk_dates"
    SENDER_SEEK = "sender_seek"


@dataclass(frozen=True, slots=True)
class CompiledSearch:
    sql: str
    params: tuple[object, ...]


def _filters(
    query: SearchQuery, account: str | None, folder_id: int | None, zone: tzinfo | None
) -> tuple[list[str], list[object]]:
    """WHERE conditions (on alias m) for everything of the query but its text terms."""
    where: list[str] = []
    params: list[object] = []
    if query.after is not None:
        where.append("m.date >= ?")
        params.append(day_start(query.after, zone))
    if query.before is not None:
        where.append("m.date < ?")
        params.append(day_start(query.before, zone))
    if query.has_attachment:
        where.append("m.has_attachment = 1")
    if query.unread is not None:
        where.append("(m.flags & 1) = 0" if query.unread else "(m.flags & 1) = 1")
    if query.flagged:
        where.append("(m.flags & 4) = 4")
    if folder_id is not None:
        where.append("m.folder_id = ?")
        params.append(folder_id)
    if account is not None:
        where.append("m.folder_id IN (SELECT id FROM folders WHERE account = ?)")
        params.append(account)
    return where, params


def _finish(source: str, where: list[str], params: list[object], limit: int) -> CompiledSearch:
    sql = f"SELECT {COLUMNS} FROM {source}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY m.date DESC, m.id DESC LIMIT ?"
    return CompiledSearch(sql, (*params, max(0, limit)))


def compile_search(
    query: SearchQuery,
    *,
    limit: int = DEFAULT_LIMIT,
    account: str | None = None,
    folder_id: int | None = None,
    zone: tzinfo | None = None,
    plan: SearchPlan = SearchPlan.SORT_MATCHES,
) -> CompiledSearch:
    """SQL returning the newest `limit` matching rows (COLUMNS of messages, alias m).

    Both FTS5 plans return the same rows; `plan` only changes how SQLite gets them (it has no
    effect on a query without text). SENDER_SEEK is compiled per sender text
    (compile_sender_search); here it means SORT_MATCHES."""
    where: list[str] = []
    params: list[object] = []
    expression = fts_expression(query)
    if expression is None:
        source = "messages m"
    elif plan is SearchPlan.WALK_DATES:
        # The index delivers rows in (date, id) order, so LIMIT stops the walk early; the
        # folder's own date index when the search is one folder's.
        index = "messages_by_date" if folder_id is not None else "messages_all_by_date"
        source = f"messages m INDEXED BY {index}"
        where.append("m.id IN (SELECT rowid FROM message_text WHERE message_text MATCH ?)")
        params.append(expression)
    else:
        # FTS5 finds the matching rowids first; messages rows are then looked up by id.
        source = "message_text JOIN messages m ON m.id = message_text.rowid"
        where.append("message_text MATCH ?")
        params.append(expression)
    more_where, more_params = _filters(query, account, folder_id, zone)
    return _finish(source, where + more_where, params + more_params, limit)


def sender_expression(query: SearchQuery) -> str | None:
    """The MATCH expression of the query's `from:` terms for sender_words (None without any)."""
    parts = [
        fts_string(term.text) + (" *" if term.prefix else "")
        for term in query.terms
        if term.field is Field.FROM
    ]
    return " AND ".join(parts) if parts else None


def compile_sender_search(
    query: SearchQuery,
    sender_text: str,
    *,
    limit: int = DEFAULT_LIMIT,
    account: str | None = None,
    folder_id: int | None = None,
    zone: tzinfo | None = None,
) -> CompiledSearch:
    """SQL returning the newest `limit` rows of one sender text (a sender_texts.text that
    matches the query's `from:` terms) that match the rest of the query: a backward walk of
    messages_by_sender_text within that text."""
    rest = SearchQuery(tuple(t for t in query.terms if t.field is not Field.FROM))
    where = ["m.from_name || ' ' || m.from_addr = ?"]
    params: list[object] = [sender_text]
    expression = fts_expression(rest)
    if expression is not None:
        where.append("m.id IN (SELECT rowid FROM message_text WHERE message_text MATCH ?)")
        params.append(expression)
    more_where, more_params = _filters(query, account, folder_id, zone)
    source = "messages m INDEXED BY messages_by_sender_text"
    return _finish(source, where + more_where, params + more_params, limit)


def walk_threshold(limit: int, total: int, in_scope: int) -> int:
    """The number of FTS5 matches from which WALK_DATES is the cheaper plan.

    Sorting costs about `_SORT_COST_PER_STEP` per match; the walk visits about
    limit * total / matches-in-scope index entries before it has `limit` rows (matches are
    spread evenly over time, as far as the plan can know), and matches-in-scope is about
    matches * in_scope / total. Equal costs give the square root below."""
    if limit <= 0 or total <= 0 or in_scope <= 0:
        return 0
    walk_rows = limit * total * (total / in_scope)
    return max(1, math.ceil(math.sqrt(walk_rows / _SORT_COST_PER_STEP)))


def choose_plan(
    connection: sqlite3.Connection,
    expression: str,
    *,
    limit: int,
    account: str | None = None,
    folder_id: int | None = None,
) -> SearchPlan:
    """The cheaper plan for this MATCH expression (see the module docstring)."""
    if folder_id is not None:
        sql = "SELECT coalesce(sum(total), 0), coalesce(sum(total) FILTER (WHERE id = ?), 0)"
        scope: tuple[object, ...] = (folder_id,)
    elif account is not None:
        sql = "SELECT coalesce(sum(total), 0), coalesce(sum(total) FILTER (WHERE account = ?), 0)"
        scope = (account,)
    else:
        sql = "SELECT coalesce(sum(total), 0), coalesce(sum(total), 0)"
        scope = ()
    total, in_scope = connection.execute(sql + " FROM folders", scope).fetchone()
    if folder_id is not None:
        # The folder's own date index holds only its rows: the walk is as short as when
        # the whole store is searched.
        in_scope = total
    threshold = walk_threshold(limit, total, in_scope)
    if threshold <= 0:
        return SearchPlan.SORT_MATCHES
    # Counting stops at the threshold, so a common word costs no more to probe than a rare one.
    (matches,) = connection.execute(
        "SELECT count(*) FROM (SELECT 1 FROM message_text WHERE message_text MATCH ? LIMIT ?)",
        (expression, threshold),
    ).fetchone()
    return SearchPlan.WALK_DATES if matches >= threshold else SearchPlan.SORT_MATCHES


def matching_sender_texts(
    connection: sqlite3.Connection, expression: str, *, most: int
) -> list[str]:
    """The distinct sender texts matching a sender_words MATCH expression; at most `most`
    (more are cut off: the caller asks for one more than it can use)."""
    return [
        text
        for (text,) in connection.execute(
            "SELECT text FROM sender_texts WHERE id IN"
            " (SELECT rowid FROM sender_words WHERE sender_words MATCH ?) LIMIT ?",
            (expression, most),
        )
    ]


class SearchRepository:
    def __init__(self, database: Database) -> None:
        self._db = database
        self._has_sender_index: bool | None = None

    def search(
        self,
        query: str | SearchQuery,
        *,
        limit: int = DEFAULT_LIMIT,
        account: str | None = None,
        folder_id: int | None = None,
        zone: tzinfo | None = None,
        plan: SearchPlan | None = None,
    ) -> list[MessageRow]:
        """The newest `limit` messages matching the query (a string is parsed first).

        `plan` forces one plan (tests compare them; SENDER_SEEK falls back to the others when
        it cannot be used); by default the cheapest is chosen."""
        parsed = parse_query(query) if isinstance(query, str) else query
        expression = fts_expression(parsed)
        with self._db.read() as connection:
            if plan in (None, SearchPlan.SENDER_SEEK):
                found = self._sender_seek(
                    connection, parsed, limit=limit, account=account, folder_id=folder_id, zone=zone
                )
                if found is not None:
                    return found
                plan = None
            if plan is None:
                plan = SearchPlan.SORT_MATCHES
                if expression is not None:
                    plan = choose_plan(
                        connection, expression, limit=limit, account=account, folder_id=folder_id
                    )
            compiled = compile_search(
                parsed, limit=limit, account=account, folder_id=folder_id, zone=zone, plan=plan
            )
            rows = connection.execute(compiled.sql, compiled.params)
            return [row_from_values(values) for values in rows]

    def _sender_seek(
        self,
        connection: sqlite3.Connection,
        query: SearchQuery,
        *,
        limit: int = DEFAULT_LIMIT,
        account: str | None = None,
        folder_id: int | None = None,
        zone: tzinfo | None = None,
    ) -> list[MessageRow] | None:
        """The rows by SENDER_SEEK, or None when it does not apply (no `from:` term, too
        many matching sender texts, or a store without the sender index)."""
        expression = sender_expression(query)
        if expression is None or not self._sender_index(connection):
            return None
        texts = matching_sender_texts(connection, expression, most=MAX_SENDER_TEXTS + 1)
        if len(texts) > MAX_SENDER_TEXTS:
            return None
        rows: list[MessageRow] = []
        for text in texts:
            compiled = compile_sender_search(
                query, text, limit=limit, account=account, folder_id=folder_id, zone=zone
            )
            rows += (row_from_values(v) for v in connection.execute(compiled.sql, compiled.params))
        if len(texts) > 1:
            rows.sort(key=lambda row: (row.date, row.id), reverse=True)
        return rows[: max(0, limit)]

    def _sender_index(self, connection: sqlite3.Connection) -> bool:
        if self._has_sender_index is None:
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                ("messages_by_sender_text",),
            ).fetchone()
            self._has_sender_index = found is not None
        return self._has_sender_index
