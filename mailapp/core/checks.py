"""Values for an account check: the steps of a login test and the report they add up to.

Pure values, no I/O. Imports: the standard library and core.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServerRole(StrEnum):
    """Which of the account's two servers a step is about."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"


class CheckStage(StrEnum):
    """The stages of a login test, in the order they happen."""

    CONNECT = "connect"  # TCP connection and the server's greeting
    TLS = "tls"  # TLS handshake (implicit, or after STARTTLS/STLS)
    CERTIFICATE = "certificate"  # the server's certificate is trusted for this host
    LOGIN = "login"  # the server accepted the credentials


STAGE_ORDER: tuple[CheckStage, ...] = (
    CheckStage.CONNECT,
    CheckStage.TLS,
    CheckStage.CERTIFICATE,
    CheckStage.LOGIN,
)


class CheckOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # an earlier stage failed, so this one was not tried


@dataclass(frozen=True, slots=True)
class CheckStep:
    """One line of a check: what was tried on which server and how it went.

    `detail` is a short plain sentence fit to show as is; `error_code` is the machine code of
    the MailAppError that failed the step (the UI may word it its own way), `hint` what the
    person can do, `fingerprint` the server certificate's SHA-256 when one was seen.
    """

    role: ServerRole
    stage: CheckStage
    outcome: CheckOutcome
    detail: str
    server: str = ""  # "host:port (protocol)"
    error_code: str | None = None
    hint: str | None = None
    fingerprint: str | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is CheckOutcome.PASSED


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The steps of one account check, incoming server first."""

    account: str
    steps: tuple[CheckStep, ...]

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.outcome is CheckOutcome.PASSED for s in self.steps)

    def role_ok(self, role: ServerRole) -> bool:
        mine = [s for s in self.steps if s.role is role]
        return bool(mine) and all(s.outcome is CheckOutcome.PASSED for s in mine)

    @property
    def failures(self) -> tuple[CheckStep, ...]:
        return tuple(s for s in self.steps if s.outcome is CheckOutcome.FAILED)
