"""The manual account dialog: every server setting typed by hand, a live login test, Save.

Non-modal; the test runs as an asyncio task on the qasync loop while the dialog stays usable,
each step of the check appearing as it finishes. Until the guided wizard exists this is how an
account is added. Imports: Qt, core and engine.api.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.checks import CheckOutcome, CheckReport, CheckStage, CheckStep, ServerRole
from mailapp.core.errors import ConfigError, MailAppError
from mailapp.core.model import (
    Account,
    IncomingProtocol,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.engine.api import Engine
from mailapp.ui.icons import themed_icon

DEFAULT_PORTS: dict[tuple[str, Security], int] = {
    ("imap", Security.SSL): 993,
    ("imap", Security.STARTTLS): 143,
    ("pop3", Security.SSL): 995,
    ("pop3", Security.STARTTLS): 110,
    ("smtp", Security.SSL): 465,
    ("smtp", Security.STARTTLS): 587,
}


class _ServerBox(QGroupBox):
    """Host, port, security and user name of one server; the port follows the security."""

    def __init__(self, title: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.kind = kind  # "imap", "pop3" or "smtp"
        self.form = QFormLayout(self)
        self.host = QLineEdit(self)
        self.host.setPlaceholderText(self.tr("mail.example.org"))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.security = QComboBox(self)
        # No plaintext entry on purpose: passwords never travel unencrypted.
        self.security.addItem(self.tr("SSL/TLS"), Security.SSL)
        self.security.addItem(self.tr("STARTTLS"), Security.STARTTLS)
        self.user = QLineEdit(self)
        self.user.setPlaceholderText(self.tr("same as the email address"))
        self.port.setValue(DEFAULT_PORTS[(kind, Security.SSL)])
        self.security.currentIndexChanged.connect(self._follow_defaults)

    def add_rows(self, label_prefix: str, labels: tuple[str, str, str, str]) -> None:
        for text, widget in zip(
            labels, (self.host, self.port, self.security, self.user), strict=True
        ):
            self.form.addRow(text, widget)
        for widget, name in (
            (self.host, self.tr("server name")),
            (self.port, self.tr("port")),
            (self.security, self.tr("connection security")),
            (self.user, self.tr("username")),
        ):
            widget.setAccessibleName(f"{label_prefix} {name}")

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self._follow_defaults()

    def _follow_defaults(self) -> None:
        # Only replace a port the user has not chosen: one of the well-known defaults.
        if self.port.value() in DEFAULT_PORTS.values():
            self.port.setValue(DEFAULT_PORTS[(self.kind, self.security_value())])

    def security_value(self) -> Security:
        value = self.security.currentData()
        return value if isinstance(value, Security) else Security(str(value))

    def settings(self, default_user: str, what: str) -> ServerSettings:
        host = self.host.text().strip()
        if not host or any(c.isspace() for c in host):
            self.host.setFocus()
            raise ConfigError(self.tr("Enter the %1 server's name.").replace("%1", what))
        user = self.user.text().strip() or default_user
        return ServerSettings(host, self.port.value(), self.security_value(), user)


class AccountDialog(QDialog):
    """Emits `account_added(name)` after the engine saved the account."""

    account_added = Signal(str)

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountDialog")
        self.setWindowTitle(self.tr("Add Account"))
        self.setAccessibleName(self.tr("Add account"))
        self.setModal(False)
        self._engine = engine
        self._task: asyncio.Task[None] | None = None
        self._ca_dialog: QFileDialog | None = None
        self._saved: str | None = None

        # -- identity --------------------------------------------------------------------
        identity = QGroupBox(self.tr("You"), self)
        identity_form = QFormLayout(identity)
        self.display_name = QLineEdit(identity)
        self.display_name.setPlaceholderText(self.tr("Ada Lovelace"))
        self.email = QLineEdit(identity)
        self.email.setPlaceholderText(self.tr("ada@example.org"))
        self.account_name = QLineEdit(identity)
        self.account_name.setPlaceholderText(self.tr("same as the email address"))
        identity_form.addRow(self.tr("Your &name:"), self.display_name)
        identity_form.addRow(self.tr("&Email address:"), self.email)
        identity_form.addRow(self.tr("Account na&me:"), self.account_name)
        self.display_name.setAccessibleName(self.tr("Your name"))
        self.email.setAccessibleName(self.tr("Email address"))
        self.account_name.setAccessibleName(self.tr("Account name"))

        # -- incoming --------------------------------------------------------------------
        self.incoming = _ServerBox(self.tr("Incoming mail"), "imap", self)
        self.protocol = QComboBox(self.incoming)
        self.protocol.addItem(self.tr("IMAP"), IncomingProtocol.IMAP)
        self.protocol.addItem(self.tr("POP3"), IncomingProtocol.POP3)
        self.protocol.setAccessibleName(self.tr("Incoming protocol"))
        self.protocol.currentIndexChanged.connect(self._protocol_changed)
        self.incoming.form.addRow(self.tr("&Protocol:"), self.protocol)
        # Mnemonics are unique across the dialog (Alt+S is Save, Alt+T is Test).
        self.incoming.add_rows(
            self.tr("Incoming"),
            (self.tr("Se&rver:"), self.tr("P&ort:"), self.tr("Securit&y:"), self.tr("&Username:")),
        )
        self.password = QLineEdit(self.incoming)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.incoming.form.addRow(self.tr("Pass&word:"), self.password)

        # -- outgoing --------------------------------------------------------------------
        self.outgoing = _ServerBox(self.tr("Outgoing mail (SMTP)"), "smtp", self)
        self.outgoing.add_rows(
            self.tr("Outgoing"),
            (self.tr("Ser&ver:"), self.tr("Port:"), self.tr("Security:"), self.tr("Username:")),
        )
        self.outgoing.user.setPlaceholderText(self.tr("same as incoming"))
        self.separate_password = QCheckBox(self.tr("Own passwor&d:"), self.outgoing)
        self.separate_password.setAccessibleName(self.tr("Outgoing server has its own password"))
        self.smtp_password = QLineEdit(self.outgoing)
        self.smtp_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.smtp_password.setAccessibleName(self.tr("Outgoing password"))
        self.smtp_password.setPlaceholderText(self.tr("same as incoming"))
        self.smtp_password.setEnabled(False)
        self.separate_password.toggled.connect(self.smtp_password.setEnabled)
        self.outgoing.form.addRow(self.separate_password, self.smtp_password)

        # -- trust -----------------------------------------------------------------------
        trust = QGroupBox(self.tr("Certificates (optional)"), self)
        trust_form = QFormLayout(trust)
        self.ca_file = QLineEdit(trust)
        self.ca_file.setPlaceholderText(self.tr("the system's trusted authorities"))
        self.ca_file.setAccessibleName(self.tr("Extra trusted certificate file"))
        browse = QPushButton(self.tr("&Browse…"), trust)
        browse.setAccessibleName(self.tr("Choose certificate file"))
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        self.fingerprint = QLineEdit(trust)
        self.fingerprint.setPlaceholderText(self.tr("SHA-256 of the server certificate"))
        self.fingerprint.setAccessibleName(self.tr("Pinned certificate fingerprint"))
        ca_label = QLabel(self.tr("&CA file:"), trust)
        ca_label.setBuddy(self.ca_file)
        trust_form.addRow(ca_label, ca_row)
        trust_form.addRow(self.tr("Pinned &fingerprint:"), self.fingerprint)

        # -- check results ---------------------------------------------------------------
        self.results = QListWidget(self)
        self.results.setObjectName("checkResults")
        self.results.setAccessibleName(self.tr("Test results"))
        self.results.setMinimumHeight(110)
        self.results.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setObjectName("accountDialogStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAccessibleName(self.tr("Status"))
        self._set_status(
            self.tr("Test logs in to both servers without saving anything; Save keeps the account.")
        )

        self.credentials_note = QLabel(self)
        self.credentials_note.setObjectName("credentialsNote")
        self.credentials_note.setWordWrap(True)
        warning = getattr(engine, "credentials_warning", None)
        self.credentials_note.setText(warning if isinstance(warning, str) else "")
        self.credentials_note.setVisible(isinstance(warning, str) and bool(warning))
        self.credentials_note.setAccessibleName(self.tr("Where passwords are kept"))

        buttons = QDialogButtonBox(self)
        self.test_button = buttons.addButton(
            self.tr("&Test"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.test_button.setObjectName("testButton")
        self.test_button.setAccessibleName(self.tr("Test the settings"))
        self.save_button = buttons.addButton(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.save_button.setAccessibleName(self.tr("Save the account"))
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAccessibleName(self.tr("Cancel"))
        self.test_button.clicked.connect(self._test_clicked)
        self.save_button.clicked.connect(self._save_clicked)
        self.cancel_button.clicked.connect(self.close)
        self.save_button.setDefault(True)

        servers = QHBoxLayout()
        servers.addWidget(self.incoming)
        servers.addWidget(self.outgoing)
        layout = QVBoxLayout(self)
        layout.addWidget(identity)
        layout.addLayout(servers)
        layout.addWidget(trust)
        layout.addWidget(QLabel(self.tr("Test results:"), self))
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.credentials_note)
        layout.addWidget(buttons)
        self.email.editingFinished.connect(self._email_entered)
        self.resize(760, 640)

    # -- reading the form ----------------------------------------------------------------

    def _protocol_changed(self) -> None:
        proto = self.protocol.currentData()
        self.incoming.set_kind(str(proto.value if isinstance(proto, IncomingProtocol) else proto))

    def _email_entered(self) -> None:
        # Guess the usual host names once, without overwriting anything typed.
        email = self.email.text().strip()
        if "@" not in email:
            return
        domain = email.rpartition("@")[2]
        if domain and not self.incoming.host.text():
            prefix = "imap" if self.protocol.currentData() == IncomingProtocol.IMAP else "pop"
            self.incoming.host.setText(f"{prefix}.{domain}")
        if domain and not self.outgoing.host.text():
            self.outgoing.host.setText(f"smtp.{domain}")

    def account_from_fields(self) -> Account:
        """The Account the fields describe; ConfigError (and focus on the field) when unusable."""
        email = self.email.text().strip()
        local, at, domain = email.rpartition("@")
        if not at or not local or not domain or " " in email:
            self.email.setFocus()
            raise ConfigError(self.tr("Enter an email address like ada@example.org."))
        incoming = self.incoming.settings(email, self.tr("incoming"))
        outgoing = self.outgoing.settings(incoming.user, self.tr("outgoing"))
        ca_file = self.ca_file.text().strip() or None
        if ca_file:
            path = Path(ca_file).expanduser()
            if not path.is_file():
                self.ca_file.setFocus()
                raise ConfigError(
                    self.tr("The certificate file %1 does not exist.").replace("%1", ca_file)
                )
            ca_file = str(path.resolve())  # the account keeps an absolute path
        proto = self.protocol.currentData()
        return Account(
            name=self.account_name.text().strip() or email,
            email=email,
            display_name=self.display_name.text().strip(),
            incoming_protocol=IncomingProtocol(proto),
            incoming=incoming,
            outgoing=outgoing,
            trust=TlsTrust(ca_file=ca_file, fingerprint=self.fingerprint.text().strip() or None),
            separate_smtp_password=self.separate_password.isChecked(),
        )

    def _passwords(self) -> tuple[str, str | None]:
        password = self.password.text()
        if not password:
            self.password.setFocus()
            raise ConfigError(self.tr("Enter the password."))
        smtp = self.smtp_password.text() if self.separate_password.isChecked() else None
        if self.separate_password.isChecked() and not smtp:
            self.smtp_password.setFocus()
            raise ConfigError(self.tr("Enter the outgoing server's password."))
        return password, smtp

    def _browse_ca(self) -> None:
        dialog = QFileDialog(self, self.tr("Choose a certificate file"))
        dialog.setNameFilters(
            [self.tr("Certificates (*.pem *.crt *.cer)"), self.tr("All files (*)")]
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.ca_file.setText)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._ca_dialog = dialog
        dialog.open()

    # -- running -------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def _set_status(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setAccessibleDescription(text)
        self.status.setProperty("problem", problem)

    def _start(self, coro_factory: str) -> None:
        try:
            account = self.account_from_fields()
            password, smtp_password = self._passwords()
        except ConfigError as exc:
            self._set_status(str(exc), problem=True)
            return
        if coro_factory == "test":
            coro = self._run_test(account, password, smtp_password)
        else:
            coro = self._run_save(account, password, smtp_password)
        self._task = asyncio.get_running_loop().create_task(coro)
        self._task.add_done_callback(self._task_finished)
        self._set_busy(True, testing=coro_factory == "test")

    def _test_clicked(self) -> None:
        if self.busy:
            assert self._task is not None
            self._task.cancel()
            return
        self._start("test")

    def _save_clicked(self) -> None:
        if self.busy:
            return
        self._start("save")

    def _set_busy(self, busy: bool, *, testing: bool = False) -> None:
        self.save_button.setEnabled(not busy)
        if busy and testing:
            self.test_button.setText(self.tr("S&top Test"))
            self.test_button.setAccessibleName(self.tr("Stop the test"))
        else:
            self.test_button.setText(self.tr("&Test"))
            self.test_button.setAccessibleName(self.tr("Test the settings"))
            self.test_button.setEnabled(not busy)

    def _task_finished(self, task: asyncio.Task[None]) -> None:
        self._set_busy(False)
        if task.cancelled():
            self._set_status(self.tr("Test stopped."))
            return
        exc = task.exception()
        if exc is None:
            if self._saved is not None:
                # Closing here, not inside the task: closing cancels a running task.
                self.account_added.emit(self._saved)
                self.close()
            return
        if isinstance(exc, MailAppError):
            self._set_status(str(exc), problem=True)
        else:
            # A defect, not a setting: let the window's error hook log and show it.
            self._set_status(self.tr("The test failed unexpectedly."), problem=True)
            loop = task.get_loop()
            loop.call_exception_handler(
                {"message": "Account dialog task failed", "exception": exc, "task": task}
            )

    async def _run_test(self, account: Account, password: str, smtp_password: str | None) -> None:
        self.results.clear()
        self._set_status(self.tr("Testing…"))
        report = await self._engine.test_settings(
            account, password, smtp_password, progress=self.add_step
        )
        self.show_report(report)

    async def _run_save(self, account: Account, password: str, smtp_password: str | None) -> None:
        self._set_status(self.tr("Saving…"))
        await self._engine.add_account(account, password, smtp_password)
        self._set_status(self.tr("Account saved."))
        self._saved = account.name

    # -- showing results -----------------------------------------------------------------

    def _step_text(self, step: CheckStep) -> str:
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
        if step.detail:
            text += f" — {step.detail}"
        return text

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
        item = QListWidgetItem(icon, self._step_text(step))
        tip = [step.server] if step.server else []
        if step.hint:
            tip.append(step.hint)
        if step.fingerprint:
            tip.append(self.tr("Certificate SHA-256: %1").replace("%1", step.fingerprint))
        item.setToolTip("\n".join(tip))
        item.setData(Qt.ItemDataRole.AccessibleTextRole, item.text())
        self.results.addItem(item)
        self.results.scrollToItem(item)

    def show_report(self, report: CheckReport) -> None:
        self.results.clear()
        for step in report.steps:
            self.add_step(step)
        if report.ok:
            self._set_status(self.tr("All checks passed. You can save the account."))
            return
        lines = [self.tr("Some checks failed.")]
        for step in report.failures:
            if step.hint:
                lines.append(step.hint)
            if step.fingerprint and step.stage is CheckStage.CERTIFICATE:
                lines.append(
                    self.tr(
                        "The server's certificate has the SHA-256 fingerprint %1. If your "
                        "provider confirms it, enter it as the pinned fingerprint."
                    ).replace("%1", step.fingerprint)
                )
        self._set_status(" ".join(lines), problem=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._task is not None and not self._task.done():
            # The widget may be gone when the cancellation lands: nothing must touch it then.
            self._task.remove_done_callback(self._task_finished)
            self._task.cancel()
        self.password.clear()
        self.smtp_password.clear()
        super().closeEvent(event)
