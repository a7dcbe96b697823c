"""Account Settings: edit or remove saved accounts and set each account's options.

A non-modal dialog: the accounts on the left; on the right the account's identity, its
servers (with the same live Test as the wizard; an empty password field keeps the saved
password), and its options (delivery reports, read receipts, remote content, where reports
are filed, how often to check, how long POP3 leaves mail on the server). Save and Remove
run as asyncio tasks; the removal is confirmed in a message box opened with open(), never
exec(). Emits `accounts_edited` after each change. Imports: Qt, core, engine.api, ui modules.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.checks import CheckReport
from mailapp.core.errors import ConfigError, MailAppError
from mailapp.core.model import Account, AccountOptions, IncomingProtocol, ReadReceiptPolicy
from mailapp.engine.api import Engine
from mailapp.ui.background_task import BackgroundTask, failure
from mailapp.ui.check_results import CheckResults
from mailapp.ui.server_fields import ServerBox, TrustBox

# pop3_keep choices: (label, days) where days None = forever, 0 = delete after download.
_KEEP_FOREVER, _KEEP_DELETE, _KEEP_DAYS = 0, 1, 2


class OptionsForm(QWidget):
    """The AccountOptions fields of one account."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.delivery_reports = QCheckBox(
            self.tr("Ask for &delivery reports on new messages"), self
        )
        self.read_receipts = QCheckBox(self.tr("Ask for &read receipts on new messages"), self)
        self.receipt_replies = QComboBox(self)
        self.receipt_replies.setAccessibleName(self.tr("When a sender asks for a read receipt"))
        for text, policy in (
            (self.tr("Ask me each time"), ReadReceiptPolicy.ASK),
            (self.tr("Never send one"), ReadReceiptPolicy.NEVER),
            (self.tr("Always send one"), ReadReceiptPolicy.ALWAYS),
        ):
            self.receipt_replies.addItem(text, policy)
        self.remote_content = QCheckBox(
            self.tr("&Load remote images and content in messages"), self
        )
        self.reports_folder = QLineEdit(self)
        self.reports_folder.setAccessibleName(self.tr("Folder for delivery reports"))
        self.reports_folder.setPlaceholderText(self.tr("Delivery Reports"))
        self.check_interval = QSpinBox(self)
        self.check_interval.setRange(1, 24 * 60)
        self.check_interval.setSuffix(self.tr(" min"))
        self.check_interval.setAccessibleName(self.tr("Check for new mail every, in minutes"))
        self.pop3_keep = QComboBox(self)
        self.pop3_keep.setAccessibleName(self.tr("Keep POP3 messages on the server"))
        self.pop3_keep.addItem(self.tr("Forever"), _KEEP_FOREVER)
        self.pop3_keep.addItem(self.tr("Delete after download"), _KEEP_DELETE)
        self.pop3_keep.addItem(self.tr("For a number of days"), _KEEP_DAYS)
        self.pop3_days = QSpinBox(self)
        self.pop3_days.setRange(1, 3650)
        self.pop3_days.setValue(14)
        self.pop3_days.setSuffix(self.tr(" days"))
        self.pop3_days.setAccessibleName(self.tr("Days to keep POP3 messages on the server"))
        self.pop3_keep.currentIndexChanged.connect(self._keep_changed)
        for box in (self.delivery_reports, self.read_receipts, self.remote_content):
            box.setAccessibleName(box.text().replace("&", ""))

        keep_row = QHBoxLayout()
        keep_row.addWidget(self.pop3_keep, 1)
        keep_row.addWidget(self.pop3_days)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.delivery_reports)
        form.addRow(self.tr("File delivery reports &in:"), self.reports_folder)
        form.addRow(self.read_receipts)
        form.addRow(self.tr("&When a sender asks for a read receipt:"), self.receipt_replies)
        form.addRow(self.remote_content)
        form.addRow(self.tr("Check for new mail &every:"), self.check_interval)
        self.pop3_label = QLabel(self.tr("&Keep POP3 mail on the server:"), self)
        self.pop3_label.setBuddy(self.pop3_keep)
        form.addRow(self.pop3_label, keep_row)
        self._allow_plaintext_loopback = False

    def _keep_changed(self) -> None:
        self.pop3_days.setEnabled(
            self.pop3_keep.isEnabled() and self.pop3_keep.currentData() == _KEEP_DAYS
        )

    def set_pop3(self, pop3: bool) -> None:
        self.pop3_label.setEnabled(pop3)
        self.pop3_keep.setEnabled(pop3)
        self._keep_changed()

    def set_options(self, options: AccountOptions) -> None:
        self.delivery_reports.setChecked(options.request_delivery_reports)
        self.read_receipts.setChecked(options.request_read_receipts)
        self.receipt_replies.setCurrentIndex(
            max(self.receipt_replies.findData(options.read_receipt_replies), 0)
        )
        self.remote_content.setChecked(options.load_remote_content)
        self.reports_folder.setText(options.reports_folder)
        self.check_interval.setValue(options.check_interval_minutes)
        keep = options.pop3_keep_days
        if keep is None:
            self.pop3_keep.setCurrentIndex(_KEEP_FOREVER)
        elif keep == 0:
            self.pop3_keep.setCurrentIndex(_KEEP_DELETE)
        else:
            self.pop3_keep.setCurrentIndex(_KEEP_DAYS)
            self.pop3_days.setValue(keep)
        self._keep_changed()
        self._allow_plaintext_loopback = options.allow_plaintext_loopback

    def options(self) -> AccountOptions:
        choice = self.pop3_keep.currentData()
        keep: int | None = None  # forever
        if choice == _KEEP_DELETE:
            keep = 0
        elif choice == _KEEP_DAYS:
            keep = self.pop3_days.value()
        policy = self.receipt_replies.currentData()
        return AccountOptions(
            request_delivery_reports=self.delivery_reports.isChecked(),
            request_read_receipts=self.read_receipts.isChecked(),
            read_receipt_replies=ReadReceiptPolicy(policy),
            load_remote_content=self.remote_content.isChecked(),
            reports_folder=self.reports_folder.text().strip() or "Delivery Reports",
            check_interval_minutes=self.check_interval.value(),
            pop3_keep_days=keep,
            allow_plaintext_loopback=self._allow_plaintext_loopback,
        )


class AccountsSettingsDialog(QDialog):
    accounts_edited = Signal()

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountSettings")
        self.setWindowTitle(self.tr("Account Settings"))
        self.setAccessibleName(self.tr("Account settings"))
        self.setModal(False)
        self.engine = engine
        self.accounts: list[Account] = []
        self.current: Account | None = None
        self.task = BackgroundTask("Account settings")
        self._confirm: QMessageBox | None = None
        self._tested: Account | None = None

        self.accounts_list = QListWidget(self)
        self.accounts_list.setObjectName("accountsList")
        self.accounts_list.setAccessibleName(self.tr("Accounts"))
        self.accounts_list.setMaximumWidth(240)
        self.accounts_list.currentItemChanged.connect(self._selected)

        # -- account tab -------------------------------------------------------------------
        account_tab = QWidget(self)
        self.account_name = QLineEdit(account_tab)
        self.account_name.setAccessibleName(self.tr("Account name"))
        self.display_name = QLineEdit(account_tab)
        self.display_name.setAccessibleName(self.tr("Your name"))
        self.email = QLineEdit(account_tab)
        self.email.setAccessibleName(self.tr("Email address"))
        self.password_source = QLabel(account_tab)
        self.password_source.setWordWrap(True)
        self.password_source.setObjectName("passwordSource")
        account_form = QFormLayout(account_tab)
        account_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        account_form.addRow(self.tr("Account na&me:"), self.account_name)
        account_form.addRow(self.tr("&Your name:"), self.display_name)
        account_form.addRow(self.tr("Email &address:"), self.email)
        account_form.addRow(self.tr("Passwords:"), self.password_source)

        # -- servers tab -------------------------------------------------------------------
        servers_tab = QWidget(self)
        self.incoming = ServerBox(self.tr("Incoming mail"), "imap", servers_tab)
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
        self.password = QLineEdit(self.incoming)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("New password"))
        self.password.setPlaceholderText(self.tr("unchanged"))
        self.incoming.form.addRow(self.tr("New pass&word:"), self.password)
        self.outgoing = ServerBox(self.tr("Outgoing mail (SMTP)"), "smtp", servers_tab)
        self.outgoing.add_rows(
            self.tr("Outgoing"),
            (self.tr("Ser&ver:"), self.tr("Port:"), self.tr("Security:"), self.tr("Username:")),
        )
        self.separate_password = QCheckBox(self.tr("Use a different SMTP password"), self)
        self.separate_password.setAccessibleName(self.tr("Outgoing server has its own password"))
        self.smtp_password = QLineEdit(self.outgoing)
        self.smtp_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.smtp_password.setAccessibleName(self.tr("New outgoing password"))
        self.smtp_password.setPlaceholderText(self.tr("unchanged"))
        self.separate_password.toggled.connect(self.smtp_password.setEnabled)
        self.outgoing.form.addRow(self.separate_password)
        self.outgoing.form.addRow(self.tr("SMTP password:"), self.smtp_password)
        self.trust = TrustBox(servers_tab)
        self.test_button = QPushButton(self.tr("&Test"), servers_tab)
        self.test_button.setObjectName("testButton")
        self.test_button.setAccessibleName(self.tr("Test the settings"))
        self.test_button.clicked.connect(self.run_test)
        self.results = CheckResults(servers_tab)
        self.results.trust_requested.connect(self._trust)
        servers = QHBoxLayout()
        servers.addWidget(self.incoming, 1)
        servers.addWidget(self.outgoing, 1)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        servers_layout = QVBoxLayout(servers_tab)
        servers_layout.addLayout(servers)
        servers_layout.addWidget(self.trust)
        servers_layout.addLayout(test_row)
        servers_layout.addWidget(self.results, 1)

        # -- options tab -------------------------------------------------------------------
        self.options = OptionsForm(self)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Account settings pages"))
        self.tabs.addTab(account_tab, self.tr("Account"))
        self.tabs.addTab(servers_tab, self.tr("Servers"))
        self.tabs.addTab(self.options, self.tr("Options"))

        self.status = QLabel(self)
        self.status.setObjectName("settingsStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        self.empty = QLabel(self.tr("No account yet. Use File › Add Account… first."), self)
        self.empty.setWordWrap(True)

        buttons = QDialogButtonBox(self)
        self.remove_button = buttons.addButton(
            self.tr("Remo&ve Account…"), QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.remove_button.setObjectName("removeAccountButton")
        self.remove_button.setAccessibleName(self.tr("Remove the account"))
        self.save_button = buttons.addButton(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.save_button.setAccessibleName(self.tr("Save the account settings"))
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setAccessibleName(self.tr("Close"))
        self.remove_button.clicked.connect(self.confirm_remove)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close)

        right = QVBoxLayout()
        right.addWidget(self.empty)
        right.addWidget(self.tabs, 1)
        right.addWidget(self.status)
        top = QHBoxLayout()
        top.addWidget(self.accounts_list)
        top.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(buttons)
        self.resize(960, 640)
        self.reload()

    # -- the list ----------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the accounts again and select `select` (else the current or the first)."""
        keep = select or (self.current.name if self.current is not None else None)
        try:
            self.accounts = self.engine.list_accounts()
        except MailAppError as exc:
            self.accounts = []
            self.set_status(str(exc), problem=True)
        self.accounts_list.blockSignals(True)
        self.accounts_list.clear()
        for account in self.accounts:
            item = QListWidgetItem(account.name)
            item.setToolTip(f"{account.display_name} <{account.email}>")
            self.accounts_list.addItem(item)
        self.accounts_list.blockSignals(False)
        names = [a.name for a in self.accounts]
        row = names.index(keep) if keep in names else (0 if names else -1)
        self.current = None
        if row >= 0:
            self.accounts_list.setCurrentRow(row)
            self._show(self.accounts[row])
        has = bool(self.accounts)
        self.tabs.setVisible(has)
        self.empty.setVisible(not has)
        for button in (self.remove_button, self.save_button):
            button.setEnabled(has and not self.task.busy)

    def select(self, name: str) -> None:
        for row, account in enumerate(self.accounts):
            if account.name == name:
                self.accounts_list.setCurrentRow(row)

    def _selected(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        row = self.accounts_list.row(item)
        if 0 <= row < len(self.accounts):
            self._show(self.accounts[row])

    def _show(self, account: Account) -> None:
        self.current = account
        self.account_name.setText(account.name)
        self.display_name.setText(account.display_name)
        self.email.setText(account.email)
        if account.password_command:
            source = self.tr("from the command %1").replace("%1", account.password_command)
        else:
            source = self.tr("kept in %1").replace("%1", self.engine.credentials_description)
        self.password_source.setText(source)
        self.protocol.setCurrentIndex(max(self.protocol.findData(account.incoming_protocol), 0))
        self.incoming.set_settings(account.incoming)
        self.outgoing.set_settings(account.outgoing)
        self.password.clear()
        self.smtp_password.clear()
        self.separate_password.setChecked(account.separate_smtp_password)
        self.smtp_password.setEnabled(account.separate_smtp_password)
        self.trust.set_trust(account.trust)
        self.options.set_options(account.options)
        self.options.set_pop3(account.incoming_protocol is IncomingProtocol.POP3)
        self.results.clear()
        self.results.set_status(
            self.tr("Test logs in to both servers with these settings; nothing is saved.")
        )
        self.set_status("")

    def _protocol_changed(self) -> None:
        proto = self.protocol.currentData()
        self.incoming.set_kind(str(proto.value if isinstance(proto, IncomingProtocol) else proto))
        self.options.set_pop3(proto == IncomingProtocol.POP3)

    def set_status(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(text)
        self.status.setAccessibleDescription(text)
        self.status.setProperty("problem", problem)

    # -- reading the form --------------------------------------------------------------------

    def account_from_fields(self) -> Account:
        assert self.current is not None
        email = self.email.text().strip()
        local, at, domain = email.rpartition("@")
        if not at or not local or not domain or " " in email:
            self.tabs.setCurrentIndex(0)
            self.email.setFocus()
            raise ConfigError(self.tr("Enter an email address like ada@example.org."))
        try:
            incoming = self.incoming.settings(email, self.tr("incoming"))
            outgoing = self.outgoing.settings(incoming.user, self.tr("outgoing"))
            trust = self.trust.trust()
        except ConfigError:
            self.tabs.setCurrentIndex(1)
            raise
        return replace(
            self.current,
            name=self.account_name.text().strip() or email,
            email=email,
            display_name=self.display_name.text().strip(),
            incoming_protocol=IncomingProtocol(self.protocol.currentData()),
            incoming=incoming,
            outgoing=outgoing,
            trust=trust,
            separate_smtp_password=self.separate_password.isChecked(),
            options=self.options.options(),
        )

    def _new_passwords(self) -> tuple[str | None, str | None]:
        password = self.password.text() or None
        smtp = self.smtp_password.text() if self.separate_password.isChecked() else ""
        return password, smtp or None

    # -- test --------------------------------------------------------------------------------

    def run_test(self) -> None:
        if self.task.busy or self.current is None:
            return
        try:
            account = self.account_from_fields()
        except ConfigError as exc:
            self.results.set_status(str(exc), problem=True)
            return
        password, smtp = self._new_passwords()
        saved = self.current
        unchanged = (
            account.incoming == saved.incoming
            and account.outgoing == saved.outgoing
            and account.incoming_protocol == saved.incoming_protocol
            and account.trust == saved.trust
            and account.separate_smtp_password == saved.separate_smtp_password
        )
        if password is None and smtp is None and unchanged:
            coro = self.engine.test_account(saved.name, progress=self.results.add_step)
        elif password is not None or account.password_command:
            if account.separate_smtp_password and smtp is None:
                self.results.set_status(
                    self.tr("Enter the SMTP password to test changed settings."), problem=True
                )
                return
            coro = self.engine.test_settings(
                account, password, smtp, progress=self.results.add_step
            )
        else:
            self.results.set_status(
                self.tr("Enter the password to test changed settings."), problem=True
            )
            self.password.setFocus()
            return
        self.results.clear()
        self.results.set_status(self.tr("Testing…"))
        self._tested = account
        self._set_busy(True)
        self.task.start(coro, self._test_finished)

    def _trust(self, fingerprint: str) -> None:
        self.trust.fingerprint.setText(fingerprint)
        self.set_status(self.tr("Certificate pinned; Save keeps it for this account."))
        self.run_test()

    def _test_finished(self, task: asyncio.Task[Any]) -> None:
        self._set_busy(False)
        exc = failure(task)
        if task.cancelled():
            self.results.set_status(self.tr("Test stopped."))
        elif exc is not None:
            text = str(exc) if isinstance(exc, MailAppError) else self.tr("The test failed.")
            self.results.set_status(text, problem=True)
        else:
            report = task.result()
            assert isinstance(report, CheckReport)
            pinned = self._tested.trust.fingerprint if self._tested is not None else None
            self.results.show_report(report, pinned=pinned)

    # -- save and remove ---------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.save_button, self.remove_button, self.test_button):
            widget.setEnabled(not busy)
        self.accounts_list.setEnabled(not busy)

    def save(self) -> None:
        if self.task.busy or self.current is None:
            return
        try:
            account = self.account_from_fields()
        except ConfigError as exc:
            self.set_status(str(exc), problem=True)
            return
        password, smtp = self._new_passwords()
        old_name = self.current.name
        self.set_status(self.tr("Saving…"))
        self._set_busy(True)
        self.task.start(
            self.engine.update_account(account, password, smtp, old_name=old_name),
            self._save_finished,
        )

    def _save_finished(self, task: asyncio.Task[Any]) -> None:
        self._set_busy(False)
        exc = failure(task)
        if task.cancelled():
            self.set_status(self.tr("Not saved."))
            return
        if exc is not None:
            text = str(exc) if isinstance(exc, MailAppError) else self.tr("Saving failed.")
            self.set_status(text, problem=True)
            return
        saved = task.result()
        assert isinstance(saved, Account)
        self.reload(select=saved.name)
        self.set_status(self.tr("Saved."))
        self.accounts_edited.emit()

    def confirm_remove(self) -> None:
        if self.task.busy or self.current is None:
            return
        name = self.current.name
        box = QMessageBox(self)
        box.setObjectName("confirmRemove")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Remove Account"))
        box.setText(self.tr("Remove the account “%1”?").replace("%1", name))
        box.setInformativeText(
            self.tr(
                "Its settings and saved passwords are deleted from this computer. "
                "Mail on the server is not touched."
            )
        )
        remove = box.addButton(self.tr("&Remove"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if box.clickedButton() is remove:
                self.remove(name)

        box.finished.connect(answered)
        self._confirm = box
        box.open()  # never exec(): a nested loop would stall the asyncio tasks

    def remove(self, name: str) -> None:
        """Remove the account (already confirmed)."""
        if self.task.busy:
            return
        self.set_status(self.tr("Removing %1…").replace("%1", name))
        self._set_busy(True)
        self.task.start(self.engine.remove_account(name), self._remove_finished)

    def _remove_finished(self, task: asyncio.Task[Any]) -> None:
        self._set_busy(False)
        exc = failure(task)
        if exc is not None:
            text = str(exc) if isinstance(exc, MailAppError) else self.tr("Removing failed.")
            self.set_status(text, problem=True)
            # The account may be gone even so (its password could not be deleted).
        self.current = None
        self.reload()
        if exc is None and not task.cancelled():
            self.set_status(self.tr("Account removed."))
        self.accounts_edited.emit()

    def done(self, result: int) -> None:
        self.task.detach()
        self.password.clear()
        self.smtp_password.clear()
        super().done(result)
