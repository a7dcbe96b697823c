"""The credential-store interface every password source implements, and its key rules.

Imports: the standard library only.

Keys are (account name, server role); the role is "incoming" or "outgoing". Implementations
block (keyring calls go to D-Bus or the OS): the engine calls them through asyncio.to_thread,
never on the event loop.
"""

from __future__ import annotations

from typing import Protocol

INCOMING = "incoming"
OUTGOING = "outgoing"
ROLES = frozenset({INCOMING, OUTGOING})


class CredentialStore(Protocol):
    """Where passwords live. Never writes a secret to the profile or a log."""

    @property
    def description(self) -> str:
        """Human words for where the secret lives ("the Secret Service", "this session only")."""
        ...

    @property
    def persistent(self) -> bool:
        """False when passwords are forgotten at exit (the session-only fallback)."""
        ...

    def get_password(self, account: str, role: str) -> str | None:
        """The saved password, or None when there is none."""
        ...

    def set_password(self, account: str, role: str, password: str) -> None:
        """Save (or replace) the password."""
        ...

    def delete_password(self, account: str, role: str) -> None:
        """Forget the password; forgetting one that is not there is not an error."""
        ...


def check_key(account: str, role: str) -> None:
    """Refuse keys no caller should build: they are programming errors, not user errors."""
    if not account:
        raise ValueError("a credential key needs an account name")
    if role not in ROLES:
        raise ValueError(f"unknown credential role {role!r}; expected one of {sorted(ROLES)}")
