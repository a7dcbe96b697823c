"""One error hierarchy for the whole program, each class with a stable machine code.

The engine raises these; the window and the command line turn them into sentences. Our own
bugs are not MailAppErrors: anything else that escapes is a defect to fix.
"""

from __future__ import annotations


class MailAppError(Exception):
    """Root of every error the program expects and can explain to a person."""

    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # What the person can do next ("Check the password", "Trust this certificate").
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class ConfigError(MailAppError):
    """Settings or command-line values that cannot be used."""

    code = "config"


class AccountNotFoundError(ConfigError):
    code = "config.account_not_found"


class AccountExistsError(ConfigError):
    code = "config.account_exists"


class ProtocolError(MailAppError):
    """A peer said something that breaks its protocol (or our parser cannot follow it)."""

    code = "protocol"


class ParseError(ProtocolError):
    code = "protocol.parse"


class LimitExceededError(ProtocolError):
    """A peer asked for more than we accept (a 2 GB literal, an endless line)."""

    code = "protocol.limit"


class InvalidCommandError(ProtocolError):
    """A command we were asked to build would break the protocol (CR/LF in an atom, a NUL)."""

    code = "protocol.invalid_command"


class TransportError(MailAppError):
    """The network failed: refused, unreachable, timed out, connection lost."""

    code = "transport"


class ConnectError(TransportError):
    code = "transport.connect"


class TimeoutError_(TransportError):  # named so it never shadows the builtin TimeoutError
    code = "transport.timeout"


class ConnectionLostError(TransportError):
    code = "transport.connection_lost"


class TLSError(MailAppError):
    """A TLS handshake or certificate check failed, or TLS was required and not offered."""

    code = "tls"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        fingerprint: str | None = None,
        reason: str = "untrusted",
    ) -> None:
        super().__init__(message, hint=hint)
        # SHA-256 of the server's leaf certificate (colon-separated hex), so the user can
        # compare it out of band and pin it for this account only.
        self.fingerprint = fingerprint
        # One of: untrusted, expired, wrong_host, handshake, starttls_missing, pin_mismatch.
        self.reason = reason


class StartTLSMissingError(TLSError):
    code = "tls.starttls_missing"


class CertificateError(TLSError):
    code = "tls.certificate"


class AuthError(MailAppError):
    """The server refused the credentials or offers no mechanism we may use."""

    code = "auth"


class AuthFailedError(AuthError):
    code = "auth.failed"


class AuthUnavailableError(AuthError):
    code = "auth.unavailable"


class ServerError(MailAppError):
    """The server answered with an error reply we cannot work around."""

    code = "server"

    def __init__(
        self, message: str, *, hint: str | None = None, reply_code: int | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.reply_code = reply_code


class TemporaryServerError(ServerError):
    code = "server.temporary"


class PermanentServerError(ServerError):
    code = "server.permanent"


class UnsupportedError(MailAppError):
    """The account's server lacks a capability this action needs."""

    code = "unsupported"


class StoreError(MailAppError):
    """The local store cannot be opened, read or written."""

    code = "store"


class StoreVersionError(StoreError):
    code = "store.version"


class OutboxError(StoreError):
    """An outbox action that does not fit the message's state (retry while it is sending)."""

    code = "store.outbox"


class LeaseLostError(OutboxError):
    """A sending worker no longer holds the message: it must stop before DATA and report
    nothing (another worker or the crash recovery has taken over)."""

    code = "store.outbox.lease_lost"


class OutboxEditError(OutboxError):
    """A queued message that cannot be taken back for editing: it is being sent, may already
    have been sent (DATA began), was taken by the server for someone, or has no draft."""

    code = "store.outbox.not_editable"


class SearchQueryError(ConfigError):
    """A search query the parser cannot use (an unknown date, an empty `from:`)."""

    code = "config.search_query"


class SecretError(MailAppError):
    """A password could not be stored or read."""

    code = "secret"


class SecretNotFoundError(SecretError):
    code = "secret.not_found"


class SecretStoreUnavailableError(SecretError):
    code = "secret.store_unavailable"


class SecretStoreLockedError(SecretStoreUnavailableError):
    """The system keyring is there but stays locked (the person dismissed the unlock prompt)."""

    code = "secret.store_locked"


class SecretCommandError(SecretError):
    code = "secret.command"


class InvalidAddressError(ConfigError):
    """An e-mail address (or "Name <address>") that cannot be used as written."""

    code = "config.invalid_address"


class HeaderInjectionError(ConfigError):
    """A user-given header field holds a line break or control character; never joined."""

    code = "config.header_injection"


class InvalidDraftError(ConfigError):
    """A draft that cannot be sent as it is (no recipient, unreadable attachment, bad id)."""

    code = "config.invalid_draft"


class SmtpUtf8RequiredError(UnsupportedError):
    """An address needs SMTPUTF8 (non-ASCII before the @) and the server does not offer it."""

    code = "unsupported.smtputf8"


class InvalidMailtoError(ConfigError):
    """A `mailto:` link (RFC 6068) that cannot be read: not mailto, bad %-escape, not UTF-8."""

    code = "config.invalid_mailto"


class ImapCommandError(ServerError):
    """An IMAP server answered a command with NO or BAD.

    `status` is "NO" or "BAD"; `response_code` the bracketed code's name (TRYCREATE,
    NONEXISTENT, UNAVAILABLE, ...) or None."""

    code = "server.imap"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: str = "NO",
        response_code: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.response_code = response_code

    @property
    def temporary(self) -> bool:
        return self.response_code in {"UNAVAILABLE", "INUSE", "SERVERBUG", "LIMIT", "OVERQUOTA"}


class MimePartNotFoundError(ParseError):
    """A message part was asked for by a number the message does not have."""

    code = "protocol.mime_part_not_found"


class MessageNotFoundError(StoreError):
    """A message id that is not in the store, or whose message the server no longer has."""

    code = "store.message_not_found"
