"""A message being written: mailboxes, attachments, delivery options and the draft itself.

Frozen values that validate user input when they are built, so a bad address or a line break
in a header field is refused where the user typed it, not deep inside sending. Attachments
given by path are read only when the message is composed (protocols.mime.compose).

Imports: the standard library and core.errors.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from mailapp.core.errors import (
    ConfigError,
    HeaderInjectionError,
    InvalidAddressError,
    InvalidDraftError,
)

# RFC 5322 atext (ASCII part); any non-ASCII character is atext too under RFC 6532.
_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
)
_LDH_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext
_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")  # printable ASCII without "<", ">" or space

_MAX_LOCAL_OCTETS = 64
_MAX_ADDRESS_OCTETS = 254
_MAX_DOMAIN_OCTETS = 253
_MAX_LABEL_OCTETS = 63
_MAX_MSG_ID = 900  # one id must fit an unfoldable header line (998 octets)

# Our own structure; a draft's extra headers may not set or duplicate these.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "disposition-notification-to",
        "return-path",
        "received",
        "resent-from",
        "resent-to",
        "resent-cc",
        "resent-bcc",
        "resent-date",
        "resent-message-id",
        "resent-sender",
        "user-agent",
    }
)


def _is_forbidden_char(ch: str) -> bool:
    # Every control except TAB, plus the Unicode line and paragraph separators: each either
    # ends a header line somewhere (str.splitlines, lenient parsers) or has no business there.
    if ch == "\t":
        return False
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def ensure_header_safe(
    value: str, what: str, *, invalid: type[ConfigError] = InvalidDraftError
) -> str:
    """Return `value` unchanged, or raise HeaderInjectionError if it holds CR, LF, NUL or
    another control or line-separator character (TAB is allowed), or `invalid` for a lone
    surrogate (undecodable input), which no encoding can write."""
    for ch in value:
        if _is_forbidden_char(ch):
            raise HeaderInjectionError(
                f"The {what} contains a line break or control character (U+{ord(ch):04X}).",
                hint="Remove it; header fields are a single line of text.",
            )
        if "\ud800" <= ch <= "\udfff":
            raise invalid(f"The {what} contains an invalid character (U+{ord(ch):04X}).")
    return value


def _ensure_encodable(value: str, what: str) -> None:
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InvalidDraftError(f"The {what} contains an invalid character (a lone surrogate).")


def idna_label_to_ascii(label: str) -> str:
    """One domain label to its ASCII (A-label) form; raises InvalidAddressError.

    A reduced IDNA 2008: NFC, lower case, then Punycode. Unlike the stdlib's IDNA 2003 codec
    it keeps "ß" and final sigma instead of mapping them to different names.
    """
    if label.isascii():
        if not _LDH_LABEL.fullmatch(label):
            raise InvalidAddressError(f"The domain label {label!r} is not a valid host name part.")
        return label.lower()
    label = unicodedata.normalize("NFC", label).lower()
    for ch in label:
        if ch.isascii():
            if not (ch.isalnum() or ch == "-"):
                raise InvalidAddressError(f"The domain label {label!r} contains {ch!r}.")
        elif unicodedata.category(ch)[0] in ("C", "Z", "P", "S"):
            raise InvalidAddressError(
                f"The domain label {label!r} contains a character not allowed in domain names."
            )
    if label.startswith("-") or label.endswith("-"):
        raise InvalidAddressError(f"The domain label {label!r} starts or ends with a hyphen.")
    ascii_label = "xn--" + label.encode("punycode").decode("ascii")
    if len(ascii_label) > _MAX_LABEL_OCTETS:
        raise InvalidAddressError(f"The domain label {label!r} is too long.")
    return ascii_label


def domain_to_ascii(domain: str) -> str:
    """A domain (or [address literal]) in its ASCII form; raises InvalidAddressError."""
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        try:
            if literal[:5].lower() == "ipv6:":
                ipaddress.IPv6Address(literal[5:])
            else:
                ipaddress.IPv4Address(literal)
        except ValueError:
            raise InvalidAddressError(f"{domain!r} is not a valid address literal.") from None
        return domain
    domain = domain.removesuffix(".")
    # Full-width and ideographic dots separate labels too (as browsers and UTS 46 treat them).
    labels = re.split(r"[.\u3002\uff0e\uff61]", domain)
    if not domain or any(not label for label in labels):
        raise InvalidAddressError(f"The domain {domain!r} is empty or has an empty label.")
    ascii_domain = ".".join(idna_label_to_ascii(label) for label in labels)
    if len(ascii_domain) > _MAX_DOMAIN_OCTETS:
        raise InvalidAddressError(f"The domain {domain!r} is too long.")
    return ascii_domain


def _check_local_part(local: str, address: str) -> None:
    if not local:
        raise InvalidAddressError(f"{address!r} has nothing before the @.")
    if len(local.encode("utf-8")) > _MAX_LOCAL_OCTETS:
        raise InvalidAddressError(f"The part before the @ in {address!r} is too long.")
    if local.startswith('"'):
        # quoted-string: qtext or quoted-pairs of printable characters.
        if len(local) < 2 or not local.endswith('"'):
            raise InvalidAddressError(f"{address!r} has an unterminated quoted local part.")
        body = local[1:-1]
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\":
                i += 1
                if i >= len(body):
                    raise InvalidAddressError(f"{address!r} ends its quoted part with a \\.")
            elif ch == '"':
                raise InvalidAddressError(f"{address!r} has a stray quote in its local part.")
            i += 1
        return
    for atom in local.split("."):
        if not atom:
            raise InvalidAddressError(
                f"{address!r} has a dot at the start or end, or two dots in a row, before the @."
            )
        for ch in atom:
            if ch.isascii():
                if ch not in _ATEXT:
                    raise InvalidAddressError(f"{address!r} contains {ch!r} before the @.")
            elif unicodedata.category(ch)[0] in ("C", "Z"):
                raise InvalidAddressError(
                    f"{address!r} contains a space or control character before the @."
                )


@dataclass(frozen=True, slots=True)
class Mailbox:
    """One address with an optional display name.

    `address` is kept as the user wrote it (NFC); `ascii_domain` is its domain in A-labels.
    A non-ASCII local part can only travel with SMTPUTF8 (`needs_smtputf8`); a non-ASCII
    domain alone never needs it, since the A-label form is used on the wire.
    """

    address: str
    name: str = ""
    local_part: str = field(init=False, repr=False, compare=False)
    domain: str = field(init=False, repr=False, compare=False)
    ascii_domain: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ensure_header_safe(self.name, "display name", invalid=InvalidAddressError)
        ensure_header_safe(self.address, "address", invalid=InvalidAddressError)
        address = unicodedata.normalize("NFC", self.address.strip())
        name = self.name.strip()
        if not address:
            raise InvalidAddressError("The address is empty.")
        if any(ch in address for ch in " \t<>,;()") and not address.startswith('"'):
            raise InvalidAddressError(
                f"{address!r} is not a single address.",
                hint='Write it as "Name <name@example.org>" or name@example.org.',
            )
        local, at, domain = address.rpartition("@")
        if not at:
            raise InvalidAddressError(f"{address!r} has no @.", hint="Example: name@example.org")
        _check_local_part(local, address)
        ascii_domain = domain_to_ascii(domain)
        if len(local.encode("utf-8")) + 1 + len(ascii_domain) > _MAX_ADDRESS_OCTETS:
            raise InvalidAddressError(f"{address!r} is longer than an address may be.")
        object.__setattr__(self, "address", address)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "local_part", local)
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "ascii_domain", ascii_domain)

    @classmethod
    def parse(cls, text: str) -> Mailbox:
        """Read one mailbox as a person types it: `Name <a@b>`, `"Last, First" <a@b>`,
        `<a@b>` or `a@b`. Raises InvalidAddressError or HeaderInjectionError."""
        ensure_header_safe(text, "address", invalid=InvalidAddressError)
        text = text.strip()
        if text.endswith(">"):
            start = text.rfind("<")
            if start < 0:
                raise InvalidAddressError(f"{text!r} has a > without a <.")
            address = text[start + 1 : -1].strip()
            name = text[:start].strip()
            if len(name) >= 2 and name.startswith('"') and name.endswith('"'):
                name = re.sub(r"\\(.)", r"\1", name[1:-1])
            elif '"' in name:
                raise InvalidAddressError(f"The name in {text!r} has unbalanced quotes.")
            return cls(address, name)
        if "<" in text or ">" in text:
            raise InvalidAddressError(f"{text!r} has unbalanced angle brackets.")
        return cls(text)

    @property
    def needs_smtputf8(self) -> bool:
        return not self.local_part.isascii()

    @property
    def smtp_address(self) -> str:
        """The address as sent on the wire: A-label domain, or wholly Unicode when the
        local part is non-ASCII (then only usable with SMTPUTF8)."""
        if self.needs_smtputf8:
            return f"{self.local_part}@{self.domain}"
        return f"{self.local_part}@{self.ascii_domain}"

    def __str__(self) -> str:
        """For display and editing; `Mailbox.parse(str(m)) == m`."""
        if not self.name:
            return self.address
        if any(c in self.name for c in ',;<>@"\\()[]:'):
            quoted = self.name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{quoted}" <{self.address}>'
        return f"{self.name} <{self.address}>"


def split_address_list(text: str) -> list[str]:
    """Split typed recipients at commas or semicolons outside quotes and angle brackets."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    in_angle = False
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif in_quotes and ch == "\\":
            escaped = True
        elif ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch == "<":
            in_angle = True
        elif not in_quotes and ch == ">":
            in_angle = False
        elif not in_quotes and not in_angle and ch in ",;":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def parse_mailbox_list(text: str) -> tuple[Mailbox, ...]:
    """`a@b, "Last, First" <c@d>; e@f` to mailboxes; raises InvalidAddressError."""
    return tuple(Mailbox.parse(part) for part in split_address_list(text))


def _check_content_type(content_type: str | None, what: str) -> None:
    if content_type is None:
        return
    ensure_header_safe(content_type, what)
    main, slash, sub = content_type.partition("/")
    if not slash or not _TOKEN.fullmatch(main) or not _TOKEN.fullmatch(sub):
        raise InvalidDraftError(f"{content_type!r} is not a media type like image/png.")


def _check_file_source(
    filename: str, data: bytes | None, path: Path | None, size: int | None, what: str
) -> None:
    ensure_header_safe(filename, f"{what} file name")
    if not filename.strip():
        raise InvalidDraftError(f"The {what} has no file name.")
    if (data is None) == (path is None):
        raise InvalidDraftError(f"The {what} {filename!r} needs either its bytes or a path.")
    if data is not None and size is not None and size != len(data):
        raise InvalidDraftError(f"The {what} {filename!r} has a size that is not its length.")


def _read_source(filename: str, data: bytes | None, path: Path | None, size: int | None) -> bytes:
    if data is not None:
        return data
    assert path is not None
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidDraftError(
            f"The attached file {str(path)!r} cannot be read: {exc.strerror or exc}.",
            hint="Attach it again or remove it.",
        ) from exc
    if size is not None and len(content) != size:
        raise InvalidDraftError(
            f"The attached file {str(path)!r} changed since it was attached "
            f"({size} bytes then, {len(content)} now).",
            hint="Attach it again so the recipient gets the version you meant.",
        )
    return content


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to attach: its bytes, or a path read at compose time (large files stay on disk
    until then). `content_type` None means: guess from the file name. `size`, when given for
    a path, is checked at compose time so a file changed behind our back is noticed."""

    filename: str
    content_type: str | None = None
    data: bytes | None = None
    path: Path | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        _check_file_source(self.filename, self.data, self.path, self.size, "attachment")
        # Readers strip these anyway (and Windows refuses them); keep what will arrive.
        object.__setattr__(self, "filename", self.filename.strip())
        _check_content_type(self.content_type, "attachment type")

    @classmethod
    def from_path(
        cls, path: str | Path, *, filename: str | None = None, content_type: str | None = None
    ) -> Attachment:
        """Attach a file by reference; only its size is read now (InvalidDraftError if gone)."""
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InvalidDraftError(f"The file {str(path)!r} cannot be attached: {exc}.") from exc
        return cls(filename or path.name, content_type, path=path, size=size)

    def read(self) -> bytes:
        """The content; raises InvalidDraftError if the file is gone or changed size."""
        return _read_source(self.filename, self.data, self.path, self.size)


@dataclass(frozen=True, slots=True)
class InlineImage:
    """An image shown inside the HTML body, referenced there as `cid:<cid>`."""

    cid: str
    filename: str
    content_type: str | None = None
    data: bytes | None = None
    path: Path | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        ensure_header_safe(self.cid, "content id")
        if not re.fullmatch(r"[!-;=?-~]{1,200}", self.cid):
            raise InvalidDraftError(
                f"The inline image id {self.cid!r} must be printable ASCII without <, > or spaces."
            )
        _check_file_source(self.filename, self.data, self.path, self.size, "inline image")
        object.__setattr__(self, "filename", self.filename.strip())
        _check_content_type(self.content_type, "inline image type")

    @staticmethod
    def new_cid(domain: str = "mailapp.invalid") -> str:
        """A fresh id to use in `<img src="cid:...">`."""
        return f"{secrets.token_hex(12)}@{domain_to_ascii(domain)}"

    def read(self) -> bytes:
        return _read_source(self.filename, self.data, self.path, self.size)


class Notify(StrEnum):
    """When the receiving systems should report back (RFC 3461 NOTIFY)."""

    SUCCESS = "success"
    FAILURE = "failure"
    DELAY = "delay"
    NEVER = "never"


ALL_NOTIFY = frozenset({Notify.SUCCESS, Notify.FAILURE, Notify.DELAY})


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """Delivery reports asked for with this message (used only if the server offers DSN)."""

    notify: frozenset[Notify] = ALL_NOTIFY
    # RET=HDRS: a report carries only the headers of our message, not the whole of it.
    return_headers_only: bool = True

    def __post_init__(self) -> None:
        notify = frozenset(Notify(n) for n in self.notify)
        if Notify.NEVER in notify and len(notify) > 1:
            raise InvalidDraftError("Delivery reports cannot be both 'never' and requested.")
        if not notify:
            raise InvalidDraftError("Choose when to get delivery reports, or 'never'.")
        object.__setattr__(self, "notify", notify)


def _check_msg_id(value: str, what: str) -> None:
    ensure_header_safe(value, what)
    if len(value) > _MAX_MSG_ID or not _MSG_ID.fullmatch(value):
        raise InvalidDraftError(f"The {what} {value[:80]!r} is not a message id like <a@b>.")


@dataclass(frozen=True, slots=True)
class Draft:
    """Everything the user wrote. Bcc recipients get the mail but never appear in it."""

    from_: Mailbox
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()
    reply_to: tuple[Mailbox, ...] = ()
    subject: str = ""
    text_body: str = ""
    html_body: str | None = None
    attachments: tuple[Attachment, ...] = ()
    inline_images: tuple[InlineImage, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    read_receipt: bool = False
    delivery: DeliveryOptions = field(default_factory=DeliveryOptions)
    # (name, value) pairs such as ("X-Priority", "1"); our own headers are refused here.
    extra_headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name in ("to", "cc", "bcc", "reply_to", "attachments", "inline_images"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "extra_headers", tuple(tuple(h) for h in self.extra_headers))
        ensure_header_safe(self.subject, "subject")
        _ensure_encodable(self.text_body, "text")
        _ensure_encodable(self.html_body or "", "HTML text")
        if self.in_reply_to is not None:
            _check_msg_id(self.in_reply_to, "In-Reply-To id")
        for ref in self.references:
            _check_msg_id(ref, "References id")
        seen: set[str] = set()
        for image in self.inline_images:
            if image.cid in seen:
                raise InvalidDraftError(f"Two inline images share the id {image.cid!r}.")
            seen.add(image.cid)
        for name, value in self.extra_headers:
            ensure_header_safe(name, "header name")
            ensure_header_safe(value, f"{name} header")
            if not _HEADER_NAME.fullmatch(name) or len(name) > 76:
                raise HeaderInjectionError(f"{name!r} is not a valid header name.")
            if name.lower() in RESERVED_HEADERS or name.lower().startswith("content-"):
                raise InvalidDraftError(f"The {name} header is set by the program itself.")

    @property
    def recipients(self) -> tuple[Mailbox, ...]:
        """To, Cc and Bcc in that order, without repeats (addresses compared ignoring case)."""
        seen: set[str] = set()
        result: list[Mailbox] = []
        for mailbox in (*self.to, *self.cc, *self.bcc):
            key = mailbox.smtp_address.casefold()
            if key not in seen:
                seen.add(key)
                result.append(mailbox)
        return tuple(result)
