"""Runs parsed search queries against the store: FTS5 for text, SQL for dates and flags.

Imports: core, store.db, store.messages, store.query and the stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from mailapp.store.db import Database
from mailapp.store.messages import COLUMNS, MessageRow, row_from_values
from mailapp.store.query import SearchQuery, day_start, fts_expression, parse_query

DEFAULT_LIMIT = 50


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
) -> CompiledSearch:
    """SQL returning the newest `limit` matching rows (COLUMNS of messages, alias m)."""
    where: list[str] = []
    params: list[object] = []
    expression = fts_expression(query)
    if expression is None:
        source = "messages m"
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
    ) -> list[MessageRow]:
        """The newest `limit` messages matching the query (a string is parsed first)."""
        parsed = parse_query(query) if isinstance(query, str) else query
        compiled = compile_search(
            parsed, limit=limit, account=account, folder_id=folder_id, zone=zone
        )
        with self._db.read() as connection:
            rows = connection.execute(compiled.sql, compiled.params)
            return [row_from_values(values) for values in rows]
