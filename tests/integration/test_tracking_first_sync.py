"""Delivery reports that reach the Inbox before the account's first sync (a `mailapp send`
from the command line, then the window's first sync): the first sync of the Inbox takes the
mail there as history, yet hands the tracker the messages since the oldest sent message
awaiting reports whose headers look like reports; only those get their bodies fetched.

Against the real Postfix + Dovecot: bob's "delivered" DSN is in the sender's Inbox before the
first sync, and afterwards bob is delivered and the report filed away; ordinary mail (one old,
one recent) keeps no body in the store; a report about nothing we sent stays in the Inbox.
Also the pure header test (looks_like_report) and the SEARCH date.
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.mailstack import MailStack, MailUser

from mailapp.core.delivery import DeliveryState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.engine.sync.imap_sync import imap_date, looks_like_report
from mailapp.secrets.memory import MemoryCredentialStore

ACCOUNT = "first"
REPORTS = "Delivery Reports"


# --- pure ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        b'Content-Type: multipart/report;\r\n\treport-type=delivery-status; boundary="x"\r\n',
        b"Content-Type: message/disposition-notification\r\n",
        b"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nSubject: hi\r\n",
        b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n",
        b"From: postmaster@example.org\r\n",
        b"Return-Path: <>\r\nFrom: someone@example.org\r\n",
        b"X-Failed-Recipients: ghost@example.org\r\n",
        b"Auto-Submitted: auto-generated\r\n",
        b"From: a@b.example\r\nSubject: Undeliverable: Quarterly numbers\r\n",
        b"Subject: failure notice\r\n",
        b"Subject: Read: lunch?\r\n",
        b"Subject: Delivery Status Notification (Delay)\r\n",
    ],
)
def test_report_headers_are_recognised(headers: bytes) -> None:
    assert looks_like_report(headers)


@pytest.mark.parametrize(
    "headers",
    [
        b"From: Someone <someone@outside.test>\r\nSubject: Lunch on Friday\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nReturn-Path: <someone@outside.test>\r\n",
        b"Auto-Submitted: no\r\nSubject: Already read this book?\r\n",
        b"Content-Type: multipart/mixed; boundary=report\r\n",
        b"",
    ],
)
def test_ordinary_headers_are_not_reports(headers: bytes) -> None:
    assert not looks_like_report(headers)


def test_search_date_ignores_the_locale() -> None:
    assert imap_date(datetime(2026, 2, 1, 23, 59, tzinfo=UTC)) == "1-Feb-2026"
    assert imap_date(datetime(2025, 12, 31, tzinfo=UTC)) == "31-Dec-2025"


# --- the real stack --------------------------------------------------------------------------


class WireCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("C: "):
            self.sent.append(text[3:])


@pytest.fixture
def wire() -> Iterator[WireCounter]:
    logger = logging.getLogger("mailapp.imap.wire")
    counter = WireCounter()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def account_for(mailstack: MailStack, user: MailUser) -> Account:
    host, ports = mailstack.host, mailstack.ports
    return Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Sender Example",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(host, ports.imap, Security.STARTTLS, user.address),
        outgoing=ServerSettings(host, ports.submission, Security.STARTTLS, user.address),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )


def ordinary(to: str, tag: str, subject: str) -> bytes:
    return (
        f"From: Someone <someone@outside.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{tag}@outside.test>\r\nDate: Mon, 2 Feb 2026 10:00:00 +0000\r\n\r\n"
        "Are you in?\r\n"
    ).encode()


def foreign_report(to: str) -> bytes:
    """A DSN about a message never sent from here."""
    return (
        f"From: MAILER-DAEMON@elsewhere.test\r\nTo: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <foreign-first-1@elsewhere.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; elsewhere.test\r\nOriginal-Envelope-Id: never-ours-0002\r\n\r\n"
        "Final-Recipient: rfc822; ghost@elsewhere.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "Message-ID: <never-sent-first@elsewhere.test>\r\n\r\n--b1--\r\n"
    ).encode()


def append_old(mailstack: MailStack, user: MailUser, raw: bytes, days: int) -> None:
    client = mailstack.imap(user.address)
    try:
        when = imaplib.Time2Internaldate(time.time() - days * 86400)
        typ, _ = client.append("INBOX", None, when, raw)
        assert typ == "OK"
    finally:
        client.logout()


async def new_engine(mailstack: MailStack, user: MailUser, root: Path) -> Engine:
    engine = Engine(Profile.resolve(root / "profile").ensure(), MemoryCredentialStore())
    await engine.add_account(account_for(mailstack, user), user.password)
    return engine


async def send_to_bob(engine: Engine, mailstack: MailStack, user: MailUser) -> str:
    """Send with DSN to bob and wait until Postfix's "delivered" report is in the Inbox."""
    sent = await engine.send(
        ACCOUNT,
        Draft(
            from_=Mailbox(user.address),
            to=(Mailbox(mailstack.address("bob")),),
            subject="Sent before the first sync",
            text_body="Hello Bob.\n",
        ),
        request_dsn=True,
    )
    assert sent.dsn_offered is True
    mid = sent.message_id.encode()
    await asyncio.to_thread(
        mailstack.wait_for_inbox,
        user.address,
        lambda raw: mid in raw and b"Action: delivered" in raw,
    )
    return sent.message_id


def by_message_id(rows: list, mid: str) -> list:  # type: ignore[type-arg]
    return [r for r in rows if r.message_id == mid]


@pytest.mark.mailstack
async def test_report_that_came_before_the_first_sync_is_ingested(
    mailstack: MailStack, tmp_path: Path, wire: WireCounter
) -> None:
    user = mailstack.unique_user("first")
    engine = await new_engine(mailstack, user, tmp_path)
    await asyncio.to_thread(
        append_old, mailstack, user, ordinary(user.address, "old-1", "Old news"), 40
    )
    message_id = await send_to_bob(engine, mailstack, user)
    await asyncio.to_thread(
        mailstack.deliver, ordinary(user.address, "new-1", "Lunch on Friday"), user.address
    )
    await asyncio.to_thread(mailstack.deliver, foreign_report(user.address), user.address)
    await asyncio.to_thread(mailstack.wait_for_inbox, user.address, b"<new-1@")
    await asyncio.to_thread(mailstack.wait_for_inbox, user.address, b"<foreign-first-1@")

    # The account's first sync, as the engine builds it; without the Inbox body prefetch so
    # that the store shows which bodies the report hunt fetched.
    sync = engine._imap_sync(engine.get_account(ACCOUNT), None)
    sync.prefetch_inbox = 0
    try:
        report = await sync.sync()
    finally:
        await sync.disconnect()
    assert report.errors == []
    inbox = next(f for f in report.folders if f.folder == "INBOX")
    assert inbox.filed == 1

    status = await engine.delivery_status(message_id)
    assert [r.state for r in status.recipients] == [DeliveryState.DELIVERED]

    rows = await engine.list_messages(ACCOUNT, "INBOX")
    old = by_message_id(rows, "<old-1@outside.test>")
    new = by_message_id(rows, "<new-1@outside.test>")
    foreign = by_message_id(rows, "<foreign-first-1@elsewhere.test>")
    assert len(old) == len(new) == len(foreign) == 1
    # Ordinary mail was not downloaded; the report that matched nothing was read and stays.
    assert old[0].body_hash is None and new[0].body_hash is None
    assert foreign[0].body_hash is not None
    assert len(rows) == 3
    # Only the two report-like messages were fetched whole.
    bodies = [c for c in wire.sent if "BODY.PEEK[]" in c]
    assert len(bodies) == 1 and " 1 " not in bodies[0], bodies

    boxes = {
        box: await asyncio.to_thread(mailstack.inbox_messages, user.address, f'"{box}"')
        for box in ("INBOX", REPORTS)
    }
    assert len(boxes[REPORTS]) == 1 and message_id.encode() in boxes[REPORTS][0]
    assert len(boxes["INBOX"]) == 3

    # A second sync finds nothing new and changes nothing.
    again = await engine.sync_account(ACCOUNT)
    assert again.errors == [] and again.new == 0
    status = await engine.delivery_status(message_id)
    assert [r.state for r in status.recipients] == [DeliveryState.DELIVERED]


@pytest.mark.mailstack
async def test_first_sync_in_the_watch_ingests_the_report(
    mailstack: MailStack, tmp_path: Path
) -> None:
    user = mailstack.unique_user("firstw")
    engine = await new_engine(mailstack, user, tmp_path)
    message_id = await send_to_bob(engine, mailstack, user)

    stop = asyncio.Event()
    watching = asyncio.create_task(engine.watch_account(ACCOUNT, stop))
    try:
        for _ in range(300):
            status = await engine.delivery_status(message_id)
            if [r.state for r in status.recipients] == [DeliveryState.DELIVERED]:
                break
            await asyncio.sleep(0.1)
        assert [r.state for r in status.recipients] == [DeliveryState.DELIVERED]
    finally:
        stop.set()
        await asyncio.wait_for(watching, 30)


@pytest.mark.mailstack
async def test_nothing_sent_means_no_report_hunt(
    mailstack: MailStack, tmp_path: Path, wire: WireCounter
) -> None:
    user = mailstack.unique_user("firstn")
    engine = await new_engine(mailstack, user, tmp_path)
    await asyncio.to_thread(mailstack.deliver, foreign_report(user.address), user.address)
    await asyncio.to_thread(mailstack.wait_for_inbox, user.address, b"<foreign-first-1@")
    report = await engine.sync_account(ACCOUNT)
    assert report.errors == [] and report.new == 1
    assert not any("SINCE" in c for c in wire.sent), wire.sent
