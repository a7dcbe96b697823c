"""The message list over a real store: lazy windows, sorting, bold unread, search, actions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from support.message_store import add_rows, folder, generate

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.store.folders import FolderRole
from mailapp.store.messages import MessageFlag, MessageRepository
from mailapp.ui import message_list
from mailapp.ui.main_window import MainWindow
from mailapp.ui.message_list import WINDOW, Column, MessageListModel, MessageListView


def run_until(
    loop: asyncio.AbstractEventLoop, done: Callable[[], bool], timeout: float = 20
) -> None:
    async def wait() -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.01)

    loop.run_until_complete(wait())


def _account(name: str = "work") -> Account:
    return Account(
        name=name,
        email=f"{name}@example.org",
        display_name="Ada Lovelace",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings("imap.example.org", 993, Security.SSL, name),
        outgoing=ServerSettings("smtp.example.org", 465, Security.SSL, name),
    )


def test_model_over_the_store_passes_the_model_tester(qapp, engine, qtmodeltester) -> None:
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    add_rows(engine, inbox, generate(300))
    model = MessageListModel(engine=engine)
    model.show_folder(inbox.id)
    assert model.rowCount() == 300
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    # Newest first by default; unread rows bold, read ones not.
    first, second = model.message(0), model.message(1)
    assert first is not None and second is not None
    assert first.date > second.date
    for row in range(6):
        m = model.message(row)
        assert m is not None
        bold = model.index(row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole)
        assert (bold is not None and bold.bold()) == m.unread
    assert model.index(0, Column.SIZE).data().endswith("KB")


def test_sorting_re_reads_the_ids_in_the_new_order(engine) -> None:
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    add_rows(engine, inbox, generate(500))
    model = MessageListModel(engine=engine)
    model.show_folder(inbox.id)

    def column(col: Column) -> list[object]:
        return [model.message(r) for r in range(model.rowCount())]

    model.sort(Column.SIZE, Qt.SortOrder.AscendingOrder)
    sizes = [m.size for m in column(Column.SIZE) if m is not None]
    assert sizes == sorted(sizes) and len(sizes) == 500
    model.sort(Column.SUBJECT, Qt.SortOrder.DescendingOrder)
    subjects = [m.subject.casefold() for m in column(Column.SUBJECT) if m is not None]
    assert subjects == sorted(subjects, reverse=True)
    model.sort(Column.FROM, Qt.SortOrder.AscendingOrder)
    senders = [(m.from_name or m.from_addr).casefold() for m in column(Column.FROM) if m]
    assert senders == sorted(senders)
    model.sort(Column.DELIVERY, Qt.SortOrder.AscendingOrder)  # no stored order: unchanged
    assert [(m.from_name or m.from_addr).casefold() for m in column(Column.FROM) if m] == senders


def test_only_the_windows_around_the_viewport_are_read(qtbot, engine) -> None:
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    add_rows(engine, inbox, generate(5000))
    view = MessageListView(engine=engine)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    qtbot.waitExposed(view)
    view.message_model.show_folder(inbox.id)
    QApplication.processEvents()
    model = view.message_model
    assert model.rowCount() == 5000
    assert set(model.fetched_windows) == {0}
    view.scrollToBottom()
    QApplication.processEvents()
    last = (5000 - 1) // WINDOW * WINDOW
    assert set(model.fetched_windows) <= {0, last - WINDOW, last}
    assert last in model.fetched_windows
    # A deep scroll reads one more window, not everything in between.
    view.scrollTo(model.index(2500, 0))
    QApplication.processEvents()
    assert 2400 in model.fetched_windows
    assert len(set(model.fetched_windows)) <= 5


def test_big_folders_load_in_a_thread_when_a_loop_runs(qtbot, engine, qloop, monkeypatch) -> None:
    monkeypatch.setattr(message_list, "THREAD_THRESHOLD", 10)
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    add_rows(engine, inbox, generate(400))
    model = MessageListModel(engine=engine)

    async def open_it() -> None:
        model.folder_id = inbox.id
        model.reload(expected=400)
        assert model.pending is not None  # not read on the loop's thread
        await model.pending

    qloop.run_until_complete(open_it())
    assert model.rowCount() == 400


def test_search_narrows_the_list_and_escape_gives_it_back(
    qtbot, window: MainWindow, engine, qloop
) -> None:
    qloop.run_until_complete(engine.add_account(_account(), "pw"))
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    add_rows(engine, inbox, generate(200))
    window.refresh_accounts()
    model = window.message_list.message_model
    assert model.folder_id == inbox.id
    run_until(qloop, lambda: model.rowCount() == 200)
    window.mail_actions["search"].trigger()
    assert window.search_field.hasFocus()
    qtbot.keyClicks(window.search_field, "from:alice")
    qtbot.keyClick(window.search_field, Qt.Key.Key_Return)
    run_until(qloop, lambda: model.rowCount() == 40)
    assert all(
        (m := model.message(r)) is not None and m.from_addr == "alice@example.org"
        for r in range(model.rowCount())
    )
    window.search_field.setText("")
    qtbot.keyClicks(window.search_field, "invoice has:attachment")
    qtbot.keyClick(window.search_field, Qt.Key.Key_Return)
    run_until(qloop, lambda: 0 < model.rowCount() < 40)
    for r in range(model.rowCount()):
        m = model.message(r)
        assert m is not None and m.has_attachment and "invoice" in m.subject
    qtbot.keyClick(window.search_field, Qt.Key.Key_Escape)
    assert window.search_field.text() == ""
    run_until(qloop, lambda: model.rowCount() == 200)
    # A query the store cannot use is said plainly, the list stays.
    qtbot.keyClicks(window.search_field, "before:someday")
    qtbot.keyClick(window.search_field, Qt.Key.Key_Return)
    run_until(qloop, window.info_bar.isVisible)
    assert "someday" in window.info_bar.text
    assert model.rowCount() == 200


def test_keys_toggle_read_and_star_and_delete(qtbot, window: MainWindow, engine, qloop) -> None:
    qloop.run_until_complete(engine.add_account(_account(), "pw"))
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    folder(engine, "work", "Trash", FolderRole.TRASH)
    ids = add_rows(engine, inbox, generate(30))
    window.refresh_accounts()
    model = window.message_list.message_model
    run_until(qloop, lambda: model.rowCount() == 30)
    a = window.mail_actions
    assert not a["toggle_read"].isEnabled()  # nothing selected yet
    window.message_list.setCurrentIndex(model.index(0, 0))
    assert a["toggle_read"].isEnabled() and "not available" not in a["delete"].toolTip()
    database, _ = engine._mail_store()
    repo = MessageRepository(database)
    first = ids[0]
    before = repo.get(first).unread
    a["toggle_read"].trigger()
    run_until(qloop, lambda: repo.get(first).unread != before)
    assert model.message(0).unread == (not before)
    was_starred = MessageFlag.FLAGGED in repo.get(first).flags
    a["toggle_flag"].trigger()
    run_until(qloop, lambda: (MessageFlag.FLAGGED in repo.get(first).flags) != was_starred)
    a["delete"].trigger()
    run_until(qloop, lambda: model.rowCount() == 29)
    assert repo.get(first) is None
    assert window.message_list.current_message_id == ids[1]
    inbox_row = next(f for f in engine.folder_rows("work") if f.name == "INBOX")
    assert inbox_row.total == 29


@pytest.mark.parametrize("rows", [0])
def test_empty_folder_says_so(qtbot, engine, rows: int) -> None:
    view = MessageListView(engine=engine)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    assert view.message_model.rowCount() == rows
    assert view.empty_text == "No messages"
    view.grab()  # paints the empty text without a warning
