"""Reading a read receipt's machine part (RFC 8098 message/disposition-notification).

Imports: the standard library and sibling report modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailapp.protocols.reports import fields
from mailapp.protocols.reports.model import Disposition, RecipientReport

_COMMENT_RE = re.compile(r"\([^()]*\)")


@dataclass(frozen=True, slots=True)
class Notification:
    reporting_ua: str | None
    original_message_id: str | None
    recipient: RecipientReport | None
    disposition: Disposition | None


def parse_disposition(raw: str) -> Disposition:
    """'manual-action/MDN-sent-manually; displayed/error' -> mode, type and modifiers."""
    text = " ".join(_COMMENT_RE.sub(" ", raw).split())
    mode_part, sep, type_part = text.partition(";")
    if not sep:
        mode_part, type_part = "", text
    mode = "".join(mode_part.split()).lower() or None
    kind, _slash, modifiers = type_part.strip().partition("/")
    return Disposition(
        raw=" ".join(raw.split()),
        mode=mode,
        type=kind.strip().lower() or None,
        modifiers=tuple(m.strip().lower() for m in modifiers.split(",") if m.strip()),
    )


def parse(text: str) -> Notification:
    values: dict[str, str] = {}
    for block in fields.field_blocks(text):
        for name, value in block:
            values.setdefault(name, value)
    final = fields.recipient_value(values.get("final-recipient"))
    original = fields.recipient_value(values.get("original-recipient"))
    recipient = None
    if final or original:
        recipient = RecipientReport(recipient=final or original, original_recipient=original)
    raw_disposition = values.get("disposition")
    return Notification(
        reporting_ua=values.get("reporting-ua") or None,
        original_message_id=fields.message_id(values.get("original-message-id")),
        recipient=recipient,
        disposition=parse_disposition(raw_disposition) if raw_disposition else None,
    )
