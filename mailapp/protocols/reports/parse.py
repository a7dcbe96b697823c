"""Turning a received message into a ParsedReport: DSN, MDN, bounce, feedback, auto-reply or none.

Pure and sans-IO: bytes in, a frozen value out. Malformed input never raises; it yields kind
none or whatever could be read.

Imports: the standard library and sibling report modules.
"""

from __future__ import annotations

import email.errors
import html
import re
from dataclasses import replace
from email.message import Message

from mailapp.protocols.reports import arf, autoreply, bounce, dsn, fields, mdn, original, ses
from mailapp.protocols.reports.message import Part, attached_headers, header, load, param, walk
from mailapp.protocols.reports.message import address as parse_address
from mailapp.protocols.reports.message import part_text as text_of
from mailapp.protocols.reports.model import (
    DeliveryAction,
    ParsedReport,
    RecipientReport,
    ReportKind,
)

_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MDN_TYPES = frozenset(
    {"message/disposition-notification", "message/global-disposition-notification"}
)
_FIELD_PART_TYPES = _DSN_TYPES | _MDN_TYPES
_DSN_REPORT_TYPES = frozenset({"delivery-status", "global-delivery-status"})
_MDN_REPORT_TYPES = frozenset({"disposition-notification", "global-disposition-notification"})
_SUCCESS = frozenset({DeliveryAction.DELIVERED, DeliveryAction.RELAYED, DeliveryAction.EXPANDED})
_INLINE_DSN_RE = re.compile(r"^[ \t>]*(final|original)-recipient[ \t]*:", re.I | re.M)
_TAG_RE = re.compile(r"<[^>]{0,2000}>")
_JMRP_SUBJECT_RE = re.compile(r"complaint about message from", re.I)

# What compat32 and the codecs raise on hostile input; anything else is our bug.
_PARSER_ERRORS = (
    ValueError,
    LookupError,
    TypeError,
    IndexError,
    AttributeError,
    RecursionError,
    email.errors.MessageError,
)


def parse_report(raw: bytes) -> ParsedReport:
    """Recognise and read a delivery report; ordinary or unreadable mail gives kind none."""
    try:
        return _Reader(raw).read()
    except _PARSER_ERRORS:
        return ParsedReport(kind=ReportKind.NONE)


def classify(raw: bytes) -> ReportKind:
    return parse_report(raw).kind


class _Reader:
    def __init__(self, raw: bytes) -> None:
        self.msg = load(raw)
        self.parts = list(walk(self.msg))
        self.top_type = self.parts[0].content_type if self.parts else "text/plain"
        self.report_type = (
            param(self.msg, "report-type") if self.top_type.endswith("/report") else None
        )
        self.subject = header(self.msg, "subject")
        self.report_id = fields.message_id(header(self.msg, "message-id"))
        self._texts: list[tuple[Part, str]] | None = None
        # A multipart whose boundary never occurs: compat32 leaves the whole body as text.
        self.broken_multipart = self.top_type.startswith("multipart/") and isinstance(
            self.msg.get_payload(), str
        )

    # -- text of the human-readable parts ---------------------------------------------------

    def own_parts(self, types: frozenset[str]) -> list[Part]:
        return [p for p in self.parts if not p.attached and p.content_type in types]

    def text_parts(self) -> list[tuple[Part, str]]:
        """Decoded text/plain parts of the report itself (HTML only when there is no plain)."""
        if self._texts is None:
            own = [p for p in self.parts if not p.attached]
            texts = [(p, text_of(p.message)) for p in own if p.content_type == "text/plain"]
            if self.broken_multipart:
                texts.append((self.parts[0], text_of(self.msg)))
            if not any(t.strip() for _p, t in texts):
                texts = [
                    (p, html.unescape(_TAG_RE.sub(" ", text_of(p.message))))
                    for p in own
                    if p.content_type == "text/html"
                ]
            self._texts = texts
        return self._texts

    def notification_text(self) -> str:
        chosen = [t for p, t in self.text_parts() if not _is_attachment(p.message)]
        return "\n".join(chosen or [t for _p, t in self.text_parts()])

    # -- the kinds ---------------------------------------------------------------------------

    def read(self) -> ParsedReport:
        if self.report_type in _MDN_REPORT_TYPES or (
            self.own_parts(_MDN_TYPES) and not self.own_parts(_DSN_TYPES)
        ):
            return self.read_mdn()
        if self.report_type == "feedback-report" or self.own_parts(
            frozenset({"message/feedback-report"})
        ):
            return self.read_feedback()
        standard = self.top_type == "multipart/report" and self.report_type in _DSN_REPORT_TYPES
        if standard or self.own_parts(_DSN_TYPES):
            return self.read_dsn(standard)
        notice = ses.parse(self.notification_text()) if self.top_type == "text/plain" else None
        if notice is not None:
            return ParsedReport(
                kind=notice.kind,
                reporting_mta=notice.reporting_mta,
                report_message_id=self.report_id,
                recipients=notice.recipients,
                feedback_type=notice.feedback_type,
            )
        if self.looks_like_bounce():
            return self.read_bounce()
        if _JMRP_SUBJECT_RE.search(self.subject or "") and self.own_parts(
            frozenset({"message/rfc822"})
        ):
            return self.read_feedback()
        if autoreply.is_auto_reply(self.msg, self.subject):
            return self.read_auto_reply()
        return ParsedReport(kind=ReportKind.NONE, report_message_id=self.report_id)

    def read_dsn(self, standard: bool) -> ParsedReport:
        status_text = "\n\n".join(text_of(p.message) for p in self.own_parts(_DSN_TYPES))
        if not status_text.strip():
            # A broken boundary hides the part; the fields may still be in the raw text.
            status_text = "\n\n".join(
                text_of(p.message) for p in self.parts if not p.attached and p.is_leaf
            )
        status = dsn.parse(status_text)
        recipients = [r for r in status.recipients if r.recipient or r.action]
        unusable = [r for r in recipients if not fields.is_mail_address(r.recipient)]
        if not recipients:
            recipients = self.text_recipients()
        elif len(unusable) == 1:
            # Final-Recipient is a pipe or "@host": the prose usually names the address.
            named = [r.recipient for r in self.text_recipients() if r.recipient]
            if len(named) == 1:
                recipients = [
                    replace(r, recipient=named[0]) if r is unusable[0] else r for r in recipients
                ]
        actions = {r.action for r in recipients}
        success_only = bool(recipients) and actions <= _SUCCESS
        return ParsedReport(
            kind=ReportKind.DSN if standard or success_only else ReportKind.BOUNCE,
            original_message_id=self.original_id(),
            envelope_id=status.envelope_id,
            reporting_mta=status.reporting_mta,
            arrival_date=status.arrival_date,
            report_message_id=self.report_id,
            recipients=tuple(recipients),
        )

    def read_bounce(self) -> ParsedReport:
        text = self.notification_text()
        recipients: list[RecipientReport] = []
        inline = None
        if _INLINE_DSN_RE.search(text):
            inline = dsn.parse(bounce.unquote(text))
            recipients = [r for r in inline.recipients if fields.is_mail_address(r.recipient)]
        if not recipients:
            recipients = self.text_recipients()
        return ParsedReport(
            kind=ReportKind.BOUNCE,
            original_message_id=self.original_id(),
            envelope_id=inline.envelope_id if inline else None,
            reporting_mta=inline.reporting_mta if inline else None,
            arrival_date=inline.arrival_date if inline else None,
            report_message_id=self.report_id,
            recipients=tuple(recipients),
        )

    def read_mdn(self) -> ParsedReport:
        text = "\n\n".join(text_of(p.message) for p in self.own_parts(_MDN_TYPES))
        note = mdn.parse(text)
        return ParsedReport(
            kind=ReportKind.MDN,
            original_message_id=note.original_message_id or original.from_parts(self.parts),
            report_message_id=self.report_id,
            recipients=(note.recipient,) if note.recipient else (),
            disposition=note.disposition,
            reporting_ua=note.reporting_ua,
        )

    def read_feedback(self) -> ParsedReport:
        arf_parts = self.own_parts(frozenset({"message/feedback-report"}))
        report = arf.parse("\n\n".join(text_of(p.message) for p in arf_parts))
        addresses = list(report.original_recipients)
        feedback_type = report.feedback_type
        if not addresses:
            for part in self.own_parts(frozenset({"message/rfc822", "text/rfc822-headers"})):
                headers = attached_headers(part)
                if headers is None:
                    continue
                hotmail = header(headers, "x-hmxmroriginalrecipient")
                if hotmail:
                    feedback_type = feedback_type or "abuse"
                addr = hotmail or parse_address(header(headers, "to"))
                if addr and fields.is_mail_address(addr):
                    addresses.append(addr)
                break
        return ParsedReport(
            kind=ReportKind.FEEDBACK,
            original_message_id=original.from_parts(self.parts),
            reporting_mta=report.reporting_mta,
            report_message_id=self.report_id,
            recipients=tuple(RecipientReport(recipient=a) for a in addresses),
            feedback_type=feedback_type,
        )

    def read_auto_reply(self) -> ParsedReport:
        sender = parse_address(header(self.msg, "from"))
        return ParsedReport(
            kind=ReportKind.AUTO_REPLY,
            original_message_id=fields.message_id(header(self.msg, "in-reply-to")),
            report_message_id=self.report_id,
            recipients=(RecipientReport(recipient=sender),) if sender else (),
        )

    # -- shared pieces -----------------------------------------------------------------------

    def looks_like_bounce(self) -> bool:
        if self.msg.get("x-failed-recipients"):
            return True
        from_header = header(self.msg, "from")
        text = bounce.unquote(self.notification_text())
        daemon = bounce.is_daemon(from_header, parse_address(from_header))
        subject = bounce.subject_says_bounce(self.subject)
        body = bounce.body_says_bounce(text)
        if daemon:
            return subject or body
        # A person's mail that talks about bounces is not one; a forwarded bounce still
        # carries the machine's words: a status code or the quoted original.
        return subject and body and bounce.has_machine_traces(text)

    def text_recipients(self) -> list[RecipientReport]:
        text = bounce.unquote(self.notification_text())
        explanation, quoted = bounce.split_notification(text)
        failed: list[str] = []
        for value in self.msg.get_all("x-failed-recipients") or []:
            failed.extend(fields.ADDRESS_RE.findall(str(value)))
        excluded = self.report_addresses()
        senders = self.sender_addresses(quoted)
        found = bounce.recipients_from_text(
            explanation, self.subject, dict.fromkeys(failed), excluded, senders
        )
        if found:
            return found
        # The prose names nobody: the returned message's own recipients are the best guess.
        addressed = [
            a
            for a in dict.fromkeys(self._returned_recipients())
            if a.lower() not in excluded and a.lower() not in senders
        ]
        stated = bounce.overall_action(self.subject, text) or DeliveryAction.FAILED
        return [RecipientReport(recipient=a, action=stated) for a in addressed]

    def _returned_recipients(self) -> list[str]:
        for part in self.own_parts(frozenset({"message/rfc822", "text/rfc822-headers"})):
            headers = attached_headers(part)
            if headers is None:
                continue
            found: list[str] = []
            for name in ("to", "cc"):
                value = header(headers, name)
                if value:
                    found.extend(fields.ADDRESS_RE.findall(value))
            return found
        return []

    def report_addresses(self) -> set[str]:
        """The report's own From/To/...: never the failed recipient."""
        found: set[str] = set()
        for name in ("from", "to", "cc", "reply-to", "sender"):
            value = header(self.msg, name)
            if value:
                found.update(a.lower() for a in fields.ADDRESS_RE.findall(value))
        return found

    def sender_addresses(self, quoted: str) -> set[str]:
        """Who sent the returned message, from its headers (part or quoted inline)."""
        found = bounce.sender_addresses(quoted)
        for part in self.own_parts(frozenset({"message/rfc822", "text/rfc822-headers"})):
            headers = attached_headers(part)
            if headers is None:
                continue
            for name in ("from", "sender", "return-path", "reply-to"):
                value = header(headers, name)
                if value:
                    found.update(a.lower() for a in fields.ADDRESS_RE.findall(value))
        return found

    def original_id(self) -> str | None:
        found = original.from_parts(self.parts)
        if found:
            return found
        # Leaf parts of the report, report-field parts included: a broken boundary can leave
        # the returned message inside the part before it.
        texts = [
            text_of(p.message)
            for p in self.parts
            if not p.attached
            and (p.content_type.startswith("text/") or p.content_type in _FIELD_PART_TYPES)
        ]
        if self.broken_multipart:
            texts.append(text_of(self.msg))
        # Exchange names the original in the report's own In-Reply-To.
        return original.from_text(texts) or fields.message_id(header(self.msg, "in-reply-to"))


def _is_attachment(part: Message) -> bool:
    value = str(part.get("content-disposition", "")).strip().lower()
    return value.startswith("attachment")
