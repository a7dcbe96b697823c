"""The left pane: accounts and their folders (special-use folders first, with icons).

Each account shows the folders the store knows (after a sync): the special-use ones first in
the order people expect (Inbox, Drafts, Sent, Outbox, Delivery Reports, Junk, Trash, Archive),
then the others alphabetically, nested by the server's hierarchy. Before any sync it shows the
standard folders the account will have. Unread counts are shown in bold.
Imports: Qt, core, engine.api and ui.icons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QIcon
from PySide6.QtWidgets import QAbstractItemView, QStyle, QTreeView, QWidget

from mailapp.core.model import Account
from mailapp.engine.api import FolderRole, FolderRow
from mailapp.ui.icons import themed_icon
from mailapp.ui.message_list import dragged_messages

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
FOLDER_ID_ROLE = Qt.ItemDataRole.UserRole + 4  # the store's folder id; None before a sync
TOTAL_ROLE = Qt.ItemDataRole.UserRole + 5  # messages in the folder

_ROLE_USES = {
    FolderRole.INBOX: SpecialUse.INBOX,
    FolderRole.DRAFTS: SpecialUse.DRAFTS,
    FolderRole.SENT: SpecialUse.SENT,
    FolderRole.JUNK: SpecialUse.JUNK,
    FolderRole.TRASH: SpecialUse.TRASH,
    FolderRole.ARCHIVE: SpecialUse.ARCHIVE,
}


@dataclass(frozen=True, slots=True)
class FolderChoice:
    """What the person selected in the pane."""

    account: str
    folder: str | None  # None: the account row itself
    folder_id: int | None  # None: not in the store (not synced yet, or the local Outbox)
    special: SpecialUse | None
    total: int


@dataclass(slots=True)
class _Node:
    label: str
    account: str
    folder: str | None = None
    special: SpecialUse | None = None
    tooltip: str = ""
    unread: int = 0
    folder_id: int | None = None
    total: int = 0
    selectable: bool = True
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)

    def row(self) -> int:
        if self.parent is None:
            return 0
        return self.parent.children.index(self)

    def walk(self) -> list[_Node]:
        out: list[_Node] = []
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out

    def shape(self) -> tuple[object, ...]:
        """What decides the tree's structure (counts excluded), to update counts in place."""
        return tuple(
            (n.account, n.folder, n.folder_id, n.label, n.parent.folder if n.parent else None)
            for n in self.walk()
        )


# Special folders' usual English names on servers, shown translated (FolderModel).
_USUAL_NAMES = {
    SpecialUse.DRAFTS: "Drafts",
    SpecialUse.SENT: "Sent",
    SpecialUse.JUNK: "Junk",
    SpecialUse.TRASH: "Trash",
    SpecialUse.ARCHIVE: "Archive",
}


class FolderModel(QAbstractItemModel):
    """A two-level tree: accounts, then folders. One column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(label="", account="")
        self._icons: dict[SpecialUse | str | None, QIcon] = {}
        self._accounts: list[Account] = []
        self._folders: dict[str, list[FolderRow]] = {}

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
        """The accounts to show, each with the store's folders when set_folders gave any."""
        self._accounts = list(accounts)
        self._rebuild(force_reset=True)

    def set_folders(self, rows: Sequence[FolderRow]) -> None:
        """The store's folders of every account (counts included); updates in place when
        only counts changed, so selection and expansion stay as they are."""
        by_account: dict[str, list[FolderRow]] = {}
        for row in rows:
            by_account.setdefault(row.account, []).append(row)
        self._folders = by_account
        self._rebuild(force_reset=False)

    def _rebuild(self, *, force_reset: bool) -> None:
        root = _Node(label="", account="")
        for account in self._accounts:
            node = _Node(
                label=account.name,
                account=account.name,
                tooltip=f"{account.display_name} <{account.email}>",
                parent=root,
            )
            stored = self._folders.get(account.name)
            if stored:
                self._add_stored(node, account, stored)
            else:
                self._add_standard(node, account)
            root.children.append(node)
        if not force_reset and root.shape() == self._root.shape():
            old_nodes, new_nodes = self._root.walk(), root.walk()
            for old, new in zip(old_nodes, new_nodes, strict=True):
                if (old.unread, old.total, old.tooltip) != (new.unread, new.total, new.tooltip):
                    old.unread, old.total, old.tooltip = new.unread, new.total, new.tooltip
                    index = self.createIndex(old.row(), 0, old)
                    self.dataChanged.emit(index, index)
            return
        self.beginResetModel()
        self._root = root
        self.endResetModel()

    def _add_standard(self, node: _Node, account: Account) -> None:
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

    def _add_stored(self, node: _Node, account: Account, rows: list[FolderRow]) -> None:
        names = self.special_folder_names(account)
        special: dict[SpecialUse, _Node] = {}
        others: list[FolderRow] = []
        for row in rows:
            use = _ROLE_USES.get(row.role) if row.role is not None else None
            if row.name.upper() == "INBOX":
                use = SpecialUse.INBOX
            elif row.name == names[SpecialUse.REPORTS]:
                use = SpecialUse.REPORTS
            if use is None or use in special:
                others.append(row)
                continue
            # The server's own name, unless it is the usual English one: that one is shown
            # in the window's language ("Sent" -> "Gesendet"), as other mail programs do.
            usual = use is SpecialUse.INBOX or row.name == _USUAL_NAMES.get(use)
            label = names[use] if usual else row.name
            special[use] = self._folder_node(row, node, label, use)
        # The Outbox is local (mail waiting to be sent), not a server folder.
        special.setdefault(
            SpecialUse.OUTBOX,
            _Node(
                label=names[SpecialUse.OUTBOX],
                account=account.name,
                folder=names[SpecialUse.OUTBOX],
                special=SpecialUse.OUTBOX,
                tooltip=self.tr("Mail waiting to be sent"),
                parent=node,
            ),
        )
        node.children.extend(special[use] for use in SPECIAL_ORDER if use in special)
        # The rest alphabetically, nested by the hierarchy delimiter.
        by_path: dict[str, _Node] = {}
        for row in sorted(others, key=lambda r: r.name.casefold()):
            parts = row.name.split(row.delimiter) if row.delimiter else [row.name]
            parent = node
            for depth in range(1, len(parts)):
                path = (row.delimiter or "").join(parts[:depth])
                if path not in by_path:
                    holder = _Node(
                        label=parts[depth - 1],
                        account=account.name,
                        folder=path,
                        tooltip=path,
                        selectable=False,
                        parent=parent,
                    )
                    parent.children.append(holder)
                    by_path[path] = holder
                parent = by_path[path]
            existing = by_path.get(row.name)
            if existing is not None:  # a container listed after its children
                existing.folder_id, existing.selectable = row.id, row.selectable
                existing.unread, existing.total = row.unread, row.total
                continue
            child = self._folder_node(row, parent, parts[-1], None)
            parent.children.append(child)
            by_path[row.name] = child

    def _folder_node(
        self, row: FolderRow, parent: _Node, label: str, use: SpecialUse | None
    ) -> _Node:
        return _Node(
            label=label,
            account=row.account,
            folder=row.name,
            special=use,
            tooltip=row.name,
            unread=row.unread,
            folder_id=row.id,
            total=row.total,
            selectable=row.selectable,
            parent=parent,
        )

    def set_unread(self, account: str, folder: str, count: int) -> None:
        for acc_node in self._root.children:
            if acc_node.account != account:
                continue
            for child in acc_node.walk():
                if child.folder == folder and child.unread != count:
                    child.unread = count
                    index = self.createIndex(child.row(), 0, child)
                    self.dataChanged.emit(index, index)

    def folder_index(self, account: str, folder: str | None) -> QModelIndex:
        """The index of a folder (None: the account row); invalid when not shown."""
        for acc_node in self._root.children:
            if acc_node.account != account:
                continue
            if folder is None:
                return self.createIndex(acc_node.row(), 0, acc_node)
            for child in acc_node.walk():
                if child.folder == folder:
                    return self.createIndex(child.row(), 0, child)
        return QModelIndex()

    def choice(self, index: AnyIndex) -> FolderChoice | None:
        if not index.isValid():
            return None
        node = self._node(index)
        return FolderChoice(node.account, node.folder, node.folder_id, node.special, node.total)

    def stored_folder(
        self,
        *,
        account: str | None = None,
        folder_id: int | None = None,
        special: SpecialUse | None = None,
    ) -> FolderChoice | None:
        """A folder the store has (by id, or an account's folder of a special use)."""
        for node in self._root.walk():
            if node.folder is None or node.folder_id is None:
                continue
            if account is not None and node.account != account:
                continue
            if folder_id is not None and node.folder_id != folder_id:
                continue
            if special is not None and node.special is not special:
                continue
            return FolderChoice(node.account, node.folder, node.folder_id, node.special, node.total)
        return None

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
        if not self._node(index).selectable:
            return Qt.ItemFlag.ItemIsEnabled
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
            text = node.tooltip
            if node.folder_id is not None:
                text = (
                    self.tr("%1, %2 messages").replace("%1", text).replace("%2", f"{node.total:,}")
                )
            if node.unread:
                text = (
                    self.tr("%1, %2 unread").replace("%1", text).replace("%2", f"{node.unread:,}")
                )
            return text
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
        if role == FOLDER_ID_ROLE:
            return node.folder_id
        if role == TOTAL_ROLE:
            return node.total
        return None

    def _icon(self, node: _Node) -> QIcon:
        key: SpecialUse | str | None = node.special if node.folder is not None else None
        if node.folder is not None and node.special is None:
            key = "folder"
        if key not in self._icons:
            if key is None:
                icon = themed_icon(
                    ("user-home", "folder-remote", "network-server"),
                    QStyle.StandardPixmap.SP_DriveNetIcon,
                )
            elif key == "folder":
                icon = themed_icon(("folder",), QStyle.StandardPixmap.SP_DirIcon)
            else:
                assert isinstance(key, SpecialUse)
                names, fallback = _ICONS[key]
                icon = themed_icon(names, fallback)
            self._icons[key] = icon
        return self._icons[key]


class FolderPane(QTreeView):
    folder_selected = Signal(object)  # a FolderChoice, or None
    # Messages dropped on a folder: (list of message ids, the target FolderChoice).
    messages_dropped = Signal(object, object)

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
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self._wanted: tuple[str, str | None] | None = None
        self.folder_model.modelAboutToBeReset.connect(self._before_reset)
        self.folder_model.modelReset.connect(self._after_reset)
        self.selectionModel().currentChanged.connect(self._current_changed)

    def set_accounts(self, accounts: list[Account]) -> None:
        self.folder_model.set_accounts(accounts)

    def set_folders(self, rows: Sequence[FolderRow]) -> None:
        self.folder_model.set_folders(rows)

    @property
    def current_choice(self) -> FolderChoice | None:
        return self.folder_model.choice(self.currentIndex())

    def select_folder(self, account: str, folder: str | None) -> bool:
        index = self.folder_model.folder_index(account, folder)
        if index.isValid():
            self.setCurrentIndex(index)
        return index.isValid()

    def _before_reset(self) -> None:
        choice = self.current_choice
        self._wanted = (choice.account, choice.folder) if choice is not None else None

    def _after_reset(self) -> None:
        self.expandAll()
        wanted, self._wanted = self._wanted, None
        if wanted is not None and self.select_folder(*wanted):
            return
        first = self.folder_model.index(0, 0)
        inbox = self.folder_model.index(0, 0, first)
        if inbox.isValid():
            self.setCurrentIndex(inbox)
        else:
            self.folder_selected.emit(None)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.folder_selected.emit(self.folder_model.choice(current))

    # -- messages dropped from the list ---------------------------------------------------

    def drop_target(
        self, mime: QMimeData | None, position: QPoint
    ) -> tuple[list[int], FolderChoice] | None:
        """Where dragged messages would go: a stored folder of the same account, not the one
        they are in; None when the drop is not possible there."""
        dragged = dragged_messages(mime)
        if dragged is None:
            return None
        source_id, ids = dragged
        source = self.folder_model.stored_folder(folder_id=source_id)
        index = self.indexAt(position)
        target = self.folder_model.choice(index)
        if (
            source is None
            or target is None
            or target.folder is None
            or target.folder_id is None
            or target.folder_id == source_id
            or target.account != source.account
            or not (self.folder_model.flags(index) & Qt.ItemFlag.ItemIsSelectable)
        ):
            return None
        return ids, target

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dragged_messages(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.drop_target(event.mimeData(), event.position().toPoint()) is not None:
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        found = self.drop_target(event.mimeData(), event.position().toPoint())
        if found is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.messages_dropped.emit(*found)
