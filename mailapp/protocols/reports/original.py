"""Finding the Message-ID of the message a report is about.

In order of trust: the returned message (message/rfc822, message/global), the returned
headers (text/rfc822-headers), then headers a prose bounce quotes inline.

Imports: the standard library and sibling report modules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailapp.protocols.reports import bounce, fields, message

_MSGID_LINE_RE = re.compile(r"^[ \t>]*message-id[ \t]*:[ \t]*(.*)$", re.IGNORECASE)


def from_parts(parts: Sequence[message.Part]) -> str | None:
    for wanted in (message.RETURNED_MESSAGE_TYPES, message.RETURNED_HEADERS_TYPES):
        for part in parts:
            if part.attached or part.content_type not in wanted:
                continue
            headers = message.attached_headers(part)
            found = fields.message_id(message.header(headers, "message-id")) if headers else None
            if not found:
                # Header lines folded without indentation end compat32's header block early.
                quoted = _ids_in(message.part_text(part.message).split("\n"))
                found = quoted[0] if quoted else None
            if found:
                return found
    return None


def _ids_in(lines: Sequence[str]) -> list[str]:
    found: list[str] = []
    for index, line in enumerate(lines):
        match = _MSGID_LINE_RE.match(line)
        if not match:
            continue
        value = match.group(1).strip()
        if not value and index + 1 < len(lines):
            value = lines[index + 1].strip()
        mid = fields.message_id(value)
        if mid:
            found.append(mid)
    return found


def from_text(texts: Sequence[str]) -> str | None:
    """First Message-ID after a 'copy of the message' marker, else the last one quoted."""
    last: str | None = None
    for text in texts:
        lines = bounce.unquote(text).split("\n")
        marker = next((i for i, line in enumerate(lines) if bounce.is_marker(line)), None)
        if marker is not None:
            after = _ids_in(lines[marker + 1 :])
            if after:
                return after[0]
        every = _ids_in(lines)
        if every:
            last = every[-1]
    return last
