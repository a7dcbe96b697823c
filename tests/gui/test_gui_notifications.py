"""Desktop notifications as a person gets them, recorded through an injected presenter (there is
no notification area offscreen), against the suite's real Postfix + Dovecot: a failed address
(a real 5.1.1 DSN), a delayed one (a real `Action: delayed` DSN from the unreachable
delay.test) and a new message delivered by Postfix each give exactly one notification with
the right words; the person's own actions (sending, marking read and unread, starring) give
none.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

import pytest
from support.mailstack import MailStack, MailUser

from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.ui.info_bar import InfoBar
from mailapp.ui.main_window import MainWindow
from mailapp.ui.notifications import (
    NoticeKind,
    Notification,
    Notifier,
    TrayPresenter,
    WindowPresenter,
)
from mailapp.ui.status_bar import MailStatusBar

ACCOUNT = "Work"
WAIT = 90.0  # seconds; generous on a shared machine (never asserted on)


class Recorder:
    """A presenter that keeps what would have been shown."""

    def __init__(self) -> None:
        self.shown: list[Notification] = []
        self.closed = False

    def present(self, notification: Notification, open_requested: Callable[[], None]) -> None:
        self.shown.append(notification)
        self.open = open_requested

    def close(self) -> None:
        self.closed = True


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


async def quiet_for(seconds: float) -> None:
    """Let the window's background work run (polls, IDLE) for a while."""
    await asyncio.sleep(seconds)


def deliver_to(stack: MailStack, address: str, subject: str) -> None:
    """A message from outside, handed to Postfix's MX port like any other mail."""
    message = EmailMessage()
    message["From"] = "Friend <friend@example.org>"
    message["To"] = address
    message["Subject"] = subject
    message.set_content("Hello from outside.\n")
    with smtplib.SMTP(stack.host, stack.ports.mx, timeout=15) as smtp:
        smtp.send_message(message)


def draft(user: MailUser, to: str, subject: str) -> Draft:
    return Draft(
        from_=Mailbox(user.address, "Ada Sender"),
        to=(Mailbox(to),),
        subject=subject,
        text_body="Does this arrive?\n",
    )


@pytest.fixture
def sender(mailstack: MailStack) -> MailUser:
    return mailstack.unique_user("gnt")


def test_presenters_offscreen(qtbot) -> None:
    bar, status = InfoBar(), MailStatusBar()
    qtbot.addWidget(bar)
    qtbot.addWidget(status)
    notifier = Notifier(bar, status, use_tray=False)
    assert isinstance(notifier.presenter, WindowPresenter) and notifier.tray is None
    recorder = Recorder()
    notifier.set_presenter(recorder)
    assert not isinstance(notifier.presenter, TrayPresenter)
    notifier.add(NoticeKind.DELAYED, "“B” → y@example.org: Delayed")
    notifier.flush()
    [shown] = recorder.shown
    assert (shown.kind, shown.title) == (NoticeKind.DELAYED, "Delivery delayed")
    assert bar.text == ""  # the window's bar was not used


def test_failure_delay_and_new_mail_each_notify_once_and_own_actions_never(
    qtbot, engine: Engine, window_settings, *, qloop, mailstack: MailStack, sender: MailUser
) -> None:
    qloop.run_until_complete(engine.add_account(account_for(mailstack, sender), sender.password))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    recorder = Recorder()
    window.notifier.set_presenter(recorder)
    window.notifier.set_group_ms(100)
    runner = window.engine_runner
    runner.poll_seconds = 0.3
    nosuch = f"nosuch-{sender.address.split('@')[0]}@{mailstack.domain}"
    bob = mailstack.address("bob")
    model = window.message_list.message_model

    def kinds() -> list[NoticeKind]:
        return [n.kind for n in recorder.shown]

    async def scenario() -> None:
        runner.start()
        await until(lambda: "online" in window.status.accounts_label.text())
        await quiet_for(1.0)  # the first look at the counts is no news

        # Own action: a message to an address that exists is sent, delivered: no notice.
        ok = await runner.send(ACCOUNT, draft(sender, bob, "All fine"), request_dsn=False)
        await until(
            lambda: any(
                s.entry.message_id == ok.message_id and s.entry.sent_at is not None
                for s in runner.sent
            )
        )
        await quiet_for(1.5)
        assert recorder.shown == []

        # A failed address: the real 5.1.1 DSN comes in through the window's own sync.
        failed = await runner.send(ACCOUNT, draft(sender, nosuch, "Typo in the address"))
        await until(lambda: NoticeKind.FAILED in kinds())
        await quiet_for(1.0)
        [failure] = recorder.shown
        assert failure.kind is NoticeKind.FAILED
        assert failure.title == "Delivery failed"
        assert failure.text == f"“Typo in the address” → {nosuch}: Failed 1/1"
        assert failed.message_id  # tied to the message sent
        recorder.shown.clear()

        # New mail from outside while the Inbox is open: one notice naming the account, and
        # the row appears in the open list by itself (the IDLE wake-up refreshes the window).
        assert window.folder_pane.select_folder(ACCOUNT, "INBOX")
        deliver_to(mailstack, sender.address, "Hello there")
        await until(lambda: NoticeKind.NEW_MAIL in kinds())
        await quiet_for(1.0)
        [new] = recorder.shown
        assert (new.kind, new.title, new.text) == (
            NoticeKind.NEW_MAIL,
            "New mail",
            "1 new message in Work",
        )
        recorder.shown.clear()

        # Own actions on that message: read, unread again, starred: no notice.
        await until(lambda: any(
            (r := model.message(i)) is not None and r.subject == "Hello there"
            for i in range(model.rowCount())
        ))  # fmt: skip
        row = next(i for i in range(model.rowCount()) if model.message(i).subject == "Hello there")
        message_id = model.message_id(row)
        assert message_id is not None and window.message_list.select_message(message_id)
        await until(lambda: not model.message(model.row_of(message_id)).unread)  # read on open
        await quiet_for(1.0)
        window.mail_actions["toggle_read"].trigger()  # M: unread again
        await until(lambda: model.message(model.row_of(message_id)).unread)
        await quiet_for(1.5)
        window.mail_actions["toggle_flag"].trigger()  # S: star
        await quiet_for(1.5)
        assert recorder.shown == []

        # A delayed address: the real `Action: delayed` DSN (about 12 s on this stack).
        await runner.send(ACCOUNT, draft(sender, "y@delay.test", "Far away"))
        await until(lambda: NoticeKind.DELAYED in kinds())
        await quiet_for(1.0)
        [delay] = recorder.shown
        assert delay.kind is NoticeKind.DELAYED
        assert delay.title == "Delivery delayed"
        assert delay.text == "“Far away” → y@delay.test: Delayed"

    try:
        qloop.run_until_complete(scenario())
    finally:
        qloop.run_until_complete(runner.aclose(timeout=5))
    window.close()
    assert recorder.closed  # the window took its notifications down
