"""The status bar: account state on the left, the running task with its progress on the right.

Imports: Qt only.
"""

from __future__ import annotations

from collections.abc import Mapping

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
        self.outbox_label = QLabel(self)
        self.outbox_label.setObjectName("statusOutbox")
        self.outbox_label.hide()
        self.addWidget(self.accounts_label)
        self.addPermanentWidget(self.outbox_label)
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

    def set_connection_states(self, states: Mapping[str, tuple[str, str]]) -> None:
        """Each account's connection state, account -> (state word, detail):
        "Work: online · Home: offline"; the details go to the tooltip."""
        if not states:
            return
        text = " · ".join(f"{name}: {state}" for name, (state, _) in states.items())
        tip = "\n".join(
            f"{name}: {state}" + (f" ({detail})" if detail else "")
            for name, (state, detail) in states.items()
        )
        self.accounts_label.setText(text)
        self.accounts_label.setToolTip(tip)
        self.accounts_label.setAccessibleName(tip.replace("\n", "; "))

    def set_outbox_count(self, count: int) -> None:
        """ "Outbox: 2" while messages wait to be sent; hidden at zero."""
        text = self.tr("Outbox: %1").replace("%1", str(count))
        self.outbox_label.setText(text)
        self.outbox_label.setAccessibleName(text)
        self.outbox_label.setVisible(count > 0)

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
