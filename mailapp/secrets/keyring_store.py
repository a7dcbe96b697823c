"""Passwords in the operating system's keyring, through the `keyring` package, behind an allow-list.

Imports: keyring, mailapp.core.errors and mailapp.secrets.base.

Entries are stored under the service name "mailapp" with the username "<account>:<role>"
(for example "work:incoming"), which is what the keyring's own tools show. Roles never contain
a colon, so the key stays unambiguous even for account names that do.

keyring picks its backend from PYTHON_KEYRING_BACKEND, the user's keyringrc.cfg or the
highest-priority backend installed. Without a Secret Service it silently picks its `fail`
backend, and a config may select a plaintext file. We therefore accept only the stores the
operating system protects (ALLOWED_BACKENDS) and refuse anything else with
SecretStoreUnavailableError, so the caller can fall back to keeping passwords for this session
only. Every call blocks (D-Bus, Keychain, Credential Manager): the engine runs them through
asyncio.to_thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import keyring
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import (
    InitError,
    KeyringError,
    KeyringLocked,
    NoKeyringError,
    PasswordDeleteError,
)

from mailapp.core.errors import (
    SecretError,
    SecretStoreLockedError,
    SecretStoreUnavailableError,
)
from mailapp.secrets.base import check_key

log = logging.getLogger("mailapp.secrets")

SERVICE = "mailapp"

# Fully qualified class name -> human words for where the passwords live. Matched exactly (not
# isinstance): a subclass may store its data anywhere. libsecret.Keyring talks to the same
# Secret Service as SecretService.Keyring, through libsecret instead of D-Bus directly.
ALLOWED_BACKENDS: dict[str, str] = {
    "keyring.backends.SecretService.Keyring": "the system keyring (Secret Service)",
    "keyring.backends.libsecret.Keyring": "the system keyring (Secret Service)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet4": "KWallet",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "the Windows Credential Manager",
}

TRUSTED_STORES = (
    "the Windows Credential Manager, the macOS Keychain, a Secret Service "
    "(GNOME Keyring, KeePassXC) or KWallet"
)

FAIL_BACKEND = "keyring.backends.fail.Keyring"
NULL_BACKEND = "keyring.backends.null.Keyring"


def backend_name(backend: object) -> str:
    """The backend's fully qualified class name, e.g. "keyring.backends.fail.Keyring"."""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def chained_backends(backend: KeyringBackend) -> tuple[KeyringBackend, ...]:
    """The backends a ChainerBackend would try, in its order; () for any other backend."""
    if not isinstance(backend, ChainerBackend):
        return ()
    children: Sequence[KeyringBackend] = backend.backends
    return tuple(children)


def describe_backend(backend: KeyringBackend) -> str:
    """What keyring offered, for messages: the class name, and a chainer's children."""
    children = chained_backends(backend)
    if isinstance(backend, ChainerBackend):
        inner = ", ".join(backend_name(child) for child in children) or "no backends"
        return f"{backend_name(backend)} ({inner})"
    return backend_name(backend)


def allowed_backends(backend: KeyringBackend) -> tuple[KeyringBackend, ...]:
    """The OS stores among `backend` (or a chainer's children), best first; () if none."""
    candidates = chained_backends(backend) if isinstance(backend, ChainerBackend) else (backend,)
    return tuple(b for b in candidates if backend_name(b) in ALLOWED_BACKENDS)


def refusal_reason(backend: KeyringBackend) -> str:
    """One sentence saying why `backend` is not used for passwords."""
    name = backend_name(backend)
    if name == FAIL_BACKEND:
        return f"No system keyring was found (keyring offered only {name})."
    if name == NULL_BACKEND:
        return f"keyring is set to {name}, which keeps nothing."
    if isinstance(backend, ChainerBackend):
        return (
            f"No system keyring was found (keyring offered {describe_backend(backend)}, "
            f"none of which is {TRUSTED_STORES})."
        )
    return (
        f"keyring is set to {name}, which is not a system keyring mailapp trusts with "
        f"passwords (only {TRUSTED_STORES})."
    )


REFUSAL_HINT = (
    "Start a system keyring (on Linux: GNOME Keyring, KeePassXC or KWallet), check "
    "PYTHON_KEYRING_BACKEND and keyring's keyringrc.cfg, or give the account a password command."
)


def username_for(account: str, role: str) -> str:
    """The keyring username for an (account, role) key."""
    check_key(account, role)
    return f"{account}:{role}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _scrub(text: str, secret: str | None) -> str:
    # A backend that echoes the password into its error must not carry it into ours.
    if secret:
        text = text.replace(secret, "[password]")
    return text


class KeyringCredentialStore:
    """A CredentialStore over the allowed keyring backends.

    With one allowed backend (the usual case) every call goes to it. When keyring chains
    several, reads try each in keyring's order, writes go to the first, and deletes clear all.
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        """Use `backend`, or keyring's configured one (detecting it blocks, it probes D-Bus).

        Raises SecretStoreUnavailableError, having stored and read nothing, when keyring cannot
        start or offers no allowed backend; its message names what keyring offered.
        """
        if backend is None:
            try:
                chosen = keyring.get_keyring()
            except Exception as exc:
                # keyring runs the user's keyringrc.cfg, PYTHON_KEYRING_BACKEND and third-party
                # plugins here; whatever breaks in them means there is no keyring we can use.
                raise SecretStoreUnavailableError(
                    f"keyring could not start: {type(exc).__name__}: {exc}.", hint=REFUSAL_HINT
                ) from exc
        else:
            chosen = backend
        self._offered = describe_backend(chosen)
        self._backends = allowed_backends(chosen)
        if not self._backends:
            raise SecretStoreUnavailableError(refusal_reason(chosen), hint=REFUSAL_HINT)
        self._description = ALLOWED_BACKENDS[backend_name(self._backends[0])]
        log.debug("passwords go to %s (keyring offered %s)", self.backend_names, self._offered)

    def __repr__(self) -> str:
        return f"<KeyringCredentialStore {', '.join(self.backend_names)}>"

    @property
    def backend_names(self) -> tuple[str, ...]:
        """Class names of the backends in use, the one that receives writes first."""
        return tuple(backend_name(b) for b in self._backends)

    @property
    def description(self) -> str:
        return self._description

    @property
    def persistent(self) -> bool:
        return True

    def get_password(self, account: str, role: str) -> str | None:
        username = username_for(account, role)
        for backend in self._backends:
            try:
                password = backend.get_password(SERVICE, username)
            except Exception as exc:
                raise self._error(
                    exc, backend, action="read", account=account, role=role, secret=None
                ) from exc
            if password is not None:
                return password
        return None

    def set_password(self, account: str, role: str, password: str) -> None:
        username = username_for(account, role)
        backend = self._backends[0]
        try:
            backend.set_password(SERVICE, username, password)
        except Exception as exc:
            # No chaining: the backend's exception may hold the password in its arguments.
            raise self._error(
                exc, backend, action="saved", account=account, role=role, secret=password
            ) from None
        log.debug("saved the %s password of %r in %s", role, account, backend_name(backend))

    def delete_password(self, account: str, role: str) -> None:
        username = username_for(account, role)
        for backend in self._backends:
            try:
                backend.delete_password(SERVICE, username)
            except PasswordDeleteError as exc:
                # Backends say "not found" with this same class; a password that is not there
                # is already forgotten. Anything still readable is a real failure.
                if self._absent(backend, username):
                    continue
                raise self._error(
                    exc, backend, action="deleted", account=account, role=role, secret=None
                ) from exc
            except Exception as exc:
                raise self._error(
                    exc, backend, action="deleted", account=account, role=role, secret=None
                ) from exc
        log.debug("deleted the %s password of %r", role, account)

    def _absent(self, backend: KeyringBackend, username: str) -> bool:
        try:
            return backend.get_password(SERVICE, username) is None
        except Exception:
            return False

    def _error(
        self,
        exc: Exception,
        backend: KeyringBackend,
        *,
        action: str,
        account: str,
        role: str,
        secret: str | None,
    ) -> SecretError:
        where = ALLOWED_BACKENDS.get(backend_name(backend), backend_name(backend))
        detail = _scrub(str(exc), secret).strip().rstrip(".") or type(exc).__name__
        what = f"the {role} password of account {account!r}"
        # Only the exception's type is logged: its text came from the backend.
        log.debug("keyring %s failed for %r (%s): %s", action, account, role, type(exc).__name__)
        if isinstance(exc, KeyringLocked):
            return SecretStoreLockedError(
                f"{_sentence(where)} is locked, so {what} could not be {action}.",
                hint="Unlock it and try again.",
            )
        if isinstance(exc, NoKeyringError | InitError):
            return SecretStoreUnavailableError(
                f"{_sentence(where)} is not available, so {what} could not be {action}: {detail}.",
                hint="Check that the keyring service is running.",
            )
        if isinstance(exc, KeyringError):
            return SecretError(f"{_sentence(what)} could not be {action} in {where}: {detail}.")
        # D-Bus, OS and library errors: the store is there but does not answer properly.
        return SecretStoreUnavailableError(
            f"{_sentence(where)} failed, so {what} could not be {action}: "
            f"{type(exc).__name__}: {detail}.",
            hint="Check that the keyring service is running.",
        )
