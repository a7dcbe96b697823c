"""Proves the scripted fake server (tests/support/fake_server.py): it plays its script, records
what clients send, drops or closes as told, upgrades to TLS, and works from sync and async
tests. Needs no root: certificates come from the openssl CLI."""

from __future__ import annotations

import asyncio
import contextlib
import poplib
import smtplib
import socket
import ssl
from pathlib import Path

import pytest
from support.fake_server import (
    FakeServer,
    Step,
    close,
    drain,
    drop,
    expect,
    line,
    read_bytes,
    read_until,
    send,
    starttls,
)
from support.mailstack import Certificates, generate_certificates

# poplib asks for CAPA before it sends STLS.
_CAPA_WITH_STLS = [expect(r"CAPA"), line("+OK"), line("STLS"), line(".")]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return generate_certificates(tmp_path_factory.mktemp("fake-tls"))


def test_smtp_without_starttls_records_every_line_and_no_auth() -> None:
    script = [
        line("220 fake.test ESMTP"),
        expect(r"EHLO "),
        line("250-fake.test"),
        line("250 AUTH PLAIN"),  # offers AUTH, but no STARTTLS
        expect(r"QUIT"),
        line("221 bye"),
    ]
    with FakeServer(script) as server:
        with smtplib.SMTP(server.host, server.port, timeout=10) as client:
            client.ehlo("client.test")
            assert not client.has_extn("starttls")
        server.wait_finished()
    assert [text.upper() for text in server.lines] == ["EHLO CLIENT.TEST", "QUIT"]
    assert not any(text.upper().startswith("AUTH") for text in server.lines)
    assert server.errors == []
    assert server.connections[0].closed_by == "script"


def test_drop_right_after_final_dot_of_data() -> None:
    script = [
        line("220 fake.test ESMTP"),
        expect(r"EHLO "),
        line("250 fake.test"),
        expect(r"MAIL FROM:<a@x\.test>"),
        line("250 ok"),
        expect(r"RCPT TO:<b@y\.test>"),
        line("250 ok"),
        expect(r"DATA$"),
        line("354 go ahead"),
        read_until(r"\.$"),
        drop(),
    ]
    with FakeServer(script) as server:
        client = smtplib.SMTP(server.host, server.port, timeout=10)
        with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionResetError)):
            client.sendmail("a@x.test", ["b@y.test"], b"Subject: s\r\n\r\nbody line\r\n")
        client.close()
        server.wait_finished()
    conn = server.connections[0]
    assert conn.closed_by == "drop"
    assert conn.text[-4:] == ["Subject: s", "", "body line", "."]
    assert conn.errors == []


def test_mismatch_is_recorded_and_closes_the_connection() -> None:
    script = [line("+OK fake POP3"), expect(r"CAPA"), line("+OK"), line(".")]
    with FakeServer(script) as server:
        client = poplib.POP3(server.host, server.port, timeout=10)
        with pytest.raises((poplib.error_proto, OSError)):
            client.user("someone")  # the script wanted CAPA: the fake hangs up
        client.close()
        server.wait_finished()
    assert server.lines == ["USER someone"]
    assert len(server.errors) == 1
    assert "expected b'CAPA'" in server.errors[0]


def test_stls_upgrade_with_given_context(certs: Certificates) -> None:
    script = [
        line("+OK fake POP3"),
        *_CAPA_WITH_STLS,
        expect(r"STLS"),
        line("+OK begin TLS"),
        starttls(certs.server_context()),
        expect(r"USER (?P<user>\S+)"),
        send(lambda m: b"+OK hello " + (m["user"] if m else b"?") + b"\r\n"),
        expect(r"PASS "),
        line("-ERR [AUTH] no"),
        expect(r"QUIT"),
        line("+OK bye"),
        drain(),
    ]
    with FakeServer(script) as server:
        client = poplib.POP3(server.host, server.port, timeout=10)
        client.stls(certs.client_context())
        assert client.user("ann") == b"+OK hello ann"
        with pytest.raises(poplib.error_proto, match="AUTH"):
            client.pass_("secret")
        client.quit()
        server.wait_finished()
    conn = server.connections[0]
    assert conn.tls
    assert conn.text == ["CAPA", "STLS", "USER ann", "PASS secret", "QUIT"]
    assert conn.closed_by == "peer"


def test_untrusted_certificate_fails_the_handshake(certs: Certificates) -> None:
    script = [
        line("+OK fake"),
        *_CAPA_WITH_STLS,
        expect(r"STLS"),
        line("+OK"),
        starttls(certs.server_context()),
    ]
    with FakeServer(script) as server:
        client = poplib.POP3(server.host, server.port, timeout=10)
        with pytest.raises(ssl.SSLCertVerificationError):
            client.stls(ssl.create_default_context())
        with contextlib.suppress(OSError):  # poplib leaves a half-wrapped socket behind
            client.close()
        server.wait_finished()
    assert server.connections[0].tls is False
    assert server.errors  # the handshake failed on the server side too


def test_script_per_connection_index() -> None:
    def script(index: int) -> list[Step]:
        return [line(f"220 connection {index}"), close()]

    with FakeServer(script) as server:
        greetings = []
        for _ in range(2):
            client = smtplib.SMTP(timeout=10)
            greetings.append(client.connect(server.host, server.port))
            client.close()
        server.wait_finished(2)
    assert [msg for _, msg in greetings] == [b"connection 0", b"connection 1"]


async def test_async_mode_imap_like_tagged_replies_and_literal() -> None:
    script = [
        line("* OK fake IMAP"),
        expect(r"(?P<tag>\w+) APPEND INBOX \{5\}"),
        line("+ go ahead"),
        read_bytes(5),
        expect(rb""),  # the CRLF ending the command after the literal
        line("a1 OK done"),
        expect(r"(?P<tag>\w+) LOGOUT"),
        send(lambda m: b"* BYE\r\n" + (m["tag"] if m else b"?") + b" OK bye\r\n"),
    ]
    async with FakeServer(script) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        assert await reader.readline() == b"* OK fake IMAP\r\n"
        writer.write(b"a1 APPEND INBOX {5}\r\n")
        assert await reader.readline() == b"+ go ahead\r\n"
        writer.write(b"hello\r\n")
        assert await reader.readline() == b"a1 OK done\r\n"
        writer.write(b"a2 LOGOUT\r\n")
        assert await reader.readline() == b"* BYE\r\n"
        assert await reader.readline() == b"a2 OK bye\r\n"
        assert await reader.read() == b""  # script over: the fake closed
        writer.close()
        await server.wait_finished_async()
    assert server.connections[0].lines == [
        b"a1 APPEND INBOX {5}\r\n",
        b"hello",
        b"\r\n",
        b"a2 LOGOUT\r\n",
    ]
    assert server.errors == []


def test_generated_certificates_verify_for_loopback(tmp_path: Path) -> None:
    certs = generate_certificates(tmp_path, dns_names=("localhost", "mx.example.test"))
    script = [starttls(certs.server_context()), line("hello over TLS"), close()]
    with FakeServer(script) as server:
        ctx = certs.client_context()
        with (
            socket.create_connection((server.host, server.port), timeout=10) as raw,
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.recv(100) == b"hello over TLS\r\n"
            peer = tls.getpeercert()
        server.wait_finished()
    assert peer is not None
    names = {value for kind, value in peer["subjectAltName"]}
    assert {"localhost", "mx.example.test", "127.0.0.1"} <= names
