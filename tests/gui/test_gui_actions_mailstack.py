"""The main window's message actions against the suite's real Dovecot: Get Mail brings a newly
delivered message into the list; M and S, Delete and dragging onto a folder change the list at
once and reach the server (checked with the standard library's imaplib) by the window's own
replay; Reply on a synced message threads to it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from support.mailstack import MailStack, MailUser

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.ui.main_window import MainWindow

ACCOUNT = "Work"
WAIT = 90.0  # seconds; generous, the machine is shared (never asserted on)


def _account(stack: MailStack, user: MailUser) -> Account:
    return Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Ada Lovelace",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(stack.host, stack.ports.imap, Security.STARTTLS, user.address),
        outgoing=ServerSettings(
            stack.host, stack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(stack.ca_file)),
    )


def _raw(subject: str, user: MailUser) -> bytes:
    return (
        f"From: Alice Archer <alice@outside.test>\r\nTo: {user.address}\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{subject.lower()}@outside.test>\r\n"
        "Date: Fri, 01 Mar 2024 10:32:00 +0000\r\n\r\n"
        f"About {subject}.\r\n"
    ).encode()


async def until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s: {predicate}")
        await asyncio.sleep(0.1)


async def server_until(check: Callable[[], bool], timeout: float = WAIT) -> None:
    """Poll the server (blocking imaplib, in a thread) until `check()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(check):
        if loop.time() > deadline:
            raise AssertionError(f"the server still does not show it after {timeout:.0f}s")
        await asyncio.sleep(0.3)


def _server(stack: MailStack, user: MailUser) -> dict[str, dict[str, set[str]]]:
    """mailbox -> subject -> flags, as the server has them now."""
    client = stack.imap(user.address)
    try:
        found: dict[str, dict[str, set[str]]] = {}
        for mailbox in ("INBOX", "Trash", "Projects"):
            _, count = client.select(mailbox, readonly=True)
            found[mailbox] = {}
            if count[0] in (b"0", None):
                continue
            _, data = client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            for item in data:
                if not isinstance(item, tuple):
                    continue
                head, body = item
                subject = body.decode().split(":", 1)[1].strip() if b":" in body else ""
                flags = re.search(rb"FLAGS \(([^)]*)\)", head)
                found[mailbox][subject] = set(flags.group(1).decode().split()) if flags else set()
        return found
    finally:
        client.logout()


def _drop_on(window: MainWindow, mime, folder_name: str) -> None:  # type: ignore[no-untyped-def]
    pane = window.folder_pane
    index = pane.folder_model.folder_index(ACCOUNT, folder_name)
    assert index.isValid(), folder_name
    point = QPointF(pane.visualRect(index).center())
    actions = Qt.DropAction.MoveAction
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    pane.dragEnterEvent(QDragEnterEvent(point.toPoint(), actions, mime, left, none))
    drop = QDropEvent(point, actions, mime, left, none)
    pane.dropEvent(drop)
    assert drop.isAccepted()


def test_get_mail_and_changes_reach_the_server(  # type: ignore[no-untyped-def]
    qtbot, engine, window_settings, *, qloop, mailstack: MailStack
) -> None:
    user = mailstack.unique_user("gact")
    client = mailstack.imap(user.address)
    try:
        client.create("Projects")
    finally:
        client.logout()
    qloop.run_until_complete(engine.add_account(_account(mailstack, user), user.password))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.reader.mark_read_delay_ms = 10**8  # only M marks read in this test
    runner = window.engine_runner
    runner.sync_on_start = False
    runner.poll_seconds = 0.3
    view = window.message_list
    model = view.message_model
    a = window.mail_actions

    def subjects() -> list[str]:
        return sorted(
            m.subject for r in range(model.rowCount()) if (m := model.message(r)) is not None
        )

    def row_id(subject: str) -> int:
        for r in range(model.rowCount()):
            m = model.message(r)
            if m is not None and m.subject == subject:
                return m.id
        raise AssertionError(f"{subject} is not in the list")

    def pick(message_id: int) -> None:
        """Select only this message (whatever modifier state an earlier test left)."""
        index = model.index(model.row_of(message_id), 0)
        flags = QItemSelectionModel.SelectionFlag
        view.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        assert view.selected_ids() == [message_id]

    async def scenario() -> None:
        runner.start()
        assert a["get_mail"].isEnabled()
        for subject in ("First", "Second", "Third"):
            mailstack.deliver(_raw(subject, user), user.address)
        await asyncio.to_thread(mailstack.wait_for_inbox, user.address, b"Subject: Third")
        # Get Mail (F5): the window's runner syncs, the list shows what arrived.
        a["get_mail"].trigger()
        await until(lambda: subjects() == ["First", "Second", "Third"])
        assert window.folder_pane.current_choice.folder == "INBOX"

        first = row_id("First")
        pick(first)
        assert model.message(model.row_of(first)).unread
        a["toggle_read"].trigger()
        await until(lambda: not model.message(model.row_of(first)).unread)
        a["toggle_flag"].trigger()
        await until(
            lambda: (
                "starred"
                in str(model.index(model.row_of(first), 0).data(Qt.ItemDataRole.AccessibleTextRole))
            )
        )

        pick(row_id("Second"))
        a["delete"].trigger()
        await until(lambda: subjects() == ["First", "Third"])

        third = row_id("Third")
        mime = model.mimeData([model.index(model.row_of(third), 0)])
        _drop_on(window, mime, "Projects")
        await until(lambda: subjects() == ["First"])

        # The window sends its changes by itself shortly after they were made.
        def on_server() -> bool:
            state = _server(mailstack, user)
            return (
                set(state["INBOX"]) == {"First"}
                and {"\\Seen", "\\Flagged"} <= state["INBOX"]["First"]
                and "Second" in state["Trash"]
                and "Third" in state["Projects"]
            )

        await server_until(on_server)

        # Reply threads to the synced message (its body fetched from the server if needed).
        pick(first)
        a["reply"].trigger()
        await until(lambda: bool(window.composers))
        composer = window.composers[-1]
        composer.dirty = False
        assert composer.subject_edit.text() == "Re: First"
        assert [m.address for m in composer.to_edit.mailboxes()] == ["alice@outside.test"]
        assert composer.in_reply_to == "<first@outside.test>"
        assert "Alice Archer wrote:\n> About First." in composer.body_edit.toPlainText()

    async def body() -> None:
        try:
            await scenario()
        finally:
            await runner.aclose(timeout=5)

    qloop.run_until_complete(body())
