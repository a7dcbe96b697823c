"""The window's search with the "All folders" scope, against the suite's real Dovecot: messages
filed in two folders on the server (IMAP APPEND), synced, found together with the folder each
is in; "This folder" finds only the shown folder's; a result opens in the reader, and a
double-click goes to its folder with it selected.
"""

from __future__ import annotations

import asyncio
import imaplib
import time
from collections.abc import Callable
from email.message import EmailMessage

from PySide6.QtCore import Qt
from support.mailstack import MailStack

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.ui.main_window import MainWindow
from mailapp.ui.message_list import FOLDER_COLUMN, MessageListModel

ACCOUNT = "Work"


def run_until(qloop, predicate: Callable[[], object], timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    async def wait() -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"still not true after {timeout:.0f}s")
            await asyncio.sleep(0.05)

    qloop.run_until_complete(wait())


def file_message(stack: MailStack, address: str, folder: str, subject: str, text: str) -> None:
    message = EmailMessage()
    message["From"] = "Carol <carol@example.org>"
    message["To"] = address
    message["Subject"] = subject
    message.set_content(text)
    client = stack.imap(address)
    try:
        if folder != "INBOX":
            client.create(folder)
        when = imaplib.Time2Internaldate(time.time())
        assert client.append(folder, "", when, message.as_bytes())[0] == "OK"
    finally:
        client.logout()


def titles(model: MessageListModel, column: int = 0) -> list[str]:
    return [str(model.index(r, column).data()) for r in range(model.rowCount())]


def test_all_folders_search_finds_every_folder_and_opens_results(
    qtbot, qtmodeltester, engine: Engine, window_settings, *, qloop, mailstack: MailStack
) -> None:
    user = mailstack.unique_user("gsa")
    file_message(mailstack, user.address, "INBOX", "Budget 2025 draft", "The budget draft.\n")
    file_message(mailstack, user.address, "Projects", "Budget review", "Review the budget.\n")
    file_message(mailstack, user.address, "Projects", "Holiday plans", "Nothing to do.\n")
    account = Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Ada",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(
            mailstack.host, mailstack.ports.imap, Security.STARTTLS, user.address
        ),
        outgoing=ServerSettings(
            mailstack.host, mailstack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )
    qloop.run_until_complete(engine.add_account(account, user.password))
    qloop.run_until_complete(engine.download_bodies(ACCOUNT))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    model = window.message_list.message_model
    assert window.folder_pane.select_folder(ACCOUNT, "INBOX")
    run_until(qloop, lambda: model.rowCount() == 1)

    # This folder: only the Inbox's budget.
    assert not window.search_scope.all_folders
    assert window.search_scope.accessibleName() == "Search in"
    window.search_field.setText("budget")
    window.search_field.search_requested.emit("budget")
    run_until(qloop, lambda: titles(model) == ["Budget 2025 draft"])
    assert window.message_list.isColumnHidden(FOLDER_COLUMN)

    # All folders: both budgets, each with its folder.
    window.search_scope.set_all_folders(True)
    run_until(qloop, lambda: sorted(titles(model)) == ["Budget 2025 draft", "Budget review"])
    assert not window.message_list.isColumnHidden(FOLDER_COLUMN)
    assert model.headerData(FOLDER_COLUMN, Qt.Orientation.Horizontal) == "Folder"
    found = dict(zip(titles(model), titles(model, FOLDER_COLUMN), strict=True))
    assert found == {"Budget 2025 draft": "INBOX", "Budget review": "Projects"}
    # Qt's model tester on a model of its own (the window's goes with the window).
    results = MessageListModel(engine=engine)
    results.all_folders = True
    results.folder_names = dict(model.folder_names)
    results.search("budget")
    run_until(qloop, lambda: results.rowCount() == 2)
    assert sorted(titles(results, FOLDER_COLUMN)) == ["INBOX", "Projects"]
    qtmodeltester.check(results, force_py=True)
    qtmodeltester.check(results)

    # The query syntax works across folders too.
    window.search_field.setText("subject:review")
    window.search_field.search_requested.emit("subject:review")
    run_until(qloop, lambda: titles(model) == ["Budget review"])

    # Opening a result: the reader shows it; a double-click goes to its folder, selected.
    row = 0
    message_id = model.message_id(row)
    assert message_id is not None and window.message_list.select_message(message_id)
    run_until(qloop, lambda: "Review the budget." in window.reader.browser.toPlainText())
    window.message_list.doubleClicked.emit(model.index(row, 0))
    run_until(qloop, lambda: window.message_list.current_message_id == message_id)
    choice = window.folder_pane.current_choice
    assert choice is not None and choice.folder == "Projects"
    assert window.search_field.text() == ""
    assert window.message_list.isColumnHidden(FOLDER_COLUMN)
    assert sorted(titles(model)) == ["Budget review", "Holiday plans"]
