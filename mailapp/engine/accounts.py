"""The account registry: accounts.toml in the profile, read with tomllib, written by us.

The file is for people too: versioned (`format_version`), one `[[account]]` table each, and
never a secret (a hand-written password field is ignored with a warning and dropped on the
next write). Writes are atomic (temp file, fsync, rename) and private (mode 0600).
Imports: core, tomllib.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from mailapp.core.errors import AccountExistsError, AccountNotFoundError, ConfigError
from mailapp.core.model import (
    Account,
    AccountOptions,
    IncomingProtocol,
    ReadReceiptPolicy,
    Security,
    ServerSettings,
    TlsTrust,
)

log = logging.getLogger("mailapp.accounts")

FORMAT_VERSION = 1

# Keys that look like a secret. They are never read into an account, whatever table they
# are in, and never written back.
SECRET_KEYS = frozenset(
    {"password", "passwd", "pass", "smtp_password", "secret", "token", "access_token"}
)

_HEADER = (
    "# mailapp accounts. Edit with `mailapp account edit`, or by hand while mailapp is closed.\n"
    "# No passwords here: they live in the system keyring or come from password_command.\n"
)

_NAME_MAX = 64
_HOST_RE = re.compile(r"^[A-Za-z0-9._:\[\]-]+$")
_FINGERPRINT_RE = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


# --- validation --------------------------------------------------------------------------


def validate_account(account: Account) -> None:
    """Raise ConfigError with a plain sentence for the first unusable value."""
    name = account.name
    if not name or name != name.strip():
        raise ConfigError(
            "An account name must not be empty or start or end with a space.",
            hint='Choose a short name like "work".',
        )
    if len(name) > _NAME_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ConfigError(
            f"The account name {name!r} is too long or has control characters.",
            hint=f"Use at most {_NAME_MAX} printable characters.",
        )
    local, at, domain = account.email.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in account.email):
        raise ConfigError(
            f"{account.email!r} is not an email address.", hint="Give it as name@example.org."
        )
    if any(ord(ch) < 32 for ch in account.display_name):
        raise ConfigError("The display name must not contain line breaks or control characters.")
    for label, server in (("incoming", account.incoming), ("outgoing", account.outgoing)):
        _validate_server(label, server)
    if account.trust.ca_file is not None and not os.path.isabs(account.trust.ca_file):
        raise ConfigError(
            f"The CA file {account.trust.ca_file!r} must be given as an absolute path."
        )
    if account.trust.fingerprint is not None and not _FINGERPRINT_RE.match(
        account.trust.fingerprint
    ):
        raise ConfigError(
            f"{account.trust.fingerprint!r} is not a SHA-256 fingerprint in AB:CD:... form."
        )
    if account.password_command is not None and not account.password_command.strip():
        raise ConfigError("The password command is empty.")
    if account.password_command is not None and any(
        ch in account.password_command for ch in "\r\n\0"
    ):
        raise ConfigError("The password command must be a single line.")
    interval = account.options.check_interval_minutes
    if interval < 1:
        raise ConfigError("The check interval must be at least one minute.")
    keep = account.options.pop3_keep_days
    if keep is not None and keep < 0:
        raise ConfigError("pop3_keep_days cannot be negative.")


def _validate_server(label: str, server: ServerSettings) -> None:
    if not server.host or not _HOST_RE.match(server.host):
        raise ConfigError(f"The {label} server host {server.host!r} is not a host name or address.")
    if not 1 <= server.port <= 65535:
        raise ConfigError(f"The {label} server port {server.port} is not between 1 and 65535.")
    if not server.user or any(ch in server.user for ch in "\r\n\0"):
        raise ConfigError(f"The {label} server user name is empty or has line breaks.")


# --- TOML writing ------------------------------------------------------------------------

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(value: str) -> str:
    """A TOML basic string that tomllib reads back as exactly `value`."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate cannot be written as UTF-8 nor escaped in TOML.
            raise ConfigError("A value contains a character that cannot be saved.")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    raise TypeError(f"cannot write {type(value).__name__} to accounts.toml")


def _table(header: str, items: Iterable[tuple[str, object]]) -> list[str]:
    lines = [header] if header else []
    lines.extend(f"{key} = {toml_value(value)}" for key, value in items if value is not None)
    return lines


def account_to_tables(account: Account) -> dict[str, Any]:
    """The account as nested plain values, the way accounts.toml holds it (Nones left out)."""
    return {
        "name": account.name,
        "email": account.email,
        "display_name": account.display_name,
        "password_command": account.password_command,
        "separate_smtp_password": account.separate_smtp_password,
        "incoming": {
            "protocol": account.incoming_protocol.value,
            "host": account.incoming.host,
            "port": account.incoming.port,
            "security": account.incoming.security.value,
            "user": account.incoming.user,
        },
        "outgoing": {
            "host": account.outgoing.host,
            "port": account.outgoing.port,
            "security": account.outgoing.security.value,
            "user": account.outgoing.user,
        },
        "trust": {"ca_file": account.trust.ca_file, "fingerprint": account.trust.fingerprint},
        "options": {
            f.name: (
                v.value
                if isinstance(v := getattr(account.options, f.name), ReadReceiptPolicy)
                else v
            )
            for f in fields(AccountOptions)
        },
    }


def dumps(accounts: Iterable[Account]) -> str:
    lines = [f"format_version = {FORMAT_VERSION}", _HEADER.rstrip("\n")]
    for account in accounts:
        data = account_to_tables(account)
        top = [(k, v) for k, v in data.items() if not isinstance(v, dict)]
        lines.append("")
        lines.extend(_table("[[account]]", top))
        for section in ("incoming", "outgoing", "trust", "options"):
            items = [(k, v) for k, v in data[section].items() if v is not None]
            if items:
                lines.append("")
                lines.extend(_table(f"[account.{section}]", items))
    return "\n".join(lines) + "\n"


# --- TOML reading ------------------------------------------------------------------------


class _Reader:
    """Turns one parsed [[account]] table into an Account, collecting warnings."""

    def __init__(self, path: Path, index: int, warnings: list[str]) -> None:
        self.path = path
        self.index = index
        self.warnings = warnings
        self.where = f"{path.name}, account #{index + 1}"

    def fail(self, text: str) -> ConfigError:
        return ConfigError(f"{self.where}: {text}", hint=f"Fix it in {self.path}.")

    def table(self, data: Mapping[str, Any], key: str, *, required: bool) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"the [{key}] table is missing.")
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{key} must be a table.")
        return value

    def strip_unknown(self, data: Mapping[str, Any], known: Iterable[str], label: str) -> None:
        known_set = set(known)
        for key in data:
            if key.lower() in SECRET_KEYS:
                self.warnings.append(
                    f"{self.where}: ignored the {label}{key!r} field: passwords are never kept "
                    "in this file (mailapp uses the system keyring or password_command). "
                    "Remove it; the next change through mailapp drops it."
                )
            elif key not in known_set:
                self.warnings.append(f"{self.where}: ignored the unknown field {label}{key!r}.")

    def need(self, data: Mapping[str, Any], key: str) -> str:
        value = self.text(data, key, required=True)
        assert value is not None  # text() raised otherwise
        return value

    def text(self, data: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key!r} is missing.")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{key!r} must be a string.")
        return value

    def number(self, data: Mapping[str, Any], key: str) -> int:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{key!r} must be a whole number.")
        return value

    def server(self, data: Mapping[str, Any], label: str) -> ServerSettings:
        security = self.need(data, "security")
        try:
            sec = Security(security)
        except ValueError:
            raise self.fail(
                f"{label}.security {security!r} is not one of: "
                + ", ".join(s.value for s in Security)
            ) from None
        return ServerSettings(
            host=self.need(data, "host"),
            port=self.number(data, "port"),
            security=sec,
            user=self.need(data, "user"),
        )

    def account(self, data: Mapping[str, Any]) -> Account:
        top_keys = ("name", "email", "display_name", "password_command", "separate_smtp_password")
        self.strip_unknown(data, (*top_keys, "incoming", "outgoing", "trust", "options"), "")
        name = self.need(data, "name")
        self.where = f"{self.path.name}, account {name!r}"
        incoming = self.table(data, "incoming", required=True)
        outgoing = self.table(data, "outgoing", required=True)
        trust = self.table(data, "trust", required=False)
        options = self.table(data, "options", required=False)
        self.strip_unknown(incoming, ("protocol", "host", "port", "security", "user"), "incoming.")
        self.strip_unknown(outgoing, ("host", "port", "security", "user"), "outgoing.")
        self.strip_unknown(trust, ("ca_file", "fingerprint"), "trust.")
        option_fields = {f.name: f for f in fields(AccountOptions)}
        self.strip_unknown(options, option_fields, "options.")
        protocol = self.need(incoming, "protocol")
        try:
            incoming_protocol = IncomingProtocol(protocol)
        except ValueError:
            raise self.fail(
                f"incoming.protocol {protocol!r} is not one of: "
                + ", ".join(p.value for p in IncomingProtocol)
            ) from None
        separate = data.get("separate_smtp_password", False)
        if not isinstance(separate, bool):
            raise self.fail("separate_smtp_password must be true or false.")
        account = Account(
            name=name,
            email=self.need(data, "email"),
            display_name=self.text(data, "display_name", required=False) or "",
            incoming_protocol=incoming_protocol,
            incoming=self.server(incoming, "incoming"),
            outgoing=self.server(outgoing, "outgoing"),
            trust=TlsTrust(
                ca_file=self.text(trust, "ca_file", required=False),
                fingerprint=self.text(trust, "fingerprint", required=False),
            ),
            password_command=self.text(data, "password_command", required=False),
            separate_smtp_password=separate,
            options=self.options(options),
        )
        try:
            validate_account(account)
        except ConfigError as exc:
            raise self.fail(exc.message) from None
        return account

    def options(self, data: Mapping[str, Any]) -> AccountOptions:
        defaults = AccountOptions()
        values: dict[str, Any] = {}
        for f in fields(AccountOptions):
            if f.name not in data:
                continue
            raw = data[f.name]
            default = getattr(defaults, f.name)
            if isinstance(default, ReadReceiptPolicy):
                try:
                    values[f.name] = ReadReceiptPolicy(raw)
                except ValueError:
                    raise self.fail(
                        f"options.{f.name} {raw!r} is not one of: "
                        + ", ".join(p.value for p in ReadReceiptPolicy)
                    ) from None
            elif isinstance(default, bool):
                if not isinstance(raw, bool):
                    raise self.fail(f"options.{f.name} must be true or false.")
                values[f.name] = raw
            elif isinstance(default, str):
                if not isinstance(raw, str):
                    raise self.fail(f"options.{f.name} must be a string.")
                values[f.name] = raw
            else:  # whole numbers (pop3_keep_days may be absent: None)
                if not isinstance(raw, int) or isinstance(raw, bool):
                    raise self.fail(f"options.{f.name} must be a whole number.")
                values[f.name] = raw
        return replace(defaults, **values)


def loads(text: str, path: Path, warnings: list[str] | None = None) -> list[Account]:
    """Parse accounts.toml text; `warnings` collects what was ignored."""
    sink = warnings if warnings is not None else []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}.", hint="Fix the file or restore a backup."
        ) from None
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError(
            f"{path} has no format_version; it is not a mailapp accounts file.",
            hint="Add `format_version = 1` at the top if it is one.",
        )
    if version > FORMAT_VERSION:
        raise ConfigError(
            f"{path} was written by a newer mailapp (format {version}); this version reads "
            f"format {FORMAT_VERSION} and will not change it.",
            hint="Update mailapp, or use another --profile.",
        )
    if version < 1:
        raise ConfigError(f"{path} has an invalid format_version {version}.")
    for key in data:
        if key.lower() in SECRET_KEYS:
            sink.append(f"{path.name}: ignored the top-level {key!r} field: no passwords here.")
        elif key not in ("format_version", "account"):
            sink.append(f"{path.name}: ignored the unknown top-level field {key!r}.")
    tables = data.get("account", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{path}: `account` must be written as [[account]] tables.")
    accounts: list[Account] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        account = _Reader(path, index, sink).account(table)
        if account.name.casefold() in seen:
            raise ConfigError(
                f"{path}: the account name {account.name!r} appears twice.",
                hint="Rename or remove one of them.",
            )
        seen.add(account.name.casefold())
        accounts.append(account)
    return accounts


# --- the registry --------------------------------------------------------------------------


def write_private_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text`: all or nothing, readable only by the user."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    if os.name == "posix":
        # The rename itself must survive a crash, so sync the directory entry too.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class AccountRegistry:
    """The accounts of one profile, backed by its accounts.toml.

    Every call re-reads the file, so a hand edit or another mailapp process is seen at once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # Sentences about ignored fields from the last read, for the UI or CLI to show.
        self.warnings: list[str] = []

    def load(self) -> list[Account]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.warnings = []
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Cannot read {self.path}: {exc}.") from exc
        warnings: list[str] = []
        accounts = loads(text, self.path, warnings)
        self.warnings = warnings
        for warning in warnings:
            log.info("%s", warning)  # the caller shows `warnings` to the person
        return accounts

    def _save(self, accounts: list[Account]) -> None:
        try:
            write_private_atomically(self.path, dumps(accounts))
        except OSError as exc:
            raise ConfigError(f"Cannot write {self.path}: {exc}.") from exc

    def get(self, name: str) -> Account:
        accounts = self.load()
        for account in accounts:
            if account.name == name:
                return account
        for account in accounts:
            if account.name.casefold() == name.casefold():
                return account
        raise AccountNotFoundError(
            f"There is no account named {name!r}.",
            hint="`mailapp account list` shows the accounts of this profile.",
        )

    def add(self, account: Account) -> None:
        validate_account(account)
        accounts = self.load()
        if any(a.name.casefold() == account.name.casefold() for a in accounts):
            raise AccountExistsError(
                f"An account named {account.name!r} already exists.",
                hint="Choose another name, or change it with `mailapp account edit`.",
            )
        self._save([*accounts, account])

    def update(self, account: Account, *, old_name: str | None = None) -> None:
        """Replace the account called `old_name` (default: the same name) in place."""
        validate_account(account)
        accounts = self.load()
        key = (old_name or account.name).casefold()
        index = next((i for i, a in enumerate(accounts) if a.name.casefold() == key), None)
        if index is None:
            raise AccountNotFoundError(f"There is no account named {old_name or account.name!r}.")
        if any(
            i != index and a.name.casefold() == account.name.casefold()
            for i, a in enumerate(accounts)
        ):
            raise AccountExistsError(f"An account named {account.name!r} already exists.")
        accounts[index] = account
        self._save(accounts)

    def remove(self, name: str) -> Account:
        accounts = self.load()
        target = self.get(name)
        self._save([a for a in accounts if a.name != target.name])
        return target
