"""Editing a queued message, end to end through the real Postfix + Dovecot: a message waiting
in the outbox (not due yet, as during the composer's undo window) is taken back; the outbox
worker then runs and sends nothing; the edited draft, sent again, arrives once with the new
subject and the attachment that was queued, under a new Message-ID, and the old one never
arrives."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from support.mailstack import MailStack

from mailapp.core.delivery import OutboxState
from mailapp.core.draft import Attachment, Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.protocols.mime.parse import extract_part, parse_message
from mailapp.secrets.memory import MemoryCredentialStore

pytestmark = pytest.mark.mailstack

ACCOUNT = "work"


async def test_taken_back_message_is_sent_only_as_edited(
    mailstack: MailStack, tmp_path: Path
) -> None:
    sender = mailstack.unique_user("oed")
    receiver = mailstack.unique_user("oer")
    host, ports = mailstack.host, mailstack.ports
    engine = Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())
    account = Account(
        name=ACCOUNT,
        email=sender.address,
        display_name="Edit Sender",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(host, ports.imap, Security.STARTTLS, sender.address),
        outgoing=ServerSettings(host, ports.submission, Security.STARTTLS, sender.address),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )
    await engine.add_account(account, sender.password)
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"the notes that were queued\n")
    draft = Draft(
        from_=Mailbox(sender.address, "Edit Sender"),
        to=(Mailbox(receiver.address),),
        subject="First version",
        text_body="Please read the notes.\n",
        attachments=(Attachment.from_path(notes),),
    )
    queued = await engine.send_after(ACCOUNT, draft, delay=3600)
    assert queued.state is OutboxState.QUEUED

    saved = await engine.edit_outbox(queued.outbox_id)
    report = await engine.run_outbox_once()
    assert report.attempted == 0
    assert await engine.outbox_entries() == []

    edited = replace(saved.draft, subject="Second version")
    result = await engine.send(ACCOUNT, edited, request_dsn=saved.request_dsn)
    assert result.state is OutboxState.SENT
    assert result.message_id != queued.message_id

    raw = await asyncio.to_thread(
        mailstack.wait_for_inbox, receiver.address, result.message_id.encode(), 30
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Second version"
    [part] = parsed.attachments
    assert part.safe_name == "notes.txt"
    assert extract_part(raw, part.part) == b"the notes that were queued\n"
    inbox = await asyncio.to_thread(mailstack.inbox_messages, receiver.address)
    assert len(inbox) == 1
    assert not any(queued.message_id.encode() in message for message in inbox)
