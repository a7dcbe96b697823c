"""The folder pane over the store: special-use order, nesting, unread counts, selection."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from support.message_store import add_rows, folder, generate

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.store.folders import FolderRole
from mailapp.ui.folder_pane import FOLDER_ID_ROLE, FolderModel, SpecialUse
from mailapp.ui.main_window import MainWindow


def _account(name: str) -> Account:
    return Account(
        name=name,
        email=f"{name}@example.org",
        display_name=name.title(),
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings("imap.example.org", 993, Security.SSL, name),
        outgoing=ServerSettings("smtp.example.org", 465, Security.SSL, name),
    )


def _labels(model: FolderModel, parent: QModelIndex) -> list[str]:
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def test_store_folders_special_first_then_alphabetical_and_nested(engine, qtmodeltester) -> None:
    for name, role in [
        ("zebra", None),
        ("Trash", FolderRole.TRASH),
        ("Archive", FolderRole.ARCHIVE),
        ("INBOX", FolderRole.INBOX),
        ("Sent Items", FolderRole.SENT),
        ("Lists", None),
        ("Lists/python", None),
        ("Projects/2024", None),
        ("Delivery Reports", None),
        ("Drafts", FolderRole.DRAFTS),
        ("Junk", FolderRole.JUNK),
        ("apple", None),
    ]:
        folder(engine, "work", name, role)
    model = FolderModel()
    model.set_accounts([_account("work"), _account("home")])
    model.set_folders(engine.folder_rows())
    qtmodeltester.check(model, force_py=True)
    work = model.index(0, 0)
    assert _labels(model, work) == [
        "Inbox",
        "Drafts",
        "Sent Items",
        "Outbox",
        "Delivery Reports",
        "Junk",
        "Trash",
        "Archive",
        "apple",
        "Lists",
        "Projects",
        "zebra",
    ]
    specials = [model.index(r, 0, work).data(Qt.ItemDataRole.UserRole + 3) for r in range(8)]
    assert specials == [s.value for s in SpecialUse]
    lists = model.index(9, 0, work)
    assert _labels(model, lists) == ["python"]
    projects = model.index(10, 0, work)
    # "Projects" was never listed itself: a container that cannot be selected.
    assert not model.flags(projects) & Qt.ItemFlag.ItemIsSelectable
    assert _labels(model, projects) == ["2024"]
    # The account without stored folders still shows the standard ones.
    home = model.index(1, 0)
    assert _labels(model, home)[:3] == ["Inbox", "Drafts", "Sent"]
    assert model.index(0, 0, home).data(FOLDER_ID_ROLE) is None


def test_unread_counts_update_in_place_and_are_bold(engine, qtmodeltester) -> None:
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    folder(engine, "work", "Sent", FolderRole.SENT)
    model = FolderModel()
    model.set_accounts([_account("work")])
    model.set_folders(engine.folder_rows())
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    add_rows(engine, inbox, generate(9, unread_every=3))  # 3 unread
    model.set_folders(engine.folder_rows())
    assert resets == []  # same folders: counts changed in place
    index = model.index(0, 0, model.index(0, 0))
    assert index.data() == "Inbox (3)"
    assert index.data(Qt.ItemDataRole.FontRole).bold()
    assert "9 messages, 3 unread" in index.data(Qt.ItemDataRole.ToolTipRole)
    sent = model.index(1, 0, model.index(0, 0))
    assert sent.data() == "Sent" and sent.data(Qt.ItemDataRole.FontRole) is None
    qtmodeltester.check(model, force_py=True)


def test_selecting_a_folder_shows_its_messages(qtbot, window: MainWindow, engine, qloop) -> None:
    qloop.run_until_complete(engine.add_account(_account("work"), "pw"))
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    archive = folder(engine, "work", "Archive", FolderRole.ARCHIVE)
    add_rows(engine, inbox, generate(12))
    add_rows(engine, archive, generate(5, seed=3))
    window.refresh_accounts()
    pane = window.folder_pane
    model = window.message_list.message_model
    assert pane.current_choice is not None and pane.current_choice.folder == "INBOX"
    assert model.rowCount() == 12
    assert pane.select_folder("work", "Archive")
    assert model.rowCount() == 5
    assert window.message_list.isColumnHidden(4)  # Delivery: only in Sent
    # A new folder after a sync keeps the selection where it was.
    folder(engine, "work", "Receipts")
    assert pane.select_folder("work", "Archive")
    window.refresh_mail()
    assert pane.current_choice is not None and pane.current_choice.folder == "Archive"
    assert model.rowCount() == 5
