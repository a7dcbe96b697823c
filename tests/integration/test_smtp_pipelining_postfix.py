"""SmtpSession.send_envelope's pipelined path (RFC 2920) against the real Postfix.

The stack's mx service offers PIPELINING and STARTTLS and refuses unknown local users at RCPT
(550 5.1.1), so one transaction mixes accepted and refused recipients; every refused one
must keep the server's own words, in envelope order. Every write the client makes is
recorded, to show MAIL FROM, all RCPT TO and DATA left in one write, and body plus final "."
in one more. With every recipient refused, Postfix answers the pipelined DATA with 554; the
transaction is reset and the same connection carries the next message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from support.mailstack import MailStack, MailUser
from support.smtp_recording import dotted_message, recording_mx_session

from mailapp.core.draft import Notify
from mailapp.transport.smtp import (
    DsnRequest,
    EnvelopeRecipient,
    SendOutcomeKind,
    SmtpReply,
    SmtpSession,
)

pytestmark = pytest.mark.mailstack

SENDER = "pipeline-test@sender.test"


@pytest.fixture
def people(mailstack: MailStack) -> dict[str, MailUser]:
    """Fresh mailboxes, made before the session connects (smtpd sees a new user only on a
    new connection)."""
    return {name: mailstack.unique_user(f"pipe-{name}") for name in ("bob", "carol", "after")}


@pytest.fixture
async def mx(
    mailstack: MailStack, people: dict[str, MailUser]
) -> AsyncIterator[tuple[SmtpSession, list[bytes]]]:
    """A session to the mx service (STARTTLS, no login) and the list of its writes."""
    async with recording_mx_session(mailstack) as recorded:
        yield recorded


def message(subject: str, to: str) -> bytes:
    return dotted_message(SENDER, subject, to)


async def test_a_refused_recipient_in_a_pipelined_group_keeps_its_own_reply(
    mailstack: MailStack, people: dict[str, MailUser], mx: tuple[SmtpSession, list[bytes]]
) -> None:
    session, writes = mx
    assert session.supports("pipelining")
    bob, carol = people["bob"], people["carol"]
    nosuch = f"nosuch-pipe@{mailstack.domain}"
    hooked: list[tuple[str, SmtpReply]] = []

    async def on_recipient(address: str, reply: SmtpReply) -> None:
        hooked.append((address, reply))

    before: list[int] = []

    async def before_data() -> None:
        before.append(len(writes))

    raw = message("pipelined one", bob.address)
    outcome = await session.send_envelope(
        SENDER,
        [EnvelopeRecipient(a, a) for a in (bob.address, nosuch, carol.address)],
        raw,
        dsn=DsnRequest("envid.pipe1", frozenset({Notify.FAILURE})),
        on_recipient=on_recipient,
        before_data=before_data,
    )

    assert outcome.kind is SendOutcomeKind.ACCEPTED, outcome.error
    assert outcome.usable and outcome.dsn_offered
    assert outcome.reply is not None and "queued as" in outcome.reply.text
    [(a1, r1), (a2, r2), (a3, r3)] = outcome.recipients
    assert (a1, a2, a3) == (bob.address, nosuch, carol.address)
    assert (r1.code, r3.code) == (250, 250)
    assert r2.code == 550 and r2.text.startswith("5.1.1")
    assert "Recipient address rejected" in r2.words
    assert hooked == list(outcome.recipients)

    # One write for the whole envelope and DATA, the marker hook after it (before any byte of
    # the message), then one write for the body and the final dot.
    group, body = writes
    commands = group.split(b"\r\n")
    assert commands[0].startswith(b"MAIL FROM:<" + SENDER.encode() + b">")
    assert b"ENVID=envid.pipe1" in commands[0]
    assert [c.split(b" ")[1] for c in commands[1:4]] == [
        f"TO:<{a}>".encode() for a in (bob.address, nosuch, carol.address)
    ]
    assert commands[4:] == [b"DATA", b""]
    assert before == [1]
    assert body.endswith(b"\r\n.\r\n") and b"\r\n..a line starting with a dot\r\n" in body

    for user in (bob, carol):
        got = await asyncio.to_thread(
            mailstack.wait_for_inbox, user.address, b"Subject: pipelined one", 30
        )
        assert b"\r\n..a line" not in got.replace(b"\n", b"\r\n")


async def test_every_recipient_refused_then_data_refused_and_the_connection_goes_on(
    mailstack: MailStack, people: dict[str, MailUser], mx: tuple[SmtpSession, list[bytes]]
) -> None:
    session, writes = mx
    nobody = [f"nobody{n}-pipe@{mailstack.domain}" for n in (1, 2)]
    called: list[str] = []

    async def before_data() -> None:
        called.append("before_data")

    outcome = await session.send_envelope(
        SENDER,
        [EnvelopeRecipient(a, a) for a in nobody],
        message("refused everywhere", nobody[0]),
        before_data=before_data,
    )

    assert outcome.kind is SendOutcomeKind.FAILED
    assert "refused every recipient" in outcome.error
    assert [a for a, _r in outcome.recipients] == nobody
    assert all(r.code == 550 and r.text.startswith("5.1.1") for _a, r in outcome.recipients)
    assert called == []  # no DATA marker: nothing of the message may go out
    assert outcome.usable and session.is_connected
    # The group, then RSET; no message bytes.
    assert len(writes) == 2 and writes[0].endswith(b"DATA\r\n")
    assert writes[1] == b"RSET\r\n"

    # In step: the next transaction on the same connection goes through.
    bob = people["after"]
    nxt = await session.send_envelope(
        SENDER, [EnvelopeRecipient(bob.address, bob.address)], message("after reset", bob.address)
    )
    assert nxt.kind is SendOutcomeKind.ACCEPTED, nxt.error
    await asyncio.to_thread(mailstack.wait_for_inbox, bob.address, b"Subject: after reset", 30)
