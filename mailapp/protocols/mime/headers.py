"""Writing header fields: RFC 2047 encoded words, display names, RFC 2231 parameters,
folding to CRLF lines.

We write the top-level header block ourselves instead of through email.headerregistry so
that what the user typed comes back exactly (a subject that merely looks like an encoded
word, leading spaces, a name with a comma) and so no line can pass 998 octets. Values must
already be free of CR, LF and other controls (core.draft.ensure_header_safe); the writer
refuses them again rather than trusting that.

Imports: core and the standard library.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence

from mailapp.core.draft import Mailbox, ensure_header_safe

SOFT_LIMIT = 78  # RFC 5322 "SHOULD"
HARD_LIMIT = 998  # RFC 5322 "MUST", octets without CRLF
_EW_LIMIT = 75  # RFC 2047: one encoded word
_EW_LINE_LIMIT = 76  # RFC 2047: a line holding encoded words
_EW_PREFIX_Q = "=?utf-8?q?"
_EW_PREFIX_B = "=?utf-8?b?"
_EW_OVERHEAD = len(_EW_PREFIX_Q) + 2
# Q-encoding characters safe even inside a phrase (RFC 2047 section 5 (3)).
_Q_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff]+")
_RAW_PIECE = re.compile(r"[ \t]*[^ \t]+")
_EW_TOKEN = re.compile(r"[^ \t]+[ \t]*|[ \t]+")
# Longest piece (word with its leading blanks) we emit raw; anything longer is encoded.
_MAX_RAW_PIECE = 900


def _octets(text: str) -> int:
    return len(text.encode("utf-8"))


class HeaderWriter:
    """Builds one header field as folded lines, breaking only before a blank."""

    def __init__(self, name: str) -> None:
        self._lines: list[str] = [f"{name}:"]
        self._pieces_on_line = 0

    @property
    def column(self) -> int:
        return _octets(self._lines[-1])

    def add(self, piece: str, *, limit: int = SOFT_LIMIT) -> None:
        """Append `piece`, which must start with a blank, folding before it if needed."""
        if self._pieces_on_line and self.column + _octets(piece) > limit:
            self._lines.append("")
            self._pieces_on_line = 0
        self._lines[-1] += piece
        self._pieces_on_line += 1

    def render(self) -> bytes:
        return ("\r\n".join(self._lines) + "\r\n").encode("utf-8")


def _q_encode(data: bytes) -> str:
    out: list[str] = []
    for byte in data:
        if byte in _Q_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("_")
        else:
            out.append(f"={byte:02X}")
    return "".join(out)


def _q_len_byte(byte: int) -> int:
    return 1 if byte in _Q_SAFE or byte == 0x20 else 3


def encoded_words(text: str, first_room: int) -> list[str]:
    """`text` as UTF-8 encoded words of whole characters; the first fits in `first_room`
    characters (when that leaves space for at least a few), the others in 75.

    Words are broken after a blank where possible: RFC 2047 decoders drop the blank between
    two encoded words, but some (Python's phrase parser among them) keep it as a space, and
    a break after a blank then only doubles a space instead of splitting a word.
    """
    raw = text.encode("utf-8")
    use_q = sum(_q_len_byte(b) for b in raw) <= len(raw) * 4 // 3 + 4
    words: list[str] = []
    limit = first_room if first_room >= _EW_OVERHEAD + 12 else _EW_LIMIT
    chunk: list[str] = []
    q_cost = 0
    n_bytes = 0

    def fits(extra_q: int, extra_bytes: int) -> bool:
        cost = q_cost + extra_q if use_q else 4 * ((n_bytes + extra_bytes + 2) // 3)
        return cost + _EW_OVERHEAD <= limit

    def flush() -> None:
        nonlocal chunk, q_cost, n_bytes, limit
        data = "".join(chunk).encode("utf-8")
        if use_q:
            words.append(f"{_EW_PREFIX_Q}{_q_encode(data)}?=")
        else:
            words.append(f"{_EW_PREFIX_B}{base64.b64encode(data).decode('ascii')}?=")
        chunk, q_cost, n_bytes, limit = [], 0, 0, _EW_LIMIT

    for token in _EW_TOKEN.findall(text):
        token_bytes = token.encode("utf-8")
        token_q = sum(_q_len_byte(b) for b in token_bytes)
        if chunk and not fits(token_q, len(token_bytes)):
            flush()
        if fits(token_q, len(token_bytes)):
            chunk.append(token)
            q_cost += token_q
            n_bytes += len(token_bytes)
            continue
        for char in token:  # a word longer than one encoded word
            char_bytes = char.encode("utf-8")
            char_q = sum(_q_len_byte(b) for b in char_bytes)
            if chunk and not fits(char_q, len(char_bytes)):
                flush()
            chunk.append(char)
            q_cost += char_q
            n_bytes += len(char_bytes)
    if chunk or not words:
        flush()
    return words


def _needs_encoding_unstructured(text: str, utf8: bool) -> bool:
    if not text:
        return False
    if text != text.strip(" \t") or "=?" in text:
        return True
    if not utf8 and not all(" " <= ch <= "~" or ch == "\t" for ch in text):
        return True
    return any(_octets(piece) > _MAX_RAW_PIECE for piece in _RAW_PIECE.findall(text))


def unstructured(name: str, value: str, *, utf8: bool) -> bytes:
    """An unstructured field (Subject, User-Agent, extra headers) that unfolds to `value`."""
    ensure_header_safe(value, f"{name} header")
    writer = HeaderWriter(name)
    if not _needs_encoding_unstructured(value, utf8):
        pieces = _RAW_PIECE.findall(value)
        for index, piece in enumerate(pieces):
            writer.add(" " + piece if index == 0 else piece, limit=SOFT_LIMIT)
        return writer.render()
    for word in encoded_words(value, _EW_LINE_LIMIT - writer.column - 1):
        writer.add(" " + word, limit=_EW_LINE_LIMIT)
    return writer.render()


def _phrase_pieces(name: str, column: int, utf8: bool) -> list[str]:
    """A display name as pieces, each starting with a blank, that unfold and parse back
    as `name`: atoms, else one quoted-string folded at its own blanks, else encoded words."""
    if "=?" not in name:  # would be decoded as an encoded word even inside quotes
        words = name.split(" ")
        if (utf8 or name.isascii()) and all(_ATOM.fullmatch(w) for w in words):
            return [" " + word for word in words]
        printable = "\t" not in name and (utf8 or all(" " <= ch <= "~" for ch in name))
        if printable:
            escaped = name.replace("\\", "\\\\").replace('"', '\\"')
            pieces = _RAW_PIECE.findall(f'"{escaped}"')
            if all(_octets(piece) <= _MAX_RAW_PIECE for piece in pieces):
                pieces[0] = " " + pieces[0]
                return pieces
    return [" " + word for word in encoded_words(name, _EW_LINE_LIMIT - column - 1)]


def mailbox_wire_address(mailbox: Mailbox, utf8: bool) -> str:
    """The addr-spec written in headers and used in the envelope."""
    if utf8:
        return mailbox.smtp_address
    if mailbox.needs_smtputf8:
        raise ValueError("a non-ASCII local part needs an SMTPUTF8 message")
    return f"{mailbox.local_part}@{mailbox.ascii_domain}"


def address_list(name: str, mailboxes: Sequence[Mailbox], *, utf8: bool) -> bytes:
    """To, Cc, From, Reply-To, Disposition-Notification-To: `Name <a@b>, ...`."""
    writer = HeaderWriter(name)
    for index, mailbox in enumerate(mailboxes):
        ensure_header_safe(mailbox.name, "display name")
        tail = "," if index < len(mailboxes) - 1 else ""
        addr = mailbox_wire_address(mailbox, utf8)
        if mailbox.name:
            pieces = _phrase_pieces(mailbox.name, writer.column, utf8)
            limit = _EW_LINE_LIMIT if pieces[0].startswith(" =?") else SOFT_LIMIT
            for piece in pieces:
                writer.add(piece, limit=limit)
            writer.add(f" <{addr}>{tail}")
        else:
            writer.add(f" {addr}{tail}")
    return writer.render()


def id_list(name: str, ids: Iterable[str]) -> bytes:
    """Message-ID, In-Reply-To, References: `<a@b> <c@d>`, folded between ids."""
    writer = HeaderWriter(name)
    for msg_id in ids:
        ensure_header_safe(msg_id, f"{name} id")
        writer.add(" " + msg_id)
    return writer.render()


def plain(name: str, value: str) -> bytes:
    """A short ASCII value we produced ourselves (Date, MIME-Version)."""
    ensure_header_safe(value, f"{name} header")
    if not value.isascii() or len(name) + len(value) + 2 > HARD_LIMIT:
        raise ValueError(f"{name} value is not a short ASCII text")
    return f"{name}: {value}\r\n".encode("ascii")


# RFC 2231 attribute-char: what may stay unescaped in an extended parameter value.
_ATTRIBUTE_CHARS = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~"
)
_SECTION = 60  # encoded characters per RFC 2231 section, so each fits one line


def _percent_encode(value: str) -> str:
    return "".join(chr(b) if b in _ATTRIBUTE_CHARS else f"%{b:02X}" for b in value.encode("utf-8"))


def _parameter_pieces(name: str, value: str) -> list[str]:
    """`name="value"`, or RFC 2231 `name*=utf-8''...` (in sections when long) for values
    that are not plain ASCII or that a reader might take for an encoded word."""
    ensure_header_safe(value, f"{name} parameter")
    plain_ok = all(" " <= ch <= "~" for ch in value) and "=?" not in value
    if plain_ok and len(value) <= SOFT_LIMIT - len(name) - 6:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return [f' {name}="{escaped}"']
    encoded = _percent_encode(value)
    if len(encoded) <= _SECTION:
        return [f" {name}*=utf-8''{encoded}"]
    sections: list[str] = []
    start = 0
    while start < len(encoded):
        end = min(start + _SECTION, len(encoded))
        # never cut a %XX escape in two
        percent = encoded.rfind("%", max(start, end - 2), end)
        if percent != -1 and end < len(encoded):
            end = percent
        sections.append(encoded[start:end])
        start = end
    return [
        f" {name}*{index}*=utf-8''{part}" if index == 0 else f" {name}*{index}*={part}"
        for index, part in enumerate(sections)
    ]


def parameterized(name: str, value: str, params: Sequence[tuple[str, str]]) -> bytes:
    """Content-Type / Content-Disposition: `value; a="b"; c*=utf-8''...`."""
    ensure_header_safe(value, f"{name} header")
    writer = HeaderWriter(name)
    pieces = [" " + value]
    for param, param_value in params:
        pieces.extend(_parameter_pieces(param, param_value))
    for index, piece in enumerate(pieces):
        writer.add(piece + (";" if index < len(pieces) - 1 else ""))
    return writer.render()
