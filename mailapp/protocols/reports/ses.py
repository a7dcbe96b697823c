"""Amazon SES event notifications (JSON in a plain mail): bounce, complaint, delivery.

Imports: the standard library and sibling report modules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mailapp.protocols.reports import fields
from mailapp.protocols.reports.dsn import action_from_status, parse_action
from mailapp.protocols.reports.model import DeliveryAction, RecipientReport, ReportKind

# SNS wraps lines longer than the mail limit as "!\n ".
_WRAP_RE = re.compile(r"!\n ")


@dataclass(frozen=True, slots=True)
class Notification:
    kind: ReportKind
    recipients: tuple[RecipientReport, ...]
    reporting_mta: str | None
    feedback_type: str | None


def _load(text: str) -> dict[str, Any] | None:
    text = _WRAP_RE.sub("", text)
    start = text.find("{")
    if start < 0:
        return None
    try:
        data, _end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "notificationType" not in data and isinstance(data.get("Message"), str):
        try:
            inner = json.loads(data["Message"])
        except ValueError:
            return None
        data = inner if isinstance(inner, dict) else {}
    return data if isinstance(data.get("notificationType"), str) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def parse(text: str) -> Notification | None:
    """The notification in `text`, or None when it is not one."""
    if "notificationType" not in text:
        return None
    data = _load(text)
    if data is None:
        return None
    kind_name = data["notificationType"].lower()
    if kind_name == "bounce":
        bounce = _dict(data.get("bounce"))
        permanent = str(bounce.get("bounceType", "")).lower() == "permanent"
        recipients = []
        for item in _dicts(bounce.get("bouncedRecipients")):
            status = fields.status_code(_str(item.get("status")))
            action = parse_action(_str(item.get("action"))) or action_from_status(status)
            recipients.append(
                RecipientReport(
                    recipient=_str(item.get("emailAddress")),
                    action=action or (DeliveryAction.FAILED if permanent else None),
                    status=status,
                    diagnostic=fields.typed_value(_str(item.get("diagnosticCode"))),
                )
            )
        return Notification(
            ReportKind.BOUNCE,
            tuple(recipients),
            fields.typed_value(_str(bounce.get("reportingMTA"))),
            None,
        )
    if kind_name == "complaint":
        complaint = _dict(data.get("complaint"))
        return Notification(
            ReportKind.FEEDBACK,
            tuple(
                RecipientReport(recipient=_str(item.get("emailAddress")))
                for item in _dicts(complaint.get("complainedRecipients"))
            ),
            None,
            _str(complaint.get("complaintFeedbackType")),
        )
    if kind_name == "delivery":
        delivery = _dict(data.get("delivery"))
        reply = _str(delivery.get("smtpResponse"))
        raw_recipients = delivery.get("recipients")
        addresses = (
            [a for a in raw_recipients if isinstance(a, str)]
            if isinstance(raw_recipients, list)
            else []
        )
        return Notification(
            ReportKind.DSN,
            tuple(
                RecipientReport(
                    recipient=addr,
                    action=DeliveryAction.DELIVERED,
                    status=fields.status_code(reply),
                    diagnostic=reply,
                )
                for addr in addresses
            ),
            fields.typed_value(_str(delivery.get("reportingMTA"))),
            None,
        )
    return None
