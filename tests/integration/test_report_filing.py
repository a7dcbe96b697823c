"""Delivery reports filed away during IMAP sync (engine.sync.imap_sync with the tracker hook).

Against the real Postfix + Dovecot: a message sent with DSN to bob brings back Postfix's
"delivered" report; syncing the sender's account ingests it (bob: delivered) and moves it into
"Delivery Reports" (created on the server), on the server and in the store. An ordinary
message and a report about a message we never sent stay in the Inbox. A second sync changes
nothing.

The account is synced once before sending: the first sync of a folder takes its messages as
history and passes none to the tracker, so only mail arriving after it is ingested.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.mailstack import MailStack, MailUser

from mailapp.core.delivery import DeliveryState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine, FolderRole
from mailapp.engine.profile import Profile
from mailapp.secrets.memory import MemoryCredentialStore

pytestmark = pytest.mark.mailstack

ACCOUNT = "work"
REPORTS = "Delivery Reports"


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


def ordinary_message(to: str) -> bytes:
    return (
        b"From: Someone <someone@outside.test>\r\n"
        b"To: " + to.encode() + b"\r\n"
        b"Subject: Lunch on Friday\r\n"
        b"Message-ID: <lunch-1@outside.test>\r\n"
        b"Date: Mon, 2 Feb 2026 10:00:00 +0000\r\n"
        b"\r\n"
        b"Are you in?\r\n"
    )


def foreign_report(to: str) -> bytes:
    """A well-formed DSN about a message that was never sent from here."""
    return (
        b"From: MAILER-DAEMON@elsewhere.test\r\n"
        b"To: " + to.encode() + b"\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <foreign-dsn-1@elsewhere.test>\r\n"
        b"Date: Mon, 2 Feb 2026 10:05:00 +0000\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        b"\r\n"
        b"--b1\r\n"
        b"Content-Type: text/plain\r\n\r\n"
        b"Your message could not be delivered.\r\n"
        b"--b1\r\n"
        b"Content-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; elsewhere.test\r\n"
        b"Original-Envelope-Id: never-ours-0001\r\n"
        b"\r\n"
        b"Final-Recipient: rfc822; ghost@elsewhere.test\r\n"
        b"Action: failed\r\n"
        b"Status: 5.1.1\r\n"
        b"\r\n"
        b"--b1\r\n"
        b"Content-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <never-sent-here@elsewhere.test>\r\n"
        b"Subject: something else\r\n"
        b"\r\n"
        b"--b1--\r\n"
    )


def server_view(mailstack: MailStack, user: MailUser) -> dict[str, list[bytes]]:
    boxes: dict[str, list[bytes]] = {}
    for box in ("INBOX", REPORTS):
        try:
            boxes[box] = mailstack.inbox_messages(user.address, f'"{box}"')
        except Exception:  # imaplib raises on a missing mailbox
            boxes[box] = []
    return boxes


async def test_matched_report_is_filed_away_and_others_stay(
    mailstack: MailStack, tmp_path: Path
) -> None:
    user = mailstack.unique_user("rep")
    engine = Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())
    await engine.add_account(account_for(mailstack, user), user.password)
    # A first sync takes what is there as history (not ingested); what follows is new mail.
    first = await engine.sync_account(ACCOUNT)
    assert first.errors == []

    bob = mailstack.address("bob")
    sent = await engine.send(
        ACCOUNT,
        Draft(
            from_=Mailbox(user.address),
            to=(Mailbox(bob),),
            subject="Please confirm delivery",
            text_body="Hello Bob.\n",
        ),
        request_dsn=True,
    )
    assert sent.dsn_offered is True
    await asyncio.to_thread(mailstack.deliver, ordinary_message(user.address), user.address)
    await asyncio.to_thread(mailstack.deliver, foreign_report(user.address), user.address)
    mid = sent.message_id.encode()
    await asyncio.to_thread(
        mailstack.wait_for_inbox,
        user.address,
        lambda raw: mid in raw and b"Action: delivered" in raw,
    )
    await asyncio.to_thread(mailstack.wait_for_inbox, user.address, b"<foreign-dsn-1@")
    await asyncio.to_thread(mailstack.wait_for_inbox, user.address, b"<lunch-1@")

    report = await engine.sync_account(ACCOUNT)
    assert report.errors == []
    inbox_report = next(f for f in report.folders if f.folder == "INBOX")
    assert inbox_report.filed == 1

    # The report did its job: bob's state comes from it.
    status = await engine.delivery_status(sent.message_id)
    assert [r.state for r in status.recipients] == [DeliveryState.DELIVERED]

    # On the server: the report moved, the rest stayed.
    boxes = await asyncio.to_thread(server_view, mailstack, user)
    assert len(boxes[REPORTS]) == 1 and mid in boxes[REPORTS][0]
    assert not any(mid in raw for raw in boxes["INBOX"])
    assert sum(b"<lunch-1@" in raw for raw in boxes["INBOX"]) == 1
    assert sum(b"<foreign-dsn-1@" in raw for raw in boxes["INBOX"]) == 1

    # In the store: the same, and the folder has the reports role.
    folders = {f.name: f for f in await engine.list_folders(ACCOUNT)}
    assert folders[REPORTS].role is FolderRole.REPORTS
    reports_rows = engine.message_rows(engine.message_ids(folders[REPORTS].id))
    assert len(reports_rows) == 1 and "delivery" in reports_rows[0].subject.lower()
    inbox_rows = engine.message_rows(engine.message_ids(folders["INBOX"].id))
    assert sorted(r.message_id or "" for r in inbox_rows) == [
        "<foreign-dsn-1@elsewhere.test>",
        "<lunch-1@outside.test>",
    ]

    # Syncing again changes nothing: the report does not come back, nothing is filed twice.
    again = await engine.sync_account(ACCOUNT)
    assert again.errors == [] and again.new == 0
    assert sum(f.filed for f in again.folders) == 0
    boxes = await asyncio.to_thread(server_view, mailstack, user)
    assert len(boxes[REPORTS]) == 1 and len(boxes["INBOX"]) == 2
    assert len(engine.message_ids(folders[REPORTS].id)) == 1
    assert len(engine.message_ids(folders["INBOX"].id)) == 2
