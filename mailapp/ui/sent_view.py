"""The Sent folder as mailapp shows it: sent messages with a Delivery column, and below the
selected one its Delivery panel (per recipient) above its text.

Rows are the account's Sent folder (`Engine.sent_folder`): every message of the synced server
Sent folder, also those another program sent (a phone, webmail: "Not tracked", shown with
their text only), joined by Message-ID with what mailapp tracks, plus the messages mailapp sent
that the server folder does not hold yet, each once. They are read again whenever the
window's engine runner says tracking changed (`set_sent`) and after each sync (`reload`); the
selected message's panel is reloaded when its summary moves, so a delivery report arriving
during sync shows at once. Imports: Qt, core, engine.api and ui.
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
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.errors import MailAppError
from mailapp.engine.api import (
    DeliveryStatus,
    Engine,
    ReadableMessage,
    SentFolderItem,
    SentSummary,
)
from mailapp.ui.background_task import BackgroundTask, failure
from mailapp.ui.delivery_column import delivery_data, untracked_data
from mailapp.ui.delivery_panel import DeliveryPanel, ReportViewer, format_time
from mailapp.ui.error_hook import describe
from mailapp.ui.reader_pane import ReaderPane

AnyIndex = QModelIndex | QPersistentModelIndex
OUTBOX_ID_ROLE = Qt.ItemDataRole.UserRole + 41  # the row's outbox id (None: not tracked)
MESSAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 42  # the row's Message-ID
ITEM_KEY_ROLE = Qt.ItemDataRole.UserRole + 43  # the row's SentFolderItem.key
STORED_ID_ROLE = Qt.ItemDataRole.UserRole + 44  # the server copy's message id (or None)
SENT_LIMIT = 200  # rows listed


def folder_item(item: SentFolderItem | SentSummary) -> SentFolderItem:
    """A row of the list; a bare tracked message (the runner's) becomes one without a
    server copy."""
    if isinstance(item, SentFolderItem):
        return item
    entry = item.entry
    return SentFolderItem(
        account=entry.account,
        message_id=entry.message_id,
        subject=entry.subject,
        to=", ".join(r.address for r in entry.recipients),
        date=entry.sent_at or entry.queued_at,
        tracked=item,
    )


def _tr(text: str) -> str:
    return QCoreApplication.translate("SentView", text)


class SentModel(QAbstractTableModel):
    """The Sent folder, newest first: Subject, To, Sent, Delivery."""

    SUBJECT, TO, SENT, DELIVERY = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[SentFolderItem] = []
        self._titles = (_tr("Subject"), _tr("To"), _tr("Sent"), _tr("Delivery"))

    @property
    def items(self) -> list[SentFolderItem]:
        return list(self._items)

    def set_items(self, items: Sequence[SentFolderItem | SentSummary]) -> None:
        """Replace the rows; rows that kept their place only get dataChanged (so selection
        and scrolling stay put while reports arrive)."""
        new = [folder_item(i) for i in items]
        if [i.key for i in new] == [i.key for i in self._items]:
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

    def row_of(self, key: str) -> int | None:
        """The row of a SentFolderItem.key, None when it is not listed."""
        for row, item in enumerate(self._items):
            if item.key == key:
                return row
        return None

    def item(self, row: int) -> SentFolderItem:
        return self._items[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == OUTBOX_ID_ROLE:
            return item.outbox_id
        if role == MESSAGE_ID_ROLE:
            return item.message_id
        if role == ITEM_KEY_ROLE:
            return item.key
        if role == STORED_ID_ROLE:
            return item.stored_id
        if column == self.DELIVERY:
            if item.tracked is None:
                return untracked_data(role)
            return delivery_data(item.tracked.summary, role)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.SUBJECT:
                return item.subject or _tr("(no subject)")
            if column == self.TO:
                return item.to
            if column == self.SENT:
                if role == Qt.ItemDataRole.ToolTipRole:
                    return item.date.astimezone().strftime("%Y-%m-%d %H:%M:%S")
                return format_time(item.date)
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
    selection_changed = Signal()  # another message (or none) is selected

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sentView")
        self.setAccessibleName(_tr("Sent messages"))
        self.engine = engine
        self.account: str | None = None
        self.limit = SENT_LIMIT
        self._selected: str | None = None  # the selected row's SentFolderItem.key
        self._list_loader = BackgroundTask("Listing the Sent folder")
        self._reload_again = False
        self._stale = True
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
        self.loaded = False  # the list was read at least once
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
        # The message itself as the reader shows mail: headers, sanitised HTML, attachments.
        self.body = ReaderPane(self, engine=engine)
        self.body.setObjectName("sentBody")
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
        self.list_stack.setCurrentWidget(self.empty)

    # -- data ----------------------------------------------------------------------------

    def set_account(self, account: str | None) -> None:
        """Show one account's Sent folder (None: every account's)."""
        if account != self.account:
            self.account = account
            self.model.set_items([])
            self._selected = None
            self._clear_reader()
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def set_sent(self, items: Sequence[SentSummary]) -> None:
        """Tracking changed (the runner's newest sent messages): read the folder again."""
        del items  # the folder is read whole: it also has what others sent
        self.reload()

    def reload(self) -> None:
        """Read the Sent folder again (after a sync, a send, a report); one read at a time,
        a request during a read starts another when it ends."""
        if not self.isVisible():
            self._stale = True  # read when shown (showEvent)
            return
        self._stale = False
        if self._list_loader.busy:
            self._reload_again = True
            return
        self._reload_again = False
        self._list_loader.start(self.engine.sent_folder(self.account, self.limit), self._listed)

    def _listed(self, task: asyncio.Task[list[SentFolderItem]]) -> None:
        if task.cancelled():
            return
        exc = failure(task)
        if exc is None:
            self.set_items(task.result())
        if self._reload_again:
            self.reload()

    def set_items(self, items: Sequence[SentFolderItem | SentSummary]) -> None:
        """Show these rows (the folder as read), keeping the selection."""
        self.loaded = True
        wanted = [folder_item(i) for i in items]
        wanted = [i for i in wanted if self.account is None or i.account == self.account]
        before = None
        if self._selected is not None:
            row = self.model.row_of(self._selected)
            if row is not None:
                before = self.model.item(row)
        self.model.set_items(wanted)
        self.list_stack.setCurrentWidget(self.list if wanted else self.empty)
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
        now = self.model.item(row)
        if before is None or now.tracked != before.tracked:
            self._load(self._selected, with_body=False)  # a report arrived: new evidence

    def _row_of_message(self, message_id: str) -> int | None:
        for row, item in enumerate(self.model.items):
            if item.message_id == message_id:
                return row
        return None

    def select_message(self, message_id: str) -> bool:
        """Select the row of a Message-ID (with <>); False when it is not listed."""
        row = self._row_of_message(message_id)
        if row is None:
            return False
        self.list.setCurrentIndex(self.model.index(row, 0))
        return True

    def delivery_label(self, message_id: str) -> str | None:
        """The Delivery column's word for a Message-ID, None when it is not listed."""
        row = self._row_of_message(message_id)
        if row is None:
            return None
        value = self.model.index(row, SentModel.DELIVERY).data()
        return str(value) if value is not None else None

    @property
    def selected_item(self) -> SentFolderItem | None:
        """The selected message (what Reply, Reply All and Forward answer)."""
        if self._selected is None:
            return None
        row = self.model.row_of(self._selected)
        return self.model.item(row) if row is not None else None

    # -- selection -----------------------------------------------------------------------

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.list.selectionModel().selectedRows()
        if not rows:
            self._selected = None
            self._clear_reader()
            self.selection_changed.emit()
            return
        key = rows[0].data(ITEM_KEY_ROLE)
        if not isinstance(key, str):
            return
        self._selected = key
        self.selection_changed.emit()
        self._load(key, with_body=True)

    def _clear_reader(self) -> None:
        self._loader.cancel()
        self.panel.set_status(None)
        self.body.show_placeholder()
        self.reader_stack.setCurrentWidget(self.placeholder)

    def _load(self, key: str, *, with_body: bool) -> None:
        row = self.model.row_of(key)
        if row is None:
            return
        item = self.model.item(row)
        tracked = item.tracked

        async def load() -> tuple[DeliveryStatus | None, ReadableMessage | None]:
            if tracked is None:
                # Sent by another program: nothing tracked, its text from the server copy.
                stored = item.stored_id
                text = await self.engine.open_message(stored) if with_body and stored else None
                return None, text
            status = await self.engine.delivery_status(tracked.entry.message_id)
            text = await self.engine.outgoing_message(tracked.entry.id) if with_body else None
            return status, text

        def done(
            task: asyncio.Task[tuple[DeliveryStatus | None, ReadableMessage | None]],
        ) -> None:
            if task.cancelled() or self._selected != key:
                return
            exc = failure(task)
            if exc is not None:
                self.panel.set_status(None)
                self.body.show_plain_text(describe(exc))
                self.reader_stack.setCurrentIndex(1)
                return
            status, message = task.result()
            if tracked is None:
                self.panel.set_untracked()
            else:
                self.panel.set_status(status)
            if message is not None:
                self.body.display(message)
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
        self._list_loader.detach()
        self._loader.detach()
        self._report_loader.detach()
