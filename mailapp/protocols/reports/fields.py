"""The "Name: value" field syntax shared by DSN, MDN and ARF report parts, and value helpers.

RFC 3464 section 2.1.1 (field blocks separated by blank lines), xtext (RFC 3461 section 4),
address-type prefixes ("rfc822;", "utf-8;" from RFC 6533), enhanced status codes (RFC 3463),
Message-ID normalisation.

Imports: the standard library only.
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime

_FIELD_RE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)[ \t]*:[ \t]*(.*)")
# Enhanced status code: class 2/4/5, subject 0-7, detail up to 3 digits; not part of an
# IP address or version number.
STATUS_RE = re.compile(r"(?<![\w.])([245])\.([0-7])\.(\d{1,3})(?![\w]|\.\d)")
_XTEXT_RE = re.compile(r"\+([0-9A-Fa-f]{2})")
_UTF8_ADDR_RE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_MSGID_RE = re.compile(r"<([^<>\s]+)>")
ADDRESS_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


Block = list[tuple[str, str]]


def field_blocks(text: str) -> list[Block]:
    """Field blocks as (lower-case name, unfolded value) lists; junk lines are skipped."""
    blocks: list[Block] = []
    current: Block = []
    for line in text.split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        if line[0] in " \t":
            if current:
                name, value = current[-1]
                current[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        match = _FIELD_RE.fullmatch(line.rstrip())
        if match:
            current.append((match.group(1).lower(), match.group(2).strip()))
    if current:
        blocks.append(current)
    return blocks


def split_type(value: str) -> tuple[str | None, str]:
    """'rfc822; a@b' -> ('rfc822', 'a@b'); a value without 'type;' comes back unchanged."""
    head, sep, rest = value.partition(";")
    if sep and head.strip() and " " not in head.strip() and "@" not in head:
        return head.strip().lower(), rest.strip()
    return None, value.strip()


def decode_xtext(value: str) -> str:
    """RFC 3461 xtext: '+2B' -> '+'. Invalid escapes are left alone."""
    if "+" not in value:
        return value
    return _XTEXT_RE.sub(lambda m: chr(int(m.group(1), 16)), value)


def decode_utf8_addr(value: str) -> str:
    """RFC 6533 utf-8-addr-xtext/unitext: '\\x{E9}' -> 'é'."""
    if "\\x{" not in value:
        return value
    return _UTF8_ADDR_RE.sub(lambda m: _safe_chr(int(m.group(1), 16)), value)


def _safe_chr(code: int) -> str:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


def recipient_value(value: str | None) -> str | None:
    """A Final-/Original-Recipient value without its address type, decoded, brackets removed."""
    if not value:
        return None
    addr_type, addr = split_type(value)
    addr = decode_xtext(addr)
    if addr_type == "utf-8":
        addr = decode_utf8_addr(addr)
    addr = addr.strip()
    if addr.startswith("<") and addr.endswith(">"):
        addr = addr[1:-1].strip()
    return addr or None


def typed_value(value: str | None) -> str | None:
    """'dns; mx.example.org' -> 'mx.example.org'; 'smtp; 550 ...' -> '550 ...'."""
    if not value:
        return None
    _type, rest = split_type(value)
    return " ".join(rest.split()) or None


def status_code(text: str | None) -> str | None:
    if not text:
        return None
    match = STATUS_RE.search(text)
    return ".".join(match.groups()) if match else None


def is_mail_address(value: str | None) -> bool:
    """A plausible 'local@domain' address (not a pipe, file or '@host' route)."""
    if not value or " " in value or "|" in value or value.startswith("/"):
        return False
    local, sep, domain = value.rpartition("@")
    return bool(sep and local and domain and not local.startswith("@") and ":" not in local)


def addresses_in(text: str) -> list[str]:
    return [m.group(0).strip(".") for m in ADDRESS_RE.finditer(text)]


def message_id(value: str | None) -> str | None:
    """Canonical '<id>' form of a Message-ID value; bare ids get their brackets back."""
    if not value:
        return None
    match = _MSGID_RE.search(value)
    if match:
        return f"<{match.group(1)}>"
    bare = value.strip().split()
    if len(bare) == 1 and "@" in bare[0]:
        return f"<{bare[0].strip('<>')}>"
    return None


def date_value(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
