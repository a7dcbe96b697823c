"""The message list: a lazy table model over the store, the view showing it, the search field.

The model follows Trojitá's lesson: rows are skeletons (every id of the folder in list order,
read in one indexed query), and the row data is read in windows of WINDOW rows around what
the view asks for, kept in a bounded LRU cache; a 100,000-message folder opens at once and
memory stays flat however far one scrolls. A window read takes about a millisecond, so it
runs on the GUI thread; the id query of a big folder (tens of ms) runs in a worker thread
when an asyncio loop is running. Sorting re-reads the ids in the new order from the store's
indexes. Search results replace the rows until the search is cleared; with the "All folders"
scope (SearchScope beside the field) they come from every folder of every account and the
Folder column says where each one is.
Imports: Qt, core and engine.api.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QLocale,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QTableView,
    QWidget,
)

from mailapp.core.errors import MailAppError
from mailapp.engine.api import Engine, MessageFlag, MessageRow, SortKey

AnyIndex = QModelIndex | QPersistentModelIndex

WINDOW = 200  # rows read per store query
CACHE_ROWS = 4000  # rows kept (20 windows); older ones are read again when needed
# Folders bigger than this have their ids read in a worker thread (when a loop runs).
THREAD_THRESHOLD = 5000

MESSAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
# Computed once: flags() is called for many rows, and enum arithmetic is slow in Python.
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemNeverHasChildren
    | Qt.ItemFlag.ItemIsDragEnabled
)
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_TEXT, _FONT, _ICON, _TIP, _SPOKEN, _ALIGN, _ID = range(7)
# Plain ints: comparing Qt's enums in Python costs a call each time.
_ROLE_KIND = {
    int(Qt.ItemDataRole.DisplayRole.value): _TEXT,
    int(Qt.ItemDataRole.FontRole.value): _FONT,
    int(Qt.ItemDataRole.DecorationRole.value): _ICON,
    int(Qt.ItemDataRole.ToolTipRole.value): _TIP,
    int(Qt.ItemDataRole.AccessibleTextRole.value): _SPOKEN,
    int(Qt.ItemDataRole.TextAlignmentRole.value): _ALIGN,
    int(MESSAGE_ID_ROLE): _ID,
}
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)

# Messages dragged from the list onto a folder: {"folder_id": n, "ids": [...]} as JSON.
MESSAGES_MIME = "application/x-mailapp-messages"


def messages_mime(folder_id: int, ids: Sequence[int]) -> QMimeData:
    """The drag payload of messages of one folder."""
    mime = QMimeData()
    payload = json.dumps({"folder_id": folder_id, "ids": [int(i) for i in ids]})
    mime.setData(MESSAGES_MIME, payload.encode("ascii"))
    return mime


def dragged_messages(mime: QMimeData | None) -> tuple[int, list[int]] | None:
    """(source folder id, message ids) of a drag from the list; None for anything else."""
    if mime is None or not mime.hasFormat(MESSAGES_MIME):
        return None
    try:
        payload = json.loads(bytes(mime.data(MESSAGES_MIME).data()).decode("ascii"))
        folder_id = int(payload["folder_id"])
        ids = [int(i) for i in payload["ids"]]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return (folder_id, ids) if ids else None


class Column(IntEnum):
    SUBJECT = 0
    FROM = 1
    DATE = 2
    SIZE = 3
    DELIVERY = 4


# Where a message is: shown for "All folders" search results only (after the Column members,
# so saved column layouts and the sortable columns stay as they were).
FOLDER_COLUMN = len(Column)


_COLUMNS = len(Column) + 1
_SIZE_COLUMN = int(Column.SIZE)
_DELIVERY_COLUMN = int(Column.DELIVERY)


@dataclass(slots=True)
class _Shown:
    message: MessageRow
    display: tuple[str | None, ...]  # per column
    font: QFont | None  # bold when unread
    icon: QIcon | None  # star and paper clip


_SORT_KEYS = {
    Column.SUBJECT: SortKey.SUBJECT,
    Column.FROM: SortKey.SENDER,
    Column.DATE: SortKey.DATE,
    Column.SIZE: SortKey.SIZE,
}


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop running now (qasync's, inside the app), else None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    for unit in ("KB", "MB", "GB"):
        size_f = size / 1000
        if size_f < 1000 or unit == "GB":
            return f"{size_f:.0f} {unit}" if size_f >= 10 else f"{size_f:.1f} {unit}"
        size = int(size_f)
    return f"{size} GB"


def _draw_star(painter: QPainter, box: QRectF, colour: QColor) -> None:
    centre = box.center()
    outer, inner = box.width() / 2, box.width() / 4.6
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append(
            QPointF(centre.x() + radius * math.cos(angle), centre.y() + radius * math.sin(angle))
        )
    painter.setPen(QPen(colour.darker(140), box.width() / 14))
    painter.setBrush(colour)
    painter.drawPolygon(QPolygonF(points))


def _draw_clip(painter: QPainter, box: QRectF, colour: QColor) -> None:
    # A paper clip: two nested rounded loops drawn as one open path, tilted.
    w = box.width()
    painter.save()
    painter.translate(box.center())
    painter.rotate(35)
    path = QPainterPath()
    path.moveTo(w * 0.12, w * 0.18)
    path.lineTo(w * 0.12, -w * 0.28)
    path.arcTo(QRectF(-w * 0.12, -w * 0.40, w * 0.24, w * 0.24), 0, 180)
    path.lineTo(-w * 0.12, w * 0.30)
    path.arcTo(QRectF(-w * 0.12, w * 0.18, w * 0.32, w * 0.26), 180, 180)
    path.lineTo(w * 0.20, -w * 0.12)
    pen = QPen(colour, w / 11)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.restore()


class _Decorations:
    """Subject-column icons: a star slot and a paper-clip slot, so subjects stay aligned."""

    SIZE = QSize(34, 16)

    def __init__(self) -> None:
        self._icons: dict[tuple[bool, bool], QIcon] = {}

    def icon(self, flagged: bool, attachment: bool) -> QIcon | None:
        if QGuiApplication.instance() is None:
            return None  # no pixmaps without an application (a model used on its own)
        key = (flagged, attachment)
        if key not in self._icons:
            self._icons[key] = self._draw(flagged, attachment)
        return self._icons[key]

    def _draw(self, flagged: bool, attachment: bool) -> QIcon:
        scale = 2  # drawn at twice the size: crisp on high-DPI screens
        pixmap = QPixmap(self.SIZE * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        pixmap.setDevicePixelRatio(scale)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if flagged:
            _draw_star(painter, QRectF(1, 1, 14, 14), QColor("#f5b400"))
        if attachment:
            text = QGuiApplication.palette().text().color()
            _draw_clip(painter, QRectF(18, 1, 14, 14), text)
        painter.end()
        return QIcon(pixmap)


class MessageListModel(QAbstractTableModel):
    """Rows are the messages of one folder (or a search's results); columns are `Column`."""

    loaded = Signal()  # ids (re)read: a folder shown, a sort, a search
    load_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, engine: Engine | None = None) -> None:
        super().__init__(parent)
        self._titles = {
            Column.SUBJECT: self.tr("Subject"),
            Column.FROM: self.tr("From"),
            Column.DATE: self.tr("Date"),
            Column.SIZE: self.tr("Size"),
            Column.DELIVERY: self.tr("Delivery"),
        }
        self._folder_title = self.tr("Folder")
        self.engine = engine
        self.folder_id: int | None = None
        self.sort_key = SortKey.DATE
        self.descending = True
        self.search_query: str | None = None
        # "All folders" search: results from every folder of every account.
        self.all_folders = False
        self.folder_names: dict[int, str] = {}  # folder id -> "Account / Folder"
        self._ids: list[int] = []
        self._positions: dict[int, int] | None = None  # id -> row, built when asked
        self._cache: OrderedDict[int, _Shown] = OrderedDict()
        self._generation = 0
        self.pending: asyncio.Task[Any] | None = None
        # Window starts read since the last reset (tests and the benchmark look at it).
        self.fetched_windows: list[int] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self._decorations = _Decorations()
        self._locale = QLocale()
        # Set by the delivery view for Sent folders: row -> (icon or None, words) or None.
        self.delivery: Callable[[MessageRow], tuple[QIcon | None, str] | None] | None = None

    # -- what is shown ------------------------------------------------------------------------

    def show_folder(self, folder_id: int | None) -> None:
        """Show a folder's messages (None: nothing). Reads in a thread when a loop runs
        and the folder is big; `loaded` is emitted when the rows are there."""
        self.search_query = None
        self.folder_id = folder_id
        self.reload()

    def reload(self, *, expected: int | None = None) -> None:
        """Read the ids again (after a sync, a sort, a change elsewhere)."""
        self._generation += 1
        generation = self._generation
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        self.pending = None
        searching_all = self.all_folders and self.search_query is not None
        if self.engine is None or (self.folder_id is None and not searching_all):
            self._set_ids([], {})
            return
        if self.search_query is not None:
            self._start(self._search(self.search_query, generation))
            return
        loop = running_loop()
        big = expected is None or expected > THREAD_THRESHOLD
        if loop is not None and big:
            self.pending = loop.create_task(self._read_ids_in_thread(generation))
            return
        try:
            ids = self.engine.message_ids(self.folder_id, self.sort_key, self.descending)
        except MailAppError as exc:
            self.load_failed.emit(str(exc))
            ids = []
        self._set_ids(ids, {})

    async def _read_ids_in_thread(self, generation: int) -> None:
        assert self.engine is not None
        folder_id = self.folder_id
        if folder_id is None:
            return
        try:
            ids = await asyncio.to_thread(
                self.engine.message_ids, folder_id, self.sort_key, self.descending
            )
        except MailAppError as exc:
            if generation == self._generation:
                self.load_failed.emit(str(exc))
            return
        if generation == self._generation:
            self._set_ids(ids, {})

    def search(self, query: str) -> None:
        """Replace the rows by the folder's (with all_folders: every folder's) messages
        matching `query` ("" clears)."""
        query = query.strip()
        if not query:
            if self.search_query is not None:
                self.search_query = None
                self.reload()
            return
        self.search_query = query
        self._generation += 1
        self._start(self._search(query, self._generation))

    def _start(self, coro: Any) -> None:
        loop = running_loop()
        if loop is None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(coro)
            finally:
                loop.close()
            return
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        self.pending = loop.create_task(coro)

    async def _search(self, query: str, generation: int) -> None:
        assert self.engine is not None
        try:
            if self.all_folders:
                rows = await self.engine.search_all_folders(query)
            else:
                rows = await self.engine.search_messages(query, folder_id=self.folder_id)
        except MailAppError as exc:
            if generation == self._generation:
                self.load_failed.emit(str(exc))
            return
        if generation != self._generation:
            return
        rows = self._sorted_rows(rows)
        self._set_ids([r.id for r in rows], {r.id: self._prepare(r) for r in rows})

    def _sorted_rows(self, rows: list[MessageRow]) -> list[MessageRow]:
        keys: dict[SortKey, Callable[[MessageRow], Any]] = {
            SortKey.DATE: lambda r: (r.date, r.id),
            SortKey.SENDER: lambda r: ((r.from_name or r.from_addr).casefold(), r.id),
            SortKey.SUBJECT: lambda r: (r.subject.casefold(), r.id),
            SortKey.SIZE: lambda r: (r.size, r.id),
        }
        return sorted(rows, key=keys[self.sort_key], reverse=self.descending)

    def _set_ids(self, ids: list[int], rows: dict[int, _Shown]) -> None:
        self.beginResetModel()
        self._ids = ids
        self._positions = None
        self._cache = OrderedDict(rows)
        self.fetched_windows = []
        self.endResetModel()
        self.loaded.emit()

    # -- rows -----------------------------------------------------------------------------------

    def message_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, message_id: int) -> int:
        """The row showing the message, -1 when it is not in the list."""
        if self._positions is None:
            self._positions = {mid: row for row, mid in enumerate(self._ids)}
        return self._positions.get(message_id, -1)

    def message(self, row: int) -> MessageRow | None:
        """The row's data, reading its window from the store when it is not cached."""
        shown = self._shown(row)
        return shown.message if shown is not None else None

    def _shown(self, row: int) -> _Shown | None:
        ids = self._ids
        if not 0 <= row < len(ids):
            return None
        mid = ids[row]
        cache = self._cache
        found = cache.get(mid)
        if found is not None:
            cache.move_to_end(mid)
            return found
        if self.engine is None:
            return None
        start = row - row % WINDOW
        self.fetched_windows.append(start)
        try:
            rows = self.engine.message_rows(ids[start : start + WINDOW])
        except MailAppError:
            return None
        today = QDate.currentDate()
        for r in rows:
            cache[r.id] = self._prepare(r, today)
        while len(cache) > CACHE_ROWS:
            cache.popitem(last=False)
        return cache.get(mid)

    def _prepare(self, message: MessageRow, today: QDate | None = None) -> _Shown:
        """What painting a row needs, computed once per row read (data() runs ~1,000 times
        per page scrolled, so it must be a lookup)."""
        display: tuple[str | None, ...] = (
            message.subject or self.tr("(no subject)"),
            message.from_name or message.from_addr,
            self._date_text(message, today or QDate.currentDate()),
            human_size(message.size),
            None,
            self.folder_names.get(message.folder_id, ""),
        )
        icon = self._decorations.icon(MessageFlag.FLAGGED in message.flags, message.has_attachment)
        return _Shown(message, display, self._bold if message.unread else None, icon)

    def refresh_messages(self, ids: Sequence[int]) -> None:
        """Read these rows again (their flags changed) and repaint them."""
        if self.engine is None:
            return
        fresh = {r.id: r for r in self.engine.message_rows(list(ids))}
        for mid in ids:
            row = self.row_of(mid)
            if row < 0:
                continue
            if mid in fresh:
                self._cache[mid] = self._prepare(fresh[mid])
            else:
                self._cache.pop(mid, None)
            self.dataChanged.emit(self.index(row, 0), self.index(row, _COLUMNS - 1))

    def remove_messages(self, ids: Sequence[int]) -> None:
        """Take rows out (deleted or moved away) without re-reading the folder."""
        rows = sorted({r for mid in ids if (r := self.row_of(mid)) >= 0}, reverse=True)
        for row in rows:
            self.beginRemoveRows(QModelIndex(), row, row)
            mid = self._ids.pop(row)
            self._cache.pop(mid, None)
            self._positions = None
            self.endRemoveRows()

    # -- Qt model interface ---------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def mimeTypes(self) -> list[str]:
        return [MESSAGES_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData | None:  # type: ignore[override]
        """Dragged rows: their message ids and this folder (the pane moves them on drop)."""
        rows = sorted({i.row() for i in indexes if i.isValid()})
        ids = [mid for r in rows if (mid := self.message_id(r)) is not None]
        if self.folder_id is None or not ids or (self.all_folders and self.search_query):
            return None  # results of several folders have no one folder to move from
        return messages_mime(self.folder_id, ids)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMNS

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        kind = _ROLE_KIND.get(role)
        if kind is None:
            return None
        row, column = index.row(), index.column()
        if kind == _ALIGN:
            return _RIGHT if column == _SIZE_COLUMN else None
        if kind == _ID:
            return self._ids[row] if 0 <= row < len(self._ids) else None
        shown = self._shown(row)
        if shown is None:
            return "…" if kind == _TEXT and column == 0 else None
        if column == _DELIVERY_COLUMN and kind in (_TEXT, _ICON):
            if self.delivery is None:
                return None
            state = self.delivery(shown.message)
            if state is None:
                return None
            return state[1] if kind == _TEXT else state[0]
        if kind == _TEXT:
            return shown.display[column]
        if kind == _FONT:
            return shown.font
        if kind == _ICON:
            return shown.icon if column == 0 else None
        if kind == _TIP:
            if column == FOLDER_COLUMN:
                return shown.display[column] or None
            return self._tooltip(shown.message, Column(column))
        if kind == _SPOKEN:
            return self._spoken_subject(shown.message) if column == 0 else shown.display[column]
        return None

    def _tooltip(self, message: MessageRow, column: Column) -> str | None:
        if column == Column.FROM:
            if message.from_name and message.from_addr:
                return f"{message.from_name} <{message.from_addr}>"
            return message.from_addr or None
        if column == Column.SUBJECT:
            return self._spoken_subject(message)
        if column == Column.SIZE:
            return self.tr("%1 bytes").replace("%1", self._locale.toString(message.size))
        return None

    def _spoken_subject(self, message: MessageRow) -> str:
        parts = [message.subject or self.tr("(no subject)")]
        if message.unread:
            parts.append(self.tr("unread"))
        if MessageFlag.FLAGGED in message.flags:
            parts.append(self.tr("starred"))
        if message.has_attachment:
            parts.append(self.tr("has attachments"))
        return ", ".join(parts)

    def _date_text(self, message: MessageRow, today: QDate) -> str:
        moment = QDateTime.fromSecsSinceEpoch(int(message.date.timestamp()))
        short = QLocale.FormatType.ShortFormat
        if moment.date() == today:
            return self._locale.toString(moment.time(), short)
        return self._locale.toString(moment, short)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < _COLUMNS:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if section == FOLDER_COLUMN:
                return self._folder_title
            return self._titles[Column(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Column.SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = _SORT_KEYS.get(Column(column)) if 0 <= column < len(Column) else None
        if key is None:
            return  # the Delivery column has no stored order
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending):
            return
        self.sort_key, self.descending = key, descending
        if self.folder_id is not None or self.search_query is not None:
            self.reload(expected=len(self._ids))


class SearchField(QLineEdit):
    """The quick search over the shown folder; Esc clears it and gives the list back."""

    search_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchField")
        self.setAccessibleName(self.tr("Search messages"))
        self.setPlaceholderText(self.tr("Search  (from:  subject:  has:attachment …)"))
        self.setToolTip(
            self.tr(
                "Words search subject, people and text. Also from:, to:, subject:, "
                "before:2024-05-01, after:, has:attachment, is:unread, is:starred. "
                "Esc clears."
            )
        )
        self.setClearButtonEnabled(True)
        # Wide enough for the whole hint in any language, plus the clear button.
        hint = self.fontMetrics().horizontalAdvance(self.placeholderText())
        self.setMinimumWidth(max(260, hint + 48))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)  # typing pauses before the store is asked
        self._timer.timeout.connect(self._emit)
        self.textEdited.connect(lambda _text: self._timer.start())
        self.returnPressed.connect(self._emit)
        # The clear button changes the text without textEdited.
        self.textChanged.connect(self._cleared)

    def _emit(self) -> None:
        self._timer.stop()
        self.search_requested.emit(self.text())

    def _cleared(self, text: str) -> None:
        if not text:
            self._emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class SearchScope(QComboBox):
    """Where the search field looks: the shown folder, or every folder of every account."""

    THIS_FOLDER, ALL_FOLDERS = "folder", "all"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchScope")
        self.setAccessibleName(self.tr("Search in"))
        self.setToolTip(self.tr("Search the shown folder, or all folders of all accounts"))
        self.addItem(self.tr("This folder"), self.THIS_FOLDER)
        self.addItem(self.tr("All folders"), self.ALL_FOLDERS)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    @property
    def all_folders(self) -> bool:
        return bool(self.currentData() == self.ALL_FOLDERS)

    def set_all_folders(self, value: bool) -> None:
        self.setCurrentIndex(1 if value else 0)


class MessageListView(QTableView):
    """A flat list with sortable, movable, resizable columns (their state is remembered).

    A table view, not a tree: QTreeView lays out every row of the model on each reset (three
    Python calls per row, about a second for 100,000 rows), a table view only the visible ones.
    """

    message_selected = Signal(object)  # the current message id, or None

    def __init__(self, parent: QWidget | None = None, engine: Engine | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageList")
        self.setAccessibleName(self.tr("Message list"))
        self.message_model = MessageListModel(self, engine)
        self.setModel(self.message_model)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setIconSize(_Decorations.SIZE)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(max(self.fontMetrics().height(), _Decorations.SIZE.height()) + 8)
        self.setSortingEnabled(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Messages are dragged onto a folder of the pane to move them there.
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        header = self.header()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        header.setSectionResizeMode(Column.SUBJECT, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(Column.DATE, Qt.SortOrder.DescendingOrder)
        header.resizeSection(Column.FROM, 200)
        header.resizeSection(Column.DATE, 140)
        header.resizeSection(Column.SIZE, 70)
        header.resizeSection(Column.DELIVERY, 130)
        header.resizeSection(FOLDER_COLUMN, 160)
        self.setColumnHidden(FOLDER_COLUMN, True)
        self.empty_text = self.tr("No messages")
        self._current_id: int | None = None
        self.message_model.modelAboutToBeReset.connect(self._remember_current)
        self.message_model.modelReset.connect(self._restore_current)
        self.selectionModel().currentRowChanged.connect(self._current_changed)

    def header(self) -> QHeaderView:
        """The column header (the name a tree view gives it; the window saves its state)."""
        return self.horizontalHeader()

    def set_engine(self, engine: Engine) -> None:
        self.message_model.engine = engine

    @property
    def current_message_id(self) -> int | None:
        index = self.currentIndex()
        return self.message_model.message_id(index.row()) if index.isValid() else None

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        ids = [mid for r in rows if (mid := self.message_model.message_id(r)) is not None]
        if not ids and self.current_message_id is not None:
            ids = [self.current_message_id]
        return ids

    def select_message(self, message_id: int) -> bool:
        row = self.message_model.row_of(message_id)
        if row < 0:
            return False
        index = self.message_model.index(row, 0)
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def _remember_current(self) -> None:
        self._current_id = self.current_message_id

    def _restore_current(self) -> None:
        wanted, self._current_id = self._current_id, None
        if wanted is not None and self.select_message(wanted):
            return
        self.message_selected.emit(None)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        mid = self.message_model.message_id(current.row()) if current.isValid() else None
        self.message_selected.emit(mid)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.message_model.rowCount() == 0 and self.empty_text:
            painter = QPainter(self.viewport())
            colour = self.palette().color(
                self.palette().ColorGroup.Disabled, self.palette().ColorRole.Text
            )
            painter.setPen(colour)
            painter.drawText(
                self.viewport().rect().adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignHCenter
                | Qt.AlignmentFlag.AlignTop
                | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()
