"""Parser of the Thunderbird autoconfig format (clientConfig v1.1) into candidate servers.

Pure: bytes in, frozen values out. Entries without encryption (socketType "plain") are never
offered: they are listed in `ClientConfig.skipped` with the reason. The XML is read with expat
directly and any DTD is refused (no DOCTYPE, no ENTITY: expat would expand nested entities,
the "billion laughs"), the document size and nesting depth are capped, and the walk over the
tree is iterative. Imports: core and the standard library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.core.model import IncomingProtocol, Security, ServerSettings

# A real clientConfig is a few kilobytes; the ISPDB's biggest is far below this.
MAX_CONFIG_BYTES = 256 * 1024
MAX_DEPTH = 16

_DTD_MARKERS = (b"<!doctype", b"<!entity")
_SOCKET_TYPES = {"ssl": Security.SSL, "starttls": Security.STARTTLS}
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$"
)
_PLACEHOLDER_RE = re.compile(r"%[A-Z]+%")


class ServerKind(StrEnum):
    """What a server is for: reading mail (IMAP, POP3) or sending it (SMTP submission)."""

    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"

    @property
    def incoming(self) -> bool:
        return self is not ServerKind.SMTP

    @property
    def incoming_protocol(self) -> IncomingProtocol | None:
        if self is ServerKind.IMAP:
            return IncomingProtocol.IMAP
        if self is ServerKind.POP3:
            return IncomingProtocol.POP3
        return None


@dataclass(frozen=True, slots=True)
class ServerCandidate:
    """One usable server entry, placeholders already replaced for the given address.

    `authentication` keeps the file's words in order ("password-cleartext", "OAuth2", ...).
    """

    kind: ServerKind
    host: str
    port: int
    security: Security
    username: str
    authentication: tuple[str, ...] = ()

    @property
    def settings(self) -> ServerSettings:
        return ServerSettings(self.host, self.port, self.security, self.username)

    @property
    def password_auth(self) -> bool:
        """True when a password login is listed (or nothing is said, which means one)."""
        if not self.authentication:
            return True
        return any(a.lower() in _PASSWORD_METHODS for a in self.authentication)


# Thunderbird's words for a login by password; "plain"/"secure" are the old spellings.
_PASSWORD_METHODS = frozenset({"password-cleartext", "password-encrypted", "plain", "secure"})


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """What one clientConfig document offers, best entry first (the file's order)."""

    domains: tuple[str, ...]
    display_name: str
    incoming: tuple[ServerCandidate, ...]
    outgoing: tuple[ServerCandidate, ...]
    # One plain sentence per entry left out ("imap mail.example.com:143 has no encryption").
    skipped: tuple[str, ...] = ()


def split_address(email: str) -> tuple[str, str]:
    """'local@domain' -> (local, domain); ParseError when there is no single usable '@'."""
    local, sep, domain = email.strip().rpartition("@")
    if not sep or not local or not domain or any(c.isspace() for c in email.strip()):
        raise ParseError(f"{email!r} is not an e-mail address.")
    return local, domain


def substitute(template: str, email: str) -> str:
    """Replace %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN%; other text stays."""
    local, domain = split_address(email)
    values = {
        "%EMAILADDRESS%": email.strip(),
        "%EMAILLOCALPART%": local,
        "%EMAILDOMAIN%": domain,
    }
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(0), m.group(0)), template)


def parse_client_config(
    data: bytes, email: str, *, max_bytes: int = MAX_CONFIG_BYTES
) -> ClientConfig:
    """Read a clientConfig document for `email`.

    Raises LimitExceededError when the document is too big or too deep, ParseError when it is
    not well-formed XML, carries a DTD, or is not a clientConfig with an emailProvider.
    """
    split_address(email)
    root = parse_xml(data, max_bytes=max_bytes)
    if root.tag != "clientConfig":
        raise ParseError(f"The document is a <{root.tag}>, not an autoconfig <clientConfig>.")
    provider = root.find("emailProvider")
    if provider is None:
        raise ParseError("The autoconfig document has no <emailProvider>.")
    domains = tuple(
        text.lower() for d in provider.findall("domain") if (text := (d.text or "").strip())
    )
    display_name = _text(provider, "displayName") or _text(provider, "displayShortName")
    incoming: list[ServerCandidate] = []
    outgoing: list[ServerCandidate] = []
    skipped: list[str] = []
    for element in provider:
        if element.tag == "incomingServer":
            into = incoming
        elif element.tag == "outgoingServer":
            into = outgoing
        else:
            continue
        candidate, why_not = _server(element, email)
        if candidate is not None:
            into.append(candidate)
        elif why_not:
            skipped.append(why_not)
    return ClientConfig(domains, display_name, tuple(incoming), tuple(outgoing), tuple(skipped))


def parse_xml(data: bytes, *, max_bytes: int = MAX_CONFIG_BYTES) -> Element:
    """A small XML document as an Element tree; no DTD, no entities, bounded size and depth."""
    if len(data) > max_bytes:
        raise LimitExceededError(
            f"The autoconfig document has {len(data)} bytes; at most {max_bytes} are read."
        )
    lowered = data.lower()
    # Cheap first guard on the raw bytes; the expat handlers below also catch DTDs written
    # in encodings where these ASCII bytes do not appear (UTF-16).
    if any(marker in lowered for marker in _DTD_MARKERS):
        raise ParseError("The autoconfig document declares a DTD or entities; refused.")
    return _Builder().run(data)


class _Builder:
    def __init__(self) -> None:
        self._tree = TreeBuilder()
        self._depth = 0
        self._parser = expat.ParserCreate()
        self._parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.CharacterDataHandler = self._tree.data
        self._parser.StartDoctypeDeclHandler = self._refuse_dtd
        self._parser.EntityDeclHandler = self._refuse_dtd
        self._parser.ExternalEntityRefHandler = self._refuse_external
        self._parser.buffer_text = True

    def run(self, data: bytes) -> Element:
        try:
            self._parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise ParseError(f"The autoconfig document is not well-formed XML: {exc}.") from exc
        return self._tree.close()

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise LimitExceededError(
                f"The autoconfig document nests deeper than {MAX_DEPTH} elements."
            )
        self._tree.start(tag, attrs)

    def _end(self, tag: str) -> None:
        self._depth -= 1
        self._tree.end(tag)

    def _refuse_dtd(self, *_args: object) -> None:
        raise ParseError("The autoconfig document declares a DTD or entities; refused.")

    def _refuse_external(self, *_args: object) -> int:
        raise ParseError("The autoconfig document refers to an external entity; refused.")


def _text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _server(element: Element, email: str) -> tuple[ServerCandidate | None, str]:
    type_word = (element.get("type") or "").strip().lower()
    outgoing = element.tag == "outgoingServer"
    host_text = substitute(_text(element, "hostname"), email).strip().rstrip(".").lower()
    port_text = _text(element, "port")
    where = f"{type_word or '?'} {host_text or '?'}:{port_text or '?'}"
    if outgoing and type_word != "smtp":
        return None, f"{where}: the outgoing server type {type_word!r} is not supported"
    if not outgoing and type_word not in ("imap", "pop3"):
        return None, f"{where}: the incoming server type {type_word!r} is not supported"
    kind = ServerKind(type_word)
    if not _HOST_RE.match(host_text):
        return None, f"{where}: {host_text!r} is not a host name"
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        return None, f"{where}: {port_text!r} is not a port number"
    socket_word = _text(element, "socketType").lower()
    if socket_word == "plain":
        return None, f"{where} has no encryption; passwords never travel unencrypted"
    security = _SOCKET_TYPES.get(socket_word)
    if security is None:
        return None, f"{where}: the socket type {socket_word!r} is not known"
    username = substitute(_text(element, "username"), email)
    if not username:
        username = email.strip()
    auth = tuple(
        word for a in element.findall("authentication") if (word := (a.text or "").strip())
    )
    return ServerCandidate(kind, host_text, int(port_text), security, username, auth), ""
