"""Splitting a server's byte stream into whole IMAP responses (a line plus its literals).

Imports: the standard library and mailapp.core only.

Sans-IO: the transport feeds whatever chunks the socket gave; `feed` returns every response
that became complete. Linear time: each byte is searched once (the scan resumes where it
stopped), and a literal's bytes are never searched at all, only counted. Limits are checked
before anything is kept: a claim of a 2 GB literal raises LimitExceededError at once.
"""

from __future__ import annotations

import re

from mailapp.core.errors import LimitExceededError, ParseError

__all__ = [
    "DEFAULT_MAX_LINE_LENGTH",
    "DEFAULT_MAX_LITERAL_SIZE",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "ResponseFramer",
    "find_literal",
]

MiB = 1024 * 1024
DEFAULT_MAX_LITERAL_SIZE = 64 * MiB
# A `* SEARCH` of a million UIDs is ~8 MB on one line; anything far beyond is an attack.
DEFAULT_MAX_LINE_LENGTH = 16 * MiB
DEFAULT_MAX_RESPONSE_SIZE = 256 * MiB

# Status responses carry human text, never literals (RFC 3501 resp-text), so a "{5}" ending
# their line is text; the same goes for continuation requests.
_NO_LITERAL_HEAD = re.compile(rb"(?:\+|[^ \r\n]+ (?i:OK|NO|BAD|BYE|PREAUTH)(?: |\r))")
_BRACE_OPEN = 0x7B
_BRACE_CLOSE = 0x7D
_TILDE = 0x7E
_PLUS = 0x2B
# More digits than this cannot be a size we accept; also keeps int() away from huge strings.
_MAX_SIZE_DIGITS = 18


def find_literal(
    buf: bytes | bytearray, line_start: int, eol: int, response_start: int
) -> tuple[int, int] | None:
    """If the line buf[line_start:eol] ends with a literal marker ({n}, {n+} or ~{n}), return
    (index where the marker starts, n). `response_start` is where the whole response began."""
    if eol - line_start < 3 or buf[eol - 1] != _BRACE_CLOSE:
        return None
    brace = buf.rfind(b"{", line_start, eol - 1)
    if brace < 0:
        return None
    digits_end = eol - 1
    if buf[digits_end - 1] == _PLUS:
        digits_end -= 1
    digits = bytes(buf[brace + 1 : digits_end])
    if not digits or not digits.isdigit():
        return None
    if line_start == response_start and _NO_LITERAL_HEAD.match(buf, response_start, eol + 1):
        return None
    size = int(digits) if len(digits) <= _MAX_SIZE_DIGITS else 10**_MAX_SIZE_DIGITS
    marker = brace - 1 if brace > line_start and buf[brace - 1] == _TILDE else brace
    return marker, size


def _describe(size: int) -> str:
    if size >= 10**_MAX_SIZE_DIGITS:
        return "an absurd number of"
    return f"{size:,}"


class ResponseFramer:
    """Cuts a byte stream into complete responses; keep one per connection.

    After a LimitExceededError or ParseError the stream cannot be trusted any more: close the
    connection."""

    def __init__(
        self,
        *,
        max_literal_size: int = DEFAULT_MAX_LITERAL_SIZE,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self.max_literal_size = max_literal_size
        self.max_line_length = max_line_length
        self.max_response_size = max_response_size
        self._buf = bytearray()
        self._start = 0  # where the response being assembled begins
        self._line_start = 0  # where its current line begins (after the last literal)
        self._scan = 0  # where the search for CRLF resumes
        self._literal_end = -1  # while a literal is outstanding: the index where it ends

    @property
    def buffered(self) -> int:
        """Bytes held that are not yet part of a complete response."""
        return len(self._buf) - self._start

    @property
    def literal_remaining(self) -> int:
        """Bytes still missing from the literal being received (0 if none)."""
        if self._literal_end < 0:
            return 0
        return max(0, self._literal_end - len(self._buf))

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add bytes from the server; return the responses they completed, in order."""
        buf = self._buf
        buf += data
        out: list[bytes] = []
        start = self._start
        line_start = self._line_start
        scan = self._scan
        literal_end = self._literal_end
        try:
            while True:
                if literal_end >= 0:
                    if len(buf) < literal_end:
                        break
                    line_start = scan = literal_end
                    literal_end = -1
                eol = buf.find(b"\r\n", scan)
                if eol < 0:
                    if len(buf) - line_start > self.max_line_length:
                        raise LimitExceededError(
                            f"The server sent a line longer than {self.max_line_length:,} bytes."
                        )
                    # A CR at the very end may be half of the CRLF: look at it again.
                    scan = max(line_start, len(buf) - 1)
                    break
                if eol - line_start > self.max_line_length:
                    raise LimitExceededError(
                        f"The server sent a line longer than {self.max_line_length:,} bytes."
                    )
                literal = find_literal(buf, line_start, eol, start)
                if literal is not None:
                    size = literal[1]
                    if size > self.max_literal_size:
                        raise LimitExceededError(
                            f"The server announced a literal of {_describe(size)} bytes; "
                            f"the limit is {self.max_literal_size:,}.",
                            hint="The connection was closed without reading it.",
                        )
                    literal_end = eol + 2 + size
                    if literal_end - start > self.max_response_size:
                        raise LimitExceededError(
                            f"The server sent a response larger than "
                            f"{self.max_response_size:,} bytes."
                        )
                    continue
                end = eol + 2
                out.append(bytes(buf[start:end]))
                start = line_start = scan = end
        finally:
            if start:
                # Dropping from the front of a bytearray is cheap in CPython (it moves a pointer).
                del buf[:start]
                line_start -= start
                scan -= start
                if literal_end >= 0:
                    literal_end -= start
                start = 0
            self._start = start
            self._line_start = line_start
            self._scan = scan
            self._literal_end = literal_end
        return out

    def close(self) -> None:
        """Call at end of stream: raises ParseError if a response was cut off."""
        if self.buffered:
            raise ParseError(
                f"The connection ended in the middle of a response ({self.buffered:,} bytes)."
            )
