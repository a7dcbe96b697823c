"""The left pane: accounts and their folders (special-use folders first, with icons).

Until the store reports real folder lists, each account shows the standard special-use folders
it will have. Unread counts are shown in bold. Imports: Qt, core.model and ui.icons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QAbstractItemView, QStyle, QTreeView, QWidget

from mailapp.core.model import Account
from mailapp.ui.icons import themed_icon

AnyIndex = QModelIndex | QPersistentModelIndex


class SpecialUse(StrEnum):
    INBOX = "inbox"
    DRAFTS = "drafts"
    SENT = "sent"
    OUTBOX = "outbox"
    REPORTS = "reports"
    JUNK = "junk"
    TRASH = "trash"
    ARCHIVE = "archive"


SPECIAL_ORDER: tuple[SpecialUse, ...] = tuple(SpecialUse)

_ICONS: dict[SpecialUse, tuple[tuple[str, ...], QStyle.StandardPixmap]] = {
    SpecialUse.INBOX: (
        ("mail-inbox", "folder-mail", "mail-unread"),
        QStyle.StandardPixmap.SP_DirIcon,
    ),
    SpecialUse.DRAFTS: (("folder-documents", "document-edit"), QStyle.StandardPixmap.SP_FileIcon),
    SpecialUse.SENT: (("mail-send", "mail-sent"), QStyle.StandardPixmap.SP_ArrowRight),
    SpecialUse.OUTBOX: (("mail-outbox", "mail-send-receive"), QStyle.StandardPixmap.SP_ArrowUp),
    SpecialUse.REPORTS: (
        ("mail-mark-important", "mail-read"),
        QStyle.StandardPixmap.SP_FileDialogInfoView,
    ),
    SpecialUse.JUNK: (("mail-mark-junk",), QStyle.StandardPixmap.SP_MessageBoxWarning),
    SpecialUse.TRASH: (("user-trash",), QStyle.StandardPixmap.SP_TrashIcon),
    SpecialUse.ARCHIVE: (("folder-saved-search", "folder"), QStyle.StandardPixmap.SP_DirIcon),
}

# Data roles for whoever reacts to a selection (the message list, the delivery view).
ACCOUNT_ROLE = Qt.ItemDataRole.UserRole + 1  # the account name
FOLDER_ROLE = Qt.ItemDataRole.UserRole + 2  # the folder name, None on an account row
SPECIAL_USE_ROLE = Qt.ItemDataRole.UserRole + 3  # a SpecialUse value, None for others


@dataclass(slots=True)
class _Node:
    label: str
    account: str
    folder: str | None = None
    special: SpecialUse | None = None
    tooltip: str = ""
    unread: int = 0
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)

    def row(self) -> int:
        if self.parent is None:
            return 0
        return self.parent.children.index(self)


class FolderModel(QAbstractItemModel):
    """A two-level tree: accounts, then folders. One column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(label="", account="")
        self._icons: dict[SpecialUse | None, QIcon] = {}

    # -- filling --------------------------------------------------------------------------

    def special_folder_names(self, account: Account) -> dict[SpecialUse, str]:
        return {
            SpecialUse.INBOX: self.tr("Inbox"),
            SpecialUse.DRAFTS: self.tr("Drafts"),
            SpecialUse.SENT: self.tr("Sent"),
            SpecialUse.OUTBOX: self.tr("Outbox"),
            SpecialUse.REPORTS: account.options.reports_folder or self.tr("Delivery Reports"),
            SpecialUse.JUNK: self.tr("Junk"),
            SpecialUse.TRASH: self.tr("Trash"),
            SpecialUse.ARCHIVE: self.tr("Archive"),
        }

    def set_accounts(self, accounts: list[Account]) -> None:
        self.beginResetModel()
        self._root.children.clear()
        for account in accounts:
            node = _Node(
                label=account.name,
                account=account.name,
                tooltip=f"{account.display_name} <{account.email}>",
                parent=self._root,
            )
            for special, name in self.special_folder_names(account).items():
                node.children.append(
                    _Node(
                        label=name,
                        account=account.name,
                        folder=name,
                        special=special,
                        tooltip=name,
                        parent=node,
                    )
                )
            self._root.children.append(node)
        self.endResetModel()

    def set_unread(self, account: str, folder: str, count: int) -> None:
        for acc_node in self._root.children:
            if acc_node.account != account:
                continue
            for child in acc_node.children:
                if child.folder == folder and child.unread != count:
                    child.unread = count
                    index = self.createIndex(child.row(), 0, child)
                    self.dataChanged.emit(index, index)

    def account_index(self, account: str) -> QModelIndex:
        for row, node in enumerate(self._root.children):
            if node.account == account:
                return self.index(row, 0)
        return QModelIndex()

    # -- QAbstractItemModel ---------------------------------------------------------------

    def _node(self, index: AnyIndex) -> _Node:
        if index.isValid():
            node = index.internalPointer()
            assert isinstance(node, _Node)
            return node
        return self._root

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        parent_node = self._node(parent)
        if row >= len(parent_node.children):
            return QModelIndex()
        return self.createIndex(row, column, parent_node.children[row])

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._node(index)
        parent = node.parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 1

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and section == 0
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return self.tr("Folders")
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        node = self._node(index)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{node.label} ({node.unread})" if node.unread else node.label
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(node)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            if node.unread:
                return (
                    self.tr("%1, %2 unread")
                    .replace("%1", node.tooltip)
                    .replace("%2", str(node.unread))
                )
            return node.tooltip
        if role == Qt.ItemDataRole.FontRole and (node.unread or node.folder is None):
            font = QFont()
            font.setBold(True)
            return font
        if role == ACCOUNT_ROLE:
            return node.account
        if role == FOLDER_ROLE:
            return node.folder
        if role == SPECIAL_USE_ROLE:
            return node.special.value if node.special else None
        return None

    def _icon(self, node: _Node) -> QIcon:
        key = node.special if node.folder is not None else None
        if key not in self._icons:
            if key is None:
                icon = themed_icon(
                    ("user-home", "folder-remote", "network-server"),
                    QStyle.StandardPixmap.SP_DriveNetIcon,
                )
            else:
                names, fallback = _ICONS[key]
                icon = themed_icon(names, fallback)
            self._icons[key] = icon
        return self._icons[key]


class FolderPane(QTreeView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("folderPane")
        self.setAccessibleName(self.tr("Accounts and folders"))
        self.folder_model = FolderModel(self)
        self.setModel(self.folder_model)
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.folder_model.modelReset.connect(self._after_reset)

    def set_accounts(self, accounts: list[Account]) -> None:
        self.folder_model.set_accounts(accounts)

    def _after_reset(self) -> None:
        self.expandAll()
        first = self.folder_model.index(0, 0)
        inbox = self.folder_model.index(0, 0, first)
        if inbox.isValid():
            self.setCurrentIndex(inbox)
