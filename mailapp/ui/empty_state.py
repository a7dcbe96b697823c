"""The panel shown instead of the mail panes while the profile has no account.

Imports: Qt and ui.icons.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from mailapp.ui.icons import app_icon


class EmptyState(QWidget):
    add_account_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.setAccessibleName(self.tr("No account yet"))

        # A fixed-width column keeps the wrapped explanation at a readable measure and lets
        # the label compute its height for that width (centred alignment flags would not).
        card = QWidget(self)
        card.setFixedWidth(500)

        icon = QLabel(card)
        icon.setPixmap(app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        icon.setAccessibleName(self.tr("mailapp logo"))

        self.title = QLabel(self.tr("No account yet"), card)
        self.title.setObjectName("emptyStateTitle")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.6)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.explanation = QLabel(
            self.tr(
                "Add your email account to read and send mail. For every message you send, "
                "mailapp then shows whether it reached each recipient: accepted, delivered, "
                "delayed or failed, in the receiving server's own words."
            ),
            card,
        )
        self.explanation.setObjectName("emptyStateExplanation")
        self.explanation.setWordWrap(True)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)

        self.add_button = QPushButton(self.tr("&Add Account…"), card)
        self.add_button.setObjectName("addAccountButton")
        self.add_button.setAccessibleName(self.tr("Add account"))
        self.add_button.setDefault(True)
        self.add_button.setMinimumWidth(180)
        self.add_button.setMinimumHeight(self.add_button.sizeHint().height() + 8)
        self.add_button.clicked.connect(self.add_account_requested)

        column = QVBoxLayout(card)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(icon)
        column.addSpacing(12)
        column.addWidget(self.title)
        column.addSpacing(8)
        column.addWidget(self.explanation)
        column.addSpacing(24)
        column.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignHCenter)

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)
