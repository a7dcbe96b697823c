"""Logging in with the IMAP and POP3 clients the way `account test` does, and the TLS policy,
against the real Dovecot, plus scripted fakes for what Dovecot will not do (hide STARTTLS,
present a certificate for another name)."""

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
from mailapp.transport.imap import ImapClient
from mailapp.transport.pop3 import Pop3Client
from mailapp.transport.tls import StageNotify

pytestmark = pytest.mark.mailstack

PASSWORD = "Pr0be-secret"
STAGES = [CheckStage.CONNECT, CheckStage.TLS, CheckStage.CERTIFICATE, CheckStage.LOGIN]


def alice(mailstack: Any, port: int, security: Security) -> ServerSettings:
    return ServerSettings(mailstack.host, port, security, mailstack.address("alice"))


async def log_in(
    kind: str,
    settings: ServerSettings,
    trust: TlsTrust,
    password: str,
    *,
    timeout: float = 30.0,
    notify: StageNotify | None = None,
) -> str:
    """Connect, log in and say goodbye with the `kind` ("imap"/"pop3") client; the mechanism."""
    if kind == "imap":
        async with ImapClient(settings, trust, timeout=timeout, notify=notify) as imap:
            await imap.connect()
            return await imap.login(password)
    async with Pop3Client(notify=notify) as pop:
        await pop.connect(
            settings.host, settings.port, settings.security, trust=trust, timeout=timeout
        )
        return await pop.login(settings.user, password)


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
    settings = alice(mailstack, mailstack.ports.imap, Security.STARTTLS)
    client = ImapClient(
        settings,
        TlsTrust(ca_file=str(mailstack.ca_file)),
        source_address=("127.0.0.2", 0),
        notify=lambda stage, detail: steps.append((stage, detail)),
    )
    async with client:
        await client.connect()
        mechanism = await client.login(mailstack.password("alice"))
    assert "LOGINDISABLED" in client.plaintext_capabilities
    assert "STARTTLS" in client.plaintext_capabilities
    assert mechanism == "AUTHENTICATE PLAIN"
    assert "IMAP4REV1" in client.capabilities
    assert [s for s, _ in steps] == STAGES
    assert steps[0][1].startswith(f"connected to {settings.host}:{settings.port}: ")
    assert steps[-1][1] == f"logged in as {settings.user} (AUTHENTICATE PLAIN)"


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.SSL])
async def test_pop3_client_logs_in(mailstack: Any, security: Security) -> None:
    port = mailstack.ports.pop3 if security is Security.STARTTLS else mailstack.ports.pop3s
    steps: list[CheckStage] = []
    mechanism = await log_in(
        "pop3",
        alice(mailstack, port, security),
        TlsTrust(ca_file=str(mailstack.ca_file)),
        mailstack.password("alice"),
        notify=lambda stage, detail: steps.append(stage),
    )
    assert mechanism == "AUTH PLAIN"
    assert steps == STAGES  # the same stages as IMAP's, for the account test


async def test_imap_wrong_password_is_auth_failed(mailstack: Any) -> None:
    settings = alice(mailstack, mailstack.ports.imaps, Security.SSL)
    with pytest.raises(
        AuthFailedError, match=r"refused the login for \S+: \[AUTHENTICATIONFAILED\]"
    ):
        await log_in("imap", settings, TlsTrust(ca_file=str(mailstack.ca_file)), "wrong password")


@pytest.mark.parametrize("kind", ["imap", "pop3"])
async def test_untrusted_certificate_shows_the_server_fingerprint(
    mailstack: Any, kind: str
) -> None:
    port = mailstack.ports.imap if kind == "imap" else mailstack.ports.pop3
    settings = alice(mailstack, port, Security.STARTTLS)
    with pytest.raises(CertificateError) as info:
        await log_in(kind, settings, TlsTrust(), mailstack.password("alice"))
    assert info.value.reason == "untrusted"
    assert info.value.fingerprint == mailstack.server_fingerprint_sha256
    assert mailstack.server_fingerprint_sha256 in str(info.value)


async def test_pin_accepts_the_server_and_refuses_another(mailstack: Any) -> None:
    settings = alice(mailstack, mailstack.ports.imaps, Security.SSL)
    pinned = TlsTrust(fingerprint=mailstack.server_fingerprint_sha256)
    await log_in("imap", settings, pinned, mailstack.password("alice"))
    with pytest.raises(CertificateError) as info:
        await log_in("imap", settings, TlsTrust(fingerprint="00" * 32), mailstack.password("alice"))
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
            await log_in("imap", settings, TlsTrust(), PASSWORD, timeout=10)
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
            await log_in("pop3", settings, TlsTrust(), PASSWORD, timeout=10)
        await server.wait_finished_async()
    assert_no_credentials(server, "alice")


async def test_certificate_for_another_host_is_wrong_host(tmp_path: Path) -> None:
    certs = generate_certificates(tmp_path, dns_names=("other.test",), ip_addresses=())
    # Implicit TLS from the first byte; a client that got through would see a greeting.
    script = [starttls(certs.server_context()), line("* OK fake"), drain(timeout=5.0)]
    async with FakeServer(script) as server:
        settings = ServerSettings(server.host, server.port, Security.SSL, "alice")
        trust = TlsTrust(ca_file=str(certs.ca_file))
        with pytest.raises(CertificateError) as info:
            await log_in("imap", settings, trust, PASSWORD, timeout=10)
        await server.wait_finished_async(count=2)  # the refused handshake and the fingerprint one
    assert info.value.reason == "wrong_host"
    assert info.value.fingerprint == sha256_fingerprint(certs.cert_file)
    assert "not made out to 127.0.0.1" in info.value.message
    assert server.lines == []  # nothing at all was sent over either connection
