"""Reading an abuse/complaint feedback report (RFC 5965 message/feedback-report fields).

Imports: the standard library and sibling report modules.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailapp.protocols.reports import fields


@dataclass(frozen=True, slots=True)
class Feedback:
    feedback_type: str | None
    original_recipients: tuple[str, ...]
    reporting_mta: str | None
    arrival_date: str | None


def parse(text: str) -> Feedback:
    values: dict[str, str] = {}
    recipients: list[str] = []
    for block in fields.field_blocks(text):
        for name, value in block:
            if name in ("original-rcpt-to", "removal-recipient"):
                addr = fields.recipient_value(value)
                if addr and addr not in recipients and name == "original-rcpt-to":
                    recipients.append(addr)
            values.setdefault(name, value)
    feedback_type = values.get("feedback-type")
    return Feedback(
        feedback_type=feedback_type.strip().lower() if feedback_type else None,
        original_recipients=tuple(recipients),
        reporting_mta=fields.typed_value(values.get("reporting-mta")),
        arrival_date=values.get("arrival-date") or values.get("received-date"),
    )
