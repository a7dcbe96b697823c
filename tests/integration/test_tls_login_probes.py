"""The IMAP and POP3 login probes and the TLS policy against the real Dovecot, plus scripted
fakes for what Dovecot will not do (hide STARTTLS, present a certificate for another name)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from support.fake_server import FakeServer, drain, expect, line, starttls
from support.mailstack import generate_certificates, sha256_fingerprint

from mailapp.core.checks import CheckStage
from mailapp.core.errors import AuthFailedError, CertificateError, StartTLSMissingError
from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.transport.imap_login import ImapLoginProbe
from mailapp.transport.pop3_login import Pop3LoginProbe

pytestmark = pytest.mark.mailstack

PASSWORD = "Pr0be-secret"


def alice(mailstack: Any, port: int, security: Security) -> ServerSettings:
    return ServerSettings(mailstack.host, port, security, mailstack.address("alice"))


def assert_no_credentials(server: FakeServer, user: str) -> None:
    raw = b"\n".join(ln for conn in server.connections for ln in conn.lines)
    for verb in (b"LOGIN", b"AUTHENTICATE", b"AUTH ", b"USER ", b"PASS "):
        assert verb not in raw.upper(), raw
    assert PASSWORD.encode() not in raw
    assert base64.b64encode(f"\0{user}\0{PASSWORD}".encode()) not in raw


async def test_imap_login_after_starttls_despite_logindisabled(mailstack: Any) -> None:
    # Dovecot counts a client on its own address as secure; from 127.0.0.2 it announces
    # LOGINDISABLED before TLS, as a remote server would.
    steps: list[tuple[CheckStage, str]] = []
    probe = ImapLoginProbe(
        alice(mailstack, mailstack.ports.imap, Security.STARTTLS),
        TlsTrust(ca_file=str(mailstack.ca_file)),
        source_address=("127.0.0.2", 0),
        notify=lambda stage, detail: steps.append((stage, detail)),
    )
    result = await probe.run(mailstack.password("alice"))
    assert "LOGINDISABLED" in probe.plaintext_capabilities
    assert "STARTTLS" in probe.plaintext_capabilities
    assert result.mechanism == "AUTHENTICATE PLAIN"
    assert "IMAP4REV1" in result.capabilities
    assert [s for s, _ in steps] == [
        CheckStage.CONNECT,
        CheckStage.TLS,
        CheckStage.CERTIFICATE,
        CheckStage.LOGIN,
    ]


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.SSL])
async def test_pop3_probe_logs_in(mailstack: Any, security: Security) -> None:
    port = mailstack.ports.pop3 if security is Security.STARTTLS else mailstack.ports.pop3s
    probe = Pop3LoginProbe(
        alice(mailstack, port, security), TlsTrust(ca_file=str(mailstack.ca_file))
    )
    result = await probe.run(mailstack.password("alice"))
    assert result.mechanism == "AUTH PLAIN"


async def test_imap_wrong_password_is_auth_failed(mailstack: Any) -> None:
    probe = ImapLoginProbe(
        alice(mailstack, mailstack.ports.imaps, Security.SSL),
        TlsTrust(ca_file=str(mailstack.ca_file)),
    )
    with pytest.raises(AuthFailedError, match="refused the login"):
        await probe.run("wrong password")


@pytest.mark.parametrize("probe_type", [ImapLoginProbe, Pop3LoginProbe])
async def test_untrusted_certificate_shows_the_server_fingerprint(
    mailstack: Any, probe_type: type[ImapLoginProbe] | type[Pop3LoginProbe]
) -> None:
    port = mailstack.ports.imap if probe_type is ImapLoginProbe else mailstack.ports.pop3
    probe = probe_type(alice(mailstack, port, Security.STARTTLS), TlsTrust())
    with pytest.raises(CertificateError) as info:
        await probe.run(mailstack.password("alice"))
    assert info.value.reason == "untrusted"
    assert info.value.fingerprint == mailstack.server_fingerprint_sha256
    assert mailstack.server_fingerprint_sha256 in str(info.value)


async def test_pin_accepts_the_server_and_refuses_another(mailstack: Any) -> None:
    settings = alice(mailstack, mailstack.ports.imaps, Security.SSL)
    pinned = ImapLoginProbe(settings, TlsTrust(fingerprint=mailstack.server_fingerprint_sha256))
    await pinned.run(mailstack.password("alice"))
    other = ImapLoginProbe(settings, TlsTrust(fingerprint="00" * 32))
    with pytest.raises(CertificateError) as info:
        await other.run(mailstack.password("alice"))
    assert info.value.reason == "pin_mismatch"
    assert info.value.fingerprint == mailstack.server_fingerprint_sha256


async def test_imap_without_starttls_gets_no_credentials() -> None:
    script = [
        line("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake IMAP ready"),
        expect(rb"(?P<tag>\S+) CAPABILITY"),
        line(lambda m: b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN\r\n%s OK done" % m["tag"]),
        drain(timeout=5.0),
    ]
    async with FakeServer(script) as server:
        settings = ServerSettings(server.host, server.port, Security.STARTTLS, "alice")
        with pytest.raises(StartTLSMissingError, match="does not offer STARTTLS"):
            await ImapLoginProbe(settings, TlsTrust(), timeout=10).run(PASSWORD)
        await server.wait_finished_async()
    assert_no_credentials(server, "alice")


async def test_pop3_without_stls_gets_no_credentials() -> None:
    script = [
        line("+OK fake POP3 ready"),
        expect(rb"CAPA"),
        line("+OK capability list follows\r\nUSER\r\nSASL PLAIN\r\n."),
        drain(timeout=5.0),
    ]
    async with FakeServer(script) as server:
        settings = ServerSettings(server.host, server.port, Security.STARTTLS, "alice")
        with pytest.raises(StartTLSMissingError, match="does not offer STLS"):
            await Pop3LoginProbe(settings, TlsTrust(), timeout=10).run(PASSWORD)
        await server.wait_finished_async()
    assert_no_credentials(server, "alice")


async def test_certificate_for_another_host_is_wrong_host(tmp_path: Path) -> None:
    certs = generate_certificates(tmp_path, dns_names=("other.test",), ip_addresses=())
    # Implicit TLS from the first byte; a client that got through would see a greeting.
    script = [starttls(certs.server_context()), line("* OK fake"), drain(timeout=5.0)]
    async with FakeServer(script) as server:
        settings = ServerSettings(server.host, server.port, Security.SSL, "alice")
        probe = ImapLoginProbe(settings, TlsTrust(ca_file=str(certs.ca_file)), timeout=10)
        with pytest.raises(CertificateError) as info:
            await probe.run(PASSWORD)
        await server.wait_finished_async(count=2)  # the refused handshake and the fingerprint one
    assert info.value.reason == "wrong_host"
    assert info.value.fingerprint == sha256_fingerprint(certs.cert_file)
    assert "not made out to 127.0.0.1" in info.value.message
    assert server.lines == []  # nothing at all was sent over either connection
