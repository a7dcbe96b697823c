"""The main window's message actions on a filled store: when they are on (and why not),
Reply / Reply All / Forward opening a filled-in composer, J to Junk, and dragging messages
onto a folder. The same against the real Dovecot: test_gui_actions_mailstack.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from support.message_store import BASE, add_message, folder

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.store.folders import FolderRole
from mailapp.store.messages import MessageFlag, MessageRepository
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.main_window import MainWindow
from mailapp.ui.message_list import MESSAGES_MIME, dragged_messages

ME = "work@example.org"


def run_until(
    loop: asyncio.AbstractEventLoop, done: Callable[[], object], timeout: float = 20
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


def _message(
    subject: str,
    *,
    number: int,
    reply_to: str | None = None,
    attachment: bytes | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = '"Archer, Alice" <alice@example.org>'
    if reply_to:
        message["Reply-To"] = reply_to
    message["To"] = f"Ada Lovelace <{ME}>, Bob Baker <bob@example.net>"
    message["Cc"] = "Carol Chen <carol@example.com>"
    message["Subject"] = subject
    message["Date"] = format_datetime(BASE)
    message["Message-ID"] = f"<m{number}@example.org>"
    message["In-Reply-To"] = "<m0@example.org>"
    message["References"] = "<root@example.org> <m0@example.org>"
    message.set_content("Shall we meet on Friday?\n\n-- \nAlice\n")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="plan.pdf"
        )
    return message.as_bytes()


def _filled(qloop, window: MainWindow, engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    qloop.run_until_complete(engine.add_account(_account(), "pw"))
    inbox = folder(engine, "work", "INBOX", FolderRole.INBOX)
    folder(engine, "work", "Archive", FolderRole.ARCHIVE)
    folder(engine, "work", "Junk", FolderRole.JUNK)
    ids = {
        "plain": add_message(engine, inbox, _message("Re: Re: Lunch", number=1), uid=1),
        "list": add_message(
            engine,
            inbox,
            _message("Lunch plans", number=2, reply_to="Team <team@lists.example.org>"),
            uid=2,
        ),
        "file": add_message(
            engine, inbox, _message("Fwd: The plan", number=3, attachment=b"%PDF-1.4 x"), uid=3
        ),
    }
    window.refresh_accounts()
    model = window.message_list.message_model
    run_until(qloop, lambda: model.rowCount() == 3)
    return ids


def _composer(qloop, window: MainWindow, before: int) -> ComposerWindow:  # type: ignore[no-untyped-def]
    run_until(qloop, lambda: len(window.composers) > before)
    composer = window.composers[-1]
    composer.dirty = False  # closing at teardown asks nothing
    return composer


def test_actions_say_why_they_are_off(qtbot, window: MainWindow, engine, qloop) -> None:
    a = window.mail_actions
    for key in ("get_mail", "reply", "reply_all", "forward", "delete", "junk"):
        assert not a[key].isEnabled(), key
        assert a[key].toolTip().endswith("— add an account first"), a[key].toolTip()
    ids = _filled(qloop, window, engine)
    assert a["get_mail"].isEnabled()
    assert a["get_mail"].toolTip() == "Get Mail (F5 / Ctrl+T)"
    window.message_list.setCurrentIndex(window.message_list.message_model.index(-1, 0))
    for key in ("reply", "reply_all", "forward", "delete", "junk", "toggle_read"):
        assert not a[key].isEnabled(), key
        assert a[key].toolTip().endswith("— select a message first"), a[key].toolTip()
    assert window.message_list.select_message(ids["plain"])
    for key in ("reply", "reply_all", "forward", "delete", "junk", "toggle_read", "toggle_flag"):
        assert a[key].isEnabled(), key
    assert a["reply"].toolTip() == "Reply (Ctrl+R)"
    assert a["forward"].toolTip() == "Forward (Ctrl+L)"
    # In the Junk folder, J has nothing to do.
    assert window.folder_pane.select_folder("work", "Junk")
    window.message_list.message_model.reload()
    assert not a["junk"].isEnabled()
    # A delivery view is no message list: nothing is selected there for these actions.
    window.show_delivery_folder("sent")
    assert not a["reply"].isEnabled()


def test_reply_prefill(qtbot, window: MainWindow, engine, qloop) -> None:
    ids = _filled(qloop, window, engine)
    assert window.message_list.select_message(ids["plain"])
    window.activateWindow()
    window.message_list.setFocus()
    qtbot.keyClick(window.message_list, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    composer = _composer(qloop, window, 0)
    assert composer.windowTitle() == "Re: Lunch"
    assert composer.subject_edit.text() == "Re: Lunch"  # never "Re: Re: Re:"
    assert [str(m) for m in composer.to_edit.mailboxes()] == ['"Archer, Alice" <alice@example.org>']
    assert composer.cc_edit.mailboxes() == ()
    body = composer.body_edit.toPlainText()
    assert body.startswith("\n\nOn ")
    assert ", Archer, Alice wrote:\n> Shall we meet on Friday?" in body
    assert "-- " not in body and "\n> Alice" not in body  # the signature stays out
    assert composer.in_reply_to == "<m1@example.org>"
    assert composer.references == (
        "<root@example.org>",
        "<m0@example.org>",
        "<m1@example.org>",
    )
    assert composer.current_account().name == "work"
    assert composer.body_edit.hasFocus() or QApplication.focusWidget() is None
    assert composer.body_edit.textCursor().position() == 0  # written above the quote
    _account_used, draft = composer.build_draft()
    assert draft.in_reply_to == "<m1@example.org>"


def test_reply_all_honours_reply_to_and_leaves_us_out(
    qtbot, window: MainWindow, engine, qloop
) -> None:
    ids = _filled(qloop, window, engine)
    assert window.message_list.select_message(ids["list"])
    window.mail_actions["reply"].trigger()
    composer = _composer(qloop, window, 0)
    assert [m.address for m in composer.to_edit.mailboxes()] == ["team@lists.example.org"]
    window.mail_actions["reply_all"].trigger()
    composer = _composer(qloop, window, 1)
    assert composer.subject_edit.text() == "Re: Lunch plans"
    assert [m.address for m in composer.to_edit.mailboxes()] == [
        "team@lists.example.org",
        "bob@example.net",
    ]
    assert [m.address for m in composer.cc_edit.mailboxes()] == ["carol@example.com"]
    assert ME not in composer.to_edit.text() + composer.cc_edit.text()


def test_forward_is_inline_with_the_attachment(qtbot, window: MainWindow, engine, qloop) -> None:
    ids = _filled(qloop, window, engine)
    assert window.message_list.select_message(ids["file"])
    window.mail_actions["forward"].trigger()
    composer = _composer(qloop, window, 0)
    assert composer.subject_edit.text() == "Fwd: The plan"
    assert composer.to_edit.is_empty()
    assert composer.to_edit.hasFocus() or QApplication.focusWidget() is None
    body = composer.body_edit.toPlainText()
    assert "-------- Forwarded Message --------\nSubject: Fwd: The plan\n" in body
    assert "\nFrom: Archer, Alice <alice@example.org>\n" in body
    assert body.rstrip().endswith("-- \nAlice")  # forwarded whole
    assert composer.in_reply_to is None and composer.references == ()
    files = composer.attachments.attachments
    assert [(f.filename, f.content_type, f.data) for f in files] == [
        ("plan.pdf", "application/pdf", b"%PDF-1.4 x")
    ]


def test_j_moves_to_junk(qtbot, window: MainWindow, engine, qloop) -> None:
    ids = _filled(qloop, window, engine)
    model = window.message_list.message_model
    assert window.message_list.select_message(ids["plain"])
    window.mail_actions["junk"].trigger()
    run_until(qloop, lambda: model.rowCount() == 2)
    database, _ = engine._mail_store()
    assert MessageRepository(database).get(ids["plain"]) is None
    assert qloop.run_until_complete(engine.pending_change_accounts()) == ["work"]
    assert "moved to Junk" in window.status.currentMessage()


def _drop(window: MainWindow, mime: QMimeData, folder_name: str) -> bool:
    pane = window.folder_pane
    index = pane.folder_model.folder_index("work", folder_name)
    assert index.isValid()
    point = QPointF(pane.visualRect(index).center())
    actions = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        point.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    pane.dragEnterEvent(enter)
    drop = QDropEvent(
        point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    pane.dropEvent(drop)
    return drop.isAccepted() and enter.isAccepted()


def test_dragging_messages_onto_a_folder_moves_them(
    qtbot, window: MainWindow, engine, qloop
) -> None:
    ids = _filled(qloop, window, engine)
    view = window.message_list
    model = view.message_model
    assert view.dragEnabled()
    rows = [model.index(model.row_of(ids["plain"]), 0), model.index(model.row_of(ids["list"]), 1)]
    mime = model.mimeData(rows)
    assert mime is not None and MESSAGES_MIME in model.mimeTypes()
    inbox_id = model.folder_id
    dragged = dragged_messages(mime)
    assert dragged is not None and dragged[0] == inbox_id
    assert sorted(dragged[1]) == sorted([ids["plain"], ids["list"]])

    # Not onto the folder they are in, and nothing but our own drags.
    assert not _drop(window, mime, "INBOX")
    other = QMimeData()
    other.setText("hello")
    assert not _drop(window, other, "Archive")
    assert model.rowCount() == 3

    assert _drop(window, mime, "Archive")
    run_until(qloop, lambda: model.rowCount() == 1)
    database, _ = engine._mail_store()
    repo = MessageRepository(database)
    assert repo.get(ids["plain"]) is None and repo.get(ids["list"]) is None
    inbox_row = next(f for f in engine.folder_rows("work") if f.name == "INBOX")
    assert inbox_row.total == 1
    run_until(qloop, lambda: "moved to Archive" in window.status.currentMessage())


def test_sending_a_reply_marks_the_original_answered(
    qtbot, window: MainWindow, engine, qloop
) -> None:
    ids = _filled(qloop, window, engine)
    assert window.message_list.select_message(ids["plain"])
    window.mail_actions["reply"].trigger()
    composer = _composer(qloop, window, 0)
    # What Send hands over is the outgoing block's business; here only the mark matters.
    composer.send_requested.disconnect(window.outgoing.send)
    composer.send_requested.emit(None)
    database, _ = engine._mail_store()
    repo = MessageRepository(database)
    run_until(qloop, lambda: MessageFlag.ANSWERED in repo.get(ids["plain"]).flags)
    assert MessageFlag.FORWARDED not in repo.get(ids["plain"]).flags
