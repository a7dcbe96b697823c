"""Value types for accounts and server settings, shared by every layer.

Frozen dataclasses only; no I/O. Imports: the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Security(StrEnum):
    """How a connection is protected. There is deliberately no plaintext member."""

    SSL = "ssl"  # implicit TLS from the first byte (IMAPS 993, POP3S 995, submissions 465)
    STARTTLS = "starttls"  # upgrade required before any credential is sent


class IncomingProtocol(StrEnum):
    IMAP = "imap"
    POP3 = "pop3"


class ReadReceiptPolicy(StrEnum):
    ASK = "ask"
    NEVER = "never"
    ALWAYS = "always"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str
    port: int
    security: Security
    user: str

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class TlsTrust:
    """Per-account trust on top of the system's CAs; never a global off switch.

    `ca_file` is a PEM file of extra trusted certificates (a self-signed server's own cert or
    its private CA). `fingerprint` pins the server's leaf certificate by SHA-256 (hex, any
    case, colons optional) and is accepted even when no CA vouches for it.
    """

    ca_file: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class AccountOptions:
    request_delivery_reports: bool = True
    request_read_receipts: bool = False
    read_receipt_replies: ReadReceiptPolicy = ReadReceiptPolicy.ASK
    load_remote_content: bool = False
    reports_folder: str = "Delivery Reports"
    check_interval_minutes: int = 10
    pop3_keep_days: int | None = None  # None: leave on server forever; 0: delete after download
    # Only for a server on a loopback address; refused for any other host.
    allow_plaintext_loopback: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    email: str
    display_name: str
    incoming_protocol: IncomingProtocol
    incoming: ServerSettings
    outgoing: ServerSettings
    trust: TlsTrust = field(default_factory=TlsTrust)
    # Shell command printing the password (mbsync's PassCmd); None: the credential store.
    password_command: str | None = None
    # True when the SMTP server has its own password (stored under its own key).
    separate_smtp_password: bool = False
    options: AccountOptions = field(default_factory=AccountOptions)
