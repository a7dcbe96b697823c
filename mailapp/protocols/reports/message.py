"""Reading a received message for report parsing: tolerant loading, a flat part list, part text.

Everything here accepts hostile input (NUL bytes, CR-only lines, broken encodings, lying
charsets, absurd nesting) and degrades to "less text" instead of raising. Python's compat32
email parser does the MIME splitting because it is fast and never strict.

Imports: the standard library only.
"""

from __future__ import annotations

import email.header
import email.utils
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser, Parser
from email.policy import compat32

# Bounds that keep the cost linear and small whatever the input.
MAX_PARTS = 500
MAX_DEPTH = 40
MAX_TEXT = 512 * 1024  # characters of one part's text that heuristics look at

# Parts that hold report fields; compat32 splits some of them into pseudo-messages.
REPORT_FIELD_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
    }
)
# Parts that carry a returned message (whole or headers only).
# message/partial: the first fragment of a returned message starts with its headers.
RETURNED_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global", "message/partial"})
RETURNED_HEADERS_TYPES = frozenset(
    {"text/rfc822-headers", "message/rfc822-headers", "message/global-headers"}
)


def normalise(raw: bytes) -> bytes:
    """Undo what breaks header parsing: a byte-order mark, NUL bytes, CR-only line ends."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\0" in raw:
        raw = raw.replace(b"\0", b"")
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return raw


def load(raw: bytes) -> Message:
    return BytesParser(policy=compat32).parsebytes(normalise(raw))


def parse_headers_text(text: str) -> Message:
    return Parser(policy=compat32).parsestr(text, headersonly=True)


@dataclass(frozen=True, slots=True)
class Part:
    message: Message
    content_type: str
    # True inside a returned/attached message: a forwarded report there is not ours.
    attached: bool

    @property
    def is_leaf(self) -> bool:
        return not isinstance(self.message.get_payload(), list)


def content_type(msg: Message) -> str:
    try:
        return msg.get_content_type()
    except (ValueError, TypeError, AttributeError, IndexError):
        return "text/plain"


def param(msg: Message, name: str) -> str | None:
    try:
        value = msg.get_param(name)
    except (ValueError, TypeError, AttributeError, IndexError, LookupError):
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return value.strip().lower() if isinstance(value, str) else None


def walk(msg: Message) -> Iterator[Part]:
    """Every part in document order, without recursion and within fixed bounds."""
    stack: list[tuple[Message, bool, int]] = [(msg, False, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        node, attached, depth = stack.pop()
        seen += 1
        ctype = content_type(node)
        yield Part(node, ctype, attached)
        if ctype in REPORT_FIELD_TYPES or depth >= MAX_DEPTH:
            continue
        payload = node.get_payload()
        if not isinstance(payload, list):
            continue
        inner = attached or ctype.startswith("message/")
        stack.extend(
            (child, inner, depth + 1) for child in reversed(payload) if isinstance(child, Message)
        )


def as_bytes(value: str) -> bytes:
    """compat32 keeps 8-bit input as surrogate escapes; this gets the original bytes back."""
    return value.encode("utf-8", "surrogateescape")


def decode_bytes(data: bytes, charset: str | None) -> str:
    if charset:
        try:
            return data.decode(charset, "replace")
        except (LookupError, ValueError, TypeError):
            pass
    return data.decode("utf-8", "replace")


def header(msg: Message, name: str) -> str | None:
    """A header as readable text: RFC 2047 decoded, raw 8-bit taken as UTF-8, unfolded."""
    raw = msg.get_all(name)
    if not raw:
        return None
    value: object = raw[0]  # a Header object when a caller set one
    return decode_header_value(value if isinstance(value, str) else str(value))


def decode_header_value(value: str) -> str:
    text = decode_bytes(as_bytes(value), "utf-8")
    if "=?" in text:
        try:
            chunks = email.header.decode_header(text)
            text = "".join(
                decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
                for chunk, charset in chunks
            )
        except (ValueError, LookupError, TypeError, AssertionError, IndexError):
            pass
    return " ".join(text.split())


def address(value: str | None) -> str | None:
    """The bare address of a From/To-like header value, lower-cased domain kept as written."""
    if not value:
        return None
    try:
        _name, addr = email.utils.parseaddr(value)
    except (ValueError, TypeError, IndexError):
        return None
    return addr or None


def _block_text(block: Message) -> str:
    lines = [f"{name}: {value}" for name, value in block.raw_items()]
    body = block.get_payload()
    text = "\n".join(lines)
    if isinstance(body, str) and body:
        text = f"{text}\n\n{body}" if text else body
    return text


def _transfer_encoding(part: Message) -> str:
    value = part.get("content-transfer-encoding")
    return str(value).strip().lower() if value else ""


def part_text(part: Message, limit: int = MAX_TEXT) -> str:
    """The decoded text of a leaf part (or of a report-fields part compat32 split up)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        # message/* subtypes arrive as pseudo-messages; put their text back together.
        raw = "\n\n".join(_block_text(b) for b in payload if isinstance(b, Message))
        data = as_bytes(raw)
        cte = _transfer_encoding(part)
        if cte in ("base64", "quoted-printable"):
            shell = Message()
            shell["Content-Transfer-Encoding"] = cte
            shell.set_payload(data.decode("ascii", "replace"))
            data = _decoded_payload(shell) or data
        return decode_bytes(data[: limit * 4], "utf-8")[:limit]
    if not isinstance(payload, str):
        return ""
    decoded = _decoded_payload(part)
    body = decoded if decoded is not None else as_bytes(payload)
    charset = None
    try:
        charset = part.get_content_charset()
    except (ValueError, TypeError, AttributeError, LookupError):
        charset = None
    if content_type(part).startswith("message/global") or content_type(part) in (
        "message/global-delivery-status",
        "message/global-disposition-notification",
    ):
        charset = "utf-8"
    return decode_bytes(body[: limit * 4], charset)[:limit]


def _decoded_payload(part: Message) -> bytes | None:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AttributeError, LookupError, IndexError):
        return None
    return data if isinstance(data, bytes) else None


def attached_headers(part: Part) -> Message | None:
    """Header block of a returned message or returned-headers part."""
    if part.content_type in RETURNED_HEADERS_TYPES:
        return parse_headers_text(part_text(part.message))
    payload = part.message.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        if _transfer_encoding(part.message) in ("base64", "quoted-printable"):
            return parse_headers_text(part_text(part.message))
        return payload[0]
    if isinstance(payload, str):
        return parse_headers_text(part_text(part.message))
    return None
