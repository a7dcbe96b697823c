"""Edit in the Outbox, as a person uses it, with the outgoing server down (a loopback port that
refuses): a queued message waits there; Edit takes it out of the outbox and opens it in a
composer filled as it was (identity, recipients, subject, formatted text, attachment,
options); a changed subject and Send make a new outbox entry. Closing the composer instead
keeps the message in Drafts. A message queued without its draft says why it cannot be
edited. Nothing leaves the machine."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mailapp.core.delivery import OutboxState
from mailapp.core.draft import Attachment, Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.engine.api import Engine
from mailapp.store.outbox import EDIT_NO_DRAFT, NewRecipient
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.main_window import MainWindow

WAIT = 60.0
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A loopback port that refuses connections (bound, never listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def offline_account(name: str, email: str, port: int) -> Account:
    server = ServerSettings("127.0.0.1", port, Security.SSL, email)
    return Account(name, email, f"{name} Person", IncomingProtocol.IMAP, server, server)


@pytest.fixture
def win(qtbot, engine: Engine, window_settings, qloop, dead_port: int) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    # Two identities: the edit must come back from the second one, not the default.
    for name, email in (("Home", "ann@home.example"), ("Work", "ann@work.example")):
        qloop.run_until_complete(engine.add_account(offline_account(name, email, dead_port), "pw"))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.outgoing.undo_seconds = 0.0
    window.content_stack.setCurrentWidget(window.outbox_view)
    yield window
    qloop.run_until_complete(asyncio.wait_for(window.outgoing.wait_idle(), WAIT))


async def until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s")
        await asyncio.sleep(0.05)


def queue_while_the_server_is_down(engine: Engine, qloop, tmp_path: Path) -> int:  # type: ignore[no-untyped-def]
    """Queued as the composer does (send_after), then one attempt: refused, deferred."""
    plan = tmp_path / "plan.txt"
    plan.write_bytes(b"step 1, step 2\n")
    draft = Draft(
        from_=Mailbox("ann@work.example", "Work Person"),
        to=(Mailbox("bob@example.org", "Bob Example"),),
        cc=(Mailbox("carol@example.org"),),
        bcc=(Mailbox("dave@example.org"),),
        subject="Plan for Monday",
        text_body="Hello Bob, the plan is attached.",
        html_body="<p>Hello Bob, the plan is <b>attached</b>.</p>",
        attachments=(Attachment.from_path(plan),),
        read_receipt=True,
    )

    async def queue() -> int:
        result = await engine.send_after("Work", draft, delay=0, request_dsn=False)
        report = await engine.run_outbox_once("Work")
        assert report.deferred == [result.outbox_id]
        return result.outbox_id

    outbox_id: int = qloop.run_until_complete(queue())
    return outbox_id


def show_outbox(win: MainWindow, engine: Engine, qloop) -> None:  # type: ignore[no-untyped-def]
    # What the window's engine runner hands the view when it refreshes.
    win.outbox_view.set_entries(qloop.run_until_complete(engine.outbox_entries()))


def click_edit(qtbot, win: MainWindow, qloop) -> ComposerWindow:  # type: ignore[no-untyped-def]
    view = win.outbox_view
    opened: list[ComposerWindow] = []
    view.editing.connect(opened.append)
    assert view.edit_button.isEnabled(), view.edit_button.toolTip()
    qtbot.mouseClick(view.edit_button, LEFT)
    qloop.run_until_complete(until(lambda: opened))
    composer = opened[0]
    qtbot.waitExposed(composer)
    assert composer is win.composers[-1]
    return composer


def test_edit_a_queued_message_change_the_subject_and_send_it_again(
    qtbot, win: MainWindow, engine: Engine, qloop, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    outbox_id = queue_while_the_server_is_down(engine, qloop, tmp_path)
    view = win.outbox_view
    show_outbox(win, engine, qloop)
    [entry] = view.model.items
    assert entry.state is OutboxState.DEFERRED and entry.editable
    assert view.edit_button.isEnabled() and view.edit_action.isEnabled()
    assert not view.edit_note.isVisibleTo(view)
    assert "not sent until you send it again" in view.edit_button.toolTip()

    composer = click_edit(qtbot, win, qloop)

    # Out of the outbox at once: no worker can send it while it is being edited.
    assert qloop.run_until_complete(engine.outbox_entries()) == []
    assert qloop.run_until_complete(engine.run_outbox_once()).attempted == 0
    # The composer holds the message as it was queued.
    assert composer.current_account() is not None
    assert composer.current_account().name == "Work"  # type: ignore[union-attr]
    assert composer.to_edit.text() == "Bob Example <bob@example.org>"
    assert composer.cc_edit.text() == "carol@example.org"
    assert composer.bcc_edit.text() == "dave@example.org"
    assert composer.subject_edit.text() == "Plan for Monday"
    assert composer.body_edit.toPlainText() == "Hello Bob, the plan is attached."
    assert "font-weight" in composer.body_edit.toHtml()  # the bold word stayed bold
    assert [c.label.text().split("  ")[0] for c in composer.attachments.chips] == ["plan.txt"]
    assert composer.receipt_check.isChecked()
    assert not composer.delivery_check.isChecked()  # as chosen, not the account's default
    assert "Taken back from the Outbox" in composer.notice.text()
    assert composer.notice.isVisibleTo(composer)

    # A new subject, then Send: a new entry (a new Message-ID), the old one stays gone.
    composer.subject_edit.selectAll()
    qtbot.keyClicks(composer.subject_edit, "Plan for Tuesday")
    qtbot.mouseClick(composer.send_button, LEFT)
    assert composer.isHidden()

    async def sent_again() -> None:
        await win.outgoing.wait_idle()

    qloop.run_until_complete(sent_again())
    show_outbox(win, engine, qloop)
    [again] = view.model.items
    assert again.id != outbox_id and again.message_id != entry.message_id
    assert again.subject == "Plan for Tuesday"
    assert again.state is OutboxState.DEFERRED  # the server is still down
    assert again.read_receipt and not again.request_dsn
    assert [r.address for r in again.recipients] == [
        "bob@example.org",
        "carol@example.org",
        "dave@example.org",
    ]
    assert view.model.index(0, 0).data() == "Plan for Tuesday"
    # The draft made when it was taken back went once it was queued again.
    assert qloop.run_until_complete(engine.list_drafts()) == []
    raw = qloop.run_until_complete(engine.outgoing_message(again.id))
    assert [a.filename for a in raw.attachments] == ["plan.txt"]


def test_closing_the_composer_keeps_the_taken_back_message_in_drafts(
    qtbot, win: MainWindow, engine: Engine, qloop, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    queue_while_the_server_is_down(engine, qloop, tmp_path)
    show_outbox(win, engine, qloop)
    view = win.outbox_view
    # The list's context menu offers the same actions.
    rect = view.list.visualRect(view.model.index(0, 0))
    view.list.customContextMenuRequested.emit(rect.center())
    assert view.context_menu.isVisible()
    assert view.edit_action.isEnabled()
    view.context_menu.hide()

    composer = click_edit(qtbot, win, qloop)
    closed: list[bool] = []
    composer.destroyed.connect(lambda: closed.append(True))
    composer.close()  # no question: it is saved as a draft already
    qloop.run_until_complete(until(lambda: closed))
    [kept] = qloop.run_until_complete(engine.list_drafts("Work"))
    assert kept.subject == "Plan for Monday"
    saved = qloop.run_until_complete(engine.open_draft(kept.local_id))
    assert saved.draft.html_body is not None and "<b>attached</b>" in saved.draft.html_body
    assert qloop.run_until_complete(engine.outbox_entries()) == []


def test_a_message_queued_without_its_draft_says_why_edit_is_off(
    qtbot, win: MainWindow, engine: Engine, qloop
) -> None:  # type: ignore[no-untyped-def]
    engine.sending.outbox.enqueue(
        "Work",
        raw=b"From: ann@work.example\r\nSubject: Old\r\n\r\nqueued by an older mailapp\r\n",
        message_id="<old@work.example>",
        envelope_from="ann@work.example",
        recipients=[NewRecipient("bob@example.org")],
        subject="Old",
    )
    show_outbox(win, engine, qloop)
    view = win.outbox_view
    assert not view.edit_button.isEnabled()
    assert not view.edit_action.isEnabled()
    assert view.edit_note.isVisibleTo(view)
    assert EDIT_NO_DRAFT in view.edit_note.text()
    assert EDIT_NO_DRAFT in view.edit_button.toolTip()
    view.edit_selected()  # nothing happens: no task, no composer
    assert win.composers == []
