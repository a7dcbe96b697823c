"""A credential store that keeps passwords in this process's memory only.

Imports: the standard library and mailapp.secrets.base. Used by tests and as the storage of
the session-only fallback; it never touches a file.
"""

from __future__ import annotations

import threading

from mailapp.secrets.base import check_key


class MemoryCredentialStore:
    """Passwords in a dict, forgotten when the process ends. Safe to call from several threads."""

    def __init__(self, *, description: str = "memory only", persistent: bool = False) -> None:
        self._description = description
        # Tests may present a memory store as persistent to exercise the keyring code paths
        # of their callers; the session-only fallback always says False.
        self._persistent = persistent
        self._passwords: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        # Never the dict: a repr lands in logs and tracebacks.
        return f"<MemoryCredentialStore {len(self._passwords)} entries>"

    @property
    def description(self) -> str:
        return self._description

    @property
    def persistent(self) -> bool:
        return self._persistent

    def get_password(self, account: str, role: str) -> str | None:
        check_key(account, role)
        with self._lock:
            return self._passwords.get((account, role))

    def set_password(self, account: str, role: str, password: str) -> None:
        check_key(account, role)
        with self._lock:
            self._passwords[(account, role)] = password

    def delete_password(self, account: str, role: str) -> None:
        check_key(account, role)
        with self._lock:
            self._passwords.pop((account, role), None)
