"""The bar above a message whose remote images were blocked, with the two ways to allow them.

"Remote images were blocked to protect your privacy. [Load once] [Always for sender]":
a remote image tells its sender when, where and that the mail was read. After loading, the
bar says what could still not be shown (images offered only over plain http are never
fetched). Imports: Qt only.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


def _mix(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() * (1 - amount) + tint.red() * amount),
        round(base.green() * (1 - amount) + tint.green() * amount),
        round(base.blue() * (1 - amount) + tint.blue() * amount),
    )


class RemoteContentBar(QFrame):
    load_once = Signal()
    always_allow = Signal(str)  # the sender's address

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("remoteContentBar")
        self.setAccessibleName(self.tr("Remote content"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.sender_address = ""
        self.message = QLabel(self)
        self.message.setObjectName("remoteContentMessage")
        self.message.setWordWrap(True)
        self.load_button = QPushButton(self.tr("&Load once"), self)
        self.load_button.setObjectName("remoteLoadOnce")
        self.load_button.setAccessibleName(self.tr("Load remote images once"))
        self.load_button.clicked.connect(self.load_once)
        self.always_button = QPushButton(self)
        self.always_button.setObjectName("remoteAlways")
        self.always_button.clicked.connect(lambda: self.always_allow.emit(self.sender_address))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.load_button)
        layout.addWidget(self.always_button)
        self._tint()
        self.hide()

    def show_blocked(self, count: int, hosts: tuple[str, ...], sender: str) -> None:
        self.sender_address = sender
        if count == 1:
            text = self.tr("A remote image was blocked to protect your privacy.")
        else:
            text = self.tr("%1 remote images were blocked to protect your privacy.").replace(
                "%1", str(count)
            )
        self.message.setText(text)
        self.message.setToolTip(
            self.tr("They would have been loaded from: %1").replace("%1", ", ".join(hosts))
            if hosts
            else ""
        )
        self.load_button.setVisible(True)
        self.load_button.setEnabled(True)
        self.always_button.setVisible(bool(sender))
        self.always_button.setEnabled(True)
        always = self.tr("Always for %1").replace("%1", sender)
        self.always_button.setText(always)
        self.always_button.setAccessibleName(always)
        self.show()

    def show_loading(self) -> None:
        self.message.setText(self.tr("Loading remote images…"))
        self.load_button.setEnabled(False)
        self.always_button.setEnabled(False)

    def show_result(self, not_loaded: int, plain_http: int) -> None:
        """After loading: hide, or say plainly what is still missing and why."""
        if not_loaded == 0:
            self.hide()
            return
        parts = []
        if plain_http:
            parts.append(
                self.tr(
                    "%1 offered only over unencrypted http, which is never fetched "
                    "(anyone on the way could watch or change it)"
                ).replace("%1", str(plain_http))
            )
        failed = not_loaded - plain_http
        if failed:
            parts.append(self.tr("%1 could not be loaded").replace("%1", str(failed)))
        self.message.setText(self.tr("Images not shown: %1.").replace("%1", "; ".join(parts)))
        self.load_button.setVisible(False)
        self.always_button.setVisible(False)
        self.show()

    def _tint(self) -> None:
        palette = QApplication.palette()
        base = palette.color(QPalette.ColorRole.Window)
        tint = QColor(52, 101, 164)
        self.setStyleSheet(
            "QFrame#remoteContentBar {"
            f" background: {_mix(base, tint, 0.14).name()};"
            f" border: 1px solid {_mix(base, tint, 0.5).name()}; border-radius: 4px; }}"
        )
