"""Typed FETCH data from tokens: message attributes, ENVELOPE and BODYSTRUCTURE.

Imports: the standard library, mailapp.core and this package's lexer and types modules only.

BODYSTRUCTURE trees are built without recursion: the nodes are listed parent-first, then
built in reverse order so every child exists before its parent.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from mailapp.core.errors import ParseError
from mailapp.protocols.imap.lexer import freeze
from mailapp.protocols.imap.types import (
    Address,
    BodyPart,
    BodySection,
    BodyStructure,
    Disposition,
    Envelope,
    FetchResponse,
    Multipart,
)

__all__ = ["build_body_structure", "build_envelope", "build_fetch", "to_int"]

_MAX_NUMBER_DIGITS = 20  # 64-bit MODSEQ values and Gmail ids fit; longer is garbage
_SECTION = re.compile(r"([A-Za-z0-9.]+)\[([^\]]*)\](?:<(\d{1,20})>)?")


def to_int(value: Any) -> int:
    """A number token (an atom; a quoted number is accepted too) as int."""
    if value.__class__ is str and value.isdigit() and value.isascii() and len(value) <= 20:
        return int(value)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_NUMBER_DIGITS
        and value.isascii()
        and value.isdigit()
    ):
        return int(value)
    raise ParseError(f"Expected a number in IMAP response, got {value!r}")


def _nbytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):  # an atom where a string belongs: lenient, lossless
        return value.encode("latin-1")
    raise ParseError(f"Expected a string or NIL in IMAP response, got a list: {value!r}")


def _nstr(value: Any) -> str | None:
    if value is None:
        return None
    if value.__class__ is bytes:
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, str):
        return value
    raise ParseError(f"Expected a string or NIL in IMAP response, got a list: {value!r}")


def _str(value: Any) -> str:
    text = _nstr(value)
    if text is None:
        raise ParseError("Expected a string in IMAP response, got NIL")
    return text


def _addresses(value: Any) -> tuple[Address, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ParseError(f"Expected an address list in ENVELOPE, got {value!r}")
    out = []
    for a in value:
        if a.__class__ is not list or len(a) != 4:
            raise ParseError(f"Malformed address in ENVELOPE: {a!r}")
        name, adl, mailbox, host = a
        if (
            (name is None or name.__class__ is bytes)
            and adl is None
            and (mailbox is None or mailbox.__class__ is bytes)
            and (host is None or host.__class__ is bytes)
        ):
            out.append(Address(name, adl, mailbox, host))
        else:
            out.append(Address(_nbytes(name), _nbytes(adl), _nbytes(mailbox), _nbytes(host)))
    return tuple(out)


def build_envelope(value: Any) -> Envelope:
    if not isinstance(value, list) or len(value) < 10:
        raise ParseError(f"Malformed ENVELOPE: {value!r}")
    from_ = _addresses(value[2])
    # Sender and Reply-To default to From (RFC 3501 7.4.2), so servers usually repeat it:
    # equal tokens give equal (immutable) addresses, built once.
    sender = from_ if value[3] == value[2] else _addresses(value[3])
    reply_to = from_ if value[4] == value[2] else _addresses(value[4])
    return Envelope(
        _nbytes(value[0]),
        _nbytes(value[1]),
        from_,
        sender,
        reply_to,
        _addresses(value[5]),
        _addresses(value[6]),
        _addresses(value[7]),
        _nbytes(value[8]),
        _nbytes(value[9]),
    )


def _params(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if value.__class__ is list and len(value) == 2:
        key, val = value
        if key.__class__ is bytes and val.__class__ is bytes:
            return (
                (key.decode("utf-8", "surrogateescape"), val.decode("utf-8", "surrogateescape")),
            )
    if not isinstance(value, list) or len(value) % 2:
        raise ParseError(f"Malformed body parameter list: {value!r}")
    it = iter(value)
    return tuple((_str(k), _nstr(v) or "") for k, v in zip(it, it, strict=True))


def _disposition(value: Any) -> Disposition | None:
    if value is None:
        return None
    if isinstance(value, bytes | str):  # seen from old servers: the bare type
        return Disposition(_str(value), ())
    if not isinstance(value, list) or not value:
        raise ParseError(f"Malformed body disposition: {value!r}")
    return Disposition(_str(value[0]), _params(value[1]) if len(value) > 1 else ())


def _language(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(_str(v) for v in value)
    return (_str(value),)


def _is_lower(value: Any, *names: bytes) -> bool:
    if value.__class__ is bytes:
        return value.lower() in names
    if isinstance(value, str):
        return value.encode("latin-1").lower() in names
    return False


def _is_message(node: list[Any]) -> bool:
    return (
        len(node) > 9
        and _is_lower(node[0], b"message")
        and _is_lower(node[1], b"rfc822", b"global")
        and isinstance(node[7], list)
        and isinstance(node[8], list)
    )


def _extension(node: list[Any], i: int) -> tuple[Any, Any, Any, list[Any]]:
    """disposition, language, location, rest starting at node[i]."""
    n = len(node)
    return (
        node[i] if i < n else None,
        node[i + 1] if i + 1 < n else None,
        node[i + 2] if i + 2 < n else None,
        node[i + 3 :],
    )


def _build_part(node: list[Any], built: dict[int, BodyStructure]) -> BodyStructure:
    if isinstance(node[0], list):
        k = 0
        while k < len(node) and isinstance(node[k], list):
            k += 1
        if k >= len(node):
            raise ParseError("Multipart BODYSTRUCTURE without a subtype")
        parts = tuple(built[id(child)] for child in node[:k])
        params = _params(node[k + 1]) if k + 1 < len(node) else ()
        disp, lang, loc, rest = _extension(node, k + 2)
        return Multipart(
            parts,
            _str(node[k]),
            params,
            _disposition(disp),
            _language(lang),
            _nstr(loc),
            freeze(rest) if rest else (),
        )
    n = len(node)
    if n < 7:
        raise ParseError(f"BODYSTRUCTURE part has too few fields: {node!r}")
    lines = None
    envelope = None
    body = None
    value = node[0]
    major = value.decode("utf-8", "surrogateescape") if value.__class__ is bytes else _str(value)
    if major.lower() == "text":
        if n > 7:
            lines = to_int(node[7])
        i = 8
    elif _is_message(node):
        envelope = build_envelope(node[7])
        body = built[id(node[8])]
        lines = to_int(node[9])
        i = 10
    else:
        i = 7
    # The common values (strings, NIL) are converted inline: this runs for every part of
    # every message of a header sync.
    value = node[1]
    subtype = value.decode("utf-8", "surrogateescape") if value.__class__ is bytes else _str(value)
    md5 = node[i] if i < n else None
    disp = node[i + 1] if i + 1 < n else None
    lang = node[i + 2] if i + 2 < n else None
    loc = node[i + 3] if i + 3 < n else None
    rest = node[i + 4 :]
    return BodyPart(
        major,
        subtype,
        _params(node[2]),
        None if node[3] is None else _nstr(node[3]),
        None if node[4] is None else _nstr(node[4]),
        _nstr(node[5]),
        to_int(node[6]),
        lines,
        envelope,
        body,
        None if md5 is None else _nstr(md5),
        None if disp is None else _disposition(disp),
        None if lang is None else _language(lang),
        None if loc is None else _nstr(loc),
        freeze(rest) if rest else (),
    )


def build_body_structure(value: Any) -> BodyStructure:
    """BODY or BODYSTRUCTURE tokens -> typed tree, iteratively."""
    if not isinstance(value, list) or not value:
        raise ParseError(f"Malformed BODYSTRUCTURE: {value!r}")
    if not isinstance(value[0], list) and not _is_message(value):
        return _build_part(value, {})  # a single part: nothing to order
    order: list[list[Any]] = []
    todo: list[Any] = [value]
    while todo:
        node = todo.pop()
        if not isinstance(node, list) or not node:
            raise ParseError(f"Malformed BODYSTRUCTURE part: {node!r}")
        order.append(node)
        if isinstance(node[0], list):
            for child in node:
                if not isinstance(child, list):
                    break
                todo.append(child)
        elif _is_message(node):
            todo.append(node[8])
    built: dict[int, BodyStructure] = {}
    for node in reversed(order):
        built[id(node)] = _build_part(node, built)
    return built[id(value)]


def _flags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ParseError(f"Expected a flag list, got {value!r}")
    flags = tuple(value)
    for f in flags:
        if f.__class__ is not str:
            # NIL here is a keyword spelled N-I-L, not an absent value.
            return tuple("NIL" if f is None else _str(f) for f in flags)
    return flags


def _parse_section_item(name: str) -> tuple[str, str, int | None]:
    """ "BODY[HEADER.FIELDS (X)]<0>" -> ("BODY", "HEADER.FIELDS (X)", 0)."""
    m = _SECTION.fullmatch(name)
    if m is None:
        raise ParseError(f"Malformed FETCH section item: {name!r}")
    return m.group(1).upper(), m.group(2), int(m.group(3)) if m.group(3) else None


# A header sync sends the same section item with every message: kept per name, for names
# of a sensible length only (the cache must not hold a hostile server's megabyte atoms).
_cached_section_item = functools.lru_cache(maxsize=256)(_parse_section_item)
_CACHED_NAME_LENGTH = 256


def _section_item(name: str) -> tuple[str, str, int | None]:
    if len(name) > _CACHED_NAME_LENGTH:
        return _parse_section_item(name)
    return _cached_section_item(name)


def build_fetch(seq: int, items: Any, raw: bytes) -> FetchResponse:
    if not isinstance(items, list) or len(items) % 2:
        raise ParseError(f"Malformed FETCH data: {raw[:200]!r}")
    uid = flags = modseq = size = internaldate = envelope = body = None
    body_structure: BodyStructure | None = None
    sections: list[BodySection] = []
    binary_sizes: list[tuple[str, int]] = []
    extras: list[tuple[str, Any]] = []
    it = iter(items)
    for name, value in zip(it, it, strict=True):
        if not isinstance(name, str):
            raise ParseError(f"FETCH item name is not an atom: {name!r}")
        key = name.upper()
        if key == "UID":
            uid = to_int(value)
        elif key == "FLAGS":
            flags = _flags(value)
        elif key == "RFC822.SIZE":
            size = to_int(value)
        elif key == "ENVELOPE":
            envelope = build_envelope(value)
        elif key == "BODYSTRUCTURE":
            body_structure = build_body_structure(value)
        elif key == "MODSEQ":
            if not isinstance(value, list) or len(value) != 1:
                raise ParseError(f"Malformed MODSEQ in FETCH: {value!r}")
            modseq = to_int(value[0])
        elif key == "INTERNALDATE":
            internaldate = _nstr(value)
        elif key == "BODY" and isinstance(value, list):
            body = build_body_structure(value)
        elif key in ("RFC822", "RFC822.HEADER", "RFC822.TEXT"):
            sections.append(BodySection(key, "", None, _nbytes(value)))
        elif "[" in key:
            kind, section, origin = _section_item(name)
            if kind == "BINARY.SIZE":
                binary_sizes.append((section, to_int(value)))
            else:
                sections.append(BodySection(kind, section, origin, _nbytes(value)))
        else:
            extras.append((key, freeze(value)))
    return FetchResponse(
        seq,
        uid,
        flags,
        modseq,
        size,
        internaldate,
        envelope,
        body_structure if body_structure is not None else body,
        tuple(sections),
        tuple(binary_sizes),
        tuple(extras),
        raw,
    )
