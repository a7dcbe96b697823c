"""The session-only fallback: passwords kept in memory when no system keyring may be used.

Imports: mailapp.secrets.base and mailapp.secrets.memory.

Chosen by vault.open_default_store when keyring offers no allowed backend. It says so plainly:
`persistent` is False, `description` names the reason, and `warning` is the text the window
and the command line show before asking for a password.
"""

from __future__ import annotations

from mailapp.secrets.memory import MemoryCredentialStore


class SessionCredentialStore:
    """Passwords for this run of mailapp only; never written anywhere."""

    def __init__(self, reason: str) -> None:
        """`reason` is one sentence on why no system keyring is used, naming what was found."""
        self.reason = reason
        self._memory = MemoryCredentialStore(description="this session only")

    def __repr__(self) -> str:
        return "<SessionCredentialStore>"

    @property
    def description(self) -> str:
        why = self.reason.rstrip(".")
        return f"this session only: {why[:1].lower()}{why[1:]}"

    @property
    def persistent(self) -> bool:
        return False

    @property
    def warning(self) -> str:
        return (
            f"Passwords are kept for this session only. {self.reason} "
            "mailapp will not write passwords to its own files, so you will be asked again the "
            "next time it starts. To keep them, start a system keyring (on Linux: GNOME "
            "Keyring, KeePassXC or KWallet) or give the account a password command."
        )

    def get_password(self, account: str, role: str) -> str | None:
        return self._memory.get_password(account, role)

    def set_password(self, account: str, role: str, password: str) -> None:
        self._memory.set_password(account, role, password)

    def delete_password(self, account: str, role: str) -> None:
        self._memory.delete_password(account, role)
