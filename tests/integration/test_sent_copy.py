"""The copy of a sent message in the IMAP Sent folder (engine.sent_copy through the worker).

Against the real Postfix + Dovecot: a sent message is in the user's Sent folder exactly once,
byte for byte as handed to Postfix, flagged \\Seen; a retried copy whose first APPEND did reach
the server is not filed twice; a Sent folder the store knows but the server lost is found
again. A scripted IMAP server refuses the APPEND (a quota fault Dovecot will not produce on
demand): the message stays sent, the copy pending with the server's words, and the next run
files it on the real server.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.fake_server import FakeServer, expect, line, read_bytes, starttls
from support.mailstack import MailStack, MailUser

from mailapp.core.delivery import OutboxState, SentCopyState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.engine.sent_copy import ImapSentCopier
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.outbox import OutboxEntry

pytestmark = pytest.mark.mailstack

ACCOUNT = "work"


def account_for(
    mailstack: MailStack, user: MailUser, imap: tuple[str, int] | None = None
) -> Account:
    host, ports = mailstack.host, mailstack.ports
    imap_host, imap_port = imap or (host, ports.imap)
    return Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Sender Example",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(imap_host, imap_port, Security.STARTTLS, user.address),
        outgoing=ServerSettings(host, ports.submission, Security.STARTTLS, user.address),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )


async def new_engine(
    mailstack: MailStack, tmp_path: Path, imap: tuple[str, int] | None = None
) -> tuple[Engine, MailUser]:
    user = mailstack.unique_user("sent")
    engine = Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())
    await engine.add_account(account_for(mailstack, user, imap), user.password)
    return engine, user


def draft_for(mailstack: MailStack, user: MailUser, subject: str) -> Draft:
    return Draft(
        from_=Mailbox(user.address, "Sender Example"),
        to=(Mailbox(mailstack.address("bob")),),
        subject=subject,
        text_body="Kept in Sent, byte for byte.\n",
    )


def sent_folder(mailstack: MailStack, user: MailUser) -> list[tuple[bytes, bytes]]:
    """(FLAGS, raw) of every message in the user's Sent folder on the server."""
    client = mailstack.imap(user.address)
    try:
        client.select("Sent", readonly=True)
        typ, data = client.uid("SEARCH", "ALL")
        assert typ == "OK", data
        out = []
        for uid in (data[0] or b"").split():
            typ, parts = client.uid("FETCH", uid.decode(), "(FLAGS BODY.PEEK[])")
            assert typ == "OK", parts
            item = next(p for p in parts if isinstance(p, tuple))
            out.append((bytes(item[0]), bytes(item[1])))
        return out
    finally:
        client.logout()


async def entry_of(engine: Engine, outbox_id: int) -> OutboxEntry:
    entry = await asyncio.to_thread(engine.sending.outbox.get, outbox_id)
    assert entry is not None
    return entry


def copier_of(engine: Engine) -> ImapSentCopier:
    copier = engine.sending.worker.sent_copier
    assert isinstance(copier, ImapSentCopier)
    return copier


async def test_sent_message_is_in_sent_once_byte_identical(
    mailstack: MailStack, tmp_path: Path
) -> None:
    engine, user = await new_engine(mailstack, tmp_path)
    result = await engine.send(ACCOUNT, draft_for(mailstack, user, "Filed in Sent"))
    assert result.state is OutboxState.SENT

    entry = await entry_of(engine, result.outbox_id)
    assert entry.sent_copy_state is SentCopyState.DONE, entry.sent_copy_error
    raw = await asyncio.to_thread(engine.sending.outbox.raw, entry)
    copies = [(flags, body) for flags, body in sent_folder(mailstack, user)]
    assert len(copies) == 1
    flags, body = copies[0]
    assert body == raw
    assert b"\\Seen" in flags
    appended = copier_of(engine).appended[entry.id]
    assert appended.folder == "Sent"
    assert appended.uid is not None and re.search(rb"UID %d\b" % appended.uid, flags)

    # A retry after an APPEND whose answer was lost: the copy is there, so none is added.
    await asyncio.to_thread(
        engine.sending.outbox.mark_sent_copy, entry.id, SentCopyState.PENDING, "answer lost"
    )
    await engine.run_outbox_once(ACCOUNT)
    assert (await entry_of(engine, entry.id)).sent_copy_state is SentCopyState.DONE
    assert len(sent_folder(mailstack, user)) == 1


async def test_a_sent_folder_gone_from_the_server_is_found_again(
    mailstack: MailStack, tmp_path: Path
) -> None:
    engine, user = await new_engine(mailstack, tmp_path)
    # The store still thinks "Old Sent" is the Sent folder; the server has no such folder.
    database, _ = engine._mail_store()
    await asyncio.to_thread(
        FolderRepository(database).upsert, ACCOUNT, "Old Sent", role=FolderRole.SENT
    )
    result = await engine.send(ACCOUNT, draft_for(mailstack, user, "Folder moved"))
    entry = await entry_of(engine, result.outbox_id)
    assert entry.state is OutboxState.SENT
    assert entry.sent_copy_state is SentCopyState.DONE, entry.sent_copy_error
    assert [body for _, body in sent_folder(mailstack, user)] == [
        await asyncio.to_thread(engine.sending.outbox.raw, entry)
    ]


def refusing_imap(context: Any, size: int) -> list[Any]:
    """An IMAP server that logs in, lists a Sent folder and refuses the APPEND (quota)."""

    append_tag: list[bytes] = []

    def tagged(text: str) -> Any:
        return lambda m: m["tag"] + b" " + text.encode()

    def remember_tag(m: Any) -> bytes:
        append_tag.append(m["tag"])
        return b"+ go ahead"

    return [
        line("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN SASL-IR] fake ready"),
        expect(rb"(?P<tag>\w+) STARTTLS"),
        line(tagged("OK begin TLS")),
        starttls(context),
        expect(rb"(?P<tag>\w+) CAPABILITY"),
        line("* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR UIDPLUS"),
        line(tagged("OK done")),
        expect(rb"(?P<tag>\w+) AUTHENTICATE PLAIN "),
        line(tagged("OK logged in")),
        expect(rb"(?P<tag>\w+) CAPABILITY"),
        line("* CAPABILITY IMAP4rev1 UIDPLUS"),
        line(tagged("OK done")),
        expect(rb'(?P<tag>\w+) LIST "" '),
        line('* LIST (\\HasNoChildren) "/" INBOX'),
        line('* LIST (\\HasNoChildren \\Sent) "/" Sent'),
        line(tagged("OK listed")),
        expect(rb"(?P<tag>\w+) APPEND Sent \(\\Seen\) \"[^\"]+\" \{%d\}" % size),
        line(remember_tag),
        read_bytes(size),
        expect(rb""),  # the CRLF ending the command after the literal
        line(lambda m: append_tag[0] + b" NO [OVERQUOTA] Quota exceeded (mailbox is full)"),
        expect(rb"(?P<tag>\w+) LOGOUT"),
        line(lambda m: b"* BYE bye\r\n" + m["tag"] + b" OK bye"),
    ]


async def test_refused_append_keeps_the_message_sent_and_retries_the_copy(
    mailstack: MailStack, tmp_path: Path
) -> None:
    sizes: list[int] = []
    context = mailstack.server_ssl_context()
    async with FakeServer(lambda index: refusing_imap(context, sizes[0])) as server:
        engine, user = await new_engine(mailstack, tmp_path, (server.host, server.port))
        queued = await engine.send(ACCOUNT, draft_for(mailstack, user, "Quota full"), wait=False)
        entry = await entry_of(engine, queued.outbox_id)
        raw = await asyncio.to_thread(engine.sending.outbox.raw, entry)
        sizes.append(len(raw))
        report = await engine.run_outbox_once(ACCOUNT)
        await server.wait_finished_async(1)
    assert server.errors == []
    assert report.accepted == [entry.id]

    entry = await entry_of(engine, entry.id)
    assert entry.state is OutboxState.SENT  # sent once, and never again for the copy
    assert entry.sent_copy_state is SentCopyState.PENDING
    assert entry.sent_copy_error is not None and "Quota exceeded" in entry.sent_copy_error
    assert "Sent" in entry.sent_copy_error
    assert [e.id for e in await engine.sending.outbox_entries(ACCOUNT)] == []

    # The account's IMAP server works again: the next run files the copy, once.
    account = engine.get_account(ACCOUNT)
    real = replace(account.incoming, host=mailstack.host, port=mailstack.ports.imap)
    await engine.update_account(replace(account, incoming=real))
    report = await engine.run_outbox_once(ACCOUNT)
    assert report.attempted == 0  # nothing was sent again
    entry = await entry_of(engine, entry.id)
    assert entry.sent_copy_state is SentCopyState.DONE, entry.sent_copy_error
    assert entry.sent_copy_error is None
    assert [body for _, body in sent_folder(mailstack, user)] == [raw]
    # Postfix got the message exactly once: bob has one copy.
    mid = entry.message_id.encode()
    await asyncio.to_thread(mailstack.wait_for_inbox, "bob", mid)
    bob_copies = [m for m in mailstack.inbox_messages("bob") if mid in m]
    assert len(bob_copies) == 1


async def test_parallel_lanes_send_each_once_and_copy_each_once(
    mailstack: MailStack, tmp_path: Path
) -> None:
    engine, user = await new_engine(mailstack, tmp_path)
    engine.sending.worker.connections_per_account = 3
    engine.sending.worker.batch_size = 4
    queued = [
        await engine.send(ACCOUNT, draft_for(mailstack, user, f"Lane {n}"), wait=False)
        for n in range(12)
    ]
    report = await engine.run_outbox_once(ACCOUNT)
    assert sorted(report.accepted) == sorted(q.outbox_id for q in queued)
    for q in queued:
        entry = await entry_of(engine, q.outbox_id)
        assert entry.state is OutboxState.SENT
        assert entry.sent_copy_state is SentCopyState.DONE, entry.sent_copy_error
    copies = [body for _, body in sent_folder(mailstack, user)]
    for q in queued:
        assert sum(q.message_id.encode() in body for body in copies) == 1
    assert len(copies) == 12
