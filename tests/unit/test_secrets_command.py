"""Password commands: first line of stdout, shell syntax, clear errors that never show stdout."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from mailapp.core.errors import SecretCommandError
from mailapp.secrets.command import STDERR_LIMIT, run_password_command

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the commands below are POSIX sh")

SECRET = "s3cret with  spaces"


def test_first_line_of_stdout_is_the_password() -> None:
    assert run_password_command("printf 'pw1\\nsecond line\\n'") == "pw1"


def test_only_the_line_ending_is_removed() -> None:
    assert run_password_command("printf '  pw with spaces  \\r\\n'") == "  pw with spaces  "
    assert run_password_command("printf 'no-newline'") == "no-newline"


def test_shell_syntax_works_like_mbsync_passcmd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILAPP_TEST_PW", "from-env")
    assert run_password_command("printf 'a\\nb\\n' | tail -n 1") == "b"
    assert run_password_command('echo "$MAILAPP_TEST_PW"') == "from-env"


def test_utf8_password() -> None:
    assert run_password_command("printf 'pässwörd✓\\n'") == "pässwörd✓"


def test_command_gets_no_stdin() -> None:
    # `cat` would wait forever on an inherited terminal or pipe.
    assert run_password_command("cat; printf ok", timeout=30) == "ok"


def test_nonzero_exit_names_status_and_stderr_but_not_stdout() -> None:
    command = f"printf '{SECRET}\\n'; echo 'gpg: decryption failed' >&2; exit 3"
    with pytest.raises(SecretCommandError) as info:
        run_password_command(command, account="work")
    text = str(info.value)
    assert "account 'work'" in text
    assert "exit status 3" in text
    assert "gpg: decryption failed" in text
    assert SECRET not in text
    assert info.value.code == "secret.command"


def test_stdout_echoed_on_stderr_is_redacted() -> None:
    command = f"printf '{SECRET}\\n'; echo 'bad password: {SECRET}' >&2; exit 1"
    with pytest.raises(SecretCommandError) as info:
        run_password_command(command)
    assert SECRET not in str(info.value)
    assert "bad password: [output]" in str(info.value)


def test_plain_exit_status_without_stderr() -> None:
    with pytest.raises(SecretCommandError, match=r"failed with exit status 3\.$"):
        run_password_command("sh -c 'exit 3'")


def test_missing_program_is_reported() -> None:
    with pytest.raises(SecretCommandError, match=r"127.*not found"):
        run_password_command("mailapp-no-such-password-tool --get work")


def test_killed_by_signal() -> None:
    with pytest.raises(SecretCommandError, match="killed by signal 15"):
        run_password_command("kill -TERM $$")


@pytest.mark.parametrize("command", ["true", "printf '\\n'", "printf '\\nlater\\n'"])
def test_no_password_on_the_first_line(command: str) -> None:
    with pytest.raises(SecretCommandError, match="printed no password") as info:
        run_password_command(command)
    assert "later" not in str(info.value)


@pytest.mark.parametrize("command", ["", "   "])
def test_empty_command(command: str) -> None:
    with pytest.raises(SecretCommandError, match="is empty"):
        run_password_command(command)


def test_not_utf8() -> None:
    with pytest.raises(SecretCommandError, match="not UTF-8"):
        run_password_command("printf '\\377\\376\\n'")


def test_long_stderr_is_cut() -> None:
    with pytest.raises(SecretCommandError) as info:
        run_password_command("yes 'complaint' | head -n 2000 >&2; exit 1")
    assert len(info.value.message) < STDERR_LIMIT + 200


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    # A killed child not yet reaped by init is a zombie: dead for our purpose.
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_timeout_stops_the_command_and_everything_it_started(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    command = f"sleep 300 & echo $! > {pidfile}; wait"
    with pytest.raises(SecretCommandError, match=r"did not finish within 0\.5 seconds") as info:
        run_password_command(command, timeout=0.5)
    assert info.value.hint is not None
    pid = int(pidfile.read_text())
    assert not _alive(pid)


def test_nothing_secret_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert run_password_command(f"printf '{SECRET}'", account="work") == SECRET
    with pytest.raises(SecretCommandError):
        run_password_command(f"printf '{SECRET}'; exit 2", account="work")
    assert caplog.records
    assert SECRET not in caplog.text
