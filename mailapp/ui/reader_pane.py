"""The reader pane: the selected message (headers, attachments, safe body), or a placeholder.

The body is shown by MessageBrowser, which runs no scripts and fetches nothing by itself.
Remote images stay blocked until the person chooses "Load once" or "Always for <sender>"
(remembered in the window settings, per address; the account option load_remote_content
allows them for a whole account); the engine then fetches them over https only. A message
shown for MARK_READ_DELAY_MS is marked read. Imports: Qt, core, engine.api and ui modules.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QLocale, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QHideEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.errors import MailAppError
from mailapp.engine.api import AttachmentInfo, Engine, LinkWarning, ReadableMessage
from mailapp.ui.attachment_bar import AttachmentBar
from mailapp.ui.background_task import BackgroundTask, Done, failure
from mailapp.ui.message_browser import MessageBrowser
from mailapp.ui.remote_content_bar import RemoteContentBar

MARK_READ_DELAY_MS = 1500
REMOTE_SENDERS_KEY = "reader/remoteImageSenders"
# Opened by a double-click only after a save: types a desktop may run instead of showing.
RISKY_SUFFIXES = frozenset(
    {
        *(".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".ps1", ".vbs"),
        *(".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta", ".cpl", ".jar", ".sh", ".bash"),
        *(".desktop", ".appimage", ".run", ".bin", ".command", ".app", ".pkg", ".dmg"),
        *(".lnk", ".url", ".reg", ".inf", ".iso", ".py", ".pl", ".rb", ".deb", ".rpm"),
    }
)


def start_task(task: BackgroundTask, coro: Coroutine[Any, Any, Any], done: Done) -> bool:
    """Start `coro` on the window's loop; False (and the coroutine closed) when no loop can
    take it any more (the window outlived its loop, as in a test's teardown)."""
    try:
        task.start(coro, done)
    except RuntimeError:
        coro.close()
        return False
    return True


class _Headers(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readerHeaders")
        self.subject = QLabel(self)
        self.subject.setObjectName("readerSubject")
        self.subject.setWordWrap(True)
        self.subject.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.subject.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.subject.setFont(font)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(2)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.fields: dict[str, QLabel] = {}
        self._captions: dict[str, QLabel] = {}
        for key, caption in (
            ("from", self.tr("From")),
            ("to", self.tr("To")),
            ("cc", self.tr("Cc")),
            ("date", self.tr("Date")),
        ):
            label = QLabel(self)
            label.setObjectName(f"readerHeader_{key}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            caption_label = QLabel(caption, self)
            caption_label.setEnabled(False)  # muted, like a form caption
            form.addRow(caption_label, label)
            self.fields[key] = label
            self._captions[key] = caption_label
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.setSpacing(4)
        layout.addWidget(self.subject)
        layout.addLayout(form)

    def show_message(self, message: ReadableMessage) -> None:
        self.subject.setText(message.subject or self.tr("(no subject)"))
        self.subject.setAccessibleName(self.subject.text())
        values = {
            "from": ", ".join(message.from_),
            "to": ", ".join(message.to),
            "cc": ", ".join(message.cc),
            "date": self._date(message),
        }
        for key, value in values.items():
            self.fields[key].setText(value)
            self.fields[key].setAccessibleName(f"{self._captions[key].text()}: {value}")
            visible = bool(value) or key in ("from", "date")
            self.fields[key].setVisible(visible)
            self._captions[key].setVisible(visible)

    def _date(self, message: ReadableMessage) -> str:
        if message.date is None:
            return ""
        moment = QDateTime.fromSecsSinceEpoch(int(message.date.timestamp()))
        locale = QLocale()
        # The long date and the short time: seconds and the zone name are noise here.
        day = locale.toString(moment.date(), QLocale.FormatType.LongFormat)
        return f"{day}, {locale.toString(moment.time(), QLocale.FormatType.ShortFormat)}"


class ReaderPane(QStackedWidget):
    message_changed = Signal(int)  # flags of this message changed (marked read)
    link_hovered = Signal(str)
    error = Signal(str)
    status = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        engine: Engine | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("readerPane")
        self.setAccessibleName(self.tr("Message reader"))
        self.engine = engine
        self.settings = settings
        self.mark_read_delay_ms = MARK_READ_DELAY_MS
        self.message: ReadableMessage | None = None
        self.remote_images: dict[str, bytes] = {}
        self.task = BackgroundTask("Opening a message")
        # One task per kind of work: starting one cancels only its own kind.
        self.remote_task = BackgroundTask("Loading remote images")
        self.mark_task = BackgroundTask("Marking a message read")
        self.file_task = BackgroundTask("Saving an attachment")
        self.last_saved: list[Path] = []
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        self._dialog: QFileDialog | None = None
        self._confirm: QMessageBox | None = None

        self.placeholder = QLabel(self.tr("No message selected"), self)
        self.placeholder.setObjectName("readerPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)  # drawn in the palette's disabled (muted) colour
        self.placeholder.setAccessibleName(self.tr("No message selected"))

        self.page = QWidget(self)
        self.page.setObjectName("readerPage")
        self.headers = _Headers(self.page)
        self.link_warning = QLabel(self.page)
        self.link_warning.setObjectName("readerLinkWarning")
        self.link_warning.setWordWrap(True)
        self.link_warning.setTextFormat(Qt.TextFormat.PlainText)
        self.link_warning.hide()
        self.remote_bar = RemoteContentBar(self.page)
        self.remote_bar.load_once.connect(self.load_remote_once)
        self.remote_bar.always_allow.connect(self.always_allow)
        self.attachments = AttachmentBar(self.page)
        self.attachments.open_requested.connect(self.open_attachment)
        self.attachments.save_requested.connect(self.ask_save_attachment)
        self.attachments.save_all_requested.connect(self.ask_save_all)
        self.browser = MessageBrowser(self.page)
        self.browser.link_hovered.connect(self.link_hovered)
        self.browser.link_activated.connect(self._link_activated)
        layout = QVBoxLayout(self.page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.headers)
        for widget in (self.link_warning, self.remote_bar, self.attachments):
            row = QVBoxLayout()
            row.setContentsMargins(8, 0, 8, 0)
            row.addWidget(widget)
            layout.addLayout(row)
        layout.addWidget(self.browser, 1)

        self._mark_timer = QTimer(self)
        self._mark_timer.setSingleShot(True)
        self._mark_timer.timeout.connect(self._mark_read)
        self.addWidget(self.placeholder)
        self.addWidget(self.page)
        self.show_placeholder()

    # -- what is shown ----------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:
        # Only a message that stays in view counts as read (F8, a closed window: not read).
        self._mark_timer.stop()
        super().hideEvent(event)

    def show_placeholder(self, text: str | None = None) -> None:
        self._mark_timer.stop()
        self.task.cancel()
        self.message = None
        self.placeholder.setText(text or self.tr("No message selected"))
        self.browser.show_text("")
        self.setCurrentWidget(self.placeholder)

    def show_plain_text(self, text: str) -> None:
        self.browser.show_text(text)
        self.setCurrentWidget(self.page)

    def open_message(self, message_id: int | None) -> None:
        """Show a message (read, and fetched when only its headers are stored)."""
        if message_id is None or self.engine is None:
            self.show_placeholder()
            return
        if self.message is not None and self.message.id == message_id:
            return
        self._mark_timer.stop()
        start_task(self.task, self.load(message_id), self._loaded)

    async def load(self, message_id: int) -> ReadableMessage:
        assert self.engine is not None
        message = await self.engine.open_message(message_id)
        images: dict[str, bytes] = {}
        if message.blocked_remote and self._remote_allowed(message):
            message = await self.engine.open_message(message_id, allow_remote=True)
            images = await self.engine.fetch_remote_images(message.remote_images)
        self.display(message, images)
        return message

    def _loaded(self, task: asyncio.Task[Any]) -> None:
        exc = failure(task)
        if exc is not None:
            self.show_placeholder(str(exc) if isinstance(exc, MailAppError) else None)
            if isinstance(exc, MailAppError):
                self.error.emit(str(exc))

    def display(
        self, message: ReadableMessage, remote_images: dict[str, bytes] | None = None
    ) -> None:
        self.message = message
        self.remote_images = dict(remote_images or {})
        self.headers.show_message(message)
        self._show_link_warnings(message.link_warnings)
        if message.blocked_remote:
            self.remote_bar.show_blocked(
                message.blocked_remote, message.remote_hosts, message.sender_address
            )
        elif message.remote_allowed:
            self._show_remote_result(message)
        else:
            self.remote_bar.hide()
        self.attachments.set_attachments(message.listed_attachments)
        # A message shown from the outbox's copy (id 0) is not in the store yet: its parts
        # can be saved once the Sent copy is synced.
        stored = message.id != 0
        self.attachments.setEnabled(stored)
        self.attachments.setToolTip(
            "" if stored else self.tr("The attachments can be saved once the Sent copy is synced.")
        )
        self.browser.show_message(message, self.remote_images)
        self.setCurrentWidget(self.page)
        if message.unread and self.engine is not None:
            self._mark_timer.start(self.mark_read_delay_ms)

    def _show_link_warnings(self, warnings: tuple[LinkWarning, ...]) -> None:
        if not warnings:
            self.link_warning.hide()
            return
        first = warnings[0]
        shown = first.text if len(first.text) <= 60 else first.text[:59] + "…"
        text = (
            self.tr("⚠ A link shows “%1” but leads to %2. Check before you click.")
            .replace("%1", shown)
            .replace("%2", first.target)
        )
        if len(warnings) > 1:
            text += " " + self.tr("(%1 such links)").replace("%1", str(len(warnings)))
        self.link_warning.setText(text)
        self.link_warning.setAccessibleName(text)
        self.link_warning.show()

    def _show_remote_result(self, message: ReadableMessage) -> None:
        plain = sum(1 for u in message.remote_images if u.lower().startswith("http://"))
        missing = sum(1 for u in message.remote_images if u not in self.remote_images)
        self.remote_bar.show_result(missing, plain)

    # -- remote images ----------------------------------------------------------------------

    def _remote_senders(self) -> list[str]:
        if self.settings is None:
            return []
        value = self.settings.value(REMOTE_SENDERS_KEY, [])
        if isinstance(value, str):  # QSettings' INI format gives a one-item list as a string
            value = [value]
        if not isinstance(value, list):
            return []
        return [str(v).lower() for v in value]

    def _remote_allowed(self, message: ReadableMessage) -> bool:
        if message.sender_address and message.sender_address in self._remote_senders():
            return True
        if self.engine is None or not message.account:
            return False
        try:
            return self.engine.get_account(message.account).options.load_remote_content
        except MailAppError:
            return False

    def load_remote_once(self) -> None:
        if self.message is None or self.engine is None:
            return
        self.remote_bar.show_loading()
        start_task(self.remote_task, self._load_remote(self.message.id), self._side_done)

    async def _load_remote(self, message_id: int) -> None:
        assert self.engine is not None
        message = await self.engine.open_message(message_id, allow_remote=True)
        images = await self.engine.fetch_remote_images(message.remote_images)
        if self.message is not None and self.message.id == message_id:
            self._mark_timer.stop()  # already running or done; display restarts it if unread
            self.display(message, images)

    def always_allow(self, sender: str) -> None:
        if self.settings is not None and sender:
            senders = self._remote_senders()
            if sender.lower() not in senders:
                self.settings.setValue(REMOTE_SENDERS_KEY, [*senders, sender.lower()])
                self.settings.sync()
        self.load_remote_once()

    # -- marking read -----------------------------------------------------------------------

    def _mark_read(self) -> None:
        if self.message is None or self.engine is None or not self.message.unread:
            return
        start_task(self.mark_task, self._set_read(self.message.id), self._side_done)

    async def _set_read(self, message_id: int) -> None:
        assert self.engine is not None
        await self.engine.set_read([message_id], True)
        self.message_changed.emit(message_id)

    def _side_done(self, task: asyncio.Task[Any]) -> None:
        exc = failure(task)
        if isinstance(exc, MailAppError):
            self.error.emit(str(exc))

    # -- attachments ------------------------------------------------------------------------

    async def save_attachment(
        self, attachment: AttachmentInfo, directory: str | Path, filename: str | None = None
    ) -> Path:
        assert self.engine is not None and self.message is not None
        path = await self.engine.save_attachment(
            self.message.id, attachment.part, directory, filename
        )
        self.last_saved = [path]
        return path

    async def save_all(self, directory: str | Path) -> list[Path]:
        assert self.engine is not None and self.message is not None
        paths = [
            await self.engine.save_attachment(self.message.id, a.part, directory)
            for a in self.message.listed_attachments
        ]
        self.last_saved = paths
        return paths

    def ask_save_attachment(self, attachment: AttachmentInfo) -> None:
        dialog = QFileDialog(self, self.tr("Save Attachment"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.selectFile(attachment.safe_name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(path: str) -> None:
            target = Path(path)
            start_task(
                self.file_task,
                self._save_and_say(attachment, target.parent, target.name),
                self._side_done,
            )

        dialog.fileSelected.connect(chosen)
        self._dialog = dialog
        dialog.open()

    def ask_save_all(self) -> None:
        dialog = QFileDialog(self, self.tr("Save All Attachments In"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(path: str) -> None:
            start_task(self.file_task, self._save_all_and_say(Path(path)), self._side_done)

        dialog.fileSelected.connect(chosen)
        self._dialog = dialog
        dialog.open()

    async def _save_and_say(self, attachment: AttachmentInfo, directory: Path, name: str) -> None:
        path = await self.save_attachment(attachment, directory, name)
        self.status.emit(self.tr("Saved %1").replace("%1", str(path)))

    async def _save_all_and_say(self, directory: Path) -> None:
        paths = await self.save_all(directory)
        self.status.emit(
            self.tr("Saved %1 attachments in %2")
            .replace("%1", str(len(paths)))
            .replace("%2", str(directory))
        )

    def open_attachment(self, attachment: AttachmentInfo) -> None:
        """Save into a private temporary folder, then let the desktop open it. Programs and
        scripts are not opened: saving them is the person's explicit choice."""
        if Path(attachment.safe_name).suffix.lower() in RISKY_SUFFIXES:
            self.error.emit(
                self.tr(
                    "%1 could run a program, so it is not opened from here. "
                    "Save it and open it yourself if you trust it."
                ).replace("%1", attachment.safe_name)
            )
            return
        if self._temp_dir is None:
            self._temp_dir = tempfile.TemporaryDirectory(prefix="mailapp-open-")
        directory = Path(self._temp_dir.name)
        start_task(self.file_task, self._open(attachment, directory), self._side_done)

    async def _open(self, attachment: AttachmentInfo, directory: Path) -> None:
        path = await self.save_attachment(attachment, directory)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # -- links --------------------------------------------------------------------------------

    def _link_activated(self, url: QUrl, warning: LinkWarning | None) -> None:
        if url.scheme().lower() not in ("http", "https", "mailto"):
            return
        if warning is None:
            QDesktopServices.openUrl(url)
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Open a Suspicious Link?"))
        box.setText(
            self.tr("The link text shows %1, but it leads to %2.")
            .replace("%1", warning.shown)
            .replace("%2", warning.target)
        )
        box.setInformativeText(url.toString())
        box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.button(QMessageBox.StandardButton.Open).clicked.connect(
            lambda: QDesktopServices.openUrl(url)
        )
        self._confirm = box
        box.open()
