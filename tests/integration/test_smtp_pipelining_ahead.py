"""Pipelining across messages (RFC 2920): the next envelope written with the body before it.

`SmtpSession.send_envelope(..., next_envelope=...)` writes a small message's body and final
"." in the same write as the next transaction's MAIL FROM / RCPT TO / DATA, reads that
group's replies right after the final "."'s reply, and hands them to the next call. Against
the real Postfix: one write carries both, every reply goes to its own message and recipient,
and the next message's marker hook runs before any byte of its body. Against scripted
servers (what Postfix will not do on demand): the first message refused at its final "."
while the next goes through; the connection dropped after the write (the first uncertain,
the next never started); a 421 to the next MAIL FROM; a next call for another envelope (the
connection is closed, nothing of it sent); QUIT never sent while the server waits in DATA.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from support.fake_server import FakeServer, Step, drain, drop, expect, line, read_until, send
from support.fake_server import starttls as tls_step
from support.mailstack import Certificates, MailStack, MailUser, generate_certificates
from support.smtp_recording import dotted_message, recording_mx_session

from mailapp.core.delivery import OutboxState
from mailapp.core.draft import Draft, Mailbox, Notify
from mailapp.core.errors import ConnectionLostError
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.transport.smtp import (
    DsnRequest,
    Envelope,
    EnvelopeRecipient,
    SendOutcome,
    SendOutcomeKind,
    SmtpReply,
    SmtpSession,
)

SENDER = "ahead-test@sender.test"
PASSWORD = "ahead-pw-789"
PIPELINED = ("AUTH PLAIN", "PIPELINING", "DSN", "SIZE 100000", "ENHANCEDSTATUSCODES")


def message(subject: str, to: str) -> bytes:
    return dotted_message(SENDER, subject, to)


def recipients(*addresses: str) -> tuple[EnvelopeRecipient, ...]:
    return tuple(EnvelopeRecipient(a, a) for a in addresses)


# -- the real Postfix ---------------------------------------------------------------------------


@pytest.fixture
def people(mailstack: MailStack) -> dict[str, MailUser]:
    return {name: mailstack.unique_user(f"ahead-{name}") for name in ("ann", "bob")}


@pytest.fixture
async def mx(
    mailstack: MailStack, people: dict[str, MailUser]
) -> AsyncIterator[tuple[SmtpSession, list[bytes]]]:
    """A session to the mx service (STARTTLS, no login) and the list of its writes."""
    async with recording_mx_session(mailstack) as recorded:
        yield recorded


@pytest.mark.mailstack
async def test_postfix_next_envelope_rides_with_the_body_and_keeps_its_replies(
    mailstack: MailStack, people: dict[str, MailUser], mx: tuple[SmtpSession, list[bytes]]
) -> None:
    session, writes = mx
    ann, bob = people["ann"], people["bob"]
    nosuch = f"nosuch-ahead@{mailstack.domain}"
    first, second = message("ahead one", ann.address), message("ahead two", bob.address)
    dsn = DsnRequest("envid.ahead2", frozenset({Notify.FAILURE}))
    upcoming = Envelope(SENDER, recipients(bob.address, nosuch), len(second), dsn)
    asked: list[int] = []

    def next_envelope() -> Envelope | None:
        asked.append(len(writes))
        return upcoming

    one = await session.send_envelope(
        SENDER, recipients(ann.address), first, next_envelope=next_envelope
    )
    assert one.kind is SendOutcomeKind.ACCEPTED, one.error
    assert one.usable and "queued as" in (one.reply.text if one.reply else "")
    assert [(a, r.code) for a, r in one.recipients] == [(ann.address, 250)]
    assert asked == [1]  # after the first group, before the body
    body, _, group = writes[1].partition(b"\r\n.\r\n")
    assert b"\r\n..a line starting with a dot" in body and b"Subject: ahead one" in body
    commands = group.split(b"\r\n")
    assert commands[0].startswith(b"MAIL FROM:<" + SENDER.encode() + b">")
    assert b"ENVID=envid.ahead2" in commands[0]
    assert commands[3:] == [b"DATA", b""]

    hooked: list[tuple[str, SmtpReply]] = []
    before: list[int] = []

    async def on_recipient(address: str, reply: SmtpReply) -> None:
        hooked.append((address, reply))

    async def before_data() -> None:
        before.append(len(writes))

    two = await session.send_envelope(
        SENDER,
        recipients(bob.address, nosuch),
        second,
        dsn=dsn,
        on_recipient=on_recipient,
        before_data=before_data,
    )
    assert two.kind is SendOutcomeKind.ACCEPTED, two.error
    assert hooked == list(two.recipients)
    [(a1, r1), (a2, r2)] = two.recipients
    assert (a1, r1.code) == (bob.address, 250)
    assert (a2, r2.code) == (nosuch, 550) and r2.text.startswith("5.1.1")
    assert before == [2]  # the marker hook ran before any byte of the second body
    assert len(writes) == 3 and writes[2].endswith(b"\r\n.\r\n")
    assert b"Subject: ahead two" in writes[2] and b"MAIL FROM" not in writes[2]

    for user, subject in ((ann, b"Subject: ahead one"), (bob, b"Subject: ahead two")):
        await asyncio.to_thread(mailstack.wait_for_inbox, user.address, subject, 30)


# -- scripted servers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return generate_certificates(tmp_path_factory.mktemp("ahead-ca"))


def greeting(ctx: ssl.SSLContext) -> list[Step]:
    names = ["ahead.test", *PIPELINED]
    ehlo = "".join(f"250-{n}\r\n" for n in names[:-1]) + f"250 {names[-1]}\r\n"
    return [
        line("220 ahead.test ESMTP"),
        expect(rb"EHLO "),
        send(b"250-ahead.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
        expect(rb"STARTTLS"),
        line("220 2.0.0 go ahead"),
        tls_step(ctx),
        expect(rb"EHLO "),
        send(ehlo.encode()),
        expect(rb"AUTH PLAIN"),
        line("235 2.7.0 Authenticated"),
    ]


def replies(*lines: str) -> Step:
    return send("".join(f"{r}\r\n" for r in lines).encode())


def group(rcpts: int) -> list[Step]:
    return [expect(rb"MAIL FROM:"), *(expect(rb"RCPT TO:") for _ in range(rcpts)), expect(b"DATA")]


# The first transaction, up to its body and final ".": answered only once the next group is
# read too, so a client that waited for the "."'s reply before the next MAIL would hang.
FIRST = [*group(1), replies("250 2.1.0 Ok", "250 2.1.5 Ok", "354 go"), read_until(rb"^\.$")]


async def session_to(server: FakeServer, certs: Certificates) -> SmtpSession:
    settings = ServerSettings(server.host, server.port, Security.STARTTLS, SENDER)
    session = SmtpSession(settings, TlsTrust(ca_file=str(certs.ca_file)))
    await session.connect()
    await session.login(PASSWORD)
    return session


NEXT = Envelope(SENDER, recipients("b1@far.test", "b2@far.test"), len(message("two", "b1")))


async def send_first(session: SmtpSession, *, ahead: Envelope | None = NEXT) -> SendOutcome:
    return await session.send_envelope(
        SENDER, recipients("a@far.test"), message("one", "a"), next_envelope=lambda: ahead
    )


async def send_next(session: SmtpSession, seen: list[str], to: Sequence[str] = ()) -> SendOutcome:
    async def on_recipient(address: str, reply: SmtpReply) -> None:
        seen.append(f"{address} {reply.code}")

    async def before_data() -> None:
        seen.append("marker")

    return await session.send_envelope(
        SENDER,
        recipients(*(to or ("b1@far.test", "b2@far.test"))),
        message("two", "b1"),
        on_recipient=on_recipient,
        before_data=before_data,
    )


async def test_first_refused_at_its_dot_the_next_still_goes_with_its_own_replies(
    certs: Certificates,
) -> None:
    script = [
        *greeting(certs.server_context()),
        *FIRST,
        *group(2),
        replies("554 5.7.1 Content refused", "250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 no", "354"),
        read_until(rb"^\.$"),
        line("250 2.0.0 Ok: queued as TWO"),
        expect(rb"QUIT"),
        line("221 2.0.0 Bye"),
    ]
    async with FakeServer(script) as server:
        session = await session_to(server, certs)
        one = await send_first(session)
        seen: list[str] = []
        two = await send_next(session, seen)
        await session.quit()
        await server.wait_finished_async()
    assert server.errors == []
    assert one.kind is SendOutcomeKind.FAILED
    assert one.reply == SmtpReply(554, "5.7.1 Content refused")
    assert [a for a, _r in one.recipients] == ["a@far.test"]
    assert two.kind is SendOutcomeKind.ACCEPTED
    assert two.reply is not None and "queued as TWO" in two.reply.text
    assert seen == ["b1@far.test 250", "b2@far.test 550", "marker"]
    text = server.connections[0].text
    assert text.count("Subject: two") == 1 and text[-1] == "QUIT"


async def test_connection_dropped_after_the_shared_write_first_uncertain_next_not_started(
    certs: Certificates,
) -> None:
    script = [*greeting(certs.server_context()), *FIRST, *group(2), drop()]
    async with FakeServer(script) as server:
        session = await session_to(server, certs)
        one = await send_first(session)
        await server.wait_finished_async()
        assert not session.is_connected
        with pytest.raises(ConnectionLostError):
            await send_next(session, [])
        session.abort()
    assert one.kind is SendOutcomeKind.UNCERTAIN
    assert not one.usable
    assert "Subject: two" not in server.connections[0].text


async def test_a_421_to_the_next_mail_from_keeps_the_first_and_closes(
    certs: Certificates,
) -> None:
    script = [
        *greeting(certs.server_context()),
        *FIRST,
        *group(2),
        replies("250 2.0.0 Ok: queued as ONE", "421 4.3.2 Shutting down"),
        drain(5),
    ]
    async with FakeServer(script) as server:
        session = await session_to(server, certs)
        one = await send_first(session)
        await server.wait_finished_async()
    assert one.kind is SendOutcomeKind.ACCEPTED
    assert not one.usable and not session.is_connected
    assert server.connections[0].closed_by == "peer"


@pytest.mark.parametrize("then", ["another envelope", "quit"])
async def test_while_the_server_waits_in_data_nothing_else_is_written(
    certs: Certificates, then: str
) -> None:
    script = [
        *greeting(certs.server_context()),
        *FIRST,
        *group(2),
        replies("250 2.0.0 Ok: queued as ONE", "250 2.1.0 Ok", "250 2.1.5", "250 2.1.5", "354"),
        drain(5),
    ]
    async with FakeServer(script) as server:
        session = await session_to(server, certs)
        one = await send_first(session)
        assert one.kind is SendOutcomeKind.ACCEPTED
        seen: list[str] = []
        if then == "quit":
            await session.quit()
        else:
            two = await send_next(session, seen, to=["other@far.test"])
            assert two.kind is SendOutcomeKind.DEFERRED
            assert "sent ahead" in two.error and not two.usable
        await server.wait_finished_async()
    assert seen == []
    conn = server.connections[0]
    assert conn.closed_by == "peer"
    # After the group's DATA: nothing (no QUIT, no RSET, no message line, no ".").
    assert conn.text[-1] == "DATA"


async def test_no_next_envelope_when_the_caller_has_none(certs: Certificates) -> None:
    script = [
        *greeting(certs.server_context()),
        *FIRST,
        line("250 2.0.0 Ok: queued as ONE"),
        expect(rb"QUIT"),
        line("221 2.0.0 Bye"),
    ]
    async with FakeServer(script) as server:
        session = await session_to(server, certs)
        one = await send_first(session, ahead=None)
        await session.quit()
        await server.wait_finished_async()
    assert server.errors == []
    assert one.kind is SendOutcomeKind.ACCEPTED


# -- the outbox worker's lanes against the real Postfix -----------------------------------------


@pytest.mark.mailstack
async def test_lanes_send_ahead_and_every_message_arrives_once(
    mailstack: MailStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender, reader = mailstack.unique_user("ahead-lane"), mailstack.unique_user("ahead-to")
    engine = Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())
    account = Account(
        name="lanes",
        email=sender.address,
        display_name="Lane Sender",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(
            mailstack.host, mailstack.ports.imap, Security.STARTTLS, sender.address
        ),
        outgoing=ServerSettings(
            mailstack.host, mailstack.ports.submission, Security.STARTTLS, sender.address
        ),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )
    await engine.add_account(account, sender.password)
    engine.sending.worker.connections_per_account = 2
    read_ahead = SmtpSession._read_ahead
    groups: list[int] = []

    async def counting(self: SmtpSession, *args: Any, **kwargs: Any) -> None:
        groups.append(1)
        await read_ahead(self, *args, **kwargs)

    monkeypatch.setattr(SmtpSession, "_read_ahead", counting)
    queued = [
        await engine.send(
            "lanes",
            Draft(
                from_=Mailbox(sender.address, "Lane Sender"),
                to=(Mailbox(reader.address),),
                subject=f"Ahead lane {n}",
                text_body="Sent ahead of its turn.\n.dot line\n",
            ),
            wait=False,
        )
        for n in range(8)
    ]
    report = await engine.run_outbox_once("lanes")

    assert sorted(report.accepted) == sorted(q.outbox_id for q in queued)
    assert groups  # some envelopes went out with the body before them
    for q in queued:
        entry = await asyncio.to_thread(engine.sending.outbox.get, q.outbox_id)
        assert entry is not None and entry.state is OutboxState.SENT
    for n in range(8):
        await asyncio.to_thread(
            mailstack.wait_for_inbox, reader.address, f"Subject: Ahead lane {n}\r".encode(), 30
        )
    subjects = await asyncio.to_thread(inbox_subjects, mailstack, reader.address)
    assert sorted(subjects) == sorted(f"Ahead lane {n}" for n in range(8))  # each once


def inbox_subjects(mailstack: MailStack, address: str) -> list[str]:
    client = mailstack.imap(address)
    try:
        client.select("INBOX", readonly=True)
        typ, data = client.uid("SEARCH", "ALL")
        assert typ == "OK", data
        subjects = []
        for uid in (data[0] or b"").split():
            typ, parts = client.uid("FETCH", uid.decode(), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            assert typ == "OK", parts
            item = next(p for p in parts if isinstance(p, tuple))
            subjects.append(bytes(item[1]).decode().split(":", 1)[1].strip())
        return subjects
    finally:
        client.logout()
