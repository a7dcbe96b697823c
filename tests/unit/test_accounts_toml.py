"""accounts.toml: the serializer round-trips through tomllib, the reader refuses what it must,
and the registry writes atomically and privately."""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from mailapp.engine.accounts import AccountRegistry, dumps, loads, toml_string

FP = ":".join(["AB"] * 32)


def make_account(name: str = "work", **changes: object) -> Account:
    account = Account(
        name=name,
        email="alice@example.test",
        display_name="Alice Example",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings("imap.example.test", 993, Security.SSL, "alice"),
        outgoing=ServerSettings("smtp.example.test", 587, Security.STARTTLS, "alice"),
    )
    return replace(account, **changes)  # type: ignore[arg-type]


# Any text TOML can hold: no lone surrogates (not encodable as UTF-8).
toml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(toml_text)
def test_toml_string_round_trips_any_text(value: str) -> None:
    assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


@pytest.mark.parametrize(
    "value",
    ['say "hi"', "back\\slash", "two\nlines", "tab\there", "cr\rlf", "\x00\x1f\x7f", "é ☃ 𝄞"],
)
def test_toml_string_escapes_awkward_characters(value: str) -> None:
    written = toml_string(value)
    assert "\n" not in written and "\r" not in written
    assert tomllib.loads(f"v = {written}")["v"] == value


printable_name = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s == s.strip())


@settings(max_examples=60)
@given(
    name=printable_name,
    display=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    command=st.one_of(
        st.none(),
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
            min_size=1,
            max_size=40,
        ).filter(str.strip),
    ),
    user=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
        min_size=1,
        max_size=30,
    ),
    keep=st.one_of(st.none(), st.integers(0, 3650)),
    folder=toml_text,
)
def test_accounts_round_trip(  # noqa: PLR0917 - one parameter per hypothesis strategy
    name: str, display: str, command: str | None, user: str, keep: int | None, folder: str
) -> None:
    account = make_account(
        name,
        display_name=display,
        password_command=command,
        incoming=ServerSettings("127.0.0.1", 143, Security.STARTTLS, user),
        trust=TlsTrust(ca_file='/tmp/a "quoted" \\dir/ca.pem', fingerprint=FP),
        options=AccountOptions(
            pop3_keep_days=keep,
            reports_folder=folder,
            read_receipt_replies=ReadReceiptPolicy.NEVER,
        ),
    )
    text = dumps([account, make_account("other")])
    assert loads(text, Path("accounts.toml")) == [account, make_account("other")]


def test_file_is_versioned_and_readable() -> None:
    text = dumps([make_account()])
    assert text.splitlines()[0] == "format_version = 1"
    assert "[[account]]" in text
    assert "[account.incoming]" in text
    assert 'security = "starttls"' in text
    assert not any(line.startswith("password ") for line in text.splitlines())


def test_newer_format_is_refused_clearly() -> None:
    with pytest.raises(ConfigError, match=r"newer mailapp \(format 2\)") as info:
        loads("format_version = 2\n", Path("accounts.toml"))
    assert info.value.hint and "Update mailapp" in info.value.hint


def test_missing_format_version_is_refused() -> None:
    with pytest.raises(ConfigError, match="no format_version"):
        loads("[[account]]\nname = 'x'\n", Path("accounts.toml"))


def test_invalid_toml_is_reported() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        loads("format_version = = 1", Path("accounts.toml"))


def test_hand_written_password_is_ignored_with_a_warning() -> None:
    text = dumps([make_account()])
    text = text.replace(
        'display_name = "Alice Example"', 'display_name = "Alice Example"\npassword = "hunter2"'
    )
    text = text.replace('user = "alice"\n', 'user = "alice"\nsmtp_password = "x"\n', 1)
    warnings: list[str] = []
    [account] = loads(text, Path("accounts.toml"), warnings)
    assert account == make_account()
    assert any("'password'" in w and "never kept" in w for w in warnings)
    assert any("'smtp_password'" in w for w in warnings)
    # Writing back drops it.
    assert "hunter2" not in dumps([account])


def test_unknown_fields_are_ignored_with_a_warning() -> None:
    text = dumps([make_account()]).replace("[account.incoming]", "colour = 1\n[account.incoming]")
    warnings: list[str] = []
    loads(text, Path("accounts.toml"), warnings)
    assert any("'colour'" in w for w in warnings)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('security = "ssl"', 'security = "plain"', "not one of: ssl, starttls"),
        ('protocol = "imap"', 'protocol = "jmap"', "not one of: imap, pop3"),
        ("port = 993", "port = 99999", "not between 1 and 65535"),
        ("port = 993", 'port = "993"', "whole number"),
        ('email = "alice@example.test"', 'email = "alice"', "not an email address"),
        ('host = "imap.example.test"', 'host = "imap example"', "not a host name"),
    ],
)
def test_invalid_values_name_the_problem(old: str, new: str, message: str) -> None:
    text = dumps([make_account()]).replace(old, new, 1)
    with pytest.raises(ConfigError, match=message) as info:
        loads(text, Path("accounts.toml"))
    assert "'work'" in info.value.message


def test_duplicate_names_are_refused() -> None:
    text = dumps([make_account("Work"), make_account("work")])
    with pytest.raises(ConfigError, match="appears twice"):
        loads(text, Path("accounts.toml"))


def test_relative_ca_file_is_refused() -> None:
    text = dumps([make_account(trust=TlsTrust(ca_file="/x/ca.pem"))]).replace(
        '"/x/ca.pem"', '"ca.pem"'
    )
    with pytest.raises(ConfigError, match="absolute path"):
        loads(text, Path("accounts.toml"))


def test_registry_writes_privately_and_atomically(tmp_path: Path) -> None:
    registry = AccountRegistry(tmp_path / "accounts.toml")
    assert registry.load() == []
    registry.add(make_account())
    registry.add(make_account("home", email="h@example.test"))
    mode = stat.S_IMODE(os.stat(registry.path).st_mode)
    assert mode == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.toml"]  # no temp left
    assert [a.name for a in registry.load()] == ["work", "home"]


def test_registry_add_update_remove(tmp_path: Path) -> None:
    registry = AccountRegistry(tmp_path / "accounts.toml")
    registry.add(make_account())
    with pytest.raises(AccountExistsError):
        registry.add(make_account("WORK"))
    registry.update(make_account(display_name="New"))
    assert registry.get("work").display_name == "New"
    assert registry.get("Work").name == "work"  # names match case-insensitively
    registry.update(make_account("job"), old_name="work")
    with pytest.raises(AccountNotFoundError):
        registry.get("work")
    assert registry.remove("job").name == "job"
    assert registry.load() == []


def test_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = AccountRegistry(tmp_path / "accounts.toml")
    registry.add(make_account())
    before = registry.path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ConfigError, match="Cannot write"):
        registry.add(make_account("home"))
    assert registry.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.toml"]
