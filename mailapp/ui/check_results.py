"""The result of a login test: each step as it happens, then what went wrong in plain words.

A certificate the account does not trust is shown with its SHA-256 fingerprint and a button
to trust it for this account only (a pin, never a global switch); the owner connects
`trust_requested(fingerprint)`. Imports: Qt, core, ui.icons.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.checks import CheckOutcome, CheckReport, CheckStage, CheckStep, ServerRole
from mailapp.ui.icons import themed_icon


def _without_fingerprint(detail: str) -> str:
    # The certificate panel shows the fingerprint on its own, where it can be compared.
    return detail.split(" Its SHA-256 fingerprint", maxsplit=1)[0].strip().rstrip(".")


class CheckResults(QWidget):
    """The steps list, a status line, and the certificate panel (hidden until needed)."""

    trust_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setObjectName("checkResults")
        self.list.setAccessibleName(self.tr("Test results"))
        self.list.setMinimumHeight(110)
        self.list.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setObjectName("checkStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAccessibleName(self.tr("Test status"))

        # -- certificate panel -----------------------------------------------------------
        self.certificate = QFrame(self)
        self.certificate.setObjectName("certificatePanel")
        self.certificate.setFrameShape(QFrame.Shape.StyledPanel)
        self.certificate_text = QLabel(self.certificate)
        self.certificate_text.setWordWrap(True)
        self.certificate_text.setAccessibleName(self.tr("Certificate problem"))
        self.fingerprint = QLabel(self.certificate)
        self.fingerprint.setObjectName("certificateFingerprint")
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.fingerprint.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.fingerprint.setAccessibleName(self.tr("Certificate SHA-256 fingerprint"))
        self.trust_button = QPushButton(
            self.tr("T&rust This Certificate for This Account"), self.certificate
        )
        self.trust_button.setObjectName("trustButton")
        self.trust_button.setAccessibleName(self.tr("Trust this certificate for this account"))
        self.trust_button.clicked.connect(self._trust_clicked)
        panel = QVBoxLayout(self.certificate)
        panel.addWidget(self.certificate_text)
        panel.addWidget(self.fingerprint)
        panel.addWidget(self.trust_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.certificate.hide()
        self.offered_fingerprint: str | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.certificate)

    # -- words -----------------------------------------------------------------------------

    def role_words(self, role: ServerRole) -> str:
        return {
            ServerRole.INCOMING: self.tr("incoming server"),
            ServerRole.OUTGOING: self.tr("outgoing server"),
        }.get(role, str(role))

    def step_text(self, step: CheckStep) -> str:
        role = {
            ServerRole.INCOMING: self.tr("Incoming"),
            ServerRole.OUTGOING: self.tr("Outgoing"),
        }.get(step.role, str(step.role))
        stage = {
            CheckStage.CONNECT: self.tr("Connect"),
            CheckStage.TLS: self.tr("Encryption"),
            CheckStage.CERTIFICATE: self.tr("Certificate"),
            CheckStage.LOGIN: self.tr("Login"),
        }.get(step.stage, str(step.stage))
        outcome = {
            CheckOutcome.PASSED: self.tr("passed"),
            CheckOutcome.FAILED: self.tr("failed"),
            CheckOutcome.SKIPPED: self.tr("not tried"),
        }.get(step.outcome, str(step.outcome))
        text = f"{role} · {stage}: {outcome}"
        if step.detail and step.outcome is not CheckOutcome.SKIPPED:
            text += f" — {step.detail}"
        return text

    def explain(self, step: CheckStep) -> str:
        """One plain sentence for a failed step, worded by the kind of problem."""
        server = self.role_words(step.role)
        code = step.error_code or ""
        if code.startswith("auth.failed") or code == "auth":
            text = self.tr(
                "Wrong user name or password: the %1 refused the login. Check both and test again."
            )
        elif code.startswith("auth"):
            text = self.tr("The %1 offers no password login mailapp can use.")
        elif code == "transport.timeout":
            text = self.tr(
                "The %1 did not answer in time. Check its name and port; a firewall or the "
                "network may be blocking it."
            )
        elif code.startswith("transport.connect"):
            text = self.tr("Could not connect to the %1. Check its name and port.")
        elif code.startswith("tls.certificate"):
            text = self.tr("The %1's certificate is not trusted.")
        elif code == "tls.starttls_missing":
            text = self.tr(
                "The %1 does not offer STARTTLS, so the password would travel unencrypted. "
                "Choose SSL/TLS or another port."
            )
        elif code.startswith("tls"):
            text = self.tr("The encrypted connection to the %1 failed.")
        else:
            text = self.tr("The %1 test failed.")
        sentence = text.replace("%1", server)
        if code.startswith("tls.certificate"):
            return sentence  # the certificate panel says why, with the fingerprint
        detail = _without_fingerprint(step.detail)
        return f"{sentence} ({detail}.)" if detail else sentence

    # -- showing ---------------------------------------------------------------------------

    def clear(self) -> None:
        self.list.clear()
        self.certificate.hide()
        self.offered_fingerprint = None

    def set_status(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setAccessibleDescription(text)
        self.status.setProperty("problem", problem)

    def add_step(self, step: CheckStep) -> None:
        """Progress callback for the engine: one finished step, shown at once."""
        if step.outcome is CheckOutcome.PASSED:
            icon = themed_icon(
                ("emblem-ok", "dialog-ok"), QStyle.StandardPixmap.SP_DialogApplyButton
            )
        elif step.outcome is CheckOutcome.FAILED:
            icon = themed_icon(("dialog-error",), QStyle.StandardPixmap.SP_MessageBoxCritical)
        else:
            icon = themed_icon(("action-unavailable",), QStyle.StandardPixmap.SP_MediaSkipForward)
        item = QListWidgetItem(icon, self.step_text(step))
        tip = [step.server] if step.server else []
        if step.hint:
            tip.append(step.hint)
        if step.fingerprint:
            tip.append(self.tr("Certificate SHA-256: %1").replace("%1", step.fingerprint))
        item.setToolTip("\n".join(tip))
        item.setData(Qt.ItemDataRole.AccessibleTextRole, item.text())
        self.list.addItem(item)
        self.list.scrollToItem(item)

    def rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def show_report(self, report: CheckReport, pinned: str | None = None) -> None:
        """The whole report, the status in plain words, and the certificate panel if needed.

        `pinned` is the fingerprint the tested settings already pin (a different one from a
        server then means the two servers present different certificates)."""
        self.list.clear()
        for step in report.steps:
            self.add_step(step)
        self.certificate.hide()
        self.offered_fingerprint = None
        if report.ok:
            self.set_status(self.tr("Both servers accepted the login."))
            return
        self.set_status(" ".join(self.explain(s) for s in report.failures), problem=True)
        refused = [
            s
            for s in report.failures
            if s.stage is CheckStage.CERTIFICATE and s.fingerprint is not None
        ]
        if refused:
            self._offer_trust(report, refused, pinned)

    def _offer_trust(
        self, report: CheckReport, refused: list[CheckStep], pinned: str | None
    ) -> None:
        prints = sorted({s.fingerprint for s in refused if s.fingerprint})
        first = refused[0]
        assert first.fingerprint is not None
        # With a pin, a server whose certificate passed holds the pinned one; a refused
        # server with another certificate cannot be covered by the same account pin.
        pin_used_elsewhere = bool(pinned) and any(
            s.stage is CheckStage.CERTIFICATE and s.passed for s in report.steps
        )
        why = _without_fingerprint(first.detail) + "." if first.detail else ""
        if len(refused) > 1 and len(prints) == 1:
            why += " " + self.tr("The %1 presents the same certificate.").replace(
                "%1", self.role_words(refused[1].role)
            )
        self.fingerprint.setText("\n".join(prints))
        if len(prints) > 1 or pin_used_elsewhere:
            self.certificate_text.setText(
                self.tr(
                    "The two servers present different certificates; an account can pin only "
                    "one. Give the file of the authority that signed them as the CA file "
                    "instead. %1"
                ).replace("%1", why)
            )
            self.trust_button.hide()
        else:
            self.certificate_text.setText(
                self.tr(
                    "%1 Its SHA-256 fingerprint is shown below. Trust it only if your provider "
                    "confirms this fingerprint: mailapp will then accept exactly this "
                    "certificate for this account, and no other."
                ).replace("%1", why)
            )
            self.offered_fingerprint = first.fingerprint
            self.trust_button.show()
        self.certificate.show()

    def _trust_clicked(self) -> None:
        if self.offered_fingerprint:
            self.trust_requested.emit(self.offered_fingerprint)
