"""Pipelined sending (RFC 2920) against scripted servers: what a real Postfix will not do.

Scripts that offer PIPELINING read MAIL FROM, every RCPT TO and DATA before they answer any
of them, so a client that waited for each reply would hang there: passing proves the group
went out at once. The cases: replies attributed per recipient and stored; every recipient
refused and DATA answered 554 (the transaction is reset, nothing of the message is sent);
a broken server that answers 354 although it refused every recipient (the connection is
closed without a final "."); a 421 inside the group. A server without PIPELINING gets the
lock-step exchange: after a refused MAIL FROM the next command it sees is RSET.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

import pytest
from support.fake_server import FakeServer, Step, drain, expect, line, read_until, send, starttls
from support.mailstack import Certificates, generate_certificates

from mailapp.core.delivery import DeliveryState, OutboxState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.secrets.memory import MemoryCredentialStore

SENDER = "sender@pipe.test"
PASSWORD = "pipe-pw-456"
PIPELINED = ("AUTH PLAIN", "PIPELINING", "DSN", "SIZE 100000", "ENHANCEDSTATUSCODES")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return generate_certificates(tmp_path_factory.mktemp("pipe-ca"))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())


def greeting(ctx: ssl.SSLContext, extensions: Sequence[str]) -> list[Step]:
    """Greeting, STARTTLS, EHLO with `extensions`, AUTH PLAIN accepted."""
    names = ["pipe.test", *extensions]
    ehlo = "".join(f"250-{n}\r\n" for n in names[:-1]) + f"250 {names[-1]}\r\n"
    return [
        line("220 pipe.test ESMTP"),
        expect(rb"EHLO "),
        send(b"250-pipe.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
        expect(rb"STARTTLS"),
        line("220 2.0.0 go ahead"),
        starttls(ctx),
        expect(rb"EHLO "),
        send(ehlo.encode()),
        expect(rb"AUTH PLAIN"),
        line("235 2.7.0 Authenticated"),
    ]


def group(recipients: int, replies: Sequence[str]) -> list[Step]:
    """Read the whole pipelined group, then answer it at once."""
    reads = [expect(rb"MAIL FROM:"), *(expect(rb"RCPT TO:") for _ in range(recipients))]
    return [*reads, expect(rb"DATA"), send("".join(f"{r}\r\n" for r in replies).encode())]


QUIT = [expect(rb"QUIT"), line("221 2.0.0 Bye"), drain(2)]


async def add_account(engine: Engine, server: FakeServer, certs: Certificates, tmp: Path) -> str:
    secret = tmp / "pw.txt"
    secret.write_text(PASSWORD + "\n")
    account = Account(
        name="pipe",
        email=SENDER,
        display_name="Pipe Sender",
        incoming_protocol=IncomingProtocol.POP3,
        incoming=ServerSettings("127.0.0.1", 9, Security.SSL, SENDER),
        outgoing=ServerSettings(server.host, server.port, Security.STARTTLS, SENDER),
        trust=TlsTrust(ca_file=str(certs.ca_file)),
        password_command=f"cat '{secret}'",
    )
    await engine.add_account(account, None)
    return account.name


def draft(*to: str) -> Draft:
    return Draft(
        from_=Mailbox(SENDER, "Pipe Sender"),
        to=tuple(Mailbox(a) for a in to),
        subject="Pipelined",
        text_body="Hi there.\n.leading dot line\n",
    )


async def test_pipelined_replies_are_attributed_to_each_recipient(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    script = [
        *greeting(certs.server_context(), PIPELINED),
        *group(
            3,
            [
                "250 2.1.0 Ok",
                "250 2.1.5 Ok",
                "550 5.1.1 <gone@far.test>: Recipient address rejected: unknown",
                "250 2.1.5 Ok",
                "354 End data with <CR><LF>.<CR><LF>",
            ],
        ),
        read_until(rb"^\.$"),
        line("250 2.0.0 Ok: queued as PIPE1"),
        *QUIT,
    ]
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("ann@far.test", "gone@far.test", "cy@far.test"))
        await server.wait_finished_async()
    assert server.errors == []
    text = server.connections[0].text
    assert [t.split(" ")[1] for t in text if t.startswith("RCPT")] == [
        "TO:<ann@far.test>",
        "TO:<gone@far.test>",
        "TO:<cy@far.test>",
    ]
    assert "..leading dot line" in text
    assert result.state is OutboxState.SENT
    ann, gone, cy = result.recipients
    assert (ann.state, gone.state, cy.state) == (
        DeliveryState.ACCEPTED,
        DeliveryState.FAILED,
        DeliveryState.ACCEPTED,
    )
    for taken in (ann, cy):
        assert "queued as PIPE1" in (taken.diagnostic or "")
    assert gone.reply_code == 550 and gone.status == "5.1.1"
    assert "Recipient address rejected: unknown" in (gone.diagnostic or "")
    assert result.summary.label == "Failed 1/3"


async def test_every_recipient_refused_and_data_554_resets_and_sends_nothing(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    script = [
        *greeting(certs.server_context(), PIPELINED),
        *group(
            2,
            [
                "250 2.1.0 Ok",
                "550 5.1.1 <a@far.test>: no such user",
                "553 5.7.1 <b@far.test>: not allowed",
                "554 5.5.1 Error: no valid recipients",
            ],
        ),
        expect(rb"RSET"),
        line("250 2.0.0 Ok"),
        *QUIT,
    ]
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("a@far.test", "b@far.test"))
        await server.wait_finished_async()
    assert server.errors == []
    text = server.connections[0].text
    assert not any("leading dot" in t for t in text)  # no byte of the message
    assert result.state is OutboxState.FAILED
    assert "refused every recipient" in (result.last_error or "")
    a, b = result.recipients
    assert (a.state, a.reply_code, a.status) == (DeliveryState.FAILED, 550, "5.1.1")
    assert "no such user" in (a.diagnostic or "")
    assert (b.state, b.reply_code, b.status) == (DeliveryState.FAILED, 553, "5.7.1")
    assert "not allowed" in (b.diagnostic or "")
    assert await engine.recent_sent() == []


async def test_a_354_after_every_recipient_refused_closes_without_a_final_dot(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    script = [
        *greeting(certs.server_context(), PIPELINED),
        *group(1, ["250 2.1.0 Ok", "550 5.1.1 no such user", "354 go ahead anyway"]),
        drain(5),
    ]
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("a@far.test"))
        await server.wait_finished_async()
    connection = server.connections[0]
    assert connection.closed_by == "peer"
    after_data = connection.text[connection.text.index("DATA") + 1 :]
    assert after_data == []  # neither the message nor a "." (nor a RSET it would take as text)
    assert result.state is OutboxState.FAILED
    [a] = result.recipients
    assert a.state is DeliveryState.FAILED and a.reply_code == 550


async def test_a_421_inside_the_group_defers_with_the_replies_so_far(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    script = [
        *greeting(certs.server_context(), PIPELINED),
        *group(2, ["250 2.1.0 Ok", "250 2.1.5 Ok", "421 4.3.2 shutting down"]),
        drain(5),
    ]
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("a@far.test", "b@far.test"))
        await server.wait_finished_async()
    assert result.state is OutboxState.DEFERRED
    assert "closed the connection: 421 4.3.2 shutting down" in (result.last_error or "")
    assert [r.state for r in result.recipients] == [DeliveryState.DEFERRED] * 2


async def test_without_pipelining_each_command_waits_for_its_reply(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    # A pipelining client would have sent RCPT TO and DATA behind MAIL FROM: the script
    # would then read "RCPT TO" where it expects RSET, and record an error.
    script = [
        *greeting(certs.server_context(), ("AUTH PLAIN", "DSN", "ENHANCEDSTATUSCODES")),
        expect(rb"MAIL FROM:"),
        line("553 5.7.1 <sender@pipe.test>: Sender address rejected: not owned by user"),
        expect(rb"RSET"),
        line("250 2.0.0 Ok"),
        *QUIT,
    ]
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("a@far.test"))
        await server.wait_finished_async()
    assert server.errors == []
    assert not any(t.startswith("RCPT") for t in server.connections[0].text)
    assert result.state is OutboxState.FAILED
    assert "refused the sender sender@pipe.test: 553 5.7.1" in (result.last_error or "")
