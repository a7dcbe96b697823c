"""The composer against the suite's real Postfix + Dovecot: typed, attached by a drop, sent with
Ctrl+Enter; bob's Inbox receives it with the attachment intact. "Send Anyway" after the empty
subject warning; a pasted line break in the subject cannot add a header; drafts land in the
IMAP Drafts folder (checked with stdlib imaplib), a second save replaces the first, and
sending removes it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import secrets
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from support.mailstack import MailStack, MailUser
from test_gui_composer import drop_files

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.main_window import MainWindow

WAIT = 90.0  # generous: the machine is shared (never asserted on)
CTRL = Qt.KeyboardModifier.ControlModifier


def stack_account(stack: MailStack, user: MailUser) -> Account:
    return Account(
        name="Work",
        email=user.address,
        display_name="Ada Sender",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(stack.host, stack.ports.imap, Security.STARTTLS, user.address),
        outgoing=ServerSettings(
            stack.host, stack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(stack.ca_file)),
    )


@pytest.fixture
def sender(mailstack: MailStack) -> MailUser:
    return mailstack.unique_user("composer")


@pytest.fixture
def win(  # type: ignore[no-untyped-def]
    qtbot, engine: Engine, window_settings, qloop, *, mailstack: MailStack, sender: MailUser
) -> Iterator[MainWindow]:
    qloop.run_until_complete(engine.add_account(stack_account(mailstack, sender), sender.password))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.outgoing.undo_seconds = 0.3
    yield window
    qloop.run_until_complete(asyncio.wait_for(window.outgoing.wait_idle(), WAIT))


async def until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s")
        await asyncio.sleep(0.05)


def compose(qtbot, window: MainWindow) -> ComposerWindow:  # type: ignore[no-untyped-def]
    window.mail_actions["write"].trigger()
    composer = window.composers[-1]
    qtbot.waitExposed(composer)
    composer.activateWindow()
    qtbot.waitUntil(composer.isActiveWindow)
    return composer


def send_and_wait(qtbot, qloop, window: MainWindow, composer: ComposerWindow) -> str:  # type: ignore[no-untyped-def]
    """Ctrl+Enter; the window closes at once; returns the status bar's outcome."""
    outcomes: list[object] = []
    window.outgoing.finished.connect(outcomes.append)
    qtbot.keyClick(composer.body_edit, Qt.Key.Key_Return, CTRL)
    assert composer.isHidden()
    qloop.run_until_complete(until(lambda: outcomes))
    return window.outgoing.status.label.text()


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return [
        line.split(b":", 1)[0].decode().lower()
        for line in head.split(b"\n")
        if line and line[:1] not in (b" ", b"\t")
    ]


def test_write_and_send_to_bob_with_an_attachment(
    qtbot, win: MainWindow, engine: Engine, qloop, *, mailstack: MailStack, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    token = secrets.token_hex(6)
    subject = f"Figures {token}"
    data = bytes(range(256)) * 400 + token.encode()
    sheet = tmp_path / "figures.bin"
    sheet.write_bytes(data)
    composer = compose(qtbot, win)
    qtbot.keyClicks(composer.to_edit.input, f"Bob <{mailstack.address('bob')}>,")
    qtbot.keyClicks(composer.subject_edit, subject)
    qtbot.keyClicks(composer.body_edit, "Hello Bob, the figures are attached.")
    drop_files(composer, [sheet])
    assert [c.attachment.filename for c in composer.attachments.chips] == ["figures.bin"]

    assert send_and_wait(qtbot, qloop, win, composer) == "Sent to server"
    raw = mailstack.wait_for_inbox("bob", subject, timeout=WAIT)
    message = parse(raw)
    assert message["Subject"] == subject
    assert message["From"] == f"Ada Sender <{win.accounts[0].email}>"
    assert "Disposition-Notification-To" not in message  # no read receipt asked for
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "figures.bin"
    assert part.get_payload(decode=True) == data
    body = message.get_body(("plain",))
    assert body is not None and "the figures are attached" in body.get_content()
    # The outbox knows it went, with the reports asked for (the account's default).
    [summary] = qloop.run_until_complete(engine.recent_sent(5))
    assert summary.entry.subject == subject
    assert summary.entry.request_dsn


def test_empty_subject_warning_then_send_anyway(
    qtbot, win: MainWindow, qloop, mailstack: MailStack
) -> None:  # type: ignore[no-untyped-def]
    token = secrets.token_hex(6)
    composer = compose(qtbot, win)
    qtbot.keyClicks(composer.to_edit.input, mailstack.address("bob"))
    qtbot.keyClicks(composer.body_edit, f"No subject here {token}")
    qtbot.keyClick(composer.body_edit, Qt.Key.Key_Return, CTRL)
    assert composer.isVisible()
    assert composer.warning.isVisible()
    assert composer.warning.text.text() == "The message has no subject."
    assert QApplication.activeModalWidget() is None
    outcomes: list[object] = []
    win.outgoing.finished.connect(outcomes.append)
    qtbot.mouseClick(composer.warning.send_button, Qt.MouseButton.LeftButton)
    assert composer.isHidden()
    qloop.run_until_complete(until(lambda: outcomes))
    assert win.outgoing.status.label.text() == "Sent to server"
    raw = mailstack.wait_for_inbox("bob", token, timeout=WAIT)
    assert parse(raw)["Subject"] == ""


def test_a_line_break_in_the_subject_adds_no_header(
    qtbot, win: MainWindow, engine: Engine, qloop, mailstack: MailStack
) -> None:  # type: ignore[no-untyped-def]
    token = secrets.token_hex(6)
    outsider = mailstack.unique_user("outsider")
    composer = compose(qtbot, win)
    qtbot.keyClicks(composer.to_edit.input, mailstack.address("bob"))
    QApplication.clipboard().setText(f"Invoice {token}\r\nBcc: {outsider.address}\r\nX-Evil: 1")
    composer.subject_edit.setFocus()
    composer.subject_edit.paste()
    qtbot.keyClicks(composer.body_edit, "See you")
    assert send_and_wait(qtbot, qloop, win, composer) == "Sent to server"
    raw = mailstack.wait_for_inbox("bob", token, timeout=WAIT)
    message = parse(raw)
    assert message["Subject"] == f"Invoice {token} Bcc: {outsider.address} X-Evil: 1"
    names = header_names(raw)
    assert "bcc" not in names and "x-evil" not in names
    assert names.count("subject") == 1
    [summary] = qloop.run_until_complete(engine.recent_sent(5))
    status = qloop.run_until_complete(engine.delivery_status(summary.entry.message_id))
    assert [r.address for r in status.recipients] == [mailstack.address("bob")]


def _drafts(stack: MailStack, user: MailUser) -> list[tuple[bytes, bytes]]:
    """(flags, raw) of every message in the user's Drafts folder."""
    client = stack.imap(user.address)
    try:
        typ, _ = client.select("Drafts", readonly=True)
        assert typ == "OK"
        typ, data = client.uid("SEARCH", "ALL")
        found = []
        for uid in (data[0] or b"").split():
            typ, parts = client.uid("FETCH", uid.decode(), "(FLAGS BODY.PEEK[])")
            for item in parts:
                if isinstance(item, tuple):
                    found.append((item[0], bytes(item[1])))
        return found
    finally:
        client.logout()


def test_drafts_go_to_the_imap_drafts_folder(
    qtbot, win: MainWindow, engine: Engine, qloop, *, mailstack: MailStack, sender: MailUser
) -> None:  # type: ignore[no-untyped-def]
    token = secrets.token_hex(6)
    composer = compose(qtbot, win)
    qtbot.keyClicks(composer.to_edit.input, mailstack.address("bob"))
    qtbot.keyClicks(composer.bcc_edit.input, "hidden@example.test")
    qtbot.keyClicks(composer.subject_edit, f"Plan {token}")
    qtbot.keyClicks(composer.body_edit, "First version")
    saved: list[object] = []
    composer.draft_saved.connect(saved.append)
    qtbot.keyClick(composer.body_edit, Qt.Key.Key_S, CTRL)
    qloop.run_until_complete(until(lambda: saved))
    first = composer.draft_ref
    assert first is not None and first.on_server, first
    assert first.folder == "Drafts" and first.uid is not None
    [(flags, raw)] = _drafts(mailstack, sender)
    assert b"\\Draft" in flags
    message = parse(raw)
    assert message["Subject"] == f"Plan {token}"
    assert message["Bcc"] == "hidden@example.test"  # kept in a draft, never in a sent mail
    assert composer.draft_status.text().startswith("Draft saved at ")

    # A second save replaces the first copy.
    qtbot.keyClicks(composer.body_edit, ", second")
    qtbot.keyClick(composer.body_edit, Qt.Key.Key_S, CTRL)
    qloop.run_until_complete(until(lambda: len(saved) == 2))
    second = composer.draft_ref
    assert second is not None and second.on_server and second.uid != first.uid
    [(_flags, raw)] = _drafts(mailstack, sender)
    assert parse(raw).get_body(("plain",)).get_content().strip() == (  # type: ignore[union-attr]
        "First version, second"
    )

    # Sending it removes the draft, here and on the server.
    assert send_and_wait(qtbot, qloop, win, composer) == "Sent to server"
    qloop.run_until_complete(win.outgoing.wait_idle())
    assert _drafts(mailstack, sender) == []
    assert qloop.run_until_complete(engine.list_drafts()) == []
    raw = mailstack.wait_for_inbox("bob", f"Plan {token}", timeout=WAIT)
    assert "Bcc" not in parse(raw)
