"""The composer as a person uses it, without a mail server: typing recipients as chips, the
subject and text, attaching by button API and by drop, Ctrl+Enter, the warnings, Undo, the
outbox entry it leaves, closing with unsaved changes, completion, drafts kept locally, the
tab order. The real send and the IMAP Drafts folder: test_gui_composer_mailstack.py.

The account's servers are a loopback port nobody listens on, so nothing leaves the machine
and a send ends "Waiting to send" with the connection's reason.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from mailapp.core.delivery import OutboxState
from mailapp.core.model import (
    Account,
    AccountOptions,
    IncomingProtocol,
    Security,
    ServerSettings,
)
from mailapp.engine.api import Engine
from mailapp.ui.composer_window import ComposerWindow, mentions_attachment, single_line
from mailapp.ui.main_window import MainWindow
from mailapp.ui.outgoing import OutgoingMessage

WAIT = 60.0


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A loopback port that refuses connections (bound, never listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def offline_account(port: int, *, reports: bool = True, name: str = "Work") -> Account:
    server = ServerSettings("127.0.0.1", port, Security.SSL, "ann@example.org")
    return Account(
        name,
        "ann@example.org",
        "Ann Example",
        IncomingProtocol.IMAP,
        server,
        server,
        options=AccountOptions(request_delivery_reports=reports),
    )


@pytest.fixture
def win(qtbot, engine: Engine, window_settings, qloop, dead_port: int) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    qloop.run_until_complete(engine.add_account(offline_account(dead_port), "pw"))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.outgoing.undo_seconds = 0.0
    yield window
    # Whatever a test handed over runs to its end (the dead port refuses at once).
    qloop.run_until_complete(asyncio.wait_for(window.outgoing.wait_idle(), WAIT))


async def until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s")
        await asyncio.sleep(0.05)


def spin(qloop, seconds: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    qloop.run_until_complete(asyncio.sleep(seconds))


def open_composer(qtbot, window: MainWindow) -> ComposerWindow:  # type: ignore[no-untyped-def]
    window.mail_actions["write"].trigger()
    composer = window.composers[-1]
    qtbot.waitExposed(composer)
    # The offscreen platform activates a window only once it is exposed; shortcuts
    # (Ctrl+Enter, Ctrl+S) work in the active window.
    composer.activateWindow()
    qtbot.waitUntil(composer.isActiveWindow)
    return composer


def type_message(qtbot, composer: ComposerWindow, subject: str, body: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(composer.to_edit.input, "Bob Example <bob@example.org>, ")
    qtbot.keyClicks(composer.cc_edit.input, "carol@example.org")
    qtbot.keyClick(composer.cc_edit.input, Qt.Key.Key_Return)
    qtbot.keyClicks(composer.bcc_edit.input, "dave@example.org;")
    qtbot.keyClicks(composer.subject_edit, subject)
    for i, line in enumerate(body.split("\n")):
        if i:
            qtbot.keyClick(composer.body_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(composer.body_edit, line)


def drop_files(widget: QWidget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = widget.viewport() if hasattr(widget, "viewport") else widget
    # As a drag from a file manager arrives: enter, move, drop.
    # Enter and move events take an integer point, the drop a real one (PySide 6.11 and 6.12).
    at, point = QPoint(10, 10), QPointF(10, 10)
    copy, none, plain = (
        Qt.DropAction.CopyAction,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(at, copy, mime, none, plain)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(target, QDragMoveEvent(at, copy, mime, none, plain))
    drop = QDropEvent(point, copy, mime, none, plain)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()


def sent_messages(composer: ComposerWindow) -> list[OutgoingMessage]:
    got: list[OutgoingMessage] = []
    composer.send_requested.connect(got.append)
    return got


# --- pure helpers --------------------------------------------------------------------------


def test_attachment_words_and_single_line_subjects() -> None:
    assert mentions_attachment("Please see the attached report")
    assert mentions_attachment("Die Rechnung ist anbei.")
    assert mentions_attachment("Ich habe sie angehängt")
    assert not mentions_attachment("> see the attachment\nThanks, no files today")
    assert not mentions_attachment("An attaché case")
    assert single_line("Hi\r\nBcc: evil@example.net") == "Hi Bcc: evil@example.net"
    assert single_line("  plain  ") == "plain"
    assert single_line("tab\there\u2028x") == "tab here x"


# --- opening, typing, tab order ------------------------------------------------------------


def test_opens_at_once_with_focus_in_to_and_the_tab_order(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    assert composer.isVisible()
    assert composer.parent() is win
    assert composer.windowTitle() == "New message"
    assert composer.from_box.currentText() == "Ann Example <ann@example.org>"
    composer.activateWindow()
    qtbot.waitUntil(composer.to_edit.input.hasFocus)
    # The account asks for delivery reports by default; read receipts are off.
    assert composer.delivery_check.isChecked()
    assert not composer.receipt_check.isChecked()

    chain: list[QWidget] = []
    widget: QWidget = composer.to_edit.input
    for _ in range(200):
        # As Qt's own Tab does: widgets whose focus goes to a proxy are no stop of their own.
        tab_stop = widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.focusProxy() is None
        if tab_stop and widget.isVisibleTo(composer):
            if widget in chain:
                break
            chain.append(widget)
        widget = widget.nextInFocusChain()
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
        composer.from_box,
    ]
    assert chain == expected
    # Every control has a name a screen reader can say.
    for control in expected:
        assert control.accessibleName(), control.objectName()
    # focusNextChild walks the same way.
    composer.to_edit.input.setFocus()
    qtbot.waitUntil(composer.to_edit.input.hasFocus)
    for nxt in expected[1:5]:
        composer.focusNextChild()
        qtbot.waitUntil(lambda w=nxt: QApplication.focusWidget() is w)
    composer.close()


def test_recipients_become_chips_and_bad_ones_are_refused(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    to = composer.to_edit
    qtbot.keyClicks(to.input, '"Last, First" <first@example.org>, not an address; ok@example.org')
    assert [c.text for c in to.chips] == ['"Last, First" <first@example.org>', "not an address"]
    assert to.input.text() == "ok@example.org"
    qtbot.keyClick(to.input, Qt.Key.Key_Return)
    assert len(to.chips) == 3
    assert to.text() == '"Last, First" <first@example.org>, not an address, ok@example.org'
    bad = to.chips[1]
    assert bad.error is not None
    assert bad.label.text().startswith("⚠")  # not colour alone
    assert "not an address" in bad.accessibleName()

    qtbot.keyClicks(composer.subject_edit, "Hello")
    assert not composer.request_send()
    assert composer.warning.isVisible()
    assert "not an address" in composer.warning.text.text()
    assert not composer.warning.send_button.isVisible()  # no "Send anyway" for this

    # The remove button takes a chip away; Backspace takes the last one back for editing.
    qtbot.mouseClick(bad.remove_button, Qt.MouseButton.LeftButton)
    assert [c.text for c in to.chips] == ['"Last, First" <first@example.org>', "ok@example.org"]
    qtbot.keyClick(to.input, Qt.Key.Key_Backspace)
    assert [c.text for c in to.chips] == ['"Last, First" <first@example.org>']
    assert to.input.text() == "ok@example.org"
    composer.dirty = False
    composer.close()


# --- sending -------------------------------------------------------------------------------


def test_ctrl_enter_closes_at_once_and_queues_the_message_with_undo(
    qtbot, win: MainWindow, engine: Engine, qloop, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 " + b"x" * 2000)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8" + b"y" * 150_000)
    win.outgoing.undo_seconds = 60.0  # long enough to look at the queued entry
    composer = open_composer(qtbot, win)
    type_message(qtbot, composer, "Quarterly report", "Hello Bob,\nthe report is attached.")
    composer.attach_files([str(report)])
    drop_files(composer.body_edit, [photo])
    names = [c.label.text() for c in composer.attachments.chips]
    assert names == ["report.pdf  (2.0 kB)", "photo.jpg  (150.0 kB)"]
    assert composer.attachments.summary.text() == "2 attachments, 152.0 kB"
    # Dropping a file inserts no link into the text.
    assert composer.body_edit.toPlainText() == "Hello Bob,\nthe report is attached."
    composer.receipt_check.click()
    sent = sent_messages(composer)
    closed: list[bool] = []
    composer.destroyed.connect(lambda: closed.append(True))

    qtbot.keyClick(composer.body_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    # Handed over and closed before any engine work ran.
    assert len(sent) == 1
    assert composer.isHidden()
    message = sent[0]
    assert message.account == "Work"
    assert message.request_dsn is True
    draft = message.draft
    assert [str(m) for m in draft.to] == ["Bob Example <bob@example.org>"]
    assert [m.address for m in draft.cc] == ["carol@example.org"]
    assert [m.address for m in draft.bcc] == ["dave@example.org"]
    assert draft.subject == "Quarterly report"
    assert draft.text_body == "Hello Bob,\nthe report is attached."
    assert draft.html_body is None  # nothing was formatted
    assert draft.read_receipt
    assert [a.filename for a in draft.attachments] == ["report.pdf", "photo.jpg"]
    assert all(a.data is None and a.path is not None for a in draft.attachments)

    async def queued() -> None:
        await until(lambda: closed)
        await until(win.outgoing.status.undo_button.isVisible)
        entries = await engine.outbox_entries()
        assert len(entries) == 1
        entry = entries[0]
        assert entry.state is OutboxState.QUEUED
        assert entry.subject == "Quarterly report"
        assert entry.read_receipt and entry.request_dsn
        # Due only after the undo window: no worker may take it before.
        assert entry.next_attempt_at is not None
        status = await engine.delivery_status(entry.message_id)
        assert [(r.address, r.kind.value) for r in status.recipients] == [
            ("bob@example.org", "to"),
            ("carol@example.org", "cc"),
            ("dave@example.org", "bcc"),
        ]
        report_ = await engine.run_outbox_once("Work")
        assert not report_.attempted
        assert win.outgoing.status.label.text() == "Sending “Quarterly report”…"

        win.outgoing.status.undo_button.click()
        await win.outgoing.wait_idle()
        assert await engine.outbox_entries() == []

    qloop.run_until_complete(queued())
    assert "undone" in win.outgoing.status.label.text()
    # Undo opens the message again, as it was.
    reopened = win.composers[-1]
    assert reopened.to_edit.text() == "Bob Example <bob@example.org>"
    assert reopened.subject_edit.text() == "Quarterly report"
    assert len(reopened.attachments.chips) == 2
    assert reopened.receipt_check.isChecked()
    reopened.dirty = False
    reopened.close()


def test_after_the_undo_window_it_is_sent_and_the_outcome_shown(
    qtbot, win: MainWindow, engine: Engine, qloop
) -> None:  # type: ignore[no-untyped-def]
    win.outgoing.undo_seconds = 0.2
    composer = open_composer(qtbot, win)
    type_message(qtbot, composer, "Short note", "Hi")
    qtbot.keyClick(composer.subject_edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    assert composer.isHidden()
    outcomes: list[object] = []
    win.outgoing.finished.connect(outcomes.append)

    async def sent() -> None:
        await until(lambda: outcomes)
        await win.outgoing.wait_idle()

    qloop.run_until_complete(sent())
    # Nobody listens on the account's port: the message waits, with the reason.
    text = win.outgoing.status.label.text()
    assert text.startswith("Waiting to send: "), text
    [entry] = qloop.run_until_complete(engine.outbox_entries())
    assert entry.state is OutboxState.DEFERRED
    assert entry.last_error and entry.last_error in text
    # And the address is offered next time.
    found = qloop.run_until_complete(engine.known_addresses("bo"))
    assert found == ["bob@example.org"]


def test_empty_subject_and_missing_attachment_warn_in_the_window(
    qtbot, win: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    sent = sent_messages(composer)
    qtbot.keyClicks(composer.to_edit.input, "bob@example.org")
    qtbot.keyClicks(composer.body_edit, "The contract is enclosed.")
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert not sent
    assert composer.isVisible()
    assert composer.warning.isVisible()
    assert composer.warning.text.text() == (
        "The message has no subject. The text mentions an attachment, but nothing is attached."
    )
    assert QApplication.activeModalWidget() is None  # a bar, not a dialog
    # Keep editing: attach the file; only the subject warning is left.
    qtbot.mouseClick(composer.warning.close_button, Qt.MouseButton.LeftButton)
    assert composer.warning.isHidden()
    contract = tmp_path / "contract.odt"
    contract.write_bytes(b"PK")
    composer.attach_files([str(contract)])
    assert not composer.request_send()
    assert composer.warning.text.text() == "The message has no subject."
    qtbot.mouseClick(composer.warning.send_button, Qt.MouseButton.LeftButton)
    assert len(sent) == 1
    assert sent[0].draft.subject == ""
    assert composer.isHidden()


def test_no_recipient_is_said_and_nothing_sent(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    sent = sent_messages(composer)
    qtbot.keyClicks(composer.subject_edit, "Hi")
    qtbot.keyClick(composer.subject_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not sent
    assert composer.warning.text.text() == "Add at least one recipient in To, Cc or Bcc."
    composer.dirty = False
    composer.close()


def test_a_pasted_line_break_in_the_subject_stays_text(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    sent = sent_messages(composer)
    qtbot.keyClicks(composer.to_edit.input, "bob@example.org")
    QApplication.clipboard().setText("Invoice\r\nBcc: evil@example.net")
    composer.subject_edit.setFocus()
    composer.subject_edit.paste()
    assert composer.windowTitle() == "Invoice Bcc: evil@example.net"
    assert composer.request_send()
    draft = sent[0].draft
    assert draft.subject == "Invoice Bcc: evil@example.net"
    assert [m.address for m in draft.recipients] == ["bob@example.org"]


def test_formatting_sends_html_with_a_plain_alternative(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    sent = sent_messages(composer)
    qtbot.keyClicks(composer.to_edit.input, "bob@example.org")
    qtbot.keyClicks(composer.subject_edit, "Formatted")
    body = composer.body_edit
    qtbot.keyClicks(body, "Important")
    cursor = body.textCursor()
    cursor.select(QTextCursor.SelectionType.WordUnderCursor)
    body.setTextCursor(cursor)
    qtbot.keyClick(body, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    body.setTextCursor(cursor)
    qtbot.keyClick(body, Qt.Key.Key_Return)
    composer.format_bar.bullets.trigger()
    qtbot.keyClicks(body, "first")
    qtbot.keyClick(body, Qt.Key.Key_Return)
    qtbot.keyClicks(body, "second")
    qtbot.keyClick(body, Qt.Key.Key_Return)
    composer.format_bar.bullets.trigger()  # the list ends
    qtbot.keyClicks(body, "See ")
    composer.format_bar.insert_link("https://example.org/a?b=1")
    assert composer.request_send()
    draft = sent[0].draft
    assert draft.text_body == ("Important\n• first\n• second\nSee https://example.org/a?b=1")
    assert draft.html_body is not None
    html = draft.html_body
    assert "font-weight:700" in html or "<b>" in html
    assert "<ul" in html and "<li" in html and ">first<" in html
    assert 'href="https://example.org/a?b=1"' in html
    assert "-qt-" not in html and "qrichtext" not in html


# --- closing and drafts --------------------------------------------------------------------


def test_closing_with_changes_asks_without_blocking(qtbot, win: MainWindow, qloop) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    qtbot.keyClicks(composer.subject_edit, "Unfinished")
    composer.close()
    assert composer.isVisible()  # still there: the question is open
    box = composer._close_box
    assert box is not None and box.isVisible()
    assert QApplication.activeModalWidget() is None or box.windowModality() == (
        Qt.WindowModality.WindowModal
    )
    box.button(QMessageBox.StandardButton.Cancel).click()
    spin(qloop)
    assert composer.isVisible()
    closed: list[bool] = []
    composer.destroyed.connect(lambda: closed.append(True))
    composer.close()
    composer._close_box.button(QMessageBox.StandardButton.Discard).click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(closed))


def test_ctrl_s_keeps_the_draft_here_when_the_server_is_away(
    qtbot, win: MainWindow, engine: Engine, qloop
) -> None:  # type: ignore[no-untyped-def]
    composer = open_composer(qtbot, win)
    qtbot.keyClicks(composer.to_edit.input, "bob@example.org, not valid")
    qtbot.keyClicks(composer.bcc_edit.input, "secret@example.org")
    qtbot.keyClicks(composer.subject_edit, "Plan")
    qtbot.keyClicks(composer.body_edit, "Draft text")
    saved: list[object] = []
    composer.draft_saved.connect(saved.append)
    qtbot.keyClick(composer.body_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert composer.draft_status.text() == "Saving draft…"
    qloop.run_until_complete(until(lambda: saved))
    ref = composer.draft_ref
    assert ref is not None and ref.server_error  # connection refused, said
    assert "on this computer only" in composer.draft_status.text()
    assert "not valid" in composer.warning.text.text()  # left out, and said so
    assert not composer.dirty
    [listed] = qloop.run_until_complete(engine.list_drafts("Work"))
    assert listed.local_id == ref.local_id
    opened = qloop.run_until_complete(engine.open_draft(ref.local_id))
    assert [m.address for m in opened.draft.to] == ["bob@example.org"]
    assert [m.address for m in opened.draft.bcc] == ["secret@example.org"]
    assert opened.draft.text_body == "Draft text"
    assert opened.request_dsn is True

    # Open it again in a composer; sending it removes the saved draft.
    again = win.new_composer()
    again.load_saved(opened)
    again.show()
    assert again.subject_edit.text() == "Plan"
    assert again.draft_ref == ref
    win.outgoing.undo_seconds = 30.0
    assert again.request_send()

    async def gone() -> None:
        await until(win.outgoing.status.undo_button.isVisible)
        assert await engine.list_drafts() == []
        win.outgoing.undo_latest()
        await win.outgoing.wait_idle()

    qloop.run_until_complete(gone())
    for c in list(win.composers):
        c.dirty = False
        c.close()


def test_completion_offers_known_addresses_as_you_type(
    qtbot, win: MainWindow, engine: Engine, qloop
) -> None:  # type: ignore[no-untyped-def]
    from mailapp.core.draft import Draft, Mailbox

    draft = Draft(
        from_=Mailbox("ann@example.org"),
        to=(Mailbox("robert@example.org", "Bob Builder"),),
        subject="x",
    )
    result = qloop.run_until_complete(engine.send_after("Work", draft, delay=3600))
    composer = open_composer(qtbot, win)
    field = composer.to_edit
    field.input.setFocus()
    qtbot.keyClicks(field.input, "rob")

    async def offered() -> None:
        await until(lambda: field.completer.model().rowCount() > 0)

    qloop.run_until_complete(offered())
    assert field.completer.model().index(0, 0).data() == "robert@example.org"
    # Picking it makes a chip.
    field.completer.activated.emit("robert@example.org")
    assert [c.text for c in field.chips] == ["robert@example.org"]
    qloop.run_until_complete(engine.delete_outbox(result.outbox_id))
    composer.dirty = False
    composer.close()


def test_mailto_composer_sends_through_the_window(qtbot, win: MainWindow, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    from mailapp.app.mailto import MailtoRouter

    router = MailtoRouter(win, engine)
    try:
        composer = router.open("mailto:bob@example.org?subject=From%20a%20link")
        assert composer is not None
        assert composer.send_button.isEnabled()
        assert not composer.dirty
        sent = sent_messages(composer)
        qtbot.keyClicks(composer.body_edit, "Hello")
        assert composer.request_send()
        assert sent[0].draft.subject == "From a link"
    finally:
        router.detach()
