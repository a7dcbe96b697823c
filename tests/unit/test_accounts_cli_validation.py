"""`mailapp account` input checks, in-process: bad HOST:PORT, unknown security, a missing
password source, and no pretending when a password cannot be kept."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mailapp.app.cli.account import parse_host_port, parse_security
from mailapp.app.main import main
from mailapp.core.errors import ConfigError
from mailapp.core.model import Security
from mailapp.engine import api
from mailapp.secrets.memory import MemoryCredentialStore


@pytest.fixture
def session_only(monkeypatch: pytest.MonkeyPatch) -> MemoryCredentialStore:
    store = MemoryCredentialStore(description="this session only: no system keyring")
    monkeypatch.setattr(api, "open_default_store", lambda: store)
    return store


@pytest.fixture
def keyring_like(monkeypatch: pytest.MonkeyPatch) -> MemoryCredentialStore:
    store = MemoryCredentialStore(description="test keyring", persistent=True)
    monkeypatch.setattr(api, "open_default_store", lambda: store)
    return store


def add_args(profile: Path, *extra: str) -> list[str]:
    return [
        "--profile", str(profile), "account", "add", "work", "--email", "a@example.test",
        "--user", "a", "--smtp", "127.0.0.1:587", *extra,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("mail.example.org:993", "mail.example.org", 993), ("[::1]:143", "::1", 143)],
)
def test_host_port_parses(text: str, host: str, port: int) -> None:
    assert parse_host_port(text, "--imap") == (host, port)


@pytest.mark.parametrize("text", ["mail.example.org", ":993", "host:", "host:abc", "a b:1", "h:0"])
def test_bad_host_port_is_explained(text: str) -> None:
    with pytest.raises(ConfigError, match=r"--imap|port must be") as info:
        parse_host_port(text, "--imap")
    assert "HOST:PORT" in str(info.value) or "65535" in str(info.value)


def test_security_is_implied_by_standard_ports_only() -> None:
    assert parse_security(None, 993, "--incoming-security") is Security.SSL
    assert parse_security(None, 587, "--smtp-security") is Security.STARTTLS
    assert parse_security("STARTTLS", 2525, "--smtp-security") is Security.STARTTLS
    with pytest.raises(ConfigError, match="not a standard one"):
        parse_security(None, 2525, "--smtp-security")
    with pytest.raises(ConfigError, match="not one of: ssl, starttls") as info:
        parse_security("plain", 25, "--smtp-security")
    assert info.value.hint and "no plaintext" in info.value.hint


def test_cli_bad_host_port(
    tmp_path: Path, session_only: object, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(add_args(tmp_path, "--imap", "imap.example.org", "--password-command", "true"))
    assert status == 1
    err = capsys.readouterr().err
    assert "--imap 'imap.example.org' is not HOST:PORT" in err
    assert not (tmp_path / "accounts.toml").exists()


def test_cli_unknown_security(
    tmp_path: Path, session_only: object, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        add_args(
            tmp_path, "--imap", "h:993", "--incoming-security", "tls13", "--password-command", "x"
        )
    )
    assert status == 1
    assert "--incoming-security 'tls13' is not one of: ssl, starttls" in capsys.readouterr().err


def test_cli_missing_password_source(
    tmp_path: Path, session_only: object, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(add_args(tmp_path, "--imap", "h:993"))
    assert status == 1
    err = capsys.readouterr().err
    assert "needs a password source" in err and "--password-command" in err


def test_cli_refuses_a_password_it_cannot_keep(
    tmp_path: Path,
    session_only: MemoryCredentialStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    status = main(add_args(tmp_path, "--imap", "h:993", "--password-stdin"))
    assert status == 1
    err = capsys.readouterr().err
    assert "cannot be kept" in err and "Nothing was saved" in err and "--password-command" in err
    assert not (tmp_path / "accounts.toml").exists()
    assert session_only.get_password("work", "incoming") is None


def test_cli_reads_two_password_lines(
    tmp_path: Path,
    keyring_like: MemoryCredentialStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("in-pw\nsmtp-pw\n"))
    status = main(
        add_args(tmp_path, "--imap", "h:993", "--password-stdin", "--smtp-password-stdin")
    )
    assert status == 0, capsys.readouterr().err
    assert keyring_like.get_password("work", "incoming") == "in-pw"
    assert keyring_like.get_password("work", "outgoing") == "smtp-pw"
    text = (tmp_path / "accounts.toml").read_text()
    assert "in-pw" not in text and "smtp-pw" not in text
    assert "separate_smtp_password = true" in text
    out = capsys.readouterr().out
    assert "Added account 'work'" in out and "test keyring" in out


def test_cli_edit_and_show(
    tmp_path: Path, session_only: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(add_args(tmp_path, "--imap", "h:993", "--password-command", "echo pw")) == 0
    status = main(
        [
            "--profile",
            str(tmp_path),
            "account",
            "edit",
            "work",
            "--pop3",
            "p.example:995",
            "--user",
            "b",
            "--display-name",
            'Quote "me" \\ here',
        ]
    )
    assert status == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["--profile", str(tmp_path), "account", "show", "work"]) == 0
    out = capsys.readouterr().out
    assert "POP3 p.example:995 (ssl), user b" in out
    assert "SMTP 127.0.0.1:587 (starttls), user b" in out  # the SMTP user followed
    assert 'Quote "me" \\ here' in out
    assert main(["--profile", str(tmp_path), "account", "remove", "work"]) == 0
    assert main(["--profile", str(tmp_path), "account", "show", "work"]) == 1
    assert "no account named 'work'" in capsys.readouterr().err
