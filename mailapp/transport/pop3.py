"""The asyncio POP3 client: POP3S or STLS, AUTH PLAIN / XOAUTH2 / USER+PASS, UIDL, TOP, RETR.

Bytes go through the sans-IO Pop3Protocol (protocols/pop3); this module only moves them.
Messages stream in chunks of at most `read_size` bytes, with no line length limit, straight
into a sink if wanted. A credential is only ever sent over a verified TLS connection; in
starttls mode STLS must be offered and accepted first (StartTLSMissingError otherwise).

Errors: an -ERR answer raises once the answer is complete, and the session stays usable. Any
failure in the middle of an exchange (timeout, lost connection, garbage, a size limit, a
failing sink, cancellation) drops the connection without QUIT, so the server deletes
nothing. Imports: core, protocols, transport, asyncio, ssl.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import inspect
import logging
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self, TypeVar, cast, runtime_checkable

from mailapp.core.checks import CheckStage
from mailapp.core.errors import (
    AuthFailedError,
    AuthUnavailableError,
    ConnectionLostError,
    InvalidCommandError,
    MailAppError,
    ParseError,
    PermanentServerError,
    ProtocolError,
    ServerError,
    StartTLSMissingError,
    TemporaryServerError,
    TimeoutError_,
    TLSError,
    UnsupportedError,
)
from mailapp.core.model import Security, TlsTrust
from mailapp.protocols.pop3 import commands
from mailapp.protocols.pop3.capabilities import Capabilities, parse_capabilities
from mailapp.protocols.pop3.commands import Command
from mailapp.protocols.pop3.connection import (
    DEFAULT_MAX_CHUNK,
    DEFAULT_MAX_MESSAGE_SIZE,
    Pop3Protocol,
    Pop3State,
)
from mailapp.protocols.pop3.events import (
    Continuation,
    DataChunk,
    EndOfData,
    Event,
    Greeting,
    Response,
)
from mailapp.protocols.pop3.listings import (
    MaildropStat,
    parse_scan_listing,
    parse_stat,
    parse_uidl_listing,
)
from mailapp.transport.net import DEFAULT_TIMEOUT, LineStream
from mailapp.transport.tls import StageNotify, TlsPolicy, certificate_error, establish

__all__ = ["ByteSink", "Pop3Client"]

log = logging.getLogger("mailapp.pop3")

T = TypeVar("T")

# RFC 3206 response codes that mean "not now" rather than "no".
_TEMPORARY_CODES = frozenset({"SYS/TEMP", "IN-USE", "LOGIN-DELAY"})
# A SASL exchange that keeps challenging after our answer is going nowhere.
_MAX_CHALLENGES = 4


@runtime_checkable
class ByteSink(Protocol):
    """Where retr_to() writes: a binary file, BytesIO, or an object whose write() is async."""

    def write(self, data: bytes, /) -> object: ...


class _Pop3Stream(LineStream):
    """LineStream plus raw reads: POP3 bodies have no line length limit."""

    async def read_some(self, size: int) -> bytes:
        try:
            data = await asyncio.wait_for(self._reader.read(size), self.timeout)
        except TimeoutError as exc:
            raise TimeoutError_(
                f"{self.where} did not answer within {self.timeout:g} seconds."
            ) from exc
        except ssl.SSLError as exc:
            raise TLSError(f"TLS failed on {self.where}: {exc}", reason="handshake") from exc
        except OSError as exc:
            raise ConnectionLostError(f"Lost the connection to {self.where}: {exc}") from exc
        if not data:
            raise ConnectionLostError(f"{self.where} closed the connection.")
        return data


class _Session:
    """One connection: the stream, the protocol state and the events not consumed yet."""

    def __init__(self, stream: _Pop3Stream, protocol: Pop3Protocol, read_size: int) -> None:
        self.stream = stream
        self.protocol = protocol
        self.read_size = read_size
        self.events: deque[Event] = deque()
        self.writes = 0  # lines sent; an exchange that failed before sending any is harmless

    async def next_event(self) -> Event:
        while not self.events:
            data = await self.stream.read_some(self.read_size)
            self.events.extend(self.protocol.feed(data))
        return self.events.popleft()

    async def send(self, command: Command) -> None:
        data = self.protocol.send(command)
        log.debug("C: %s", command.shown)
        await self.write(data)

    async def write(self, data: bytes) -> None:
        self.writes += 1
        await self.stream.write(data)

    async def response(self) -> Response:
        event = await self.next_event()
        if not isinstance(event, Response):
            raise ProtocolError(f"Expected a status line from {self.stream.where}, got {event}.")
        log.debug("S: %s %s", "+OK" if event.ok else "-ERR", event.text[:200])
        return event

    async def status(self, command: Command) -> Response:
        await self.send(command)
        return await self.response()

    async def body(
        self, command: Command, on_chunk: Callable[[bytes], Awaitable[None]]
    ) -> Response:
        """Send a multi-line command and pass its body on; the status line is returned."""
        await self.send(command)
        first = await self.response()
        if not first.ok:
            return first
        while True:
            event = await self.next_event()
            if isinstance(event, DataChunk):
                await on_chunk(event.data)
            elif isinstance(event, EndOfData):
                return first
            else:
                raise ProtocolError(f"Unexpected {event} inside a multi-line answer.")

    async def collect(self, command: Command) -> tuple[Response, bytes]:
        parts: list[bytes] = []

        async def keep(data: bytes) -> None:
            parts.append(data)

        first = await self.body(command, keep)
        return first, b"".join(parts)


class Pop3Client:
    """An asyncio POP3 client for one session.

        async with Pop3Client() as pop:
            await pop.connect(host, 995, Security.SSL, trust=account.trust)
            await pop.login(user, password)
            for number, uid in (await pop.uidl()).items(): ...
            await pop.quit()  # commits DELE; leaving the block normally also QUITs

    Leaving the `async with` block by an exception drops the connection without QUIT, so
    deletions of that session are not committed.
    """

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        read_size: int = DEFAULT_MAX_CHUNK,
        notify: StageNotify | None = None,
    ) -> None:
        self.max_message_size = max_message_size
        self.read_size = read_size
        self.notify = notify
        self._session: _Session | None = None
        self._lock = asyncio.Lock()
        self._capabilities: Capabilities | None = None
        self.greeting: Greeting | None = None
        # CAPA as seen before STLS (kept for tests and diagnostics; void after TLS).
        self.plaintext_capabilities: Capabilities | None = None

    # --- state ---------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._session is not None

    @property
    def where(self) -> str:
        return self._session.stream.where if self._session is not None else "(not connected)"

    @property
    def state(self) -> Pop3State | None:
        return self._session.protocol.state if self._session is not None else None

    @property
    def is_tls(self) -> bool:
        return self._session is not None and self._session.stream.is_tls

    @property
    def apop_banner(self) -> str | None:
        return self.greeting.apop_banner if self.greeting is not None else None

    def _say(self, stage: CheckStage, detail: str) -> None:
        if self.notify is not None:
            self.notify(stage, detail)

    # --- connecting ----------------------------------------------------------------------------

    async def connect(
        self,
        host: str,
        port: int,
        security: Security | str = Security.SSL,
        *,
        trust: TlsTrust | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
    ) -> Greeting:
        """Connect, verify TLS (implicit, or STLS before anything else) and read the greeting.

        Trust comes from the account (`trust`: system CAs + its CA file, or a SHA-256 pin) or
        from an explicit verifying `ssl_context`, never both.
        """
        if self._session is not None:
            raise RuntimeError("Pop3Client.connect() called twice; use a new client.")
        if trust is not None and ssl_context is not None:
            raise ValueError("give either trust or ssl_context, not both")
        mode = Security(security)

        async def open_tls(context: ssl.SSLContext, primary: bool) -> _Session:
            return await self._open(
                host,
                port,
                mode,
                context,
                primary=primary,
                timeout=timeout,
                source_address=source_address,
            )

        def ssl_object_of(session: _Session) -> ssl.SSLObject | None:
            return session.stream.ssl_object

        async def close(session: _Session) -> None:
            await session.stream.close()

        if ssl_context is None:
            policy = TlsPolicy(host, trust or TlsTrust())
            session = await establish(policy, open_tls, ssl_object_of, close, self.notify)
        else:
            try:
                session = await open_tls(ssl_context, True)
            except ssl.SSLCertVerificationError as exc:
                raise certificate_error(host, exc, None) from None
            if not session.stream.is_tls:  # cannot happen: both modes end in a handshake
                await session.stream.close()
                raise TLSError(f"The connection to {host} is not encrypted.", reason="handshake")
        self._session = session
        assert self.greeting is not None
        return self.greeting

    async def _open(
        self,
        host: str,
        port: int,
        mode: Security,
        context: ssl.SSLContext,
        *,
        primary: bool,
        timeout: float,
        source_address: tuple[str, int] | None,
    ) -> _Session:
        implicit = mode is Security.SSL
        stream = cast(
            _Pop3Stream,
            await _Pop3Stream.open(
                host,
                port,
                ssl_context=context if implicit else None,
                server_hostname=host,
                timeout=timeout,
                source_address=source_address,
            ),
        )
        protocol = Pop3Protocol(secure=implicit, max_message_size=self.max_message_size)
        session = _Session(stream, protocol, self.read_size)
        try:
            greeting = await self._read_greeting(session)
            if primary:
                self.greeting = greeting
                words = greeting.text[:120] or "the server greeted us"
                self._say(CheckStage.CONNECT, f"connected to {stream.where}: {words}")
            if not implicit:
                caps = await self._capa(session)
                if primary:
                    self.plaintext_capabilities = caps
                if not caps.stls:
                    raise StartTLSMissingError(
                        f"The POP3 server {stream.where} does not offer STLS, so the password "
                        "would travel unencrypted; not logging in.",
                        reason="starttls_missing",
                        hint="Use security ssl (usually port 995) if the server has it.",
                    )
                reply = await session.status(commands.stls())
                if not reply.ok:
                    raise StartTLSMissingError(
                        f"The POP3 server {stream.where} refused STLS: {reply.text}",
                        reason="starttls_missing",
                    )
                protocol.start_tls()
                await stream.start_tls(context, host)
        except BaseException:
            await stream.close()
            raise
        return session

    async def _read_greeting(self, session: _Session) -> Greeting:
        where = session.stream.where
        try:
            event = await session.next_event()
        except ParseError as exc:
            raise ProtocolError(
                f"{where} does not greet like a POP3 server: {exc.message}",
                hint="Check the port: POP3 is usually 110 (starttls) or 995 (ssl).",
            ) from exc
        assert isinstance(event, Greeting)
        if not event.ok:
            error = TemporaryServerError if event.code in _TEMPORARY_CODES else ServerError
            raise error(f"The POP3 server {where} turned us away: {event.text}")
        return event

    async def _capa(self, session: _Session) -> Capabilities:
        reply, body = await session.collect(commands.capa())
        return parse_capabilities(body) if reply.ok else Capabilities.unknown()

    # --- running exchanges ---------------------------------------------------------------------

    def _require(self) -> _Session:
        if self._session is None:
            raise ConnectionLostError("Not connected to a POP3 server.")
        return self._session

    async def _exchange(self, run: Callable[[_Session], Awaitable[T]]) -> T:
        """Run one exchange; anything but a complete answer drops the connection.

        Except a refusal before the first byte went out (a command the session state does
        not allow, a value with a line break): the session is still in step then.
        """
        session = self._require()
        async with self._lock:
            if self._session is not session:
                raise ConnectionLostError(f"The connection to {session.stream.where} is gone.")
            writes = session.writes
            try:
                return await run(session)
            except (InvalidCommandError, StartTLSMissingError):
                if session.writes != writes or session.protocol.waiting or session.events:
                    await self._drop()
                raise
            except BaseException:
                await self._drop()
                raise

    async def _drop(self) -> None:
        session, self._session = self._session, None
        self._capabilities = None
        if session is not None:
            await session.stream.close()

    def _refused(self, what: str, reply: Response) -> ServerError:
        message = f"The POP3 server {self.where} refused {what}: {reply.text or '-ERR'}"
        if reply.code in _TEMPORARY_CODES:
            return TemporaryServerError(message, hint="Try again later.")
        return PermanentServerError(message)

    # --- capabilities and login ----------------------------------------------------------------

    async def capabilities(self, *, refresh: bool = False) -> Capabilities:
        """CAPA (cached until STLS or login changes it); unknown() when CAPA is refused."""
        if self._capabilities is None or refresh:
            self._capabilities = await self._exchange(self._capa)
        return self._capabilities

    def _require_login_possible(self) -> _Session:
        session = self._require()
        if session.protocol.state is not Pop3State.AUTHORIZATION:
            raise InvalidCommandError(
                f"Cannot log in to {session.stream.where} in the {session.protocol.state} state."
            )
        if not (session.stream.is_tls and session.protocol.secure):
            # establish() guarantees TLS; this is the last line of defence.
            raise StartTLSMissingError(
                "Refusing to send a password without TLS.", reason="starttls_missing"
            )
        return session

    async def login(self, user: str, password: str) -> str:
        """Log in with AUTH PLAIN when offered, else USER/PASS. Returns the method used."""
        self._require_login_possible()
        caps = await self.capabilities()
        if "PLAIN" in caps.sasl:
            mechanism = "AUTH PLAIN"
            reply, _ = await self._sasl("PLAIN", commands.sasl_plain(user, password))
        elif caps.user or not caps.known:
            mechanism = "USER/PASS"
            user_command, pass_command = commands.user(user), commands.pass_(password)

            async def run(session: _Session) -> Response:
                reply = await session.status(user_command)
                return await session.status(pass_command) if reply.ok else reply

            reply = await self._exchange(run)
        else:
            raise AuthUnavailableError(
                f"The POP3 server {self.where} offers no login method we can use "
                "(neither SASL PLAIN nor USER)."
            )
        self._after_login(reply, user, mechanism)
        return mechanism

    async def login_xoauth2(self, user: str, token: str) -> None:
        """Log in with SASL XOAUTH2 (an OAuth 2 access token)."""
        self._require_login_possible()
        caps = await self.capabilities()
        if caps.known and "XOAUTH2" not in caps.sasl:
            raise AuthUnavailableError(
                f"The POP3 server {self.where} does not offer XOAUTH2 "
                f"(it offers: {', '.join(sorted(caps.sasl)) or 'no SASL'})."
            )
        reply, challenges = await self._sasl("XOAUTH2", commands.sasl_xoauth2(user, token))
        detail = ""
        if not reply.ok and challenges:
            detail = f" ({_decoded(challenges[-1])})"
        self._after_login(reply, user, "AUTH XOAUTH2", detail)

    def _after_login(self, reply: Response, user: str, mechanism: str, detail: str = "") -> None:
        if not reply.ok:
            words = f"{reply.text or '-ERR'}{detail}"
            if reply.code in _TEMPORARY_CODES:
                raise TemporaryServerError(
                    f"The POP3 server {self.where} cannot log us in right now: {words}",
                    hint="Try again later.",
                )
            raise AuthFailedError(
                f"The POP3 server {self.where} refused the login for {user}: {words}",
                hint="Check the user name and the password.",
            )
        self._capabilities = None  # RFC 2449: capabilities may change after login
        self._say(CheckStage.LOGIN, f"logged in as {user} ({mechanism})")

    async def _sasl(self, mechanism: str, message: bytes) -> tuple[Response, list[str]]:
        command, later = commands.auth(mechanism, message)
        # After our answer, a challenge means failure: XOAUTH2 sends its error as JSON and
        # wants an empty line back; for others "*" cancels.
        fallback = "" if mechanism == "XOAUTH2" else "*"

        async def run(session: _Session) -> tuple[Response, list[str]]:
            await session.send(command)
            pending = later
            challenges: list[str] = []
            while True:
                event = await session.next_event()
                if isinstance(event, Response):
                    return event, challenges
                if not isinstance(event, Continuation):
                    raise ProtocolError(f"Unexpected {event} during AUTH {mechanism}.")
                if pending is not None:
                    answer, pending = pending, None
                else:
                    challenges.append(event.challenge)
                    if len(challenges) > _MAX_CHALLENGES:
                        raise ProtocolError(f"AUTH {mechanism} keeps challenging; giving up.")
                    answer = fallback
                log.debug("C: [SASL response]")
                await session.write(session.protocol.send_sasl_response(answer))

        return await self._exchange(run)

    # --- the maildrop --------------------------------------------------------------------------

    async def stat(self) -> MaildropStat:
        reply = await self._exchange(lambda s: s.status(commands.stat()))
        if not reply.ok:
            raise self._refused("STAT", reply)
        return parse_stat(reply.text)

    async def uidl(self) -> dict[int, str]:
        """Message number -> unique id for every message (UnsupportedError without UIDL)."""
        reply, body = await self._exchange(lambda s: s.collect(commands.uidl()))
        if not reply.ok:
            if reply.code in _TEMPORARY_CODES:
                raise self._refused("UIDL", reply)
            raise UnsupportedError(
                f"The POP3 server {self.where} does not give unique ids (UIDL): {reply.text}",
                hint="Without UIDL every check would download all messages again.",
            )
        return parse_uidl_listing(body)

    async def list_sizes(self) -> dict[int, int]:
        """Message number -> size in octets (as the server counts them)."""
        reply, body = await self._exchange(lambda s: s.collect(commands.list_()))
        if not reply.ok:
            raise self._refused("LIST", reply)
        return parse_scan_listing(body)

    async def top(self, number: int, lines: int = 0) -> bytes:
        """The header and the first `lines` body lines of a message."""
        command = commands.top(number, lines)
        reply, body = await self._exchange(lambda s: s.collect(command))
        if not reply.ok:
            raise self._refused(f"TOP {number}", reply)
        return body

    async def retr(self, number: int) -> bytes:
        """A whole message, byte for byte (dot-unstuffed, CRLF line endings as sent)."""
        command = commands.retr(number)
        reply, body = await self._exchange(lambda s: s.collect(command))
        if not reply.ok:
            raise self._refused(f"RETR {number}", reply)
        return body

    async def retr_to(self, number: int, sink: ByteSink | Callable[[bytes], object]) -> int:
        """Stream a message into sink chunk by chunk; returns the bytes written.

        sink is an object with write(bytes) or a callable taking bytes; an awaitable result
        is awaited (back-pressure for async writers). If the sink raises, the connection is
        dropped (the message stays on the server).
        """
        command = commands.retr(number)
        write = sink.write if isinstance(sink, ByteSink) else sink
        written = 0

        async def on_chunk(data: bytes) -> None:
            nonlocal written
            result = write(data)
            if inspect.isawaitable(result):
                await result
            written += len(data)

        reply = await self._exchange(lambda s: s.body(command, on_chunk))
        if not reply.ok:
            raise self._refused(f"RETR {number}", reply)
        return written

    async def dele(self, number: int) -> None:
        """Mark a message deleted; the server removes it at QUIT (rset() undoes it)."""
        command = commands.dele(number)
        reply = await self._exchange(lambda s: s.status(command))
        if not reply.ok:
            raise self._refused(f"DELE {number}", reply)

    async def rset(self) -> None:
        reply = await self._exchange(lambda s: s.status(commands.rset()))
        if not reply.ok:
            raise self._refused("RSET", reply)

    async def noop(self) -> None:
        reply = await self._exchange(lambda s: s.status(commands.noop()))
        if not reply.ok:
            raise self._refused("NOOP", reply)

    # --- ending --------------------------------------------------------------------------------

    async def quit(self) -> None:
        """QUIT: the server commits deletions, then the connection is closed."""
        if self._session is None:
            return
        reply = await self._exchange(lambda s: s.status(commands.quit()))
        await self._drop()
        if not reply.ok:
            # RFC 1939: "-ERR some deleted messages not removed".
            raise self._refused("to finish the session (QUIT)", reply)

    async def close(self) -> None:
        """Drop the connection without QUIT: deletions of this session are not committed."""
        await self._drop()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self._session is not None:
            try:
                await self.quit()
            except MailAppError:
                await self._drop()
                raise
        else:
            await self._drop()


def _decoded(challenge: str) -> str:
    """A failure challenge as text (XOAUTH2 sends base64 JSON); never holds our secret."""
    try:
        raw = base64.b64decode(challenge, validate=True)
    except (binascii.Error, ValueError):
        return challenge[:200]
    return raw.decode("utf-8", "replace")[:200]
