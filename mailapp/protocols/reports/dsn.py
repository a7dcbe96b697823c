"""Reading the machine part of a DSN (RFC 3464, RFC 6533): per-message and per-recipient fields.

Imports: the standard library and sibling report modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mailapp.protocols.reports import fields
from mailapp.protocols.reports.model import DeliveryAction, RecipientReport

_MESSAGE_FIELDS = frozenset(
    {"original-envelope-id", "reporting-mta", "dsn-gateway", "received-from-mta", "arrival-date"}
)
# A repeat of one of these inside a block means the next recipient began without a blank line.
_RECIPIENT_KEYS = frozenset({"final-recipient", "original-recipient", "action", "status"})
_RECIPIENT_FIELDS = _RECIPIENT_KEYS | {
    "remote-mta",
    "diagnostic-code",
    "last-attempt-date",
    "final-log-id",
    "will-retry-until",
    "x-actual-recipient",
}
# Action values seen in the wild that are not RFC 3464's five, mapped to what they mean.
_ACTION_ALIASES = {
    "failure": DeliveryAction.FAILED,
    "fail": DeliveryAction.FAILED,
    "expired": DeliveryAction.FAILED,
    "bounced": DeliveryAction.FAILED,
    "deferred": DeliveryAction.DELAYED,
    "delay": DeliveryAction.DELAYED,
    "success": DeliveryAction.DELIVERED,
    "deliverable": DeliveryAction.DELIVERED,
}


@dataclass(slots=True)
class DeliveryStatus:
    envelope_id: str | None = None
    reporting_mta: str | None = None
    arrival_date: datetime | None = None
    recipients: list[RecipientReport] = field(default_factory=list)


def parse_action(value: str | None) -> DeliveryAction | None:
    if not value:
        return None
    word = value.split("(")[0].strip().lower().rstrip(".;")
    try:
        return DeliveryAction(word)
    except ValueError:
        return _ACTION_ALIASES.get(word)


def action_from_status(status: str | None) -> DeliveryAction | None:
    """Only for reports that state no Action: the status class is then the best hint."""
    if not status:
        return None
    return {
        "2": DeliveryAction.DELIVERED,
        "4": DeliveryAction.DELAYED,
        "5": DeliveryAction.FAILED,
    }.get(status[0])


def _recipient(values: dict[str, str]) -> RecipientReport:
    final = fields.recipient_value(values.get("final-recipient"))
    original = fields.recipient_value(values.get("original-recipient"))
    actual = fields.recipient_value(values.get("x-actual-recipient"))
    recipient = final
    if not fields.is_mail_address(recipient):
        recipient = next(
            (a for a in (original, actual) if fields.is_mail_address(a)), None
        ) or _address_inside(final)
    diagnostic = fields.typed_value(values.get("diagnostic-code"))
    status = fields.status_code(values.get("status")) or fields.status_code(diagnostic)
    # The stated Action wins (Postfix reports an expired message as "failed" with 4.4.1);
    # only a missing or unreadable one falls back to the status class.
    action = parse_action(values.get("action")) or action_from_status(status)
    return RecipientReport(
        recipient=recipient,
        original_recipient=original,
        action=action,
        status=status,
        diagnostic=diagnostic,
        remote_mta=fields.typed_value(values.get("remote-mta")),
        last_attempt_date=fields.date_value(values.get("last-attempt-date")),
    )


def _address_inside(value: str | None) -> str | None:
    if not value:
        return None
    found = fields.addresses_in(value)
    return found[0] if found else value


def parse(text: str) -> DeliveryStatus:
    """Fields of a message/delivery-status (or global-delivery-status) body."""
    result = DeliveryStatus()
    message: dict[str, str] = {}
    pending: list[dict[str, str]] = []
    for block in fields.field_blocks(text):
        current: dict[str, str] = {}
        for name, value in block:
            if name in _MESSAGE_FIELDS and not current:
                message.setdefault(name, value)
            elif name in _RECIPIENT_FIELDS:
                if name in _RECIPIENT_KEYS and name in current:
                    pending.append(current)
                    current = {}
                current.setdefault(name, value)
            elif name in _MESSAGE_FIELDS:
                message.setdefault(name, value)
        if current:
            pending.append(current)
    result.envelope_id = _envelope_id(message.get("original-envelope-id"))
    result.reporting_mta = fields.typed_value(message.get("reporting-mta"))
    result.arrival_date = fields.date_value(message.get("arrival-date"))
    result.recipients = [
        _recipient(values)
        for values in pending
        if any(k in values for k in ("final-recipient", "original-recipient", "action", "status"))
    ]
    return result


def _envelope_id(value: str | None) -> str | None:
    if not value:
        return None
    return fields.decode_xtext(value.strip()) or None
