"""The Outbox: every message the server has not taken yet, each with its visible reason.

Queued, sending, deferred (with the server's last words and the next attempt), failed and
uncertain messages; the selected one's full reason below, with Retry, Edit and Delete. An
uncertain message (the connection broke after the data went out) is never sent again on its
own: "Send again…" explains the risk of a duplicate and asks first. Edit takes a queued,
deferred or failed message back out of the outbox (Engine.edit_outbox) and opens it in a
composer; when a message cannot be edited the view says why. The same actions are in the
list's context menu. Confirmations are non-modal (`open()`), so the asyncio loop never
stalls. Rows are handed in by the window's engine runner (`set_entries`).
Imports: Qt, core, engine.api and ui.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.delivery import OutboxState, split_reply
from mailapp.engine.api import Engine, OutboxEntry, SavedDraft
from mailapp.ui.background_task import BackgroundTask, failure
from mailapp.ui.delivery_column import outbox_icon, outbox_word, problem_colour
from mailapp.ui.delivery_panel import advice_for, format_time
from mailapp.ui.error_hook import describe

if TYPE_CHECKING:
    from mailapp.ui.composer_window import ComposerWindow

AnyIndex = QModelIndex | QPersistentModelIndex
OUTBOX_ID_ROLE = Qt.ItemDataRole.UserRole + 43
# Makes a composer wired for sending (MainWindow.new_composer), not shown yet.
ComposerFactory = Callable[[], "ComposerWindow"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("OutboxView", text)


def refusal_text(refusal: str) -> str:
    """Why Edit is off, in the window's language: the store gives its reasons (the EDIT_*
    sentences of store.outbox) in English; any other sentence is shown as it is."""
    known = {
        "It is being sent right now.": _tr("It is being sent right now."),
        (
            "It may already have been sent: the connection broke after the message was handed "
            "to the server, before the server confirmed it."
        ): _tr(
            "It may already have been sent: the connection broke after the message was handed "
            "to the server, before the server confirmed it."
        ),
        ("The server already took it for some recipients, so it cannot be changed any more."): _tr(
            "The server already took it for some recipients, so it cannot be changed any more."
        ),
        (
            "It was queued without its draft (by an older version of mailapp), so it cannot be "
            "opened for editing."
        ): _tr(
            "It was queued without its draft (by an older version of mailapp), so it cannot be "
            "opened for editing."
        ),
    }
    return known.get(refusal, refusal)


def reason_text(entry: OutboxEntry) -> str:
    """Why the message is still here, in one sentence (never empty)."""
    if entry.state is OutboxState.SENDING:
        return _tr("Being sent now.")
    if entry.last_error:
        return entry.last_error
    if entry.state is OutboxState.QUEUED:
        if entry.attempts == 0:
            return _tr("Waiting to be sent.")
        return _tr("Waiting for the next attempt.")
    return outbox_word(entry.state)


def next_attempt_text(entry: OutboxEntry) -> str:
    if entry.state in (OutboxState.QUEUED, OutboxState.DEFERRED):
        if entry.next_attempt_at is None:
            return _tr("soon")
        return format_time(entry.next_attempt_at)
    if entry.state is OutboxState.FAILED:
        return _tr("needs you")
    if entry.state is OutboxState.UNCERTAIN:
        return _tr("only if you say so")
    return ""


def last_reply_text(entry: OutboxEntry) -> str:
    if not entry.last_reply and entry.last_reply_code is None:
        return ""
    code = f"{entry.last_reply_code} " if entry.last_reply_code is not None else ""
    reply = entry.last_reply or ""
    if reply.startswith(code.strip()):
        code = ""
    host = f" ({entry.smtp_host})" if entry.smtp_host else ""
    return _tr("Last reply%1: %2").replace("%1", host).replace("%2", f"{code}{reply}".strip())


class OutboxModel(QAbstractTableModel):
    """Outbox entries, oldest first: Subject, To, State, Reason, Next attempt."""

    SUBJECT, TO, STATE, REASON, NEXT = range(5)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[OutboxEntry] = []
        self._titles = (_tr("Subject"), _tr("To"), _tr("State"), _tr("Reason"), _tr("Next try"))

    @property
    def items(self) -> list[OutboxEntry]:
        return list(self._items)

    def set_items(self, items: Sequence[OutboxEntry]) -> None:
        new = list(items)
        if [e.id for e in new] == [e.id for e in self._items]:
            for row, (old, entry) in enumerate(zip(self._items, new, strict=True)):
                if old != entry:
                    self._items[row] = entry
                    self.dataChanged.emit(
                        self.index(row, 0), self.index(row, len(self._titles) - 1)
                    )
            return
        self.beginResetModel()
        self._items = new
        self.endResetModel()

    def row_of(self, outbox_id: int) -> int | None:
        for row, entry in enumerate(self._items):
            if entry.id == outbox_id:
                return row
        return None

    def entry(self, row: int) -> OutboxEntry:
        return self._items[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        entry = self._items[index.row()]
        column = index.column()
        if role == OUTBOX_ID_ROLE:
            return entry.id
        if column == self.STATE:
            if role == Qt.ItemDataRole.DecorationRole:
                return outbox_icon(entry.state)
            if role == Qt.ItemDataRole.ForegroundRole and entry.state in (
                OutboxState.FAILED,
                OutboxState.UNCERTAIN,
            ):
                return problem_colour()
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.STATE:
            return _tr("State: %1").replace("%1", outbox_word(entry.state))
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if column == self.SUBJECT:
            return entry.subject or _tr("(no subject)")
        if column == self.TO:
            return ", ".join(r.address for r in entry.recipients)
        if column == self.STATE:
            return outbox_word(entry.state)
        if column == self.REASON:
            return reason_text(entry)
        if column == self.NEXT:
            return next_attempt_text(entry)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._titles):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._titles[section]
        return None


class OutboxView(QWidget):
    """The Outbox list with the selected message's reason and its actions."""

    changed = Signal()  # the person retried, deleted or took back: refresh and run the outbox
    problem = Signal(str, str)  # (sentence, details) for the window's information bar
    editing = Signal(object)  # the ComposerWindow a taken-back message was opened in

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxView")
        self.setAccessibleName(_tr("Outbox"))
        self.engine = engine
        self.account: str | None = None
        self._all: list[OutboxEntry] = []
        self._action = BackgroundTask("Outbox action")
        # None: the window's own (MainWindow.new_composer), found when Edit is used.
        self.composer_factory: ComposerFactory | None = None
        self.confirm_box: QMessageBox | None = None

        self.model = OutboxModel(self)
        self.list = QTreeView(self)
        self.list.setObjectName("outboxList")
        self.list.setAccessibleName(_tr("Outbox messages"))
        self.list.setModel(self.model)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.resizeSection(OutboxModel.SUBJECT, 200)
        header.resizeSection(OutboxModel.TO, 180)
        header.resizeSection(OutboxModel.STATE, 110)
        header.setSectionResizeMode(OutboxModel.REASON, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(OutboxModel.NEXT, 130)
        self.list.selectionModel().selectionChanged.connect(self._update_details)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._show_context_menu)

        self.empty = QLabel(
            _tr("The Outbox is empty: everything you wrote has been handed to the server."), self
        )
        self.empty.setObjectName("outboxEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self.list_stack = QStackedWidget(self)
        self.list_stack.addWidget(self.empty)
        self.list_stack.addWidget(self.list)

        details = QWidget(self)
        details.setObjectName("outboxDetails")
        self.title = QLabel(details)
        self.title.setObjectName("outboxTitle")
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.title.setWordWrap(True)
        self.reason = QLabel(details)
        self.reason.setObjectName("outboxReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reply = QLabel(details)
        self.reply.setObjectName("outboxReply")
        self.reply.setWordWrap(True)
        self.reply.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice = QLabel(details)
        self.advice.setObjectName("outboxAdvice")
        self.advice.setWordWrap(True)
        self.schedule = QLabel(details)
        self.schedule.setObjectName("outboxSchedule")
        self.schedule.setWordWrap(True)
        self.retry_button = QPushButton(_tr("&Retry now"), details)
        self.retry_button.setObjectName("outboxRetry")
        self.retry_button.clicked.connect(self.retry_selected)
        self.edit_button = QPushButton(_tr("&Edit…"), details)
        self.edit_button.setObjectName("outboxEdit")
        self.edit_button.setAccessibleName(_tr("Edit"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton(_tr("&Delete…"), details)
        self.delete_button.setObjectName("outboxDelete")
        self.delete_button.setAccessibleName(_tr("Delete"))
        self.delete_button.clicked.connect(self.delete_selected)
        # Why Edit is not offered for this message (queued without its draft, taken already).
        self.edit_note = QLabel(details)
        self.edit_note.setObjectName("outboxEditNote")
        self.edit_note.setWordWrap(True)
        self.edit_note.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        self.context_menu = QMenu(self)
        self.context_menu.setObjectName("outboxContextMenu")
        self.retry_action = QAction(_tr("&Retry now"), self)
        self.retry_action.triggered.connect(self.retry_selected)
        self.edit_action = QAction(_tr("&Edit…"), self)
        self.edit_action.triggered.connect(self.edit_selected)
        self.delete_action = QAction(_tr("&Delete…"), self)
        self.delete_action.triggered.connect(self.delete_selected)
        for action in (self.retry_action, self.edit_action, self.delete_action):
            self.context_menu.addAction(action)
        box = QVBoxLayout(details)
        box.setContentsMargins(8, 8, 8, 8)
        box.addWidget(self.title)
        box.addWidget(self.reason)
        box.addWidget(self.reply)
        box.addWidget(self.advice)
        box.addWidget(self.schedule)
        box.addLayout(buttons)
        box.addWidget(self.edit_note)
        box.addStretch(1)
        self.details = details

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("outboxSplitter")
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._show_rows()

    # -- data ----------------------------------------------------------------------------

    def set_account(self, account: str | None) -> None:
        if account != self.account:
            self.account = account
            self._show_rows()

    def set_entries(self, entries: Sequence[OutboxEntry]) -> None:
        self._all = list(entries)
        self._show_rows()

    def selected_entry(self) -> OutboxEntry | None:
        rows = self.list.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.entry(rows[0].row())

    def select(self, outbox_id: int) -> bool:
        row = self.model.row_of(outbox_id)
        if row is None:
            return False
        self.list.setCurrentIndex(self.model.index(row, 0))
        return True

    def _show_rows(self) -> None:
        selected = self.selected_entry()
        items = [e for e in self._all if self.account is None or e.account == self.account]
        self.model.set_items(items)
        self.list_stack.setCurrentWidget(self.list if items else self.empty)
        if selected is not None and self.model.row_of(selected.id) is not None:
            self.select(selected.id)
        elif items and not self.list.selectionModel().selectedRows():
            self.select(items[0].id)
        self._update_details()

    def _update_details(self, *_args: object) -> None:
        entry = self.selected_entry()
        self.details.setVisible(entry is not None)
        if entry is None:
            return
        subject = entry.subject or _tr("(no subject)")
        to = ", ".join(r.address for r in entry.recipients)
        title = _tr("%1: “%2” to %3").replace("%1", outbox_word(entry.state))
        self.title.setText(title.replace("%2", subject).replace("%3", to))
        self.reason.setText(reason_text(entry))
        self.reason.setAccessibleName(_tr("Reason: %1").replace("%1", reason_text(entry)))
        if entry.state in (OutboxState.FAILED, OutboxState.UNCERTAIN):
            palette = self.reason.palette()
            palette.setColor(self.reason.foregroundRole(), problem_colour())
            self.reason.setPalette(palette)
        else:
            self.reason.setPalette(self.palette())
        reply = last_reply_text(entry)
        self.reply.setText(reply)
        self.reply.setVisible(bool(reply))
        advice = ""
        if entry.state is OutboxState.FAILED and entry.last_reply_code is not None:
            status, _ = split_reply(entry.last_reply or "")
            if status is not None or entry.last_reply_code >= 500:
                advice = advice_for(status or f"{str(entry.last_reply_code)[0]}.0.0")
        self.advice.setText(advice)
        self.advice.setAccessibleName(advice)
        self.advice.setVisible(bool(advice))
        self.schedule.setText(self._schedule_text(entry))
        self.schedule.setVisible(bool(self.schedule.text()))

        busy = entry.state is OutboxState.SENDING or self._action.busy
        uncertain = entry.state is OutboxState.UNCERTAIN
        self.retry_button.setText(_tr("&Send again…") if uncertain else _tr("&Retry now"))
        self.retry_button.setAccessibleName(_tr("Send again") if uncertain else _tr("Retry now"))
        self.retry_button.setToolTip(
            _tr("It may already have arrived: you decide, after a warning.")
            if uncertain
            else _tr("Try to send it now instead of waiting for the next attempt.")
        )
        self.retry_button.setEnabled(not busy)
        self.delete_button.setEnabled(not busy)
        refusal = None if entry.edit_refusal is None else refusal_text(entry.edit_refusal)
        if refusal is None and self._composer_factory() is None:
            refusal = _tr("There is no window to open a composer in.")
        self.edit_button.setEnabled(refusal is None and not busy)
        self.edit_button.setToolTip(
            _tr(
                "Take it out of the Outbox and open it in the composer; it is not sent "
                "until you send it again, and closing the composer keeps it in Drafts."
            )
            if refusal is None
            else _tr("Cannot be edited: %1").replace("%1", refusal)
        )
        # Being sent, or maybe sent: the reason above says so already.
        note = refusal is not None and entry.state not in (
            OutboxState.SENDING,
            OutboxState.UNCERTAIN,
        )
        self.edit_note.setText(_tr("Cannot be edited: %1").replace("%1", refusal or ""))
        self.edit_note.setVisible(note)
        self.retry_action.setText(self.retry_button.text())
        self.retry_action.setEnabled(self.retry_button.isEnabled())
        self.edit_action.setEnabled(self.edit_button.isEnabled())
        self.edit_action.setToolTip(self.edit_button.toolTip())
        self.delete_action.setEnabled(self.delete_button.isEnabled())

    def _schedule_text(self, entry: OutboxEntry) -> str:
        if entry.state is OutboxState.DEFERRED and entry.next_attempt_at is not None:
            attempts = (
                _tr("1 attempt so far")
                if entry.attempts == 1
                else _tr("%1 attempts so far").replace("%1", str(entry.attempts))
            )
            return (
                _tr("Next attempt at %1 (%2); it is also tried when the network comes back.")
                .replace("%1", format_time(entry.next_attempt_at))
                .replace("%2", attempts)
            )
        if entry.state is OutboxState.FAILED:
            return _tr("It stays here until you retry, edit or delete it.")
        if entry.state is OutboxState.UNCERTAIN:
            return _tr(
                "The connection broke after the message went out and before the server "
                "confirmed it: it may already have arrived. mailapp never sends it again on "
                "its own."
            )
        return ""

    # -- actions -------------------------------------------------------------------------

    def retry_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        if entry.state is OutboxState.UNCERTAIN:
            box = self._confirm(
                _tr("Send this message again?"),
                _tr(
                    "“%1” may already have arrived: the connection broke right after it went "
                    "out, before the server confirmed it. Sending it again can give the "
                    "recipients two copies."
                ).replace("%1", entry.subject or _tr("(no subject)")),
                _tr("&Send again"),
            )
            self._on_yes(box, lambda: self._run(self.engine.retry_outbox(entry.id)))
            box.open()
            return
        self._run(self.engine.retry_outbox(entry.id))

    def delete_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        box = self._confirm(
            _tr("Delete this message?"),
            _tr("“%1” will not be sent and is removed from the Outbox.").replace(
                "%1", entry.subject or _tr("(no subject)")
            ),
            _tr("&Delete"),
        )
        self._on_yes(box, lambda: self._run(self.engine.delete_outbox(entry.id)))
        box.open()

    def edit_selected(self) -> None:
        """Take the selected message back (in the background), then open it in a composer.
        The engine decides again atomically: a worker may have claimed it meanwhile."""
        entry = self.selected_entry()
        if entry is None or not self.edit_button.isEnabled():
            return

        def done(task: asyncio.Task[Any]) -> None:
            exc = failure(task)
            if exc is not None:
                self.problem.emit(describe(exc), getattr(exc, "hint", None) or "")
            elif not task.cancelled():
                self._open_composer(task.result())
            self._update_details()
            self.changed.emit()

        self._action.start(self.engine.edit_outbox(entry.id), done)
        self._update_details()

    def _composer_factory(self) -> ComposerFactory | None:
        if self.composer_factory is not None:
            return self.composer_factory
        factory = getattr(self.window(), "new_composer", None)
        return factory if callable(factory) else None

    def _open_composer(self, saved: SavedDraft) -> None:
        factory = self._composer_factory()
        if factory is None:  # the window went away meanwhile: the draft is in Drafts
            return
        composer = factory()
        composer.load_taken_back(saved)
        composer.show()
        composer.raise_()
        composer.activateWindow()
        self.editing.emit(composer)

    def _show_context_menu(self, point: QPoint) -> None:
        index = self.list.indexAt(point)
        if not index.isValid():
            return
        self.select(self.model.entry(index.row()).id)
        self._update_details()
        self.context_menu.popup(self.list.viewport().mapToGlobal(point))

    def _confirm(self, title: str, text: str, yes: str) -> QMessageBox:
        box = QMessageBox(self)
        box.setObjectName("outboxConfirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(title)
        box.setInformativeText(text)
        accept = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        accept.setObjectName("outboxConfirmYes")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.destroyed.connect(self._forget_confirm)
        self.confirm_box = box
        return box

    @staticmethod
    def _on_yes(box: QMessageBox, action: Callable[[], None]) -> None:
        yes = box.findChild(QPushButton, "outboxConfirmYes")

        def clicked(button: object) -> None:
            if button is yes:
                action()

        box.buttonClicked.connect(clicked)

    def _forget_confirm(self) -> None:
        self.confirm_box = None

    def _run(self, coro: Any) -> None:
        def done(task: asyncio.Task[Any]) -> None:
            exc = failure(task)
            if exc is not None:
                self.problem.emit(describe(exc), getattr(exc, "hint", None) or "")
            self._update_details()
            self.changed.emit()

        self._action.start(coro, done)
        self._update_details()

    def shutdown(self) -> None:
        self._action.detach()
