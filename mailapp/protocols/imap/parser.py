"""Typed responses from framed IMAP responses (RFC 3501, RFC 9051 and the extensions we use).

Imports: the standard library, mailapp.core and this package's modules only.

`parse_response` takes one response exactly as ResponseFramer returned it. It raises only
ParseError or LimitExceededError, and never drops data: an untagged response it does not
know becomes UnknownResponse with its raw bytes.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable
from typing import Any

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.protocols.imap.fetch import build_fetch, to_int
from mailapp.protocols.imap.lexer import (
    DEFAULT_MAX_DEPTH,
    freeze,
    header_fetch_items,
    tokenize,
)
from mailapp.protocols.imap.sequence import SequenceSet
from mailapp.protocols.imap.types import (
    AppendUidCode,
    BadCharsetCode,
    CapabilityCode,
    CapabilityResponse,
    ContinuationRequest,
    CopyUidCode,
    EnabledResponse,
    ESearchResponse,
    ExistsResponse,
    ExpungeResponse,
    FetchPreparer,
    FlagsResponse,
    HighestModseqCode,
    IdResponse,
    ListResponse,
    MailboxStatusResponse,
    ModifiedCode,
    NamespaceResponse,
    PermanentFlagsCode,
    RecentResponse,
    Response,
    ResponseCode,
    SearchResponse,
    Status,
    TaggedResponse,
    UidNextCode,
    UidValidityCode,
    UnknownResponse,
    UnseenCode,
    UntaggedStatus,
    VanishedResponse,
)
from mailapp.protocols.imap.utf7 import decode_mailbox_name

__all__ = ["ResponseParser", "decode_name", "parse_many", "parse_response"]

_TAG = re.compile(rb"[^\x00-\x20\x7f(){%*\"\\\]+]+")
_STATUS_WORDS = {s.value.encode(): s for s in Status}
_TAGGED_STATUS = (Status.OK, Status.NO, Status.BAD)


def _snippet(raw: bytes) -> str:
    return repr(raw[:120]) + ("..." if len(raw) > 120 else "")


def decode_name(raw_name: bytes, *, utf8: bool) -> tuple[str, bool]:
    """A mailbox name from the wire -> (text, valid). Invalid names come back as Latin-1 text
    with valid=False so nothing is lost and the caller can still show something."""
    if utf8 or not raw_name.isascii():
        # Under UTF8=ACCEPT names are UTF-8; some servers send UTF-8 without it, too.
        try:
            return raw_name.decode("utf-8"), True
        except UnicodeDecodeError:
            return raw_name.decode("latin-1"), False
    try:
        return decode_mailbox_name(raw_name), True
    except ParseError:
        return raw_name.decode("latin-1"), False


def _name_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("latin-1")
    raise ParseError(f"Expected a mailbox name, got {value!r}")


def _atoms(values: Iterable[Any]) -> tuple[str, ...]:
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(v)
        elif v is None:
            out.append("NIL")
        else:
            raise ParseError(f"Expected an atom, got {v!r}")
    return tuple(out)


# --- response codes ----------------------------------------------------------------------------


def _code_tokens(args: bytes) -> list[Any]:
    return tokenize(args + b"\r\n", 0)


def _parse_code(inner: bytes) -> ResponseCode:
    sp = inner.find(b" ")
    name_b = inner if sp < 0 else inner[:sp]
    args_b = None if sp < 0 else inner[sp + 1 :]
    name = name_b.decode("latin-1").upper()
    args = None if args_b is None else args_b.decode("utf-8", "replace")
    try:
        return _typed_code(name, args, args_b)
    except (ParseError, LimitExceededError):
        # A malformed code must not cost the response: keep it generic (and complete).
        return ResponseCode(name, args)


def _typed_code(name: str, args: str | None, args_b: bytes | None) -> ResponseCode:
    if args_b is None or args is None:
        return ResponseCode(name, args)
    if name in ("UIDVALIDITY", "UIDNEXT", "UNSEEN", "HIGHESTMODSEQ"):
        number = to_int(args.strip())
        if name == "UIDVALIDITY":
            return UidValidityCode(name, args, number)
        if name == "UIDNEXT":
            return UidNextCode(name, args, number)
        if name == "UNSEEN":
            return UnseenCode(name, args, number)
        return HighestModseqCode(name, args, number)
    if name == "APPENDUID":
        parts = args.split()
        if len(parts) != 2:
            raise ParseError("Malformed APPENDUID")
        return AppendUidCode(name, args, to_int(parts[0]), SequenceSet.parse(parts[1]))
    if name == "COPYUID":
        parts = args.split()
        if len(parts) != 3:
            raise ParseError("Malformed COPYUID")
        return CopyUidCode(
            name,
            args,
            to_int(parts[0]),
            SequenceSet.parse(parts[1]),
            SequenceSet.parse(parts[2]),
        )
    if name == "MODIFIED":
        return ModifiedCode(name, args, SequenceSet.parse(args.strip()))
    if name == "PERMANENTFLAGS":
        tokens = _code_tokens(args_b)
        if len(tokens) != 1 or not isinstance(tokens[0], list):
            raise ParseError("Malformed PERMANENTFLAGS")
        return PermanentFlagsCode(name, args, _atoms(tokens[0]))
    if name == "CAPABILITY":
        return CapabilityCode(name, args, frozenset(c.upper() for c in args.split()))
    if name == "BADCHARSET":
        tokens = _code_tokens(args_b)
        if len(tokens) != 1 or not isinstance(tokens[0], list):
            raise ParseError("Malformed BADCHARSET")
        return BadCharsetCode(
            name, args, tuple(_name_bytes(t).decode("latin-1") for t in tokens[0])
        )
    return ResponseCode(name, args)


def _resp_text(raw: bytes, pos: int, eol: int) -> tuple[ResponseCode | None, str]:
    code = None
    if raw.startswith(b"[", pos):
        close = raw.find(b"]", pos, eol)
        if close >= 0:
            code = _parse_code(raw[pos + 1 : close])
            pos = close + 1
            if raw.startswith(b" ", pos):
                pos += 1
    return code, raw[pos:eol].decode("utf-8", "replace")


def _single_line(raw: bytes, eol: int) -> None:
    if eol + 2 != len(raw):
        raise ParseError(f"Unexpected data after a status response: {_snippet(raw)}")


# --- untagged data -----------------------------------------------------------------------------


class _Context:
    __slots__ = ("max_depth", "prepare_fetch", "utf8")

    def __init__(self, utf8: bool, max_depth: int) -> None:
        self.utf8 = utf8
        self.max_depth = max_depth
        self.prepare_fetch: FetchPreparer = build_fetch


def _list(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    if len(tokens) < 3 or not isinstance(tokens[0], list):
        raise ParseError(f"Malformed {name} response: {_snippet(raw)}")
    delimiter = tokens[1]
    if isinstance(delimiter, list):
        raise ParseError(f"Malformed {name} delimiter: {_snippet(raw)}")
    raw_name = _name_bytes(tokens[2])
    text, valid = decode_name(raw_name, utf8=ctx.utf8)
    extended: list[tuple[str, Any]] = []
    if len(tokens) > 3:
        ext = tokens[3]
        if len(tokens) > 4 or not isinstance(ext, list) or len(ext) % 2:
            raise ParseError(f"Malformed {name} extended data: {_snippet(raw)}")
        it = iter(ext)
        for key, value in zip(it, it, strict=True):
            extended.append((_name_bytes(key).decode("latin-1").upper(), freeze(value)))
    return ListResponse(
        name,
        _atoms(tokens[0]),
        None if delimiter is None else _name_bytes(delimiter).decode("utf-8", "replace"),
        text,
        raw_name,
        valid,
        tuple(extended),
        raw,
    )


def _status(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    if len(tokens) != 2 or not isinstance(tokens[1], list) or len(tokens[1]) % 2:
        raise ParseError(f"Malformed STATUS response: {_snippet(raw)}")
    raw_name = _name_bytes(tokens[0])
    it = iter(tokens[1])
    items = tuple((_atoms((k,))[0].upper(), to_int(v)) for k, v in zip(it, it, strict=True))
    return MailboxStatusResponse(decode_name(raw_name, utf8=ctx.utf8)[0], raw_name, items, raw)


def _search(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    modseq = None
    if tokens and isinstance(tokens[-1], list):
        tail = tokens.pop()
        if len(tail) != 2 or _atoms(tail[:1])[0].upper() != "MODSEQ":
            raise ParseError(f"Malformed SEARCH response: {_snippet(raw)}")
        modseq = to_int(tail[1])
    return SearchResponse(tuple(to_int(t) for t in tokens), modseq, raw)


def _esearch(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    tag = None
    i = 0
    if tokens and isinstance(tokens[0], list):
        corr = tokens[0]
        if len(corr) != 2 or _atoms(corr[:1])[0].upper() != "TAG":
            raise ParseError(f"Malformed ESEARCH correlator: {_snippet(raw)}")
        tag = _name_bytes(corr[1]).decode("latin-1")
        i = 1
    uid = False
    if i < len(tokens) and isinstance(tokens[i], str) and tokens[i].upper() == "UID":
        uid = True
        i += 1
    rest = tokens[i:]
    if len(rest) % 2:
        raise ParseError(f"Malformed ESEARCH response: {_snippet(raw)}")
    found: dict[str, Any] = {}
    extra: list[tuple[str, Any]] = []
    it = iter(rest)
    for key, value in zip(it, it, strict=True):
        k = _atoms((key,))[0].upper()
        if k in ("MIN", "MAX", "COUNT", "MODSEQ"):
            found[k] = to_int(value)
        elif k == "ALL":
            found[k] = SequenceSet.parse(_name_bytes(value))
        else:
            extra.append((k, freeze(value)))
    return ESearchResponse(
        tag,
        uid,
        found.get("MIN"),
        found.get("MAX"),
        found.get("COUNT"),
        found.get("ALL"),
        found.get("MODSEQ"),
        tuple(extra),
        raw,
    )


def _capability(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    caps = frozenset(a.upper() for a in _atoms(tokens))
    if name == "ENABLED":
        return EnabledResponse(caps, raw)
    return CapabilityResponse(caps, raw)


def _flags_response(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    if len(tokens) != 1 or not isinstance(tokens[0], list):
        raise ParseError(f"Malformed FLAGS response: {_snippet(raw)}")
    return FlagsResponse(_atoms(tokens[0]), raw)


def _vanished(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    earlier = False
    if tokens and isinstance(tokens[0], list):
        if [t.upper() if isinstance(t, str) else t for t in tokens[0]] != ["EARLIER"]:
            raise ParseError(f"Malformed VANISHED response: {_snippet(raw)}")
        earlier = True
        tokens = tokens[1:]
    if len(tokens) != 1:
        raise ParseError(f"Malformed VANISHED response: {_snippet(raw)}")
    return VanishedResponse(SequenceSet.parse(_name_bytes(tokens[0])), earlier, raw)


def _id(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    if tokens == [None]:
        return IdResponse(None, raw)
    if len(tokens) != 1 or not isinstance(tokens[0], list) or len(tokens[0]) % 2:
        raise ParseError(f"Malformed ID response: {_snippet(raw)}")
    it = iter(tokens[0])
    fields = tuple(
        (
            _name_bytes(k).decode("utf-8", "replace"),
            None if v is None else _name_bytes(v).decode("utf-8", "replace"),
        )
        for k, v in zip(it, it, strict=True)
    )
    return IdResponse(fields, raw)


def _namespace(raw: bytes, tokens: list[Any], name: str, ctx: _Context) -> Response:
    if len(tokens) != 3:
        raise ParseError(f"Malformed NAMESPACE response: {_snippet(raw)}")
    groups: list[tuple[tuple[str, str | None], ...]] = []
    for group in tokens:
        if group is None:
            groups.append(())
            continue
        if not isinstance(group, list):
            raise ParseError(f"Malformed NAMESPACE response: {_snippet(raw)}")
        entries = []
        for entry in group:
            if not isinstance(entry, list) or len(entry) < 2:
                raise ParseError(f"Malformed NAMESPACE response: {_snippet(raw)}")
            prefix = decode_name(_name_bytes(entry[0]), utf8=ctx.utf8)[0]
            delim = None if entry[1] is None else _name_bytes(entry[1]).decode("latin-1")
            entries.append((prefix, delim))
        groups.append(tuple(entries))
    return NamespaceResponse(groups[0], groups[1], groups[2], raw)


_Handler = Callable[[bytes, list[Any], str, _Context], Response]
_UNTAGGED: dict[bytes, _Handler] = {
    b"CAPABILITY": _capability,
    b"ENABLED": _capability,
    b"FLAGS": _flags_response,
    b"LIST": _list,
    b"LSUB": _list,
    b"XLIST": _list,
    b"STATUS": _status,
    b"SEARCH": _search,
    b"ESEARCH": _esearch,
    b"VANISHED": _vanished,
    b"ID": _id,
    b"NAMESPACE": _namespace,
}


def _unknown(raw: bytes, name: str, number: int | None, start: int, ctx: _Context) -> Response:
    try:
        tokens: tuple[Any, ...] | None = freeze(tokenize(raw, start, ctx.max_depth))
    except (ParseError, LimitExceededError):
        tokens = None
    return UnknownResponse(name, number, tokens, raw)


def _untagged(raw: bytes, eol: int, ctx: _Context) -> Response:
    sp = raw.find(b" ", 2, eol)
    word_end = eol if sp < 0 else sp
    data_start = eol if sp < 0 else sp + 1
    word = raw[2:word_end]
    if word.isdigit():
        if len(word) > 10:
            raise ParseError(f"Message number too large: {_snippet(raw)}")
        number = int(word)
        sp = raw.find(b" ", data_start, eol)
        name_end = eol if sp < 0 else sp
        name_b = raw[data_start:name_end].upper()
        rest = eol if sp < 0 else sp + 1
        if name_b == b"FETCH":
            prepare = ctx.prepare_fetch
            if prepare is not build_fetch:
                # A bulk header sync: its regular answers are taken in one match.
                items = header_fetch_items(raw, rest, ctx.max_depth)
                if items is not None:
                    return prepare(number, items, raw)
            tokens = tokenize(raw, rest, ctx.max_depth)
            if len(tokens) != 1:
                raise ParseError(f"Malformed FETCH response: {_snippet(raw)}")
            return ctx.prepare_fetch(number, tokens[0], raw)
        if name_b in (b"EXISTS", b"RECENT", b"EXPUNGE"):
            if name_end != eol or eol + 2 != len(raw):
                raise ParseError(f"Unexpected data in {name_b.decode()}: {_snippet(raw)}")
            if name_b == b"EXISTS":
                return ExistsResponse(number, raw)
            if name_b == b"RECENT":
                return RecentResponse(number, raw)
            return ExpungeResponse(number, raw)
        return _unknown(raw, name_b.decode("latin-1"), number, rest, ctx)
    name_b = word.upper()
    status = _STATUS_WORDS.get(name_b)
    if status is not None:
        _single_line(raw, eol)
        code, text = _resp_text(raw, data_start, eol)
        return UntaggedStatus(status, code, text, raw)
    handler = _UNTAGGED.get(name_b)
    name = name_b.decode("latin-1")
    if handler is None:
        return _unknown(raw, name, None, data_start, ctx)
    return handler(raw, tokenize(raw, data_start, ctx.max_depth), name, ctx)


def _parse(raw: bytes, ctx: _Context) -> Response:
    if not raw.endswith(b"\r\n"):
        raise ParseError(f"IMAP response does not end with CRLF: {_snippet(raw)}")
    eol = raw.find(b"\r\n")
    if raw.startswith(b"+"):
        _single_line(raw, eol)
        rest = raw[1:eol]
        return ContinuationRequest(rest[1:] if rest.startswith(b" ") else rest, raw)
    if raw.startswith(b"* "):
        return _untagged(raw, eol, ctx)
    sp = raw.find(b" ", 0, eol)
    if sp <= 0 or not _TAG.fullmatch(raw, 0, sp):
        raise ParseError(f"Not an IMAP response: {_snippet(raw)}")
    sp2 = raw.find(b" ", sp + 1, eol)
    word_end = eol if sp2 < 0 else sp2
    status = _STATUS_WORDS.get(raw[sp + 1 : word_end].upper())
    if status not in _TAGGED_STATUS or status is None:
        raise ParseError(f"Tagged IMAP response without OK/NO/BAD: {_snippet(raw)}")
    _single_line(raw, eol)
    code, text = _resp_text(raw, eol if sp2 < 0 else sp2 + 1, eol)
    return TaggedResponse(raw[:sp].decode("latin-1"), status, code, text, raw)


class ResponseParser:
    """Parsing options for one connection.

    Set `utf8` once UTF8=ACCEPT is enabled (mailbox names are then UTF-8, not modified
    UTF-7)."""

    def __init__(self, *, utf8: bool = False, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self._ctx = _Context(utf8, max_depth)

    @property
    def utf8(self) -> bool:
        return self._ctx.utf8

    @utf8.setter
    def utf8(self, value: bool) -> None:
        self._ctx.utf8 = value

    @property
    def prepare_fetch(self) -> FetchPreparer:
        """What FETCH responses are built with: build_fetch, or a caller's FetchPreparer
        (a bulk header sync making its store rows in the parse pass)."""
        return self._ctx.prepare_fetch

    @prepare_fetch.setter
    def prepare_fetch(self, value: FetchPreparer | None) -> None:
        self._ctx.prepare_fetch = build_fetch if value is None else value

    def parse(self, raw: bytes) -> Response:
        return _parse(raw, self._ctx)

    def parse_many(self, raws: Iterable[bytes]) -> list[Response]:
        """Parse a batch with the cyclic garbage collector paused.

        The responses create many small objects and no cycles; letting the collector walk
        them again and again was the largest cost in measurements. Keep batches bounded
        (a few thousand) so the event loop gets its turn between them."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            return [_parse(raw, self._ctx) for raw in raws]
        finally:
            if enabled:
                gc.enable()


def parse_response(
    raw: bytes, *, utf8: bool = False, max_depth: int = DEFAULT_MAX_DEPTH
) -> Response:
    """One response (as ResponseFramer returned it, CRLF included) -> typed value."""
    return _parse(raw, _Context(utf8, max_depth))


def parse_many(raws: Iterable[bytes], *, utf8: bool = False) -> list[Response]:
    """Several responses, with the garbage collector paused (see ResponseParser.parse_many)."""
    return ResponseParser(utf8=utf8).parse_many(raws)
