"""The Sent folder as a person opens it, against the suite's real Postfix + Dovecot: every message
of the server's Sent folder is listed, also one another program (a phone) filed there with
IMAP APPEND ("Not tracked", its text in the reader), next to the one mailapp sent (its
Delivery column and per-recipient panel). mailapp's own message is listed before the sync
brings its server copy and once afterwards, never twice. Reply, Reply All and Forward work
from the Sent view: an answer to one's own message goes to its recipients again, and an HTML
original is quoted as sanitised HTML.
"""

from __future__ import annotations

import asyncio
import imaplib
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from PySide6.QtCore import Qt
from support.mailstack import MailStack, MailUser

from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine, SentFolderItem
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.delivery_column import DELIVERY_KIND_ROLE, UNTRACKED_KIND
from mailapp.ui.main_window import MainWindow
from mailapp.ui.sent_view import SentModel, SentView

ACCOUNT = "Work"
WAIT = 90.0  # seconds; generous on a shared machine (never asserted on)


def account_for(stack: MailStack, user: MailUser) -> Account:
    return Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Ada Sender",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(stack.host, stack.ports.imap, Security.STARTTLS, user.address),
        outgoing=ServerSettings(
            stack.host, stack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(stack.ca_file)),
    )


async def until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s: {predicate}")
        await asyncio.sleep(0.1)


def phone_message(user: MailUser) -> tuple[bytes, str]:
    """A message as a phone's mail app files it in Sent: HTML with a plain alternative, a
    script and a remote image that must never reach a quote."""
    message = EmailMessage()
    message["From"] = f"Ada Sender <{user.address}>"
    message["To"] = "Carol <carol@example.org>"
    message["Cc"] = "dave@example.org"
    message["Subject"] = "Sent from my phone"
    message["Date"] = format_datetime(time_now())
    mid = make_msgid(domain="phone.example")
    message["Message-ID"] = mid
    message.set_content("See you at the station at 9.\n")
    message.add_alternative(
        "<html><body><p>See you at the <b>station</b> at 9.</p>"
        '<script>alert("x")</script><img src="https://tracker.example/p.gif">'
        "</body></html>",
        subtype="html",
    )
    return message.as_bytes(), mid


def time_now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def append_to_sent(stack: MailStack, user: MailUser, raw: bytes) -> None:
    client = stack.imap(user.address)
    try:
        status, _ = client.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(time.time()), raw)
        assert status == "OK"
    finally:
        client.logout()


def rows(view: SentView, message_id: str) -> list[SentFolderItem]:
    return [i for i in view.model.items if i.message_id == message_id]


def composer_after(window: MainWindow, before: int) -> ComposerWindow | None:
    return window.composers[-1] if len(window.composers) > before else None


@pytest.fixture
def sender(mailstack: MailStack) -> MailUser:
    return mailstack.unique_user("gsf")


def test_sent_folder_lists_other_programs_messages_and_answers_from_it(
    qtbot, qtmodeltester, engine: Engine, window_settings, *, qloop, mailstack: MailStack,
    sender: MailUser,
) -> None:  # fmt: skip
    raw, phone_mid = phone_message(sender)
    append_to_sent(mailstack, sender, raw)
    qloop.run_until_complete(engine.add_account(account_for(mailstack, sender), sender.password))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    runner = window.engine_runner
    runner.poll_seconds = 0.3
    runner.sync_on_start = False  # synced below, and on Get Mail
    view = window.sent_view
    actions = window.mail_actions
    bob = mailstack.address("bob")
    seen: dict[str, object] = {}

    async def scenario() -> None:
        await engine.sync_account(ACCOUNT)
        window.refresh_mail()
        runner.start()
        window.show_delivery_folder("sent")
        assert window.content_stack.currentWidget() is view
        await until(lambda: rows(view, phone_mid))

        # The phone's message: listed, honestly "Not tracked", its text in the reader.
        [phone] = rows(view, phone_mid)
        assert phone.tracked is None and phone.stored_id is not None
        row = view.model.items.index(phone)
        cell = view.model.index(row, SentModel.DELIVERY)
        assert cell.data() == "Not tracked"
        assert cell.data(DELIVERY_KIND_ROLE) == UNTRACKED_KIND
        assert "another program" in cell.data(Qt.ItemDataRole.ToolTipRole)
        assert cell.data(Qt.ItemDataRole.AccessibleTextRole) == "Delivery: Not tracked"
        assert view.model.index(row, SentModel.TO).data().startswith("Carol <carol@example.org>")
        assert not actions["reply"].isEnabled()  # nothing selected yet
        assert view.select_message(phone_mid)
        await until(lambda: "station" in view.body.browser.toPlainText())
        assert view.panel.title.text() == "Delivery: Not tracked"
        assert "no per-recipient delivery tracking" in view.panel.notes.text()
        assert view.panel.rows == []
        assert actions["reply_all"].isEnabled()

        # Reply All to one's own message: its recipients again, never oneself.
        before = len(window.composers)
        actions["reply_all"].trigger()
        await until(lambda: composer_after(window, before))
        composer = window.composers[-1]
        composer.dirty = False
        assert [m.address for m in composer.to_edit.mailboxes()] == ["carol@example.org"]
        assert [m.address for m in composer.cc_edit.mailboxes()] == ["dave@example.org"]
        assert composer.subject_edit.text() == "Re: Sent from my phone"
        assert composer.in_reply_to == phone_mid
        # The HTML original is quoted as HTML, made safe.
        assert composer.html_mode
        text = composer.body_edit.toPlainText()
        assert "wrote:" in text and "See you at the station at 9." in text
        _account, draft = composer.build_draft()
        assert draft.html_body is not None
        assert "station" in draft.html_body and "font-weight:700" in draft.html_body
        for gone in ("script", "alert", "tracker.example", "<img"):
            assert gone not in draft.html_body
        composer.close()

        # A message sent through mailapp: listed at once, before any sync brings its copy.
        result = await runner.send(
            ACCOUNT,
            Draft(
                from_=Mailbox(sender.address, "Ada Sender"),
                to=(Mailbox(bob),),
                subject="Minutes of Monday",
                text_body="Here are the minutes.\n",
            ),
            request_dsn=True,
        )
        mid = result.message_id
        await until(lambda: view.delivery_label(mid) == "Sent to server")
        [local] = rows(view, mid)
        assert local.stored_id is None and local.tracked is not None
        assert view.select_message(mid)
        await until(lambda: view.panel.status is not None)
        assert view.panel.row(bob).evidence.startswith("Sent to server")
        before = len(window.composers)
        actions["reply"].trigger()  # answered from the outbox's own copy
        await until(lambda: composer_after(window, before))
        composer = window.composers[-1]
        composer.dirty = False
        assert [m.address for m in composer.to_edit.mailboxes()] == [bob]
        assert composer.subject_edit.text() == "Re: Minutes of Monday"
        assert not composer.html_mode  # a plain original: a plain answer
        assert "> Here are the minutes." in composer.body_edit.toPlainText()
        composer.close()

        # Get Mail: the DSN arrives and the server copy is synced; still one row.
        runner.get_mail(ACCOUNT)
        await until(lambda: view.delivery_label(mid) == "Delivered 1/1")
        await until(lambda: any(i.stored_id is not None for i in rows(view, mid)))
        seen["rows"] = rows(view, mid)
        seen["phone"] = rows(view, phone_mid)
        before = len(window.composers)
        assert view.select_message(mid)
        actions["forward"].trigger()
        await until(lambda: composer_after(window, before))
        composer = window.composers[-1]
        composer.dirty = False
        assert composer.subject_edit.text() == "Fwd: Minutes of Monday"
        assert composer.to_edit.is_empty()
        assert "Here are the minutes." in composer.body_edit.toPlainText()
        composer.close()
        await runner.aclose(timeout=5)

    try:
        qloop.run_until_complete(scenario())
    finally:
        qloop.run_until_complete(runner.aclose(timeout=5))

    [tracked] = seen["rows"]  # type: ignore[misc]
    assert tracked.tracked is not None and tracked.stored_id is not None
    assert len(seen["phone"]) == 1  # type: ignore[arg-type]
    row = view.model.items.index(tracked)
    assert view.model.index(row, SentModel.DELIVERY).data(DELIVERY_KIND_ROLE) == "delivered"
    model = SentModel()
    model.set_items(view.model.items)
    assert model.rowCount() == 2
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
