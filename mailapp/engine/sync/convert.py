"""Turning FETCH answers into store rows: headers from ENVELOPE, flags, attachment hints.

Imports: protocols.imap, store.messages and the stdlib. Pure functions (run in worker
threads during sync).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from mailapp.protocols.imap import (
    Address,
    BodyPart,
    BodyStructure,
    FetchResponse,
    Multipart,
    walk_body,
)
from mailapp.store.messages import FlagUpdate, NewMessage, flags_from_imap

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


def _address_text(address: Address) -> str:
    email = address.email or ""
    name = address.display_name or ""
    if name and email:
        return f"{name} <{email}>"
    return name or email


def address_list(addresses: Iterable[Address]) -> str:
    return ", ".join(
        text
        for a in addresses
        if not a.is_group_start and not a.is_group_end and (text := _address_text(a))
    )


def has_attachment(body: BodyStructure | None) -> bool:
    if body is None:
        return False
    for _, part in walk_body(body):
        if isinstance(part, Multipart):
            continue
        assert isinstance(part, BodyPart)
        if part.disposition is not None and part.disposition.type.lower() == "attachment":
            return True
        if part.type.lower() not in ("text", "multipart", "message") and part.filename:
            return True
    return False


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def new_message(fetch: FetchResponse, *, body_hash: str | None = None) -> NewMessage | None:
    """The row for a header FETCH; None when the server left out the UID."""
    if fetch.uid is None:
        return None
    bits, keywords = flags_from_imap(fetch.flags or ())
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
