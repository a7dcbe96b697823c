"""The Engine's account calls with an in-memory credential store: where passwords go and where
they never go."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mailapp.core.errors import AccountExistsError, AccountNotFoundError, ConfigError
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.engine.api import Engine
from mailapp.secrets.base import INCOMING, OUTGOING
from mailapp.secrets.memory import MemoryCredentialStore

PASSWORD = "s3cret-Pa55"


def make_account(name: str = "work", **changes: object) -> Account:
    account = Account(
        name=name,
        email="alice@example.test",
        display_name="Alice",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings("127.0.0.1", 993, Security.SSL, "alice"),
        outgoing=ServerSettings("127.0.0.1", 465, Security.SSL, "alice"),
    )
    return replace(account, **changes)  # type: ignore[arg-type]


@pytest.fixture
def store() -> MemoryCredentialStore:
    return MemoryCredentialStore(description="test keyring", persistent=True)


@pytest.fixture
def engine(tmp_path: Path, store: MemoryCredentialStore) -> Engine:
    return Engine.open(str(tmp_path / "profile"), credentials=store)


def profile_bytes(engine: Engine) -> bytes:
    return b"".join(p.read_bytes() for p in engine.profile.root.rglob("*") if p.is_file())


async def test_add_keeps_the_password_in_the_store_only(
    engine: Engine, store: MemoryCredentialStore
) -> None:
    await engine.add_account(make_account(), PASSWORD)
    assert store.get_password("work", INCOMING) == PASSWORD
    assert store.get_password("work", OUTGOING) is None  # SMTP shares the incoming one
    assert engine.list_accounts() == [make_account()]
    assert PASSWORD.encode() not in profile_bytes(engine)
    assert engine.credentials_persistent and engine.credentials_description == "test keyring"


async def test_add_needs_a_password_source(engine: Engine) -> None:
    with pytest.raises(ConfigError, match="password or a password command"):
        await engine.add_account(make_account(), None)
    with pytest.raises(ConfigError, match="not both"):
        await engine.add_account(make_account(password_command="echo x"), PASSWORD)
    assert engine.list_accounts() == []


async def test_add_refuses_a_duplicate_and_keeps_the_first_password(
    engine: Engine, store: MemoryCredentialStore
) -> None:
    await engine.add_account(make_account(), PASSWORD)
    with pytest.raises(AccountExistsError):
        await engine.add_account(make_account("WORK"), "other")
    assert store.get_password("work", INCOMING) == PASSWORD


async def test_separate_smtp_password(engine: Engine, store: MemoryCredentialStore) -> None:
    saved = await engine.add_account(make_account(), PASSWORD, "smtp-pw")
    assert saved.separate_smtp_password
    assert store.get_password("work", OUTGOING) == "smtp-pw"
    # Back to one password: the separate one is deleted.
    await engine.update_account(replace(saved, separate_smtp_password=False))
    assert store.get_password("work", OUTGOING) is None
    assert store.get_password("work", INCOMING) == PASSWORD


async def test_password_command_replaces_the_stored_password(
    engine: Engine, store: MemoryCredentialStore
) -> None:
    await engine.add_account(make_account(), PASSWORD)
    await engine.update_account(make_account(password_command="pass show mail"))
    assert store.get_password("work", INCOMING) is None
    assert engine.get_account("work").password_command == "pass show mail"
    # Dropping the command again needs a password.
    with pytest.raises(ConfigError, match="password or a password command"):
        await engine.update_account(make_account())
    await engine.update_account(make_account(), "new-pw")
    assert store.get_password("work", INCOMING) == "new-pw"


async def test_rename_moves_the_passwords(engine: Engine, store: MemoryCredentialStore) -> None:
    await engine.add_account(make_account(), PASSWORD, "smtp-pw")
    await engine.update_account(make_account("job", separate_smtp_password=True), old_name="work")
    assert store.get_password("job", INCOMING) == PASSWORD
    assert store.get_password("job", OUTGOING) == "smtp-pw"
    assert store.get_password("work", INCOMING) is None
    assert [a.name for a in engine.list_accounts()] == ["job"]


async def test_remove_deletes_the_passwords(engine: Engine, store: MemoryCredentialStore) -> None:
    await engine.add_account(make_account(), PASSWORD, "smtp-pw")
    removed = await engine.remove_account("work")
    assert removed.name == "work"
    assert store.get_password("work", INCOMING) is None
    assert store.get_password("work", OUTGOING) is None
    with pytest.raises(AccountNotFoundError):
        engine.get_account("work")


async def test_test_account_without_a_saved_password_says_so(
    tmp_path: Path,
) -> None:
    session = MemoryCredentialStore(description="this session only", persistent=False)
    engine = Engine.open(str(tmp_path), credentials=session)
    await engine.add_account(make_account(), PASSWORD)
    restarted = Engine.open(str(tmp_path), credentials=MemoryCredentialStore())
    with pytest.raises(Exception, match="No password"):
        await restarted.test_account("work")
