"""Choosing the credential store at start-up, and finding the password an account needs.

Imports: mailapp.core and the other mailapp.secrets modules.

open_default_store() uses the system keyring when keyring offers an allowed backend and
otherwise falls back to SessionCredentialStore (its `warning` is for the user). There is no
switch of our own to pick a store: tests and CI that must not touch a developer's real keyring
set keyring's own PYTHON_KEYRING_BACKEND, e.g. to keyring.backends.fail.Keyring, which gives
the session-only store. Everything here blocks (keyring detection probes D-Bus, a password
command may wait for a pinentry): the engine calls it through asyncio.to_thread.
"""

from __future__ import annotations

import logging

from mailapp.core.errors import SecretNotFoundError, SecretStoreUnavailableError
from mailapp.core.model import Account
from mailapp.secrets.base import INCOMING, OUTGOING, CredentialStore, check_key
from mailapp.secrets.command import DEFAULT_TIMEOUT, run_password_command
from mailapp.secrets.keyring_store import KeyringCredentialStore
from mailapp.secrets.session import SessionCredentialStore

log = logging.getLogger("mailapp.secrets")


def open_default_store() -> CredentialStore:
    """The system keyring if keyring offers an allowed one, else the session-only store."""
    try:
        return KeyringCredentialStore()
    except SecretStoreUnavailableError as exc:
        # Info, not a warning: the CLI and the window show `store.warning` where it matters
        # (when a password would be stored), instead of on every start.
        log.info("%s Passwords are kept for this session only.", exc.message)
        return SessionCredentialStore(exc.message)


def storage_role(account: Account, role: str) -> str:
    """The key role holding `role`'s password: SMTP shares the incoming one unless separate."""
    check_key(account.name, role)
    if role == OUTGOING and not account.separate_smtp_password:
        return INCOMING
    return role


def resolve_password(
    store: CredentialStore,
    account_name: str,
    role: str,
    password_command: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """The password to log in with: the command's output when a command is set, else the store's.

    Raises SecretCommandError when the command fails, SecretNotFoundError (with a hint) when
    the store has none, and the store's own SecretError subclasses when it fails.
    """
    check_key(account_name, role)
    if password_command:
        return run_password_command(password_command, timeout=timeout, account=account_name)
    password = store.get_password(account_name, role)
    if password is not None:
        return password
    what = f"No password for the {role} server of account {account_name!r}"
    if store.persistent:
        message = f"{what} is saved in {store.description}."
    else:
        message = f"{what} was entered in this session."
    raise SecretNotFoundError(message, hint="Enter it, or give the account a password command.")


def resolve_account_password(
    store: CredentialStore, account: Account, role: str, *, timeout: float = DEFAULT_TIMEOUT
) -> str:
    """resolve_password for an Account, honouring its password command and shared SMTP key."""
    return resolve_password(
        store,
        account.name,
        storage_role(account, role),
        account.password_command,
        timeout=timeout,
    )
