"""KeyringCredentialStore over in-memory keyring backends: keys, allow-list, chaining, errors."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyring.errors import (
    InitError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
    PasswordSetError,
)

from mailapp.core.errors import (
    SecretError,
    SecretStoreLockedError,
    SecretStoreUnavailableError,
)
from mailapp.secrets.base import INCOMING, OUTGOING
from mailapp.secrets.keyring_store import (
    ALLOWED_BACKENDS,
    SERVICE,
    KeyringCredentialStore,
    allowed_backends,
    backend_name,
    username_for,
)

SECRET = "hunter2-Ünïcode secret"

# Test backends have priority -1: keyring's own detection (which registers every subclass)
# never picks them for another test.


class DictKeyring(KeyringBackend):
    """An in-memory keyring backend; deletes of missing entries fail like real backends."""

    priority = -1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("Password not found") from None


class SecondDictKeyring(DictKeyring):
    pass


class PlainFileKeyring(KeyringBackend):
    """Like keyrings.alt's PlaintextKeyring: writes passwords to a file in clear."""

    priority = -1
    path: Path | None = None

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        assert self.path is not None
        self.path.write_text(f"{service} {username} {password}\n")


class BrokenKeyring(KeyringBackend):
    """Raises the configured exception from every call."""

    priority = -1

    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error or InitError("not configured")

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


class FixedChainer(ChainerBackend):
    """keyring's chainer with a fixed list of children."""

    priority = -1
    backends: list[KeyringBackend] = []  # noqa: RUF012 - shadows keyring's classproperty

    def __init__(self, children: list[KeyringBackend] | None = None) -> None:
        super().__init__()
        self.backends = children or []


@pytest.fixture
def allow_test_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the in-memory backends pass the allow-list, as if they were OS stores."""
    monkeypatch.setitem(ALLOWED_BACKENDS, backend_name(DictKeyring()), "the test keyring")
    monkeypatch.setitem(ALLOWED_BACKENDS, backend_name(SecondDictKeyring()), "the second keyring")
    monkeypatch.setitem(ALLOWED_BACKENDS, backend_name(BrokenKeyring()), "the broken keyring")


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, allow_test_backends: None) -> DictKeyring:
    """A DictKeyring installed as keyring's backend; keyring's own is restored afterwards."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    backend = DictKeyring()
    keyring.set_keyring(backend)
    return backend


def test_round_trip_through_keyrings_configured_backend(installed: DictKeyring) -> None:
    store = KeyringCredentialStore()
    assert store.persistent is True
    assert store.description == "the test keyring"
    assert store.get_password("work", INCOMING) is None

    store.set_password("work", INCOMING, SECRET)
    assert installed.entries == {(SERVICE, "work:incoming"): SECRET}
    assert store.get_password("work", INCOMING) == SECRET
    assert store.get_password("work", OUTGOING) is None

    store.set_password("work", INCOMING, "replaced")
    assert store.get_password("work", INCOMING) == "replaced"

    store.delete_password("work", INCOMING)
    assert store.get_password("work", INCOMING) is None
    store.delete_password("work", INCOMING)  # not there: nothing to do
    assert installed.entries == {}


def test_key_format_is_service_mailapp_and_account_colon_role() -> None:
    assert SERVICE == "mailapp"
    assert username_for("work", INCOMING) == "work:incoming"
    # Roles never hold a colon, so account names that do stay unambiguous.
    assert username_for("a:b", OUTGOING) == "a:b:outgoing"


def test_accounts_with_colons_do_not_collide(installed: DictKeyring) -> None:
    store = KeyringCredentialStore()
    store.set_password("a:incoming", OUTGOING, "one")
    store.set_password("a", INCOMING, "two")
    assert store.get_password("a:incoming", OUTGOING) == "one"
    assert store.get_password("a", INCOMING) == "two"


@pytest.mark.parametrize(("account", "role"), [("", INCOMING), ("work", "imap"), ("work", "")])
def test_bad_keys_are_programming_errors(installed: DictKeyring, account: str, role: str) -> None:
    store = KeyringCredentialStore()
    with pytest.raises(ValueError):
        store.set_password(account, role, SECRET)
    assert installed.entries == {}


@pytest.mark.parametrize("name", sorted(ALLOWED_BACKENDS))
def test_the_os_stores_are_allowed(name: str) -> None:
    module, _, cls = name.rpartition(".")
    backend = getattr(importlib.import_module(module), cls)()
    assert allowed_backends(backend) == (backend,)


def test_exactly_the_os_stores_are_on_the_list() -> None:
    assert set(ALLOWED_BACKENDS) == {
        "keyring.backends.Windows.WinVaultKeyring",
        "keyring.backends.macOS.Keyring",
        "keyring.backends.SecretService.Keyring",
        "keyring.backends.libsecret.Keyring",
        "keyring.backends.kwallet.DBusKeyring",
        "keyring.backends.kwallet.DBusKeyringKWallet4",
    }


def test_fail_backend_is_refused_and_named() -> None:
    with pytest.raises(SecretStoreUnavailableError) as info:
        KeyringCredentialStore(fail.Keyring())
    assert "No system keyring was found" in info.value.message
    assert "keyring.backends.fail.Keyring" in info.value.message
    assert info.value.hint is not None
    assert "password command" in info.value.hint


def test_null_backend_is_refused() -> None:
    with pytest.raises(SecretStoreUnavailableError, match="keeps nothing"):
        KeyringCredentialStore(null.Keyring())


def test_plaintext_backend_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    backend = PlainFileKeyring()
    backend.path = tmp_path / "passwords.txt"
    with pytest.raises(SecretStoreUnavailableError) as info:
        KeyringCredentialStore(backend)
    assert backend_name(backend) in info.value.message
    assert "not a system keyring mailapp trusts" in info.value.message
    assert not backend.path.exists()


def test_subclass_of_an_allowed_backend_is_refused(allow_test_backends: None) -> None:
    class Lookalike(DictKeyring):
        pass

    with pytest.raises(SecretStoreUnavailableError):
        KeyringCredentialStore(Lookalike())


def test_refused_backend_installed_in_keyring_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(SecretStoreUnavailableError, match=r"keyring\.backends\.fail\.Keyring"):
        KeyringCredentialStore()


def test_chainer_uses_only_its_allowed_children(allow_test_backends: None, tmp_path: Path) -> None:
    plain = PlainFileKeyring()
    plain.path = tmp_path / "passwords.txt"
    allowed = DictKeyring()
    store = KeyringCredentialStore(FixedChainer([plain, fail.Keyring(), allowed]))
    assert store.backend_names == (backend_name(allowed),)

    store.set_password("work", INCOMING, SECRET)
    assert allowed.entries == {(SERVICE, "work:incoming"): SECRET}
    assert not plain.path.exists()
    assert store.get_password("work", INCOMING) == SECRET


def test_chainer_without_allowed_children_is_refused_and_lists_them(tmp_path: Path) -> None:
    plain = PlainFileKeyring()
    with pytest.raises(SecretStoreUnavailableError) as info:
        KeyringCredentialStore(FixedChainer([plain, fail.Keyring()]))
    assert backend_name(plain) in info.value.message
    assert "keyring.backends.fail.Keyring" in info.value.message


def test_chainer_with_two_allowed_reads_both_writes_first_deletes_all(
    allow_test_backends: None,
) -> None:
    first, second = DictKeyring(), SecondDictKeyring()
    second.entries[(SERVICE, "old:incoming")] = "from-before"
    store = KeyringCredentialStore(FixedChainer([first, second]))
    assert store.description == "the test keyring"

    assert store.get_password("old", INCOMING) == "from-before"
    store.set_password("new", INCOMING, SECRET)
    assert (SERVICE, "new:incoming") in first.entries
    assert (SERVICE, "new:incoming") not in second.entries

    first.entries[(SERVICE, "old:incoming")] = "newer"
    store.delete_password("old", INCOMING)
    assert store.get_password("old", INCOMING) is None
    assert first.entries == {(SERVICE, "new:incoming"): SECRET}
    assert second.entries == {}


@pytest.mark.parametrize(
    ("error", "expected", "code"),
    [
        (KeyringLocked("Failed to unlock the collection!"), SecretStoreLockedError, "locked"),
        (NoKeyringError("no backend"), SecretStoreUnavailableError, "store_unavailable"),
        (InitError("Failed to create the collection"), SecretStoreUnavailableError, "unavail"),
        (ConnectionResetError("D-Bus went away"), SecretStoreUnavailableError, "unavailable"),
        (PasswordSetError("Cancelled by user"), SecretError, "secret"),
    ],
)
def test_backend_errors_become_secret_errors(
    allow_test_backends: None, error: Exception, expected: type[SecretError], code: str
) -> None:
    store = KeyringCredentialStore(BrokenKeyring(error))
    for call in (
        lambda: store.get_password("work", INCOMING),
        lambda: store.set_password("work", INCOMING, SECRET),
        lambda: store.delete_password("work", INCOMING),
    ):
        with pytest.raises(expected) as info:
            call()
        assert code in info.value.code
        assert "'work'" in info.value.message
        assert "incoming" in info.value.message
        assert "the broken keyring" in info.value.message.lower()


def test_locked_store_says_what_to_do(allow_test_backends: None) -> None:
    store = KeyringCredentialStore(BrokenKeyring(KeyringLocked("Failed to unlock")))
    with pytest.raises(SecretStoreLockedError) as info:
        store.get_password("work", INCOMING)
    assert info.value.hint == "Unlock it and try again."
    assert info.value.code == "secret.store_locked"


class StuckKeyring(DictKeyring):
    """Refuses to delete, as KWallet does when the person cancels."""

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("Cancelled by user")


def test_delete_that_fails_while_the_password_is_still_there_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ALLOWED_BACKENDS, backend_name(StuckKeyring()), "the stuck keyring")
    store = KeyringCredentialStore(StuckKeyring())
    store.set_password("work", INCOMING, SECRET)
    with pytest.raises(SecretError, match=r"could not be deleted.*Cancelled by user"):
        store.delete_password("work", INCOMING)
    assert store.get_password("work", INCOMING) == SECRET


def test_no_secret_in_errors_tracebacks_or_logs(
    allow_test_backends: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A careless backend that puts the password into its exception.
    store = KeyringCredentialStore(BrokenKeyring(PasswordSetError(f"rejected {SECRET!r}")))
    with pytest.raises(SecretError) as info:
        store.set_password("work", INCOMING, SECRET)
    assert SECRET not in str(info.value)
    assert "rejected" in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True

    good = KeyringCredentialStore(DictKeyring())
    good.set_password("work", INCOMING, SECRET)
    assert good.get_password("work", INCOMING) == SECRET
    good.delete_password("work", INCOMING)
    assert SECRET not in repr(good)
    assert caplog.records, "the store logs its operations"
    assert SECRET not in caplog.text
