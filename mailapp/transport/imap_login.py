"""The IMAP login probe: greeting, CAPABILITY, STARTTLS, AUTHENTICATE PLAIN or LOGIN, LOGOUT.

Only what an account test needs; the real IMAP client lives in protocols/imap and its
transport. A password is sent only over a verified TLS connection. Imports: core, transport.
"""

from __future__ import annotations

import base64
import logging
import re
import ssl
from dataclasses import dataclass

from mailapp.core.checks import CheckStage
from mailapp.core.errors import (
    AuthFailedError,
    AuthUnavailableError,
    ProtocolError,
    ServerError,
    StartTLSMissingError,
    TemporaryServerError,
)
from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.transport.net import DEFAULT_TIMEOUT, LineStream
from mailapp.transport.tls import StageNotify, TlsPolicy, establish

log = logging.getLogger("mailapp.imap")

_LITERAL_RE = re.compile(rb"\{(\d+)\+?\}$")
_CODE_RE = re.compile(r"^\[([A-Z0-9-]+)")
_CAPA_RE = re.compile(rb"\[CAPABILITY ([^\]]*)\]", re.IGNORECASE)
_TEMPORARY_CODES = frozenset({"UNAVAILABLE", "INUSE", "SERVERBUG", "LIMIT"})


@dataclass(frozen=True, slots=True)
class ImapLoginResult:
    capabilities: frozenset[str]  # after login, upper case
    mechanism: str  # "AUTHENTICATE PLAIN" or "LOGIN"


@dataclass(frozen=True, slots=True)
class _Reply:
    status: str  # OK, NO, BAD
    text: str
    untagged: tuple[bytes, ...]


class _ImapConversation:
    def __init__(self, stream: LineStream) -> None:
        self.stream = stream
        self._tag = 0

    def next_tag(self) -> str:
        self._tag += 1
        return f"P{self._tag}"

    async def read_response_line(self) -> bytes:
        """A whole response line, with any literals it announces read and inlined."""
        line = await self.stream.readline()
        parts = [line]
        while (match := _LITERAL_RE.search(line)) is not None:
            parts.append(await self.stream.readexactly(int(match.group(1))))
            line = await self.stream.readline()
            parts.append(line)
        return b"".join(parts)

    async def command(
        self, text: str, *, shown: str | None = None, bye_expected: bool = False
    ) -> _Reply:
        tag = self.next_tag()
        log.debug("C: %s %s", tag, shown or text)
        await self.stream.write(f"{tag} {text}\r\n".encode())
        return await self.finish(tag, bye_expected=bye_expected)

    async def finish(self, tag: str, *, bye_expected: bool = False) -> _Reply:
        untagged: list[bytes] = []
        prefix = f"{tag} ".encode()
        while True:
            line = await self.read_response_line()
            if line.startswith(prefix):
                status, _, text = line[len(prefix) :].decode("utf-8", "replace").partition(" ")
                return _Reply(status.upper(), text, tuple(untagged))
            if line.startswith(b"* BYE") and not bye_expected:
                raise ServerError(f"{self.stream.where} ended the session: {_text(line[5:])}")
            untagged.append(line)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()


def _capabilities(lines: tuple[bytes, ...] | list[bytes], extra: bytes = b"") -> frozenset[str]:
    found: set[str] = set()
    for line in (*lines, extra):
        upper = line.upper()
        if upper.startswith(b"* CAPABILITY "):
            found.update(_text(line[len(b"* CAPABILITY ") :]).upper().split())
        elif (match := _CAPA_RE.search(line)) is not None:
            found.update(_text(match.group(1)).upper().split())
    return frozenset(found)


def _greeting_words(greeting: bytes) -> str:
    """The greeting without its status and capability list: "Dovecot ready."."""
    text = _text(_CAPA_RE.sub(b"", greeting[4:]))  # after "* OK"
    return text[:120] or "the server greeted us"


def _quoted(value: str) -> str | None:
    """An IMAP quoted string, or None when the value needs a literal."""
    if not value.isascii() or any(ch in value for ch in "\r\n\0"):
        return None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapLoginProbe:
    """Logs in to one IMAP server once and logs out: the account test's incoming check."""

    def __init__(
        self,
        settings: ServerSettings,
        trust: TlsTrust,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        notify: StageNotify | None = None,
    ) -> None:
        self.settings = settings
        self.policy = TlsPolicy(settings.host, trust)
        self.timeout = timeout
        self.source_address = source_address
        self.notify = notify
        # Capabilities announced before TLS, kept for tests (LOGINDISABLED is seen here).
        self.plaintext_capabilities: frozenset[str] = frozenset()

    def _say(self, stage: CheckStage, detail: str) -> None:
        if self.notify is not None:
            self.notify(stage, detail)

    async def run(self, password: str) -> ImapLoginResult:
        conv = await establish(
            self.policy,
            self._open_tls,
            lambda c: c.stream.ssl_object,
            lambda c: c.stream.close(),
            self.notify,
        )
        try:
            result = await self._login(conv, password)
            await self._logout(conv)
            return result
        finally:
            await conv.stream.close()

    async def _open_tls(self, context: ssl.SSLContext, primary: bool) -> _ImapConversation:
        s = self.settings
        implicit = s.security is Security.SSL
        stream = await LineStream.open(
            s.host,
            s.port,
            ssl_context=context if implicit else None,
            server_hostname=self.policy.server_hostname,
            timeout=self.timeout,
            source_address=self.source_address,
        )
        conv = _ImapConversation(stream)
        try:
            greeting = await conv.read_response_line()
            self._check_greeting(stream, greeting)
            if primary:
                self._say(
                    CheckStage.CONNECT, f"connected to {stream.where}: {_greeting_words(greeting)}"
                )
            if not implicit:
                reply = await conv.command("CAPABILITY")
                caps = _capabilities(reply.untagged, greeting)
                if primary:
                    self.plaintext_capabilities = caps
                if "STARTTLS" not in caps:
                    raise StartTLSMissingError(
                        f"The IMAP server {stream.where} does not offer STARTTLS, so the "
                        "password would travel unencrypted; not logging in.",
                        reason="starttls_missing",
                        hint="Use security ssl (usually port 993) if the server has it, or "
                        "ask the provider to enable STARTTLS.",
                    )
                reply = await conv.command("STARTTLS")
                if reply.status != "OK":
                    raise StartTLSMissingError(
                        f"The IMAP server {stream.where} refused STARTTLS: {reply.text}",
                        reason="starttls_missing",
                    )
                await stream.start_tls(context, self.policy.server_hostname)
        except BaseException:
            await stream.close()
            raise
        return conv

    def _check_greeting(self, stream: LineStream, greeting: bytes) -> None:
        upper = greeting.upper()
        if upper.startswith(b"* BYE"):
            raise ServerError(f"{stream.where} turned us away: {_text(greeting[5:])}")
        if upper.startswith(b"* PREAUTH"):
            # Already authenticated before any credential: nothing to test, and an attacker
            # could use it to skip STARTTLS.
            raise ProtocolError(
                f"{stream.where} claims we are logged in before TLS (PREAUTH); refusing it."
            )
        if not upper.startswith(b"* OK"):
            raise ProtocolError(
                f"{stream.where} does not greet like an IMAP server: {_text(greeting[:80])}",
                hint="Check the port: IMAP is usually 143 (starttls) or 993 (ssl).",
            )

    async def _login(self, conv: _ImapConversation, password: str) -> ImapLoginResult:
        if not conv.stream.is_tls:  # the last line of defence; establish() guarantees TLS
            raise StartTLSMissingError(
                "Refusing to send a password without TLS.", reason="starttls_missing"
            )
        # Capabilities from before TLS are void (RFC 3501 6.2.1): ask again.
        caps = _capabilities((await conv.command("CAPABILITY")).untagged)
        user = self.settings.user
        if "AUTH=PLAIN" in caps:
            mechanism = "AUTHENTICATE PLAIN"
            reply = await self._authenticate_plain(conv, caps, user, password)
        elif "LOGINDISABLED" not in caps:
            mechanism = "LOGIN"
            reply = await self._login_command(conv, user, password)
        else:
            raise AuthUnavailableError(
                f"The IMAP server {conv.stream.where} offers no login method we can use "
                "(LOGINDISABLED and no AUTH=PLAIN).",
            )
        if reply.status != "OK":
            self._raise_login_failure(conv.stream, reply)
        after = _capabilities(reply.untagged, reply.text.encode())
        self._say(CheckStage.LOGIN, f"logged in as {user} ({mechanism})")
        return ImapLoginResult(capabilities=after or caps, mechanism=mechanism)

    async def _authenticate_plain(
        self, conv: _ImapConversation, caps: frozenset[str], user: str, password: str
    ) -> _Reply:
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        if "SASL-IR" in caps:
            return await conv.command(
                f"AUTHENTICATE PLAIN {token}", shown="AUTHENTICATE PLAIN [redacted]"
            )
        tag = conv.next_tag()
        log.debug("C: %s AUTHENTICATE PLAIN", tag)
        await conv.stream.write(f"{tag} AUTHENTICATE PLAIN\r\n".encode())
        line = await conv.read_response_line()
        if not line.startswith(b"+"):
            status, _, text = line.partition(b" ")[2].partition(b" ")
            return _Reply(status.decode("ascii", "replace").upper(), _text(text), ())
        await conv.stream.write(token.encode("ascii") + b"\r\n")
        return await conv.finish(tag)

    async def _login_command(self, conv: _ImapConversation, user: str, password: str) -> _Reply:
        quoted_user, quoted_password = _quoted(user), _quoted(password)
        if quoted_user is not None and quoted_password is not None:
            return await conv.command(
                f"LOGIN {quoted_user} {quoted_password}", shown="LOGIN [redacted]"
            )
        # Synchronizing literals for values a quoted string cannot carry (8-bit, CR, LF).
        tag = conv.next_tag()
        log.debug("C: %s LOGIN (literals)", tag)
        values = [user.encode(), password.encode()]
        await conv.stream.write(f"{tag} LOGIN {{{len(values[0])}}}\r\n".encode())
        for index, value in enumerate(values):
            line = await conv.read_response_line()
            if not line.startswith(b"+"):
                status, _, text = line.partition(b" ")[2].partition(b" ")
                return _Reply(status.decode("ascii", "replace").upper(), _text(text), ())
            tail = f" {{{len(values[1])}}}\r\n".encode() if index == 0 else b"\r\n"
            await conv.stream.write(value + tail)
        return await conv.finish(tag)

    def _raise_login_failure(self, stream: LineStream, reply: _Reply) -> None:
        code_match = _CODE_RE.match(reply.text)
        code = code_match.group(1) if code_match else ""
        if code in _TEMPORARY_CODES:
            raise TemporaryServerError(
                f"The IMAP server {stream.where} cannot log us in right now: {reply.text}",
                hint="Try again later.",
            )
        if reply.status == "BAD":
            raise ProtocolError(f"The IMAP server {stream.where} rejected our login: {reply.text}")
        raise AuthFailedError(
            f"The IMAP server {stream.where} refused the login for {self.settings.user}: "
            f"{reply.text}",
            hint="Check the user name and the password.",
        )

    async def _logout(self, conv: _ImapConversation) -> None:
        try:
            await conv.command("LOGOUT", bye_expected=True)
        except Exception as exc:  # the login already succeeded; a rude goodbye is harmless
            log.debug("LOGOUT on %s failed: %s", conv.stream.where, exc)
