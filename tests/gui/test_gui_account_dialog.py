"""The manual account dialog: a live test against a real (refusing) loopback port, and Save."""

from __future__ import annotations

import asyncio
import socket

from PySide6.QtCore import Qt

from mailapp.core.model import IncomingProtocol, Security
from mailapp.ui.account_dialog import AccountDialog
from mailapp.ui.main_window import MainWindow


def _closed_port() -> int:
    # Bind and release: nothing listens there afterwards, so a connect is refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _open_dialog(qtbot, window: MainWindow) -> AccountDialog:
    qtbot.mouseClick(window.empty_state.add_button, Qt.MouseButton.LeftButton)
    dialog = window.account_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def _fill(qtbot, dialog: AccountDialog, host: str = "127.0.0.1", port: int = 993) -> None:
    qtbot.keyClicks(dialog.display_name, "Ada Lovelace")
    qtbot.keyClicks(dialog.email, "ada@example.org")
    dialog.incoming.host.setText(host)
    dialog.incoming.port.setValue(port)
    dialog.outgoing.host.setText(host)
    dialog.outgoing.port.setValue(port)
    qtbot.keyClicks(dialog.password, "correct horse")


def test_ports_follow_protocol_and_security(qtbot, window: MainWindow) -> None:
    dialog = _open_dialog(qtbot, window)
    assert dialog.incoming.port.value() == 993
    dialog.incoming.security.setCurrentIndex(1)  # STARTTLS
    assert dialog.incoming.port.value() == 143
    dialog.protocol.setCurrentIndex(1)  # POP3
    assert dialog.incoming.port.value() == 110
    dialog.incoming.port.setValue(1143)  # the person's own choice stays
    dialog.incoming.security.setCurrentIndex(0)
    assert dialog.incoming.port.value() == 1143
    assert dialog.outgoing.port.value() == 465
    dialog.outgoing.security.setCurrentIndex(1)
    assert dialog.outgoing.port.value() == 587


def test_missing_fields_are_explained_in_the_dialog(qtbot, window: MainWindow) -> None:
    dialog = _open_dialog(qtbot, window)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "email address" in dialog.status.text()
    qtbot.keyClicks(dialog.email, "ada@example.org")
    dialog.incoming.host.setText("")
    dialog.outgoing.host.setText("")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "incoming server" in dialog.status.text()
    assert window.showing_empty_state


def test_test_button_shows_each_step_live(qtbot, window: MainWindow, qloop) -> None:
    dialog = _open_dialog(qtbot, window)
    _fill(qtbot, dialog, port=_closed_port())

    async def scenario() -> None:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert dialog.busy
        assert dialog.test_button.text().replace("&", "") == "Stop Test"
        assert not dialog.save_button.isEnabled()
        task = dialog._task
        assert task is not None
        await asyncio.wait({task}, timeout=60)

    qloop.run_until_complete(scenario())
    assert not dialog.busy
    assert dialog.save_button.isEnabled()
    rows = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    assert rows, "the check reported no step"
    assert rows[0].startswith("Incoming · Connect: failed")
    assert any(row.startswith("Outgoing") for row in rows)
    assert "Some checks failed" in dialog.status.text()
    assert window.showing_empty_state  # nothing was saved


def test_save_adds_the_account_and_leaves_the_empty_state(
    qtbot, window: MainWindow, engine, qloop
) -> None:
    dialog = _open_dialog(qtbot, window)
    _fill(qtbot, dialog, host="mail.example.org")
    dialog.incoming.security.setCurrentIndex(1)
    dialog.outgoing.security.setCurrentIndex(1)

    async def scenario() -> None:
        changed = asyncio.Event()
        window.accounts_changed.connect(changed.set)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        await asyncio.wait_for(changed.wait(), timeout=60)

    qloop.run_until_complete(scenario())
    qtbot.waitUntil(lambda: window.account_dialog is None)
    assert not window.showing_empty_state
    assert window.main_splitter.isVisible()
    [account] = engine.list_accounts()
    assert account.email == "ada@example.org"
    assert account.name == "ada@example.org"
    assert account.incoming_protocol is IncomingProtocol.IMAP
    assert account.incoming.security is Security.STARTTLS
    assert account.incoming.port == 143
    assert account.outgoing.port == 587
    assert account.incoming.user == "ada@example.org"
    model = window.folder_pane.folder_model
    top = model.index(0, 0)
    assert top.data() == "ada@example.org"
    assert model.index(0, 0, top).data() == "Inbox"
    assert window.folder_pane.currentIndex().data() == "Inbox"
    assert window.status.accounts_label.text() == "1 account"
