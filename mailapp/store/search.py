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
"""

from __future__ import annotations

import enum
import math
import sqlite3
from dataclasses import dataclass
from datetime import tzinfo

from mailapp.store.db import Database
from mailapp.store.messages import COLUMNS, MessageRow, row_from_values
from mailapp.store.query import SearchQuery, day_start, fts_expression, parse_query

DEFAULT_LIMIT = 50
# Relative costs measured on a 20k store: sorting one FTS5 match (row lookup + sort) costs
# about seven times one step of a date-index walk (an index entry and a set lookup).
_SORT_COST_PER_STEP = 7.0


class SearchPlan(enum.StrEnum):
    SORT_MATCHES = "sort_matches"
    WALK_DATES = "walk_dates"


@dataclass(frozen=True, slots=True)
class CompiledSearch:
    sql: str
    params: tuple[object, ...]


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

    Both plans return the same rows; `plan` only changes how SQLite gets them (it has no
    effect on a query without text)."""
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
    sql = f"SELECT {COLUMNS} FROM {source}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY m.date DESC, m.id DESC LIMIT ?"
    params.append(max(0, limit))
    return CompiledSearch(sql, tuple(params))


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


class SearchRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

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

        `plan` forces one plan (tests compare them); by default the cheaper is chosen."""
        parsed = parse_query(query) if isinstance(query, str) else query
        expression = fts_expression(parsed)
        with self._db.read() as connection:
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
