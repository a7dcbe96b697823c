"""The main window: toolbar and menus, folder pane | message list / reader, status bar.

With no account it shows the empty state instead of the panes. Geometry, splitter sizes and
list columns are remembered in the QSettings the caller passes (the profile's own file, so
tests and profiles stay apart). Imports: Qt, core, engine.api and the ui modules.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QDateTime,
    QLocale,
    QModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.errors import MailAppError
from mailapp.core.model import Account, IncomingProtocol
from mailapp.core.replies import (
    ForwardWords,
    Original,
    ReplyKind,
    build_forward,
    build_reply,
)
from mailapp.engine.api import Engine, FolderRole, FolderRow, MessageFlag, SentFolderItem
from mailapp.ui.account_wizard import AccountWizard
from mailapp.ui.accounts_settings import AccountsSettingsDialog
from mailapp.ui.actions import MailActions
from mailapp.ui.background_task import BackgroundTask, failure
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.empty_state import EmptyState
from mailapp.ui.engine_runner import ConnectionState, EngineRunner, state_words
from mailapp.ui.folder_pane import SPECIAL_USE_ROLE, FolderChoice, FolderPane, SpecialUse
from mailapp.ui.icons import app_icon
from mailapp.ui.info_bar import InfoBar, Level
from mailapp.ui.message_list import (
    FOLDER_COLUMN,
    Column,
    MessageListView,
    SearchField,
    SearchScope,
)
from mailapp.ui.notifications import NoticeKind, Notifier
from mailapp.ui.outbox_view import OutboxView
from mailapp.ui.outgoing import OutgoingMail, OutgoingMessage
from mailapp.ui.reader_pane import ReaderPane, start_task
from mailapp.ui.sent_view import SentView
from mailapp.ui.status_bar import MailStatusBar

log = logging.getLogger("mailapp.ui")


class MainWindow(QMainWindow):
    closed = Signal()
    accounts_changed = Signal()

    def __init__(self, engine: Engine, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("mailapp"))
        self.setAccessibleName(self.tr("mailapp main window"))
        self.setWindowIcon(app_icon())
        self.engine = engine
        self.settings = settings
        self.accounts: list[Account] = []
        self.account_dialog: AccountWizard | None = None
        self.account_settings: AccountsSettingsDialog | None = None
        self._about_box: QMessageBox | None = None

        self.mail_actions = MailActions(self)
        self._build_toolbar()
        self._build_menus()

        self.info_bar = InfoBar(self)
        self.empty_state = EmptyState(self)
        self.empty_state.add_account_requested.connect(self.open_account_dialog)
        self.folder_pane = FolderPane(self)
        self.message_list = MessageListView(self, engine)
        self.reader = ReaderPane(self, engine, settings)
        self.search_field = SearchField(self)
        self.search_scope = SearchScope(self)
        self.mail_task = BackgroundTask("Changing messages")

        self.mail_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.mail_splitter.setObjectName("mailSplitter")
        self.mail_splitter.addWidget(self.message_list)
        self.mail_splitter.addWidget(self.reader)
        self.mail_splitter.setStretchFactor(0, 2)
        self.mail_splitter.setStretchFactor(1, 3)
        self.mail_splitter.setChildrenCollapsible(False)
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.folder_pane)
        # Sent and Outbox have views of their own (delivery per recipient, reasons).
        self.sent_view = SentView(engine, self)
        self.outbox_view = OutboxView(engine, self)
        self.content_stack = QStackedWidget(self)
        self.content_stack.setObjectName("contentStack")
        for page in (self.mail_splitter, self.sent_view, self.outbox_view):
            self.content_stack.addWidget(page)
        self.main_splitter.addWidget(self.content_stack)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.setSizes([240, 1000])
        self.mail_splitter.setSizes([300, 400])

        self.stack = QStackedWidget(self)
        self.stack.setObjectName("centralStack")
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.main_splitter)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.info_bar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status = MailStatusBar(self)
        self.setStatusBar(self.status)
        self._connect_delivery()

        self._connect_actions()
        self._connect_reading()
        self._connect_writing()
        self._connect_message_actions()
        self._build_pane_keys()
        self.refresh_accounts()
        self.resize(1100, 720)
        self.restore_state()

    # -- building ------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        toolbar = QToolBar(self.tr("Main toolbar"), self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setAccessibleName(self.tr("Main toolbar"))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        toolbar.setMovable(False)
        for key in self.mail_actions.toolbar_keys():
            toolbar.addAction(self.mail_actions[key])
            if key in ("write", "forward", "junk"):
                toolbar.addSeparator()
        self.toolbar = toolbar
        self.addToolBar(toolbar)

    def _build_menus(self) -> None:
        a = self.mail_actions
        bar = self.menuBar()
        bar.setAccessibleName(self.tr("Menu bar"))
        menus = {
            self.tr("&File"): ("get_mail", "write", None, "add_account", None, "quit"),
            self.tr("&Edit"): ("undo", None, "delete", None, "find", "search"),
            self.tr("&View"): ("toggle_reader", "reader_right"),
            self.tr("&Message"): (
                "reply",
                "reply_all",
                "forward",
                None,
                "toggle_read",
                "toggle_flag",
                "junk",
            ),
            self.tr("&Help"): ("about",),
        }
        for title, keys in menus.items():
            menu = bar.addMenu(title)
            menu.setAccessibleName(title.replace("&", ""))
            for key in keys:
                if key is None:
                    menu.addSeparator()
                else:
                    menu.addAction(a[key])

    def _connect_actions(self) -> None:
        a = self.mail_actions
        a["add_account"].triggered.connect(self.open_account_dialog)
        # Account settings: an action of the window's own until MailActions has one.
        self.account_settings_action = QAction(self.tr("Account &Settings…"), self)
        self.account_settings_action.setObjectName("action_account_settings")
        # A lambda: triggered(bool) must not arrive as the account name.
        self.account_settings_action.triggered.connect(lambda: self.open_account_settings())  # noqa: PLW0108
        file_menu = self.menuBar().actions()[0].menu()
        if isinstance(file_menu, QMenu):
            # Right after "Add Account…", before the separator above Quit.
            entries = file_menu.actions()
            after = entries.index(a["add_account"]) + 1 if a["add_account"] in entries else -1
            before = entries[after] if 0 < after < len(entries) else None
            file_menu.insertAction(before, self.account_settings_action)  # type: ignore[arg-type]
        a["quit"].triggered.connect(self.close)
        a["toggle_reader"].setChecked(True)
        a["toggle_reader"].toggled.connect(self.reader.setVisible)
        a["reader_right"].toggled.connect(self._set_reader_right)
        a["about"].triggered.connect(self.show_about)

    def _set_reader_right(self, right: bool) -> None:
        self.mail_splitter.setOrientation(
            Qt.Orientation.Horizontal if right else Qt.Orientation.Vertical
        )

    # -- accounts ------------------------------------------------------------------------

    @property
    def showing_empty_state(self) -> bool:
        return self.stack.currentWidget() is self.empty_state

    def refresh_accounts(self) -> None:
        try:
            self.accounts = list(self.engine.list_accounts())
        except MailAppError as exc:
            # An unreadable accounts file must not keep the window from opening.
            self.accounts = []
            self.info_bar.show_message(str(exc), level=Level.ERROR)
        else:
            warnings = list(getattr(self.engine, "account_warnings", []))
            if warnings:
                self.info_bar.show_message(" ".join(warnings), level=Level.WARNING)
        self.folder_pane.set_accounts(self.accounts)
        if self.accounts:
            self.refresh_mail()
        self._enable_reading_actions(bool(self.accounts))
        self.status.set_account_count(len(self.accounts))
        self.stack.setCurrentWidget(self.main_splitter if self.accounts else self.empty_state)
        self.accounts_changed.emit()

    def open_account_dialog(self) -> None:
        if self.account_dialog is not None:
            self.account_dialog.show()
            self.account_dialog.raise_()
            self.account_dialog.activateWindow()
            return
        dialog = AccountWizard(self.engine, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.account_added.connect(self._account_added)
        dialog.destroyed.connect(self._forget_account_dialog)
        self.account_dialog = dialog
        dialog.show()

    def _forget_account_dialog(self) -> None:
        self.account_dialog = None

    def open_account_settings(self, name: str | None = None) -> None:
        """Edit or remove accounts and their options (non-modal, one at a time)."""
        if self.account_settings is None:
            dialog = AccountsSettingsDialog(self.engine, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accounts_edited.connect(self.refresh_accounts)
            dialog.destroyed.connect(self._forget_account_settings)
            self.account_settings = dialog
        if name is not None:
            self.account_settings.select(name)
        self.account_settings.show()
        self.account_settings.raise_()
        self.account_settings.activateWindow()

    def _forget_account_settings(self) -> None:
        self.account_settings = None

    def _account_added(self, name: str) -> None:
        self.refresh_accounts()
        index = self.folder_pane.folder_model.account_index(name)
        if index.isValid():
            self.folder_pane.setCurrentIndex(self.folder_pane.folder_model.index(0, 0, index))
        self.status.showMessage(self.tr("Account %1 added.").replace("%1", name), 5000)

    # -- reading mail --------------------------------------------------------------------

    def _build_pane_keys(self) -> None:
        # F6 / Shift+F6 move between folders, list and reader, as in other mail programs.
        for keys, step in (("F6", 1), ("Shift+F6", -1)):
            action = QAction(self)
            action.setObjectName(f"paneKey{step:+d}")
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, s=step: self.cycle_panes(s))
            self.addAction(action)

    def panes(self) -> list[QWidget]:
        """The panes F6 moves between, in order: folders, the list, the reader."""
        page = self.content_stack.currentWidget()
        if page is self.sent_view:
            panes = [self.folder_pane, self.sent_view.list, self.sent_view.body]
        elif page is self.outbox_view:
            panes = [self.folder_pane, self.outbox_view.list]
        else:
            panes = [self.folder_pane, self.message_list, self.reader.browser]
        return [p for p in panes if p.isVisible() and p.isEnabled()]

    def cycle_panes(self, step: int = 1) -> None:
        panes = self.panes()
        if not panes:
            return
        focus = QApplication.focusWidget()
        here = [
            i
            for i, p in enumerate(panes)
            if focus is not None and (focus is p or p.isAncestorOf(focus))
        ]
        index = (here[0] + step) % len(panes) if here else (0 if step > 0 else -1)
        panes[index].setFocus(Qt.FocusReason.OtherFocusReason)

    def _connect_reading(self) -> None:
        spacer = QWidget(self.toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.search_field)
        self.toolbar.addWidget(self.search_scope)
        self.search_field.search_requested.connect(self.search)
        self.search_scope.currentIndexChanged.connect(
            lambda _i: self.search(self.search_field.text())
        )
        self.message_list.doubleClicked.connect(self._open_result)
        self.folder_pane.folder_selected.connect(self._folder_selected)
        self.message_list.message_selected.connect(self._message_selected)
        self.message_list.message_model.load_failed.connect(self.show_error)
        self.reader.message_changed.connect(self._messages_changed)
        self.reader.error.connect(self.show_error)
        self.reader.status.connect(lambda text: self.status.showMessage(text, 5000))
        self.reader.link_hovered.connect(self._link_hovered)
        a = self.mail_actions
        a["search"].triggered.connect(self._focus_search)
        a["toggle_read"].triggered.connect(lambda: self._change_selected("read"))
        a["toggle_flag"].triggered.connect(lambda: self._change_selected("flag"))
        a["delete"].triggered.connect(lambda: self._change_selected("delete"))

    def _enable_reading_actions(self, accounts: bool) -> None:
        """Searching, marking and deleting work once there is mail (no account: no mail)."""
        for key in ("search", "toggle_read", "toggle_flag", "delete"):
            action = self.mail_actions[key]
            if accounts and not action.property("mailapp_available"):
                action.setProperty("mailapp_available", True)
                plain = action.text().replace("&", "")
                keys = " / ".join(
                    k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
                )
                action.setToolTip(f"{plain} ({keys})" if keys else plain)
                action.setStatusTip(action.toolTip())
        self.mail_actions["search"].setEnabled(accounts)
        self.search_field.setEnabled(accounts)
        self.search_scope.setEnabled(accounts)
        self._update_message_actions()

    def _update_message_actions(self) -> None:
        """Each message action on when it can act, else off with the reason in its tooltip."""
        a = self.mail_actions
        no_account = self.tr("add an account first") if not self.accounts else None
        a.explain("get_mail", no_account)
        listing = self.content_stack.currentWidget() is self.mail_splitter
        selected = listing and self.message_list.current_message_id is not None
        reason = no_account or (None if selected else self.tr("select a message first"))
        for key in ("delete", "toggle_read", "toggle_flag"):
            a.explain(key, reason)
        # Reply, Reply All and Forward also answer a message selected in the Sent view.
        in_sent = self.content_stack.currentWidget() is self.sent_view
        answer = no_account if in_sent and self.sent_view.selected_item is not None else reason
        for key in ("reply", "reply_all", "forward"):
            a.explain(key, answer)
        a.explain("junk", reason or self._junk_problem())

    def refresh_mail(self) -> None:
        """Show the store as it is now (after a sync): folders, counts, the open folder."""
        try:
            rows = self.engine.folder_rows()
        except MailAppError as exc:
            self.show_error(str(exc))
            return
        self.folder_pane.set_folders(rows)
        self.message_list.message_model.folder_names = self._folder_names(rows)
        choice = self.folder_pane.current_choice
        model = self.message_list.message_model
        if model.all_folders and model.search_query is not None:
            model.reload()  # the "All folders" results, with what the sync brought
        elif choice is not None and choice.folder_id == model.folder_id:
            model.reload(expected=choice.total)
        # The Sent view lists the server's Sent folder: a sync may have brought new rows.
        self.sent_view.reload()

    def _folder_selected(self, choice: FolderChoice | None) -> None:
        if self.search_field.text():
            self.search_field.clear()  # ends a search (an "All folders" one too)
        if self._show_delivery_view(choice):
            return
        model = self.message_list.message_model
        folder_id = choice.folder_id if choice is not None else None
        if choice is None or choice.folder is None:
            self.message_list.empty_text = self.tr("Choose a folder")
        elif folder_id is None and choice.special is SpecialUse.OUTBOX:
            self.message_list.empty_text = self.tr("Nothing waiting to be sent")
        elif folder_id is None:
            self.message_list.empty_text = self.tr(
                "Not downloaded yet: Get Mail fetches this folder."
            )
        else:
            self.message_list.empty_text = self.tr("No messages")
        sent = choice is not None and choice.special is SpecialUse.SENT
        self.message_list.setColumnHidden(Column.DELIVERY, not sent)
        if folder_id != model.folder_id or folder_id is None:
            model.folder_id = folder_id
            model.search_query = None
            model.reload(expected=choice.total if choice is not None else 0)
        self.message_list.viewport().update()

    # -- search (this folder, or all folders) ------------------------------------------------

    @staticmethod
    def _folder_names(rows: list[FolderRow]) -> dict[int, str]:
        accounts = {r.account for r in rows}
        if len(accounts) == 1:
            return {r.id: r.name for r in rows}
        return {r.id: f"{r.account} / {r.name}" for r in rows}

    def search(self, text: str) -> None:
        """Search as the scope says: the shown folder, or every folder of every account
        (the results show their folder; "" ends the search)."""
        model = self.message_list.message_model
        text = text.strip()
        if not self.search_scope.all_folders or not text:
            if model.all_folders:
                self._end_all_folders_search()
            model.search(text)
            return
        try:
            model.folder_names = self._folder_names(self.engine.folder_rows())
        except MailAppError as exc:
            self.show_error(str(exc))
            return
        model.all_folders = True
        self.content_stack.setCurrentWidget(self.mail_splitter)
        self.message_list.setColumnHidden(FOLDER_COLUMN, False)
        self.message_list.setColumnHidden(Column.DELIVERY, True)
        self.message_list.empty_text = self.tr("No message in any folder matches.")
        model.search(text)

    def _end_all_folders_search(self) -> None:
        """Back from "All folders" results to the folder selected in the pane."""
        model = self.message_list.message_model
        model.all_folders = False
        model.search_query = None
        self.message_list.setColumnHidden(FOLDER_COLUMN, True)
        choice = self.folder_pane.current_choice
        if self._show_delivery_view(choice):
            return
        sent = choice is not None and choice.special is SpecialUse.SENT
        self.message_list.setColumnHidden(Column.DELIVERY, not sent)
        self.message_list.empty_text = self.tr("No messages")
        model.folder_id = choice.folder_id if choice is not None else None
        model.reload(expected=choice.total if choice is not None else 0)

    def _open_result(self, index: QModelIndex) -> None:
        """Double-click on an "All folders" result: go to its folder with it selected."""
        model = self.message_list.message_model
        if not (model.all_folders and model.search_query is not None):
            return
        row = model.message(index.row())
        if row is None:
            return
        place = self.folder_pane.folder_model.stored_folder(folder_id=row.folder_id)
        if place is None or place.folder is None:
            return
        message_id = row.id
        if place.special is SpecialUse.SENT:
            # The Sent view lists it with its delivery; it selects by Message-ID once read.
            self.folder_pane.select_folder(place.account, place.folder)
            return

        def select() -> None:
            model.loaded.disconnect(select)
            self.message_list.select_message(message_id)

        model.loaded.connect(select)
        current = self.folder_pane.current_choice
        if current is not None and current.folder_id == place.folder_id:
            self.search_field.clear()  # ends the search: the folder is read again
        elif not self.folder_pane.select_folder(place.account, place.folder):
            model.loaded.disconnect(select)

    def _message_selected(self, message_id: int | None) -> None:
        self._update_message_actions()
        self.reader.open_message(message_id)

    def _messages_changed(self, message_id: int) -> None:
        self.message_list.message_model.refresh_messages([message_id])
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        try:
            self.folder_pane.set_folders(self.engine.folder_rows())
        except MailAppError as exc:
            self.show_error(str(exc))

    def _link_hovered(self, text: str) -> None:
        if text:
            self.status.showMessage(text)
        else:
            self.status.clearMessage()

    def _focus_search(self) -> None:
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def _change_selected(self, change: str) -> None:
        ids = self.message_list.selected_ids()
        if not ids or self.mail_task.busy:
            return
        start_task(self.mail_task, self._apply_change(change, ids), self._change_done)

    def _inbox_unread(self) -> dict[str, int]:
        """Unread messages in each account's Inbox, as the store counts them now."""
        counts: dict[str, int] = {}
        try:
            rows = self.engine.folder_rows()
        except MailAppError:
            return counts
        for row in rows:
            if row.role is FolderRole.INBOX:
                counts[row.account] = counts.get(row.account, 0) + row.unread
        return counts

    def _own_unread_change(self, before: dict[str, int]) -> None:
        """Tell the runner what the person's own action did to the Inbox unread counts, so
        its new-mail notice does not take it for new mail."""
        after = self._inbox_unread()
        self.engine_runner.expect_unread_change(
            {account: count - before.get(account, count) for account, count in after.items()}
        )

    async def _apply_change(self, change: str, ids: list[int]) -> None:
        before = self._inbox_unread()
        try:
            await self._change(change, ids)
        finally:
            self._own_unread_change(before)

    async def _change(self, change: str, ids: list[int]) -> None:
        model = self.message_list.message_model
        rows = [r for mid in ids if (r := model.message(model.row_of(mid))) is not None]
        if change == "read":
            # Thunderbird's toggle: all read when any is unread, else all unread.
            await self.engine.set_read(ids, any(r.unread for r in rows))
        elif change == "flag":
            await self.engine.set_flagged(
                ids, not all(MessageFlag.FLAGGED in r.flags for r in rows)
            )
        elif change == "junk":
            await self._move_to_junk(ids)
            return
        else:
            await self.engine.delete_messages(ids)
            model.remove_messages(ids)
            self._refresh_counts()
            return
        model.refresh_messages(ids)
        self._refresh_counts()

    def _change_done(self, task: asyncio.Task[Any]) -> None:
        exc = failure(task)
        if isinstance(exc, MailAppError):
            self.show_error(str(exc))
        self._schedule_replay()

    # -- acting on messages: reply, forward, get mail, junk, moves (ui.main_window) -------

    def _connect_message_actions(self) -> None:
        a = self.mail_actions
        self.reply_task = BackgroundTask("Opening a reply")
        self._move_tasks: set[BackgroundTask] = set()
        # Local changes (read, star, delete, moves) reach the server soon, not only at the
        # next full sync: a short pause gathers a burst of key presses into one replay.
        self.replay_task = BackgroundTask("Sending changes to the server")
        self.replay_timer = QTimer(self)
        self.replay_timer.setSingleShot(True)
        self.replay_timer.setInterval(1500)
        self.replay_timer.timeout.connect(self._replay_now)
        a["reply"].triggered.connect(lambda: self.reply(ReplyKind.REPLY))
        a["reply_all"].triggered.connect(lambda: self.reply(ReplyKind.REPLY_ALL))
        a["forward"].triggered.connect(lambda: self.reply(ReplyKind.FORWARD))
        a["junk"].triggered.connect(lambda: self._change_selected("junk"))
        a["get_mail"].triggered.connect(self.get_mail)
        self.folder_pane.messages_dropped.connect(self.move_messages)
        self.content_stack.currentChanged.connect(lambda _i: self._update_message_actions())
        # The list and the counts follow each finished sync (Get Mail, IDLE, POP3 checks).
        self.engine_runner.account_state_changed.connect(self._sync_state)
        self._update_message_actions()

    def _sync_state(self, account: str, state: str, detail: str) -> None:
        if state == ConnectionState.ONLINE:
            self.refresh_mail()
            self._update_message_actions()  # a Junk folder may have appeared

    def get_mail(self) -> None:
        """Sync every account now (F5, Ctrl+T); the list refreshes when each is done."""
        if not self.accounts:
            return
        runner = self.engine_runner
        if not runner.running:
            runner.start()  # the app starts it with the window; this is for a bare window
            if runner.sync_on_start:
                return
        runner.get_mail()
        self.status.showMessage(self.tr("Getting mail…"), 3000)

    def _junk_problem(self) -> str | None:
        """Why J cannot act on the shown folder, None when it can."""
        choice = self.folder_pane.current_choice
        if choice is None:
            return self.tr("select a message first")
        if choice.special is SpecialUse.JUNK:
            return self.tr("the message is in Junk already")
        model = self.folder_pane.folder_model
        if model.stored_folder(account=choice.account, special=SpecialUse.JUNK) is None:
            return self.tr("this account has no Junk folder")
        return None

    async def _move_to_junk(self, ids: list[int]) -> None:
        choice = self.folder_pane.current_choice
        model = self.folder_pane.folder_model
        junk = (
            model.stored_folder(account=choice.account, special=SpecialUse.JUNK)
            if choice is not None
            else None
        )
        if junk is None or junk.folder is None:
            raise MailAppError(self.tr("This account has no Junk folder."))
        await self._move(ids, junk.folder)

    async def _move(self, ids: list[int], folder: str) -> None:
        before = self._inbox_unread()
        try:
            moved = await self.engine.move_messages(ids, folder)
        finally:
            self._own_unread_change(before)
        self.message_list.message_model.remove_messages(ids)
        self._refresh_counts()
        if moved == 1:
            text = self.tr("1 message moved to %2.")
        else:
            text = self.tr("%1 messages moved to %2.")
        self.status.showMessage(text.replace("%1", str(moved)).replace("%2", folder), 5000)

    def move_messages(self, ids: list[int], target: FolderChoice) -> None:
        """Move messages to another folder of their account (dropped on the folder pane)."""
        if not ids or target.folder is None:
            return
        task = BackgroundTask("Moving messages")
        self._move_tasks.add(task)

        def done(finished: asyncio.Task[Any], task: BackgroundTask = task) -> None:
            self._move_tasks.discard(task)
            self._change_done(finished)

        start_task(task, self._move(list(ids), target.folder), done)

    def reply(self, kind: ReplyKind) -> None:
        """Reply (Ctrl+R), Reply All (Ctrl+Shift+R) or Forward (Ctrl+L) the current message
        (in the Sent view: the selected sent message) in a composer filled in by
        core.replies."""
        if not self.accounts:
            return
        if self.content_stack.currentWidget() is self.sent_view:
            item = self.sent_view.selected_item
            if item is not None:
                start_task(self.reply_task, self._open_sent_reply(item, kind), self._reply_done)
            return
        message_id = self.message_list.current_message_id
        if message_id is None:
            return
        start_task(self.reply_task, self._open_reply(message_id, kind), self._reply_done)

    async def _open_sent_reply(self, item: SentFolderItem, kind: ReplyKind) -> ComposerWindow:
        """Answer one of our own sent messages: it goes to its recipients again (core.replies
        sees that it is from us), as Thunderbird does."""
        if item.stored_id is not None:
            return await self._open_reply(item.stored_id, kind)
        outbox_id = item.outbox_id
        if outbox_id is None:
            raise MailAppError(self.tr("This message cannot be read."))
        forward = kind is ReplyKind.FORWARD
        original = await self.engine.outgoing_reply_original(outbox_id, attachments=forward)
        return self._show_reply(original, kind, None)

    def _reply_done(self, task: asyncio.Task[Any]) -> None:
        exc = failure(task)
        if isinstance(exc, MailAppError):
            self.show_error(str(exc))

    def _schedule_replay(self) -> None:
        if self.engine_runner.running:
            self.replay_timer.start()

    def _replay_now(self) -> None:
        if self.replay_task.busy:
            self.replay_timer.start()
            return
        start_task(self.replay_task, self._replay(), lambda _task: None)

    async def _replay(self) -> None:
        for name in await self.engine.pending_change_accounts():
            try:
                account = self.engine.get_account(name)
                if account.incoming_protocol is IncomingProtocol.IMAP:
                    await self.engine.replay_changes(name)
            except MailAppError as exc:
                # Offline or refused: the changes stay queued for the next sync.
                log.info("Changes of %s not sent yet: %s", name, exc)

    async def _open_reply(self, message_id: int, kind: ReplyKind) -> ComposerWindow:
        forward = kind is ReplyKind.FORWARD
        original = await self.engine.reply_original(message_id, attachments=forward)
        return self._show_reply(original, kind, message_id)

    def _show_reply(
        self, original: Original, kind: ReplyKind, message_id: int | None
    ) -> ComposerWindow:
        """A composer started from `original`; `message_id` (the stored message) is marked
        Answered or Forwarded when it is sent."""
        forward = kind is ReplyKind.FORWARD
        date_text = None
        if original.date is not None:
            # A bare C locale was replaced at start-up (translations.install_translator).
            moment = QDateTime.fromSecsSinceEpoch(int(original.date.timestamp()))
            date_text = QLocale().toString(moment, QLocale.FormatType.ShortFormat)
        if forward:
            words = ForwardWords(
                title=self.tr("-------- Forwarded Message --------"),
                subject=self.tr("Subject"),
                date=self.tr("Date"),
                from_=self.tr("From"),
                to=self.tr("To"),
                cc=self.tr("Cc"),
            )
            start = build_forward(original, date_text=date_text, words=words)
        else:
            start = build_reply(
                original,
                [a.email for a in self.accounts],
                reply_all=kind is ReplyKind.REPLY_ALL,
                date_text=date_text,
                template=self.tr("On %1, %2 wrote:"),
                template_no_date=self.tr("%1 wrote:"),
            )
        composer = self.new_composer()
        composer.prefill(start)
        if message_id is not None:
            # Sent on: the original is marked Answered or Forwarded (replayed to the server).
            flag = "forwarded" if forward else "answered"
            composer.send_requested.connect(
                lambda _message, mid=message_id, f=flag: self._mark_original(mid, f)
            )
        composer.show()
        composer.raise_()
        composer.activateWindow()
        return composer

    def _mark_original(self, message_id: int, flag: str) -> None:
        task = BackgroundTask("Marking a message answered")
        self._move_tasks.add(task)

        async def mark() -> None:
            await self.engine.flag_messages([message_id], add=[flag])
            self.message_list.message_model.refresh_messages([message_id])

        def done(finished: asyncio.Task[Any], task: BackgroundTask = task) -> None:
            self._move_tasks.discard(task)
            self._change_done(finished)

        start_task(task, mark(), done)

    # -- delivery views (Sent, Outbox) and background work --------------------------------

    def _connect_delivery(self) -> None:
        runner = self.engine_runner = EngineRunner(self.engine, self)
        self.notifier = Notifier(self.info_bar, self.status, self)
        self._connection_states: dict[str, tuple[str, str]] = {}
        runner.sent_changed.connect(self.sent_view.set_sent)
        runner.outbox_changed.connect(self.outbox_view.set_entries)
        runner.outbox_changed.connect(lambda entries: self.status.set_outbox_count(len(entries)))
        runner.account_state_changed.connect(self._connection_state)
        runner.task_changed.connect(self._background_task)
        runner.problem.connect(self._background_problem)
        runner.notice.connect(lambda kind, text: self.notifier.add(NoticeKind(kind), text))
        self.sent_view.selection_changed.connect(self._update_message_actions)
        self.outbox_view.changed.connect(runner.refresh_now)
        self.outbox_view.changed.connect(runner.kick_outbox)
        self.outbox_view.problem.connect(self.show_error)
        self.notifier.show_requested.connect(self.show_delivery_folder)
        self.accounts_changed.connect(runner.sync_accounts)
        self.closed.connect(self._stop_background)

    def start_background(self) -> None:
        """Start syncing, sending and refreshing (with the qasync loop running)."""
        self.engine_runner.start()

    def _stop_background(self) -> None:
        self.engine_runner.stop()
        self.sent_view.shutdown()
        self.outbox_view.shutdown()
        self.notifier.hide_tray()

    def _show_delivery_view(self, choice: FolderChoice | None) -> bool:
        """Show the Sent or Outbox view for those folders; False for the others."""
        special = choice.special if choice is not None else None
        account = choice.account if choice is not None else None
        if special is SpecialUse.SENT:
            self.sent_view.set_account(account)
            self.content_stack.setCurrentWidget(self.sent_view)
            return True
        if special is SpecialUse.OUTBOX:
            self.outbox_view.set_account(account)
            self.content_stack.setCurrentWidget(self.outbox_view)
            return True
        self.content_stack.setCurrentWidget(self.mail_splitter)
        return False

    def show_delivery_folder(self, which: str = "sent") -> None:
        """Select the first account's Sent ("sent") or Outbox ("outbox") folder."""
        wanted = SpecialUse.OUTBOX if which == "outbox" else SpecialUse.SENT
        if not self.accounts:
            return
        model = self.folder_pane.folder_model
        parent = model.account_index(self.accounts[0].name)
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            if index.data(SPECIAL_USE_ROLE) == wanted:
                self.folder_pane.setCurrentIndex(index)
                return

    def _connection_state(self, account: str, state: str, detail: str) -> None:
        self._connection_states[account] = (state_words(ConnectionState(state)), detail)
        self.status.set_connection_states(self._connection_states)

    def _background_task(self, text: str, done: int, total: int) -> None:
        if text:
            self.status.show_task(text, done, total)
        else:
            self.status.clear_task()

    def _background_problem(self, text: str, details: str, retry: object) -> None:
        action = (self.tr("&Retry"), retry) if callable(retry) else None
        self.info_bar.show_message(
            text, details=details or None, level=Level.WARNING, action=action
        )

    # -- problems ------------------------------------------------------------------------

    # -- writing (the composer block; ui.composer_window, ui.outgoing) --------------------

    def _connect_writing(self) -> None:
        self.composers: list[ComposerWindow] = []
        self.outgoing = OutgoingMail(self.engine, self.status, self)
        self.outgoing.problem.connect(self.show_error)
        self.outgoing.reopen_requested.connect(self._reopen_outgoing)
        self.outgoing.finished.connect(lambda _outcome: self.engine_runner.refresh_now())
        # A lambda: triggered(bool) is no argument of open_composer.
        self.mail_actions["write"].triggered.connect(lambda: self.open_composer())  # noqa: PLW0108

    def new_composer(self) -> ComposerWindow:
        """A composer beside this window, wired for sending (not shown yet)."""
        composer = ComposerWindow(self.accounts, self, engine=self.engine)
        composer.send_requested.connect(self.outgoing.send)
        self.composers.append(composer)
        composer.destroyed.connect(lambda _=None, c=composer: self._forget_composer(c))
        return composer

    def open_composer(self, account: str | None = None) -> ComposerWindow:
        """Write a new message (Ctrl+N): from `account`, else the selected folder's."""
        composer = self.new_composer()
        choice = self.folder_pane.current_choice
        name = account or (choice.account if choice is not None else None)
        if name is not None:
            composer.select_account(name)
        composer.show()
        composer.raise_()
        composer.activateWindow()
        return composer

    def _reopen_outgoing(self, message: OutgoingMessage) -> None:
        composer = self.new_composer()
        composer.load_outgoing(message)
        composer.show()
        composer.raise_()
        composer.activateWindow()

    def _forget_composer(self, composer: ComposerWindow) -> None:
        if composer in self.composers:
            self.composers.remove(composer)

    def show_error(self, text: str, details: str = "") -> None:
        self.info_bar.show_message(text, details=details or None, level=Level.ERROR)

    def show_about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("About mailapp"))
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setText(
            self.tr("<b>mailapp</b><br>An email client that tells you whether your mail arrived.")
        )
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._about_box = box
        box.open()

    # -- remembering ---------------------------------------------------------------------

    def restore_state(self) -> None:
        s = self.settings

        def restore(key: str, apply: object) -> None:
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty() and callable(apply):
                apply(value)

        restore("window/geometry", self.restoreGeometry)
        restore("window/state", self.restoreState)
        restore("window/mainSplitter", self.main_splitter.restoreState)
        restore("window/mailSplitter", self.mail_splitter.restoreState)
        restore("messageList/header", self.message_list.header().restoreState)
        self.message_list.setColumnHidden(FOLDER_COLUMN, True)  # search results only
        reader_right = str(s.value("window/readerRight", "false")).lower() == "true"
        reader_visible = str(s.value("window/readerVisible", "true")).lower() == "true"
        self.mail_actions["reader_right"].setChecked(reader_right)
        self.mail_actions["toggle_reader"].setChecked(reader_visible)
        self.reader.setVisible(reader_visible)

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/mainSplitter", self.main_splitter.saveState())
        s.setValue("window/mailSplitter", self.mail_splitter.saveState())
        s.setValue("messageList/header", self.message_list.header().saveState())
        s.setValue("window/readerRight", self.mail_actions["reader_right"].isChecked())
        s.setValue("window/readerVisible", self.mail_actions["toggle_reader"].isChecked())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        if self.account_dialog is not None:
            self.account_dialog.close()
        if self.account_settings is not None:
            self.account_settings.close()
        super().closeEvent(event)
        self.closed.emit()
