"""Running `python -m mailapp` in a test: a fresh profile, the password in a 0600 file read by a
password command (no keyring), and an IMAP account on the suite's mail stack.

Imports: the standard library and the mail stack fixture's class.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.mailstack import MailStack

REPO = Path(__file__).resolve().parents[2]


class CliProfile:
    """A profile under `root` and the commands run against it."""

    def __init__(self, root: Path, password: str) -> None:
        self.secret = root / "secret.txt"
        self.secret.write_text(password + "\n")
        self.secret.chmod(0o600)
        self.profile = root / "profile"
        self.env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        self.env.pop("MAILAPP_PROFILE", None)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mailapp", "--profile", str(self.profile), *args],
            capture_output=True, text=True, env=self.env, cwd=REPO, timeout=120, check=False,
        )  # fmt: skip

    def add_imap_account(self, name: str, mailstack: MailStack, address: str) -> None:
        """The account over STARTTLS on both servers, trusting the stack's CA."""
        imap = f"{mailstack.host}:{mailstack.ports.imap}"
        smtp = f"{mailstack.host}:{mailstack.ports.submission}"
        added = self.run(
            "account", "add", name, "--email", address, "--display-name", "Test",
            "--imap", imap, "--incoming-security", "starttls",
            "--smtp", smtp, "--smtp-security", "starttls",
            "--user", address, "--password-command", f"cat '{self.secret}'",
            "--ca-file", str(mailstack.ca_file),
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
