"""The Sent folder as mailapp shows it: sent messages with a Delivery column, and below the
selected one its Delivery panel (per recipient) above its text.

Rows come from the engine's record of what was sent (`Engine.recent_sent`), handed in by the
window's engine runner whenever something changed (`set_sent`); the selected message's
panel is reloaded when its summary moves, so a delivery report arriving during sync shows
at once. Imports: Qt, core, engine.api and ui.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.errors import MailAppError
from mailapp.engine.api import DeliveryStatus, Engine, ReadableMessage, SentSummary
from mailapp.ui.background_task import BackgroundTask, failure
from mailapp.ui.delivery_column import delivery_data
from mailapp.ui.delivery_panel import DeliveryPanel, ReportViewer, format_time
from mailapp.ui.error_hook import describe

AnyIndex = QModelIndex | QPersistentModelIndex
OUTBOX_ID_ROLE = Qt.ItemDataRole.UserRole + 41  # the row's outbox id
MESSAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 42  # the row's Message-ID


def _tr(text: str) -> str:
    return QCoreApplication.translate("SentView", text)


class SentModel(QAbstractTableModel):
    """Sent messages, newest first: Subject, To, Sent, Delivery."""

    SUBJECT, TO, SENT, DELIVERY = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[SentSummary] = []
        self._titles = (_tr("Subject"), _tr("To"), _tr("Sent"), _tr("Delivery"))

    @property
    def items(self) -> list[SentSummary]:
        return list(self._items)

    def set_items(self, items: Sequence[SentSummary]) -> None:
        """Replace the rows; rows that kept their place only get dataChanged (so selection
        and scrolling stay put while reports arrive)."""
        new = list(items)
        if [i.entry.id for i in new] == [i.entry.id for i in self._items]:
            for row, (old, item) in enumerate(zip(self._items, new, strict=True)):
                if old != item:
                    self._items[row] = item
                    self.dataChanged.emit(
                        self.index(row, 0), self.index(row, len(self._titles) - 1)
                    )
            return
        self.beginResetModel()
        self._items = new
        self.endResetModel()

    def row_of(self, outbox_id: int) -> int | None:
        for row, item in enumerate(self._items):
            if item.entry.id == outbox_id:
                return row
        return None

    def item(self, row: int) -> SentSummary:
        return self._items[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        entry = item.entry
        column = index.column()
        if role == OUTBOX_ID_ROLE:
            return entry.id
        if role == MESSAGE_ID_ROLE:
            return entry.message_id
        if column == self.DELIVERY:
            return delivery_data(item.summary, role)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.SUBJECT:
                return entry.subject or _tr("(no subject)")
            if column == self.TO:
                return ", ".join(r.address for r in entry.recipients)
            if column == self.SENT:
                moment = entry.sent_at or entry.queued_at
                if role == Qt.ItemDataRole.ToolTipRole:
                    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
                return format_time(moment)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._titles):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._titles[section]
        return None


class SentView(QWidget):
    """The Sent list, the Delivery panel of the selected message and its text."""

    selection_loaded = Signal()  # the panel and the text show the selected message

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sentView")
        self.setAccessibleName(_tr("Sent messages"))
        self.engine = engine
        self.account: str | None = None
        self._all: list[SentSummary] = []
        self._selected: int | None = None
        self._loader = BackgroundTask("Loading a sent message")
        self._report_loader = BackgroundTask("Opening a delivery report")
        self.report_viewer: ReportViewer | None = None

        self.model = SentModel(self)
        self.list = QTreeView(self)
        self.list.setObjectName("sentList")
        self.list.setAccessibleName(_tr("Sent messages"))
        self.list.setModel(self.model)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(SentModel.SUBJECT, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(SentModel.TO, 240)
        header.resizeSection(SentModel.SENT, 110)
        header.resizeSection(SentModel.DELIVERY, 140)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)

        self.empty = QLabel(
            _tr(
                "Nothing sent yet. Messages you send appear here, with what became of each "
                "one: delivered, delayed, failed, or read."
            ),
            self,
        )
        self.empty.setObjectName("sentEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self.list_stack = QStackedWidget(self)
        self.list_stack.addWidget(self.empty)
        self.list_stack.addWidget(self.list)

        self.panel = DeliveryPanel(self)
        self.panel.report_requested.connect(self.open_report)
        self.panel.resized.connect(self._fit_panel)
        self.body = QTextBrowser(self)
        self.body.setObjectName("sentBody")
        self.body.setAccessibleName(_tr("Message text"))
        self.body.setOpenLinks(False)
        self.placeholder = QLabel(_tr("Select a sent message to see what became of it."), self)
        self.placeholder.setObjectName("sentPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)

        reader = QWidget(self)
        reader_layout = QVBoxLayout(reader)
        reader_layout.setContentsMargins(0, 0, 0, 0)
        reader_layout.setSpacing(4)
        self.panel_scroll = QScrollArea(reader)
        self.panel_scroll.setObjectName("deliveryPanelScroll")
        self.panel_scroll.setWidget(self.panel)
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.reader_split = reader_split = QSplitter(Qt.Orientation.Vertical, reader)
        reader_split.setObjectName("sentReaderSplitter")
        reader_split.addWidget(self.panel_scroll)
        reader_split.addWidget(self.body)
        reader_split.setStretchFactor(0, 2)
        reader_split.setStretchFactor(1, 1)
        reader_split.setChildrenCollapsible(False)
        self.reader_stack = QStackedWidget(reader)
        self.reader_stack.addWidget(self.placeholder)
        self.reader_stack.addWidget(reader_split)
        reader_layout.addWidget(self.reader_stack)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("sentSplitter")
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(reader)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._show_rows()

    # -- data ----------------------------------------------------------------------------

    def set_account(self, account: str | None) -> None:
        """Show one account's sent messages (None: every account's)."""
        if account != self.account:
            self.account = account
            self._show_rows()

    def set_sent(self, items: Sequence[SentSummary]) -> None:
        """The newest sent messages of every account, with their summaries (the runner)."""
        self._all = list(items)
        self._show_rows()

    def _show_rows(self) -> None:
        items = [i for i in self._all if self.account is None or i.entry.account == self.account]
        before = None
        if self._selected is not None:
            row = self.model.row_of(self._selected)
            if row is not None:
                before = self.model.item(row).summary
        self.model.set_items(items)
        self.list_stack.setCurrentWidget(self.list if items else self.empty)
        if self._selected is None:
            return
        row = self.model.row_of(self._selected)
        if row is None:
            self._selected = None
            self._clear_reader()
            return
        index = self.model.index(row, 0)
        if not self.list.selectionModel().isSelected(index):
            self.list.selectionModel().blockSignals(True)
            self.list.setCurrentIndex(index)
            self.list.selectionModel().blockSignals(False)
        if self.model.item(row).summary != before:
            self._load(self._selected, with_body=False)  # a report arrived: new evidence

    def select_message(self, message_id: str) -> bool:
        """Select the row of a Message-ID (with <>); False when it is not listed."""
        for row, item in enumerate(self.model.items):
            if item.entry.message_id == message_id:
                self.list.setCurrentIndex(self.model.index(row, 0))
                return True
        return False

    def delivery_label(self, message_id: str) -> str | None:
        """The Delivery column's word for a Message-ID, None when it is not listed."""
        for row, item in enumerate(self.model.items):
            if item.entry.message_id == message_id:
                value = self.model.index(row, SentModel.DELIVERY).data()
                return str(value) if value is not None else None
        return None

    # -- selection -----------------------------------------------------------------------

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.list.selectionModel().selectedRows()
        if not rows:
            self._selected = None
            self._clear_reader()
            return
        outbox_id = rows[0].data(OUTBOX_ID_ROLE)
        if not isinstance(outbox_id, int):
            return
        self._selected = outbox_id
        self._load(outbox_id, with_body=True)

    def _clear_reader(self) -> None:
        self._loader.cancel()
        self.panel.set_status(None)
        self.body.clear()
        self.reader_stack.setCurrentWidget(self.placeholder)

    def _load(self, outbox_id: int, *, with_body: bool) -> None:
        row = self.model.row_of(outbox_id)
        if row is None:
            return
        message_id = self.model.item(row).entry.message_id

        async def load() -> tuple[DeliveryStatus, ReadableMessage | None]:
            status = await self.engine.delivery_status(message_id)
            text = await self.engine.outgoing_message(outbox_id) if with_body else None
            return status, text

        def done(task: asyncio.Task[tuple[DeliveryStatus, ReadableMessage | None]]) -> None:
            if task.cancelled() or self._selected != outbox_id:
                return
            exc = failure(task)
            if exc is not None:
                self.panel.set_status(None)
                self.body.setPlainText(describe(exc))
                self.reader_stack.setCurrentIndex(1)
                return
            status, message = task.result()
            self.panel.set_status(status)
            if message is not None:
                self.body.setPlainText(message.text)
            self.reader_stack.setCurrentIndex(1)
            self._fit_panel()
            self.selection_loaded.emit()

        self._loader.start(load(), done)

    def _fit_panel(self) -> None:
        """Give the panel the height it needs (at most three quarters), the text the rest."""
        total = sum(self.reader_split.sizes())
        if total <= 0:
            return
        wanted = self.panel.sizeHint().height() + 2 * self.panel_scroll.frameWidth() + 2
        panel = min(wanted, total * 3 // 4)
        self.reader_split.setSizes([panel, total - panel])

    # -- reports -------------------------------------------------------------------------

    def open_report(self, report_ref: str) -> None:
        def done(task: asyncio.Task[bytes]) -> None:
            exc = failure(task)
            if task.cancelled():
                return
            if exc is not None:
                text = describe(exc)
                if isinstance(exc, MailAppError):
                    text = _tr("The original report cannot be shown: %1").replace("%1", text)
                raw = text.encode()
            else:
                raw = task.result()
            viewer = ReportViewer(raw, self)
            viewer.destroyed.connect(self._forget_viewer)
            self.report_viewer = viewer
            viewer.show()

        self._report_loader.start(self.engine.delivery_report_raw(report_ref), done)

    def _forget_viewer(self) -> None:
        self.report_viewer = None

    def shutdown(self) -> None:
        """The window is closing: stop loading without calling back."""
        self._loader.detach()
        self._report_loader.detach()
