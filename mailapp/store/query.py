"""The search language of the command line and the window, parsed into a typed query.

Imports: core and the stdlib only (no sqlite3), so the engine can hand the parser to the UI
for validation as the person types. search.py runs the queries.

Syntax: words and "quoted phrases" (all must match, anywhere), `word*` for a prefix,
`from:`, `to:` (To and Cc), `subject:` (each takes a word or a "phrase"), `before:YYYY-MM-DD`
(earlier than that day), `after:YYYY-MM-DD` (that day or later), `has:attachment`,
`is:unread`, `is:read`, `is:flagged`. An unknown `key:value` is searched as text, so
"re:meeting" or a URL still work. Every piece of user text reaches FTS5 inside a quoted
string, so no input can change the MATCH syntax.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from mailapp.core.errors import SearchQueryError

MAX_QUERY_LENGTH = 2000


class Field(enum.StrEnum):
    ANY = "any"
    FROM = "from"
    TO = "to"
    SUBJECT = "subject"


# FTS5 column of each field (see migration 0001: message_text).
FTS_COLUMNS = {Field.FROM: "sender", Field.TO: "recipients", Field.SUBJECT: "subject"}


@dataclass(frozen=True, slots=True)
class TextTerm:
    field: Field
    text: str
    phrase: bool = False  # written in quotes
    prefix: bool = False  # written with a trailing *


@dataclass(frozen=True, slots=True)
class SearchQuery:
    terms: tuple[TextTerm, ...] = ()
    before: date | None = None
    after: date | None = None
    has_attachment: bool = False
    unread: bool | None = None
    flagged: bool = False

    @property
    def is_empty(self) -> bool:
        return self == SearchQuery()


_KEY = re.compile(r"([A-Za-z]+):")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# NUL ends a C string inside SQLite's FTS5 parser; lone surrogates cannot be encoded.
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")
_TEXT_KEYS = {"from": Field.FROM, "to": Field.TO, "subject": Field.SUBJECT}
_OTHER_KEYS = {"before", "after", "has", "is"}


def parse_query(text: str) -> SearchQuery:
    """Parse a query string; raises SearchQueryError for a value that cannot be used."""
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(f"the search is too long (over {MAX_QUERY_LENGTH} characters)")
    text = _UNUSABLE.sub("", text)
    terms: list[TextTerm] = []
    before: date | None = None
    after: date | None = None
    has_attachment = False
    unread: bool | None = None
    flagged = False
    position, end = 0, len(text)
    while position < end:
        if text[position].isspace():
            position += 1
            continue
        key_match = _KEY.match(text, position)
        key = key_match.group(1).lower() if key_match else ""
        if key_match and (key in _TEXT_KEYS or key in _OTHER_KEYS):
            value, quoted, position = _read_value(text, key_match.end())
            if not value.strip(" \t\r\n*"):
                raise SearchQueryError(
                    f"{key}: needs a value", hint=_HINTS.get(key, 'For example from:"Ann Lee".')
                )
            if key in _TEXT_KEYS:
                terms.append(_text_term(_TEXT_KEYS[key], value, quoted))
            elif key == "before":
                day = _parse_day(key, value)
                before = day if before is None else min(before, day)
            elif key == "after":
                day = _parse_day(key, value)
                after = day if after is None else max(after, day)
            elif key == "has":
                if value.lower() not in ("attachment", "attachments"):
                    raise SearchQueryError(f"unknown has:{value}", hint=_HINTS["has"])
                has_attachment = True
            else:
                state = value.lower()
                if state == "unread":
                    unread = True
                elif state == "read":
                    unread = False
                elif state == "flagged":
                    flagged = True
                else:
                    raise SearchQueryError(f"unknown is:{value}", hint=_HINTS["is"])
            continue
        value, quoted, position = _read_value(text, position)
        # Text with no letter or digit has no searchable token ("-", "*"): FTS5 would read it
        # as an empty phrase that matches nothing, so it is left out instead.
        if any(character.isalnum() for character in value):
            terms.append(_text_term(Field.ANY, value, quoted))
    return SearchQuery(tuple(terms), before, after, has_attachment, unread, flagged)


_HINTS = {
    "before": "Write the day as YYYY-MM-DD, for example before:2024-03-31.",
    "after": "Write the day as YYYY-MM-DD, for example after:2024-01-01.",
    "has": "Use has:attachment.",
    "is": "Use is:unread, is:read or is:flagged.",
}


def _read_value(text: str, position: int) -> tuple[str, bool, int]:
    """A "quoted phrase" (an unclosed quote runs to the end) or a word up to whitespace."""
    end = len(text)
    if position < end and text[position] == '"':
        closing = text.find('"', position + 1)
        if closing < 0:
            return text[position + 1 :], True, end
        # A trailing * right after the closing quote asks for a prefix, as for words.
        stop = closing + 1
        while stop < end and text[stop] == "*":
            stop += 1
        return text[position + 1 : closing] + text[closing + 1 : stop], True, stop
    stop = position
    while stop < end and not text[stop].isspace():
        stop += 1
    return text[position:stop], False, stop


def _text_term(field: Field, value: str, quoted: bool) -> TextTerm:
    prefix = len(value.rstrip("*")) < len(value) and bool(value.rstrip("*").strip())
    return TextTerm(field, value.rstrip("*") if prefix else value, quoted, prefix)


def _parse_day(key: str, value: str) -> date:
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise SearchQueryError(f"{key}:{value} is not a day", hint=_HINTS[key])


def fts_string(text: str) -> str:
    """Text as an FTS5 string literal: the only way user text enters a MATCH expression."""
    return '"' + _UNUSABLE.sub("", text).replace('"', '""') + '"'


def fts_expression(query: SearchQuery) -> str | None:
    """The MATCH expression for the query's text terms (None when it has none)."""
    parts: list[str] = []
    for term in query.terms:
        literal = fts_string(term.text)
        if term.prefix:
            literal += " *"
        column = FTS_COLUMNS.get(term.field)
        parts.append(literal if column is None else f"{column} : {literal}")
    return " AND ".join(parts) if parts else None


def day_start(day: date, zone: tzinfo | None = None) -> int:
    """Unix time of the day's first second, in zone (default: this computer's zone)."""
    if zone is None:
        return int(datetime.combine(day, time()).astimezone().timestamp())
    return int(datetime.combine(day, time(), tzinfo=zone).timestamp())
