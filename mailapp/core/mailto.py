"""`mailto:` links (RFC 6068) read into a frozen value the composer can be filled from.

Only recipients, subject, body and In-Reply-To are taken; every other header field a link
names (From, Received, Reply-To, ...) is ignored and listed, so a web page can never set one.
Percent-escapes decode as UTF-8. The subject is made a single line; the body keeps its lines.
Linear time, no recursion. Imports: the standard library and core.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from urllib.parse import quote

from mailapp.core.draft import split_address_list
from mailapp.core.errors import InvalidMailtoError

SCHEME = "mailto:"
# Far above what a command line carries (Linux: 128 KiB per argument, Windows: 32 K chars),
# low enough that a hostile link cannot make us build a huge composer.
MAX_LINK_CHARS = 256 * 1024
# Header field names we honour; RFC 6068 section 7 asks clients to be wary of all others.
TAKEN_FIELDS = frozenset({"to", "cc", "bcc", "subject", "body", "in-reply-to"})
_HEX = frozenset("0123456789abcdefABCDEF")
_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
_MAX_MSG_ID = 900
_MAX_SHOWN_NAME = 40


@dataclass(frozen=True, slots=True)
class MailtoLink:
    """What a `mailto:` link asks for. Addresses are as written (checked when sending)."""

    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    in_reply_to: str | None = None
    # Header fields the link named that we did not take (lower case, printable, shortened).
    ignored: tuple[str, ...] = ()


def is_mailto(text: str) -> bool:
    """True when `text` starts with the mailto scheme (any case, leading blanks allowed)."""
    return text.lstrip()[: len(SCHEME)].lower() == SCHEME


def split_mailto_argument(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """The first command-line argument that is a mailto: link, and the others in order."""
    for index, arg in enumerate(argv):
        if is_mailto(arg):
            return arg, [*argv[:index], *argv[index + 1 :]]
    return None, list(argv)


def _is_control(ch: str) -> bool:
    # Controls and the Unicode line/paragraph separators: each may end a header line somewhere.
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def _percent_decode(text: str, what: str) -> str:
    """RFC 3986 percent-decoding to UTF-8. A "%" not followed by two hex digits stays as it is
    (hand-written links like "50% off" are common and lose nothing that way)."""
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            out.append(int(text[i + 1 : i + 3], 16))
            i += 3
            continue
        try:
            out += ch.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate: undecodable bytes on the command line (surrogateescape).
            raise InvalidMailtoError(
                f"The mailto: link's {what} contains bytes that are not text."
            ) from None
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMailtoError(
            f"The mailto: link's {what} is not valid UTF-8 after %-decoding.",
            hint="Links must encode non-ASCII text as UTF-8 (RFC 6068).",
        ) from None


def _addresses(text: str, what: str) -> list[str]:
    found = []
    for part in split_address_list(text):
        if any(_is_control(ch) for ch in part):
            raise InvalidMailtoError(
                f"The mailto: link's {what} address contains a line break or control character.",
                hint="The link may be trying to add hidden header fields; it was not used.",
            )
        found.append(part)
    return found


def _single_line(text: str) -> str:
    """Each run of line breaks and controls (TAB too) becomes one space: never a new header."""
    out: list[str] = []
    in_run = False
    for ch in text:
        if ch == "\t" or _is_control(ch):
            if not in_run:
                out.append(" ")
            in_run = True
        else:
            out.append(ch)
            in_run = False
    return "".join(out).strip()


def _decode_encoded_words(text: str) -> str:
    # Older links carry RFC 2047 encoded words ("=?utf-8?Q?caf=C3=A9?=") in the subject.
    if "=?" not in text or "?=" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return text


def _body_text(text: str) -> str:
    """CRLF and CR become LF (the composer's line ends); other controls but TAB are dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\t\n" or unicodedata.category(ch) != "Cc")


def _shown_name(name: str) -> str:
    cleaned = "".join(ch if " " < ch < "\x7f" else "?" for ch in name)
    return cleaned[:_MAX_SHOWN_NAME] or "?"


def parse_mailto(url: str) -> MailtoLink:
    """Read a `mailto:` link; raises InvalidMailtoError for a link that cannot be used."""
    if len(url) > MAX_LINK_CHARS:
        raise InvalidMailtoError(
            f"The mailto: link is too long ({len(url)} characters, at most {MAX_LINK_CHARS})."
        )
    text = url.strip()
    if not is_mailto(text):
        raise InvalidMailtoError(f"{text[:40]!r} is not a mailto: link.")
    text = text[len(SCHEME) :]
    # "#" cannot occur unescaped in a mailto URI; what follows it is a fragment, not ours.
    text = text.split("#", 1)[0]
    path, _, query = text.partition("?")

    to = _addresses(_percent_decode(path, "address"), "To")
    cc: list[str] = []
    bcc: list[str] = []
    subject: str | None = None
    body: str | None = None
    in_reply_to: str | None = None
    ignored: list[str] = []

    for field in query.split("&") if query else ():
        if not field:
            continue
        raw_name, has_value, raw_value = field.partition("=")
        name = _percent_decode(raw_name, "header name").strip().lower()
        if not has_value or name not in TAKEN_FIELDS:
            ignored.append(_shown_name(name))
            continue
        value = _percent_decode(raw_value, name)
        if name == "to":
            to += _addresses(value, "To")
        elif name == "cc":
            cc += _addresses(value, "Cc")
        elif name == "bcc":
            bcc += _addresses(value, "Bcc")
        elif name == "subject" and subject is None:
            subject = _single_line(_decode_encoded_words(value))
        elif name == "body" and body is None:
            body = _body_text(value)
        elif name == "in-reply-to" and in_reply_to is None:
            candidate = value.strip()
            if len(candidate) <= _MAX_MSG_ID and _MSG_ID.fullmatch(candidate):
                in_reply_to = candidate
            else:
                ignored.append(name)
        else:
            ignored.append(name)  # a repeated subject, body or In-Reply-To: the first counts
    return MailtoLink(
        to=tuple(to),
        cc=tuple(cc),
        bcc=tuple(bcc),
        subject=subject or "",
        body=body or "",
        in_reply_to=in_reply_to,
        ignored=tuple(ignored),
    )


def format_mailto(link: MailtoLink) -> str:
    """The link for `link` (the inverse of parse_mailto for what it keeps)."""

    # Unreserved characters and "@" stay readable; everything else is escaped, so "&", "=",
    # "?", "#", "," and "%" inside a value can never be read as structure.
    def esc(value: str) -> str:
        return quote(value, safe="@", encoding="utf-8")

    fields: list[str] = []
    for name, values in (("cc", link.cc), ("bcc", link.bcc)):
        if values:
            fields.append(f"{name}=" + ",".join(esc(v) for v in values))
    if link.subject:
        fields.append("subject=" + esc(link.subject))
    if link.body:
        fields.append("body=" + esc(link.body.replace("\n", "\r\n")))
    if link.in_reply_to:
        fields.append("in-reply-to=" + esc(link.in_reply_to))
    path = ",".join(esc(v) for v in link.to)
    return SCHEME + path + ("?" + "&".join(fields) if fields else "")
