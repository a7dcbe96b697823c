"""The engine facade: the only engine module the window (and the CLI) talks to.

Imports: everything in the engine, core, secrets; never Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace

from mailapp.core.checks import CheckReport, CheckStep
from mailapp.core.errors import ConfigError, MailAppError, SecretError
from mailapp.core.model import Account
from mailapp.engine.account_check import check_account
from mailapp.engine.accounts import AccountRegistry, validate_account
from mailapp.engine.profile import Profile
from mailapp.secrets.base import INCOMING, OUTGOING, CredentialStore
from mailapp.secrets.vault import open_default_store, resolve_password
from mailapp.transport.net import DEFAULT_TIMEOUT
from mailapp.transport.tls import normalize_fingerprint

__all__ = ["Engine", "ProgressCallback", "normalize_fingerprint"]

ProgressCallback = Callable[[CheckStep], None]


def _missing_password_source() -> ConfigError:
    return ConfigError(
        "The account needs a password or a password command.",
        hint="Give the password (--password-stdin) or a command that prints it "
        "(--password-command 'pass show mail/work').",
    )


class Engine:
    """One profile's engine: accounts now; sending, receiving and tracking as they land.

    Methods that touch the credential store are coroutines: keyring calls block (D-Bus, the
    OS), so they run in a worker thread and the window stays responsive.
    """

    def __init__(self, profile: Profile, credentials: CredentialStore | None = None) -> None:
        self.profile = profile
        self.credentials = credentials if credentials is not None else open_default_store()
        self.accounts = AccountRegistry(profile.accounts_file)
        # Timeout for each network step of an account test, in seconds.
        self.network_timeout = DEFAULT_TIMEOUT

    @classmethod
    def open(
        cls, profile_dir: str | None = None, credentials: CredentialStore | None = None
    ) -> Engine:
        """The engine of a profile (created if new). Without `credentials`, the system
        keyring when one may be used, else passwords for this session only (this may block
        briefly while keyring looks for a backend)."""
        return cls(Profile.resolve(profile_dir).ensure(), credentials)

    # --- credential store -------------------------------------------------------------------

    @property
    def credentials_description(self) -> str:
        """Where passwords are kept, in words ("GNOME Keyring", "this session only: ...")."""
        return self.credentials.description

    @property
    def credentials_persistent(self) -> bool:
        """False when passwords given now are forgotten when mailapp exits."""
        return self.credentials.persistent

    @property
    def credentials_warning(self) -> str | None:
        """The sentence to show before asking for a password that cannot be kept."""
        if self.credentials.persistent:
            return None
        warning = getattr(self.credentials, "warning", None)
        if isinstance(warning, str):
            return warning
        return f"Passwords are kept for {self.credentials.description}."

    # --- accounts ---------------------------------------------------------------------------

    @property
    def account_warnings(self) -> list[str]:
        """What the last read of accounts.toml ignored (unknown or password fields)."""
        return list(self.accounts.warnings)

    def list_accounts(self) -> list[Account]:
        return self.accounts.load()

    def get_account(self, name: str) -> Account:
        return self.accounts.get(name)

    async def add_account(
        self, account: Account, password: str | None, smtp_password: str | None = None
    ) -> Account:
        """Save a new account and its password(s); returns the account as saved.

        Exactly one of `password` and `account.password_command` is the password source.
        `smtp_password` gives the SMTP server a password of its own (it implies
        `separate_smtp_password`)."""
        account = self._with_smtp_flag(account, smtp_password)
        validate_account(account)
        self._check_password_source(account, password, smtp_password, adding=True)
        if any(a.name.casefold() == account.name.casefold() for a in self.list_accounts()):
            self.accounts.add(account)  # raises AccountExistsError with its hint
        await self._store_secrets(account.name, password, smtp_password)
        try:
            self.accounts.add(account)
        except BaseException:
            await self._forget_secrets(account.name)
            raise
        return account

    async def update_account(
        self,
        account: Account,
        password: str | None = None,
        smtp_password: str | None = None,
        *,
        old_name: str | None = None,
    ) -> Account:
        """Replace a saved account (`old_name` when renaming). Passwords not given are kept;
        stored ones the new settings no longer use are deleted."""
        previous = self.get_account(old_name or account.name)
        account = self._with_smtp_flag(account, smtp_password)
        validate_account(account)
        self._check_password_source(account, password, smtp_password, adding=False)
        if (
            account.password_command is None
            and password is None
            and previous.password_command is not None
            and await self._get(previous.name, INCOMING) is None
        ):
            raise _missing_password_source()
        if account.separate_smtp_password and smtp_password is None:
            kept = await self._get(previous.name, OUTGOING)
            if kept is None:
                raise ConfigError(
                    "A separate SMTP password was asked for, but none is given or saved.",
                    hint="Give it with --smtp-password-stdin.",
                )
        renamed = previous.name != account.name
        if renamed:
            await self._move_secrets(previous.name, account.name)
        try:
            self.accounts.update(account, old_name=previous.name)
        except BaseException:
            if renamed:
                await self._move_secrets(account.name, previous.name)
            raise
        await self._store_secrets(account.name, password, smtp_password)
        if account.password_command is not None and password is None:
            await self._delete(account.name, INCOMING)
        if not account.separate_smtp_password:
            await self._delete(account.name, OUTGOING)
        return account

    async def remove_account(self, name: str) -> Account:
        """Remove the account and delete its stored passwords; returns what was removed."""
        removed = self.accounts.remove(name)
        try:
            await self._forget_secrets(removed.name, strict=True)
        except SecretError as exc:
            raise SecretError(
                f"The account {removed.name!r} was removed, but its password could not be "
                f"deleted from {self.credentials.description}: {exc.message}",
                hint="Delete it by hand in the keyring application.",
            ) from exc
        return removed

    # --- account test -----------------------------------------------------------------------

    async def test_account(
        self, name: str, progress: ProgressCallback | None = None
    ) -> CheckReport:
        """Log in to the saved account's incoming and outgoing servers; report each step."""
        account = self.get_account(name)
        password, smtp_password = await self._passwords_for(account)
        return await check_account(
            account, password, smtp_password, progress=progress, timeout=self.network_timeout
        )

    async def test_settings(
        self,
        account: Account,
        password: str | None,
        smtp_password: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> CheckReport:
        """The same test for settings not saved yet (the account wizard).

        With `password` None the account's password command is run."""
        validate_account(account)
        if password is None:
            if account.password_command is None:
                raise _missing_password_source()
            password = await asyncio.to_thread(
                resolve_password,
                self.credentials,
                account.name,
                INCOMING,
                account.password_command,
            )
        return await check_account(
            account, password, smtp_password, progress=progress, timeout=self.network_timeout
        )

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _with_smtp_flag(account: Account, smtp_password: str | None) -> Account:
        if smtp_password is not None and not account.separate_smtp_password:
            return replace(account, separate_smtp_password=True)
        return account

    @staticmethod
    def _check_password_source(
        account: Account, password: str | None, smtp_password: str | None, *, adding: bool
    ) -> None:
        if password is not None and account.password_command is not None:
            raise ConfigError(
                "Give either a password or a password command, not both.",
                hint="The password command is run each time the password is needed.",
            )
        for value in (password, smtp_password):
            if value is not None and (not value or any(ch in value for ch in "\r\n\0")):
                raise ConfigError("A password must not be empty or contain line breaks.")
        if adding and password is None and account.password_command is None:
            raise _missing_password_source()
        if adding and account.separate_smtp_password and smtp_password is None:
            raise ConfigError(
                "A separate SMTP password was asked for, but none was given.",
                hint="Give it with --smtp-password-stdin.",
            )

    async def _passwords_for(self, account: Account) -> tuple[str, str]:
        store = self.credentials
        password = await asyncio.to_thread(
            resolve_password, store, account.name, INCOMING, account.password_command
        )
        if not account.separate_smtp_password:
            return password, password
        # The password command stands for the incoming server; a separate SMTP password
        # always lives in the credential store.
        smtp_password = await asyncio.to_thread(
            resolve_password, store, account.name, OUTGOING, None
        )
        return password, smtp_password

    async def _get(self, name: str, role: str) -> str | None:
        return await asyncio.to_thread(self.credentials.get_password, name, role)

    async def _delete(self, name: str, role: str) -> None:
        await asyncio.to_thread(self.credentials.delete_password, name, role)

    async def _store_secrets(
        self, name: str, password: str | None, smtp_password: str | None
    ) -> None:
        if password is not None:
            await asyncio.to_thread(self.credentials.set_password, name, INCOMING, password)
        if smtp_password is not None:
            await asyncio.to_thread(self.credentials.set_password, name, OUTGOING, smtp_password)

    async def _forget_secrets(self, name: str, *, strict: bool = False) -> None:
        for role in (INCOMING, OUTGOING):
            if strict:
                await self._delete(name, role)
            else:
                with contextlib.suppress(MailAppError):
                    await self._delete(name, role)

    async def _move_secrets(self, old: str, new: str) -> None:
        for role in (INCOMING, OUTGOING):
            value = await self._get(old, role)
            if value is not None:
                await asyncio.to_thread(self.credentials.set_password, new, role, value)
                await self._delete(old, role)
