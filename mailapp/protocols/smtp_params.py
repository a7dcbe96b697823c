"""SMTP MAIL and RCPT parameters: DSN (RFC 3461), SMTPUTF8 (RFC 6531), SIZE, BODY.

xtext (RFC 3461 section 4) for ENVID and ORCPT, the `utf-8` address type of RFC 6533 for
non-ASCII recipients, and the parameter lists the transport passes to aiosmtplib's `mail()`
and `rcpt()`. The caller decides which extensions the server offered: pass a parameter only
when its EHLO keyword (DSN, SMTPUTF8, 8BITMIME, SIZE) was advertised.

Imports: core and the standard library.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Collection
from typing import Literal

from mailapp.core.draft import Notify
from mailapp.core.errors import ParseError, SmtpUtf8RequiredError

ENVID_MAX = 100  # RFC 3461 section 4.4
_XTEXT_HEX = re.compile(r"\+([0-9A-Fa-f]{2})")
_UTF8_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
_NOTIFY_ORDER = (Notify.SUCCESS, Notify.FAILURE, Notify.DELAY)
# Text made only of xchars (printable ASCII but "+" and "="): its own xtext.
_XTEXT_SAFE = re.compile(r"[!-*,-<>-~]*")


def _is_xchar(byte: int) -> bool:
    return 0x21 <= byte <= 0x7E and byte not in (0x2B, 0x3D)  # not "+" or "="


def xtext_encode(text: str) -> str:
    """RFC 3461 xtext: "+" and "=", blanks, controls and (as UTF-8) any non-ASCII
    become "+XX" with upper-case hex; everything else stays."""
    if _XTEXT_SAFE.fullmatch(text):  # ENVIDs and most addresses: one scan in C
        return text
    return "".join(chr(b) if _is_xchar(b) else f"+{b:02X}" for b in text.encode("utf-8"))


def xtext_decode(value: str, *, strict: bool = True) -> str:
    """The text behind an xtext value (as found in ENVID, ORCPT, or a DSN's fields).

    strict: a "+" not followed by two hex digits, or a character outside xtext, raises
    ParseError. Lenient: such text is kept as it is. Decoded octets are read as UTF-8
    (invalid sequences become U+FFFD).
    """
    if strict:
        for index, char in enumerate(value):
            if char == "+":
                if not _XTEXT_HEX.match(value, index):
                    raise ParseError(f"Bad xtext escape at {index} in {value[:100]!r}.")
            elif not ("!" <= char <= "~") or char == "=":
                raise ParseError(f"{char!r} is not allowed in xtext ({value[:100]!r}).")
    out = bytearray()
    pos = 0
    for match in _XTEXT_HEX.finditer(value):
        out += value[pos : match.start()].encode("utf-8")
        out.append(int(match.group(1), 16))
        pos = match.end()
    out += value[pos:].encode("utf-8")
    return out.decode("utf-8", "replace")


def _is_qchar(char: str) -> bool:
    # RFC 6533 QCHAR: printable ASCII except "+", "=" and "\".
    return "!" <= char <= "~" and char not in "+=\\"


def utf8_addr_xtext(address: str) -> str:
    """RFC 6533 utf-8-addr-xtext: ASCII that is valid xtext; "\\x{HEX}" for everything
    else (non-ASCII, "+", "=", "\\", blanks, controls)."""
    return "".join(ch if _is_qchar(ch) else f"\\x{{{ord(ch):02X}}}" for ch in address)


def utf8_addr_decode(value: str) -> str:
    """Reverse of utf8_addr_xtext; also reads the unitext form (raw UTF-8, RFC 6533)."""
    return _UTF8_ESCAPE.sub(lambda m: _code_point(m.group(1), value), value)


def _code_point(hex_digits: str, whole: str) -> str:
    number = int(hex_digits, 16)
    if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        raise ParseError(f"\\x{{{hex_digits}}} is not a character in {whole[:100]!r}.")
    return chr(number)


def orcpt_value(address: str) -> str:
    """The ORCPT parameter value (without `ORCPT=`): `rfc822;<xtext>` for ASCII addresses,
    `utf-8;<utf-8-addr-xtext>` otherwise."""
    if address.isascii():
        return "rfc822;" + xtext_encode(address)
    return "utf-8;" + utf8_addr_xtext(address)


def parse_orcpt(value: str) -> tuple[str, str]:
    """`rfc822;a+2Bb@x` to ("rfc822", "a+b@x"); `utf-8;...` decoded per RFC 6533; any
    other type is returned with its xtext decoded. Raises ParseError without a ";"."""
    addr_type, sep, encoded = value.partition(";")
    if not sep:
        raise ParseError(f"{value[:100]!r} has no address type.")
    addr_type = addr_type.strip().lower()
    encoded = encoded.strip()
    if addr_type == "utf-8":
        return addr_type, utf8_addr_decode(encoded)
    return addr_type, xtext_decode(encoded, strict=False)


def envid() -> str:
    """A fresh envelope id: unique, xtext-safe as is, well under 100 characters."""
    return f"{time.time_ns():x}.{secrets.token_hex(12)}"


def notify_value(notify: Collection[Notify]) -> str:
    """`NEVER` or a comma list in the RFC order SUCCESS,FAILURE,DELAY."""
    kinds = {Notify(n) for n in notify}
    if not kinds:
        raise ValueError("notify needs at least one kind")
    if Notify.NEVER in kinds:
        if len(kinds) > 1:
            raise ValueError("NOTIFY=NEVER cannot be combined with other kinds")
        return "NEVER"
    return ",".join(kind.value.upper() for kind in _NOTIFY_ORDER if kind in kinds)


def mail_options(
    envid: str | None,
    ret: Literal["HDRS", "FULL"] | None = "HDRS",
    *,
    smtputf8: bool = False,
    body_8bit: bool = False,
    size: int | None = None,
) -> list[str]:
    """Parameters for `MAIL FROM`.

    envid None: no DSN parameters (the server does not offer DSN); then `ret` is ignored.
    smtputf8: the message needs SMTPUTF8 (server offered it). body_8bit: the message has
    8-bit octets (BODY=8BITMIME; server offered it). size: the message size (SIZE offered).
    """
    options: list[str] = []
    if size is not None:
        if size < 0:
            raise ValueError("size must not be negative")
        options.append(f"SIZE={size}")
    if body_8bit:
        options.append("BODY=8BITMIME")
    if smtputf8:
        options.append("SMTPUTF8")
    if envid is not None:
        encoded = xtext_encode(envid)
        if not encoded or len(encoded) > ENVID_MAX:
            raise ValueError("ENVID must be 1 to 100 characters as xtext")
        if ret is not None:
            options.append(f"RET={ret}")
        options.append(f"ENVID={encoded}")
    return options


def rcpt_options(recipient: str, notify: Collection[Notify] | None, *, smtputf8: bool) -> list[str]:
    """Parameters for one `RCPT TO`: NOTIFY from the message's options and this recipient's
    ORCPT. notify None: no DSN parameters (the server does not offer DSN).

    smtputf8: the transaction uses SMTPUTF8; a non-ASCII recipient without it raises
    SmtpUtf8RequiredError.
    """
    if not recipient.isascii() and not smtputf8:
        raise SmtpUtf8RequiredError(
            f"The address {recipient} needs SMTPUTF8, which the server does not offer."
        )
    if notify is None:
        return []
    return [f"NOTIFY={notify_value(notify)}", f"ORCPT={orcpt_value(recipient)}"]
