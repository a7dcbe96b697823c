"""The asyncio IMAP client: our sans-IO parser and command builder over TLS streams.

Imports: core, protocols.imap, transport.tls, asyncio, ssl, zlib and the stdlib.

One command runs at a time; the running command reads the connection itself until its tagged
reply, so no background task competes for the socket. Every untagged response is kept: it goes
into the command's result (or its streaming callback) and, when it describes a change to the
selected mailbox (EXISTS, EXPUNGE, VANISHED, RECENT, FLAGS, an unsolicited FETCH), to the
`on_event` callback too. Big answers are cut by the framer as bytes arrive and parsed in a
worker thread in batches, so the event loop never waits on the parser.

Security: implicit TLS or STARTTLS always, verified by the account's TlsPolicy; a password is
never sent over a connection without TLS (the only exception is an explicit opt-in for a
server on a loopback address). The wire log (logger `mailapp.imap.wire`, DEBUG) shows
commands through Command.log_text(), which redacts LOGIN and AUTHENTICATE.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import ssl
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailapp.core.checks import CheckStage
from mailapp.core.errors import (
    AuthFailedError,
    AuthUnavailableError,
    ConnectError,
    ConnectionLostError,
    ImapCommandError,
    InvalidCommandError,
    MailAppError,
    ParseError,
    ProtocolError,
    ServerError,
    StartTLSMissingError,
    TemporaryServerError,
    TimeoutError_,
    TLSError,
    UnsupportedError,
)
from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.protocols.imap import (
    IDLE_DONE,
    CapabilityCode,
    CapabilityResponse,
    Command,
    CommandBuilder,
    ContinuationRequest,
    EnabledResponse,
    ESearchResponse,
    ExistsResponse,
    ExpungeResponse,
    FetchPreparer,
    FetchResponse,
    FlagsResponse,
    HighestModseqCode,
    IdResponse,
    ListResponse,
    MailboxStatusResponse,
    PermanentFlagsCode,
    QresyncParams,
    RecentResponse,
    Response,
    ResponseFramer,
    ResponseParser,
    SearchResponse,
    Status,
    TaggedResponse,
    UidNextCode,
    UidValidityCode,
    UntaggedStatus,
    VanishedResponse,
)
from mailapp.transport.tls import StageNotify, TlsPolicy, establish

__all__ = [
    "DEFAULT_IDLE_SECONDS",
    "CommandResult",
    "EventCallback",
    "ImapClient",
    "MailboxState",
    "is_loopback",
]

log = logging.getLogger("mailapp.imap")
wire = logging.getLogger("mailapp.imap.wire")

DEFAULT_TIMEOUT = 30.0
# RFC 9051: servers may drop an IDLE after 30 minutes; renew well before.
DEFAULT_IDLE_SECONDS = 28 * 60.0
READ_SIZE = 256 * 1024
# Parse in a worker thread from this many responses or bytes on; small answers inline.
_THREAD_MIN_RESPONSES = 64
_THREAD_MIN_BYTES = 128 * 1024
# The most responses parsed in one go: bounds the latency of one worker call.
_PARSE_BATCH = 2000
_WIRE_SNIPPET = 300
_PORT_HINT = "Check the port: IMAP is usually 143 (starttls) or 993 (ssl)."
_ENABLE_WANTED = ("CONDSTORE", "QRESYNC", "UTF8=ACCEPT")
_CLIENT_ID: Mapping[str, str | None] = {"name": "mailapp", "version": "0.1"}

EventCallback = Callable[[Response], None]
BatchCallback = Callable[[list[Response]], Awaitable[None]]

# Untagged responses that tell of changes in the selected mailbox.
_EVENT_TYPES = (
    ExistsResponse,
    ExpungeResponse,
    VanishedResponse,
    RecentResponse,
    FlagsResponse,
    FetchResponse,
)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command's tagged reply and the untagged responses that came while it ran (those
    passed to a streaming callback are not repeated here)."""

    tagged: TaggedResponse
    untagged: tuple[Response, ...]

    def of_type(self, kind: type[Response]) -> list[Response]:
        return [r for r in self.untagged if isinstance(r, kind)]


@dataclass(frozen=True, slots=True)
class MailboxState:
    """What SELECT/EXAMINE told about a mailbox."""

    name: str
    exists: int
    uidvalidity: int | None
    uidnext: int | None
    # None when the server has no CONDSTORE or the mailbox says NOMODSEQ.
    highestmodseq: int | None
    flags: tuple[str, ...]
    permanent_flags: tuple[str, ...]
    read_only: bool
    # QRESYNC: UIDs expunged since the known modseq, and the messages changed since.
    vanished: tuple[int, ...] = ()
    changed: tuple[FetchResponse, ...] = field(default=())


class _Inflating:
    """COMPRESS=DEFLATE (RFC 4978): raw deflate both ways, flushed per write."""

    def __init__(self) -> None:
        self._in = zlib.decompressobj(-15)
        self._out = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)

    def inflate(self, data: bytes) -> bytes:
        try:
            return self._in.decompress(data)
        except zlib.error as exc:
            raise ProtocolError(f"The server's compressed data is damaged: {exc}") from exc

    def deflate(self, data: bytes) -> bytes:
        return self._out.compress(data) + self._out.flush(zlib.Z_SYNC_FLUSH)


class ImapClient:
    """One IMAP connection: connect(), login()/authenticate_xoauth2(), commands, logout().

    `on_event` receives untagged responses about mailbox changes as they arrive (also the
    ones answering a running command, except that command's own FETCH data)."""

    def __init__(
        self,
        settings: ServerSettings,
        trust: TlsTrust,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        on_event: EventCallback | None = None,
        allow_plaintext_loopback: bool = False,
        source_address: tuple[str, int] | None = None,
        notify: StageNotify | None = None,
        client_id: Mapping[str, str | None] | None = _CLIENT_ID,
    ) -> None:
        self.settings = settings
        self.policy = TlsPolicy(settings.host, trust)
        self.timeout = timeout
        self.on_event = on_event
        self.allow_plaintext_loopback = allow_plaintext_loopback and is_loopback(settings.host)
        self.source_address = source_address
        self.notify = notify
        self.client_id = client_id
        self.where = f"{settings.host}:{settings.port}"
        self.capabilities: frozenset[str] = frozenset()
        # Capabilities seen before TLS (kept for tests: LOGINDISABLED shows here).
        self.plaintext_capabilities: frozenset[str] = frozenset()
        self.enabled: frozenset[str] = frozenset()
        self.server_id: dict[str, str | None] = {}
        self.selected: MailboxState | None = None
        self.authenticated = False
        self.compressed = False
        self.alerts: list[str] = []
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._framer = ResponseFramer()
        self._parser = ResponseParser()
        self._builder = CommandBuilder()
        self._pending: deque[Response] = deque()
        self._lock = asyncio.Lock()
        self._deflate: _Inflating | None = None
        self._closed = False
        self._bye: UntaggedStatus | None = None
        self._greeting: Response | None = None

    # --- properties ---------------------------------------------------------------------

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities

    @property
    def condstore(self) -> bool:
        return "CONDSTORE" in self.enabled or "QRESYNC" in self.enabled

    @property
    def qresync(self) -> bool:
        return "QRESYNC" in self.enabled

    @property
    def utf8(self) -> bool:
        return "UTF8=ACCEPT" in self.enabled

    @property
    def is_tls(self) -> bool:
        return self._ssl_object() is not None

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._closed and not self._writer.is_closing()

    def _say(self, stage: CheckStage, detail: str) -> None:
        if self.notify is not None:
            self.notify(stage, detail)

    def _ssl_object(self) -> ssl.SSLObject | None:
        if self._writer is None:
            return None
        obj = self._writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    # --- connecting ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the connection, verify TLS (implicit or STARTTLS) and read the capabilities."""
        await establish(
            self.policy,
            self._open_tls,
            lambda c: c._ssl_object(),
            lambda c: c._abort(),
            self.notify,
        )
        if not self.is_tls and not self.allow_plaintext_loopback:
            await self._abort()
            raise StartTLSMissingError(
                f"The connection to {self.where} is not encrypted.", reason="starttls_missing"
            )
        if not self.capabilities:
            # Those from before STARTTLS were dropped: they are void (RFC 3501 6.2.1).
            await self.refresh_capabilities()

    async def _open_tls(self, context: ssl.SSLContext, primary: bool) -> ImapClient:
        client = self if primary else self._twin()
        await client._open(context)
        return client

    def _twin(self) -> ImapClient:
        # The fingerprint-only second handshake after a refusal runs on a throwaway client.
        return ImapClient(
            self.settings,
            self.policy.trust,
            timeout=self.timeout,
            source_address=self.source_address,
            client_id=None,
        )

    async def _open(self, context: ssl.SSLContext) -> None:
        s = self.settings
        implicit = s.security is Security.SSL
        await self._connect_stream(context if implicit else None)
        try:
            try:
                greeting = await self._read_one()
            except ParseError as exc:
                raise ProtocolError(
                    f"{self.where} does not greet like an IMAP server: {exc.message}",
                    hint=_PORT_HINT,
                ) from exc
            self._greeting = greeting
            self._check_greeting(greeting)
            if context is self.policy.context:
                words = _greeting_words(greeting)
                self._say(CheckStage.CONNECT, f"connected to {self.where}: {words}")
            if implicit:
                return
            if not self.capabilities:
                await self.refresh_capabilities()
            self.plaintext_capabilities = self.capabilities
            if "STARTTLS" not in self.capabilities:
                if self.allow_plaintext_loopback:
                    log.warning("%s offers no STARTTLS; plaintext allowed for loopback", self.where)
                    return
                raise StartTLSMissingError(
                    f"The IMAP server {self.where} does not offer STARTTLS, so the password "
                    "would travel unencrypted; not logging in.",
                    reason="starttls_missing",
                    hint="Use security ssl (usually port 993) if the server has it, or ask the "
                    "provider to enable STARTTLS.",
                )
            reply = (await self.run(self._builder.starttls(), check=False)).tagged
            if reply.status is not Status.OK:
                raise StartTLSMissingError(
                    f"The IMAP server {self.where} refused STARTTLS: {_reply_words(reply)}",
                    reason="starttls_missing",
                )
            await self._start_tls(context)
            self.capabilities = frozenset()
        except BaseException:
            await self._abort()
            raise

    async def _connect_stream(self, context: ssl.SSLContext | None) -> None:
        s = self.settings
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(
                    s.host,
                    s.port,
                    ssl=context,
                    server_hostname=self.policy.server_hostname if context else None,
                    ssl_handshake_timeout=self.timeout if context else None,
                    local_addr=self.source_address,
                    limit=READ_SIZE,
                ),
                self.timeout,
            )
        except ssl.SSLCertVerificationError:
            raise
        except ssl.SSLError as exc:
            raise TLSError(
                f"The TLS handshake with {self.where} failed: {exc.reason or exc}.",
                reason="handshake",
                hint="The server may not speak TLS on this port, or only old TLS versions "
                "(1.2 or newer is required).",
            ) from exc
        except TimeoutError as exc:
            raise TimeoutError_(
                f"No answer from {self.where} within {self.timeout:g} seconds while connecting it."
            ) from exc
        except ConnectionRefusedError as exc:
            raise ConnectError(
                f"{self.where} refused the connection.",
                hint="Check the host name and port, and that the server is running.",
            ) from exc
        except OSError as exc:
            raise ConnectError(
                f"Cannot connect to {self.where}: {exc.strerror or exc}.",
                hint="Check the host name, the port and the network.",
            ) from exc
        self._closed = False

    async def _start_tls(self, context: ssl.SSLContext) -> None:
        assert self._writer is not None and self._reader is not None
        if self._pending or self._framer.buffered or self._reader._buffer:  # type: ignore[attr-defined]
            # Bytes sent before the handshake would be read as if protected: refuse.
            raise TLSError(
                f"{self.where} sent data before the TLS handshake; connection refused.",
                reason="handshake",
            )
        try:
            await asyncio.wait_for(
                self._writer.start_tls(
                    context,
                    server_hostname=self.policy.server_hostname,
                    ssl_handshake_timeout=self.timeout,
                ),
                self.timeout,
            )
        except ssl.SSLCertVerificationError:
            raise
        except ssl.SSLError as exc:
            raise TLSError(
                f"The TLS handshake with {self.where} failed: {exc.reason or exc}.",
                reason="handshake",
            ) from exc
        except TimeoutError as exc:
            raise TimeoutError_(f"{self.where} did not finish the TLS handshake.") from exc
        except OSError as exc:
            raise ConnectionLostError(f"Lost the connection to {self.where}: {exc}") from exc

    def _check_greeting(self, greeting: Response) -> None:
        if isinstance(greeting, UntaggedStatus):
            if greeting.status is Status.OK:
                self._take_code_capabilities(greeting)
                return
            if greeting.status is Status.PREAUTH:
                if self.settings.security is not Security.SSL:
                    # Logged in before STARTTLS could run: an attacker could use this to
                    # keep the session unencrypted.
                    raise ProtocolError(
                        f"{self.where} claims we are logged in before TLS (PREAUTH); refusing it."
                    )
                self.authenticated = True
                self._take_code_capabilities(greeting)
                return
            if greeting.status is Status.BYE:
                raise ServerError(f"{self.where} turned us away: {greeting.text}")
        raise ProtocolError(
            f"{self.where} does not greet like an IMAP server: {_snippet(greeting.raw, 80)}",
            hint=_PORT_HINT,
        )

    def _take_code_capabilities(self, response: UntaggedStatus | TaggedResponse) -> bool:
        if isinstance(response.code, CapabilityCode):
            self._set_capabilities(response.code.capabilities)
            return True
        return False

    def _set_capabilities(self, capabilities: Iterable[str]) -> None:
        self.capabilities = frozenset(c.upper() for c in capabilities)
        self._builder.set_capabilities(self.capabilities)

    async def refresh_capabilities(self) -> frozenset[str]:
        result = await self.run(self._builder.capability())
        for r in result.untagged:
            if isinstance(r, CapabilityResponse):
                self._set_capabilities(r.capabilities)
        return self.capabilities

    # --- authentication -----------------------------------------------------------------

    def _require_tls_for_secret(self) -> None:
        if not self.is_tls and not self.allow_plaintext_loopback:
            raise StartTLSMissingError(
                "Refusing to send a password without TLS.", reason="starttls_missing"
            )

    async def login(self, password: str, *, user: str | None = None) -> str:
        """Log in with AUTHENTICATE PLAIN when offered, else LOGIN (unless LOGINDISABLED).
        Returns the mechanism used. Then sends ID and ENABLEs what we use."""
        if self.authenticated:
            await self._after_login()
            self._say(CheckStage.LOGIN, "the server logged us in by itself (PREAUTH)")
            return "PREAUTH"
        self._require_tls_for_secret()
        name = user if user is not None else self.settings.user
        if self.has("AUTH=PLAIN"):
            mechanism = "AUTHENTICATE PLAIN"
            command = self._builder.authenticate_plain(name, password)
        elif not self.has("LOGINDISABLED"):
            mechanism = "LOGIN"
            command = self._builder.login(name, password)
        else:
            raise AuthUnavailableError(
                f"The IMAP server {self.where} offers no login method we can use "
                "(LOGINDISABLED and no AUTH=PLAIN)."
            )
        await self._authenticate(command, name, mechanism)
        return mechanism

    async def authenticate_xoauth2(self, access_token: str, *, user: str | None = None) -> None:
        if self.authenticated:
            return
        self._require_tls_for_secret()
        if not self.has("AUTH=XOAUTH2"):
            raise AuthUnavailableError(f"The IMAP server {self.where} does not offer XOAUTH2.")
        name = user if user is not None else self.settings.user
        command = self._builder.authenticate_xoauth2(name, access_token)
        await self._authenticate(command, name, "AUTHENTICATE XOAUTH2")

    async def _authenticate(self, command: Command, user: str, mechanism: str) -> None:
        result = await self.run(command, check=False)
        reply = result.tagged
        if reply.status is not Status.OK:
            refusal = self._command_error(command, reply)
            words = _reply_words(reply)
            if refusal.temporary:
                raise TemporaryServerError(
                    f"The IMAP server {self.where} cannot log us in right now: {words}",
                    hint="Try again later.",
                ) from refusal
            if reply.status is Status.BAD:
                raise ProtocolError(
                    f"The IMAP server {self.where} rejected our login: {words}"
                ) from refusal
            raise AuthFailedError(
                f"The IMAP server {self.where} refused the login for {user}: {words}",
                hint="Check the user name and the password.",
            ) from refusal
        self.authenticated = True
        got = self._take_code_capabilities(result.tagged)
        for r in result.untagged:
            if isinstance(r, CapabilityResponse):
                self._set_capabilities(r.capabilities)
                got = True
        if not got:
            await self.refresh_capabilities()
        await self._after_login()
        self._say(CheckStage.LOGIN, f"logged in as {user} ({mechanism})")

    async def _after_login(self) -> None:
        if self.client_id is not None and self.has("ID"):
            try:
                result = await self.run(self._builder.id(self.client_id))
                for r in result.untagged:
                    if isinstance(r, IdResponse):
                        self.server_id = r.as_dict()
            except ImapCommandError as exc:
                log.debug("ID refused by %s: %s", self.where, exc)
        wanted = [c for c in _ENABLE_WANTED if self.has(c)]
        if wanted and self.has("ENABLE"):
            result = await self.run(self._builder.enable(*wanted))
            enabled: set[str] = set(self.enabled)
            for r in result.untagged:
                if isinstance(r, EnabledResponse):
                    enabled.update(r.capabilities)
            self.enabled = frozenset(enabled)
            if self.utf8:
                self._parser.utf8 = True
                self._builder.utf8 = True

    async def compress(self) -> bool:
        """Turn on COMPRESS=DEFLATE when offered (and TLS does not compress already)."""
        if self.compressed or not self.has("COMPRESS=DEFLATE"):
            return False
        await self.run(self._builder.compress_deflate())
        if self._pending or self._framer.buffered:
            raise ProtocolError(f"{self.where} sent data right after COMPRESS.")
        self._deflate = _Inflating()
        self.compressed = True
        return True

    # --- running commands ---------------------------------------------------------------

    async def run(
        self,
        command: Command,
        *,
        on_batch: BatchCallback | None = None,
        check: bool = True,
        prepare_fetch: FetchPreparer | None = None,
    ) -> CommandResult:
        """Send a command and read until its tagged reply.

        With `on_batch`, untagged responses go to that coroutine in batches as they are
        parsed (a huge FETCH is then never held whole). NO/BAD raise ImapCommandError when
        `check` is true. `prepare_fetch` builds the FETCH responses read meanwhile (see
        ResponseParser.prepare_fetch)."""
        async with self._lock:
            if prepare_fetch is None:
                return await self._run_locked(command, on_batch, check)
            self._parser.prepare_fetch = prepare_fetch
            try:
                return await self._run_locked(command, on_batch, check)
            finally:
                self._parser.prepare_fetch = None

    async def _run_locked(
        self, command: Command, on_batch: BatchCallback | None, check: bool
    ) -> CommandResult:
        self._ensure_open()
        fetching = command.name in ("FETCH", "UID FETCH")
        await self._send(command.chunks[0], command.log_text())
        next_chunk = 1
        kept: list[Response] = []
        while True:
            batch = await self._next_batch()
            passed: list[Response] = []
            done: TaggedResponse | None = None
            for i, response in enumerate(batch):
                if isinstance(response, TaggedResponse):
                    if response.tag != command.tag:
                        raise ProtocolError(
                            f"{self.where} answered a command we did not send "
                            f"({response.tag}): {response.text}"
                        )
                    done = response
                    # Anything after our tagged reply belongs to the next command.
                    self._pending.extendleft(reversed(batch[i + 1 :]))
                    break
                if isinstance(response, ContinuationRequest):
                    if next_chunk < len(command.chunks):
                        await self._send(command.chunks[next_chunk], None)
                        next_chunk += 1
                    elif command.on_continuation is not None:
                        await self._send(command.on_continuation, "(cancel)")
                    else:
                        raise ProtocolError(
                            f"{self.where} asked for data the command does not have."
                        )
                    continue
                self._untagged(response, fetching)
                passed.append(response)
            if passed:
                if on_batch is not None:
                    await on_batch(passed)
                else:
                    kept.extend(passed)
            if done is not None:
                if done.status is not Status.OK and check:
                    raise self._command_error(command, done)
                return CommandResult(done, tuple(kept))

    def _command_error(self, command: Command, reply: TaggedResponse) -> ImapCommandError:
        code = reply.code.name if reply.code is not None else None
        return ImapCommandError(
            f"The IMAP server {self.where} answered {command.name} with "
            f"{reply.status.value}: {reply.text}",
            status=reply.status.value,
            response_code=code,
        )

    def _untagged(self, response: Response, fetching: bool) -> None:
        if isinstance(response, UntaggedStatus):
            if response.status is Status.BYE:
                self._bye = response
            elif response.code is not None and response.code.name == "ALERT":
                self.alerts.append(response.text)
                log.warning("%s says: %s", self.where, response.text)
            return
        if self.on_event is not None and isinstance(response, _EVENT_TYPES):
            if fetching and isinstance(response, FetchResponse):
                return
            try:
                self.on_event(response)
            except Exception:  # a listener's bug must not break the protocol
                log.exception("IMAP event listener failed")

    def _ensure_open(self) -> None:
        if self._writer is None or self._closed:
            raise ConnectionLostError(f"Not connected to {self.where}.")

    async def _send(self, data: bytes, shown: str | None) -> None:
        assert self._writer is not None
        if wire.isEnabledFor(logging.DEBUG):
            wire.debug("C: %s", shown if shown is not None else f"<{len(data)} bytes>")
        out = self._deflate.deflate(data) if self._deflate is not None else data
        try:
            self._writer.write(out)
            await asyncio.wait_for(self._writer.drain(), self.timeout)
        except TimeoutError as exc:
            await self._abort()
            raise TimeoutError_(f"{self.where} stopped reading.") from exc
        except (OSError, RuntimeError) as exc:
            await self._abort()
            raise ConnectionLostError(f"Lost the connection to {self.where}: {exc}") from exc

    async def _read_raw(self) -> bytes:
        """One chunk from the socket (cancel-safe: a cancelled read loses nothing)."""
        assert self._reader is not None
        return await self._reader.read(READ_SIZE)

    async def _next_batch(self, timeout: float | None = None) -> list[Response]:
        """The next parsed responses (at least one), reading the socket as needed."""
        if self._pending:
            out = list(self._pending)
            self._pending.clear()
            return out
        while True:
            try:
                data = await asyncio.wait_for(
                    self._read_raw(), self.timeout if timeout is None else timeout
                )
            except TimeoutError as exc:
                await self._abort()
                raise TimeoutError_(
                    f"{self.where} did not answer within {self.timeout:g} seconds."
                ) from exc
            except (OSError, ssl.SSLError) as exc:
                await self._abort()
                raise ConnectionLostError(f"Lost the connection to {self.where}: {exc}") from exc
            batch = await self._absorb(data)
            if batch:
                return batch

    async def _absorb(self, data: bytes) -> list[Response]:
        """Feed socket bytes (b"" = end of stream) and parse whatever became complete."""
        if not data:
            await self._abort()
            bye = f": {self._bye.text}" if self._bye is not None else ""
            raise ConnectionLostError(f"{self.where} closed the connection{bye}.")
        if self._deflate is not None:
            data = self._deflate.inflate(data)
        try:
            raws = self._framer.feed(data)
        except MailAppError:
            await self._abort()
            raise
        if not raws:
            return []
        if wire.isEnabledFor(logging.DEBUG):
            for raw in raws[:50]:
                wire.debug("S: %s", _snippet(raw))
            if len(raws) > 50:
                wire.debug("S: ... %d more responses", len(raws) - 50)
        try:
            if len(raws) < _THREAD_MIN_RESPONSES and len(data) < _THREAD_MIN_BYTES:
                return self._parser.parse_many(raws)
            out: list[Response] = []
            for start in range(0, len(raws), _PARSE_BATCH):
                part = raws[start : start + _PARSE_BATCH]
                out.extend(await asyncio.to_thread(self._parser.parse_many, part))
            return out
        except MailAppError:
            await self._abort()
            raise

    async def _read_one(self) -> Response:
        batch = await self._next_batch()
        first, rest = batch[0], batch[1:]
        self._pending.extendleft(reversed(rest))
        return first

    # --- mailbox commands ---------------------------------------------------------------

    async def list_folders(self) -> list[ListResponse]:
        """Every mailbox, with special-use attributes when the server can return them."""
        special = self.has("SPECIAL-USE") or self.has("LIST-EXTENDED")
        command = self._builder.list("", "*", return_special_use=self.has("SPECIAL-USE"))
        try:
            result = await self.run(command)
        except ImapCommandError:
            if not special:
                raise
            result = await self.run(self._builder.list("", "*"))
        return [r for r in result.untagged if isinstance(r, ListResponse) and r.kind == "LIST"]

    async def status(self, mailbox: str, items: Sequence[str]) -> MailboxStatusResponse | None:
        result = await self.run(self._builder.status(mailbox, items))
        for r in result.untagged:
            if isinstance(r, MailboxStatusResponse):
                return r
        return None

    async def select(
        self,
        mailbox: str,
        *,
        readonly: bool = False,
        qresync: QresyncParams | None = None,
    ) -> MailboxState:
        """SELECT (or EXAMINE) with CONDSTORE when enabled and QRESYNC data when given."""
        if qresync is not None and not self.qresync:
            qresync = None
        condstore = self.has("CONDSTORE") and qresync is None
        build = self._builder.examine if readonly else self._builder.select
        self.selected = None
        result = await self.run(build(mailbox, condstore=condstore, qresync=qresync))
        exists = 0
        uidvalidity = uidnext = modseq = None
        flags: tuple[str, ...] = ()
        permanent: tuple[str, ...] = ()
        vanished: list[int] = []
        changed: list[FetchResponse] = []
        nomodseq = False
        for r in result.untagged:
            if isinstance(r, ExistsResponse):
                exists = r.count
            elif isinstance(r, FlagsResponse):
                flags = r.flags
            elif isinstance(r, VanishedResponse):
                vanished.extend(r.uids)
            elif isinstance(r, FetchResponse):
                changed.append(r)
            elif isinstance(r, ExpungeResponse):
                exists = max(0, exists - 1)
            elif isinstance(r, UntaggedStatus) and r.code is not None:
                code = r.code
                if isinstance(code, UidValidityCode):
                    uidvalidity = code.value
                elif isinstance(code, UidNextCode):
                    uidnext = code.value
                elif isinstance(code, HighestModseqCode):
                    modseq = code.value
                elif isinstance(code, PermanentFlagsCode):
                    permanent = code.flags
                elif code.name == "NOMODSEQ":
                    nomodseq = True
        code_name = result.tagged.code.name if result.tagged.code is not None else ""
        state = MailboxState(
            name=mailbox,
            exists=exists,
            uidvalidity=uidvalidity,
            uidnext=uidnext,
            highestmodseq=None if nomodseq else modseq,
            flags=flags,
            permanent_flags=permanent,
            read_only=readonly or code_name == "READ-ONLY",
            vanished=tuple(vanished),
            changed=tuple(changed),
        )
        if condstore and modseq is not None and "CONDSTORE" not in self.enabled:
            # SELECT (CONDSTORE) enables it for the session (RFC 7162 3.1).
            self.enabled = self.enabled | {"CONDSTORE"}
        self.selected = state
        return state

    async def unselect(self) -> None:
        if self.selected is None:
            return
        if self.has("UNSELECT"):
            await self.run(self._builder.unselect())
        else:
            await self.run(self._builder.close())
        self.selected = None

    async def uid_search_all(self) -> list[int]:
        """Every UID of the selected mailbox, ascending."""
        return await self.uid_search(["ALL"])

    async def uid_search(self, criteria: Sequence[str | bytes]) -> list[int]:
        esearch = self.has("ESEARCH")
        command = self._builder.uid_search(criteria, returns=["ALL"] if esearch else None)
        result = await self.run(command)
        uids: list[int] = []
        for r in result.untagged:
            if isinstance(r, ESearchResponse) and r.all is not None:
                uids.extend(r.all)
            elif isinstance(r, SearchResponse):
                uids.extend(r.numbers)
        return sorted(set(uids))

    async def uid_fetch(
        self,
        uids: str | Iterable[int],
        items: Sequence[str],
        *,
        changed_since: int | None = None,
        vanished: bool = False,
        on_batch: BatchCallback | None = None,
        prepare: FetchPreparer | None = None,
    ) -> CommandResult:
        """UID FETCH; with `on_batch` the responses stream to it as they are parsed, built
        by `prepare` when given (FetchResponse or PreparedFetch, see FetchPreparer)."""
        if vanished and not self.qresync:
            vanished = False
        if changed_since is not None and not self.condstore:
            raise InvalidCommandError("CHANGEDSINCE needs CONDSTORE, which is not enabled.")
        command = self._builder.uid_fetch(
            uids, items, changed_since=changed_since, vanished=vanished
        )
        return await self.run(command, on_batch=on_batch, prepare_fetch=prepare)

    async def uid_store(
        self, uids: str | Iterable[int], flags: Iterable[str], *, mode: str = "+"
    ) -> CommandResult:
        return await self.run(self._builder.uid_store(uids, flags, mode=mode, silent=True))

    async def uid_copy(self, uids: str | Iterable[int], mailbox: str) -> CommandResult:
        return await self.run(self._builder.uid_copy(uids, mailbox))

    async def uid_move(self, uids: str | Iterable[int], mailbox: str) -> CommandResult:
        """MOVE when offered, else COPY + STORE \\Deleted + UID EXPUNGE (or EXPUNGE)."""
        if self.has("MOVE"):
            return await self.run(self._builder.uid_move(uids, mailbox))
        result = await self.uid_copy(uids, mailbox)
        await self.uid_store(uids, ["\\Deleted"])
        await self.expunge(uids)
        return result

    async def expunge(self, uids: str | Iterable[int] | None = None) -> CommandResult:
        """UID EXPUNGE of these UIDs (UIDPLUS), else a plain EXPUNGE."""
        if uids is not None and self.has("UIDPLUS"):
            return await self.run(self._builder.uid_expunge(uids))
        return await self.run(self._builder.expunge())

    async def append(
        self, mailbox: str, message: bytes, *, flags: Iterable[str] = ()
    ) -> CommandResult:
        return await self.run(self._builder.append(mailbox, message, flags=flags))

    async def create(self, mailbox: str) -> CommandResult:
        return await self.run(self._builder.create(mailbox))

    async def delete(self, mailbox: str) -> CommandResult:
        return await self.run(self._builder.delete(mailbox))

    async def noop(self) -> CommandResult:
        return await self.run(self._builder.noop())

    async def idle(
        self,
        *,
        max_seconds: float = DEFAULT_IDLE_SECONDS,
        stop: asyncio.Event | None = None,
        return_on_event: bool = True,
    ) -> list[Response]:
        """IDLE until a change arrives (with `return_on_event`), `stop` is set, or
        `max_seconds` pass; returns the untagged responses received. Without IDLE support
        it waits (NOOP polling is the caller's choice) and raises UnsupportedError."""
        if not self.has("IDLE"):
            raise UnsupportedError(f"The IMAP server {self.where} does not offer IDLE.")
        async with self._lock:
            self._ensure_open()
            command = self._builder.idle()
            await self._send(command.chunks[0], command.log_text())
            received: list[Response] = []
            # Wait for "+ idling"; a tagged reply instead ends the command (NO/BAD).
            while True:
                batch = await self._next_batch()
                tagged = await self._idle_consume(batch, command, received)
                if tagged is not None:
                    if tagged.status is not Status.OK:
                        raise self._command_error(command, tagged)
                    return received
                if any(isinstance(r, ContinuationRequest) for r in batch):
                    break
            loop = asyncio.get_running_loop()
            deadline = loop.time() + max_seconds
            stop_wait = asyncio.ensure_future(stop.wait()) if stop is not None else None
            try:
                while not (return_on_event and any(_is_change(r) for r in received)):
                    if stop is not None and stop.is_set():
                        break
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    if self._pending:
                        batch = list(self._pending)
                        self._pending.clear()
                    else:
                        read = asyncio.ensure_future(self._read_raw())
                        waiters: set[asyncio.Future[Any]] = {read}
                        if stop_wait is not None:
                            waiters.add(stop_wait)
                        await asyncio.wait(
                            waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                        )
                        if not read.done():
                            read.cancel()
                            with contextlib.suppress(asyncio.CancelledError):
                                await read
                        if read.cancelled():
                            continue
                        exc = read.exception()
                        if exc is not None:
                            await self._abort()
                            raise ConnectionLostError(
                                f"Lost the connection to {self.where}: {exc}"
                            ) from exc
                        batch = await self._absorb(read.result())
                    tagged = await self._idle_consume(batch, command, received)
                    if tagged is not None:
                        # The server ended IDLE by itself.
                        return received
            finally:
                if stop_wait is not None:
                    stop_wait.cancel()
            await self._send(IDLE_DONE, "DONE")
            while True:
                batch = await self._next_batch()
                tagged = await self._idle_consume(batch, command, received)
                if tagged is not None:
                    if tagged.status is not Status.OK:
                        raise self._command_error(command, tagged)
                    return received

    async def _idle_consume(
        self, batch: list[Response], command: Command, received: list[Response]
    ) -> TaggedResponse | None:
        for i, response in enumerate(batch):
            if isinstance(response, TaggedResponse):
                if response.tag != command.tag:
                    raise ProtocolError(f"{self.where} answered a command we did not send.")
                self._pending.extendleft(reversed(batch[i + 1 :]))
                return response
            if isinstance(response, ContinuationRequest):
                continue
            self._untagged(response, False)
            received.append(response)
        return None

    # --- closing ------------------------------------------------------------------------

    async def logout(self) -> None:
        """Say goodbye and close; never raises (the work is done by then)."""
        if self.connected:
            try:
                await asyncio.wait_for(self.run(self._builder.logout(), check=False), 5)
            except (MailAppError, TimeoutError) as exc:
                log.debug("LOGOUT on %s: %s", self.where, exc)
        await self._abort()

    async def close(self) -> None:
        await self._abort()

    async def _abort(self) -> None:
        self._closed = True
        writer = self._writer
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 2.0)

    async def __aenter__(self) -> ImapClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.logout()


def _reply_words(reply: TaggedResponse) -> str:
    """A reply's text as the server sent it: "[AUTHENTICATIONFAILED] Authentication failed."."""
    if reply.code is None:
        return reply.text
    args = f" {reply.code.args}" if reply.code.args else ""
    return f"[{reply.code.name}{args}] {reply.text}"


def _greeting_words(greeting: Response) -> str:
    """The greeting's text without status and response code: "Dovecot ready."."""
    text = greeting.text if isinstance(greeting, UntaggedStatus) else ""
    return text.strip()[:120] or "the server greeted us"


def _is_change(response: Response) -> bool:
    return isinstance(response, _EVENT_TYPES)


def _snippet(raw: bytes, size: int = _WIRE_SNIPPET) -> str:
    text = raw[:size].decode("utf-8", "replace").rstrip("\r\n")
    return text + (f"... ({len(raw)} bytes)" if len(raw) > size else "")
