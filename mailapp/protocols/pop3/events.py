"""What the POP3 reader hands back as bytes arrive: greetings, status lines, body pieces.

Frozen values only. Imports: the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Continuation", "DataChunk", "EndOfData", "Event", "Greeting", "Response"]


@dataclass(frozen=True, slots=True)
class Greeting:
    """The server's first line. `apop_banner` is the "<...>" timestamp when there is one."""

    ok: bool
    text: str
    code: str | None
    apop_banner: str | None


@dataclass(frozen=True, slots=True)
class Response:
    """A +OK / -ERR status line answering `command` (its keyword, upper case).

    `text` is everything after the status word, as the server wrote it (response code
    included); `code` is the RFC 2449 response code without brackets ("SYS/TEMP"), upper
    case. `multiline` is True when a body follows (DataChunk events, then EndOfData).
    """

    command: str
    ok: bool
    text: str
    code: str | None
    multiline: bool = False


@dataclass(frozen=True, slots=True)
class Continuation:
    """A SASL challenge ("+ base64"): the client must answer before the final status."""

    command: str
    challenge: str


@dataclass(frozen=True, slots=True)
class DataChunk:
    """A piece of a multi-line body, dot-unstuffed, line endings as received.

    Pieces never carry the terminating ".": joined, they are the message (or listing) exactly.
    """

    data: bytes


@dataclass(frozen=True, slots=True)
class EndOfData:
    """The terminating "." of a multi-line body; `size` counts the unstuffed bytes."""

    command: str
    size: int


Event = Greeting | Response | Continuation | DataChunk | EndOfData
