"""Typed values for every IMAP server response the client uses (frozen, slotted dataclasses).

Imports: the standard library, mailapp.core and this package's sequence module only.

Lossless by design: each response keeps `raw`, the exact bytes the server sent (with its
literals), and strings from ENVELOPE stay bytes (RFC 2047 words undecoded) with decoding
helpers beside them. BODYSTRUCTURE strings are str decoded as UTF-8 with surrogateescape, so
`s.encode("utf-8", "surrogateescape")` gives the server's bytes back.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import enum
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeAlias

from mailapp.protocols.imap.sequence import SequenceSet

__all__ = [
    "Address",
    "AppendUidCode",
    "BadCharsetCode",
    "BodyPart",
    "BodySection",
    "BodyStructure",
    "CapabilityCode",
    "CapabilityResponse",
    "ContinuationRequest",
    "CopyUidCode",
    "Disposition",
    "ESearchResponse",
    "EnabledResponse",
    "Envelope",
    "ExistsResponse",
    "ExpungeResponse",
    "FetchPreparer",
    "FetchResponse",
    "FlagsResponse",
    "HighestModseqCode",
    "IdResponse",
    "ListResponse",
    "MailboxStatusResponse",
    "ModifiedCode",
    "Multipart",
    "NamespaceResponse",
    "NumberCode",
    "PermanentFlagsCode",
    "PreparedFetch",
    "RecentResponse",
    "Response",
    "ResponseCode",
    "SearchResponse",
    "Status",
    "TaggedResponse",
    "UidNextCode",
    "UidValidityCode",
    "UnknownResponse",
    "UnseenCode",
    "UntaggedStatus",
    "VanishedResponse",
    "WireValue",
    "decode_encoded_words",
    "parse_header_date",
    "parse_internaldate",
    "walk_body",
]

# A value as the tokenizer produced it: bytes for strings and literals, str for atoms, None
# for NIL, tuples for parenthesised lists. Used where we keep data we do not interpret.
WireValue: TypeAlias = "bytes | str | tuple[WireValue, ...] | None"


class Status(enum.StrEnum):
    OK = "OK"
    NO = "NO"
    BAD = "BAD"
    BYE = "BYE"
    PREAUTH = "PREAUTH"


# --- response codes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseCode:
    """A bracketed response code ([ALERT], [TRYCREATE], ...). `args` is the text as sent."""

    name: str
    args: str | None


@dataclass(frozen=True, slots=True)
class NumberCode(ResponseCode):
    value: int


@dataclass(frozen=True, slots=True)
class UidValidityCode(NumberCode):
    pass


@dataclass(frozen=True, slots=True)
class UidNextCode(NumberCode):
    pass


@dataclass(frozen=True, slots=True)
class UnseenCode(NumberCode):
    pass


@dataclass(frozen=True, slots=True)
class HighestModseqCode(NumberCode):
    pass


@dataclass(frozen=True, slots=True)
class AppendUidCode(ResponseCode):
    uidvalidity: int
    uids: SequenceSet


@dataclass(frozen=True, slots=True)
class CopyUidCode(ResponseCode):
    uidvalidity: int
    source: SequenceSet
    destination: SequenceSet

    def mapping(self) -> dict[int, int]:
        """Source UID -> new UID, paired in the order the server listed them (RFC 4315)."""
        return dict(zip(self.source, self.destination, strict=False))


@dataclass(frozen=True, slots=True)
class PermanentFlagsCode(ResponseCode):
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CapabilityCode(ResponseCode):
    capabilities: frozenset[str]


@dataclass(frozen=True, slots=True)
class ModifiedCode(ResponseCode):
    """CONDSTORE: the messages an UNCHANGEDSINCE store did not touch."""

    uids: SequenceSet


@dataclass(frozen=True, slots=True)
class BadCharsetCode(ResponseCode):
    charsets: tuple[str, ...]


# --- status, continuation, simple untagged data ------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaggedResponse:
    tag: str
    status: Status
    code: ResponseCode | None
    text: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class UntaggedStatus:
    """`* OK/NO/BAD/BYE/PREAUTH [code] text`. An [ALERT] text must be shown to the person."""

    status: Status
    code: ResponseCode | None
    text: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class ContinuationRequest:
    """`+ text`: the server waits for a literal, a SASL answer, or (in IDLE) for DONE."""

    text: bytes
    raw: bytes


@dataclass(frozen=True, slots=True)
class CapabilityResponse:
    capabilities: frozenset[str]  # upper-case
    raw: bytes


@dataclass(frozen=True, slots=True)
class EnabledResponse:
    capabilities: frozenset[str]  # upper-case
    raw: bytes


@dataclass(frozen=True, slots=True)
class FlagsResponse:
    flags: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True, slots=True)
class ExistsResponse:
    count: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class RecentResponse:
    count: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class ExpungeResponse:
    seq: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class VanishedResponse:
    """QRESYNC (RFC 7162): UIDs gone; `earlier` when it answers a FETCH (VANISHED)/SELECT."""

    uids: SequenceSet
    earlier: bool
    raw: bytes


_SPECIAL_USE = frozenset(
    {"\\ALL", "\\ARCHIVE", "\\DRAFTS", "\\FLAGGED", "\\JUNK", "\\SENT", "\\TRASH", "\\IMPORTANT"}
)


@dataclass(frozen=True, slots=True)
class ListResponse:
    """LIST/LSUB. `name` is decoded (modified UTF-7, or UTF-8 under UTF8=ACCEPT); if the
    server's name was not valid, `name` holds the raw bytes decoded as Latin-1 and
    `name_valid` is False. `raw_name` is what must be sent back to address the mailbox."""

    kind: str
    attributes: tuple[str, ...]
    delimiter: str | None
    name: str
    raw_name: bytes
    name_valid: bool
    extended: tuple[tuple[str, WireValue], ...]
    raw: bytes

    def has_attribute(self, attribute: str) -> bool:
        wanted = attribute.upper()
        return any(a.upper() == wanted for a in self.attributes)

    @property
    def special_use(self) -> str | None:
        """The RFC 6154 role (e.g. "\\Sent"), as the server spelled it, or None."""
        for a in self.attributes:
            if a.upper() in _SPECIAL_USE:
                return a
        return None

    @property
    def selectable(self) -> bool:
        return not (self.has_attribute("\\Noselect") or self.has_attribute("\\NonExistent"))


@dataclass(frozen=True, slots=True)
class MailboxStatusResponse:
    """`* STATUS name (MESSAGES n UIDNEXT n ...)`; item names upper-case."""

    name: str
    raw_name: bytes
    items: tuple[tuple[str, int], ...]
    raw: bytes

    def get(self, item: str) -> int | None:
        wanted = item.upper()
        for key, value in self.items:
            if key == wanted:
                return value
        return None

    @property
    def messages(self) -> int | None:
        return self.get("MESSAGES")

    @property
    def uidnext(self) -> int | None:
        return self.get("UIDNEXT")

    @property
    def uidvalidity(self) -> int | None:
        return self.get("UIDVALIDITY")

    @property
    def unseen(self) -> int | None:
        return self.get("UNSEEN")

    @property
    def highestmodseq(self) -> int | None:
        return self.get("HIGHESTMODSEQ")


@dataclass(frozen=True, slots=True)
class SearchResponse:
    numbers: tuple[int, ...]
    modseq: int | None
    raw: bytes


@dataclass(frozen=True, slots=True)
class ESearchResponse:
    """RFC 4731 / RFC 9051 ESEARCH. `extra` keeps return data we do not interpret."""

    tag: str | None
    uid: bool
    min: int | None
    max: int | None
    count: int | None
    all: SequenceSet | None
    modseq: int | None
    extra: tuple[tuple[str, WireValue], ...]
    raw: bytes


@dataclass(frozen=True, slots=True)
class IdResponse:
    """RFC 2971 server identification; `fields` None when the server sent NIL."""

    fields: tuple[tuple[str, str | None], ...] | None
    raw: bytes

    def as_dict(self) -> dict[str, str | None]:
        return {k.lower(): v for k, v in self.fields or ()}


@dataclass(frozen=True, slots=True)
class NamespaceResponse:
    """RFC 2342: each entry is (prefix, delimiter)."""

    personal: tuple[tuple[str, str | None], ...]
    other: tuple[tuple[str, str | None], ...]
    shared: tuple[tuple[str, str | None], ...]
    raw: bytes


@dataclass(frozen=True, slots=True)
class UnknownResponse:
    """Any untagged response we do not interpret, kept whole (never dropped).

    `tokens` is None when even the generic tokenizer could not read it."""

    name: str
    number: int | None
    tokens: tuple[WireValue, ...] | None
    raw: bytes


# --- ENVELOPE ----------------------------------------------------------------------------------


def decode_encoded_words(raw: bytes) -> str:
    """Header text for display: UTF-8 (IMAP4rev2 allows it) with RFC 2047 words decoded.

    Never raises; a malformed word stays as written."""
    if b"=?" not in raw:
        return raw.decode("utf-8", "replace")
    if len(raw) > _CACHED_LENGTH:
        return _decode_words(raw)
    return _decode_words_cached(raw)


def _decode_words(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return text


# A header sync decodes the same display names (and many subjects) again and again, and
# the stdlib's RFC 2047 decoder costs tens of microseconds a call. Long values are rare and
# not worth the memory.
_CACHED_LENGTH = 512
_decode_words_cached = functools.lru_cache(maxsize=8192)(_decode_words)


@dataclass(frozen=True, slots=True)
class Address:
    """One ENVELOPE address: fields as sent (bytes) or None for NIL.

    RFC 3501 group syntax: mailbox set and host None starts a group (mailbox is its name);
    both None ends it."""

    name: bytes | None
    adl: bytes | None
    mailbox: bytes | None
    host: bytes | None

    @property
    def is_group_start(self) -> bool:
        return self.host is None and self.mailbox is not None

    @property
    def is_group_end(self) -> bool:
        return self.host is None and self.mailbox is None

    @property
    def email(self) -> str | None:
        if self.mailbox is None or self.host is None:
            return None
        return (self.mailbox + b"@" + self.host).decode("utf-8", "replace")

    @property
    def display_name(self) -> str | None:
        return None if self.name is None else decode_encoded_words(self.name)


@dataclass(frozen=True, slots=True)
class Envelope:
    date: bytes | None
    subject: bytes | None
    from_: tuple[Address, ...]
    sender: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    in_reply_to: bytes | None
    message_id: bytes | None

    @property
    def subject_text(self) -> str | None:
        return None if self.subject is None else decode_encoded_words(self.subject)

    @property
    def date_parsed(self) -> datetime | None:
        """The Date header parsed (RFC 5322), or None if absent or unreadable."""
        return None if self.date is None else parse_header_date(self.date)


def parse_header_date(raw: bytes) -> datetime | None:
    """A Date header value parsed (RFC 5322), or None if unreadable."""
    quick = _quick_date(raw)
    if quick is not None:
        return quick
    try:
        return email.utils.parsedate_to_datetime(raw.decode("ascii", "replace"))
    except (TypeError, ValueError, IndexError):
        return None


# The form nearly every mailer writes ("Mon, 7 Feb 2026 21:52:25 +0100"), read without the
# stdlib's general parser; anything else (comments, obsolete forms, "-0000") goes to it.
_DATE_QUICK = re.compile(
    rb"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) ([1-9]\d{3}) (\d{2}):(\d{2}):(\d{2}) "
    rb"([+-])(\d{2})(\d{2})"
)
_MONTH_NUMBERS = {
    name.encode(): number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


@functools.lru_cache(maxsize=256)
def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def _quick_date(raw: bytes) -> datetime | None:
    m = _DATE_QUICK.fullmatch(raw)
    if m is None:
        return None
    day, month_name, year, hour, minute, second, sign, zone_h, zone_m = m.groups()
    month = _MONTH_NUMBERS.get(month_name.lower())
    if month is None or (sign == b"-" and zone_h == b"00" and zone_m == b"00"):
        return None
    minutes = int(zone_h) * 60 + int(zone_m)
    try:
        return datetime(
            int(year),
            month,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=_zone(-minutes if sign == b"-" else minutes),
        )
    except ValueError:
        return None


# --- BODYSTRUCTURE -----------------------------------------------------------------------------


def _param(params: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    for key, value in params:
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True, slots=True)
class Disposition:
    type: str
    params: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        return _param(self.params, name)


@dataclass(frozen=True, slots=True)
class BodyPart:
    """A non-multipart body. For message/rfc822 (and message/global) `envelope` and `body`
    describe the enclosed message; `lines` is set for text/* and message/rfc822."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    id: str | None
    description: str | None
    encoding: str | None
    size: int
    lines: int | None
    envelope: Envelope | None
    body: BodyStructure | None
    md5: str | None
    disposition: Disposition | None
    language: tuple[str, ...] | None
    location: str | None
    extensions: tuple[WireValue, ...]

    @property
    def content_type(self) -> str:
        return f"{self.type}/{self.subtype}".lower()

    def param(self, name: str) -> str | None:
        return _param(self.params, name)

    @property
    def filename(self) -> str | None:
        """The attachment's name (disposition filename, else the type's name parameter),
        with RFC 2047 words decoded; RFC 2231 continuations are the MIME layer's job."""
        raw = self.disposition.param("filename") if self.disposition else None
        if raw is None:
            raw = self.param("name")
        if raw is None:
            return None
        return decode_encoded_words(raw.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True, slots=True)
class Multipart:
    parts: tuple[BodyStructure, ...]
    subtype: str
    params: tuple[tuple[str, str], ...]
    disposition: Disposition | None
    language: tuple[str, ...] | None
    location: str | None
    extensions: tuple[WireValue, ...]

    @property
    def content_type(self) -> str:
        return f"multipart/{self.subtype}".lower()

    def param(self, name: str) -> str | None:
        return _param(self.params, name)


BodyStructure: TypeAlias = BodyPart | Multipart


def walk_body(body: BodyStructure) -> Iterator[tuple[str, BodyStructure]]:
    """Every part with its IMAP section number ("1", "2.1", ...), depth first, in order.

    The top level is "" for a multipart and "1" for a single part (RFC 3501 6.4.5). The body
    of an enclosed message/rfc822 is numbered like its parent part's children. Iterative."""
    stack: list[tuple[str, BodyStructure]] = [("" if isinstance(body, Multipart) else "1", body)]
    while stack:
        number, part = stack.pop()
        yield number, part
        children: list[tuple[str, BodyStructure]] = []
        prefix = f"{number}." if number else ""
        if isinstance(part, Multipart):
            children = [(f"{prefix}{i}", p) for i, p in enumerate(part.parts, 1)]
        elif part.body is not None:
            inner = part.body
            if isinstance(inner, Multipart):
                children = [(f"{prefix}{i}", p) for i, p in enumerate(inner.parts, 1)]
            else:
                children = [(f"{prefix}1", inner)]
        stack.extend(reversed(children))


# --- FETCH -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BodySection:
    """BODY[section]<origin>, BINARY[section]<origin>, RFC822, RFC822.HEADER or RFC822.TEXT.

    `data` is None when the server sent NIL."""

    kind: str
    section: str
    origin: int | None
    data: bytes | None


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_INTERNALDATE = re.compile(
    r" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"
)


def parse_internaldate(text: str) -> datetime | None:
    """ "17-Jul-1996 02:44:25 -0700" -> aware datetime; None if malformed."""
    m = _INTERNALDATE.fullmatch(text)
    if not m:
        return None
    day, month_name, year, hour, minute, second, sign, zone_h, zone_m = m.groups()
    month = _MONTHS.get(month_name.upper())
    if month is None:
        return None
    minutes = int(zone_h) * 60 + int(zone_m)
    try:
        zone = _zone(-minutes if sign == "-" else minutes)
        return datetime(
            int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """`* seq FETCH (...)`. Items the server did not send are None (or empty).

    `extras` keeps items we do not interpret (X-GM-LABELS, EMAILID, PREVIEW, ...) by
    upper-case name."""

    seq: int
    uid: int | None
    flags: tuple[str, ...] | None
    modseq: int | None
    rfc822_size: int | None
    internaldate: str | None
    envelope: Envelope | None
    body_structure: BodyStructure | None
    sections: tuple[BodySection, ...]
    binary_sizes: tuple[tuple[str, int], ...]
    extras: tuple[tuple[str, WireValue], ...]
    raw: bytes

    @property
    def internal_datetime(self) -> datetime | None:
        return None if self.internaldate is None else parse_internaldate(self.internaldate)

    def section(
        self, section: str = "", *, kind: str = "BODY", origin: int | None = None
    ) -> bytes | None:
        """The data of BODY[section] (or BINARY[...] with kind="BINARY"); None if absent/NIL."""
        wanted_section = section.upper()
        wanted_kind = kind.upper()
        for s in self.sections:
            if (
                s.kind == wanted_kind
                and s.section.upper() == wanted_section
                and (origin is None or s.origin == origin)
            ):
                return s.data
        return None

    def get_extra(self, name: str) -> WireValue:
        wanted = name.upper()
        for key, value in self.extras:
            if key == wanted:
                return value
        return None


@dataclass(frozen=True, slots=True)
class PreparedFetch:
    """`* seq FETCH (...)` turned straight into the caller's own value by the FetchPreparer
    the parser was given (a bulk header sync's store rows), without the typed items."""

    seq: int
    uid: int
    value: object
    raw: bytes


# Called with (seq, FETCH item tokens, raw response); returns a PreparedFetch, or the
# FetchResponse of build_fetch for anything it does not take. Must raise what build_fetch
# raises for malformed data.
FetchPreparer: TypeAlias = Callable[[int, Any, bytes], "FetchResponse | PreparedFetch"]


Response: TypeAlias = (
    TaggedResponse
    | UntaggedStatus
    | ContinuationRequest
    | CapabilityResponse
    | EnabledResponse
    | FlagsResponse
    | ExistsResponse
    | RecentResponse
    | ExpungeResponse
    | VanishedResponse
    | ListResponse
    | MailboxStatusResponse
    | SearchResponse
    | ESearchResponse
    | IdResponse
    | NamespaceResponse
    | FetchResponse
    | PreparedFetch
    | UnknownResponse
)
