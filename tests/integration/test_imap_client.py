"""The asyncio IMAP client (transport/imap.py) against the real Dovecot, plus scripted fakes
for what Dovecot will not do on demand (no STARTTLS, COMPRESS=DEFLATE)."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from support.fake_server import FakeServer, drain, line

from mailapp.core.errors import AuthFailedError, StartTLSMissingError
from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.engine.sync.roles import assign_roles
from mailapp.protocols.imap import (
    ExistsResponse,
    FetchResponse,
    Response,
)
from mailapp.store.folders import FolderRole
from mailapp.transport.imap import ImapClient

pytestmark = pytest.mark.mailstack


def make_client(
    stack: Any, address: str, security: Security = Security.STARTTLS, **kwargs: Any
) -> ImapClient:
    port = stack.ports.imap if security is Security.STARTTLS else stack.ports.imaps
    return ImapClient(
        ServerSettings(stack.host, port, security, address),
        TlsTrust(ca_file=str(stack.ca_file)),
        timeout=20,
        **kwargs,
    )


async def logged_in(
    stack: Any, address: str, password: str, security: Security = Security.STARTTLS, **kw: Any
) -> ImapClient:
    """Connect and log in; a user added a moment ago may be unknown to Dovecot for ~1 s."""
    for attempt in range(10):
        client = make_client(stack, address, security, **kw)
        await client.connect()
        try:
            await client.login(password)
            return client
        except AuthFailedError:
            await client.close()
            if attempt == 9:
                raise
            await asyncio.sleep(0.3)
    raise AssertionError("unreachable")


@pytest.fixture
async def user(mailstack: Any) -> tuple[str, str]:
    return tuple(mailstack.unique_user("imapc"))  # type: ignore[return-value]


@pytest.fixture
async def client(mailstack: Any, user: tuple[str, str]) -> AsyncIterator[ImapClient]:
    c = await logged_in(mailstack, *user)
    try:
        yield c
    finally:
        await c.logout()


def wait_delivered(stack: Any, address: str, count: int) -> None:
    for _ in range(100):
        if len(stack.inbox_messages(address)) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{count} messages did not arrive for {address}")


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.SSL])
async def test_login_over_starttls_and_implicit_tls(
    mailstack: Any, user: tuple[str, str], security: Security
) -> None:
    c = await logged_in(mailstack, *user, security=security)
    try:
        assert c.is_tls
        assert c.authenticated
        assert "IMAP4REV1" in c.capabilities
        # Dovecot offers both; we enable them.
        assert {"CONDSTORE", "QRESYNC"} <= c.enabled
        if security is Security.STARTTLS:
            assert "STARTTLS" in c.plaintext_capabilities
        state = await c.select("INBOX")
        assert state.uidvalidity is not None and state.exists == 0
    finally:
        await c.logout()
    assert not c.connected


async def test_wrong_password_is_auth_failed(mailstack: Any, user: tuple[str, str]) -> None:
    await (await logged_in(mailstack, *user)).logout()  # the user is known by now
    c = make_client(mailstack, user[0])
    await c.connect()
    try:
        with pytest.raises(AuthFailedError):
            await c.login("not-the-password")
    finally:
        await c.close()


async def test_list_returns_special_use(client: ImapClient) -> None:
    folders = await client.list_folders()
    by_name = {f.name: f for f in folders}
    assert {"INBOX", "Sent", "Drafts", "Trash", "Junk"} <= set(by_name)
    assert by_name["Sent"].special_use is not None
    roles = assign_roles(folders)
    assert roles["INBOX"] is FolderRole.INBOX
    assert roles["Sent"] is FolderRole.SENT
    assert roles["Trash"] is FolderRole.TRASH


async def test_envelope_subject_survives_byte_for_byte(
    mailstack: Any, user: tuple[str, str], client: ImapClient
) -> None:
    subjects = [
        b"Re: * important * notice",
        b"smile :) and (unbalanced ((",
        b'quote " and back\\slash {5}',
        "Grüße * ) ( ünïcode".encode(),
    ]
    for subject in subjects:
        mailstack.deliver(
            b"From: x@outside.test\r\nSubject: " + subject + b"\r\n\r\nbody\r\n", user[0]
        )
    await asyncio.to_thread(wait_delivered, mailstack, user[0], len(subjects))
    await client.select("INBOX")
    result = await client.uid_fetch("1:*", ["UID", "ENVELOPE"])
    got = [
        r.envelope.subject
        for r in result.untagged
        if isinstance(r, FetchResponse) and r.envelope is not None
    ]
    # Postfix delivers in parallel, so the order of arrival varies.
    assert sorted(got, key=repr) == sorted(subjects, key=repr)


async def test_idle_reports_a_delivery(mailstack: Any, user: tuple[str, str]) -> None:
    events: list[Response] = []
    c = await logged_in(mailstack, *user, on_event=events.append)
    try:
        await c.select("INBOX")
        idling = asyncio.create_task(c.idle(max_seconds=60))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(mailstack.deliver, b"Subject: while idle\r\n\r\nhi\r\n", user[0])
        received = await asyncio.wait_for(idling, 60)
        assert any(isinstance(r, ExistsResponse) and r.count >= 1 for r in received)
        assert any(isinstance(r, ExistsResponse) for r in events)
        # The connection is usable after IDLE.
        assert await c.uid_search_all() == [1]
    finally:
        await c.logout()


async def test_idle_stops_on_request(client: ImapClient) -> None:
    await client.select("INBOX")
    stop = asyncio.Event()
    idling = asyncio.create_task(client.idle(max_seconds=60, stop=stop))
    await asyncio.sleep(0.2)
    stop.set()
    assert await asyncio.wait_for(idling, 20) == []
    await client.noop()


async def test_flag_change_elsewhere_reaches_command_and_listener(
    mailstack: Any, user: tuple[str, str]
) -> None:
    mailstack.deliver(b"Subject: flag me\r\n\r\nx\r\n", user[0])
    await asyncio.to_thread(wait_delivered, mailstack, user[0], 1)
    events: list[Response] = []
    c = await logged_in(mailstack, *user, on_event=events.append)
    try:
        await c.select("INBOX")

        def flag_elsewhere() -> None:
            import imaplib

            other = imaplib.IMAP4(mailstack.host, mailstack.ports.imap)
            other.starttls(ssl_context=mailstack.ssl_context())
            other.login(*user)
            other.select("INBOX")
            other.uid("STORE", "1", "+FLAGS", "(\\Flagged)")
            other.logout()

        await asyncio.to_thread(flag_elsewhere)
        result = await c.noop()
        fetched = [r for r in result.untagged if isinstance(r, FetchResponse)]
        assert fetched and "\\Flagged" in (fetched[0].flags or ())
        assert any(isinstance(r, FetchResponse) for r in events)
    finally:
        await c.logout()


async def test_wire_log_never_shows_the_password(
    mailstack: Any, user: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mailapp.imap.wire")
    c = await logged_in(mailstack, *user)
    await c.logout()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "AUTHENTICATE <redacted>" in text
    assert user[1] not in text
    assert "LOGOUT" in text


async def test_logindisabled_before_tls_still_logs_in_after_starttls(
    mailstack: Any, user: tuple[str, str]
) -> None:
    # From 127.0.0.2 Dovecot does not count the connection as secure: LOGINDISABLED.
    c = await logged_in(mailstack, *user, source_address=("127.0.0.2", 0))
    try:
        assert "LOGINDISABLED" in c.plaintext_capabilities
        assert c.is_tls
    finally:
        await c.logout()


async def test_no_starttls_means_no_password_sent(mailstack: Any) -> None:
    script = [
        line("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake"),
        drain(5),
    ]
    async with FakeServer(script) as server:
        c = ImapClient(
            ServerSettings(server.host, server.port, Security.STARTTLS, "u"),
            TlsTrust(ca_file=str(mailstack.ca_file)),
            timeout=5,
        )
        with pytest.raises(StartTLSMissingError):
            await c.connect()
        await server.wait_finished_async()
    assert not any("AUTHENTICATE" in text or "LOGIN" in text for text in server.lines)


async def test_plaintext_loopback_opt_in_is_honoured_only_on_loopback(mailstack: Any) -> None:
    c = ImapClient(
        ServerSettings("mail.example.org", 143, Security.STARTTLS, "u"),
        TlsTrust(),
        allow_plaintext_loopback=True,
    )
    assert not c.allow_plaintext_loopback


class _DeflateServer:
    """A tiny implicit-TLS IMAP server that speaks COMPRESS=DEFLATE (Dovecot's test setup
    has no imap_zlib plugin)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.commands: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> _DeflateServer:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=self.context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        inflate: Any = None
        deflate: Any = None
        buffer = b""

        def send(data: bytes) -> None:
            writer.write(
                deflate.compress(data) + deflate.flush(zlib.Z_SYNC_FLUSH) if deflate else data
            )

        send(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR COMPRESS=DEFLATE] hi\r\n")
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                buffer += inflate.decompress(chunk) if inflate else chunk
                while b"\r\n" in buffer:
                    raw, buffer = buffer.split(b"\r\n", 1)
                    self.commands.append(raw)
                    tag, _, rest = raw.partition(b" ")
                    word = rest.split(b" ")[0].upper()
                    if word == b"AUTHENTICATE":
                        send(tag + b" OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] in\r\n")
                    elif word == b"COMPRESS":
                        send(tag + b" OK deflating\r\n")
                        await writer.drain()
                        inflate = zlib.decompressobj(-15)
                        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
                    elif word == b"SELECT":
                        send(
                            b"* 1 EXISTS\r\n* OK [UIDVALIDITY 9] x\r\n* OK [UIDNEXT 2] x\r\n"
                            + tag
                            + b" OK [READ-WRITE] done\r\n"
                        )
                    elif word == b"UID":
                        subject = b"compressed * ( subject"
                        send(
                            b"* 1 FETCH (UID 1 ENVELOPE (NIL {%d}\r\n%s NIL NIL NIL NIL NIL "
                            b"NIL NIL NIL))\r\n"
                            % (len(subject), subject)
                            + tag
                            + b" OK fetched\r\n"
                        )
                    elif word == b"LOGOUT":
                        send(b"* BYE bye\r\n" + tag + b" OK bye\r\n")
                        await writer.drain()
                        writer.close()
                        return
                    else:
                        send(tag + b" OK\r\n")
                    await writer.drain()
        except (ConnectionError, zlib.error):
            return


async def test_compress_deflate(mailstack: Any) -> None:
    async with _DeflateServer(mailstack.server_ssl_context()) as server:
        c = ImapClient(
            ServerSettings("127.0.0.1", server.port, Security.SSL, "u"),
            TlsTrust(ca_file=str(mailstack.ca_file)),
            timeout=10,
        )
        await c.connect()
        await c.login("pw")
        assert await c.compress()
        await c.select("INBOX")
        result = await c.uid_fetch("1:*", ["UID", "ENVELOPE"])
        fetched = [r for r in result.untagged if isinstance(r, FetchResponse)]
        assert fetched[0].envelope is not None
        assert fetched[0].envelope.subject == b"compressed * ( subject"
        await c.logout()
    assert any(cmd.endswith(b"COMPRESS DEFLATE") for cmd in server.commands)
    # Commands after COMPRESS arrived (deflated) and were understood.
    assert any(b"UID FETCH" in cmd for cmd in server.commands)
