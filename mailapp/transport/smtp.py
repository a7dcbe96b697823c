"""SMTP sessions over aiosmtplib, with our TLS policy and no way to send a password in clear.

aiosmtplib is only ever built with use_tls=True (port 465) or start_tls=True (587), and we
check ourselves that STARTTLS was offered and that the connection is encrypted and its
certificate accepted before AUTH. Sending grows on `SmtpSession` (the `smtp` property gives
the connected client). Imports: core, transport, aiosmtplib.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import aiosmtplib
from aiosmtplib.response import SMTPResponse

from mailapp.core.checks import CheckStage
from mailapp.core.errors import (
    AuthFailedError,
    AuthUnavailableError,
    ConnectError,
    ConnectionLostError,
    MailAppError,
    PermanentServerError,
    ProtocolError,
    ServerError,
    StartTLSMissingError,
    TemporaryServerError,
    TimeoutError_,
    TLSError,
)
from mailapp.core.model import Security, ServerSettings, TlsTrust
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
