"""No password leaves for an SMTP server that does not give us a verified TLS connection.

Scripted fake submission servers (tests/support/fake_server.py) play the faults a real
Postfix will not: STARTTLS hidden from EHLO, STARTTLS refused, a certificate that does not
match the pin. Each test checks what the fake received: no AUTH, no password in any form.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.fake_server import FakeServer, drain, expect, line, send, starttls

from mailapp.core.checks import CheckOutcome, CheckStage, ServerRole
from mailapp.core.errors import CertificateError, StartTLSMissingError
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.transport.smtp import SmtpSession

pytestmark = pytest.mark.mailstack

USER = "alice@example.test"
PASSWORD = "Sm7p-guard-pw"
REPO = Path(__file__).resolve().parents[2]

# EHLO reply of a server that hides STARTTLS but would gladly take a password in clear.
NO_STARTTLS_EHLO = b"250-fake.example\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 DSN\r\n"


def no_starttls_script() -> list[Any]:
    return [
        line("220 fake.example ESMTP"),
        expect(rb"EHLO "),
        send(NO_STARTTLS_EHLO),
        drain(timeout=5.0),
    ]


def assert_password_never_sent(server: FakeServer) -> None:
    received = "\n".join(server.lines)
    raw = b"\n".join(ln for conn in server.connections for ln in conn.lines)
    assert not any(text.upper().startswith("AUTH") for text in server.lines), received
    forbidden = [
        PASSWORD.encode(),
        base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()),
        base64.b64encode(PASSWORD.encode()),
        PASSWORD.encode().hex().encode(),
    ]
    for form in forbidden:
        assert form not in raw, f"the fake received {form!r}"


def settings_for(server: FakeServer) -> ServerSettings:
    return ServerSettings(server.host, server.port, Security.STARTTLS, USER)


async def test_missing_starttls_is_refused_before_auth() -> None:
    async with FakeServer(no_starttls_script()) as server:
        session = SmtpSession(settings_for(server), TlsTrust(), timeout=10)
        with pytest.raises(StartTLSMissingError) as info:
            await session.connect()
            await session.login(PASSWORD)  # never reached
        await server.wait_finished_async()
    assert "does not offer STARTTLS" in info.value.message
    assert "unencrypted" in info.value.message
    assert info.value.code == "tls.starttls_missing"
    assert info.value.reason == "starttls_missing"
    assert server.lines[0].startswith("EHLO ")
    assert_password_never_sent(server)


async def test_refused_starttls_is_not_followed_by_auth() -> None:
    script = [
        line("220 fake.example ESMTP"),
        expect(rb"EHLO "),
        send(b"250-fake.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"),
        expect(rb"STARTTLS"),
        line("454 4.7.0 TLS not available due to local problem"),
        drain(timeout=5.0),
    ]
    async with FakeServer(script) as server:
        session = SmtpSession(settings_for(server), TlsTrust(), timeout=10)
        with pytest.raises(Exception, match="454") as info:
            await session.connect()
        await server.wait_finished_async()
    assert info.value.__class__.__module__.startswith("mailapp.")
    assert_password_never_sent(server)


async def test_pin_mismatch_after_starttls_sends_nothing_over_tls(mailstack: Any) -> None:
    script = [
        line("220 fake.example ESMTP"),
        expect(rb"EHLO "),
        send(b"250-fake.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"),
        expect(rb"STARTTLS"),
        line("220 2.0.0 Ready to start TLS"),
        starttls(mailstack.server_ssl_context()),
        drain(timeout=5.0),
    ]
    wrong_pin = ":".join(["AB"] * 32)
    async with FakeServer(script) as server:
        session = SmtpSession(settings_for(server), TlsTrust(fingerprint=wrong_pin), timeout=10)
        with pytest.raises(CertificateError) as info:
            await session.connect()
        await server.wait_finished_async()
    assert info.value.reason == "pin_mismatch"
    assert info.value.fingerprint == mailstack.server_fingerprint_sha256
    [conn] = server.connections
    assert conn.tls
    # EHLO and STARTTLS in clear, then not a single line over TLS (not even EHLO).
    assert [text.split()[0] for text in conn.text] == ["EHLO", "STARTTLS"]
    assert_password_never_sent(server)


async def test_account_test_reports_the_missing_starttls(mailstack: Any, tmp_path: Path) -> None:
    async with FakeServer(no_starttls_script()) as server:
        account = Account(
            name="guard",
            email=USER,
            display_name="",
            incoming_protocol=IncomingProtocol.IMAP,
            incoming=ServerSettings(mailstack.host, mailstack.ports.imaps, Security.SSL, USER),
            outgoing=settings_for(server),
            trust=TlsTrust(ca_file=str(mailstack.ca_file)),
        )
        engine = Engine.open(str(tmp_path), credentials=MemoryCredentialStore())
        report = await engine.test_settings(account, mailstack.password("alice"), PASSWORD)
        await server.wait_finished_async()
    assert report.role_ok(ServerRole.INCOMING)
    outgoing = {s.stage: s for s in report.steps if s.role is ServerRole.OUTGOING}
    assert outgoing[CheckStage.CONNECT].outcome is CheckOutcome.PASSED
    assert outgoing[CheckStage.TLS].outcome is CheckOutcome.FAILED
    assert outgoing[CheckStage.TLS].error_code == "tls.starttls_missing"
    assert outgoing[CheckStage.LOGIN].outcome is CheckOutcome.SKIPPED
    assert_password_never_sent(server)


def test_cli_refuses_before_the_password_leaves(mailstack: Any, tmp_path: Path) -> None:
    pw_file = tmp_path / "pw.txt"
    pw_file.write_text(PASSWORD + "\n")
    profile = tmp_path / "profile"
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mailapp", "--profile", str(profile), "account", *args],
            capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
        )  # fmt: skip

    with FakeServer(no_starttls_script()) as server:
        added = cli(
            "add", "guard", "--email", USER,
            "--imap", f"{mailstack.host}:{mailstack.ports.imaps}", "--incoming-security", "ssl",
            "--smtp", f"{server.host}:{server.port}", "--smtp-security", "starttls",
            "--user", USER, "--password-command", f"cat '{pw_file}'",
            "--ca-file", str(mailstack.ca_file),
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        result = cli("test", "guard")
        server.wait_finished()
    assert result.returncode == 1
    assert "outgoing  tls          FAILED" in result.stdout
    assert "does not offer STARTTLS" in result.stdout
    assert_password_never_sent(server)


async def test_xoauth2_token_goes_only_over_tls(mailstack: Any) -> None:
    script = [
        line("220 fake.example ESMTP"),
        expect(rb"EHLO "),
        send(b"250-fake.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
        expect(rb"STARTTLS"),
        line("220 2.0.0 Ready to start TLS"),
        starttls(mailstack.server_ssl_context()),
        expect(rb"EHLO "),
        send(b"250-fake.example\r\n250-AUTH XOAUTH2 PLAIN\r\n250 DSN\r\n"),
        expect(rb"AUTH XOAUTH2 "),
        line("235 2.7.0 Authentication successful"),
        expect(rb"QUIT"),
        line("221 2.0.0 Bye"),
    ]
    calls: list[str] = []

    async def token() -> str:
        calls.append("token")
        return "ya29.test-token"

    async with FakeServer(script) as server:
        trust = TlsTrust(fingerprint=mailstack.server_fingerprint_sha256)
        async with SmtpSession(settings_for(server), trust, timeout=10) as session:
            assert session.supports("dsn") and "XOAUTH2" in session.auth_mechanisms
            assert await session.login(oauth_token=token) == "XOAUTH2"
        await server.wait_finished_async()
    assert server.errors == []
    assert calls == ["token"]
    auth = next(t for t in server.lines if t.startswith("AUTH XOAUTH2 "))
    decoded = base64.b64decode(auth.split()[2])
    assert decoded == f"user={USER}\x01auth=Bearer ya29.test-token\x01\x01".encode()
    [conn] = server.connections
    assert conn.tls
