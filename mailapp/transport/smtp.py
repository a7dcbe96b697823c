"""SMTP sessions over aiosmtplib, with our TLS policy and no way to send a password in clear.

aiosmtplib is only ever built with use_tls=True (port 465) or start_tls=True (587), and we
check ourselves that STARTTLS was offered and that the connection is encrypted and its
certificate accepted before AUTH.

Sending (`SmtpSession.send_envelope`) uses aiosmtplib's lower-level commands, never
`sendmail`: each RCPT TO gets its own parameters (ORCPT) and its own reply, DSN parameters
go out only when the server offers DSN, SIZE is checked before any upload, and the final
"." is written only after the whole body went out, so a broken connection before it is
known to be harmless (deferred) and one after it is reported as uncertain.

When the server offers PIPELINING (RFC 2920), MAIL FROM, every RCPT TO and DATA go out in
one write and their replies are read in order afterwards (aiosmtplib reads one reply per
command only, so `_ReplyReader` stands in for its protocol while a group is read); each
reply is still attributed to its own command exactly as in the lock-step exchange used
otherwise. A small message's body and its final "." then go out in one more write.

Across messages (RFC 2920 too): when the caller names the next envelope (`next_envelope`),
a small message's body and final "." go out in the same write as the next transaction's
MAIL FROM / RCPT TO / DATA, and the next group's replies are read right after the final
"."'s reply. They are kept in the session (`_Ahead`) and handed to the very next
`send_envelope` call, which must be for that same envelope (else the connection is closed:
the server waits in DATA for a message it will never get). Nothing of the next message's
body goes out before that call and its `before_data`, so the outbox's rule (DATA marker
durable before the body) holds. Any doubt (a broken or closing connection, a reply too
many) closes the connection and drops what was read ahead: the next message then goes on
its own over a new connection, from the start.
Imports: core, protocols.smtp_params, transport, aiosmtplib.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Literal

import aiosmtplib
from aiosmtplib.protocol import SMTPProtocol
from aiosmtplib.response import SMTPResponse

from mailapp.core.checks import CheckStage
from mailapp.core.draft import Notify
from mailapp.core.errors import (
    AuthFailedError,
    AuthUnavailableError,
    ConnectError,
    ConnectionLostError,
    MailAppError,
    PermanentServerError,
    ProtocolError,
    ServerError,
    SmtpUtf8RequiredError,
    StartTLSMissingError,
    TemporaryServerError,
    TimeoutError_,
    TLSError,
)
from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.protocols.smtp_params import mail_options, rcpt_options
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.tls import (
    PeerCertificate,
    StageNotify,
    TlsPolicy,
    establish,
    find_verification_error,
)

log = logging.getLogger("mailapp.smtp")

# An async callable returning a fresh OAuth 2 access token (for AUTH XOAUTH2).
OAuthTokenProvider = Callable[[], Awaitable[str]]

# Upload time allowed: a base for the server's own work plus the message at a slow uplink's
# pace (10 KB/s), so a 25 MB attachment on a poor line is not cut off at 60 s.
DATA_BASE_SECONDS = 60.0
DATA_BYTES_PER_SECOND = 10 * 1024
_CHUNK = 64 * 1024
_LINE_START_DOT = re.compile(rb"(?m)^\.")
# What aiosmtplib refuses in a command argument (CR and LF above all: command injection).
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
# Bounds for a server's reply, so a stream without line ends cannot fill the memory.
_MAX_REPLY_LINE = 8192
_MAX_REPLY = 4 * _MAX_REPLY_LINE


def data_timeout(size: int, minimum: float = DATA_BASE_SECONDS) -> float:
    """Seconds allowed for uploading a message of `size` octets and reading the reply."""
    return max(minimum, DATA_BASE_SECONDS) + size / DATA_BYTES_PER_SECOND


class SendOutcomeKind(StrEnum):
    """How one SMTP transaction ended."""

    ACCEPTED = "accepted"  # 250 after the final "."
    DEFERRED = "deferred"  # 4xx, or the network failed before the final "." went out
    FAILED = "failed"  # 5xx, or the message can never go through this server as it is
    UNCERTAIN = "uncertain"  # the connection broke after the final "." and before the reply


@dataclass(frozen=True, slots=True)
class SmtpReply:
    code: int
    text: str

    @property
    def words(self) -> str:
        """The reply as the server said it: "550 5.1.1 No such user"."""
        return f"{self.code} {self.text}".strip()


@dataclass(frozen=True, slots=True)
class EnvelopeRecipient:
    address: str  # RCPT TO
    orcpt: str  # the address to name in ORCPT (usually the same)


@dataclass(frozen=True, slots=True)
class DsnRequest:
    """Delivery reports wanted for one message (sent only when the server offers DSN)."""

    envid: str
    notify: frozenset[Notify]
    ret: Literal["HDRS", "FULL"] = "HDRS"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What one `send_envelope` transaction came to.

    `reply`: the reply that decided it (the final one, or the refusal); None for a network
    failure or a check made before sending. `error`: one sentence for the person.
    `recipients`: each RCPT TO reply in order. `usable`: the connection may carry the next
    message."""

    kind: SendOutcomeKind
    error: str
    reply: SmtpReply | None = None
    recipients: tuple[tuple[str, SmtpReply], ...] = ()
    dsn_offered: bool = False
    usable: bool = True


@dataclass(frozen=True, slots=True)
class Envelope:
    """The next transaction's envelope, sent ahead of its call (see `send_envelope`'s
    `next_envelope`); the same arguments that call will get, and the message's size."""

    sender: str
    recipients: tuple[EnvelopeRecipient, ...]
    size: int
    dsn: DsnRequest | None = None
    smtputf8: bool = False
    body_8bit: bool = False


@dataclass(frozen=True, slots=True)
class _Group:
    """A transaction's commands as one pipelined write: MAIL FROM, RCPT TO..., DATA."""

    mail: tuple[bytes, ...]
    rcpts: tuple[tuple[bytes, ...], ...]
    wire: bytes
    commands: int
    clean: bool  # no control character in any line (CR or LF above all)


@dataclass(frozen=True, slots=True)
class _Ahead:
    """A group written after the previous message's final "." and its replies, all read."""

    envelope: Envelope
    group: _Group
    responses: tuple[SMTPResponse, ...]


RecipientHook = Callable[[str, SmtpReply], Awaitable[None]]
NextEnvelope = Callable[[], Envelope | None]
BeforeData = Callable[[], Awaitable[None]]
UploadProgress = Callable[[int, int], None]


def dot_stuffed(message: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, a "." doubled at each line start,
    ending in CRLF (the terminating ".\\r\\n" is not included)."""
    # Composed messages already have CRLF everywhere and rarely a line starting with ".":
    # four scans in C then replace two regular expressions over the whole message.
    crlf = message.count(b"\r\n")
    if (
        message.count(b"\n") == crlf
        and message.count(b"\r") == crlf
        and b"\n." not in message
        and not message.startswith(b".")
    ):
        return message if message.endswith(b"\r\n") else message + b"\r\n"
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return _LINE_START_DOT.sub(b"..", data)


def _reply_of(response: SMTPResponse) -> SmtpReply:
    return SmtpReply(response.code, " ".join(response.message.split("\n")).strip())


def _by_code(code: int) -> SendOutcomeKind:
    return SendOutcomeKind.FAILED if 500 <= code < 600 else SendOutcomeKind.DEFERRED


class _ReplyReader(asyncio.Protocol):
    """Reads the replies to a group of pipelined commands (RFC 2920), in order.

    aiosmtplib's protocol keeps one reply per command and drops what arrives while no command
    waits, so for the length of a group this reader takes the transport's data instead
    (`transport.set_protocol`); flow control and the end of the connection still reach
    aiosmtplib's protocol, which stays the one the client knows. `restore()` gives the
    transport back; bytes beyond the expected replies mean the exchange is out of step."""

    def __init__(self, inner: SMTPProtocol, transport: asyncio.BaseTransport) -> None:
        self._inner = inner
        self._transport = transport
        self._buffer = bytearray()
        self._replies: collections.deque[SMTPResponse] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: Exception | None = None
        transport.set_protocol(self)

    def restore(self) -> bool:
        """Hand the transport back to aiosmtplib; False when more arrived than was read (the
        connection must not carry another command then)."""
        if self._transport.get_protocol() is self:
            self._transport.set_protocol(self._inner)
        return not self._buffer and not self._replies

    async def next(self, timeout: float) -> SMTPResponse:
        """The next reply; raises SMTPServerDisconnected, SMTPReadTimeoutError or
        SMTPResponseException (a malformed or endless reply)."""
        if not self._replies:
            if self._error is not None:
                raise self._error
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                raise aiosmtplib.SMTPReadTimeoutError(
                    "Timed out waiting for server response"
                ) from None
            finally:
                self._waiter = None
            if not self._replies:
                assert self._error is not None
                raise self._error
        return self._replies.popleft()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self._error is None:
            self._error = error
        self._wake()

    def data_received(self, data: bytes) -> None:
        if self._error is not None:
            return
        buffer = self._buffer
        buffer += data
        start = 0
        while True:
            lines: list[bytes] = []
            end = start
            complete = False
            while (newline := buffer.find(b"\n", end)) != -1:
                line = bytes(buffer[end:newline]).rstrip(b"\r")
                end = newline + 1
                if len(line) > _MAX_REPLY_LINE or len(line) < 3 or not line[:3].isdigit():
                    self._fail(_malformed(line))
                    return
                lines.append(line)
                if line[3:4] != b"-":
                    complete = True
                    break
            if not complete:
                break
            text = "\n".join(
                part[4:].strip(b" \t").decode("utf-8", "surrogateescape") for part in lines
            )
            self._replies.append(SMTPResponse(int(lines[-1][:3]), text))
            start = end
        del buffer[:start]
        if len(buffer) > _MAX_REPLY:
            self._fail(_malformed(bytes(buffer[:80])))
            return
        if self._replies:
            self._wake()

    def eof_received(self) -> bool | None:
        self._fail(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        error = aiosmtplib.SMTPServerDisconnected("Connection lost")
        error.__cause__ = exc
        self._fail(error)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


def _malformed(line: bytes) -> aiosmtplib.SMTPResponseException:
    shown = line[:80].decode("utf-8", "replace")
    return aiosmtplib.SMTPResponseException(-1, f"Malformed SMTP response line: {shown}")


class _GuardedSMTP(aiosmtplib.SMTP):
    """aiosmtplib's client with our STARTTLS check: refuses in our words when the server
    does not offer STARTTLS, and reports the greeting before the handshake."""

    def __init__(self, *, on_before_tls: Callable[[], None] | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_before_tls = on_before_tls

    async def starttls(self, *args: Any, **kwargs: Any) -> SMTPResponse:
        await self._ehlo_or_helo_if_needed()
        if not self.supports_extension("starttls"):
            where = f"{self.hostname}:{self.port}"
            raise StartTLSMissingError(
                f"The SMTP server {where} does not offer STARTTLS, so the password would "
                "travel unencrypted; not logging in.",
                reason="starttls_missing",
                hint="Use security ssl (usually port 465) if the server has it, or check "
                "that the port is the submission port (587).",
            )
        if self._on_before_tls is not None:
            self._on_before_tls()
        return await super().starttls(*args, **kwargs)


def smtp_error(exc: BaseException, where: str) -> MailAppError:
    """An aiosmtplib (or socket) failure in our own terms."""
    if isinstance(exc, MailAppError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return TimeoutError_(f"{where} did not answer in time: {exc}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"{where} answered {exc.code} {exc.message}"
        if 400 <= exc.code < 500:
            return TemporaryServerError(text, reply_code=exc.code, hint="Try again later.")
        return PermanentServerError(text, reply_code=exc.code)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return ConnectionLostError(f"{where} closed the connection: {exc}")
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        cause = exc.__cause__
        if isinstance(cause, ssl.SSLError):
            return TLSError(
                f"The TLS handshake with {where} failed: {cause.reason or cause}.",
                reason="handshake",
                hint="The server may not speak TLS on this port (465 is implicit TLS, "
                "587 is STARTTLS).",
            )
        if isinstance(cause, ConnectionRefusedError):
            return ConnectError(
                f"{where} refused the connection.",
                hint="Check the host name and port, and that the server is running.",
            )
        return ConnectError(f"Cannot connect to {where}: {cause or exc}.")
    if isinstance(exc, ssl.SSLError):
        return TLSError(f"The TLS handshake with {where} failed: {exc}.", reason="handshake")
    if isinstance(exc, OSError):
        return ConnectionLostError(f"Lost the connection to {where}: {exc}")
    if isinstance(exc, aiosmtplib.SMTPException):
        return ProtocolError(f"{where}: {exc}")
    return ServerError(f"{where}: {exc}")


class SmtpSession:
    """One SMTP connection for one account's outgoing server.

    `await connect()` opens it and secures it (implicit TLS or STARTTLS), refusing anything
    our TLS policy does not accept; `await login(password)` authenticates (PLAIN or LOGIN,
    or XOAUTH2 with `oauth_token=`); `await quit()` ends it. Also an async context manager.
    """

    def __init__(
        self,
        settings: ServerSettings,
        trust: TlsTrust,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        local_hostname: str | None = None,
        source_address: tuple[str, int] | None = None,
        notify: StageNotify | None = None,
    ) -> None:
        self.settings = settings
        self.policy = TlsPolicy(settings.host, trust)
        self.timeout = timeout
        # None lets aiosmtplib use the machine's FQDN in EHLO.
        self.local_hostname = local_hostname
        self.source_address = source_address
        self.notify = notify
        self.peer: PeerCertificate | None = None
        self.mechanism: str | None = None  # after login: "PLAIN", "LOGIN" or "XOAUTH2"
        self._smtp: _GuardedSMTP | None = None
        # The next transaction's group, written and answered ahead of its send_envelope.
        self._ahead: _Ahead | None = None

    @property
    def where(self) -> str:
        return self.settings.address

    def _say(self, stage: CheckStage, detail: str) -> None:
        if self.notify is not None:
            self.notify(stage, detail)

    @property
    def smtp(self) -> aiosmtplib.SMTP:
        """The connected, TLS-protected aiosmtplib client (for sending)."""
        if self._smtp is None or not self._smtp.is_connected:
            raise ConnectionLostError(f"Not connected to {self.where}.")
        return self._smtp

    @property
    def is_connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    @property
    def extensions(self) -> dict[str, str]:
        """EHLO keywords (lower case) after TLS, with their parameters."""
        return dict(self.smtp.esmtp_extensions)

    def supports(self, extension: str) -> bool:
        """Whether the server announced an ESMTP extension after TLS ("dsn", "size", ...)."""
        return self._smtp is not None and self._smtp.supports_extension(extension)

    @property
    def auth_mechanisms(self) -> frozenset[str]:
        if self._smtp is None:
            return frozenset()
        return frozenset(m.upper() for m in self._smtp.server_auth_methods)

    async def connect(self) -> None:
        if self.is_connected:
            return
        self._smtp = await establish(self.policy, self._open_tls, _ssl_object, _abort, self.notify)
        self.peer = self.policy.check(_ssl_object(self._smtp))
        try:
            # Extensions learnt before STARTTLS are void (RFC 3207 4.2): ask again.
            await self._smtp.ehlo()
        except BaseException as exc:
            self._smtp.close()
            raise smtp_error(exc, self.where) from exc

    async def _open_tls(self, context: ssl.SSLContext, primary: bool) -> _GuardedSMTP:
        implicit = self.settings.security is Security.SSL

        def greeted() -> None:
            if primary:
                self._say(CheckStage.CONNECT, f"connected to {self.where}; it offers STARTTLS")

        # Never start_tls=None: aiosmtplib then silently continues in clear text when the
        # server hides STARTTLS.
        client = _GuardedSMTP(
            on_before_tls=greeted,
            hostname=self.settings.host,
            port=self.settings.port,
            use_tls=implicit,
            start_tls=not implicit,
            tls_context=context,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
            source_address=self.source_address,
        )
        try:
            greeting = await client.connect()
        except BaseException as exc:
            refusal = find_verification_error(exc)
            if refusal is not None:
                raise refusal from None
            raise smtp_error(exc, self.where) from exc
        if implicit and primary:
            self._say(CheckStage.CONNECT, f"connected to {self.where}: {greeting.message}")
        return client

    async def login(
        self, password: str | None = None, *, oauth_token: OAuthTokenProvider | None = None
    ) -> str:
        """Authenticate as the account's SMTP user; returns the mechanism used."""
        client = self.smtp
        # Defence in depth: connect() only returns encrypted, accepted connections, but
        # nothing secret may ever go out otherwise.
        self.policy.check(_ssl_object(client))
        user = self.settings.user
        offered = self.auth_mechanisms
        if not client.supports_extension("auth"):
            raise AuthUnavailableError(
                f"The SMTP server {self.where} does not offer AUTH after TLS.",
                hint="Check that this is the submission port (587 or 465), not port 25.",
            )
        try:
            if oauth_token is not None:
                if "XOAUTH2" not in offered:
                    raise AuthUnavailableError(
                        f"The SMTP server {self.where} does not offer XOAUTH2."
                    )
                mechanism = "XOAUTH2"
                await client.auth_xoauth2(user, await oauth_token())
            elif password is None:
                raise AuthUnavailableError("No password for the SMTP server.")
            elif "PLAIN" in offered:
                mechanism = "PLAIN"
                await client.auth_plain(user, password)
            elif "LOGIN" in offered:
                mechanism = "LOGIN"
                await client.auth_login(user, password)
            else:
                raise AuthUnavailableError(
                    f"The SMTP server {self.where} offers no login method we can use "
                    f"(it offers: {', '.join(sorted(offered)) or 'none'}).",
                )
        except aiosmtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.code < 500:
                raise TemporaryServerError(
                    f"The SMTP server {self.where} cannot log us in right now: "
                    f"{exc.code} {exc.message}",
                    reply_code=exc.code,
                    hint="Try again later.",
                ) from None
            raise AuthFailedError(
                f"The SMTP server {self.where} refused the login for {user}: "
                f"{exc.code} {exc.message}",
                hint="Check the user name and the password.",
            ) from None
        except MailAppError:
            raise
        except Exception as exc:
            raise smtp_error(exc, self.where) from exc
        self.mechanism = mechanism
        self._say(CheckStage.LOGIN, f"logged in as {user} (AUTH {mechanism})")
        return mechanism

    # --- sending ----------------------------------------------------------------------------

    @property
    def size_limit(self) -> int | None:
        """The largest message the server takes (EHLO SIZE); None when it names no limit."""
        if not self.supports("size"):
            return None
        words = self.smtp.esmtp_extensions.get("size", "").split()
        try:
            limit = int(words[0]) if words else 0
        except ValueError:
            return None
        return limit if limit > 0 else None

    async def send_envelope(
        self,
        sender: str,
        recipients: Sequence[EnvelopeRecipient],
        message: bytes,
        *,
        dsn: DsnRequest | None = None,
        smtputf8: bool = False,
        body_8bit: bool = False,
        on_recipient: RecipientHook | None = None,
        before_data: BeforeData | None = None,
        progress: UploadProgress | None = None,
        next_envelope: NextEnvelope | None = None,
    ) -> SendOutcome:
        """One transaction: MAIL FROM, RCPT TO per recipient, DATA; never raises for what the
        server or the network does (see SendOutcome).

        `dsn`: reports wanted; sent (ENVID, RET, NOTIFY, ORCPT) only if the server offers
        DSN. `smtputf8`: the message needs SMTPUTF8 (FAILED with the reason when the server
        does not offer it). `on_recipient` is awaited with each RCPT reply; `before_data`
        before any byte of the message goes out (the outbox records that DATA starts):
        right before DATA, or with PIPELINING right after DATA's 354. Whatever it raises is
        raised after an RSET, or with PIPELINING after closing the connection, and no byte
        of the message is sent. `progress(sent, total)` follows the upload.
        `next_envelope`: called (synchronously) right before a small message's body goes
        out; an Envelope it returns is sent ahead with it, and the NEXT call of this method
        on this session must then be for exactly that envelope (see the module docstring).
        Raises ConnectionLostError when not connected; an exception from a hook leaves the
        connection in an unknown state (abort it).
        """
        ahead, self._ahead = self._ahead, None
        client = self.smtp
        offered = self.supports("dsn")
        envelope = Envelope(
            sender, tuple(recipients), len(message), dsn, smtputf8=smtputf8, body_8bit=body_8bit
        )
        # Read ahead: the commands are those already sent, built from an equal envelope.
        group = ahead.group if ahead is not None and ahead.envelope == envelope else None
        if ahead is not None and group is None:
            # The server waits in DATA for another message: only closing ends that.
            client.close()
            return SendOutcome(
                SendOutcomeKind.DEFERRED,
                f"The commands sent ahead to {self.where} were for another message; the "
                "connection was closed and nothing of this message was sent.",
                dsn_offered=offered,
                usable=False,
            )
        if group is None:
            prepared = self._group(envelope)
            if isinstance(prepared, SendOutcome):
                return prepared
            group = prepared
        mail, rcpts = group.mail, group.rcpts
        if self.supports("pipelining"):
            return await self._send_pipelined(
                client, group, envelope, ahead, message=message, offered=offered,
                on_recipient=on_recipient, before_data=before_data, progress=progress,
                next_envelope=next_envelope,
            )  # fmt: skip

        try:
            response = await client.execute_command(*mail, timeout=self.timeout)
        except Exception as exc:
            return self._broken(exc, offered, ())
        if response.code != 250:
            reply = _reply_of(response)
            await self._reset()
            return self._sender_refused(sender, reply, offered)

        replies: list[tuple[str, SmtpReply]] = []
        for recipient, rcpt in zip(recipients, rcpts, strict=True):
            try:
                response = await client.execute_command(*rcpt, timeout=self.timeout)
            except Exception as exc:
                return self._broken(exc, offered, replies)
            reply = _reply_of(response)
            replies.append((recipient.address, reply))
            if on_recipient is not None:
                await on_recipient(recipient.address, reply)
            if not self.is_connected:  # 421: the server is closing the connection
                return self._closing(reply, replies, offered)
        if not any(r.code in (250, 251) for _a, r in replies):
            await self._reset()
            return self._all_refused(replies, offered)

        if before_data is not None:
            try:
                await before_data()
            except Exception:
                await self._reset()
                raise
        return await self._data(client, message, offered, tuple(replies), progress)

    def _group(self, envelope: Envelope) -> _Group | SendOutcome:
        """The envelope's commands, or the outcome of a check that stops it before MAIL."""
        where = self.where
        offered = self.supports("dsn")
        sender, recipients, dsn = envelope.sender, envelope.recipients, envelope.dsn
        smtputf8 = envelope.smtputf8
        addresses = [sender, *(a for r in recipients for a in (r.address, r.orcpt))]
        if not recipients:
            return SendOutcome(SendOutcomeKind.FAILED, "The message has no recipient.")
        if (smtputf8 or not all(a.isascii() for a in addresses)) and not self.supports("smtputf8"):
            error = SmtpUtf8RequiredError(
                f"The SMTP server {where} does not accept addresses with non-ASCII characters "
                "before the @ (it does not offer SMTPUTF8).",
                hint="Use an ASCII address for these people, or send through another server.",
            )
            return SendOutcome(SendOutcomeKind.FAILED, str(error), dsn_offered=offered)
        utf8 = smtputf8 or not all(a.isascii() for a in addresses)
        limit = self.size_limit
        if limit is not None and envelope.size > limit:
            return SendOutcome(
                SendOutcomeKind.FAILED,
                f"The message is {_megabytes(envelope.size)}, but the SMTP server {where} "
                f"takes at most {_megabytes(limit)}. Make it smaller (fewer or smaller "
                "attachments).",
                dsn_offered=offered,
            )
        notify = dsn.notify if dsn is not None and offered else None
        params = mail_options(
            dsn.envid if dsn is not None and offered else None,
            dsn.ret if dsn is not None else None,
            smtputf8=utf8,
            body_8bit=envelope.body_8bit and self.supports("8bitmime"),
            size=envelope.size if self.supports("size") else None,
        )
        encoding = "utf-8" if utf8 else "ascii"

        def command_args(
            verb: bytes, prefix: bytes, address: str, options: list[str]
        ) -> tuple[bytes, ...]:
            wire = prefix + b"<" + address.encode(encoding) + b">"
            return (verb, wire, *(option.encode("ascii") for option in options))

        try:
            mail = command_args(b"MAIL", b"FROM:", sender, params)
            rcpts = tuple(
                command_args(
                    b"RCPT", b"TO:", r.address, rcpt_options(r.orcpt, notify, smtputf8=utf8)
                )
                for r in recipients
            )
        except UnicodeEncodeError as exc:
            return SendOutcome(
                SendOutcomeKind.FAILED,
                f"The envelope cannot be sent: {exc}",
                dsn_offered=offered,
                usable=self.is_connected,
            )
        lines = [b" ".join(mail), *(b" ".join(rcpt) for rcpt in rcpts), b"DATA"]
        clean = not any(_CONTROL.search(line) for line in lines)
        return _Group(mail, rcpts, b"\r\n".join(lines) + b"\r\n", len(lines), clean)

    async def _send_pipelined(
        self,
        client: aiosmtplib.SMTP,
        group: _Group,
        envelope: Envelope,
        ahead: _Ahead | None,
        *,
        message: bytes,
        offered: bool,
        on_recipient: RecipientHook | None,
        before_data: BeforeData | None,
        progress: UploadProgress | None,
        next_envelope: NextEnvelope | None,
    ) -> SendOutcome:
        """send_envelope's transaction as one group (RFC 2920): MAIL FROM, every RCPT TO and
        DATA in one write, then their replies in order (or those already read with the
        previous message: `ahead`). `before_data` runs after DATA's 354, before any byte of
        the message: a failure there, or a 354 where no DATA should be, closes the
        connection (only the final "." ends the data state, and none is sent)."""
        where = self.where
        sender, recipients = envelope.sender, envelope.recipients
        if not group.clean:
            return SendOutcome(
                SendOutcomeKind.FAILED,
                "The envelope cannot be sent: an address or parameter contains a control "
                "character.",
                dsn_offered=offered,
            )
        commands = group.commands
        responses: list[SMTPResponse] = []
        lost: Exception | None = None
        in_step = True
        if ahead is not None:
            responses.extend(ahead.responses)
        else:
            protocol = client.protocol
            transport = None if protocol is None else protocol.transport
            if protocol is None or transport is None:
                return self._broken(ConnectionLostError(f"Not connected to {where}."), offered, ())
            timeout = self.timeout
            reader = _ReplyReader(protocol, transport)
            try:
                protocol.write(group.wire)
                # One reply per command; a 421 means the server is closing: nothing follows.
                for _ in range(commands):
                    response = await reader.next(timeout)
                    responses.append(response)
                    if response.code == 421:
                        break
            except Exception as exc:
                lost = exc
            finally:
                # Also when cancelled: aiosmtplib's protocol gets its transport back.
                in_step = reader.restore()
            if lost is not None or not in_step or (responses and responses[-1].code == 421):
                client.close()

        mail_reply = _reply_of(responses[0]) if responses else None
        replies: list[tuple[str, SmtpReply]] = []
        if mail_reply is not None and mail_reply.code == 250:
            # Replies to RCPT TO after a refused MAIL FROM belong to no transaction.
            for recipient, response in zip(recipients, responses[1:], strict=False):
                replies.append((recipient.address, _reply_of(response)))
        if on_recipient is not None:
            for address, reply in replies:
                await on_recipient(address, reply)
        if mail_reply is not None and mail_reply.code != 250:
            await self._end_group(responses, commands)
            return self._sender_refused(sender, mail_reply, offered)
        if lost is not None:
            return self._broken(lost, offered, replies)
        if len(responses) < commands:  # a 421 to a RCPT TO
            return self._closing(replies[-1][1], replies, offered)
        if not in_step:
            return SendOutcome(
                SendOutcomeKind.DEFERRED,
                f"The SMTP server {where} sent more replies than commands; the connection "
                "was closed and nothing was sent.",
                None, tuple(replies), offered, usable=False,
            )  # fmt: skip
        if not any(r.code in (250, 251) for _a, r in replies):
            # The server must refuse DATA then (503 or 554); the transaction is reset.
            await self._end_group(responses, commands)
            return self._all_refused(replies, offered)
        data_reply = _reply_of(responses[-1])
        if data_reply.code != 354:
            await self._reset()
            return self._refused_message(data_reply, tuple(replies), offered)
        if before_data is not None:
            try:
                await before_data()
            except Exception:
                client.close()
                raise
        return await self._upload(
            client, message, offered, tuple(replies), progress, next_envelope=next_envelope
        )

    async def _end_group(self, responses: Sequence[SMTPResponse], commands: int) -> None:
        """After a group that sends no message: RSET, unless DATA was answered with 354
        anyway (nothing but the final "." would end that: close the connection)."""
        if len(responses) == commands and responses[-1].code == 354:
            if self._smtp is not None:
                self._smtp.close()
            return
        await self._reset()

    def _sender_refused(self, sender: str, reply: SmtpReply, offered: bool) -> SendOutcome:
        return SendOutcome(
            _by_code(reply.code),
            f"The SMTP server {self.where} refused the sender {sender}: {reply.words}",
            reply,
            dsn_offered=offered,
            usable=self.is_connected,
        )

    def _closing(
        self, reply: SmtpReply, replies: Sequence[tuple[str, SmtpReply]], offered: bool
    ) -> SendOutcome:
        return SendOutcome(
            SendOutcomeKind.DEFERRED,
            f"The SMTP server {self.where} closed the connection: {reply.words}",
            reply,
            tuple(replies),
            offered,
            usable=False,
        )

    def _all_refused(self, replies: Sequence[tuple[str, SmtpReply]], offered: bool) -> SendOutcome:
        last = replies[-1][1]
        kind = (
            SendOutcomeKind.DEFERRED
            if any(not 500 <= r.code < 600 for _a, r in replies)
            else SendOutcomeKind.FAILED
        )
        return SendOutcome(
            kind,
            f"The SMTP server {self.where} refused every recipient: {last.words}",
            last,
            tuple(replies),
            offered,
            usable=self.is_connected,
        )

    def _refused_message(
        self, reply: SmtpReply, replies: tuple[tuple[str, SmtpReply], ...], offered: bool
    ) -> SendOutcome:
        return SendOutcome(
            _by_code(reply.code),
            f"The SMTP server {self.where} refused the message: {reply.words}",
            reply,
            replies,
            offered,
            usable=self.is_connected,
        )

    async def _data(
        self,
        client: aiosmtplib.SMTP,
        message: bytes,
        offered: bool,
        replies: tuple[tuple[str, SmtpReply], ...],
        progress: UploadProgress | None,
    ) -> SendOutcome:
        try:
            response = await client.execute_command(b"DATA", timeout=self.timeout)
        except Exception as exc:
            return self._broken(exc, offered, replies)
        if response.code != 354:
            reply = _reply_of(response)
            await self._reset()
            return self._refused_message(reply, replies, offered)
        return await self._upload(client, message, offered, replies, progress)

    async def _upload(
        self,
        client: aiosmtplib.SMTP,
        message: bytes,
        offered: bool,
        replies: tuple[tuple[str, SmtpReply], ...],
        progress: UploadProgress | None,
        *,
        next_envelope: NextEnvelope | None = None,
    ) -> SendOutcome:
        """After DATA's 354: the message, the final ".", the server's verdict (and, with
        `next_envelope`, the next transaction's group sent and read ahead)."""
        where = self.where
        payload = dot_stuffed(message)
        total = len(payload)
        allowed = data_timeout(total, self.timeout)
        protocol = client.protocol
        reader: _ReplyReader | None = None
        following: tuple[Envelope, _Group] | None = None
        try:
            if protocol is None:
                raise ConnectionLostError(f"Not connected to {where}.")
            if total <= _CHUNK:
                if next_envelope is not None and protocol.transport is not None:
                    following = self._following(next_envelope)
                if following is not None:
                    assert protocol.transport is not None
                    reader = _ReplyReader(protocol, protocol.transport)
                    protocol.write(payload + b".\r\n" + following[1].wire)
                else:
                    # One write with the final ".": a write refused here sent nothing at
                    # all; once it is taken, the server may get the whole message.
                    protocol.write(payload + b".\r\n")
                if progress is not None:
                    progress(total, total)
            else:
                async with asyncio.timeout(allowed):
                    for offset in range(0, total, _CHUNK):
                        protocol.write(payload[offset : offset + _CHUNK])
                        # Wait while the socket's buffer is full, so the upload is paced by
                        # the network; yielding each chunk lets a reset from the server show
                        # up before the final dot (and keeps the window responsive).
                        await protocol._drain_helper()
                        await asyncio.sleep(0)
                        if progress is not None:
                            progress(min(offset + _CHUNK, total), total)
                if not protocol.is_connected:
                    raise ConnectionLostError(f"{where} closed the connection")
                protocol.write(b".\r\n")
        except Exception as exc:
            if reader is not None:
                reader.restore()
            client.close()
            detail = "it took too long" if isinstance(exc, TimeoutError) else str(exc)
            return SendOutcome(
                SendOutcomeKind.DEFERRED,
                f"The connection to {where} broke while the message was being sent, before "
                f"it was complete ({detail}); the server did not take it.",
                None,
                replies,
                offered,
                usable=False,
            )
        # The final "." is out: from here on the server may have taken the message.
        try:
            if reader is not None:
                try:
                    response = await reader.next(allowed)
                except BaseException:
                    reader.restore()
                    raise
            else:
                response = await protocol.read_response(timeout=allowed)
        except Exception as exc:
            client.close()
            detail = (
                "no answer in time" if isinstance(exc, aiosmtplib.SMTPTimeoutError) else str(exc)
            )
            return SendOutcome(
                SendOutcomeKind.UNCERTAIN,
                f"The connection to {where} broke after the whole message was sent and before "
                f"the server confirmed it ({detail}): it may or may not have been sent.",
                None,
                replies,
                offered,
                usable=False,
            )
        if reader is not None:
            assert following is not None
            await self._read_ahead(client, reader, *following, closing=response.code == 421)
        reply = _reply_of(response)
        if reply.code == 250:
            return SendOutcome(
                SendOutcomeKind.ACCEPTED, "", reply, replies, offered, usable=self.is_connected
            )
        return SendOutcome(
            _by_code(reply.code),
            f"The SMTP server {where} did not take the message: {reply.words}",
            reply,
            replies,
            offered,
            usable=self.is_connected,
        )

    def _following(self, next_envelope: NextEnvelope) -> tuple[Envelope, _Group] | None:
        """The next transaction's group to send ahead, if the caller has one that passes
        the checks made before MAIL FROM (else it goes on its own, as usual)."""
        if not self.supports("pipelining"):
            return None
        envelope = next_envelope()
        if envelope is None:
            return None
        group = self._group(envelope)
        if isinstance(group, SendOutcome) or not group.clean:
            return None
        return envelope, group

    async def _read_ahead(
        self,
        client: aiosmtplib.SMTP,
        reader: _ReplyReader,
        envelope: Envelope,
        group: _Group,
        *,
        closing: bool,
    ) -> None:
        """After the final "."'s reply: the replies to the group sent ahead, kept for the
        next send_envelope. Anything unusual closes the connection (that message then goes
        from the start over a new one; nothing of it was sent)."""
        responses: list[SMTPResponse] = []
        complete = False
        try:
            if not closing:
                for _ in range(group.commands):
                    response = await reader.next(self.timeout)
                    responses.append(response)
                    if response.code == 421:
                        break
                else:
                    complete = True
        except Exception as exc:
            log.debug("SMTP %s: replies to the commands sent ahead: %s", self.where, exc)
        finally:
            # Also when cancelled: never leave the server waiting in DATA on an open line.
            if reader.restore() and complete:
                self._ahead = _Ahead(envelope, group, tuple(responses))
            else:
                client.close()

    def _broken(
        self,
        exc: Exception,
        offered: bool,
        replies: Sequence[tuple[str, SmtpReply]],
    ) -> SendOutcome:
        """A failure before DATA: nothing was sent, the connection is gone."""
        if self._smtp is not None:
            self._smtp.close()
        if isinstance(exc, ValueError):  # a control character in an address or parameter
            return SendOutcome(
                SendOutcomeKind.FAILED, f"The envelope cannot be sent: {exc}", None,
                tuple(replies), offered, usable=False,
            )  # fmt: skip
        error = smtp_error(exc, self.where)
        return SendOutcome(
            SendOutcomeKind.DEFERRED, str(error), None, tuple(replies), offered, usable=False
        )

    async def _reset(self) -> None:
        """End a transaction that sent no DATA, so the connection can carry the next one."""
        client = self._smtp
        if client is None or not client.is_connected:
            return
        try:
            response = await client.execute_command(b"RSET", timeout=self.timeout)
        except Exception:
            client.close()
            return
        if response.code != 250:
            client.close()

    async def quit(self) -> None:
        """Say goodbye and close; never raises (the work is done by then)."""
        if self._smtp is None:
            return
        client, self._smtp = self._smtp, None
        if self._ahead is not None:
            # The server waits in DATA for a message that will not come: just close.
            self._ahead = None
            client.close()
            return
        try:
            if client.is_connected:
                await client.quit()
        except Exception as exc:
            log.debug("QUIT on %s failed: %s", self.where, exc)
        finally:
            client.close()

    def abort(self) -> None:
        self._ahead = None
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    async def __aenter__(self) -> SmtpSession:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.quit()
        else:
            self.abort()


def _ssl_object(client: aiosmtplib.SMTP) -> ssl.SSLObject | None:
    if not client.is_connected:
        return None
    obj = client.get_transport_info("ssl_object")
    return obj if isinstance(obj, ssl.SSLObject) else None


async def _abort(client: aiosmtplib.SMTP) -> None:
    client.close()


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"
