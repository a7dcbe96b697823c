"""Account Settings: edit an account and its options, test it against the real servers,
rename it (its password follows), and remove it after the confirmation."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from support.mailstack import MailStack
from test_gui_main_window import _unnamed_controls

from mailapp.core.model import (
    Account,
    IncomingProtocol,
    ReadReceiptPolicy,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.ui.accounts_settings import AccountsSettingsDialog
from mailapp.ui.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton


def _account(name: str, **kw: object) -> Account:
    return Account(
        name=name,
        email=f"{name}@example.org" if "@" not in name else name,
        display_name="Ada",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings("mail.example.org", 993, Security.SSL, name),
        outgoing=ServerSettings("mail.example.org", 465, Security.SSL, name),
        **kw,  # type: ignore[arg-type]
    )


def _open(qtbot, window: MainWindow, name: str | None = None) -> AccountsSettingsDialog:
    window.refresh_accounts()
    window.account_settings_action.trigger()
    dialog = window.account_settings
    assert isinstance(dialog, AccountsSettingsDialog)
    qtbot.waitExposed(dialog)
    if name is not None:
        dialog.select(name)
    return dialog


def _wait(qloop, dialog: AccountsSettingsDialog) -> None:
    async def done() -> None:
        task = dialog.task.task
        assert task is not None
        await asyncio.wait({task}, timeout=120)

    qloop.run_until_complete(done())


def test_edit_options_and_rename(qtbot, window: MainWindow, engine, qloop) -> None:
    qloop.run_until_complete(engine.add_account(_account("work"), "pw-work"))
    qloop.run_until_complete(engine.add_account(_account("home"), "pw-home"))
    dialog = _open(qtbot, window, "home")
    assert [dialog.accounts_list.item(i).text() for i in range(2)] == ["work", "home"]
    assert dialog.account_name.text() == "home"
    assert _unnamed_controls(dialog) == []
    opts = dialog.options
    assert opts.delivery_reports.isChecked()  # the defaults of a new account
    assert not opts.read_receipts.isChecked()
    assert not opts.pop3_keep.isEnabled()  # IMAP: nothing left on a POP3 server

    dialog.account_name.selectAll()
    qtbot.keyClicks(dialog.account_name, "Home mail")
    dialog.display_name.selectAll()
    qtbot.keyClicks(dialog.display_name, "Ada Lovelace")
    opts.read_receipts.setChecked(True)
    opts.receipt_replies.setCurrentIndex(opts.receipt_replies.findData(ReadReceiptPolicy.NEVER))
    opts.remote_content.setChecked(True)
    opts.reports_folder.selectAll()
    qtbot.keyClicks(opts.reports_folder, "Reports")
    opts.check_interval.selectAll()
    qtbot.keyClicks(opts.check_interval, "25")
    dialog.protocol.setCurrentIndex(1)  # POP3: the port follows, keeping mail is offered
    assert dialog.incoming.port.value() == 995
    assert opts.pop3_keep.isEnabled()
    opts.pop3_keep.setCurrentIndex(2)
    assert opts.pop3_days.isEnabled()
    opts.pop3_days.setValue(14)

    edited: list[bool] = []
    dialog.accounts_edited.connect(lambda: edited.append(True))
    qtbot.mouseClick(dialog.save_button, LEFT)
    _wait(qloop, dialog)
    assert dialog.status.text() == "Saved.", dialog.status.text()
    assert edited
    saved = engine.get_account("Home mail")
    assert saved.display_name == "Ada Lovelace"
    assert saved.incoming_protocol is IncomingProtocol.POP3
    o = saved.options
    assert (o.request_read_receipts, o.read_receipt_replies) == (True, ReadReceiptPolicy.NEVER)
    assert (o.load_remote_content, o.reports_folder) == (True, "Reports")
    assert (o.check_interval_minutes, o.pop3_keep_days) == (25, 14)
    # The password moved with the name; the other account is untouched.
    assert engine.credentials.get_password("Home mail", "incoming") == "pw-home"
    assert engine.credentials.get_password("home", "incoming") is None
    assert engine.get_account("work") == _account("work")
    # The window's folder pane shows the new name and the reports folder's new name.
    model = window.folder_pane.folder_model
    index = model.account_index("Home mail")
    assert index.isValid()
    names = [model.index(r, 0, index).data() for r in range(model.rowCount(index))]
    assert "Reports" in names
    # Delete after download.
    opts.pop3_keep.setCurrentIndex(1)
    qtbot.mouseClick(dialog.save_button, LEFT)
    _wait(qloop, dialog)
    assert engine.get_account("Home mail").options.pop3_keep_days == 0


def test_bad_input_is_explained_and_nothing_is_lost(
    qtbot, window: MainWindow, engine, qloop
) -> None:
    qloop.run_until_complete(engine.add_account(_account("work"), "pw"))
    dialog = _open(qtbot, window)
    dialog.incoming.host.clear()
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert "incoming server" in dialog.status.text()
    assert dialog.tabs.currentIndex() == 1  # the servers tab, where the field is
    dialog.incoming.host.setText("mail.example.org")
    dialog.account_name.setText("bad\nname")
    qtbot.mouseClick(dialog.save_button, LEFT)
    _wait(qloop, dialog)
    assert dialog.status.property("problem") is True
    assert engine.list_accounts() == [_account("work")]
    # Changed servers without the password cannot be tested; said so.
    dialog.account_name.setText("work")
    dialog.incoming.host.setText("other.example.org")
    qtbot.mouseClick(dialog.test_button, LEFT)
    assert "Enter the password" in dialog.results.status.text()


def test_test_a_saved_account_against_the_real_servers(
    qtbot, window: MainWindow, engine, qloop, mailstack: MailStack
) -> None:
    user = mailstack.unique_user("set")
    account = replace(
        _account(user.address, trust=TlsTrust(fingerprint=mailstack.server_fingerprint_sha256)),
        incoming=ServerSettings(mailstack.host, mailstack.ports.imaps, Security.SSL, user.address),
        outgoing=ServerSettings(
            mailstack.host, mailstack.ports.submissions, Security.SSL, user.address
        ),
    )
    qloop.run_until_complete(engine.add_account(account, user.password))
    dialog = _open(qtbot, window)
    dialog.tabs.setCurrentIndex(1)
    qtbot.mouseClick(dialog.test_button, LEFT)  # saved settings, saved password
    _wait(qloop, dialog)
    assert dialog.results.status.text() == "Both servers accepted the login."
    assert len(dialog.results.rows()) == 8
    # A new, wrong password is tested as typed, and said plainly.
    qtbot.keyClicks(dialog.password, "wrong")
    qtbot.mouseClick(dialog.test_button, LEFT)
    _wait(qloop, dialog)
    assert "Wrong user name or password" in dialog.results.status.text()
    # Dropping the pin: the certificate panel offers it again, with the same fingerprint.
    dialog.password.clear()
    dialog.trust.fingerprint.clear()
    qtbot.keyClicks(dialog.password, user.password)
    qtbot.mouseClick(dialog.test_button, LEFT)
    _wait(qloop, dialog)
    assert dialog.results.fingerprint.text() == mailstack.server_fingerprint_sha256
    qtbot.mouseClick(dialog.results.trust_button, LEFT)
    _wait(qloop, dialog)
    assert dialog.results.status.text() == "Both servers accepted the login."


def test_remove_after_confirmation(qtbot, window: MainWindow, engine, qloop) -> None:
    qloop.run_until_complete(engine.add_account(_account("work"), "pw"))
    dialog = _open(qtbot, window)
    assert not window.showing_empty_state

    qtbot.mouseClick(dialog.remove_button, LEFT)
    box = dialog._confirm
    assert isinstance(box, QMessageBox)
    qtbot.waitExposed(box)
    assert "work" in box.text()
    # Cancel keeps it.
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert dialog.task.task is None
    assert [a.name for a in engine.list_accounts()] == ["work"]

    async def remove() -> None:
        qtbot.mouseClick(dialog.remove_button, LEFT)
        confirm = dialog._confirm
        assert confirm is not None
        [remove_button] = [b for b in confirm.buttons() if b.text().replace("&", "") == "Remove"]
        remove_button.click()
        task = dialog.task.task
        assert task is not None
        await asyncio.wait({task}, timeout=60)

    qloop.run_until_complete(remove())
    assert engine.list_accounts() == []
    assert engine.credentials.get_password("work", "incoming") is None
    assert dialog.status.text() == "Account removed."
    assert dialog.empty.isVisible() and not dialog.tabs.isVisible()
    assert not dialog.save_button.isEnabled()
    assert window.showing_empty_state
    dialog.close()
    qtbot.waitUntil(lambda: window.account_settings is None)
