"""The account test: log in to the incoming and the outgoing server and report each step.

Each server gets the steps connect, TLS, certificate, login; a failed step carries the
error's code, sentence, hint and (for certificates) the server's fingerprint, and the steps
after it are marked skipped. Imports: core, transport.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from mailapp.core.checks import (
    STAGE_ORDER,
    CheckOutcome,
    CheckReport,
    CheckStage,
    CheckStep,
    ServerRole,
)
from mailapp.core.errors import (
    AuthError,
    CertificateError,
    ConnectError,
    MailAppError,
    TLSError,
)
from mailapp.core.model import Account, IncomingProtocol, ServerSettings
from mailapp.transport.imap import ImapClient
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.pop3 import Pop3Client
from mailapp.transport.smtp import SmtpSession
from mailapp.transport.tls import StageNotify

log = logging.getLogger("mailapp.account_check")

Progress = Callable[[CheckStep], None]

_IMPLIED = {
    CheckStage.CONNECT: "connected to {server}",
    CheckStage.TLS: "TLS handshake started",
    CheckStage.CERTIFICATE: "certificate accepted",
}


def _failed_stage(exc: MailAppError, reached: list[CheckStage]) -> CheckStage:
    if isinstance(exc, CertificateError):
        return CheckStage.CERTIFICATE
    if isinstance(exc, TLSError):
        return CheckStage.TLS
    if isinstance(exc, AuthError):
        return CheckStage.LOGIN
    if isinstance(exc, ConnectError) or not reached:
        return CheckStage.CONNECT
    # Timeouts, lost connections and odd replies: the stage after the last one that passed.
    last = STAGE_ORDER.index(reached[-1])
    return STAGE_ORDER[min(last + 1, len(STAGE_ORDER) - 1)]


class _StepRecorder:
    def __init__(
        self, role: ServerRole, settings: ServerSettings, server: str, progress: Progress | None
    ) -> None:
        self.role = role
        self.address = settings.address
        self.server = server
        self.progress = progress
        self.steps: list[CheckStep] = []
        self.reached: list[CheckStage] = []

    def _add(self, step: CheckStep) -> None:
        self.steps.append(step)
        if self.progress is not None:
            self.progress(step)

    def passed(self, stage: CheckStage, detail: str) -> None:
        if stage in self.reached:  # e.g. TLS reported by the fingerprint-only handshake
            return
        self._fill_up_to(stage)
        self.reached.append(stage)
        self._add(CheckStep(self.role, stage, CheckOutcome.PASSED, detail, self.server))

    def _fill_up_to(self, stage: CheckStage) -> None:
        # A later stage implies the earlier ones (an implicit-TLS handshake that refused the
        # certificate came after the TCP connection, even though no greeting was read).
        for earlier in STAGE_ORDER[: STAGE_ORDER.index(stage)]:
            if earlier not in self.reached:
                self.reached.append(earlier)
                self._add(
                    CheckStep(
                        self.role,
                        earlier,
                        CheckOutcome.PASSED,
                        _IMPLIED[earlier].format(server=self.address),
                        self.server,
                    )
                )

    def failed(self, exc: MailAppError) -> None:
        stage = _failed_stage(exc, self.reached)
        self._fill_up_to(stage)
        self._add(
            CheckStep(
                self.role,
                stage,
                CheckOutcome.FAILED,
                exc.message,
                self.server,
                error_code=exc.code,
                hint=exc.hint,
                fingerprint=exc.fingerprint if isinstance(exc, TLSError) else None,
            )
        )
        for later in STAGE_ORDER[STAGE_ORDER.index(stage) + 1 :]:
            self._add(
                CheckStep(
                    self.role,
                    later,
                    CheckOutcome.SKIPPED,
                    "not tried: an earlier step failed",
                    self.server,
                )
            )

    @property
    def notify(self) -> StageNotify:
        return self.passed


def describe_server(role: ServerRole, account: Account) -> str:
    if role is ServerRole.INCOMING:
        s: ServerSettings = account.incoming
        kind = account.incoming_protocol.value.upper()
    else:
        s, kind = account.outgoing, "SMTP"
    return f"{s.host}:{s.port} ({kind}, {s.security.value})"


async def _run(recorder: _StepRecorder, attempt: Callable[[], Awaitable[None]]) -> None:
    try:
        await attempt()
    except MailAppError as exc:
        recorder.failed(exc)


async def check_account(
    account: Account,
    password: str,
    smtp_password: str | None = None,
    *,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    source_address: tuple[str, int] | None = None,
) -> CheckReport:
    """Log in to both servers of `account` (nothing is sent or changed) and report.

    `smtp_password` defaults to `password`. `progress` sees each step as it happens.
    """
    incoming = _StepRecorder(
        ServerRole.INCOMING,
        account.incoming,
        describe_server(ServerRole.INCOMING, account),
        progress,
    )
    outgoing = _StepRecorder(
        ServerRole.OUTGOING,
        account.outgoing,
        describe_server(ServerRole.OUTGOING, account),
        progress,
    )

    async def login_incoming() -> None:
        settings = account.incoming
        if account.incoming_protocol is IncomingProtocol.IMAP:
            async with ImapClient(
                settings,
                account.trust,
                timeout=timeout,
                source_address=source_address,
                notify=incoming.notify,
            ) as imap:  # leaving the block logs out
                await imap.connect()
                await imap.login(password)
            return
        pop = Pop3Client(notify=incoming.notify)
        try:
            await pop.connect(
                settings.host,
                settings.port,
                settings.security,
                trust=account.trust,
                timeout=timeout,
                source_address=source_address,
            )
            await pop.login(settings.user, password)
            try:
                await pop.quit()
            except MailAppError as exc:  # logged in already; a rude goodbye is harmless
                log.debug("QUIT on %s failed: %s", pop.where, exc)
        finally:
            await pop.close()

    async def login_outgoing() -> None:
        session = SmtpSession(
            account.outgoing,
            account.trust,
            timeout=timeout,
            source_address=source_address,
            notify=outgoing.notify,
        )
        await session.connect()
        try:
            await session.login(smtp_password if smtp_password is not None else password)
        finally:
            await session.quit()

    await _run(incoming, login_incoming)
    await _run(outgoing, login_outgoing)
    return CheckReport(account=account.name, steps=(*incoming.steps, *outgoing.steps))
