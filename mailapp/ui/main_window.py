"""The main window: toolbar and menus, folder pane | message list / reader, status bar.

With no account it shows the empty state instead of the panes. Geometry, splitter sizes and
list columns are remembered in the QSettings the caller passes (the profile's own file, so
tests and profiles stay apart). Imports: Qt, core, engine.api and the ui modules.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.errors import MailAppError
from mailapp.core.model import Account
from mailapp.engine.api import Engine
from mailapp.ui.account_wizard import AccountWizard
from mailapp.ui.accounts_settings import AccountsSettingsDialog
from mailapp.ui.actions import MailActions
from mailapp.ui.empty_state import EmptyState
from mailapp.ui.folder_pane import FolderPane
from mailapp.ui.icons import app_icon
from mailapp.ui.info_bar import InfoBar, Level
from mailapp.ui.message_list import MessageListView
from mailapp.ui.reader_pane import ReaderPane
from mailapp.ui.status_bar import MailStatusBar


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
        self.message_list = MessageListView(self)
        self.reader = ReaderPane(self)

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
        self.main_splitter.addWidget(self.mail_splitter)
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

        self._connect_actions()
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

    # -- problems ------------------------------------------------------------------------

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
