"""Choosing the store (keyring or session-only), the session fallback, and resolving passwords."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend

from mailapp.core.errors import SecretCommandError, SecretNotFoundError
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.secrets.base import INCOMING, OUTGOING
from mailapp.secrets.keyring_store import ALLOWED_BACKENDS, KeyringCredentialStore, backend_name
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.secrets.session import SessionCredentialStore
from mailapp.secrets.vault import (
    open_default_store,
    resolve_account_password,
    resolve_password,
    storage_role,
)

SECRET = "vault-secret-42"


class VaultDictKeyring(KeyringBackend):
    priority = -1  # never picked by keyring's own detection

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password


@pytest.fixture
def fresh_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """keyring detects its backend anew, without the developer's config or environment."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _account(*, command: str | None = None, separate: bool = False) -> Account:
    server = ServerSettings("mail.example.test", 993, Security.SSL, "me")
    return Account(
        name="work",
        email="me@example.test",
        display_name="Me",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=server,
        outgoing=ServerSettings("mail.example.test", 465, Security.SSL, "me"),
        password_command=command,
        separate_smtp_password=separate,
    )


# --- choosing the store -----------------------------------------------------------------------


def test_fail_backend_gives_the_session_store_with_a_plain_warning(
    fresh_keyring: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mailapp")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    store = open_default_store()
    assert isinstance(store, SessionCredentialStore)
    assert store.persistent is False
    assert store.description.startswith("this session only: no system keyring was found")
    assert "keyring.backends.fail.Keyring" in store.description
    assert store.warning.startswith("Passwords are kept for this session only.")
    assert "keyring.backends.fail.Keyring" in store.warning
    assert "password command" in store.warning
    assert "session only" in caplog.text


def test_null_backend_gives_the_session_store(
    fresh_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    store = open_default_store()
    assert isinstance(store, SessionCredentialStore)
    assert "keyring.backends.null.Keyring, which keeps nothing" in store.warning


def test_keyring_that_cannot_start_gives_the_session_store(
    fresh_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "mailapp_no_such_module.Keyring")
    store = open_default_store()
    assert isinstance(store, SessionCredentialStore)
    assert "keyring could not start" in store.warning
    assert "mailapp_no_such_module" in store.warning


def test_refused_backend_from_keyring_config_gives_the_session_store(
    fresh_keyring: None, tmp_path: Path
) -> None:
    # The user's keyringrc.cfg naming a backend we refuse.
    config = tmp_path / "config" / "python_keyring"
    config.mkdir(parents=True)
    (config / "keyringrc.cfg").write_text(
        "[backend]\ndefault-keyring=keyring.backends.null.Keyring\n"
    )
    store = open_default_store()
    assert isinstance(store, SessionCredentialStore)
    assert "keyring.backends.null.Keyring" in store.description


def test_allowed_backend_gives_the_keyring_store(
    fresh_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = VaultDictKeyring()
    monkeypatch.setitem(ALLOWED_BACKENDS, backend_name(backend), "the test keyring")
    keyring.set_keyring(backend)
    store = open_default_store()
    assert isinstance(store, KeyringCredentialStore)
    assert store.persistent is True
    store.set_password("work", INCOMING, SECRET)
    assert backend.entries == {("mailapp", "work:incoming"): SECRET}


# --- the session store and the memory store ---------------------------------------------------


def test_session_store_round_trip_and_forgets_nothing_else() -> None:
    store = SessionCredentialStore("No system keyring was found (keyring offered only X).")
    assert store.get_password("work", INCOMING) is None
    store.set_password("work", INCOMING, SECRET)
    store.set_password("work", OUTGOING, "other")
    assert store.get_password("work", INCOMING) == SECRET
    store.delete_password("work", INCOMING)
    store.delete_password("work", INCOMING)
    assert store.get_password("work", INCOMING) is None
    assert store.get_password("work", OUTGOING) == "other"
    assert SECRET not in repr(store)


def test_session_stores_do_not_share_passwords() -> None:
    one, two = SessionCredentialStore("r."), SessionCredentialStore("r.")
    one.set_password("work", INCOMING, SECRET)
    assert two.get_password("work", INCOMING) is None


def test_memory_store() -> None:
    store = MemoryCredentialStore()
    assert store.persistent is False
    assert MemoryCredentialStore(description="fake keyring", persistent=True).persistent is True
    store.set_password("work", INCOMING, SECRET)
    assert store.get_password("work", INCOMING) == SECRET
    assert SECRET not in repr(store)
    with pytest.raises(ValueError):
        store.get_password("work", "smtp")


# --- resolving the password an account needs --------------------------------------------------


def test_command_wins_over_the_store() -> None:
    store = MemoryCredentialStore()
    store.set_password("work", INCOMING, "stored")
    assert resolve_password(store, "work", INCOMING, "printf 'from-command\\n'") == "from-command"


def test_store_is_used_without_a_command() -> None:
    store = MemoryCredentialStore()
    store.set_password("work", INCOMING, SECRET)
    assert resolve_password(store, "work", INCOMING, None) == SECRET
    assert resolve_password(store, "work", INCOMING, "") == SECRET


def test_missing_password_in_a_persistent_store_names_the_store() -> None:
    store = MemoryCredentialStore(description="the test keyring", persistent=True)
    with pytest.raises(SecretNotFoundError) as info:
        resolve_password(store, "work", OUTGOING, None)
    assert info.value.message == (
        "No password for the outgoing server of account 'work' is saved in the test keyring."
    )
    assert info.value.hint is not None
    assert "password command" in info.value.hint


def test_missing_password_in_the_session_store() -> None:
    with pytest.raises(SecretNotFoundError, match="was entered in this session"):
        resolve_password(SessionCredentialStore("r."), "work", INCOMING, None)


def test_failing_command_is_not_replaced_by_the_store() -> None:
    store = MemoryCredentialStore()
    store.set_password("work", INCOMING, SECRET)
    with pytest.raises(SecretCommandError, match="account 'work'"):
        resolve_password(store, "work", INCOMING, "exit 1")


def test_smtp_shares_the_incoming_password_unless_separate() -> None:
    assert storage_role(_account(), OUTGOING) == INCOMING
    assert storage_role(_account(), INCOMING) == INCOMING
    assert storage_role(_account(separate=True), OUTGOING) == OUTGOING

    store = MemoryCredentialStore()
    store.set_password("work", INCOMING, SECRET)
    assert resolve_account_password(store, _account(), OUTGOING) == SECRET
    with pytest.raises(SecretNotFoundError):
        resolve_account_password(store, _account(separate=True), OUTGOING)


def test_account_password_command() -> None:
    account = _account(command="printf 'cmd-pw'")
    assert resolve_account_password(MemoryCredentialStore(), account, OUTGOING) == "cmd-pw"


def test_nothing_secret_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = SessionCredentialStore("r.")
    store.set_password("work", INCOMING, SECRET)
    assert resolve_password(store, "work", INCOMING, None) == SECRET
    assert resolve_password(store, "work", INCOMING, f"printf '{SECRET}'") == SECRET
    assert SECRET not in caplog.text
