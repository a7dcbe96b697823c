"""The account wizard: who you are, discovery step by step, the settings with a live test, save.

Pages: 1 name, address, password (or "Set up manually", which skips discovery); 2 discovery,
each step listed as it runs (Stop and Cancel end it); 3 the settings found, all editable,
with Test (each login step shown live, plain words for a wrong password, an untrusted
certificate with its fingerprint and a button to trust it for this account, a timeout);
4 a summary and Save, which stores the password in the keyring.

Non-modal, opened with show(); every engine call is an asyncio task on the qasync loop, so
the window never freezes and never runs a nested event loop. Tests pass a DiscoveryConfig
(loopback DNS, CA file, ports) to the constructor. Imports: Qt, core, engine.api, ui modules.
"""

from __future__ import annotations

import asyncio
from enum import IntEnum
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from mailapp.core.checks import CheckReport
from mailapp.core.errors import ConfigError, MailAppError
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.engine.api import (
    DiscoveryConfig,
    DiscoveryResult,
    Engine,
    FoundServer,
)
from mailapp.ui.background_task import BackgroundTask, failure
from mailapp.ui.check_results import CheckResults
from mailapp.ui.discovery_view import DiscoveryView
from mailapp.ui.icons import app_icon
from mailapp.ui.server_fields import ServerBox, TrustBox


class PageId(IntEnum):
    IDENTITY = 0
    DISCOVERY = 1
    SERVERS = 2
    SUMMARY = 3


def _looks_like_address(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and not any(c.isspace() for c in text))


def _security_words(security: Security) -> str:
    return "SSL/TLS" if security is Security.SSL else "STARTTLS"


def _problem_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


# --- page 1 -----------------------------------------------------------------------------------


class IdentityPage(QWizardPage):
    def __init__(self, wizard: AccountWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.manual = False
        self.setTitle(self.tr("Your mail account"))
        self.setSubTitle(
            self.tr(
                "mailapp looks up your provider's server settings from your address. "
                "Nothing is saved until you press Save on the last page."
            )
        )
        self.display_name = QLineEdit(self)
        self.display_name.setPlaceholderText(self.tr("Ada Lovelace"))
        self.display_name.setAccessibleName(self.tr("Your name"))
        self.email = QLineEdit(self)
        self.email.setPlaceholderText(self.tr("ada@example.org"))
        self.email.setAccessibleName(self.tr("Email address"))
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.manual_button = QPushButton(self.tr("Set up &manually…"), self)
        self.manual_button.setObjectName("manualSetupButton")
        self.manual_button.setAccessibleName(self.tr("Set up manually, without looking up"))
        self.manual_button.setToolTip(
            self.tr("Skip the lookup and type the server settings yourself.")
        )
        self.manual_button.setAutoDefault(False)
        self.manual_button.clicked.connect(self.go_manual)
        self.problem = _problem_label(self, "identityProblem")
        self.problem.setAccessibleName(self.tr("Problem"))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("&Your name:"), self.display_name)
        form.addRow(self.tr("&Email address:"), self.email)
        form.addRow(self.tr("&Password:"), self.password)
        hint = QLabel(
            self.tr("Your name is shown to the people you write to."),
            self,
        )
        hint.setWordWrap(True)
        hint.setEnabled(False)  # a quieter colour, still read by screen readers
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addStretch(1)
        layout.addWidget(self.problem)
        layout.addWidget(self.manual_button, 0, Qt.AlignmentFlag.AlignLeft)

    def go_manual(self) -> None:
        # The flag holds only while QWizard.next() asks nextId(): Next itself means lookup.
        self.manual = True
        try:
            self._wizard.next()
        finally:
            self.manual = False

    def nextId(self) -> int:
        return PageId.SERVERS if self.manual else PageId.DISCOVERY

    def validatePage(self) -> bool:
        email = self.email.text().strip()
        if not _looks_like_address(email):
            self.problem.setText(self.tr("Enter your email address, like ada@example.org."))
            self.email.setFocus()
            return False
        if not self.password.text():
            self.problem.setText(self.tr("Enter your password."))
            self.password.setFocus()
            return False
        self.problem.clear()
        return True


# --- page 2 -----------------------------------------------------------------------------------


class DiscoveryPage(QWizardPage):
    def __init__(self, wizard: AccountWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle(self.tr("Looking up your server settings"))
        self.view = DiscoveryView(self)
        self.status = _problem_label(self, "discoveryStatus")
        self.status.setAccessibleName(self.tr("Lookup status"))
        self.stop_button = QPushButton(self.tr("&Stop Looking"), self)
        self.stop_button.setObjectName("stopDiscoveryButton")
        self.stop_button.setAccessibleName(self.tr("Stop looking up the settings"))
        self.stop_button.setAutoDefault(False)
        self.stop_button.clicked.connect(self.stop)
        self.task = BackgroundTask("Account discovery")
        self.result: DiscoveryResult | None = None
        self.searched: str = ""  # the address of the last finished lookup
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

    @property
    def busy(self) -> bool:
        return self.task.busy

    def initializePage(self) -> None:
        email = self._wizard.identity.email.text().strip()
        self.setSubTitle(
            self.tr("Each place mailapp asks, for %1, and what it answered.").replace("%1", email)
        )
        self.view.steps_model.reset_steps()
        self.result = None
        self.searched = ""
        self.status.setText(self.tr("Looking up the settings for %1…").replace("%1", email))
        self.stop_button.show()
        self.task.start(
            self._wizard.engine.discover_settings(
                email, progress=self.view.report, config=self._wizard.discovery_config
            ),
            self._finished,
        )
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        # Back to page 1: a lookup for an address being edited is of no use.
        self.task.cancel()

    def stop(self) -> None:
        self.task.cancel()

    def isComplete(self) -> bool:
        return not self.task.busy

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.stop_button.hide()
        exc = failure(task)
        if task.cancelled():
            self.status.setText(self.tr("Stopped. Enter the server settings on the next page."))
        elif exc is not None:
            text = str(exc) if isinstance(exc, MailAppError) else self.tr("The lookup failed.")
            self.status.setText(
                text + " " + self.tr("You can enter the server settings on the next page.")
            )
        else:
            result = task.result()
            assert isinstance(result, DiscoveryResult)
            self.result = result
            self.searched = result.email
            self.status.setText(self._summary(result))
        self.completeChanged.emit()
        next_button = self._wizard.button(QWizard.WizardButton.NextButton)
        if next_button is not None and self._wizard.currentPage() is self:
            next_button.setFocus()

    def _summary(self, result: DiscoveryResult) -> str:
        titles = self.view.steps_model.titles()
        if result.found:
            assert result.best_incoming is not None
            source = titles.get(result.best_incoming.source, str(result.best_incoming.source))
            provider = f" ({result.provider_name})" if result.provider_name else ""
            return (
                self.tr("Settings found%1 by: %2. Next shows them; every field can be changed.")
                .replace("%1", provider)
                .replace("%2", source)
            )
        if result.incoming:
            return self.tr(
                "Only the incoming server was found. Enter the outgoing server on the next page."
            )
        if result.outgoing:
            return self.tr(
                "Only the outgoing server was found. Enter the incoming server on the next page."
            )
        return self.tr("No settings were found. Enter them on the next page.")


# --- page 3 -----------------------------------------------------------------------------------


class ServerPage(QWizardPage):
    def __init__(self, wizard: AccountWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle(self.tr("Server settings"))
        self.setSubTitle(
            self.tr("Check or change the settings. Test logs in to both servers and saves nothing.")
        )
        self._filled_from: DiscoveryResult | None = None
        self._found_incoming: tuple[FoundServer, ...] = ()
        self._found_outgoing: tuple[FoundServer, ...] = ()

        # -- incoming ------------------------------------------------------------------------
        self.incoming = ServerBox(self.tr("Incoming mail"), "imap", self)
        self.incoming.setObjectName("incomingBox")
        self.incoming_choice = QComboBox(self.incoming)
        self.incoming_choice.setAccessibleName(self.tr("Incoming server suggestions"))
        self.incoming_choice.activated.connect(self._incoming_chosen)
        self.incoming.form.addRow(self.tr("Found:"), self.incoming_choice)
        self.protocol = QComboBox(self.incoming)
        self.protocol.addItem(self.tr("IMAP"), IncomingProtocol.IMAP)
        self.protocol.addItem(self.tr("POP3"), IncomingProtocol.POP3)
        self.protocol.setAccessibleName(self.tr("Incoming protocol"))
        self.protocol.currentIndexChanged.connect(self._protocol_changed)
        self.incoming.form.addRow(self.tr("&Protocol:"), self.protocol)
        self.incoming.add_rows(
            self.tr("Incoming"),
            (self.tr("Se&rver:"), self.tr("P&ort:"), self.tr("Securit&y:"), self.tr("&Username:")),
        )
        self.incoming.add_note_row()

        # -- outgoing ------------------------------------------------------------------------
        self.outgoing = ServerBox(self.tr("Outgoing mail (SMTP)"), "smtp", self)
        self.outgoing.setObjectName("outgoingBox")
        self.outgoing_choice = QComboBox(self.outgoing)
        self.outgoing_choice.setAccessibleName(self.tr("Outgoing server suggestions"))
        self.outgoing_choice.activated.connect(self._outgoing_chosen)
        self.outgoing.form.addRow(self.tr("Found:"), self.outgoing_choice)
        self.outgoing.add_rows(
            self.tr("Outgoing"),
            (self.tr("Ser&ver:"), self.tr("Port:"), self.tr("Security:"), self.tr("Username:")),
        )
        self.outgoing.user.setPlaceholderText(self.tr("same as incoming"))
        self.separate_password = QCheckBox(self.tr("Use a &different SMTP password"), self)
        self.separate_password.setAccessibleName(self.tr("Outgoing server has its own password"))
        self.smtp_password = QLineEdit(self.outgoing)
        self.smtp_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.smtp_password.setAccessibleName(self.tr("Outgoing password"))
        self.smtp_password.setPlaceholderText(self.tr("SMTP password"))
        self.smtp_password.setEnabled(False)
        self.separate_password.toggled.connect(self.smtp_password.setEnabled)
        self.outgoing.form.addRow(self.separate_password)
        self.outgoing.form.addRow(self.tr("SMTP pass&word:"), self.smtp_password)
        self.outgoing.add_note_row()
        self.incoming.form.setRowVisible(self.incoming_choice, False)
        self.outgoing.form.setRowVisible(self.outgoing_choice, False)

        # -- trust and test ------------------------------------------------------------------
        self.trust = TrustBox(self)
        self.trust.browse.setText(self.tr("Brows&e…"))  # Alt+B is the wizard's Back
        # Rarely needed by hand (the certificate panel pins a fingerprint): folded away
        # unless it holds something.
        self.trust_toggle = QToolButton(self)
        self.trust_toggle.setText(self.tr("Certificate settings"))
        self.trust_toggle.setAccessibleName(self.tr("Show the certificate settings"))
        self.trust_toggle.setCheckable(True)
        self.trust_toggle.setAutoRaise(True)
        self.trust_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.trust_toggle.toggled.connect(self._show_trust)
        self.trust.fingerprint.textChanged.connect(self._trust_changed)
        self.trust.ca_file.textChanged.connect(self._trust_changed)
        self._show_trust(False)
        self.test_button = QPushButton(self.tr("&Test"), self)
        self.test_button.setObjectName("testButton")
        self.test_button.setAccessibleName(self.tr("Test the settings"))
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self._test_clicked)
        self.results = CheckResults(self)
        self.results.trust_button.setText(self.tr("Trust This Certificate for This &Account"))
        self.results.trust_requested.connect(self.trust_certificate)
        self.results.set_status(self.tr("Test logs in to both servers without saving anything."))
        self.test_task = BackgroundTask("Account test")
        self.last_report: CheckReport | None = None
        self.tested: Account | None = None

        servers = QHBoxLayout()
        servers.addWidget(self.incoming, 1)
        servers.addWidget(self.outgoing, 1)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        test_row.addWidget(self.trust_toggle)
        layout = QVBoxLayout(self)
        layout.addLayout(servers)
        layout.addWidget(self.trust)
        layout.addLayout(test_row)
        layout.addWidget(self.results, 1)
        # Tab goes down the page as it reads (the widgets were made in another order).
        chain: tuple[QWidget, ...] = (
            self.incoming_choice,
            self.protocol,
            *(self.incoming.host, self.incoming.port, self.incoming.security, self.incoming.user),
            self.outgoing_choice,
            *(self.outgoing.host, self.outgoing.port, self.outgoing.security, self.outgoing.user),
            self.separate_password,
            self.smtp_password,
            *(self.trust.ca_file, self.trust.browse, self.trust.fingerprint),
            self.test_button,
            self.trust_toggle,
        )
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _show_trust(self, shown: bool) -> None:
        self.trust.setVisible(shown)
        self.trust_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _trust_changed(self) -> None:
        if self.trust.fingerprint.text() or self.trust.ca_file.text():
            self.trust_toggle.setChecked(True)

    # -- filling ---------------------------------------------------------------------------

    def initializePage(self) -> None:
        email = self._wizard.identity.email.text().strip()
        self.incoming.user.setPlaceholderText(email or self.tr("same as the email address"))
        result = self._wizard.discovery.result if self._wizard.came_through_discovery else None
        if result is not None and result is not self._filled_from:
            self.fill_from(result)
        self.completeChanged.emit()

    def fill_from(self, result: DiscoveryResult) -> None:
        """Put the best suggestions into the fields; the others stay one choice away."""
        self._filled_from = result
        self._found_incoming = result.incoming
        self._found_outgoing = result.outgoing
        for combo, found, box in (
            (self.incoming_choice, result.incoming, self.incoming),
            (self.outgoing_choice, result.outgoing, self.outgoing),
        ):
            combo.clear()
            for server in found:
                combo.addItem(self._describe(server))
            box.form.setRowVisible(combo, len(found) > 1)
        if result.incoming:
            self._use_incoming(result.incoming[0])
        else:
            self.incoming.set_note(self.tr("Not found: enter the incoming server."))
        if result.outgoing:
            self._use_outgoing(result.outgoing[0])
        else:
            self.outgoing.set_note(self.tr("Not found: enter the outgoing server."))

    def _describe(self, server: FoundServer) -> str:
        s = server.settings
        return f"{server.kind.value.upper()} {s.host}:{s.port} {_security_words(s.security)}"

    def _note(self, server: FoundServer) -> str:
        titles = self._wizard.discovery.view.steps_model.titles()
        parts = [self.tr("Found by: %1.").replace("%1", titles.get(server.source, server.source))]
        if server.note:
            parts.append(server.note)
        if server.certificate_trusted is False:
            parts.append(self.tr("Its certificate is not trusted; Test shows its fingerprint."))
        if not server.candidate.password_auth:
            parts.append(
                self.tr("This server lists %1 sign-in; mailapp signs in with a password.").replace(
                    "%1", ", ".join(server.candidate.authentication)
                )
            )
        return " ".join(parts)

    def _use_incoming(self, server: FoundServer) -> None:
        protocol = server.kind.incoming_protocol or IncomingProtocol.IMAP
        self.protocol.setCurrentIndex(max(self.protocol.findData(protocol), 0))
        self.incoming.set_settings(server.settings)
        self.incoming.set_note(self._note(server))

    def _use_outgoing(self, server: FoundServer) -> None:
        self.outgoing.set_settings(server.settings)
        self.outgoing.set_note(self._note(server))

    def _incoming_chosen(self, index: int) -> None:
        if 0 <= index < len(self._found_incoming):
            self._use_incoming(self._found_incoming[index])

    def _outgoing_chosen(self, index: int) -> None:
        if 0 <= index < len(self._found_outgoing):
            self._use_outgoing(self._found_outgoing[index])

    def _protocol_changed(self) -> None:
        proto = self.protocol.currentData()
        self.incoming.set_kind(str(proto.value if isinstance(proto, IncomingProtocol) else proto))

    # -- reading ---------------------------------------------------------------------------

    def account_from_fields(self, name: str | None = None) -> Account:
        """The Account the fields describe; ConfigError (focus on the field) when unusable."""
        identity = self._wizard.identity
        email = identity.email.text().strip()
        incoming = self.incoming.settings(email, self.tr("incoming"))
        outgoing = self.outgoing.settings(incoming.user, self.tr("outgoing"))
        proto = self.protocol.currentData()
        return Account(
            name=(name or "").strip() or email,
            email=email,
            display_name=identity.display_name.text().strip(),
            incoming_protocol=IncomingProtocol(proto),
            incoming=incoming,
            outgoing=outgoing,
            trust=self.trust.trust(),
            separate_smtp_password=self.separate_password.isChecked(),
        )

    def passwords(self) -> tuple[str, str | None]:
        password = self._wizard.identity.password.text()
        if not password:
            raise ConfigError(self.tr("Enter the password on the first page."))
        if not self.separate_password.isChecked():
            return password, None
        smtp = self.smtp_password.text()
        if not smtp:
            self.smtp_password.setFocus()
            raise ConfigError(self.tr("Enter the outgoing server's password."))
        return password, smtp

    def isComplete(self) -> bool:
        return not self.test_task.busy

    def validatePage(self) -> bool:
        try:
            self.account_from_fields()
            self.passwords()
        except ConfigError as exc:
            self.results.set_status(str(exc), problem=True)
            return False
        return True

    def cleanupPage(self) -> None:
        self.test_task.cancel()

    # -- testing ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.test_task.busy

    def _test_clicked(self) -> None:
        if self.test_task.busy:
            self.test_task.cancel()
            return
        self.run_test()

    def trust_certificate(self, fingerprint: str) -> None:
        """Pin the fingerprint for this account only, then test again."""
        self.trust.fingerprint.setText(fingerprint)
        self.run_test()

    def run_test(self) -> None:
        try:
            account = self.account_from_fields()
            password, smtp_password = self.passwords()
        except ConfigError as exc:
            self.results.set_status(str(exc), problem=True)
            return
        self.results.clear()
        self.results.set_status(self.tr("Testing…"))
        self.last_report, self.tested = None, account
        self.test_task.start(
            self._wizard.engine.test_settings(
                account, password, smtp_password, progress=self.results.add_step
            ),
            self._test_finished,
        )
        self._set_testing(True)

    def _set_testing(self, testing: bool) -> None:
        if testing:
            self.test_button.setText(self.tr("S&top Test"))
            self.test_button.setAccessibleName(self.tr("Stop the test"))
        else:
            self.test_button.setText(self.tr("&Test"))
            self.test_button.setAccessibleName(self.tr("Test the settings"))
        self.completeChanged.emit()

    def _test_finished(self, task: asyncio.Task[Any]) -> None:
        self._set_testing(False)
        exc = failure(task)
        if task.cancelled():
            self.tested = None
            self.results.set_status(self.tr("Test stopped."))
        elif exc is not None:
            self.tested = None
            text = str(exc) if isinstance(exc, MailAppError) else self.tr("The test failed.")
            self.results.set_status(text, problem=True)
        else:
            report = task.result()
            assert isinstance(report, CheckReport)
            self.last_report = report
            pinned = self.tested.trust.fingerprint if self.tested is not None else None
            self.results.show_report(report, pinned=pinned)
            if report.ok:
                self.results.set_status(
                    self.tr("Both servers accepted the login. Next to save the account.")
                )
        self.test_button.setFocus()

    def test_state(self, account: Account) -> CheckReport | None:
        """The last finished test, if it tested exactly these server settings."""
        tested = self.tested
        if self.last_report is None or tested is None:
            return None
        same = (
            tested.incoming == account.incoming
            and tested.outgoing == account.outgoing
            and tested.incoming_protocol == account.incoming_protocol
            and tested.trust == account.trust
        )
        return self.last_report if same else None


# --- page 4 -----------------------------------------------------------------------------------


class SummaryPage(QWizardPage):
    def __init__(self, wizard: AccountWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle(self.tr("Ready to save"))
        self.setSubTitle(self.tr("Check the summary, name the account and press Save."))
        self.account_name = QLineEdit(self)
        self.account_name.setAccessibleName(self.tr("Account name"))
        self.account_name.setPlaceholderText(self.tr("same as the email address"))
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Account na&me:"), self.account_name)
        for key, label in (
            ("identity", self.tr("You:")),
            ("incoming", self.tr("Incoming:")),
            ("outgoing", self.tr("Outgoing:")),
            ("certificate", self.tr("Certificates:")),
            ("test", self.tr("Test:")),
            ("passwords", self.tr("Passwords:")),
        ):
            value = QLabel(self)
            value.setObjectName(f"summary_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(label.rstrip(":"))
            self.values[key] = value
            form.addRow(label, value)
        self.warning = _problem_label(self, "credentialsWarning")
        self.warning.setAccessibleName(self.tr("Where passwords are kept"))
        self.status = _problem_label(self, "saveStatus")
        self.status.setAccessibleName(self.tr("Save status"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addStretch(1)
        layout.addWidget(self.status)

    def initializePage(self) -> None:
        w = self._wizard
        if not self.account_name.text().strip():
            self.account_name.setText(w.identity.email.text().strip())
        try:
            account = w.servers.account_from_fields()
        except ConfigError:
            return  # validatePage of page 3 prevents this
        self.values["identity"].setText(
            f"{account.display_name} <{account.email}>" if account.display_name else account.email
        )
        self.values["incoming"].setText(
            self._server_line(account.incoming_protocol.value.upper(), account.incoming)
        )
        self.values["outgoing"].setText(
            self._server_line("SMTP", account.outgoing)
            + (self.tr(", its own password") if account.separate_smtp_password else "")
        )
        trust = []
        if account.trust.fingerprint:
            trust.append(
                self.tr("trusted for this account only: SHA-256 %1").replace(
                    "%1", account.trust.fingerprint
                )
            )
        if account.trust.ca_file:
            trust.append(self.tr("CA file %1").replace("%1", account.trust.ca_file))
        self.values["certificate"].setText(
            "; ".join(trust) or self.tr("checked against the system's authorities")
        )
        report = w.servers.test_state(account)
        if report is None:
            test = self.tr("not run for these settings. You can save now and test later.")
        elif report.ok:
            test = self.tr("passed: both servers accepted the login.")
        else:
            test = self.tr(
                "failed. You can save anyway and correct the settings later in Account Settings."
            )
        self.values["test"].setText(test)
        warning = w.engine.credentials_warning
        if warning:
            self.values["passwords"].setText(self.tr("kept for this session only"))
            self.warning.setText(warning)
            self.warning.show()
        else:
            self.values["passwords"].setText(
                self.tr("kept in %1").replace("%1", w.engine.credentials_description)
            )
            self.warning.hide()
        self.status.clear()

    def _server_line(self, kind: str, s: ServerSettings) -> str:
        return (
            self.tr("%1 %2:%3, %4, user %5")
            .replace("%1", kind)
            .replace("%2", s.host)
            .replace("%3", str(s.port))
            .replace("%4", _security_words(s.security))
            .replace("%5", s.user)
        )

    def nextId(self) -> int:
        return -1


# --- the wizard -------------------------------------------------------------------------------


class AccountWizard(QWizard):
    """Emits `account_added(name)` after the engine saved the account, then closes."""

    account_added = Signal(str)

    def __init__(
        self,
        engine: Engine,
        parent: QWidget | None = None,
        *,
        discovery_config: DiscoveryConfig | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("accountWizard")
        self.setWindowTitle(self.tr("Add Account"))
        self.setAccessibleName(self.tr("Add account"))
        self.setWindowIcon(app_icon())
        self.setModal(False)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("&Save"))
        self.engine = engine
        self.discovery_config = discovery_config
        self.save_task = BackgroundTask("Saving the account")
        self._saved: str | None = None

        self.identity = IdentityPage(self)
        self.discovery = DiscoveryPage(self)
        self.servers = ServerPage(self)
        self.summary = SummaryPage(self)
        self.setPage(PageId.IDENTITY, self.identity)
        self.setPage(PageId.DISCOVERY, self.discovery)
        self.setPage(PageId.SERVERS, self.servers)
        self.setPage(PageId.SUMMARY, self.summary)
        self.setStartId(PageId.IDENTITY)
        for which, name in (
            (QWizard.WizardButton.BackButton, self.tr("Back")),
            (QWizard.WizardButton.NextButton, self.tr("Next")),
            (QWizard.WizardButton.FinishButton, self.tr("Save the account")),
            (QWizard.WizardButton.CancelButton, self.tr("Cancel")),
        ):
            button = self.button(which)
            if button is not None:
                button.setAccessibleName(name)
        self.resize(820, 680)

    # -- what tests and the window use -------------------------------------------------------

    @property
    def incoming(self) -> ServerBox:
        return self.servers.incoming

    @property
    def outgoing(self) -> ServerBox:
        return self.servers.outgoing

    @property
    def came_through_discovery(self) -> bool:
        return PageId.DISCOVERY in self.visitedIds()

    @property
    def busy(self) -> bool:
        return self.discovery.busy or self.servers.busy or self.save_task.busy

    # -- saving ------------------------------------------------------------------------------

    def accept(self) -> None:
        """Finish (Save): store the account and its password, then close."""
        if self._saved is not None:
            super().accept()
            return
        if self.save_task.busy:
            return
        try:
            account = self.servers.account_from_fields(self.summary.account_name.text())
            password, smtp_password = self.servers.passwords()
        except ConfigError as exc:
            self.summary.status.setText(str(exc))
            return
        self.summary.status.setText(self.tr("Saving…"))
        self._enable_buttons(False)
        self.save_task.start(
            self.engine.add_account(account, password, smtp_password), self._save_finished
        )

    def _enable_buttons(self, enabled: bool) -> None:
        # Cancel too: a save cut short may have stored the account without the window knowing.
        for which in (
            QWizard.WizardButton.FinishButton,
            QWizard.WizardButton.BackButton,
            QWizard.WizardButton.CancelButton,
        ):
            button = self.button(which)
            if button is not None:
                button.setEnabled(enabled)

    def _save_finished(self, task: asyncio.Task[Any]) -> None:
        self._enable_buttons(True)
        exc = failure(task)
        if task.cancelled():
            self.summary.status.setText(self.tr("Not saved."))
            return
        if exc is not None:
            text = str(exc) if isinstance(exc, MailAppError) else self.tr("Saving failed.")
            self.summary.status.setText(text)
            if isinstance(exc, ConfigError):
                self.summary.account_name.setFocus()
            return
        saved = task.result()
        assert isinstance(saved, Account)
        self._saved = saved.name
        self.account_added.emit(saved.name)
        # Closing here, not inside the task: closing cancels running tasks.
        self.accept()

    def done(self, result: int) -> None:
        # Close, Cancel and Save all end here: stop what runs and forget the passwords.
        for task in (self.discovery.task, self.servers.test_task, self.save_task):
            task.detach()
        self.identity.password.clear()
        self.servers.smtp_password.clear()
        super().done(result)
