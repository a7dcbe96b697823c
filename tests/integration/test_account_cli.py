"""`mailapp account add|test|edit` against the real Postfix + Dovecot, as a user runs it.

The CLI runs as a subprocess with keyring's fail backend (so the session-only store, and the
password comes from a --password-command reading a file outside the profile); one test drives
the Engine in-process with a MemoryCredentialStore standing in for a keyring.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mailapp.core.checks import CheckOutcome, CheckStage, CheckStep, ServerRole
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.secrets.memory import MemoryCredentialStore

pytestmark = pytest.mark.mailstack

REPO = Path(__file__).resolve().parents[2]


def run_cli(
    profile: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # Never touch a developer's real keyring: this gives the session-only store.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("MAILAPP_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "mailapp", "--profile", str(profile), "account", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def password_file(tmp_path: Path, mailstack: Any) -> Path:
    """alice's password in a file outside the profile, for --password-command."""
    path = tmp_path / "secrets" / "alice.txt"
    path.parent.mkdir()
    path.write_text(mailstack.password("alice") + "\n")
    path.chmod(0o600)
    return path


def add_alice(
    mailstack: Any,
    profile: Path,
    password_file: Path,
    *,
    name: str = "work",
    incoming: str = "imap",
    incoming_security: str = "starttls",
    smtp_security: str = "starttls",
    trust: tuple[str, ...] | None = None,
) -> None:
    ports = mailstack.ports
    in_port = {
        ("imap", "starttls"): ports.imap,
        ("imap", "ssl"): ports.imaps,
        ("pop3", "starttls"): ports.pop3,
        ("pop3", "ssl"): ports.pop3s,
    }[(incoming, incoming_security)]
    out_port = ports.submission if smtp_security == "starttls" else ports.submissions
    if trust is None:
        trust = ("--ca-file", str(mailstack.ca_file))
    result = run_cli(
        profile,
        "add", name,
        "--email", mailstack.address("alice"),
        "--display-name", "Alice Example",
        f"--{incoming}", f"{mailstack.host}:{in_port}",
        "--incoming-security", incoming_security,
        "--smtp", f"{mailstack.host}:{out_port}",
        "--smtp-security", smtp_security,
        "--user", mailstack.address("alice"),
        "--password-command", f"cat '{password_file}'",
        *trust,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Added account '{name}'" in result.stdout


def step_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith(("incoming ", "outgoing "))]


def assert_all_passed(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    lines = step_lines(result.stdout)
    assert len(lines) == 8, result.stdout
    for role in ("incoming", "outgoing"):
        for stage in ("connect", "tls", "certificate", "login"):
            assert any(line.split()[:3] == [role, stage, "ok"] for line in lines), (
                f"{role} {stage} did not pass:\n{result.stdout}"
            )
    assert "All checks passed" in result.stdout


@pytest.mark.parametrize(
    "case",
    [
        ("imap", "starttls", "starttls"),
        ("pop3", "starttls", "starttls"),
        ("imap", "ssl", "ssl"),
        ("pop3", "ssl", "ssl"),
    ],
    ids=["imap-starttls", "pop3-stls", "imaps-submissions", "pop3s-submissions"],
)
def test_account_test_succeeds(
    mailstack: Any, profile: Path, password_file: Path, case: tuple[str, str, str]
) -> None:
    incoming, incoming_security, smtp_security = case
    add_alice(
        mailstack,
        profile,
        password_file,
        incoming=incoming,
        incoming_security=incoming_security,
        smtp_security=smtp_security,
    )
    result = run_cli(profile, "test", "work")
    assert_all_passed(result)
    login = "AUTHENTICATE PLAIN" if incoming == "imap" else "AUTH PLAIN"
    assert f"logged in as {mailstack.address('alice')} ({login})" in result.stdout
    assert "(AUTH PLAIN)" in result.stdout  # SMTP


def test_wrong_password_fails_clearly(mailstack: Any, profile: Path, password_file: Path) -> None:
    add_alice(mailstack, profile, password_file)
    password_file.write_text("not-the-password\n")
    result = run_cli(profile, "test", "work")
    assert result.returncode == 1
    lines = step_lines(result.stdout)
    failed = [line for line in lines if " FAILED " in line]
    assert [line.split()[:2] for line in failed] == [["incoming", "login"], ["outgoing", "login"]]
    assert "refused the login for alice@example.test" in result.stdout
    assert "Check the user name and the password." in result.stdout
    assert "not-the-password" not in result.stdout + result.stderr


def test_untrusted_certificate_fails_and_shows_the_fingerprint(
    mailstack: Any, profile: Path, password_file: Path
) -> None:
    add_alice(mailstack, profile, password_file, trust=())
    result = run_cli(profile, "test", "work", "--json")
    assert result.returncode == 1
    import json

    report = json.loads(result.stdout)
    assert report["ok"] is False
    failed = [s for s in report["steps"] if s["outcome"] == "failed"]
    assert [(s["role"], s["stage"]) for s in failed] == [
        ("incoming", "certificate"),
        ("outgoing", "certificate"),
    ]
    for step in failed:
        assert step["fingerprint"] == mailstack.server_fingerprint_sha256
        assert step["error_code"] == "tls.certificate"
        assert f"--fingerprint {mailstack.server_fingerprint_sha256}" in step["hint"]
    assert all(s["outcome"] == "skipped" for s in report["steps"] if s["stage"] == "login"), (
        "a password must not be sent to an untrusted server"
    )

    plain = run_cli(profile, "test", "work")
    assert plain.returncode == 1
    assert mailstack.server_fingerprint_sha256 in plain.stdout
    assert "If you trust this server, add it with --fingerprint" in plain.stdout


def test_ca_file_added_later_makes_it_pass(
    mailstack: Any, profile: Path, password_file: Path
) -> None:
    add_alice(mailstack, profile, password_file, trust=())
    assert run_cli(profile, "test", "work").returncode == 1
    edit = run_cli(profile, "edit", "work", "--ca-file", str(mailstack.ca_file))
    assert edit.returncode == 0, edit.stderr
    assert_all_passed(run_cli(profile, "test", "work"))


def test_pinned_fingerprint_passes_without_a_ca(
    mailstack: Any, profile: Path, password_file: Path
) -> None:
    fingerprint = mailstack.server_fingerprint_sha256.replace(":", "").lower()
    add_alice(
        mailstack,
        profile,
        password_file,
        incoming_security="ssl",
        trust=("--fingerprint", fingerprint),
    )
    result = run_cli(profile, "test", "work")
    assert_all_passed(result)
    assert f"matches the pinned SHA-256 fingerprint {mailstack.server_fingerprint_sha256}" in (
        result.stdout
    )


def test_wrong_pin_fails_before_login(mailstack: Any, profile: Path, password_file: Path) -> None:
    add_alice(mailstack, profile, password_file, trust=("--fingerprint", "AB" * 32))
    result = run_cli(profile, "test", "work")
    assert result.returncode == 1
    assert "does not match the pinned fingerprint" in result.stdout
    assert mailstack.server_fingerprint_sha256 in result.stdout
    logins = [line for line in step_lines(result.stdout) if line.split()[1] == "login"]
    assert all(line.split()[2] == "skipped" for line in logins)


def test_password_from_stdin_is_refused_without_a_keyring(mailstack: Any, profile: Path) -> None:
    result = run_cli(
        profile,
        "add", "work",
        "--email", mailstack.address("alice"),
        "--imap", f"{mailstack.host}:{mailstack.ports.imaps}",
        "--smtp", f"{mailstack.host}:{mailstack.ports.submissions}",
        "--incoming-security", "ssl", "--smtp-security", "ssl",
        "--user", mailstack.address("alice"),
        "--password-stdin",
        stdin=mailstack.password("alice") + "\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert "The password cannot be kept" in result.stderr
    assert "--password-command" in result.stderr
    assert "Added" not in result.stdout
    assert not (profile / "accounts.toml").exists()


def secret_forms(user: str, password: str) -> list[bytes]:
    plain = f"\0{user}\0{password}".encode()
    return [
        password.encode(),
        password.encode().hex().encode(),
        password.encode().hex().upper().encode(),
        base64.b64encode(password.encode()),
        base64.b64encode(plain),
        base64.b64encode(f"{user}\0{user}\0{password}".encode()),
    ]


def assert_no_secret_in(directory: Path, user: str, password: str) -> None:
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files, "the profile should hold at least accounts.toml"
    for path in files:
        data = path.read_bytes()
        for form in secret_forms(user, password):
            assert form not in data, f"{path} contains a form of the password"


def stack_user(mailstack: Any) -> Any:
    # alice, not a unique_user(): Dovecot's passwd-file may not see a user added within the
    # same second as its previous lookup (reported to the fixture's owner).
    return SimpleNamespace(address=mailstack.address("alice"), password=mailstack.password("alice"))


def test_no_password_lands_in_the_profile(mailstack: Any, tmp_path: Path) -> None:
    user = stack_user(mailstack)
    profile = tmp_path / "profile"
    pw_file = tmp_path / "pw.txt"
    pw_file.write_text(user.password + "\n")
    common = (
        "--email", user.address,
        "--imap", f"{mailstack.host}:{mailstack.ports.imap}",
        "--incoming-security", "starttls",
        "--smtp", f"{mailstack.host}:{mailstack.ports.submission}",
        "--smtp-security", "starttls",
        "--user", user.address,
        "--ca-file", str(mailstack.ca_file),
    )  # fmt: skip
    # Through the CLI (password command), add / test / edit / test.
    added = run_cli(profile, "add", "cli", *common, "--password-command", f"cat '{pw_file}'")
    assert added.returncode == 0, added.stderr
    assert_all_passed(run_cli(profile, "test", "cli"))
    edited = run_cli(profile, "edit", "cli", "--display-name", "Renamed", "--name", "cli2")
    assert edited.returncode == 0, edited.stderr
    assert_all_passed(run_cli(profile, "test", "cli2"))
    assert_no_secret_in(profile, user.address, user.password)


def stack_account(mailstack: Any, user: Any, name: str = "inproc") -> Account:
    return Account(
        name=name,
        email=user.address,
        display_name="In Process",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(
            mailstack.host, mailstack.ports.imap, Security.STARTTLS, user.address
        ),
        outgoing=ServerSettings(
            mailstack.host, mailstack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )


async def test_engine_in_process_with_a_memory_store(mailstack: Any, tmp_path: Path) -> None:
    user = stack_user(mailstack)
    store = MemoryCredentialStore(description="test keyring", persistent=True)
    engine = Engine.open(str(tmp_path / "profile"), credentials=store)
    account = stack_account(mailstack, user)

    seen: list[CheckStep] = []
    report = await engine.test_settings(account, user.password, progress=seen.append)
    assert report.ok, report
    assert seen == list(report.steps)

    await engine.add_account(account, user.password)
    report = await engine.test_account("inproc")
    assert report.ok
    assert [(s.role, s.stage) for s in report.steps] == [
        (role, stage)
        for role in (ServerRole.INCOMING, ServerRole.OUTGOING)
        for stage in (CheckStage.CONNECT, CheckStage.TLS, CheckStage.CERTIFICATE, CheckStage.LOGIN)
    ]

    # A separate (wrong) SMTP password: only the outgoing login fails.
    await engine.update_account(account, smtp_password="wrong-smtp-password")
    report = await engine.test_account("inproc")
    assert report.role_ok(ServerRole.INCOMING)
    [failure] = report.failures
    assert (failure.role, failure.stage) == (ServerRole.OUTGOING, CheckStage.LOGIN)
    assert failure.error_code == "auth.failed"
    assert failure.outcome is CheckOutcome.FAILED

    await engine.update_account(account, password="edited-" + user.password[:3])
    await engine.update_account(account, password=user.password)
    assert (await engine.test_account("inproc")).ok
    assert_no_secret_in(engine.profile.root, user.address, user.password)
    await engine.remove_account("inproc")
    assert store.get_password("inproc", "incoming") is None
