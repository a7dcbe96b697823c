"""Reading received messages: header fields for display, the body text and HTML, the part
tree, attachments, and a fast text extract for the search index.

Python's email parser (compat32 policy) splits the MIME structure because it is the fastest
one in the standard library and never strict; everything it leaves undecoded (header fields,
parameters, transfer encodings, charsets) is decoded here, tolerantly. Hostile input (NUL
bytes, CR-only lines, missing boundaries, lying or unknown charsets, broken base64, absurd
nesting) degrades to "less structure" plus a sentence in `defects`; `parse_message` and
`index_text` never raise.

Part numbers follow IMAP (RFC 3501 section 6.4.5): a single-part message's body is "1", the
parts of a multipart are "1", "2", ... and "2.1" inside them; a message/rfc822 part "3"
holds the parts "3.1", "3.2" of the message it carries (the multipart inside it shares the
number "3", as in IMAP). So a part can also be fetched on its own with BODY[<part>].

Imports: the standard library, core, and protocols.mime.filenames.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import html as html_lib
import itertools
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email import errors as email_errors
from email import utils as email_utils
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from enum import StrEnum
from io import BytesIO
from types import MappingProxyType
from typing import Any

from mailapp.core.errors import MimePartNotFoundError
from mailapp.protocols.mime.filenames import safe_filename

# Bounds that keep the work linear and small whatever the input.
MAX_DEPTH = 32  # container nesting we walk into
MAX_PARTS = 2000  # parts we look at
MAX_CONTAINERS = 256  # multipart/message headers before we stop splitting the message at all
MAX_HEADER_CHARS = 16_384  # of one header field, for display
MAX_HEADER_FIELDS = 500  # fields listed in ParsedMessage.headers
MAX_ADDRESSES = 1000  # per address header
MAX_REFERENCES = 100
INDEX_BODY_CHARS = 64 * 1024

_FALLBACK_CHARSET = "cp1252"  # what mislabelled "latin-1"/"ascii" mail really is (WHATWG)


class Disposition(StrEnum):
    INLINE = "inline"
    ATTACHMENT = "attachment"


class PartRole(StrEnum):
    CONTAINER = "container"  # multipart/*
    BODY = "body"  # text shown as the message
    ALTERNATIVE = "alternative"  # a text version we did not pick (text/enriched beside HTML)
    ATTACHMENT = "attachment"  # listed in attachments (inline images too)
    SIGNATURE = "signature"  # the signature half of multipart/signed
    ENCRYPTION = "encryption"  # the control part of multipart/encrypted
    NESTED = "nested"  # inside an attached message/rfc822


@dataclass(frozen=True, slots=True)
class Address:
    name: str  # display name, decoded; "" when none
    addr: str  # addr-spec as written; "" for a bare group name

    def __str__(self) -> str:
        if self.name and self.addr:
            return f"{self.name} <{self.addr}>"
        return self.name or self.addr


@dataclass(frozen=True, slots=True)
class PartSummary:
    part: str  # IMAP part number; "" for the top-level multipart
    content_type: str
    depth: int
    role: PartRole
    size: int  # octets of the body as transmitted (encoded)
    charset: str | None
    filename: str | None


@dataclass(frozen=True, slots=True)
class Attachment:
    part: str  # IMAP part number, for extract_part() or BODY[<part>]
    filename: str  # as the sender named it, decoded; "" when it has no name
    safe_name: str  # a harmless local file name (never empty)
    content_type: str
    size: int  # decoded octets (an attached message: approximate)
    content_id: str | None  # without angle brackets
    disposition: Disposition
    shown_inline: bool  # referenced as cid: by the HTML body, so the reader already shows it


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    subject: str
    from_: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    disposition_notification_to: tuple[Address, ...]  # the sender asks for a read receipt
    date: datetime | None  # always timezone-aware
    message_id: str | None  # with angle brackets
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str  # the plain text body, or text made from the HTML when there is no plain one
    html: str | None  # raw HTML body; sanitize before display (mime.sanitize)
    parts: tuple[PartSummary, ...]  # every part, in order
    attachments: tuple[Attachment, ...]
    cid_map: Mapping[str, str]  # Content-ID (no brackets) -> part number
    is_encrypted: bool
    is_signed: bool
    defects: tuple[str, ...]  # what was wrong with the message, in plain words
    headers: tuple[tuple[str, str], ...]  # all top-level fields, decoded, for "show all"

    def part_for_cid(self, url: str) -> str | None:
        """The part number a `cid:` URL (or a bare Content-ID) in the HTML body refers to."""
        value = url.strip()
        if value[:4].lower() == "cid:":
            value = urllib.parse.unquote(value[4:])
        value = value.strip().strip("<>")
        found = self.cid_map.get(value)
        if found is None:
            lowered = value.lower()
            found = next((p for cid, p in self.cid_map.items() if cid.lower() == lowered), None)
        return found


@dataclass(frozen=True, slots=True)
class StoredFields:
    """The part of ParsedMessage a stored message row needs (parse_for_store)."""

    subject: str
    from_: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str  # as ParsedMessage.text
    attachment_names: tuple[str, ...]  # the filenames of the named attachments, in order
    has_attachment: bool  # an attachment that is not shown inline (cid:) in the HTML body


@dataclass(frozen=True, slots=True)
class IndexText:
    subject: str
    sender: str
    recipients: str
    body: str


# --------------------------------------------------------------------------- charsets

# Labels seen in real mail that Python does not know, or knows as something narrower.
_CHARSET_ALIASES = {
    "iso-8859-1": _FALLBACK_CHARSET,
    "iso8859-1": _FALLBACK_CHARSET,
    "latin1": _FALLBACK_CHARSET,
    "latin-1": _FALLBACK_CHARSET,
    "l1": _FALLBACK_CHARSET,
    "us-ascii": _FALLBACK_CHARSET,
    "ascii": _FALLBACK_CHARSET,
    "ansi_x3.4-1968": _FALLBACK_CHARSET,
    "x-user-defined": _FALLBACK_CHARSET,
    "windows-1252": _FALLBACK_CHARSET,
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms932": "cp932",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "unicode": "utf-16",
}
# Codecs that are not character sets for text, or that turn hostile bytes into surprises.
_REFUSED_CODECS = frozenset(
    {"idna", "punycode", "raw_unicode_escape", "unicode_escape", "undefined", "mbcs", "oem"}
)
_ASCII_LIKE = frozenset({_FALLBACK_CHARSET, "utf-8"})
_JAPANESE = ("iso2022_jp_2", "euc_jp", "cp932")
_SIBLINGS = {
    "iso2022_jp": _JAPANESE,
    "iso2022_jp_2": _JAPANESE,
    "iso2022_jp_ext": _JAPANESE,
    "euc_jp": _JAPANESE,
    "cp932": _JAPANESE,
    "shift_jis": _JAPANESE,
    "gb18030": ("big5hkscs",),
    "big5": ("big5hkscs", "gb18030"),
    "cp949": ("iso2022_kr",),
}


@functools.lru_cache(maxsize=256)
def _codec(label: str | None) -> str | None:
    """Python's codec name for a MIME charset label, or None when unknown or refused."""
    if not label:
        return None
    name = label.strip().strip("\"'").strip().lower()
    if not name or len(name) > 40:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if info.name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None, *, hint: str | None = None) -> str:
    """Text from `data` labelled `charset`: the label when it works, else UTF-8 when the
    bytes are valid UTF-8, else `hint` (another charset of the same message), else
    Windows-1252. Never raises; undecodable bytes become U+FFFD."""
    text, _ = _decode_checked(data, charset, hint)
    return text


def _decode_checked(data: bytes, charset: str | None, hint: str | None) -> tuple[str, bool]:
    """The text, and False when a declared charset was unknown or did not fit the bytes."""
    codec = _codec(charset)
    if data.isascii() and (codec is None or codec in _ASCII_LIKE):
        return data.decode("ascii"), True
    if codec is not None:
        try:
            return data.decode(codec), True
        except (UnicodeError, LookupError, ValueError):
            pass
        if codec not in _ASCII_LIKE:
            # Japanese mail in particular is often labelled with the wrong one of its three
            # encodings; a strict decode in a sibling is a strong signal.
            for sibling in ("utf-8", *_SIBLINGS.get(codec, ())):
                try:
                    return data.decode(sibling), False
                except UnicodeDecodeError:
                    pass
            # A multibyte charset with a few bad bytes: keep the rest of the text.
            try:
                return data.decode(codec, errors="replace"), False
            except (UnicodeError, LookupError, ValueError):
                pass
    fits = not charset
    if codec != "utf-8":
        try:
            return data.decode("utf-8"), fits
        except UnicodeDecodeError:
            pass
    hint_codec = _codec(hint)
    if hint_codec is not None and hint_codec not in _ASCII_LIKE:
        try:
            return data.decode(hint_codec, errors="replace"), fits
        except (UnicodeError, LookupError, ValueError):
            pass
    return data.decode(_FALLBACK_CHARSET, errors="replace"), fits


def _raw_bytes(value: str) -> bytes:
    """The octets a compat32 string stands for (8-bit input is kept as surrogate escapes)."""
    return value.encode() if value.isascii() else value.encode("utf-8", "surrogateescape")


def _stored_payload(part: Message) -> Any:
    """The body as the parser stored it: a list of parts, or the undecoded text with 8-bit
    octets as surrogate escapes. Message.get_payload() would first re-decode 8-bit text with
    the declared charset (a full copy, and lossy), so we read the attribute compat32 keeps it
    in (stable since the email package began)."""
    return getattr(part, "_payload", None)


def _text_of_raw(value: str, hint: str | None) -> str:
    if value.isascii():
        if "\x1b" in value:  # raw ISO-2022-JP, which old Japanese mailers put in headers
            try:
                return value.encode("ascii").decode("iso2022_jp_2")
            except UnicodeDecodeError:
                pass
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # already real text
    return decode_bytes(data, "utf-8", hint=hint)


# --------------------------------------------------------------------------- encoded words

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]+")
_BLANKS = re.compile(r"[ \t]+")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)
_BASE64_WHITESPACE = b" \t\r\n"


def _b64decode(data: bytes) -> tuple[bytes, bool]:
    """Lenient base64: ignores foreign characters, repairs padding, copes with several
    padded chunks glued together. The flag is False when something had to be repaired."""
    clean = True
    stripped = data.translate(None, _BASE64_WHITESPACE)
    if b"=" in stripped.rstrip(b"="):
        chunks = [c for c in stripped.split(b"=") if c]
        clean = False
    else:
        chunks = [stripped.rstrip(b"=")]
    out: list[bytes] = []
    for chunk in chunks:
        alphabet_only = chunk.translate(None, _NOT_BASE64)
        if len(alphabet_only) != len(chunk):
            clean = False
        remainder = len(alphabet_only) % 4
        if remainder == 1:
            alphabet_only = alphabet_only[:-1]
            clean = False
        elif remainder:
            alphabet_only += b"=" * (4 - remainder)
        try:
            out.append(binascii.a2b_base64(alphabet_only))
        except binascii.Error:
            clean = False
    return b"".join(out), clean


def _decode_word(encoding: str, text: str) -> bytes:
    data = text.encode("ascii", "surrogateescape")
    if encoding in "bB":
        return _b64decode(data)[0]
    return binascii.a2b_qp(data, header=True)


def decode_header_text(value: str, *, hint: str | None = None) -> str:
    """A header field value for display: unfolded, RFC 2047 encoded words decoded (adjacent
    words of one charset joined first, so a character split between them survives), raw
    8-bit text decoded as UTF-8 or `hint` or Windows-1252, control characters removed."""
    if len(value) > MAX_HEADER_CHARS:
        value = value[:MAX_HEADER_CHARS]
    if value.isascii() and value.isprintable() and "=?" not in value:
        return value.strip()  # nothing to unfold, decode or remove: the common case
    value = _FOLD.sub("", value)
    if "=?" not in value:
        text = _text_of_raw(value, hint)
    else:
        pieces: list[str] = []
        pending: bytearray = bytearray()
        pending_charset: str | None = None
        position = 0

        def flush() -> None:
            nonlocal pending, pending_charset
            if pending_charset is not None:
                pieces.append(decode_bytes(bytes(pending), pending_charset, hint=hint))
            pending, pending_charset = bytearray(), None

        for match in _ENCODED_WORD.finditer(value):
            gap = value[position : match.start()]
            charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
            if gap and (pending_charset is None or gap.strip(" \t")):
                flush()
                pieces.append(_text_of_raw(gap, hint))
            if pending_charset is not None and charset.lower() != pending_charset.lower():
                flush()
            pending_charset = charset
            try:
                pending += _decode_word(match.group(2), match.group(3))
            except (UnicodeEncodeError, binascii.Error, ValueError):
                pending += match.group(0).encode("utf-8", "replace")
            position = match.end()
        flush()
        pieces.append(_text_of_raw(value[position:], hint))
        text = "".join(pieces)
    text = _CONTROLS.sub(" ", text.replace("\t", " "))
    return text.strip()


# --------------------------------------------------------------------------- parameters

_PARAM_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[^";]+|;', re.S)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
_RFC2231_NAME = re.compile(r"\A([^*]+)\*(?:(\d{1,3})\*?)?\Z|\A([^*]+)\*(\d{1,3})\Z")
_CONTENT_TYPE = re.compile(r"\A([a-z0-9!#$&^_.+-]+)/([a-z0-9!#$&^_.+-]+)\Z")


def _split_header(value: str) -> tuple[str, list[tuple[str, str]]]:
    """`type/subtype; a=b; c="d"` -> ("type/subtype", [("a", "b"), ("c", "d")]), names
    lowercased, quotes and backslash escapes removed, nothing decoded yet."""
    segments: list[str] = [""]
    for piece in _PARAM_TOKEN.findall(_FOLD.sub("", value[:MAX_HEADER_CHARS])):
        if piece == ";":
            segments.append("")
        else:
            segments[-1] += piece
    main = segments[0].strip()
    params: list[tuple[str, str]] = []
    for segment in segments[1:]:
        name, sep, raw = segment.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            continue
        raw = raw.strip()
        if raw.startswith('"'):
            raw = raw[1:-1] if len(raw) > 1 and raw.endswith('"') else raw[1:]
            raw = _QUOTED_PAIR.sub(r"\1", raw)
        params.append((name, raw))
    return main, params


def _decode_params(params: list[tuple[str, str]], hint: str | None) -> dict[str, str]:
    """Parameter values decoded: RFC 2231 sections and charsets, then RFC 2047 words that
    many mailers put inside quoted values. An RFC 2231 value wins over a plain one."""
    plain: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[str, bool]]] = {}
    for name, raw in params:
        match = _RFC2231_NAME.match(name)
        if match:
            base = match.group(1) or match.group(3)
            number = match.group(2) or match.group(4)
            encoded = name.endswith("*")
            sections = extended.setdefault(base, {})
            sections.setdefault(int(number) if number is not None else 0, (raw, encoded))
        else:
            plain.setdefault(name, raw)
    result = {name: decode_header_text(raw, hint=hint) for name, raw in plain.items()}
    for base, sections in extended.items():
        charset: str | None = None
        data = bytearray()
        for index, number in enumerate(sorted(sections)):
            raw, encoded = sections[number]
            if encoded:
                if index == 0 and raw.count("'") >= 2:
                    charset, _, raw = raw.split("'", 2)
                data += urllib.parse.unquote_to_bytes(_raw_bytes(raw))
            else:
                data += _raw_bytes(raw)
        text = decode_bytes(bytes(data), charset or "utf-8", hint=hint)
        result[base] = decode_header_text(text, hint=hint) if "=?" in text else text
    return result


# --------------------------------------------------------------------------- loading


class _TolerantMessage(Message):
    """compat32's Message, except that a parameter it cannot read (mixed RFC 2231 sections
    make the standard library raise TypeError) is read by our own parser instead."""

    def get_param(
        self,
        param: str,
        failobj: Any = None,
        header: str = "content-type",
        unquote: bool = True,
    ) -> Any:
        try:
            return super().get_param(param, failobj, header, unquote)
        except Exception:
            value = self.get(header)
            if value is None:
                return failobj
            _, params = _split_header(str(value))
            return _decode_params(params, None).get(param.lower(), failobj)


_PARSER = BytesParser(_class=_TolerantMessage, policy=compat32)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n|\r\r")


def _count_containers(raw: bytes) -> int:
    lowered = raw.lower()
    rough = lowered.count(b"multipart/") + lowered.count(b"message/")
    if rough <= MAX_CONTAINERS:
        return rough
    pattern = re.compile(rb"content-type:[ \t\r\n]*(?:multipart|message)/")
    return sum(1 for _ in pattern.finditer(lowered))


# The standard feedparser reads a message line by line in Python (an attachment of 50 KB is
# 700 lines, each through a stack of boundary tests). _fast_tree builds the very same compat32
# tree for well-formed messages from a few str.find calls per part, and gives up (None) on
# anything where the feedparser would note a defect or do something subtle (message/* parts,
# digests, missing or doubled boundaries, stray header lines, bare CRs): those go through the
# feedparser as before, so the result never depends on which path was taken.
_FEED_HEADER_LINE = re.compile(r"[\041-\071\073-\176]*:|[\t ]")  # the feedparser's own test
_PLAIN_CTES = frozenset({"7bit", "8bit", "binary"})


def _fast_headers(text: str, start: int, end: int, message: Message) -> int:
    """Read the header block at `start` into `message`; returns where the body starts, or
    -1 when the block is not plain (the feedparser would note a defect or an envelope)."""
    headers: list[tuple[str, str]] = []
    field: list[str] | None = None
    position = start
    body = end
    while position < end:
        newline = text.find("\n", position, end)
        line_end = end if newline < 0 else newline + 1
        line = text[position:line_end]
        if line in {"\n", "\r\n"}:
            body = line_end
            break
        if not _FEED_HEADER_LINE.match(line):
            return -1
        if line[0] in " \t":
            if field is None:
                return -1
            field.append(line)
        else:
            if line.startswith("From ") or line[0] == ":":
                return -1
            if field is not None:
                headers.append(_header_pair(field))
            field = [line]
        position = line_end
    if field is not None:
        headers.append(_header_pair(field))
    message._headers = headers  # type: ignore[attr-defined]
    return body


def _header_pair(lines: list[str]) -> tuple[str, str]:
    # compat32's header_source_parse, the same way
    name, value = lines[0].split(":", 1)
    value = value.lstrip(" \t") + "".join(lines[1:])
    return name, value.rstrip("\r\n")


def _boundary_lines(text: str, start: int, end: int, separator: str) -> list[tuple[int, int]]:
    """(line start, line end) of the boundary lines in text[start:end], up to and including
    the close delimiter (the feedparser's test: separator, optional "--", blanks, EOL).
    Empty when the structure is not plain: no close delimiter, no part, doubled lines."""
    found: list[tuple[int, int]] = []
    position = start
    size = len(separator)
    closed = False
    while True:
        index = text.find(separator, position, end)
        if index < 0:
            break
        if index != start and text[index - 1] != "\n":
            position = index + 1
            continue
        newline = text.find("\n", index, end)
        line_end = end if newline < 0 else newline + 1
        rest = text[index + size : line_end].rstrip("\r\n")
        closing = rest.startswith("--")
        if (rest[2:] if closing else rest).strip(" \t"):
            position = index + 1
            continue
        if found and found[-1][1] == index:
            return []  # doubled boundary lines: the feedparser swallows them specially
        if closing:
            closed = True
            found.append((index, line_end))
            break
        found.append((index, line_end))
        position = line_end
    if not closed or len(found) < 2:
        return []
    return found


def _strip_eol(value: str) -> str:
    if value.endswith("\r\n"):
        return value[:-2]
    if value.endswith("\n"):
        return value[:-1]
    return value


def _fast_tree(text: str) -> Message | None:
    """The feedparser's compat32 tree of a plainly structured message, or None."""
    root = _TolerantMessage()
    # (message, start, end, inside a multipart, enclosing boundaries, depth)
    work: list[tuple[Message, int, int, bool, tuple[str, ...], int]] = [
        (root, 0, len(text), False, (), 0)
    ]
    while work:
        message, start, end, inside, outer, depth = work.pop()
        body = _fast_headers(text, start, end, message)
        if body < 0 or depth > MAX_DEPTH:
            return None
        maintype = message.get_content_maintype()
        if maintype == "message":
            return None
        if maintype != "multipart":
            payload = text[body:end]
            message._payload = _strip_eol(payload) if inside else payload  # type: ignore[attr-defined]
            continue
        if message.get_content_type() == "multipart/digest":
            return None
        encoding = message.get("content-transfer-encoding", "8bit")
        if str(encoding).lower() not in _PLAIN_CTES:
            return None
        boundary = message.get_boundary()
        if not isinstance(boundary, str) or not boundary:
            return None
        if any(b.startswith(boundary) or boundary.startswith(b) for b in outer):
            return None
        lines = _boundary_lines(text, body, end, "--" + boundary)
        if not lines:
            return None
        first = lines[0][0]
        if first > body:
            message.preamble = _strip_eol(text[body:first])
        epilogue = text[lines[-1][1] : end]
        if inside:
            message.epilogue = _strip_eol(epilogue) if epilogue else None
        else:
            message.epilogue = epilogue
        children: list[Message] = []
        enclosing = (*outer, boundary)
        for (_, part_start), (part_end, _) in itertools.pairwise(lines):
            child = _TolerantMessage()
            children.append(child)
            work.append((child, part_start, part_end, True, enclosing, depth + 1))
        message._payload = children  # type: ignore[attr-defined]
    return root


def _load(raw: bytes) -> tuple[Message, list[str]]:
    """The parsed tree and defects found before parsing. Never raises."""
    defects: list[str] = []
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if b"\0" in data:
        match = _BLANK_LINE.search(data)
        head_end = match.start() if match else len(data)
        if b"\0" in data[:head_end]:
            # A NUL in a field name ends header parsing; in a value it means nothing.
            data = data[:head_end].replace(b"\0", b"") + data[head_end:]
            defects.append("The header contains NUL bytes; they were removed.")
    structured = True
    if _count_containers(data) > MAX_CONTAINERS:
        defects.append(
            f"The message has more than {MAX_CONTAINERS} multipart or message parts; "
            "it is shown as plain text."
        )
        structured = False
    if structured:
        text = data.decode("ascii", "surrogateescape")
        if "\r" not in text or text.count("\r") == text.count("\r\n"):
            try:
                tree = _fast_tree(text)
            except Exception:  # anything unexpected: the standard parser decides
                tree = None
            if tree is not None:
                return tree, defects
        try:
            return _PARSER.parsebytes(data), defects
        except RecursionError:
            defects.append("The message is nested too deeply; it is shown as plain text.")
        except Exception as exc:
            defects.append(
                f"The message structure could not be read ({type(exc).__name__}); "
                "it is shown as plain text."
            )
    try:
        return _PARSER.parsebytes(data, headersonly=True), defects
    except Exception as exc:
        defects.append(f"The header could not be read ({type(exc).__name__}).")
        fallback = _TolerantMessage()
        fallback.set_payload(data.decode("ascii", "surrogateescape"))
        return fallback, defects


def _first_headers(part: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in part.raw_items():
        key = name.lower() if isinstance(name, str) else str(name).lower()
        if key not in headers:
            headers[key] = value if isinstance(value, str) else str(value)
    return headers


# --------------------------------------------------------------------------- the part tree

_MULTI, _MESSAGE, _LEAF = 0, 1, 2
_MESSAGE_CONTAINERS = frozenset({"message/rfc822", "message/global"})
_SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_BODY_TEXT_TYPES = frozenset({"text/plain", "text/html", "text/enriched", "text/markdown"})


class _Node:
    """One part while we work on it."""

    __slots__ = (
        "children",
        "content_type",
        "depth",
        "disposition",
        "headers",
        "kind",
        "nested",
        "params",
        "parent",
        "part",
        "section",
    )

    def __init__(self, part: Message, section: str, depth: int, nested: bool) -> None:
        self.part = part
        self.section = section
        self.depth = depth
        self.nested = nested
        self.headers = _first_headers(part)
        self.children: list[int] = []
        self.parent = -1
        main, params = _split_header(self.headers.get("content-type", ""))
        self.params = params
        lowered = main.lower()
        self.content_type = lowered if _CONTENT_TYPE.match(lowered) else part.get_default_type()
        payload = _stored_payload(part)
        if isinstance(payload, list):
            maintype = self.content_type.split("/", 1)[0]
            if maintype == "message" and self.content_type in _MESSAGE_CONTAINERS:
                self.kind = _MESSAGE
            elif maintype == "message":
                self.kind = _LEAF  # delivery-status and friends: compat32 splits them
            else:
                self.kind = _MULTI
                if maintype != "multipart":
                    self.content_type = "multipart/mixed"
        else:
            self.kind = _LEAF
        disposition, _ = _split_header(self.headers.get("content-disposition", ""))
        self.disposition = disposition.lower()

    def charset(self) -> str | None:
        for name, value in self.params:
            if name == "charset":
                return value.strip() or None
        return None


def _child_section(parent: str, number: int) -> str:
    return f"{parent}.{number}" if parent else str(number)


def _walk(root: Message) -> tuple[list[_Node], list[str]]:
    """All parts in pre-order (children after their parent), without recursion."""
    defects: list[str] = []
    nodes: list[_Node] = []
    first = _Node(root, "", 0, False)
    if first.kind != _MULTI:
        first.section = "1"
    stack: list[tuple[int, _Node]] = [(-1, first)]
    too_deep = False
    while stack:
        parent_index, node = stack.pop()
        if len(nodes) >= MAX_PARTS:
            defects.append(f"The message has more than {MAX_PARTS} parts; the rest is not shown.")
            break
        index = len(nodes)
        nodes.append(node)
        if parent_index >= 0:
            nodes[parent_index].children.append(index)
            node.parent = parent_index
        if node.kind == _LEAF:
            continue
        if node.depth >= MAX_DEPTH:
            too_deep = True
            node.kind = _LEAF if node.kind == _MESSAGE else node.kind
            continue
        payload = _stored_payload(node.part)
        if not isinstance(payload, list):
            continue
        children: list[_Node] = []
        if node.kind == _MESSAGE:
            inner = payload[0] if payload and isinstance(payload[0], Message) else None
            if inner is not None:
                child = _Node(inner, node.section, node.depth + 1, True)
                if child.kind != _MULTI:
                    child.section = _child_section(node.section, 1)
                children.append(child)
        else:
            for number, sub in enumerate(payload, start=1):
                if isinstance(sub, Message):
                    section = _child_section(node.section, number)
                    children.append(_Node(sub, section, node.depth + 1, node.nested))
        stack.extend((index, child) for child in reversed(children))
    if too_deep:
        defects.append(f"Parts nested more than {MAX_DEPTH} levels deep are not shown.")
    return nodes, defects


# --------------------------------------------------------------------------- payloads

_CTE_ALIASES = {
    "quoted printable": "quoted-printable",
    "quotedprintable": "quoted-printable",
    "qp": "quoted-printable",
    "x-uue": "x-uuencode",
    "uue": "x-uuencode",
    "uuencode": "x-uuencode",
    "x-uuencode": "x-uuencode",
    "base-64": "base64",
    "b64": "base64",
}


def _transfer_encoding(node: _Node) -> str:
    value = node.headers.get("content-transfer-encoding", "")
    value = _FOLD.sub("", value).strip().strip("\"'").lower()
    return _CTE_ALIASES.get(value, value)


def _generated(part: Message) -> bytes:
    """A part that compat32 split into sub-messages, written back out (headers included)."""
    buffer = BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(part)
    except (RecursionError, LookupError, ValueError, TypeError, UnicodeError):
        return b""
    return buffer.getvalue()


def _strip_header_block(data: bytes) -> bytes:
    match = _BLANK_LINE.search(data)
    return data[match.end() :] if match else b""


def _payload_bytes(node: _Node) -> tuple[bytes, str | None]:
    """The decoded body of a part and a defect sentence when decoding needed repair."""
    part = node.part
    payload = _stored_payload(part)
    if isinstance(payload, list):
        if node.kind == _MESSAGE:
            inner = payload[0] if payload and isinstance(payload[0], Message) else None
            return (_generated(inner) if inner is not None else b""), None
        return _strip_header_block(_generated(part)), None
    if not isinstance(payload, str):
        return b"", None
    data = _raw_bytes(payload)
    encoding = _transfer_encoding(node)
    if encoding == "base64":
        decoded, clean = _b64decode(data)
        return decoded, None if clean else "broken base64 encoding (repaired)"
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data), None
    if encoding == "x-uuencode":
        return _uudecode(data)
    return data, None


def _uudecode(data: bytes) -> tuple[bytes, str | None]:
    lines = iter(data.splitlines())
    for line in lines:
        if line.startswith(b"begin "):
            break
    else:
        return data, "no uuencoded data found (shown undecoded)"
    out = bytearray()
    problem = None
    for line in lines:
        if line.strip() in {b"end", b"`"} or not line.strip():
            if line.strip() == b"end":
                break
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            # Some encoders emit lines longer than their length byte says.
            count = (line[0] - 32) & 63
            try:
                out += binascii.a2b_uu(line[: 1 + (count + 2) // 3 * 4])
            except binascii.Error:
                problem = "broken uuencode (partly decoded)"
    return bytes(out), problem


def _encoded_size(node: _Node) -> int:
    payload = _stored_payload(node.part)
    return len(payload) if isinstance(payload, str) else 0


# --------------------------------------------------------------------------- text helpers

_HTML_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_LINE_ENDS = re.compile(r"\r\n?")
_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "br", "tr", "li", "ul", "ol", "table", "blockquote", "pre", "hr"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "center", "address", "title"),
        *("section", "article", "header", "footer"),
    }
)
_SKIP_CONTENT_TAGS = ("script", "style", "head", "title", "template", "noscript", "xml")
_SKIP_END = {tag: re.compile(rf"</{tag}\s*>", re.I) for tag in _SKIP_CONTENT_TAGS}
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]{0,20})")
_MANY_NEWLINES = re.compile(r"\n[ \t\xa0]*\n(?:[ \t\xa0]*\n)+")
_SPACES_IN_LINE = re.compile(r"[ \t\xa0\u200b]+")


def html_to_text(markup: str) -> str:
    """Readable text from HTML for the search index and for mail that has no plain part:
    tags dropped, blocks on their own lines, entities decoded, scripts and styles skipped.
    A linear scan; nothing is fetched or executed."""
    out: list[str] = []
    position = 0
    length = len(markup)
    while position < length:
        start = markup.find("<", position)
        if start < 0:
            out.append(markup[position:])
            break
        if start > position:
            out.append(markup[position:start])
        if markup.startswith("<!--", start):
            end = markup.find("-->", start + 4)
            position = length if end < 0 else end + 3
            continue
        end = markup.find(">", start + 1)
        if end < 0:
            break  # an unclosed tag runs to the end
        match = _TAG_NAME.match(markup, start, end)
        position = end + 1
        if match is None:
            continue
        name = match.group(1).lower()
        closing = markup[start + 1] == "/"
        if not closing and name in _SKIP_END:
            skip = _SKIP_END[name].search(markup, position)
            position = length if skip is None else skip.end()
            continue
        if name in _BLOCK_TAGS:
            out.append("\n")
        elif name in {"td", "th"}:
            out.append(" ")
        elif name == "img" and not closing:
            alt = re.search(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", markup[start:end])
            if alt:
                out.append(alt.group(1) or alt.group(2) or "")
    text = html_lib.unescape("".join(out))
    lines = [
        _SPACES_IN_LINE.sub(" ", line).strip() for line in _LINE_ENDS.sub("\n", text).split("\n")
    ]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def _unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: join soft-broken lines back into paragraphs."""
    if not text.startswith(">") and "\n>" not in text:
        return _unflow_unquoted(text, delsp)
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = 0
    for line in text.split("\n"):
        content = line.lstrip(">") if line[:1] == ">" else line
        depth = len(line) - len(content)
        if content[:1] == " ":
            content = content[1:]  # space-stuffing
        if depth != paragraph_depth and paragraph:
            prefix = ">" * paragraph_depth + (" " if paragraph_depth else "")
            out.append(prefix + "".join(paragraph))
            paragraph = []
        paragraph_depth = depth
        if content[-1:] == " " and content != "-- ":
            paragraph.append(content[:-1] if delsp else content)
            continue
        paragraph.append(content)
        prefix = ">" * depth + (" " if depth else "")
        out.append(prefix + "".join(paragraph))
        paragraph = []
    if paragraph:
        prefix = ">" * paragraph_depth + (" " if paragraph_depth else "")
        out.append(prefix + "".join(paragraph))
    return "\n".join(out)


def _unflow_unquoted(text: str, delsp: bool) -> str:
    # The same rules when no line is quoted (most mail): every paragraph is at depth 0.
    if "\n " in text or text.startswith(" "):
        lines = [line[1:] if line[:1] == " " else line for line in text.split("\n")]
    elif " \n" not in text and not (delsp and text.endswith(" ")):
        return text  # nothing is soft-broken nor stuffed (a last line's space is kept)
    else:
        lines = text.split("\n")
    out: list[str] = []
    paragraph: list[str] = []
    for content in lines:
        if content[-1:] == " " and content != "-- ":
            paragraph.append(content[:-1] if delsp else content)
        elif paragraph:
            paragraph.append(content)
            out.append("".join(paragraph))
            paragraph = []
        else:
            out.append(content)
    if paragraph:
        out.append("".join(paragraph))
    return "\n".join(out)


def _node_text(node: _Node, hint: str | None, defects: list[str] | None) -> str:
    data, problem = _payload_bytes(node)
    charset = node.charset()
    if charset is None and node.content_type == "text/html":
        meta = _HTML_META_CHARSET.search(data, 0, 4096)
        if meta:
            charset = meta.group(1).decode("ascii")
    text, fits = _decode_checked(data, charset, hint)
    if defects is not None:
        if problem:
            defects.append(f"Part {node.section}: {problem}.")
        if not fits:
            defects.append(f"Part {node.section}: unknown or wrong character set {charset!r}.")
    if "\r" in text:
        text = _LINE_ENDS.sub("\n", text)
    if "\0" in text:
        text = text.replace("\0", "")
    if node.content_type == "text/plain":
        params = {name: value.lower() for name, value in node.params}
        if params.get("format") == "flowed":
            text = _unflow(text, params.get("delsp") == "yes")
    return text


# --------------------------------------------------------------------------- choosing the body


@dataclass(slots=True)
class _Pick:
    text: list[int]  # leaves that make the text body (HTML ones get converted)
    rich: list[int]  # leaves that make the HTML body (plain ones get escaped)
    has_html: bool
    has_plain: bool


_EMPTY_PICK = _Pick([], [], False, False)


def _is_body_leaf(node: _Node) -> bool:
    if node.kind != _LEAF:
        return False
    maintype = node.content_type.split("/", 1)[0]
    if node.content_type not in _BODY_TEXT_TYPES and maintype != "multipart":
        return False
    if node.disposition == "attachment":
        return False
    has_name = any(name.startswith(("filename", "name")) for name, _ in node.params) or (
        "filename" in node.headers.get("content-disposition", "").lower()
    )
    return not has_name or node.disposition == "inline"


def _related_root(node: _Node, nodes: list[_Node]) -> int | None:
    if not node.children:
        return None
    start = next((value for name, value in node.params if name == "start"), None)
    if start:
        wanted = start.strip().strip("<>")
        for index in node.children:
            if nodes[index].headers.get("content-id", "").strip().strip("<>") == wanted:
                return index
    return node.children[0]


def _choose_body(nodes: list[_Node], *, include_nested: bool) -> list[_Pick]:
    """For every node, bottom-up, which leaves make its text and its HTML."""
    picks: list[_Pick] = [_EMPTY_PICK] * len(nodes)
    for index in range(len(nodes) - 1, -1, -1):
        node = nodes[index]
        if node.kind == _LEAF:
            if _is_body_leaf(node) and (include_nested or not node.nested):
                is_html = node.content_type == "text/html"
                picks[index] = _Pick([index], [index], is_html, not is_html)
            continue
        kids = [picks[i] for i in node.children]
        subtype = node.content_type.split("/", 1)[1]
        if node.kind == _MESSAGE:
            if include_nested and kids:
                picks[index] = kids[0]
        elif subtype == "alternative":
            plain = [k for k in kids if k.has_plain and not k.has_html]
            text_pick = plain or [k for k in kids if k.has_plain] or [k for k in kids if k.text]
            rich = [k for k in kids if k.has_html]
            chosen_text = text_pick[-1] if text_pick else _EMPTY_PICK
            chosen_rich = rich[-1] if rich else chosen_text
            picks[index] = _Pick(
                chosen_text.text, chosen_rich.rich, chosen_rich.has_html, chosen_text.has_plain
            )
        elif subtype == "related":
            root = _related_root(node, nodes)
            if root is not None:
                picks[index] = picks[root]
        elif subtype == "signed":
            if kids:
                picks[index] = kids[0]
        elif subtype == "encrypted":
            continue
        else:
            text: list[int] = []
            rich_items: list[int] = []
            for kid in kids:
                text += kid.text
                rich_items += kid.rich
            picks[index] = _Pick(
                text, rich_items, any(k.has_html for k in kids), any(k.has_plain for k in kids)
            )
    return picks


# --------------------------------------------------------------------------- header fields

_MSG_ID_TOKEN = re.compile(r"<[^<>\s]{1,998}>")
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "text/rfc822-headers": ".txt",
    "message/delivery-status": ".txt",
    "message/global-delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/global-disposition-notification": ".txt",
    "message/feedback-report": ".txt",
    "message/global-headers": ".txt",
    "message/rfc822-headers": ".txt",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".asc",
    "application/pgp-keys": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-mime": ".p7m",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "application/octet-stream": ".bin",
}


# Address lists simple enough to read without the standard library's general parser (most
# real ones): comma-separated items, each an addr-spec of dot-atoms, alone or in <>, after an
# optional display name of plain words and quoted strings (no backslashes). _simple_addresses
# returns exactly what email.utils.getaddresses returns for them (the tests check it against
# it); anything else (comments, groups, routes, quoted local parts, escapes, line breaks) goes
# to getaddresses.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}++(?:\.{_ATEXT}++)*+"
# Possessive quantifiers: a failed match never retries other splits of the words.
_PHRASE_WORD = r'(?:[^ \t\r\n()<>@,:;"\[\]\\]++|"[^"\\\r\n]*+")'
_PHRASE = rf"{_PHRASE_WORD}(?:[ \t]*+{_PHRASE_WORD})*+"
_SIMPLE_ADDRESS = re.compile(
    rf"[ \t]*+(?:(?P<bare>{_DOT_ATOM}@{_DOT_ATOM})"
    rf"|(?P<phrase>{_PHRASE})?+[ \t]*+<(?P<angle>{_DOT_ATOM}@{_DOT_ATOM})>)"
    r"[ \t]*+(?:,|\Z)"
)
_PHRASE_PIECE = re.compile(r'"([^"]*)"|[^ \t"]+')


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """(name, addr) pairs of a simple address list (see above), or None when it is not one."""
    pairs: list[tuple[str, str]] = []
    position, end = 0, len(value)
    while position < end:
        match = _SIMPLE_ADDRESS.match(value, position)
        if match is None:
            return None
        position = match.end()
        if match.group(0).endswith(",") and position >= end:
            return None  # a trailing comma: leave the empty item to getaddresses
        bare = match.group("bare")
        if bare is not None:
            pairs.append(("", bare))
            continue
        phrase = match.group("phrase") or ""
        words = [
            m.group(1) if m.group(1) is not None else m.group(0)
            for m in _PHRASE_PIECE.finditer(phrase)
        ]
        pairs.append((" ".join(words), match.group("angle")))
    return pairs


def _addresses(value: str | None, hint: str | None) -> tuple[Address, ...]:
    if not value:
        return ()
    value = value[: MAX_HEADER_CHARS * 4]
    if "\n" in value or "\r" in value:
        value = _FOLD.sub("", value)
    simple = _simple_addresses(value)
    if simple is not None:
        pairs = simple
    else:
        try:
            pairs = email_utils.getaddresses([value])
        except Exception:
            pairs = []
    result: list[Address] = []
    for name, addr in pairs[:MAX_ADDRESSES]:
        display = decode_header_text(name, hint=hint) if name else ""
        spec = decode_header_text(addr, hint=hint) if addr else ""
        if display or spec:
            result.append(Address(display, spec))
    if not result and value.strip():
        result.append(Address(decode_header_text(value, hint=hint), ""))
    return tuple(result)


def _message_ids(value: str | None, limit: int) -> list[str]:
    if not value:
        return []
    ids = _MSG_ID_TOKEN.findall(_FOLD.sub("", value[: MAX_HEADER_CHARS * 4]))
    if not ids:
        bare = value.strip().split()
        ids = [f"<{bare[0].strip('<>')}>"] if bare and len(bare[0]) < 998 else []
    cleaned = [_raw_bytes(i).decode("utf-8", "replace") for i in ids[:limit]]
    return [_CONTROLS.sub("", i) for i in cleaned]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email_utils.parsedate_tz(_FOLD.sub("", value[:200]))
    except Exception:
        return None
    if parsed is None:
        return None
    try:
        offset = parsed[9] or 0
        zone = timezone(timedelta(seconds=offset))
        return datetime(*parsed[:6], tzinfo=zone)
    except (ValueError, OverflowError, TypeError):
        return None


# --------------------------------------------------------------------------- defects

_PY_DEFECTS: dict[type[email_errors.MessageDefect], str] = {
    email_errors.NoBoundaryInMultipartDefect: "a multipart part has no boundary; it is shown "
    "as text",
    email_errors.StartBoundaryNotFoundDefect: "the multipart boundary never appears; the part "
    "is shown as text",
    email_errors.CloseBoundaryNotFoundDefect: "the closing boundary is missing (the message "
    "may be cut off)",
    email_errors.FirstHeaderLineIsContinuationDefect: "the header starts with a continuation line",
    email_errors.MisplacedEnvelopeHeaderDefect: "a 'From ' envelope line sits in the header",
    email_errors.MissingHeaderBodySeparatorDefect: "a header line is malformed; what follows "
    "it was read as the body",
    email_errors.MultipartInvariantViolationDefect: "a part says it is multipart but is not",
    email_errors.InvalidMultipartContentTransferEncodingDefect: "a multipart part has a "
    "transfer encoding other than 7bit, 8bit or binary",
}


def _python_defects(nodes: list[_Node]) -> list[str]:
    found: list[str] = []
    for node in nodes:
        for defect in getattr(node.part, "defects", ()):
            words = _PY_DEFECTS.get(type(defect))
            if words is None:
                words = type(defect).__name__.removesuffix("Defect")
            where = f"Part {node.section}: " if node.section not in {"", "1"} else ""
            text = f"{where}{words[0].upper()}{words[1:]}."
            if text not in found:
                found.append(text)
    return found


# --------------------------------------------------------------------------- public API


def _plain_to_html(text: str) -> str:
    return f'<div style="white-space: pre-wrap">{html_lib.escape(text)}</div>'


def _fallback_name(node: _Node, hint: str | None) -> str:
    """A name for a part its sender did not name: an attached message by its subject."""
    if node.content_type in {"application/ms-tnef", "application/vnd.ms-tnef"}:
        return "winmail.dat"
    if node.kind == _MESSAGE:
        payload = _stored_payload(node.part)
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            subject = decode_header_text(_first_headers(payload[0]).get("subject", ""), hint=hint)
            if subject:
                return safe_filename(subject[:150] + ".eml", "message.eml")
        return "message.eml"
    return "attachment" + (_EXTENSIONS.get(node.content_type) or ".bin")


def _disposition_params(node: _Node, hint: str | None) -> dict[str, str]:
    _, disposition_params = _split_header(node.headers.get("content-disposition", ""))
    params = _decode_params(node.params, hint)
    params.update(_decode_params(disposition_params, hint))
    return params


class _Shared:
    """Work that parse_message and index_text would otherwise both do on one message."""

    __slots__ = ("addresses", "texts")

    def __init__(self) -> None:
        self.texts: dict[tuple[int, str | None], str] = {}
        self.addresses: dict[tuple[str | None, str | None], tuple[Address, ...]] = {}

    def text(self, nodes: list[_Node], index: int, hint: str | None) -> str:
        key = (index, hint)
        found = self.texts.get(key)
        if found is None:
            found = self.texts[key] = _node_text(nodes[index], hint, None)
        return found

    def address_list(self, value: str | None, hint: str | None) -> tuple[Address, ...]:
        key = (value, hint)
        found = self.addresses.get(key)
        if found is None:
            found = self.addresses[key] = _addresses(value, hint)
        return found


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything the reader shows about one message. Never raises."""
    root, defects = _load(raw)
    nodes, walk_defects = _walk(root)
    return _parsed(root, nodes, defects + walk_defects, _Shared())


def parse_and_index(
    raw: bytes, *, max_body: int = INDEX_BODY_CHARS
) -> tuple[ParsedMessage, IndexText]:
    """parse_message and index_text of one message from a single parse (what storing a
    whole message needs). Never raises."""
    root, defects = _load(raw)
    nodes, walk_defects = _walk(root)
    shared = _Shared()
    parsed = _parsed(root, nodes, defects + walk_defects, shared)
    return parsed, _indexed(root, nodes, max_body, shared)


def parse_for_store(
    raw: bytes, *, max_body: int = INDEX_BODY_CHARS
) -> tuple[StoredFields, IndexText]:
    """What storing a whole message needs (its header fields, body text and attachment
    names; equal to those of parse_message) and its index_text, from a single parse, without
    the reader's extra work. Never raises."""
    root, _ = _load(raw)
    nodes, _ = _walk(root)
    shared = _Shared()
    return _stored(root, nodes, shared), _indexed(root, nodes, max_body, shared)


def _body_pick(nodes: list[_Node]) -> tuple[_Pick, str | None]:
    """The top-level body pick, and the charset hint for unlabelled 8-bit text (the first
    charset of the message that is not ASCII-like)."""
    picks = _choose_body(nodes, include_nested=False)
    charsets = [c for n in nodes if (c := n.charset()) and _codec(c) not in _ASCII_LIKE]
    return (picks[0] if picks else _EMPTY_PICK), (charsets[0] if charsets else None)


def _body_texts(
    nodes: list[_Node],
    top: _Pick,
    hint: str | None,
    shared: _Shared,
    defects: list[str] | None,
    *,
    rich: bool,
) -> tuple[str, dict[int, str]]:
    """ParsedMessage.text, and the decoded text of each body leaf (the rich ones too when
    `rich`, for the HTML body)."""
    texts: dict[int, str] = {}
    for i in {*top.text, *top.rich} if rich else dict.fromkeys(top.text):
        texts[i] = _node_text(nodes[i], hint, defects)
        shared.texts[(i, hint)] = texts[i]
    text_pieces = [
        html_to_text(texts[i]) if nodes[i].content_type == "text/html" else texts[i]
        for i in top.text
    ]
    return "\n\n".join(piece.strip("\n") for piece in text_pieces if piece.strip()), texts


def _html_body(nodes: list[_Node], top: _Pick, texts: Mapping[int, str]) -> str | None:
    if not top.has_html:
        return None
    return "\n".join(
        texts[i] if nodes[i].content_type == "text/html" else _plain_to_html(texts[i])
        for i in top.rich
    )


def _security_roles(nodes: list[_Node], used: set[int]) -> tuple[dict[int, PartRole], bool, bool]:
    """Roles fixed by the structure (body leaves, signature and encryption parts), and
    whether the message is signed and encrypted by its MIME structure."""
    is_signed = is_encrypted = False
    roles: dict[int, PartRole] = {}
    for index, node in enumerate(nodes):
        if node.kind == _MULTI:
            subtype = node.content_type.split("/", 1)[1]
            if subtype == "signed" and not node.nested:
                is_signed = True
                for child in node.children[1:]:
                    roles[child] = PartRole.SIGNATURE
            elif subtype == "encrypted" and not node.nested:
                is_encrypted = True
                for child in node.children[:1]:
                    roles[child] = PartRole.ENCRYPTION
        elif not node.nested and node.content_type in _SMIME_TYPES:
            smime_type = dict(node.params).get("smime-type", "").lower()
            if "signed" in smime_type:
                is_signed = True
            else:
                is_encrypted = True
        if index in used:
            roles[index] = PartRole.BODY
    return roles, is_signed, is_encrypted


def _role(index: int, node: _Node, roles: Mapping[int, PartRole]) -> PartRole:
    role = roles.get(index)
    if role is not None:
        return role
    if node.nested:
        return PartRole.NESTED
    if node.kind == _MULTI:
        return PartRole.CONTAINER
    if _is_body_leaf(node):
        return PartRole.ALTERNATIVE
    return PartRole.ATTACHMENT


def _attachment_names(node: _Node, hint: str | None) -> tuple[str, str]:
    """An attachment's filename as its sender wrote it ("" when none) and its Content-ID
    without angle brackets ("" when none)."""
    params = _disposition_params(node, hint)
    filename = params.get("filename") or params.get("name") or ""
    content_id = node.headers.get("content-id", "")
    return filename, decode_header_text(content_id).strip().strip("<>").strip() or ""


def _parsed(
    root: Message, nodes: list[_Node], defects: list[str], shared: _Shared
) -> ParsedMessage:
    top, hint = _body_pick(nodes)
    body_defects: list[str] = []
    text, texts = _body_texts(nodes, top, hint, shared, body_defects, rich=True)
    html = _html_body(nodes, top, texts)
    used = set(top.text) | set(top.rich)
    html_lower = html.lower() if html else ""

    roles, is_signed, is_encrypted = _security_roles(nodes, used)
    if "-----BEGIN PGP MESSAGE-----" in text:
        is_encrypted = True
    if "-----BEGIN PGP SIGNED MESSAGE-----" in text:
        is_signed = True

    summaries: list[PartSummary] = []
    attachments: list[Attachment] = []
    cid_map: dict[str, str] = {}
    for index, node in enumerate(nodes):
        role = _role(index, node, roles)
        filename: str | None = None
        if role == PartRole.ATTACHMENT:
            filename, content_id = _attachment_names(node, hint)
            if content_id and content_id not in cid_map:
                cid_map[content_id] = node.section
            data, problem = _payload_bytes(node) if node.kind != _MESSAGE else (b"", None)
            if problem:
                defects.append(f"Part {node.section}: {problem}.")
            size = len(data) if node.kind != _MESSAGE else _nested_size(nodes, index)
            in_related = node.parent >= 0 and nodes[node.parent].content_type == "multipart/related"
            inline = node.disposition == "inline" or (not node.disposition and in_related)
            fallback = _fallback_name(node, hint)
            attachments.append(
                Attachment(
                    part=node.section,
                    filename=filename,
                    safe_name=safe_filename(filename, fallback) if filename else fallback,
                    content_type=node.content_type,
                    size=size,
                    content_id=content_id or None,
                    disposition=Disposition.INLINE if inline else Disposition.ATTACHMENT,
                    shown_inline=bool(content_id) and f"cid:{content_id.lower()}" in html_lower,
                )
            )
        summaries.append(
            PartSummary(
                part=node.section,
                content_type=node.content_type,
                depth=node.depth,
                role=role,
                size=_encoded_size(node),
                charset=node.charset() if node.content_type.startswith("text/") else None,
                filename=filename or None,
            )
        )

    defects = defects + body_defects + _python_defects(nodes)
    headers = _first_headers(root)
    all_headers = tuple(
        (str(name), decode_header_text(value if isinstance(value, str) else str(value), hint=hint))
        for name, value in list(root.raw_items())[:MAX_HEADER_FIELDS]
    )
    fields = _stored_headers(headers, hint, shared)
    return ParsedMessage(
        subject=fields.subject,
        from_=fields.from_,
        to=fields.to,
        cc=fields.cc,
        reply_to=_addresses(headers.get("reply-to"), hint),
        disposition_notification_to=_addresses(headers.get("disposition-notification-to"), hint),
        date=fields.date,
        message_id=fields.message_id,
        in_reply_to=fields.in_reply_to,
        references=fields.references,
        text=text,
        html=html,
        parts=tuple(summaries),
        attachments=tuple(attachments),
        cid_map=MappingProxyType(cid_map),
        is_encrypted=is_encrypted,
        is_signed=is_signed,
        defects=tuple(dict.fromkeys(defects))[:100],
        headers=all_headers,
    )


def _stored_headers(headers: Mapping[str, str], hint: str | None, shared: _Shared) -> StoredFields:
    """The header fields of StoredFields (the body fields left empty)."""
    in_reply_to = _message_ids(headers.get("in-reply-to"), 1)
    message_ids = _message_ids(headers.get("message-id"), 1)
    return StoredFields(
        subject=decode_header_text(headers.get("subject", ""), hint=hint),
        from_=shared.address_list(headers.get("from"), hint),
        to=shared.address_list(headers.get("to"), hint),
        cc=shared.address_list(headers.get("cc"), hint),
        date=_date(headers.get("date")),
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(_message_ids(headers.get("references"), MAX_REFERENCES)),
        text="",
        attachment_names=(),
        has_attachment=False,
    )


def _stored(root: Message, nodes: list[_Node], shared: _Shared) -> StoredFields:
    """StoredFields: what _parsed gives for those fields, without the work only the reader
    needs (the part list, the decoded size of each attachment, every header field, defects)."""
    top, hint = _body_pick(nodes)
    text, texts = _body_texts(nodes, top, hint, shared, None, rich=False)
    roles, _, _ = _security_roles(nodes, set(top.text) | set(top.rich))
    html_lower: str | None = None  # built only when an attachment has a Content-ID
    names: list[str] = []
    has_attachment = False
    for index, node in enumerate(nodes):
        if _role(index, node, roles) != PartRole.ATTACHMENT:
            continue
        filename, content_id = _attachment_names(node, hint)
        if filename:
            names.append(filename)
        if content_id and html_lower is None:
            for i in top.rich:
                if i not in texts:
                    texts[i] = shared.text(nodes, i, hint)
            html_lower = (_html_body(nodes, top, texts) or "").lower()
        if not (content_id and f"cid:{content_id.lower()}" in (html_lower or "")):
            has_attachment = True
    fields = _stored_headers(_first_headers(root), hint, shared)
    return replace(fields, text=text, attachment_names=tuple(names), has_attachment=has_attachment)


def _nested_size(nodes: list[_Node], index: int) -> int:
    """Roughly the size of an attached message: its parts' encoded bodies and headers."""
    total = 0
    stack = list(nodes[index].children)
    while stack:
        node = nodes[stack.pop()]
        total += _encoded_size(node) + sum(len(k) + len(v) + 4 for k, v in node.headers.items())
        stack.extend(node.children)
    return total


def extract_part(raw: bytes, part: str) -> bytes:
    """The decoded bytes of one part (an attachment's file content; an attached message as
    a whole message). Raises MimePartNotFoundError when the message has no such part."""
    root, _ = _load(raw)
    nodes, _ = _walk(root)
    wanted = part.strip()
    for node in nodes:  # pre-order: an attached message comes before the multipart it holds
        if node.section == wanted:
            if node.kind == _MULTI:
                return _strip_header_block(_generated(node.part))
            return _payload_bytes(node)[0]
    raise MimePartNotFoundError(f"The message has no part {part!r}.")


def index_text(raw: bytes, *, max_body: int = INDEX_BODY_CHARS) -> IndexText:
    """Subject, sender, recipients and up to `max_body` characters of body text (attached
    messages included, HTML reduced to text) for the full-text index. Never raises.

    Only the parts that make the body text are decoded; attachments are sliced past."""
    root, _ = _load(raw)
    nodes, _ = _walk(root)
    return _indexed(root, nodes, max_body, _Shared())


def _indexed(root: Message, nodes: list[_Node], max_body: int, shared: _Shared) -> IndexText:
    headers = _first_headers(root)
    picks = _choose_body(nodes, include_nested=True)
    pieces: list[str] = []
    length = 0
    for index in picks[0].text if picks else []:
        if length >= max_body:
            break
        node = nodes[index]
        text = shared.text(nodes, index, None)
        if node.content_type == "text/html":
            text = html_to_text(text)
        pieces.append(text[: max_body - length])
        length += len(pieces[-1]) + 1
    recipients = [
        str(a) for name in ("to", "cc", "bcc") for a in shared.address_list(headers.get(name), None)
    ]
    return IndexText(
        subject=decode_header_text(headers.get("subject", "")),
        sender=" ".join(str(a) for a in shared.address_list(headers.get("from"), None)),
        recipients=" ".join(recipients),
        body="\n".join(pieces)[:max_body],
    )
