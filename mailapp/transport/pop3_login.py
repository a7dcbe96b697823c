"""The POP3 login probe: greeting, CAPA, STLS, AUTH PLAIN or USER/PASS, QUIT.

Only what an account test needs; the POP3 client proper is written elsewhere. A password is
sent only over a verified TLS connection. Imports: core, transport.
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
    StartTLSMissingError,
    TemporaryServerError,
)
from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.transport.net import DEFAULT_TIMEOUT, LineStream
from mailapp.transport.tls import StageNotify, TlsPolicy, establish

log = logging.getLogger("mailapp.pop3")

_CODE_RE = re.compile(r"^\[([A-Z0-9/-]+)\]")
# RFC 3206 response codes that mean "not now" rather than "wrong password".
_TEMPORARY_CODES = frozenset({"SYS/TEMP", "IN-USE", "LOGIN-DELAY"})
_MAX_CAPA_LINES = 1000


@dataclass(frozen=True, slots=True)
class Pop3LoginResult:
    capabilities: frozenset[str]  # CAPA lines after TLS, upper case ("SASL PLAIN LOGIN")
    mechanism: str  # "AUTH PLAIN" or "USER/PASS"


@dataclass(frozen=True, slots=True)
class _Reply:
    ok: bool
    text: str


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()


class _Pop3Conversation:
    def __init__(self, stream: LineStream) -> None:
        self.stream = stream

    async def reply(self) -> _Reply:
        line = await self.stream.readline()
        if line.startswith(b"+OK"):
            return _Reply(True, _text(line[3:]))
        if line.startswith(b"-ERR"):
            return _Reply(False, _text(line[4:]))
        if line.startswith(b"+"):  # SASL continuation
            return _Reply(True, _text(line[1:]))
        raise ProtocolError(
            f"{self.stream.where} answered in a way POP3 does not allow: {_text(line[:80])}"
        )

    async def command(self, text: str, *, shown: str | None = None) -> _Reply:
        log.debug("C: %s", shown or text)
        await self.stream.write(f"{text}\r\n".encode())
        return await self.reply()

    async def capabilities(self) -> frozenset[str]:
        reply = await self.command("CAPA")
        if not reply.ok:
            return frozenset()
        found: set[str] = set()
        for _ in range(_MAX_CAPA_LINES):
            line = await self.stream.readline()
            if line == b".":
                return frozenset(found)
            found.add(_text(line[1:] if line.startswith(b"..") else line).upper())
        raise ProtocolError(f"{self.stream.where} sent an endless CAPA list.")


def _sasl_mechanisms(caps: frozenset[str]) -> frozenset[str]:
    for line in caps:
        if line.startswith("SASL "):
            return frozenset(line.split()[1:])
    return frozenset()


class Pop3LoginProbe:
    """Logs in to one POP3 server once and quits: the account test's incoming check."""

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

    def _say(self, stage: CheckStage, detail: str) -> None:
        if self.notify is not None:
            self.notify(stage, detail)

    async def run(self, password: str) -> Pop3LoginResult:
        conv = await establish(
            self.policy,
            self._open_tls,
            lambda c: c.stream.ssl_object,
            lambda c: c.stream.close(),
            self.notify,
        )
        try:
            result = await self._login(conv, password)
            try:
                await conv.command("QUIT")
            except Exception as exc:  # logged in already; a rude goodbye is harmless
                log.debug("QUIT on %s failed: %s", conv.stream.where, exc)
            return result
        finally:
            await conv.stream.close()

    async def _open_tls(self, context: ssl.SSLContext, primary: bool) -> _Pop3Conversation:
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
        conv = _Pop3Conversation(stream)
        try:
            greeting = await stream.readline()
            if not greeting.startswith(b"+OK"):
                raise ProtocolError(
                    f"{stream.where} does not greet like a POP3 server: {_text(greeting[:80])}",
                    hint="Check the port: POP3 is usually 110 (starttls) or 995 (ssl).",
                )
            if primary:
                words = _text(greeting[3:])[:120] or "the server greeted us"
                self._say(CheckStage.CONNECT, f"connected to {stream.where}: {words}")
            if not implicit:
                caps = await conv.capabilities()
                if "STLS" not in caps:
                    raise StartTLSMissingError(
                        f"The POP3 server {stream.where} does not offer STLS, so the password "
                        "would travel unencrypted; not logging in.",
                        reason="starttls_missing",
                        hint="Use security ssl (usually port 995) if the server has it.",
                    )
                reply = await conv.command("STLS")
                if not reply.ok:
                    raise StartTLSMissingError(
                        f"The POP3 server {stream.where} refused STLS: {reply.text}",
                        reason="starttls_missing",
                    )
                await stream.start_tls(context, self.policy.server_hostname)
        except BaseException:
            await stream.close()
            raise
        return conv

    async def _login(self, conv: _Pop3Conversation, password: str) -> Pop3LoginResult:
        if not conv.stream.is_tls:  # the last line of defence; establish() guarantees TLS
            raise StartTLSMissingError(
                "Refusing to send a password without TLS.", reason="starttls_missing"
            )
        caps = await conv.capabilities()  # pre-TLS capabilities are void
        user = self.settings.user
        if "PLAIN" in _sasl_mechanisms(caps):
            mechanism = "AUTH PLAIN"
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
            reply = await conv.command(f"AUTH PLAIN {token}", shown="AUTH PLAIN [redacted]")
        elif "USER" in caps or not caps:
            mechanism = "USER/PASS"
            if any(ch in user + password for ch in "\r\n"):
                raise AuthUnavailableError(
                    "A user name or password with a line break cannot be sent with USER/PASS."
                )
            reply = await conv.command(f"USER {user}")
            if reply.ok:
                reply = await conv.command(f"PASS {password}", shown="PASS [redacted]")
        else:
            raise AuthUnavailableError(
                f"The POP3 server {conv.stream.where} offers no login method we can use "
                "(neither SASL PLAIN nor USER)."
            )
        if not reply.ok:
            code_match = _CODE_RE.match(reply.text)
            if code_match and code_match.group(1) in _TEMPORARY_CODES:
                raise TemporaryServerError(
                    f"The POP3 server {conv.stream.where} cannot log us in right now: {reply.text}",
                    hint="Try again later.",
                )
            raise AuthFailedError(
                f"The POP3 server {conv.stream.where} refused the login for {user}: {reply.text}",
                hint="Check the user name and the password.",
            )
        self._say(CheckStage.LOGIN, f"logged in as {user} ({mechanism})")
        return Pop3LoginResult(capabilities=caps, mechanism=mechanism)
