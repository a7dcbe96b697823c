"""Pop3Client against the real Dovecot of the session's mail stack (STLS, POP3S, UIDL, TOP,
RETR, DELE), plus scripted fakes for faults Dovecot will not produce: a connection cut in the
middle of RETR, hidden or refused STLS, silence, XOAUTH2, servers without SASL."""

from __future__ import annotations

import asyncio
import base64
import io
import smtplib
import ssl
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from support.fake_server import (
    FakeServer,
    Step,
    drain,
    drop,
    expect,
    line,
    send,
    sleep,
    starttls,
)
from support.mailstack import Certificates, MailStack, MailUser, generate_certificates

from mailapp.core.checks import CheckStage
from mailapp.core.errors import (
    AuthFailedError,
    AuthUnavailableError,
    CertificateError,
    ConnectionLostError,
    InvalidCommandError,
    LimitExceededError,
    PermanentServerError,
    ProtocolError,
    StartTLSMissingError,
    TemporaryServerError,
    TimeoutError_,
    TLSError,
)
from mailapp.core.model import Security, TlsTrust
from mailapp.protocols.pop3 import Pop3State, dot_stuff, plan_download
from mailapp.transport.pop3 import Pop3Client

# --- helpers ----------------------------------------------------------------------------------


def message(rcpt: str, subject: str, body: str = "Hello.\r\n") -> bytes:
    return (
        f"From: Sender <sender@outside.test>\r\nTo: {rcpt}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@outside.test>\r\n"
        "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}"
    ).encode()


async def deliver(stack: MailStack, user: MailUser, subject: str, body: str = "Hi.\r\n") -> bytes:
    """Send through the MX and wait until Dovecot has stored it; returns the stored copy."""
    await asyncio.to_thread(stack.deliver, message(user.address, subject, body), user.address)
    return await asyncio.to_thread(stack.wait_for_inbox, user.address, subject.encode())


def lmtp_deliver(stack: MailStack, raw: bytes, rcpt: str) -> None:
    socket_path = stack.directory / "dovecot" / "run" / "lmtp-postfix"
    with smtplib.LMTP(str(socket_path), timeout=15) as lmtp:
        lmtp.sendmail("sender@outside.test", [rcpt], raw)


async def pop3s(stack: MailStack, user: MailUser) -> Pop3Client:
    client = Pop3Client()
    await client.connect(
        stack.host, stack.ports.pop3s, Security.SSL, ssl_context=stack.ssl_context()
    )
    await client.login(user.address, user.password)
    return client


def subject_of(raw: bytes) -> str:
    for header in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if header.lower().startswith(b"subject:"):
            return header[8:].strip().decode()
    return ""


# --- the real Dovecot -------------------------------------------------------------------------


@pytest.mark.mailstack
async def test_stls_login_before_any_credential(mailstack: MailStack, mail_user: MailUser) -> None:
    steps: list[CheckStage] = []
    async with Pop3Client(notify=lambda stage, _detail: steps.append(stage)) as client:
        await stls_session(mailstack, mail_user, client)
    assert not client.connected
    assert steps == [CheckStage.CONNECT, CheckStage.TLS, CheckStage.CERTIFICATE, CheckStage.LOGIN]


async def stls_session(mailstack: MailStack, mail_user: MailUser, client: Pop3Client) -> None:
    greeting = await client.connect(
        mailstack.host,
        mailstack.ports.pop3,
        Security.STARTTLS,
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
        source_address=("127.0.0.2", 0),  # Dovecot treats its own address as secure
    )
    assert greeting.ok
    assert client.plaintext_capabilities is not None and client.plaintext_capabilities.stls
    assert client.is_tls and client.state is Pop3State.AUTHORIZATION
    caps = await client.capabilities()
    assert caps.uidl and caps.top and "PLAIN" in caps.sasl
    assert not caps.stls  # no second STLS once encrypted
    assert await client.login(mail_user.address, mail_user.password) == "AUTH PLAIN"
    assert client.state is Pop3State.TRANSACTION
    with pytest.raises(InvalidCommandError):
        await client.login(mail_user.address, mail_user.password)  # refused before sending
    assert client.connected
    assert (await client.stat()).messages == 0


@pytest.mark.mailstack
async def test_pop3s_login_with_account_trust(mailstack: MailStack, mail_user: MailUser) -> None:
    async with Pop3Client() as client:
        await client.connect(
            mailstack.host,
            mailstack.ports.pop3s,
            "ssl",
            trust=TlsTrust(ca_file=str(mailstack.ca_file)),
        )
        assert await client.login(mail_user.address, mail_user.password) == "AUTH PLAIN"
        await client.noop()
    assert not client.connected  # leaving the block sent QUIT and closed


@pytest.mark.mailstack
async def test_pop3s_with_pinned_fingerprint(mailstack: MailStack, mail_user: MailUser) -> None:
    async with Pop3Client() as client:
        trust = TlsTrust(fingerprint=mailstack.server_fingerprint_sha256)
        await client.connect(mailstack.host, mailstack.ports.pop3s, Security.SSL, trust=trust)
        await client.login(mail_user.address, mail_user.password)


@pytest.mark.mailstack
async def test_wrong_password_is_auth_failed_with_server_words(
    mailstack: MailStack, mail_user: MailUser
) -> None:
    async with Pop3Client() as client:
        await client.connect(
            mailstack.host, mailstack.ports.pop3s, "ssl", ssl_context=mailstack.ssl_context()
        )
        with pytest.raises(AuthFailedError) as info:
            await client.login(mail_user.address, "not the password")
        assert "Authentication failed" in info.value.message  # Dovecot's own words
        assert "not the password" not in str(info.value)
        assert client.connected  # an -ERR leaves the session usable
        await client.login(mail_user.address, mail_user.password)


@pytest.mark.mailstack
@pytest.mark.parametrize("how", ["system_context", "account_without_ca"])
async def test_untrusted_certificate_is_refused(mailstack: MailStack, how: str) -> None:
    client = Pop3Client()
    if how == "system_context":
        connecting = client.connect(
            mailstack.host,
            mailstack.ports.pop3s,
            Security.SSL,
            ssl_context=ssl.create_default_context(),
        )
    else:
        connecting = client.connect(
            mailstack.host, mailstack.ports.pop3, Security.STARTTLS, trust=TlsTrust()
        )
    with pytest.raises(CertificateError) as info:
        await connecting
    assert info.value.reason == "untrusted"
    if how == "account_without_ca":
        assert info.value.fingerprint == mailstack.server_fingerprint_sha256
    assert not client.connected


@pytest.mark.mailstack
async def test_uidl_incremental_download_and_keep_days(
    mailstack: MailStack, mail_user: MailUser
) -> None:
    first = [await deliver(mailstack, mail_user, f"incremental {i}") for i in range(3)]
    stored: dict[str, datetime] = {}
    local: dict[str, bytes] = {}
    now = datetime.now(UTC)

    async def session(keep_days: int | None) -> list[str]:
        fetched = []
        async with await pop3s(mailstack, mail_user) as client:
            server = await client.uidl()
            assert len(set(server.values())) == len(server)
            plan = plan_download(server, stored, keep_days, now)
            for number in plan.download:
                raw = await client.retr(number)
                local[server[number]] = raw
                stored[server[number]] = now
                fetched.append(subject_of(raw))
            for number in plan.delete:
                await client.dele(number)
        return fetched

    assert await session(None) == [subject_of(m) for m in first]
    assert sorted(local.values()) == sorted(first)
    # Nothing new: nothing downloaded again.
    assert await session(None) == []
    later = [await deliver(mailstack, mail_user, f"incremental {i}") for i in (3, 4)]
    assert await session(None) == [subject_of(m) for m in later]
    # Five days later with keep_days=7 nothing goes; after eight days all of it does.
    now += timedelta(days=5)
    assert await session(7) == []
    assert len(mailstack.inbox_messages(mail_user.address)) == 5
    now += timedelta(days=3)
    assert await session(7) == []
    assert mailstack.inbox_messages(mail_user.address) == []


@pytest.mark.mailstack
async def test_top_gives_headers_only(mailstack: MailStack, mail_user: MailUser) -> None:
    body = "".join(f"body line {i}\r\n" for i in range(20))
    await deliver(mailstack, mail_user, "top test", body)
    async with await pop3s(mailstack, mail_user) as client:
        headers = await client.top(1, 0)
        two = await client.top(1, 2)
    assert b"Subject: top test\r\n" in headers
    assert headers.endswith(b"\r\n\r\n")
    assert b"body line" not in headers
    assert two.endswith(b"\r\n\r\nbody line 0\r\nbody line 1\r\n")


@pytest.mark.mailstack
async def test_retr_long_lines_and_dots_byte_exact(
    mailstack: MailStack, mail_user: MailUser
) -> None:
    long_line = "".join(chr(0x21 + i % 90) for i in range(5000))
    body = f"before\r\n.starts with a dot\r\n..two dots\r\n.\r\n{long_line}\r\nafter\r\n"
    # Postfix's LMTP client breaks lines over 998 bytes (lmtp_line_length_limit), so this
    # message goes straight to Dovecot's LMTP socket, the hop Postfix would have used.
    raw = message(mail_user.address, "long line", body)
    await asyncio.to_thread(lmtp_deliver, mailstack, raw, mail_user.address)
    stored = await asyncio.to_thread(mailstack.wait_for_inbox, mail_user.address, b"long line")
    assert long_line.encode() + b"\r\n" in stored
    sizes: dict[int, int]
    async with await pop3s(mailstack, mail_user) as client:
        sizes = await client.list_sizes()
        raw = await client.retr(1)
        sink = io.BytesIO()
        written = await client.retr_to(1, sink)
        chunks: list[bytes] = []

        async def async_sink(data: bytes) -> None:
            chunks.append(data)

        await client.retr_to(1, async_sink)
    assert raw == stored
    assert sink.getvalue() == raw and written == len(raw)
    assert b"".join(chunks) == raw
    assert sizes == {1: len(raw)}
    assert b"\r\n.starts with a dot\r\n..two dots\r\n.\r\n" in raw


@pytest.mark.mailstack
async def test_dele_then_quit_deletes_and_drop_or_rset_keeps(
    mailstack: MailStack, mail_user: MailUser
) -> None:
    for i in range(3):
        await deliver(mailstack, mail_user, f"dele {i}")
    # Dropped without QUIT: the DELE is not committed.
    client = await pop3s(mailstack, mail_user)
    try:
        await client.dele(1)
    finally:
        await client.close()
    # RSET undoes a DELE.
    async with await pop3s(mailstack, mail_user) as client:
        assert (await client.stat()).messages == 3
        await client.dele(1)
        await client.rset()
    async with await pop3s(mailstack, mail_user) as client:
        assert (await client.stat()).messages == 3
        gone = subject_of(await client.top(2, 0))
        await client.dele(2)
        with pytest.raises(PermanentServerError):
            await client.retr(2)  # a deleted message cannot be read
        await client.quit()
    left = [subject_of(m) for m in mailstack.inbox_messages(mail_user.address)]
    assert len(left) == 2 and gone not in left


# --- scripted fakes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return generate_certificates(tmp_path_factory.mktemp("pop3-fake-tls"))


def trust_of(certs: Certificates) -> TlsTrust:
    return TlsTrust(ca_file=str(certs.ca_file))


def stls_opening(certs: Certificates, capa_after: tuple[str, ...] = ("USER",)) -> list[Step]:
    after = [line(text) for text in capa_after]
    return [
        line("+OK fake POP3 ready <42.1@fake.test>"),
        expect(r"CAPA$"),
        line("+OK"),
        line("STLS"),
        line("."),
        expect(r"STLS$"),
        line("+OK begin TLS"),
        starttls(certs.server_context()),
        expect(r"CAPA$"),
        line("+OK"),
        *after,
        line("."),
    ]


def logged_in_as_user(certs: Certificates) -> list[Step]:
    return [
        *stls_opening(certs),
        expect(r"USER a@fake\.test$"),
        line("+OK"),
        expect(r"PASS secret$"),
        line("+OK logged in"),
    ]


async def connected(server: FakeServer, certs: Certificates, **kwargs: float) -> Pop3Client:
    client = Pop3Client()
    await client.connect(
        server.host, server.port, Security.STARTTLS, trust=trust_of(certs), **kwargs
    )
    return client


def sent(server: FakeServer) -> bytes:
    return b"".join(b"".join(conn.lines) for conn in server.connections)


async def test_user_pass_when_no_sasl_and_apop_banner_kept(certs: Certificates) -> None:
    async with FakeServer([*logged_in_as_user(certs), expect("QUIT"), line("+OK bye")]) as server:
        client = await connected(server, certs)
        assert client.apop_banner == "<42.1@fake.test>"
        assert await client.login("a@fake.test", "secret") == "USER/PASS"
        await client.quit()
        await server.wait_finished_async()
    assert server.errors == []
    assert server.connections[0].tls


@pytest.mark.parametrize("offer", ["hidden", "refused"])
async def test_starttls_missing_sends_no_credentials(certs: Certificates, offer: str) -> None:
    if offer == "hidden":
        script = [line("+OK ready"), expect("CAPA"), line("+OK"), line("USER"), line("."), drain()]
    else:
        script = [
            line("+OK ready"),
            expect("CAPA"),
            line("+OK"),
            line("STLS"),
            line("."),
            expect("STLS"),
            line("-ERR [SYS/TEMP] not now"),
            drain(),
        ]
    async with FakeServer(script) as server:
        client = Pop3Client()
        with pytest.raises(StartTLSMissingError):
            await client.connect(server.host, server.port, "starttls", trust=trust_of(certs))
        await server.wait_finished_async()
    assert not client.connected
    assert b"USER" not in sent(server) and b"PASS" not in sent(server)
    assert b"AUTH" not in sent(server)


async def test_bytes_injected_before_tls_handshake_are_refused(certs: Certificates) -> None:
    script = [
        line("+OK ready"),
        expect("CAPA"),
        line("+OK"),
        line("STLS"),
        line("."),
        expect("STLS"),
        send(b"+OK begin TLS\r\n+OK injected\r\n"),
        drain(),
    ]
    async with FakeServer(script) as server:
        client = Pop3Client()
        with pytest.raises(TLSError):
            await client.connect(server.host, server.port, "starttls", trust=trust_of(certs))
        await server.wait_finished_async()
    assert not client.connected


async def test_connection_dropped_mid_retr_is_connection_lost(certs: Certificates) -> None:
    script = [
        *logged_in_as_user(certs),
        expect(r"RETR 1$"),
        line("+OK 100000 octets"),
        send(b"Subject: cut\r\n\r\n" + b"x" * 50_000),
        drop(),
    ]
    async with FakeServer(script) as server:
        client = await connected(server, certs)
        await client.login("a@fake.test", "secret")
        with pytest.raises(ConnectionLostError):
            await client.retr(1)
        assert not client.connected
        with pytest.raises(ConnectionLostError):
            await client.noop()
        await server.wait_finished_async()


async def test_silent_server_times_out(certs: Certificates) -> None:
    script = [*logged_in_as_user(certs), expect(r"STAT$"), sleep(5)]
    async with FakeServer(script) as server:
        client = await connected(server, certs, timeout=0.5)
        await client.login("a@fake.test", "secret")
        with pytest.raises(TimeoutError_):
            await client.stat()
        assert not client.connected


async def test_message_size_guard_drops_the_connection(certs: Certificates) -> None:
    body = dot_stuff(b"Subject: big\r\n\r\n" + b"y" * 4000 + b"\r\n")
    script = [*logged_in_as_user(certs), expect(r"RETR 1$"), line("+OK"), send(body), drain()]
    async with FakeServer(script) as server:
        client = Pop3Client(max_message_size=1000)
        await client.connect(server.host, server.port, "starttls", trust=trust_of(certs))
        await client.login("a@fake.test", "secret")
        with pytest.raises(LimitExceededError):
            await client.retr(1)
        assert not client.connected
    assert b"QUIT" not in sent(server)


async def test_failing_sink_or_cancel_drops_without_quit(certs: Certificates) -> None:
    body = dot_stuff(b"Subject: s\r\n\r\n" + b"z\r\n" * 10)

    def script(index: int) -> list[Step]:
        tail: list[Step] = [line("+OK"), send(body)] if index == 0 else [sleep(2)]
        return [*logged_in_as_user(certs), expect(r"RETR 1$"), *tail, drain()]

    async with FakeServer(script) as server:
        client = await connected(server, certs)
        await client.login("a@fake.test", "secret")

        def broken(data: bytes) -> None:
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            await client.retr_to(1, broken)
        assert not client.connected

        client = await connected(server, certs)
        await client.login("a@fake.test", "secret")
        task = asyncio.create_task(client.retr(1))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not client.connected
        await server.wait_finished_async(2)
    assert b"QUIT" not in sent(server)


@pytest.mark.parametrize("token_length", [20, 400])
async def test_xoauth2_success_short_and_long_token(certs: Certificates, token_length: int) -> None:
    token = "t" * token_length
    expected = base64.b64encode(f"user=a@fake.test\x01auth=Bearer {token}\x01\x01".encode())
    if token_length < 100:
        exchange = [expect(rb"AUTH XOAUTH2 " + expected + rb"$")]
    else:  # too long for one command line: sent after an empty challenge
        exchange = [expect(r"AUTH XOAUTH2$"), line("+ "), expect(expected + rb"$")]
    script = [
        *stls_opening(certs, ("SASL PLAIN XOAUTH2",)),
        *exchange,
        line("+OK welcome"),
        expect("QUIT"),
        line("+OK"),
    ]
    async with FakeServer(script) as server:
        async with await connected(server, certs) as client:
            await client.login_xoauth2("a@fake.test", token)
            assert client.state is Pop3State.TRANSACTION
        await server.wait_finished_async()
    assert server.errors == []


async def test_xoauth2_failure_reports_the_servers_json(certs: Certificates) -> None:
    error = base64.b64encode(b'{"status":"401","schemes":"bearer"}').decode()
    script = [
        *stls_opening(certs, ("SASL XOAUTH2",)),
        expect(r"AUTH XOAUTH2 "),
        line(f"+ {error}"),
        expect(r"$"),  # the empty answer that asks for the final -ERR
        line("-ERR [AUTH] Invalid credentials"),
        drain(),
    ]
    async with FakeServer(script) as server:
        client = await connected(server, certs)
        with pytest.raises(AuthFailedError, match=r'Invalid credentials \(\{"status":"401"'):
            await client.login_xoauth2("a@fake.test", "expired")
        await client.close()
        await server.wait_finished_async()
    assert server.errors == []


async def test_xoauth2_not_offered_and_temporary_login_failure(certs: Certificates) -> None:
    script = [
        *stls_opening(certs, ("SASL PLAIN", "RESP-CODES")),
        expect(r"AUTH PLAIN "),
        line("-ERR [IN-USE] mailbox locked by another session"),
        drain(),
    ]
    async with FakeServer(script) as server:
        client = await connected(server, certs)
        with pytest.raises(AuthUnavailableError):
            await client.login_xoauth2("a@fake.test", "token")
        with pytest.raises(TemporaryServerError, match="locked"):
            await client.login("a@fake.test", "secret")
        await client.close()


async def test_retr_of_a_200kb_line_has_no_line_limit(certs: Certificates) -> None:
    message = b"Subject: wide\r\n\r\n" + b"w" * 200_000 + b"\r\n.dot\r\n"
    script = [
        *logged_in_as_user(certs),
        expect(r"RETR 1$"),
        line("+OK"),
        send(dot_stuff(message)),
        expect("QUIT"),
        line("+OK"),
    ]
    async with FakeServer(script) as server:
        client = Pop3Client(read_size=8192)
        await client.connect(server.host, server.port, "starttls", trust=trust_of(certs))
        await client.login("a@fake.test", "secret")
        sizes: list[int] = []
        assert await client.retr_to(1, lambda data: sizes.append(len(data))) == len(message)
        assert max(sizes) <= 8192
        await client.quit()
        await server.wait_finished_async()
    assert server.errors == []


@pytest.mark.parametrize(
    ("greeting", "error"),
    [
        ("* OK IMAP4rev1 ready", "does not greet like a POP3 server"),
        ("-ERR [SYS/TEMP] maintenance", "turned us away"),
    ],
)
async def test_bad_greetings(greeting: str, error: str) -> None:
    async with FakeServer([line(greeting), drain()]) as server:
        client = Pop3Client()
        with pytest.raises((ProtocolError, TemporaryServerError), match=error):
            await client.connect(server.host, server.port, "starttls", trust=TlsTrust())
        assert not client.connected
