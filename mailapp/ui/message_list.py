"""The message list: a table model with the folder's messages and the view showing it.

The model is empty until the store backs it (lazily, page by page, so a 100,000-message folder
opens at once). Imports: Qt only.
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    SUBJECT = 0
    FROM = 1
    DATE = 2
    SIZE = 3
    DELIVERY = 4


class MessageListModel(QAbstractTableModel):
    """Rows are messages of one folder; columns are `Column`. No rows yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._titles = {
            Column.SUBJECT: self.tr("Subject"),
            Column.FROM: self.tr("From"),
            Column.DATE: self.tr("Date"),
            Column.SIZE: self.tr("Size"),
            Column.DELIVERY: self.tr("Delivery"),
        }

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._titles[Column(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class MessageListView(QTreeView):
    """A flat list with sortable, movable, resizable columns (their state is remembered)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageList")
        self.setAccessibleName(self.tr("Message list"))
        self.message_model = MessageListModel(self)
        self.setModel(self.message_model)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        header.setSectionResizeMode(Column.SUBJECT, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(Column.DATE, Qt.SortOrder.DescendingOrder)
        header.resizeSection(Column.FROM, 200)
        header.resizeSection(Column.DATE, 140)
        header.resizeSection(Column.SIZE, 70)
        header.resizeSection(Column.DELIVERY, 130)
