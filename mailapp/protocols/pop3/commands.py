"""POP3 commands (RFC 1939, 2449, 2595, 5034) and SASL initial responses, built safely.

A command is a frozen value that knows how its answer is shaped (one line, a multi-line
body, or a SASL exchange) and how to show itself in a log without its secret. Arguments with
CR, LF or NUL are refused (InvalidCommandError): they would let a value end the command and
smuggle in another. Imports: the standard library and mailapp.core.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

from mailapp.core.errors import InvalidCommandError, ParseError

__all__ = [
    "MAX_COMMAND_LENGTH",
    "Command",
    "ResponseKind",
    "auth",
    "capa",
    "dele",
    "is_sasl_response",
    "list_",
    "noop",
    "pass_",
    "quit",
    "retr",
    "rset",
    "sasl_decode",
    "sasl_encode",
    "sasl_plain",
    "sasl_xoauth2",
    "stat",
    "stls",
    "top",
    "uidl",
    "user",
]

# RFC 2449 section 4: a command line is at most 255 octets, CRLF included.
MAX_COMMAND_LENGTH = 255

_KEYWORD_RE = re.compile(r"[A-Z][A-Z0-9]{2,19}\Z")
_MECHANISM_RE = re.compile(r"[A-Z0-9_-]{1,20}\Z")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")
_FORBIDDEN = ("\r", "\n", "\0")
# USER and PASS take the rest of the line (RFC 1939 allows spaces in a password).
_REST_OF_LINE = frozenset({"USER", "PASS"})
# Commands whose single argument is a secret, or whose second argument is (AUTH's response).
_SECRET_ARGS = {"PASS": 0, "AUTH": 1, "APOP": 1}


class ResponseKind(StrEnum):
    GREETING = "greeting"
    SINGLE = "single"  # one status line
    MULTILINE = "multiline"  # a status line, and after +OK a dot-terminated body
    SASL = "sasl"  # "+ challenge" lines until a status line


@dataclass(frozen=True, slots=True)
class Command:
    """One POP3 command line. Build it with the functions below rather than by hand."""

    name: str
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _KEYWORD_RE.match(self.name):
            raise InvalidCommandError(f"{self.name!r} is not a POP3 command keyword.")
        for arg in self.args:
            if not arg:
                raise InvalidCommandError(f"{self.name}: an argument is empty.")
            if any(ch in arg for ch in _FORBIDDEN):
                raise InvalidCommandError(
                    f"{self.name}: an argument holds a line break or NUL; refusing to send it."
                )
            if " " in arg and self.name not in _REST_OF_LINE:
                raise InvalidCommandError(f"{self.name}: an argument holds a space.")
        if self.name in _REST_OF_LINE and len(self.args) != 1:
            raise InvalidCommandError(f"{self.name} takes exactly one argument.")

    @property
    def kind(self) -> ResponseKind:
        if self.name == "AUTH":
            return ResponseKind.SASL
        if self.name in ("CAPA", "RETR", "TOP"):
            return ResponseKind.MULTILINE
        if self.name in ("LIST", "UIDL") and not self.args:
            return ResponseKind.MULTILINE
        return ResponseKind.SINGLE

    @property
    def secret(self) -> bool:
        index = _SECRET_ARGS.get(self.name)
        return index is not None and len(self.args) > index

    def encode(self) -> bytes:
        return " ".join((self.name, *self.args)).encode("utf-8") + b"\r\n"

    @property
    def shown(self) -> str:
        """The command as a log may show it: secrets replaced by [redacted]."""
        index = _SECRET_ARGS.get(self.name)
        args = [
            "[redacted]" if index is not None and i >= index else arg
            for i, arg in enumerate(self.args)
        ]
        return " ".join((self.name, *args))


def _number(what: str, value: int, *, minimum: int = 1) -> str:
    # bool is an int; a True message number is a bug, not message 1.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidCommandError(f"{what} must be an integer >= {minimum}, not {value!r}.")
    return str(value)


def capa() -> Command:
    return Command("CAPA")


def stls() -> Command:
    return Command("STLS")


def user(name: str) -> Command:
    return Command("USER", (name,))


def pass_(password: str) -> Command:
    return Command("PASS", (password,))


def stat() -> Command:
    return Command("STAT")


def list_(number: int | None = None) -> Command:
    """LIST: every message's size (multi-line), or one message's (single line)."""
    return Command("LIST", () if number is None else (_number("LIST message", number),))


def uidl(number: int | None = None) -> Command:
    """UIDL: every message's unique id (multi-line), or one message's (single line)."""
    return Command("UIDL", () if number is None else (_number("UIDL message", number),))


def retr(number: int) -> Command:
    return Command("RETR", (_number("RETR message", number),))


def top(number: int, lines: int) -> Command:
    return Command("TOP", (_number("TOP message", number), _number("TOP lines", lines, minimum=0)))


def dele(number: int) -> Command:
    return Command("DELE", (_number("DELE message", number),))


def noop() -> Command:
    return Command("NOOP")


def rset() -> Command:
    return Command("RSET")


def quit() -> Command:
    return Command("QUIT")


def auth(mechanism: str, initial_response: bytes | None = None) -> tuple[Command, str | None]:
    """AUTH with an optional SASL initial response (RFC 5034).

    Returns the command and, when the initial response would make the line longer than 255
    octets, the base64 text to send after the server's empty "+ " challenge instead.
    """
    mech = mechanism.upper()
    if not _MECHANISM_RE.match(mech):
        raise InvalidCommandError(f"{mechanism!r} is not a SASL mechanism name.")
    if initial_response is None:
        return Command("AUTH", (mech,)), None
    encoded = sasl_encode(initial_response)
    if len(f"AUTH {mech} {encoded}\r\n") <= MAX_COMMAND_LENGTH:
        return Command("AUTH", (mech, encoded)), None
    return Command("AUTH", (mech,)), encoded


def sasl_encode(raw: bytes) -> str:
    """Base64 for a SASL response line; an empty response is "=" (RFC 5034 section 4)."""
    return base64.b64encode(raw).decode("ascii") if raw else "="


def sasl_decode(text: str) -> bytes:
    """A server challenge's bytes ("" and "=" are empty); ParseError when not base64."""
    stripped = text.strip()
    if stripped in ("", "="):
        return b""
    if not _BASE64_RE.match(stripped):
        raise ParseError(f"The server's SASL challenge is not base64: {stripped[:60]!r}")
    try:
        return base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ParseError(f"The server's SASL challenge is not base64: {stripped[:60]!r}") from exc


def is_sasl_response(text: str) -> bool:
    """Whether text may be sent as a SASL response line: base64, "=" or the cancel "*"."""
    return text in ("", "*", "=") or bool(_BASE64_RE.match(text))


def sasl_plain(user: str, password: str, authzid: str = "") -> bytes:
    """The PLAIN message (RFC 4616): authzid NUL authcid NUL password, UTF-8."""
    if any("\0" in value for value in (user, password, authzid)):
        raise InvalidCommandError("A user name or password for AUTH PLAIN holds a NUL.")
    if not user:
        raise InvalidCommandError("AUTH PLAIN needs a user name.")
    return f"{authzid}\0{user}\0{password}".encode()


def sasl_xoauth2(user: str, token: str) -> bytes:
    """The XOAUTH2 message: "user=" U ^A "auth=Bearer " T ^A ^A (Google's and Microsoft's)."""
    for value in (user, token):
        if any(ch in value for ch in ("\x01", *_FORBIDDEN)):
            raise InvalidCommandError("A user name or token for XOAUTH2 holds a control character.")
    if not user or not token:
        raise InvalidCommandError("XOAUTH2 needs a user name and a token.")
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
