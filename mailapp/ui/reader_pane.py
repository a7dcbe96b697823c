"""The reader pane: the selected message, or a quiet placeholder when none is selected.

It displays with QTextBrowser, which runs no scripts and fetches nothing by itself.
Imports: Qt only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QTextBrowser, QWidget


class ReaderPane(QStackedWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readerPane")
        self.setAccessibleName(self.tr("Message reader"))
        self.placeholder = QLabel(self.tr("No message selected"), self)
        self.placeholder.setObjectName("readerPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)  # drawn in the palette's disabled (muted) colour
        self.placeholder.setAccessibleName(self.tr("No message selected"))
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("readerBrowser")
        self.browser.setAccessibleName(self.tr("Message body"))
        self.browser.setOpenLinks(False)
        self.addWidget(self.placeholder)
        self.addWidget(self.browser)
        self.show_placeholder()

    def show_placeholder(self) -> None:
        self.browser.clear()
        self.setCurrentWidget(self.placeholder)

    def show_plain_text(self, text: str) -> None:
        self.browser.setPlainText(text)
        self.setCurrentWidget(self.browser)
