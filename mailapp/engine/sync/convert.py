"""Turning FETCH answers into store rows: headers from ENVELOPE, flags, attachment hints.

Imports: protocols.imap, store.messages and the stdlib. Pure functions (run in worker
threads during sync).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mailapp.protocols.imap import (
    Address,
    BodyStructure,
    FetchResponse,
    HeaderFetchItems,
    Multipart,
    PreparedFetch,
    build_fetch,
    decode_encoded_words,
    parse_header_date,
    parse_internaldate,
)
from mailapp.store.messages import (
    FlagUpdate,
    MessageFlag,
    NewMessage,
    RowValues,
    flags_from_imap,
    sender_sort_key,
    subject_sort_key,
    thread_key_for,
)

# What a header sync asks for; MODSEQ is added when CONDSTORE is on.
REFERENCES_SECTION = "HEADER.FIELDS (REFERENCES)"
HEADER_ITEMS: tuple[str, ...] = (
    "UID",
    "FLAGS",
    "RFC822.SIZE",
    "INTERNALDATE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    f"BODY.PEEK[{REFERENCES_SECTION}]",
)
_MSG_ID = re.compile(rb"<[^<>\s]+>")
_NOT_FILES = ("text", "multipart", "message")
# A mailbox has few distinct flag sets; the split is pure, so it is kept per set (short
# sets only: the cache must not hold whatever a hostile server sends).
_cached_flags = functools.lru_cache(maxsize=1024)(flags_from_imap)
_CACHED_FLAGS = 16
_CACHED_FLAGS_LENGTH = 512


def _flags_from_imap(flags: tuple[str, ...]) -> tuple[MessageFlag, tuple[str, ...]]:
    if len(flags) > _CACHED_FLAGS or sum(map(len, flags)) > _CACHED_FLAGS_LENGTH:
        return flags_from_imap(flags)
    return _cached_flags(flags)


def header_items(condstore: bool, *, with_body: bool = False) -> list[str]:
    items = list(HEADER_ITEMS)
    if condstore:
        items.append("MODSEQ")
    if with_body:
        items.append("BODY.PEEK[]")
    return items


def _ids(raw: bytes | None) -> list[str]:
    if not raw:
        return []
    return [m.decode("utf-8", "replace") for m in _MSG_ID.findall(raw)]


def address_list(addresses: Iterable[Address]) -> str:
    """ "Name <mailbox@host>" (or whichever half is there) for each address, comma-separated.
    Group markers (RFC 3501: host NIL) name no one and are left out."""
    texts = []
    for a in addresses:
        host = a.host
        if host is None:
            continue
        mailbox = a.mailbox
        email = "" if mailbox is None else (mailbox + b"@" + host).decode("utf-8", "replace")
        name = "" if a.name is None else decode_encoded_words(a.name)
        if name and email:
            texts.append(f"{name} <{email}>")
        elif name or email:
            texts.append(name or email)
    return ", ".join(texts)


def has_attachment(body: BodyStructure | None) -> bool:
    """Whether any leaf part (enclosed messages included) is an attachment: a disposition
    of "attachment", or a file name on a part that is not text, multipart or message."""
    if body is None:
        return False
    # The parts walk_body visits, without its section numbers (order does not matter here).
    todo: list[BodyStructure] = [body]
    while todo:
        part = todo.pop()
        if isinstance(part, Multipart):
            todo.extend(part.parts)
            continue
        disposition = part.disposition
        if disposition is not None and disposition.type.lower() == "attachment":
            return True
        if part.type.lower() not in _NOT_FILES and part.filename:
            return True
        if part.body is not None:
            todo.append(part.body)
    return False


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def new_message(fetch: FetchResponse, *, body_hash: str | None = None) -> NewMessage | None:
    """The row for a header FETCH; None when the server left out the UID."""
    if fetch.uid is None:
        return None
    bits, keywords = _flags_from_imap(fetch.flags or ())
    envelope = fetch.envelope
    internal = _aware(fetch.internal_datetime) or datetime.now(UTC)
    if envelope is None:
        return NewMessage(
            uid=fetch.uid,
            internal_date=internal,
            size=fetch.rfc822_size or 0,
            flags=bits,
            keywords=keywords,
            modseq=fetch.modseq,
            has_attachment=has_attachment(fetch.body_structure),
            body_hash=body_hash,
        )
    sender = envelope.from_[0] if envelope.from_ else None
    message_ids = _ids(envelope.message_id)
    parents = _ids(envelope.in_reply_to)
    return NewMessage(
        uid=fetch.uid,
        internal_date=internal,
        size=fetch.rfc822_size or 0,
        flags=bits,
        keywords=keywords,
        modseq=fetch.modseq,
        date=_aware(envelope.date_parsed),
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=parents[0] if parents else None,
        references=tuple(_ids(fetch.section(REFERENCES_SECTION))),
        subject=envelope.subject_text or "",
        from_name=(sender.display_name or "") if sender else "",
        from_addr=(sender.email or "") if sender else "",
        to=address_list(envelope.to),
        cc=address_list(envelope.cc),
        has_attachment=has_attachment(fetch.body_structure),
        body_hash=body_hash,
    )


def flag_update(fetch: FetchResponse) -> FlagUpdate | None:
    if fetch.uid is None or fetch.flags is None:
        return None
    bits, keywords = flags_from_imap(fetch.flags)
    return FlagUpdate(fetch.uid, bits, keywords, fetch.modseq)


# --- the bulk header sync's fast path ------------------------------------------------------
#
# header_values turns one header FETCH straight into its row values (store.messages
# row_values of new_message(build_fetch(...))) from the tokens, without the Envelope,
# Address and BodyPart objects (most of the parse time of a bulk sync, and most of the
# objects the garbage collector walks). It takes only the regular shapes servers send; for
# anything else (an item it does not know, an atom where a string belongs, message/*
# parts, an unreadable INTERNALDATE, malformed data) it hands the whole response to
# build_fetch, which builds it as usual or raises the usual error. tests compare both.

_BODY_REFERENCES = f"BODY[{REFERENCES_SECTION}]"
_NOT_FILE_BYTES = (b"text", b"multipart", b"message")


class _Unusual(Exception):
    """The response is not in the shape the fast path takes: build_fetch decides."""


def _number(value: Any) -> int:
    if value.__class__ is str and value.isdigit() and value.isascii() and len(value) <= 20:
        return int(value)
    raise _Unusual


def _nbytes(value: Any) -> bytes | None:
    if value is None or value.__class__ is bytes:
        return value
    raise _Unusual


def _address_values(value: Any) -> list[list[Any]]:
    """The address lists of an ENVELOPE field, checked to be plain (bytes or NIL each)."""
    if value is None:
        return []
    if value.__class__ is not list:
        raise _Unusual
    for a in value:
        if a.__class__ is not list or len(a) != 4:
            raise _Unusual
        name, adl, mailbox, host = a
        if not (
            (name is None or name.__class__ is bytes)
            and adl is None
            and (mailbox is None or mailbox.__class__ is bytes)
            and (host is None or host.__class__ is bytes)
        ):
            raise _Unusual
    return value


def _address_text(addresses: Iterable[list[Any]]) -> str:
    """address_list over the raw address tokens."""
    texts = []
    for name, _adl, mailbox, host in addresses:
        if host is None:
            continue
        email = "" if mailbox is None else (mailbox + b"@" + host).decode("utf-8", "replace")
        text = "" if name is None else decode_encoded_words(name)
        if text and email:
            texts.append(f"{text} <{email}>")
        elif text or email:
            texts.append(text or email)
    return ", ".join(texts)


def _param_value(params: Any, wanted: bytes) -> bytes | None:
    """The first parameter named `wanted` (lower case) of a checked parameter list."""
    if params is None:
        return None
    for i in range(0, len(params), 2):
        if params[i].lower() == wanted:
            value = params[i + 1]
            return b"" if value is None else value
    return None


def _check_params(value: Any) -> None:
    if value is None:
        return
    if value.__class__ is not list or len(value) % 2:
        raise _Unusual
    for i in range(0, len(value), 2):
        if value[i].__class__ is not bytes:
            raise _Unusual
        v = value[i + 1]
        if v is not None and v.__class__ is not bytes:
            raise _Unusual


def _check_extension(node: list[Any], i: int) -> tuple[bytes | None, Any]:
    """Checks the disposition, language and location from node[i]; returns the disposition
    type and its parameters."""
    n = len(node)
    disp = node[i] if i < n else None
    dtype: bytes | None = None
    dparams: Any = None
    if disp is not None:
        if disp.__class__ is bytes:
            dtype = disp
        elif disp.__class__ is list and disp and disp[0].__class__ is bytes:
            dtype = disp[0]
            if len(disp) > 1:
                dparams = disp[1]
                _check_params(dparams)
        else:
            raise _Unusual
    lang = node[i + 1] if i + 1 < n else None
    if lang is not None and lang.__class__ is not bytes:
        if lang.__class__ is not list:
            raise _Unusual
        for v in lang:
            if v.__class__ is not bytes:
                raise _Unusual
    loc = node[i + 2] if i + 2 < n else None
    if loc is not None and loc.__class__ is not bytes:
        raise _Unusual
    return dtype, dparams


def _has_attachment_tokens(value: Any) -> bool:
    """has_attachment over BODYSTRUCTURE tokens, checking the whole tree's shape."""
    found = False
    todo = [value]
    while todo:
        node = todo.pop()
        if node.__class__ is not list or not node:
            raise _Unusual
        n = len(node)
        if node[0].__class__ is list:
            k = 0
            while k < n and node[k].__class__ is list:
                todo.append(node[k])
                k += 1
            if k >= n or node[k].__class__ is not bytes:
                raise _Unusual
            if k + 1 < n:
                _check_params(node[k + 1])
            _check_extension(node, k + 2)
            continue
        if n < 7:
            raise _Unusual
        major = node[0]
        if major.__class__ is not bytes or node[1].__class__ is not bytes:
            raise _Unusual
        major = major.lower()
        if major == b"text":
            if n > 7:
                _number(node[7])
            i = 8
        elif major == b"message":
            raise _Unusual  # enclosed messages: the general builder's job
        else:
            i = 7
        params = node[2]
        _check_params(params)
        if not (
            (node[3] is None or node[3].__class__ is bytes)
            and (node[4] is None or node[4].__class__ is bytes)
            and (node[5] is None or node[5].__class__ is bytes)
        ):
            raise _Unusual
        _number(node[6])
        md5 = node[i] if i < n else None
        if md5 is not None and md5.__class__ is not bytes:
            raise _Unusual
        dtype, dparams = _check_extension(node, i + 1)
        if found:
            continue
        if dtype is not None and dtype.lower() == b"attachment":
            found = True
        elif major not in _NOT_FILE_BYTES:
            name = _param_value(dparams, b"filename")
            if name is None:
                name = _param_value(params, b"name")
            if name is not None and decode_encoded_words(name):
                found = True
    return found


def _has_attachment_checked(value: list[Any]) -> bool:
    """_has_attachment_tokens over a BODYSTRUCTURE the lexer's expressions have read
    (HeaderFetchItems.body_checked): only what they leave open is checked here, the lines
    count where the general builder expects one and message/* parts."""
    found = False
    for node in value if value[0].__class__ is list else (value,):
        if node.__class__ is not list:
            break  # a multipart's own fields follow its parts
        major = node[0].lower()
        # The expressions allow a lines count on any part: a text part without one, or
        # another part with one, is not what the general builder reads (nor message/*).
        if len(node) != (12 if major == b"text" else 11) or major == b"message":
            raise _Unusual
        if found:
            continue
        disposition = node[-3]
        if disposition is not None and disposition[0].lower() == b"attachment":
            found = True
        elif major not in _NOT_FILE_BYTES:
            name = _param_value(None if disposition is None else disposition[1], b"filename")
            if name is None:
                name = _param_value(node[2], b"name")
            if name is not None and decode_encoded_words(name):
                found = True
    return found


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# The seconds since the epoch of the two date forms every header sync reads thousands of
# times, computed without a datetime: INTERNALDATE "01-Jan-2023 01:03:30 +0000" and the
# common Date "Sun, 01 Jan 2023 03:03:30 +0200" (the expressions of parse_internaldate and
# parse_header_date's quick form, in ASCII). Anything else, or a value the datetime would
# refuse, goes to those functions, so the answer is theirs in every case.
_INTERNAL_QUICK = re.compile(
    rb" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"
)
_DATE_QUICK = re.compile(
    rb"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) ([1-9]\d{3}) (\d{2}):(\d{2}):(\d{2}) "
    rb"([+-])(\d{2})(\d{2})"
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)
}
_EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()


@functools.lru_cache(maxsize=4096)
def _day_seconds(year: bytes, month_name: bytes, day: bytes) -> int | None:
    """Seconds from the epoch to the day's midnight UTC; None for no such day."""
    month = _MONTH_NUMBERS.get(month_name.lower())
    if month is None:
        return None
    try:
        ordinal = datetime(int(year), month, int(day)).toordinal()
    except ValueError:
        return None
    return (ordinal - _EPOCH_ORDINAL) * 86400


def _quick_epoch(m: re.Match[bytes]) -> int | None:
    """int(datetime(...).timestamp()) of a _INTERNAL_QUICK or _DATE_QUICK match, or None
    where that datetime (or its zone) would not exist."""
    day, month_name, year, hour, minute, second, sign, zone_h, zone_m = m.groups()
    midnight = _day_seconds(year, month_name, day)
    offset = int(zone_h) * 60 + int(zone_m)
    h, mi, sec = int(hour), int(minute), int(second)
    if midnight is None or offset >= 1440 or h > 23 or mi > 59 or sec > 59:
        return None
    if sign == b"-":
        offset = -offset
    return midnight + h * 3600 + mi * 60 + sec - offset * 60


def _internal_epoch(raw: bytes) -> int | None:
    """_epoch(parse_internaldate(...)) of an INTERNALDATE's bytes; None if unreadable."""
    m = _INTERNAL_QUICK.fullmatch(raw)
    quick = None if m is None else _quick_epoch(m)
    if quick is not None:
        return quick
    moment = parse_internaldate(raw.decode("utf-8", "surrogateescape"))
    return None if moment is None else _epoch(moment)


def _date_epoch(raw: bytes) -> int | None:
    """The epoch of parse_header_date(raw) (a naive result read as UTC), None if unreadable."""
    m = _DATE_QUICK.fullmatch(raw)
    if m is not None and not (m[7] == b"-" and m[8] == b"00" and m[9] == b"00"):
        quick = _quick_epoch(m)
        if quick is not None:
            return quick
    parsed = parse_header_date(raw)
    return None if parsed is None else _epoch(_aware(parsed) or parsed)


def header_values(seq: int, items: Any, raw: bytes) -> FetchResponse | PreparedFetch:
    """A FetchPreparer for header syncs: the row values of one `* n FETCH` answer to
    header_items(), as a PreparedFetch, or build_fetch's FetchResponse when the answer is
    not in the regular shape (see above). The values equal
    row_values(new_message(build_fetch(seq, items, raw)))."""
    try:
        return _header_values(seq, items, raw)
    except _Unusual:
        return build_fetch(seq, items, raw)


def _header_values(seq: int, items: Any, raw: bytes) -> PreparedFetch:
    if items.__class__ is HeaderFetchItems:
        return _checked_values(seq, items, raw)
    if items.__class__ is not list or len(items) % 2:
        raise _Unusual
    uid = flags = size = internal = envelope = structure = modseq = None
    refs: bytes | None = None
    seen_refs = False
    for i in range(0, len(items), 2):
        name = items[i]
        value = items[i + 1]
        if name == "UID":
            uid = value
        elif name == "FLAGS":
            flags = value
        elif name == "RFC822.SIZE":
            size = value
        elif name == "INTERNALDATE":
            internal = value
        elif name == "ENVELOPE":
            envelope = value
        elif name == "BODYSTRUCTURE":
            structure = value
        elif name == "MODSEQ":
            modseq = value
        elif name == _BODY_REFERENCES and not seen_refs:
            refs = _nbytes(value)
            seen_refs = True
        else:
            raise _Unusual
    if uid is None or envelope is None or flags is None or internal is None:
        raise _Unusual
    uid_number = _number(uid)
    if flags.__class__ is not list:
        raise _Unusual
    for f in flags:
        if f.__class__ is not str:
            raise _Unusual
    modseq_number = None
    if modseq is not None:
        if modseq.__class__ is not list or len(modseq) != 1:
            raise _Unusual
        modseq_number = _number(modseq[0])
    size_number = 0 if size is None else _number(size)
    if internal.__class__ is not bytes:
        raise _Unusual
    internal_epoch = _internal_epoch(internal)
    if internal_epoch is None:
        raise _Unusual  # the general path stamps it with the current time
    has_file = False if structure is None else _has_attachment_tokens(structure)
    # ENVELOPE, checked as build_envelope would (every address list, used or not).
    if envelope.__class__ is not list or len(envelope) < 10:
        raise _Unusual
    _nbytes(envelope[0])
    _nbytes(envelope[1])
    _address_values(envelope[2])
    if envelope[3] != envelope[2]:
        _address_values(envelope[3])
    if envelope[4] != envelope[2]:
        _address_values(envelope[4])
    _address_values(envelope[5])
    _address_values(envelope[6])
    _address_values(envelope[7])
    _nbytes(envelope[8])
    _nbytes(envelope[9])
    return _row(
        seq,
        raw,
        uid_number=uid_number,
        modseq_number=modseq_number,
        flags=flags,
        size_number=size_number,
        internal_epoch=internal_epoch,
        envelope=envelope,
        has_file=has_file,
        refs=refs,
    )


def _checked_values(seq: int, items: HeaderFetchItems, raw: bytes) -> PreparedFetch:
    """_header_values over header_fetch_items' answer, whose shape the lexer has checked."""
    flags = items[3]
    if None in flags:
        raise _Unusual  # an atom NIL among the flags
    internal_epoch = _internal_epoch(items[7])
    if internal_epoch is None:
        raise _Unusual
    if len(items) == 16:
        modseq_number: int | None = int(items[9][0])
        envelope, structure, refs = items[11], items[13], items[15]
    else:
        modseq_number = None
        envelope, structure, refs = items[9], items[11], items[13]
    if items.body_checked:
        has_file = _has_attachment_checked(structure)
    else:
        has_file = _has_attachment_tokens(structure)
    return _row(
        seq,
        raw,
        uid_number=int(items[1]),
        modseq_number=modseq_number,
        flags=flags,
        size_number=int(items[5]),
        internal_epoch=internal_epoch,
        envelope=envelope,
        has_file=has_file,
        refs=refs,
    )


def _row(
    seq: int,
    raw: bytes,
    *,
    uid_number: int,
    modseq_number: int | None,
    flags: list[str],
    size_number: int,
    internal_epoch: int,
    envelope: list[Any],
    has_file: bool,
    refs: bytes | None,
) -> PreparedFetch:
    """The PreparedFetch of checked values (the envelope's too)."""
    bits, keywords = _flags_from_imap(tuple(flags))
    date = envelope[0]
    subject = envelope[1]
    from_ = envelope[2] or ()
    message_ids = _ids(envelope[9])
    parents = _ids(envelope[8])
    date_epoch = None if date is None else _date_epoch(date)
    if date_epoch is None:
        date_epoch = internal_epoch
    from_name = from_addr = ""
    if from_:
        name, _adl, mailbox, host = from_[0]
        if name is not None:
            from_name = decode_encoded_words(name)
        if mailbox is not None and host is not None:
            from_addr = (mailbox + b"@" + host).decode("utf-8", "replace")
    subject_text = "" if subject is None else decode_encoded_words(subject)
    message_id = message_ids[0] if message_ids else None
    in_reply_to = parents[0] if parents else None
    references = _ids(refs)
    values: RowValues = (
        uid_number,
        modseq_number,
        int(bits),
        " ".join(keywords),
        internal_epoch,
        date_epoch,
        size_number,
        message_id,
        in_reply_to,
        " ".join(references),
        thread_key_for(message_id, in_reply_to, references),
        subject_text,
        from_name,
        from_addr,
        _address_text(envelope[5] or ()),
        _address_text(envelope[6] or ()),
        int(has_file),
        None,
        "",
        sender_sort_key(from_name, from_addr),
        subject_sort_key(subject_text),
    )
    return PreparedFetch(seq, uid_number, values, raw)
