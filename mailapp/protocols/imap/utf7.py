"""Modified UTF-7 for IMAP mailbox names (RFC 3501 section 5.1.3).

Imports: the standard library and mailapp.core only.

Printable US-ASCII stands for itself ("&" is written "&-"); every other run of characters is
UTF-16BE in base64 with "," for "/" and no padding, between "&" and "-". Decoding is strict:
anything a conforming server could not have produced raises ParseError, so a caller can fall
back to the raw name instead of showing a wrong one.
"""

from __future__ import annotations

import base64
import binascii
import re

from mailapp.core.errors import InvalidCommandError, ParseError

__all__ = ["decode_mailbox_name", "encode_mailbox_name"]

_PLAIN = re.compile(r"[\x20-\x25\x27-\x7e]*")
_B64 = re.compile(r"[A-Za-z0-9+,]*")


def _is_plain(ch: str) -> bool:
    return "\x20" <= ch <= "\x7e"


def encode_mailbox_name(name: str) -> str:
    """Encode a mailbox name for the wire (the result is pure ASCII)."""
    if _PLAIN.fullmatch(name):
        return name
    out: list[str] = []
    run: list[str] = []
    for ch in name:
        if _is_plain(ch):
            if run:
                out.append(_encode_run("".join(run)))
                run.clear()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    if run:
        out.append(_encode_run("".join(run)))
    return "".join(out)


def _encode_run(text: str) -> str:
    try:
        data = text.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        # A lone surrogate has no UTF-16 form, so no server could store the name either.
        raise InvalidCommandError(
            f"The mailbox name contains a character that cannot be encoded: {text!r}"
        ) from exc
    b64 = base64.b64encode(data).rstrip(b"=").replace(b"/", b",")
    return "&" + b64.decode("ascii") + "-"


def decode_mailbox_name(raw: str | bytes) -> str:
    """Decode a modified UTF-7 mailbox name; raise ParseError if it is not valid."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise ParseError(f"Mailbox name is not modified UTF-7 (8-bit byte): {raw!r}") from exc
    else:
        text = raw
    if "&" not in text:
        if not _PLAIN.fullmatch(text):
            raise ParseError(f"Mailbox name has a character outside printable ASCII: {text!r}")
        return text
    out: list[str] = []
    pos = 0
    end = len(text)
    while pos < end:
        amp = text.find("&", pos)
        if amp < 0:
            amp = end
        plain = text[pos:amp]
        if not _PLAIN.fullmatch(plain):
            raise ParseError(f"Mailbox name has a character outside printable ASCII: {text!r}")
        out.append(plain)
        if amp == end:
            break
        dash = text.find("-", amp + 1)
        if dash < 0:
            raise ParseError(f"Mailbox name has an unterminated '&' section: {text!r}")
        chunk = text[amp + 1 : dash]
        pos = dash + 1
        if not chunk:
            out.append("&")
            continue
        out.append(_decode_run(chunk, text))
    return "".join(out)


def _decode_run(chunk: str, whole: str) -> str:
    if not _B64.fullmatch(chunk) or len(chunk) % 4 == 1:
        raise ParseError(f"Mailbox name has an invalid base64 section: {whole!r}")
    padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
    try:
        data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ParseError(f"Mailbox name has an invalid base64 section: {whole!r}") from exc
    if len(data) % 2:
        raise ParseError(f"Mailbox name has an odd-length UTF-16 section: {whole!r}")
    # Non-zero padding bits mean two spellings for one name; refuse the non-canonical one.
    if base64.b64encode(data).rstrip(b"=").replace(b"/", b",").decode("ascii") != chunk:
        raise ParseError(f"Mailbox name has a non-canonical base64 section: {whole!r}")
    try:
        decoded = data.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise ParseError(f"Mailbox name has invalid UTF-16: {whole!r}") from exc
    if any(_is_plain(ch) for ch in decoded):
        raise ParseError(f"Mailbox name encodes printable ASCII in base64: {whole!r}")
    return decoded
