"""SMTP sessions over aiosmtplib, with our TLS policy and no way to send a password in clear.

aiosmtplib is only ever built with use_tls=True (port 465) or start_tls=True (587), and we
check ourselves that STARTTLS was offered and that the connection is encrypted and its
certificate accepted before AUTH.

Sending (`SmtpSession.send_envelope`) uses aiosmtplib's lower-level commands, never
`sendmail`: each RCPT TO gets its own parameters (ORCPT) and its own reply, DSN parameters
go out only when the server offers DSN, SIZE is checked before any upload, and the final
"." is written only after the whole body went out, so a broken connection before it is
known to be harmless (deferred) and one after it is reported as uncertain.
Imports: core, protocols.smtp_params, transport, aiosmtplib.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Literal

import aiosmtplib
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


RecipientHook = Callable[[str, SmtpReply], Awaitable[None]]
BeforeData = Callable[[], Awaitable[None]]
UploadProgress = Callable[[int, int], None]


def dot_stuffed(message: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, a "." doubled at each line start,
    ending in CRLF (the terminating ".\\r\\n" is not included)."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", message)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return _LINE_START_DOT.sub(b"..", data)


def _reply_of(response: SMTPResponse) -> SmtpReply:
    return SmtpReply(response.code, " ".join(response.message.split("\n")).strip())


def _by_code(code: int) -> SendOutcomeKind:
    return SendOutcomeKind.FAILED if 500 <= code < 600 else SendOutcomeKind.DEFERRED


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
        words = self.extensions.get("size", "").split()
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
    ) -> SendOutcome:
        """One transaction: MAIL FROM, RCPT TO per recipient, DATA; never raises for what the
        server or the network does (see SendOutcome).

        `dsn`: reports wanted; sent (ENVID, RET, NOTIFY, ORCPT) only if the server offers
        DSN. `smtputf8`: the message needs SMTPUTF8 (FAILED with the reason when the server
        does not offer it). `on_recipient` is awaited with each RCPT reply; `before_data`
        right before DATA (the outbox records that DATA starts; whatever it raises is raised
        after an RSET, and no DATA is sent). `progress(sent, total)` follows the upload.
        Raises ConnectionLostError when not connected; an exception from a hook leaves the
        connection in an unknown state (abort it).
        """
        client = self.smtp
        where = self.where
        offered = self.supports("dsn")
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
        if limit is not None and len(message) > limit:
            return SendOutcome(
                SendOutcomeKind.FAILED,
                f"The message is {_megabytes(len(message))}, but the SMTP server {where} takes "
                f"at most {_megabytes(limit)}. Make it smaller (fewer or smaller attachments).",
                dsn_offered=offered,
            )
        notify = dsn.notify if dsn is not None and offered else None
        params = mail_options(
            dsn.envid if dsn is not None and offered else None,
            dsn.ret if dsn is not None else None,
            smtputf8=utf8,
            body_8bit=body_8bit and self.supports("8bitmime"),
            size=len(message) if self.supports("size") else None,
        )
        encoding = "utf-8" if utf8 else "ascii"

        def command_args(
            verb: bytes, prefix: bytes, address: str, options: list[str]
        ) -> tuple[bytes, ...]:
            wire = prefix + b"<" + address.encode(encoding) + b">"
            return (verb, wire, *(option.encode("ascii") for option in options))

        try:
            response = await client.execute_command(
                *command_args(b"MAIL", b"FROM:", sender, params), timeout=self.timeout
            )
        except Exception as exc:
            return self._broken(exc, offered, ())
        if response.code != 250:
            reply = _reply_of(response)
            await self._reset()
            return SendOutcome(
                _by_code(reply.code),
                f"The SMTP server {where} refused the sender {sender}: {reply.words}",
                reply,
                dsn_offered=offered,
                usable=self.is_connected,
            )

        replies: list[tuple[str, SmtpReply]] = []
        for recipient in recipients:
            options = rcpt_options(recipient.orcpt, notify, smtputf8=utf8)
            try:
                response = await client.execute_command(
                    *command_args(b"RCPT", b"TO:", recipient.address, options),
                    timeout=self.timeout,
                )
            except Exception as exc:
                return self._broken(exc, offered, replies)
            reply = _reply_of(response)
            replies.append((recipient.address, reply))
            if on_recipient is not None:
                await on_recipient(recipient.address, reply)
            if not self.is_connected:  # 421: the server is closing the connection
                return SendOutcome(
                    SendOutcomeKind.DEFERRED,
                    f"The SMTP server {where} closed the connection: {reply.words}",
                    reply,
                    tuple(replies),
                    offered,
                    usable=False,
                )
        taken = [r for _a, r in replies if r.code in (250, 251)]
        if not taken:
            last = replies[-1][1]
            await self._reset()
            kind = (
                SendOutcomeKind.DEFERRED
                if any(not 500 <= r.code < 600 for _a, r in replies)
                else SendOutcomeKind.FAILED
            )
            return SendOutcome(
                kind,
                f"The SMTP server {where} refused every recipient: {last.words}",
                last,
                tuple(replies),
                offered,
                usable=self.is_connected,
            )

        if before_data is not None:
            try:
                await before_data()
            except Exception:
                await self._reset()
                raise
        return await self._data(client, message, offered, tuple(replies), progress)

    async def _data(
        self,
        client: aiosmtplib.SMTP,
        message: bytes,
        offered: bool,
        replies: tuple[tuple[str, SmtpReply], ...],
        progress: UploadProgress | None,
    ) -> SendOutcome:
        where = self.where
        try:
            response = await client.execute_command(b"DATA", timeout=self.timeout)
        except Exception as exc:
            return self._broken(exc, offered, replies)
        if response.code != 354:
            reply = _reply_of(response)
            await self._reset()
            return SendOutcome(
                _by_code(reply.code),
                f"The SMTP server {where} refused the message: {reply.words}",
                reply,
                replies,
                offered,
                usable=self.is_connected,
            )
        payload = dot_stuffed(message)
        total = len(payload)
        allowed = data_timeout(total, self.timeout)
        protocol = client.protocol
        try:
            if protocol is None:
                raise ConnectionLostError(f"Not connected to {where}.")
            async with asyncio.timeout(allowed):
                for offset in range(0, total, _CHUNK):
                    protocol.write(payload[offset : offset + _CHUNK])
                    # Wait while the socket's buffer is full, so the upload is paced by the
                    # network; yielding each chunk lets a reset from the server show up
                    # before the final dot (and keeps the window responsive).
                    await protocol._drain_helper()
                    await asyncio.sleep(0)
                    if progress is not None:
                        progress(min(offset + _CHUNK, total), total)
            if not protocol.is_connected:
                raise ConnectionLostError(f"{where} closed the connection")
            protocol.write(b".\r\n")
        except Exception as exc:
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
        try:
            if client.is_connected:
                await client.quit()
        except Exception as exc:
            log.debug("QUIT on %s failed: %s", self.where, exc)
        finally:
            client.close()

    def abort(self) -> None:
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
