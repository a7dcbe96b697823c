"""The sending worker against scripted SMTP servers: faults a real Postfix will not produce.

Each fake speaks STARTTLS with a certificate from a private test CA (generated here, so these
tests need no mail stack) and AUTH PLAIN, then plays one transaction: a recipient refused at
RCPT, a 451 at DATA then success on the next attempt, a connection dropped after the final
"." (uncertain, never resent), a connection dropped in the middle of the upload (deferred,
nothing sent), a SIZE limit checked before any upload. The engine runs in-process with an
account whose password comes from a password command.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from support.fake_server import (
    FakeServer,
    Step,
    drain,
    drop,
    expect,
    line,
    read_until,
    send,
    starttls,
)
from support.mailstack import Certificates, generate_certificates

from mailapp.core.delivery import DeliveryState, EventSource, OutboxState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.secrets.memory import MemoryCredentialStore

SENDER = "sender@fake.test"
PASSWORD = "fake-pw-123"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return generate_certificates(tmp_path_factory.mktemp("fake-ca"))


def greeting(ctx: ssl.SSLContext, extensions: Sequence[str]) -> list[Step]:
    """Greeting, STARTTLS, EHLO with `extensions`, AUTH PLAIN accepted."""
    ehlo = "".join(f"250-{ext}\r\n" for ext in ["fake.test", *extensions[:-1]])
    ehlo += f"250 {extensions[-1]}\r\n"
    return [
        line("220 fake.test ESMTP"),
        expect(rb"EHLO "),
        send(b"250-fake.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
        expect(rb"STARTTLS"),
        line("220 2.0.0 go ahead"),
        starttls(ctx),
        expect(rb"EHLO "),
        send(ehlo.encode()),
        expect(rb"AUTH PLAIN"),
        line("235 2.7.0 Authenticated"),
    ]


DSN_EXTENSIONS = ("AUTH PLAIN", "DSN", "SIZE 100000", "8BITMIME", "ENHANCEDSTATUSCODES")


def accept_one(queue_id: str, rcpt_replies: Sequence[str] = ("250 2.1.5 Ok",)) -> list[Step]:
    steps: list[Step] = [expect(rb"MAIL FROM:"), line("250 2.1.0 Ok")]
    for reply in rcpt_replies:
        steps += [expect(rb"RCPT TO:"), line(reply)]
    return [
        *steps,
        expect(rb"DATA"),
        line("354 End data with <CR><LF>.<CR><LF>"),
        read_until(rb"^\.$"),
        line(f"250 2.0.0 Ok: queued as {queue_id}"),
        expect(rb"QUIT"),
        line("221 2.0.0 Bye"),
        drain(2),
    ]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())


async def add_account(engine: Engine, server: FakeServer, certs: Certificates, tmp: Path) -> str:
    secret = tmp / "pw.txt"
    secret.write_text(PASSWORD + "\n")
    account = Account(
        name="fake",
        email=SENDER,
        display_name="Fake Sender",
        # POP3, so the copy to Sent is the local one: nothing listens on port 9 (the IMAP
        # APPEND of the copy is tested against Dovecot in test_sent_copy.py).
        incoming_protocol=IncomingProtocol.POP3,
        incoming=ServerSettings("127.0.0.1", 9, Security.SSL, SENDER),
        outgoing=ServerSettings(server.host, server.port, Security.STARTTLS, SENDER),
        trust=TlsTrust(ca_file=str(certs.ca_file)),
        password_command=f"cat '{secret}'",
    )
    await engine.add_account(account, None)
    return account.name


def draft(*to: str, subject: str = "Hello") -> Draft:
    return Draft(
        from_=Mailbox(SENDER, "Fake Sender"),
        to=tuple(Mailbox(a) for a in to),
        subject=subject,
        text_body="Hi there.\n.leading dot line\n",
    )


def scripted(scripts: Sequence[list[Step]]) -> Callable[[int], list[Step]]:
    def pick(index: int) -> list[Step]:
        return scripts[index] if index < len(scripts) else [line("421 4.3.2 no more"), drain(1)]

    return pick


def sent_lines(server: FakeServer, index: int) -> list[str]:
    return server.connections[index].text


async def test_per_recipient_rcpt_replies_and_dsn_parameters(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    ctx = certs.server_context()
    script = greeting(ctx, DSN_EXTENSIONS) + accept_one(
        "4AbC12",
        ["250 2.1.5 Ok", "550 5.1.1 <nobody@far.test>: Recipient address rejected: unknown"],
    )
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("bob@far.test", "nobody@far.test"))
        await server.wait_finished_async()
    assert server.errors == []
    text = sent_lines(server, 0)
    mail = next(t for t in text if t.startswith("MAIL FROM"))
    assert re.fullmatch(
        rf"MAIL FROM:<{SENDER}> SIZE=\d+ RET=HDRS ENVID=[0-9a-f]+\.[0-9a-f]+", mail
    ), mail
    rcpts = [t for t in text if t.startswith("RCPT TO")]
    assert rcpts == [
        "RCPT TO:<bob@far.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;bob@far.test",
        "RCPT TO:<nobody@far.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;nobody@far.test",
    ]
    # The body went out dot-stuffed.
    assert "..leading dot line" in text

    assert result.state is OutboxState.SENT
    assert result.dsn_offered is True
    bob, nobody = result.recipients
    assert (bob.state, nobody.state) == (DeliveryState.ACCEPTED, DeliveryState.FAILED)
    assert bob.last_event is not None and "queued as 4AbC12" in (bob.last_event.diagnostic or "")
    assert bob.reporting_host == "127.0.0.1"
    assert nobody.status == "5.1.1" and nobody.reply_code == 550
    assert "Recipient address rejected" in (nobody.diagnostic or "")
    assert result.summary.label == "Failed 1/2"
    # Nothing is left to send, and the Sent copy is made.
    assert await engine.outbox_entries() == []
    [entry] = [s.entry for s in await engine.recent_sent()]
    assert str(entry.sent_copy_state) == "done"


async def test_no_dsn_parameters_when_the_server_offers_none(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    script = greeting(certs.server_context(), ("AUTH PLAIN", "8BITMIME")) + accept_one("Q1")
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("bob@far.test"))
        await server.wait_finished_async()
    text = sent_lines(server, 0)
    assert f"MAIL FROM:<{SENDER}>" in text
    assert "RCPT TO:<bob@far.test>" in text
    assert result.state is OutboxState.SENT and result.dsn_offered is False
    assert result.summary.reports_unavailable


async def test_451_at_data_defers_then_the_next_attempt_succeeds(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    ctx = certs.server_context()
    first = [
        *greeting(ctx, DSN_EXTENSIONS),
        expect(rb"MAIL FROM:"),
        line("250 2.1.0 Ok"),
        expect(rb"RCPT TO:"),
        line("250 2.1.5 Ok"),
        expect(rb"DATA"),
        line("354 go ahead"),
        read_until(rb"^\.$"),
        line("451 4.3.0 Error: queue file write error"),
        expect(rb"QUIT"),
        line("221 Bye"),
        drain(2),
    ]
    second = greeting(ctx, DSN_EXTENSIONS) + accept_one("SECOND1")
    async with FakeServer(scripted([first, second])) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("bob@far.test"))
        assert result.state is OutboxState.DEFERRED
        assert result.next_attempt_at is not None
        assert "451 4.3.0 Error: queue file write error" in (result.last_error or "")
        [waiting] = await engine.outbox_entries()
        assert waiting.state is OutboxState.DEFERRED and waiting.last_reply_code == 451
        # Not due yet: a run now sends nothing.
        report = await engine.run_outbox_once()
        assert report.attempted == 0 and len(server.connections) == 1
        # The network is back (or the backoff passed): it goes out, once.
        assert await engine.sending.wake() == 1
        report = await engine.run_outbox_once()
        assert report.accepted == [result.outbox_id]
        await server.wait_finished_async(2)
    status = await engine.delivery_status(result.message_id)
    [bob] = status.recipients
    assert bob.state is DeliveryState.ACCEPTED
    states = [e.state for e in bob.events]
    assert states == [
        DeliveryState.QUEUED,
        DeliveryState.DEFERRED,
        DeliveryState.ACCEPTED,
    ], bob.events
    assert status.entry.attempts == 2
    assert "queued as SECOND1" in (bob.diagnostic or "")


async def test_451_at_rcpt_defers_only_that_recipient(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    ctx = certs.server_context()
    first = greeting(ctx, DSN_EXTENSIONS) + accept_one(
        "FIRST1", ["250 2.1.5 Ok", "451 4.7.1 <later@far.test>: greylisted, try again"]
    )
    second = greeting(ctx, DSN_EXTENSIONS) + accept_one("SECOND2")
    async with FakeServer(scripted([first, second])) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("now@far.test", "later@far.test"))
        states = {r.address: r.state for r in result.recipients}
        assert states == {
            "now@far.test": DeliveryState.ACCEPTED,
            "later@far.test": DeliveryState.DEFERRED,
        }
        assert result.state is OutboxState.DEFERRED
        await engine.sending.wake()
        await engine.run_outbox_once()
        await server.wait_finished_async(2)
    # The second transaction names only the recipient still waiting.
    assert [t for t in sent_lines(server, 1) if t.startswith("RCPT")] == [
        "RCPT TO:<later@far.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;later@far.test"
    ]
    status = await engine.delivery_status(result.message_id)
    assert [r.state for r in status.recipients] == [DeliveryState.ACCEPTED] * 2
    assert status.entry.state is OutboxState.SENT


async def test_drop_after_the_final_dot_is_uncertain_and_never_resent(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    ctx = certs.server_context()
    first = [
        *greeting(ctx, DSN_EXTENSIONS),
        expect(rb"MAIL FROM:"),
        line("250 2.1.0 Ok"),
        expect(rb"RCPT TO:"),
        line("250 2.1.5 Ok"),
        expect(rb"DATA"),
        line("354 go ahead"),
        read_until(rb"^\.$"),
        drop(),
    ]
    async with FakeServer(scripted([first])) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("bob@far.test"))
        await server.wait_finished_async()
        assert result.state is OutboxState.UNCERTAIN
        [bob] = result.recipients
        assert bob.state is DeliveryState.UNCERTAIN
        assert "may or may not have been sent" in (result.last_error or "")
        # Running the outbox again does not touch it.
        report = await engine.run_outbox_once()
        assert report.attempted == 0
        assert len(server.connections) == 1
    [entry] = await engine.outbox_entries()
    assert entry.state is OutboxState.UNCERTAIN and entry.data_started_at is not None


async def test_drop_during_the_upload_defers_and_nothing_was_sent(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    ctx = certs.server_context()
    first = [
        *greeting(ctx, ("AUTH PLAIN", "DSN")),
        expect(rb"MAIL FROM:"),
        line("250 2.1.0 Ok"),
        expect(rb"RCPT TO:"),
        line("250 2.1.5 Ok"),
        expect(rb"DATA"),
        line("354 go ahead"),
        expect(rb"Date: "),  # the first line of the message, then cut
        drop(),
    ]
    big = Draft(
        from_=Mailbox(SENDER),
        to=(Mailbox("bob@far.test"),),
        subject="big",
        text_body=("x" * 70 + "\n") * 40_000,  # ~2.8 MB: still uploading when cut
    )
    async with FakeServer(scripted([first])) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, big, request_dsn=False)
        await server.wait_finished_async()
    assert result.state is OutboxState.DEFERRED
    assert "before it was complete" in (result.last_error or "")
    [bob] = result.recipients
    assert bob.state is DeliveryState.DEFERRED
    assert bob.last_event is not None and bob.last_event.source is EventSource.SYSTEM


async def test_size_limit_is_checked_before_any_upload(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    ctx = certs.server_context()
    script = [
        *greeting(ctx, ("AUTH PLAIN", "DSN", "SIZE 200")),
        expect(rb"QUIT"),
        line("221 Bye"),
        drain(2),
    ]
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("bob@far.test"))
        await server.wait_finished_async()
    assert server.errors == []
    assert not any(t.startswith(("MAIL", "DATA")) for t in sent_lines(server, 0))
    assert result.state is OutboxState.FAILED
    assert "takes at most 200 bytes" in (result.last_error or "")
    [entry] = await engine.outbox_entries()
    assert entry.state is OutboxState.FAILED


async def test_a_poison_message_does_not_block_the_others(
    engine: Engine, certs: Certificates, tmp_path: Path, monkeypatch: Any
) -> None:
    ctx = certs.server_context()
    script = [
        *greeting(ctx, DSN_EXTENSIONS),
        expect(rb"MAIL FROM:"),
        line("250 2.1.0 Ok"),
        expect(rb"RCPT TO:<good@far.test>"),
        line("250 2.1.5 Ok"),
        expect(rb"DATA"),
        line("354 go ahead"),
        read_until(rb"^\.$"),
        line("250 2.0.0 Ok: queued as GOOD1"),
        expect(rb"QUIT"),
        line("221 Bye"),
        drain(2),
    ]
    async with FakeServer(script) as server:
        name = await add_account(engine, server, certs, tmp_path)
        poison = await engine.send(name, draft("poison@far.test"), wait=False)
        good = await engine.send(name, draft("good@far.test"), wait=False)
        outbox = engine.sending.outbox
        real_raw = outbox.raw

        def raw(entry: Any) -> bytes:
            if entry.id == poison.outbox_id:
                raise RuntimeError("simulated bug while reading this one message")
            return real_raw(entry)

        monkeypatch.setattr(outbox, "raw", raw)
        report = await engine.run_outbox_once()
        await server.wait_finished_async()
    assert report.accepted == [good.outbox_id]
    assert report.deferred == [poison.outbox_id]
    [left] = await engine.outbox_entries()
    assert left.id == poison.outbox_id and left.state is OutboxState.DEFERRED
    assert "internal error" in (left.last_error or "")


async def test_smtputf8_only_when_needed_and_offered(
    engine: Engine, certs: Certificates, tmp_path: Path
) -> None:
    ctx = certs.server_context()
    offered = [
        *greeting(ctx, ("AUTH PLAIN", "DSN", "8BITMIME", "SMTPUTF8")),
        *accept_one("UTF1"),
    ]
    refused = [*greeting(ctx, ("AUTH PLAIN", "DSN")), expect(rb"QUIT"), line("221 Bye"), drain(2)]
    async with FakeServer(scripted([offered, refused])) as server:
        name = await add_account(engine, server, certs, tmp_path)
        result = await engine.send(name, draft("jürgen@far.test"))
        await server.wait_finished_async()
        assert result.state is OutboxState.SENT
        text = sent_lines(server, 0)
        [mail] = [t for t in text if t.startswith("MAIL FROM")]
        assert " SMTPUTF8" in mail and "BODY=8BITMIME" in mail
        rcpt = "RCPT TO:<jürgen@far.test> NOTIFY=SUCCESS,FAILURE,DELAY"
        assert f"{rcpt} ORCPT=utf-8;j\\x{{FC}}rgen@far.test" in text

        second = await engine.send(name, draft("jürgen@far.test", subject="again"))
        await server.wait_finished_async(2)
    assert not any(t.startswith("MAIL") for t in sent_lines(server, 1))
    assert second.state is OutboxState.FAILED
    assert "does not offer SMTPUTF8" in (second.last_error or "")
