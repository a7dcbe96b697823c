"""A simple composer window: From, To, Cc, Bcc, Subject and a plain-text body.

It opens empty or filled from a `mailto:` link (core.mailto). Sending is not built yet: the
Send button stays disabled and says so, instead of pretending to work; the outbox issue wires
`send_requested`. Imports: Qt, core and ui.icons.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.mailto import MailtoLink
from mailapp.core.model import Account
from mailapp.ui.icons import app_icon, themed_icon

SEND_UNAVAILABLE_TIP = "Sending arrives with the outbox"


def _identity(account: Account) -> str:
    name = account.display_name.strip()
    return f"{name} <{account.email}>" if name else account.email


class ComposerWindow(QWidget):
    """One message being written, in its own top-level window."""

    send_requested = Signal()

    def __init__(
        self,
        accounts: Sequence[Account],
        parent: QWidget | None = None,
        *,
        can_send: bool = False,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("composerWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowIcon(app_icon())
        self.setAccessibleName(self.tr("Write a message"))
        self.in_reply_to: str | None = None

        self.from_box = QComboBox(self)
        self.from_box.setObjectName("composerFrom")
        self.from_box.setAccessibleName(self.tr("From"))
        for account in accounts:
            self.from_box.addItem(_identity(account), account.name)
        if not accounts:
            self.from_box.addItem(self.tr("No account yet: add one in the main window"))
            self.from_box.setEnabled(False)

        self.to_edit = self._line("composerTo", self.tr("To"))
        self.cc_edit = self._line("composerCc", self.tr("Cc"))
        self.bcc_edit = self._line("composerBcc", self.tr("Bcc"))
        self.subject_edit = self._line("composerSubject", self.tr("Subject"))
        self.subject_edit.textChanged.connect(self._update_title)
        for edit in (self.to_edit, self.cc_edit, self.bcc_edit):
            edit.setPlaceholderText(self.tr("name@example.org, another@example.org"))

        self.body_edit = QTextEdit(self)
        self.body_edit.setObjectName("composerBody")
        self.body_edit.setAccessibleName(self.tr("Message text"))
        self.body_edit.setAcceptRichText(False)

        # Header fields a link asked for and we refused (From, Received, ...): said, not hidden.
        self.notice = QLabel(self)
        self.notice.setObjectName("composerNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.send_button = QPushButton(
            themed_icon(("mail-send",), QStyle.StandardPixmap.SP_DialogYesButton),
            self.tr("&Send"),
            self,
        )
        self.send_button.setObjectName("composerSend")
        self.send_button.setEnabled(can_send)
        if not can_send:
            self.send_button.setToolTip(self.tr("Sending arrives with the outbox"))
        self.send_button.clicked.connect(self.send_requested)

        form = QFormLayout()
        form.addRow(self.tr("&From:"), self.from_box)
        form.addRow(self.tr("&To:"), self.to_edit)
        form.addRow(self.tr("&Cc:"), self.cc_edit)
        form.addRow(self.tr("&Bcc:"), self.bcc_edit)
        form.addRow(self.tr("S&ubject:"), self.subject_edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.notice)
        layout.addWidget(self.body_edit, 1)
        layout.addLayout(buttons)

        self._update_title()
        self.resize(720, 560)

    def _line(self, name: str, accessible: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        return edit

    def _update_title(self) -> None:
        subject = self.subject_edit.text().strip()
        self.setWindowTitle(subject or self.tr("New message"))

    def fill(self, link: MailtoLink) -> None:
        """Put what a mailto: link asks for into the fields (replacing what they held)."""
        self.to_edit.setText(", ".join(link.to))
        self.cc_edit.setText(", ".join(link.cc))
        self.bcc_edit.setText(", ".join(link.bcc))
        self.subject_edit.setText(link.subject)
        self.body_edit.setPlainText(link.body)
        self.in_reply_to = link.in_reply_to
        if link.ignored:
            self.notice.setText(
                self.tr("The link also asked to set %1; that was ignored.").replace(
                    "%1", ", ".join(sorted(set(link.ignored)))
                )
            )
            self.notice.show()
        else:
            self.notice.hide()
        # Where a person starts typing: the first empty line of the header, else the text.
        for edit in (self.to_edit, self.subject_edit):
            if not edit.text():
                edit.setFocus()
                return
        self.body_edit.setFocus()
