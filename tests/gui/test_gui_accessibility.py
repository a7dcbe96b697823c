"""Screen readers and the keyboard: every control has a name, Tab walks each window in reading
order, and the main window works without a mouse (F6 between panes, Ctrl+N, Ctrl+Enter).

The account's servers are a loopback port nobody listens on: a sent message waits in the
Outbox with its reason, which gives the Outbox view and the delivery panel something to show.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
    QWizard,
)

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.engine.api import Engine
from mailapp.ui.account_wizard import AccountWizard
from mailapp.ui.accounts_settings import AccountsSettingsDialog
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.delivery_panel import DeliveryPanel
from mailapp.ui.main_window import MainWindow

WAIT = 60.0
CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QTextEdit,
    QPlainTextEdit,
    QAbstractItemView,
    QAbstractSlider,
)
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def unnamed_controls(root: QWidget) -> list[str]:
    """Visible controls under `root` a screen reader could not name: no accessible name, no
    text of their own and no label whose buddy they are."""
    buddies = {id(label.buddy()) for label in root.findChildren(QLabel) if label.buddy()}
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or isinstance(widget, QScrollBar):
            continue
        if widget.objectName().startswith("qt_") or not widget.isVisibleTo(root):
            continue
        parent = widget.parentWidget()
        # Parts of composite widgets: a spin box's editor, a combo's popup, a view's header.
        if isinstance(parent, QAbstractSpinBox | QComboBox | QAbstractItemView) or (
            parent is not None and parent.objectName().startswith("qt_")
        ):
            continue
        text = widget.text().replace("&", "") if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName() or text or id(widget) in buddies):
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} in {root}")
    return missing


def tab_walk(qtbot, root: QWidget, start: QWidget, steps: int) -> list[QWidget]:  # type: ignore[no-untyped-def]
    """Where focus goes from `start` on `steps` presses of Tab (focusNextChild)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start)
    seen = [start]
    for _ in range(steps):
        before = QApplication.focusWidget()
        root.focusNextChild()
        qtbot.waitUntil(lambda b=before: QApplication.focusWidget() is not b)
        seen.append(QApplication.focusWidget())
    return seen


def _focused(widget: QWidget) -> Callable[[], bool]:
    return lambda: QApplication.focusWidget() is widget


@pytest.fixture
def dead_port() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def win(qtbot, engine: Engine, window_settings, qloop, dead_port: int) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    server = ServerSettings("127.0.0.1", dead_port, Security.SSL, "ann@example.org")
    account = Account(
        "Work", "ann@example.org", "Ann Example", IncomingProtocol.IMAP, server, server
    )
    qloop.run_until_complete(engine.add_account(account, "pw"))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.outgoing.undo_seconds = 0.0
    yield window
    qloop.run_until_complete(asyncio.wait_for(window.outgoing.wait_idle(), WAIT))


def test_main_window_from_the_keyboard_write_send_and_outbox(
    qtbot, win: MainWindow, engine: Engine, qloop
) -> None:  # type: ignore[no-untyped-def]
    assert unnamed_controls(win) == []
    # F6 cycles the panes (no message open: folders and list), Shift+F6 goes back.
    win.folder_pane.setFocus()
    qtbot.waitUntil(_focused(win.folder_pane))
    qtbot.keyClick(win, Qt.Key.Key_F6)
    qtbot.waitUntil(_focused(win.message_list))
    qtbot.keyClick(win, Qt.Key.Key_F6)
    qtbot.waitUntil(_focused(win.folder_pane))
    qtbot.keyClick(win, Qt.Key.Key_F6, SHIFT)
    qtbot.waitUntil(_focused(win.message_list))
    # Tab goes the same way: folders, list, then the search field in the toolbar.
    walk = tab_walk(qtbot, win, win.folder_pane, 2)
    assert walk == [win.folder_pane, win.message_list, win.search_field]

    # Ctrl+N writes a new message.
    qtbot.keyClick(win.folder_pane, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: len(win.composers) == 1)
    composer = win.composers[0]
    qtbot.waitExposed(composer)
    composer.activateWindow()
    qtbot.waitUntil(composer.isActiveWindow)
    qtbot.waitUntil(_focused(composer.to_edit.input))
    assert unnamed_controls(composer) == []
    expected = [
        composer.to_edit.input,
        composer.cc_edit.input,
        composer.bcc_edit.input,
        composer.subject_edit,
        composer.body_edit,
        composer.attach_button,
        composer.delivery_check,
        composer.receipt_check,
        composer.save_button,
        composer.send_button,
    ]
    assert tab_walk(qtbot, composer, composer.to_edit.input, len(expected) - 1) == expected

    # Typed and sent with Ctrl+Enter, no mouse.
    qtbot.keyClicks(composer.to_edit.input, "bob@example.org")
    qtbot.keyClicks(composer.subject_edit, "Keyboard only")
    qtbot.keyClicks(composer.body_edit, "Sent without a mouse.")
    closed: list[bool] = []
    composer.destroyed.connect(lambda: closed.append(True))
    qtbot.keyClick(composer.body_edit, Qt.Key.Key_Return, CTRL)

    async def waiting() -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:
            entries = await engine.outbox_entries()
            if closed and entries and entries[0].last_error:
                return entries[0].message_id
            assert loop.time() < deadline, "the message never reached the outbox"
            await asyncio.sleep(0.05)

    message_id = qloop.run_until_complete(waiting())
    qloop.run_until_complete(asyncio.wait_for(win.outgoing.wait_idle(), WAIT))

    # The Outbox view lists it, every control named; the delivery panel too.
    win.show_delivery_folder("outbox")
    # What the background runner hands the view (it is not started in these tests).
    win.outbox_view.set_entries(qloop.run_until_complete(engine.outbox_entries()))
    assert win.outbox_view.list.model().rowCount() == 1
    win.outbox_view.list.setCurrentIndex(win.outbox_view.list.model().index(0, 0))
    win.outbox_view.list.setFocus()
    assert win.panes() == [win.folder_pane, win.outbox_view.list]
    assert unnamed_controls(win.outbox_view) == []
    panel = DeliveryPanel()
    qtbot.addWidget(panel)
    panel.set_status(qloop.run_until_complete(engine.delivery_status(message_id)))
    panel.show()
    assert panel.rows
    for row in panel.rows:
        row.set_expanded(True)
    assert unnamed_controls(panel) == []


def test_every_wizard_page_is_named_and_tabs_in_reading_order(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    wizard = AccountWizard(win.engine, win)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    button = wizard.button
    next_, back, cancel = (
        button(QWizard.WizardButton.NextButton),
        button(QWizard.WizardButton.BackButton),
        button(QWizard.WizardButton.CancelButton),
    )

    page = wizard.identity
    assert unnamed_controls(wizard) == []
    walk = tab_walk(qtbot, wizard, page.display_name, 5)
    assert walk == [page.display_name, page.email, page.password, page.manual_button, next_, cancel]
    qtbot.keyClicks(page.display_name, "Ada Lovelace")
    qtbot.keyClicks(page.email, "ada@example.org")
    qtbot.keyClicks(page.password, "secret")
    qtbot.mouseClick(page.manual_button, LEFT)

    servers = wizard.servers
    servers.trust_toggle.setChecked(True)
    assert unnamed_controls(wizard) == []
    inc, out, trust = servers.incoming, servers.outgoing, servers.trust
    expected = [
        servers.protocol,
        inc.host,
        inc.port,
        inc.security,
        inc.user,
        out.host,
        out.port,
        out.security,
        out.user,
        servers.separate_password,
        trust.ca_file,
        trust.browse,
        trust.fingerprint,
        servers.test_button,
        servers.trust_toggle,
    ]
    walk = tab_walk(qtbot, wizard, servers.protocol, len(expected) - 1)
    # A spin box takes focus in its line edit.
    walk = [w.parentWidget() if isinstance(w.parentWidget(), QAbstractSpinBox) else w for w in walk]
    assert walk == expected
    qtbot.keyClicks(inc.host, "imap.example.org")
    qtbot.keyClicks(out.host, "smtp.example.org")
    qtbot.mouseClick(next_, LEFT)

    summary = wizard.summary
    assert unnamed_controls(wizard) == []
    finish = button(QWizard.WizardButton.FinishButton)
    walk = tab_walk(qtbot, wizard, summary.account_name, 3)
    assert walk == [summary.account_name, back, finish, cancel]
    wizard.close()


def test_account_settings_are_named(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    win.account_settings_action.trigger()
    dialog = win.account_settings
    assert isinstance(dialog, AccountsSettingsDialog)
    qtbot.waitExposed(dialog)
    assert unnamed_controls(dialog) == []
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        assert unnamed_controls(dialog) == [], dialog.tabs.tabText(index)
    dialog.close()


def test_the_composer_of_a_window_without_accounts_is_named(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    composer = ComposerWindow([], window)
    composer.show()
    qtbot.waitExposed(composer)
    assert unnamed_controls(composer) == []
    composer.dirty = False
    composer.close()
