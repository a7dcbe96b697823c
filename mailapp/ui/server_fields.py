"""The fields of one mail server (host, port, security, user name) and the trust fields.

Shared by the account wizard and the account settings. No plaintext choice is offered:
passwords never travel unencrypted. Imports: Qt, core.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from mailapp.core.errors import ConfigError
from mailapp.core.model import Security, ServerSettings, TlsTrust

DEFAULT_PORTS: dict[tuple[str, Security], int] = {
    ("imap", Security.SSL): 993,
    ("imap", Security.STARTTLS): 143,
    ("pop3", Security.SSL): 995,
    ("pop3", Security.STARTTLS): 110,
    ("smtp", Security.SSL): 465,
    ("smtp", Security.STARTTLS): 587,
}


class ServerBox(QGroupBox):
    """Host, port, security and user name of one server; the port follows the security
    (and the protocol) until the person types a port of their own."""

    def __init__(self, title: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.kind = kind  # "imap", "pop3" or "smtp"
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.host = QLineEdit(self)
        self.host.setPlaceholderText(self.tr("mail.example.org"))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.security = QComboBox(self)
        self.security.addItem(self.tr("SSL/TLS"), Security.SSL)
        self.security.addItem(self.tr("STARTTLS"), Security.STARTTLS)
        self.user = QLineEdit(self)
        self.user.setPlaceholderText(self.tr("same as the email address"))
        self.port.setValue(DEFAULT_PORTS[(kind, Security.SSL)])
        self.security.currentIndexChanged.connect(self._follow_defaults)
        # Where a suggestion came from, and what to double-check about it.
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setObjectName("serverNote")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()

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

    def add_note_row(self) -> None:
        self.form.addRow(self.note)

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self._follow_defaults()

    def _follow_defaults(self) -> None:
        # Only replace a port the person has not chosen: one of the well-known defaults.
        if self.port.value() in DEFAULT_PORTS.values():
            self.port.setValue(DEFAULT_PORTS[(self.kind, self.security_value())])

    def security_value(self) -> Security:
        value = self.security.currentData()
        return value if isinstance(value, Security) else Security(str(value))

    def set_settings(self, settings: ServerSettings) -> None:
        self.host.setText(settings.host)
        index = self.security.findData(settings.security)
        self.security.setCurrentIndex(max(index, 0))
        self.port.setValue(settings.port)  # after the security: its default must not win
        self.user.setText(settings.user)

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setAccessibleName(text)
        self.note.setVisible(bool(text))

    def settings(self, default_user: str, what: str) -> ServerSettings:
        """The settings typed; ConfigError (and focus on the field) when the host is unusable."""
        host = self.host.text().strip()
        if not host or any(c.isspace() for c in host):
            self.host.setFocus()
            raise ConfigError(self.tr("Enter the %1 server's name.").replace("%1", what))
        user = self.user.text().strip() or default_user
        return ServerSettings(host, self.port.value(), self.security_value(), user)


class TrustBox(QGroupBox):
    """Extra trust for one account: a CA file and/or a pinned certificate fingerprint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Certificates (optional)"), parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.ca_file = QLineEdit(self)
        self.ca_file.setPlaceholderText(self.tr("the system's trusted authorities"))
        self.ca_file.setAccessibleName(self.tr("Extra trusted certificate file"))
        self.browse = QPushButton(self.tr("&Browse…"), self)
        self.browse.setAccessibleName(self.tr("Choose certificate file"))
        self.browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.browse)
        self.fingerprint = QLineEdit(self)
        self.fingerprint.setPlaceholderText(self.tr("SHA-256 of the server certificate"))
        self.fingerprint.setAccessibleName(self.tr("Pinned certificate fingerprint"))
        ca_label = QLabel(self.tr("&CA file:"), self)
        ca_label.setBuddy(self.ca_file)
        fp_label = QLabel(self.tr("Pinned &fingerprint:"), self)
        fp_label.setBuddy(self.fingerprint)
        form.addRow(ca_label, ca_row)
        form.addRow(fp_label, self.fingerprint)
        self._dialog: QFileDialog | None = None

    def _browse_ca(self) -> None:
        # open(), never exec(): a nested event loop would stall the asyncio tasks.
        dialog = QFileDialog(self, self.tr("Choose a certificate file"))
        dialog.setNameFilters(
            [self.tr("Certificates (*.pem *.crt *.cer)"), self.tr("All files (*)")]
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.ca_file.setText)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialog = dialog
        dialog.open()

    def set_trust(self, trust: TlsTrust) -> None:
        self.ca_file.setText(trust.ca_file or "")
        self.fingerprint.setText(trust.fingerprint or "")

    def trust(self) -> TlsTrust:
        """The trust typed; ConfigError (and focus) for a CA file that does not exist."""
        ca_file = self.ca_file.text().strip() or None
        if ca_file:
            path = Path(ca_file).expanduser()
            if not path.is_file():
                self.ca_file.setFocus()
                raise ConfigError(
                    self.tr("The certificate file %1 does not exist.").replace("%1", ca_file)
                )
            ca_file = str(path.resolve())  # the account keeps an absolute path
        return TlsTrust(ca_file=ca_file, fingerprint=self.fingerprint.text().strip() or None)
