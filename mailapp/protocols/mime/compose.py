"""Turning a Draft into the exact bytes handed to SMTP (and stored in Sent).

The header fields are written by protocols.mime.headers (exact round trip, Bcc never
written, RFC 2231 file names); text parts come from the stdlib email package
(MIMEPart.set_content: 7bit, quoted-printable or base64, never 8bit); files are base64. The
result is checked before it is returned: CRLF only, no line over 998 octets, pure ASCII
unless the message is an SMTPUTF8 one, and exactly the header fields we meant to write.

Reading attachments given by path happens here (plain file reads, no network): for big
attachments call compose from a worker thread.

Imports: core and the standard library.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import MIMEPart
from email.utils import format_datetime

from mailapp.core.draft import Draft, Mailbox, domain_to_ascii, ensure_header_safe
from mailapp.core.errors import InvalidDraftError, SmtpUtf8RequiredError
from mailapp.protocols.mime import headers

# Body parts: CRLF, never 8bit (cte_type="7bit"), ASCII parameters (RFC 2231 for file names).
_BODY_POLICY = email_policy.SMTP.clone(cte_type="7bit")
_MSG_ID = re.compile(r"<[!-;=?-~]{1,400}@[!-;=?-~]{1,400}>")
# Octets quoted-printable writes as they are (roughly: "=" costs extra too, rarely matters).
_QP_LITERAL = bytes(range(0x20, 0x7F)) + b"\t\n"
_COMPRESSED_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}


@dataclass(frozen=True, slots=True)
class ComposedMessage:
    """A message ready for `MAIL FROM` / `RCPT TO` / `DATA`."""

    raw: bytes
    message_id: str  # with angle brackets, as in the header
    envelope_from: str
    envelope_recipients: tuple[str, ...]  # To, Cc, Bcc; no repeats; order kept
    needs_smtputf8: bool
    size: int
    # True only for SMTPUTF8 messages (UTF-8 in the header); bodies are always 7bit-safe.
    has_8bit: bool


def new_message_id(domain: str) -> str:
    """`<time.random@domain>`: unique without coordination, safe in any header."""
    token = secrets.token_urlsafe(15)
    return f"<{time.time_ns():x}.{token}@{domain_to_ascii(domain)}>"


def guess_content_type(filename: str) -> str:
    """The media type for a file name; compressed files are their compressed type."""
    guessed, encoding = mimetypes.guess_type(filename, strict=False)
    if encoding is not None:
        return _COMPRESSED_TYPES.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


def _sendable_type(content_type: str | None, filename: str) -> tuple[str, str]:
    content_type = (content_type or guess_content_type(filename)).lower()
    maintype, _, subtype = content_type.partition("/")
    # multipart/* and message/* may not be base64-encoded (RFC 2045 6.4, RFC 2046 5.2.1);
    # sent as opaque bytes they still arrive exactly.
    if maintype in ("multipart", "message") or not subtype:
        return "application", "octet-stream"
    return maintype, subtype


def _normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def _text_transfer_encoding(text: str) -> str:
    data = text.encode("utf-8")
    if (
        data.isascii()
        and b"\x00" not in data
        and all(len(line) <= headers.SOFT_LIMIT for line in data.split(b"\n"))
    ):
        return "7bit"
    escaped = len(data.translate(None, _QP_LITERAL))
    # Quoted-printable costs 3 octets per escaped one, base64 4/3 for all of them; QP stays
    # readable, so it wins unless it is clearly longer (as for CJK text).
    return "quoted-printable" if escaped * 4 < len(data) else "base64"


@dataclass(frozen=True, slots=True)
class _Entity:
    """One MIME entity, serialised: its header field names and its bytes (head, blank
    line, body)."""

    content_type: str
    names: list[str]
    raw: bytes


def _text_part(text: str, subtype: str) -> _Entity:
    text = _normalise_newlines(text)
    part = MIMEPart(policy=_BODY_POLICY)
    part.set_content(text, subtype=subtype, charset="utf-8", cte=_text_transfer_encoding(text))
    buffer = io.BytesIO()
    generator: BytesGenerator[MIMEPart] = BytesGenerator(
        buffer, mangle_from_=False, policy=_BODY_POLICY
    )
    generator.flatten(part)
    return _Entity(f"text/{subtype}", [str(key) for key in part], buffer.getvalue())


def _base64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _file_part(
    data: bytes,
    filename: str,
    content_type: str | None,
    disposition: str,
    cid: str | None = None,
) -> _Entity:
    # Written here rather than by email.headerregistry, which sends a file name such as
    # "=?utf-8?q?x?=.pdf" unencoded, so readers decode it into another name.
    maintype, subtype = _sendable_type(content_type, filename)
    fields = [
        # name= as well: older Outlook versions read only that one.
        (
            "Content-Type",
            headers.parameterized("Content-Type", f"{maintype}/{subtype}", [("name", filename)]),
        ),
        ("Content-Transfer-Encoding", headers.plain("Content-Transfer-Encoding", "base64")),
        (
            "Content-Disposition",
            headers.parameterized("Content-Disposition", disposition, [("filename", filename)]),
        ),
    ]
    if cid is not None:
        fields.append(("Content-ID", headers.id_list("Content-ID", [f"<{cid}>"])))
    head = b"".join(value for _, value in fields)
    return _Entity(
        f"{maintype}/{subtype}", [name for name, _ in fields], head + b"\r\n" + _base64_lines(data)
    )


def _multipart(subtype: str, parts: list[_Entity]) -> _Entity:
    boundary = "=_" + secrets.token_hex(16)
    # "=_" can start no quoted-printable or base64 line; a 7bit text part could contain
    # anything, so look.
    while any(boundary.encode("ascii") in part.raw for part in parts):
        boundary = "=_" + secrets.token_hex(16)
    params = [("boundary", boundary)]
    if subtype == "related":
        params.insert(0, ("type", parts[0].content_type))  # RFC 2387 requires it
    head = headers.parameterized("Content-Type", f"multipart/{subtype}", params)
    delimiter = b"--" + boundary.encode("ascii")
    body = b"".join(delimiter + b"\r\n" + part.raw + b"\r\n" for part in parts)
    return _Entity(
        f"multipart/{subtype}", ["Content-Type"], head + b"\r\n" + body + delimiter + b"--\r\n"
    )


def _body(draft: Draft) -> _Entity:
    """text; or alternative(text, html); in related(..., images); in mixed(..., files)."""
    body = _text_part(draft.text_body, "plain")
    if draft.html_body is None:
        if draft.inline_images:
            raise InvalidDraftError(
                "Inline images need an HTML body to show them.",
                hint="Attach the images instead, or write the message in HTML.",
            )
    else:
        body = _multipart("alternative", [body, _text_part(draft.html_body, "html")])
    if draft.inline_images:
        images = [
            _file_part(img.read(), img.filename, img.content_type, "inline", img.cid)
            for img in draft.inline_images
        ]
        body = _multipart("related", [body, *images])
    if draft.attachments:
        files = [
            _file_part(att.read(), att.filename, att.content_type, "attachment")
            for att in draft.attachments
        ]
        body = _multipart("mixed", [body, *files])
    return body


def _check_smtputf8(draft: Draft, allowed: bool) -> bool:
    mailboxes = (draft.from_, *draft.to, *draft.cc, *draft.bcc, *draft.reply_to)
    needing = [m.address for m in mailboxes if m.needs_smtputf8]
    if needing and not allowed:
        listed = ", ".join(dict.fromkeys(needing))
        raise SmtpUtf8RequiredError(
            f"The server does not accept addresses with non-ASCII characters before the @ "
            f"(it does not offer SMTPUTF8): {listed}.",
            hint="Use an ASCII address for these people, or send through another server.",
        )
    return bool(needing)


def _verify(raw: bytes, utf8: bool, header_names: list[str]) -> None:
    """Our own output, checked; a failure here is a bug of ours, never the user's."""
    if raw.count(b"\n") != raw.count(b"\r\n") or raw.count(b"\r") != raw.count(b"\r\n"):
        raise RuntimeError("composed message has a bare CR or LF")
    if max(map(len, raw.split(b"\r\n"))) > headers.HARD_LIMIT:
        raise RuntimeError("composed message has a line over 998 octets")
    if not utf8 and not raw.isascii():
        raise RuntimeError("composed message has 8-bit octets without SMTPUTF8")
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = [
        line.split(b":", 1)[0].decode("ascii", "replace")
        for line in head.split(b"\r\n")
        if line[:1] not in (b" ", b"\t")
    ]
    if names != header_names:
        raise RuntimeError(f"composed header fields {names} differ from {header_names}")


def compose(
    draft: Draft,
    *,
    message_id_domain: str,
    now: datetime | None = None,
    smtputf8_allowed: bool,
    user_agent: str | None = None,
    message_id: str | None = None,
) -> ComposedMessage:
    """The draft as RFC 5322 bytes with CRLF line ends, plus its SMTP envelope.

    `smtputf8_allowed`: the server offers SMTPUTF8 (then a non-ASCII local part is sent as
    UTF-8 per RFC 6531/6532; otherwise SmtpUtf8RequiredError). `now` defaults to the current
    local time; a naive datetime is taken as local time. `message_id` reuses a Message-ID
    chosen earlier (with angle brackets); by default a fresh one is made.
    Raises InvalidDraftError (no recipient, unreadable attachment), SmtpUtf8RequiredError,
    HeaderInjectionError.
    """
    recipients = draft.recipients
    if not recipients:
        raise InvalidDraftError("The message has no recipient.", hint="Add an address in To.")
    utf8 = _check_smtputf8(draft, smtputf8_allowed)
    if message_id is None:
        message_id = new_message_id(message_id_domain)
    elif not _MSG_ID.fullmatch(message_id):
        raise InvalidDraftError(f"{message_id[:80]!r} is not a Message-ID like <a@b>.")
    moment = now if now is not None else datetime.now()
    if moment.tzinfo is None:
        moment = moment.astimezone()

    fields: list[tuple[str, bytes]] = [
        ("Date", headers.plain("Date", format_datetime(moment))),
        ("From", headers.address_list("From", [draft.from_], utf8=utf8)),
    ]
    if draft.reply_to:
        fields.append(("Reply-To", headers.address_list("Reply-To", draft.reply_to, utf8=utf8)))
    if draft.to:
        fields.append(("To", headers.address_list("To", draft.to, utf8=utf8)))
    if draft.cc:
        fields.append(("Cc", headers.address_list("Cc", draft.cc, utf8=utf8)))
    fields.append(("Subject", headers.unstructured("Subject", draft.subject, utf8=utf8)))
    fields.append(("Message-ID", headers.id_list("Message-ID", [message_id])))
    if draft.in_reply_to is not None:
        fields.append(("In-Reply-To", headers.id_list("In-Reply-To", [draft.in_reply_to])))
    if draft.references:
        fields.append(("References", headers.id_list("References", draft.references)))
    if draft.read_receipt:
        dnt = headers.address_list("Disposition-Notification-To", [draft.from_], utf8=utf8)
        fields.append(("Disposition-Notification-To", dnt))
    if user_agent:
        ensure_header_safe(user_agent, "User-Agent")
        fields.append(("User-Agent", headers.unstructured("User-Agent", user_agent, utf8=utf8)))
    for name, value in draft.extra_headers:
        fields.append((name, headers.unstructured(name, value, utf8=utf8)))
    fields.append(("MIME-Version", headers.plain("MIME-Version", "1.0")))

    body = _body(draft)
    raw = b"".join(value for _, value in fields) + body.raw
    _verify(raw, utf8, [name for name, _ in fields] + body.names)

    return ComposedMessage(
        raw=raw,
        message_id=message_id,
        envelope_from=headers.mailbox_wire_address(draft.from_, utf8),
        envelope_recipients=tuple(_envelope(m, utf8) for m in recipients),
        needs_smtputf8=utf8,
        size=len(raw),
        has_8bit=not raw.isascii(),
    )


def _envelope(mailbox: Mailbox, utf8: bool) -> str:
    return headers.mailbox_wire_address(mailbox, utf8)
