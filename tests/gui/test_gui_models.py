"""Qt's model tester on every item model of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.ui.folder_pane import ACCOUNT_ROLE, FOLDER_ROLE, FolderModel, SpecialUse
from mailapp.ui.message_list import Column, MessageListModel


def _account(name: str) -> Account:
    return Account(
        name=name,
        email=f"{name}@example.org",
        display_name=name.title(),
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings("imap.example.org", 993, Security.SSL, name),
        outgoing=ServerSettings("smtp.example.org", 465, Security.SSL, name),
    )


def test_message_list_model(qtmodeltester) -> None:
    model = MessageListModel()
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert titles == ["Subject", "From", "Date", "Size", "Delivery"]


def test_folder_model_empty_and_with_accounts(qtmodeltester) -> None:
    model = FolderModel()
    qtmodeltester.check(model, force_py=True)
    model.set_accounts([_account("work"), _account("home")])
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    work = model.index(0, 0)
    assert work.data() == "work"
    names = [model.index(r, 0, work).data() for r in range(model.rowCount(work))]
    assert names == [
        "Inbox",
        "Drafts",
        "Sent",
        "Outbox",
        "Delivery Reports",
        "Junk",
        "Trash",
        "Archive",
    ]
    inbox = model.index(0, 0, work)
    assert inbox.data(ACCOUNT_ROLE) == "work"
    assert inbox.data(FOLDER_ROLE) == "Inbox"
    assert len(SpecialUse) == 8


def test_folder_model_unread_counts_are_bold(qtmodeltester) -> None:
    model = FolderModel()
    model.set_accounts([_account("work")])
    model.set_unread("work", "Inbox", 3)
    inbox = model.index(0, 0, model.index(0, 0))
    assert inbox.data() == "Inbox (3)"
    assert inbox.data(Qt.ItemDataRole.FontRole).bold()
    drafts = model.index(1, 0, model.index(0, 0))
    assert drafts.data(Qt.ItemDataRole.FontRole) is None
    qtmodeltester.check(model, force_py=True)
