"""Values a parsed delivery report is made of: its kind, per-recipient outcomes, MDN disposition.

Imports: the standard library only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ReportKind(enum.StrEnum):
    """What a message turned out to be, as far as delivery tracking cares."""

    DSN = "dsn"  # multipart/report; report-type=delivery-status (RFC 3464 / 6533)
    MDN = "mdn"  # read receipt (RFC 8098)
    BOUNCE = "bounce"  # a non-standard failure or delay notice (Exim, qmail, Gmail, ...)
    FEEDBACK = "feedback"  # ARF abuse/complaint report (RFC 5965): not a bounce
    AUTO_REPLY = "auto-reply"  # vacation and other RFC 3834 answers: not a bounce
    NONE = "none"  # ordinary mail


class DeliveryAction(enum.StrEnum):
    """The five RFC 3464 Action values."""

    FAILED = "failed"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    RELAYED = "relayed"
    EXPANDED = "expanded"


@dataclass(frozen=True, slots=True)
class Disposition:
    """An MDN Disposition field (RFC 8098 section 3.2.6), split into its parts."""

    raw: str
    # "<action-mode>/<sending-mode>" in lower case, e.g. "manual-action/mdn-sent-manually".
    mode: str | None
    # "displayed", "deleted", "dispatched", "processed", ...
    type: str | None
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecipientReport:
    """What one report says about one recipient."""

    # The address the report is about (Final-Recipient, with its address type removed). When the
    # report's Final-Recipient is not a usable mail address (a pipe, "@host"), the best address
    # found elsewhere in the report.
    recipient: str | None
    # Original-Recipient: our ORCPT, xtext-decoded, address type removed.
    original_recipient: str | None = None
    action: DeliveryAction | None = None
    # Enhanced status code ("5.1.1") when the report carries one.
    status: str | None = None
    # The server's words (Diagnostic-Code without its type, unfolded), or the bounce's text.
    diagnostic: str | None = None
    remote_mta: str | None = None
    last_attempt_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """Everything delivery tracking needs from one received message."""

    kind: ReportKind
    # Message-ID of the message the report is about, in canonical "<id>" form.
    original_message_id: str | None = None
    # Original-Envelope-Id: our ENVID, xtext-decoded.
    envelope_id: str | None = None
    reporting_mta: str | None = None
    arrival_date: datetime | None = None
    # The report's own Message-ID, the key that makes ingesting idempotent.
    report_message_id: str | None = None
    recipients: tuple[RecipientReport, ...] = ()
    disposition: Disposition | None = None  # MDN only
    feedback_type: str | None = None  # ARF only
    reporting_ua: str | None = None  # MDN only
