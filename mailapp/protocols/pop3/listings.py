"""STAT, LIST and UIDL answers (RFC 1939), checked strictly before anyone relies on them.

A unique id is 1 to 70 characters in 0x21..0x7E; message numbers are positive decimals.
Duplicates are refused: two messages sharing an id could make a "delete what we have"
policy delete the copy we never downloaded. Imports: the standard library and mailapp.core.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailapp.core.errors import ParseError

__all__ = [
    "MAX_UID_LENGTH",
    "MaildropStat",
    "is_valid_uid",
    "parse_scan_line",
    "parse_scan_listing",
    "parse_stat",
    "parse_uidl_line",
    "parse_uidl_listing",
]

MAX_UID_LENGTH = 70
_MAX_DIGITS = 19  # beyond any real count or size; keeps int() on hostile input cheap


@dataclass(frozen=True, slots=True)
class MaildropStat:
    messages: int
    octets: int


def is_valid_uid(uid: str) -> bool:
    return 0 < len(uid) <= MAX_UID_LENGTH and all("\x21" <= ch <= "\x7e" for ch in uid)


def _decimal(word: str, what: str, *, positive: bool) -> int:
    if not (word.isascii() and word.isdigit()) or len(word) > _MAX_DIGITS:
        raise ParseError(f"{what} {word[:40]!r} is not a decimal number.")
    value = int(word)
    if positive and value == 0:
        raise ParseError(f"{what} 0 is not a message number (they start at 1).")
    return value


def _words(line: str | bytes, what: str) -> list[str]:
    if isinstance(line, bytes):
        try:
            line = line.decode("ascii")
        except UnicodeDecodeError as exc:
            raise ParseError(f"{what}: a line holds non-ASCII bytes: {line[:60]!r}") from exc
    # Split on the SP the RFC prescribes only: a TAB or other control is not a separator.
    return [word for word in line.strip("\r\n").split(" ") if word]


def parse_stat(text: str) -> MaildropStat:
    """The text after "+OK" of a STAT answer: "count octets" (more words are ignored)."""
    words = _words(text, "STAT")
    if len(words) < 2:
        raise ParseError(f"STAT answered {text[:60]!r}, not a count and a size.")
    return MaildropStat(
        _decimal(words[0], "STAT count", positive=False),
        _decimal(words[1], "STAT size", positive=False),
    )


def parse_scan_line(line: str | bytes) -> tuple[int, int]:
    """One scan listing "n size" (LIST n's text, or a line of LIST's body)."""
    words = _words(line, "LIST")
    if len(words) < 2:
        raise ParseError(f"LIST gave {line[:60]!r}, not a message number and a size.")
    # RFC 1939 allows (and discourages) more information after the size: ignored.
    return (
        _decimal(words[0], "LIST message number", positive=True),
        _decimal(words[1], "LIST size", positive=False),
    )


def parse_uidl_line(line: str | bytes) -> tuple[int, str]:
    """One unique-id listing "n uid" (UIDL n's text, or a line of UIDL's body)."""
    words = _words(line, "UIDL")
    if len(words) != 2:
        raise ParseError(f"UIDL gave {line[:80]!r}, not a message number and one id.")
    number = _decimal(words[0], "UIDL message number", positive=True)
    uid = words[1]
    if not is_valid_uid(uid):
        raise ParseError(
            f"UIDL id {uid[:80]!r} of message {number} breaks RFC 1939 "
            f"(1 to {MAX_UID_LENGTH} characters from 0x21 to 0x7E)."
        )
    return number, uid


def _lines(body: bytes) -> list[bytes]:
    return [line for line in body.split(b"\n") if line.strip(b"\r")]


def parse_scan_listing(body: bytes) -> dict[int, int]:
    """LIST's body: message number -> size in octets."""
    sizes: dict[int, int] = {}
    for line in _lines(body):
        number, size = parse_scan_line(line)
        if number in sizes:
            raise ParseError(f"LIST named message {number} twice.")
        sizes[number] = size
    return sizes


def parse_uidl_listing(body: bytes) -> dict[int, str]:
    """UIDL's body: message number -> unique id. Duplicate numbers or ids are refused."""
    uids: dict[int, str] = {}
    owners: dict[str, int] = {}
    for line in _lines(body):
        number, uid = parse_uidl_line(line)
        if number in uids:
            raise ParseError(f"UIDL named message {number} twice.")
        if uid in owners:
            raise ParseError(
                f"UIDL gave messages {owners[uid]} and {number} the same id {uid!r}; "
                "unique ids must be unique."
            )
        uids[number] = uid
        owners[uid] = number
    return uids
