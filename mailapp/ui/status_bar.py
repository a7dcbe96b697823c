"""The status bar: account state on the left, the running task with its progress on the right.

Imports: Qt only.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget


class MailStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setAccessibleName(self.tr("Status"))
        self.accounts_label = QLabel(self)
        self.accounts_label.setObjectName("statusAccounts")
        self.task_label = QLabel(self)
        self.task_label.setObjectName("statusTask")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("statusProgress")
        self.progress.setAccessibleName(self.tr("Task progress"))
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.addWidget(self.accounts_label)
        self.addPermanentWidget(self.task_label)
        self.addPermanentWidget(self.progress)
        self.clear_task()

    def set_account_count(self, count: int) -> None:
        if count == 0:
            text = self.tr("No account")
        elif count == 1:
            text = self.tr("1 account")
        else:
            text = self.tr("%1 accounts").replace("%1", str(count))
        self.accounts_label.setText(text)
        self.accounts_label.setAccessibleName(text)

    def show_task(self, text: str, done: int | None = None, total: int | None = None) -> None:
        """Show a running task ("Syncing Inbox 1,240 / 20,000"); no total: a busy indicator."""
        self.task_label.setText(text)
        self.task_label.setVisible(True)
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done or 0)
        else:
            self.progress.setRange(0, 0)
        self.progress.setVisible(True)

    def clear_task(self) -> None:
        self.task_label.clear()
        self.task_label.setVisible(False)
        self.progress.setVisible(False)
