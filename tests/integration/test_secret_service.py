"""mailapp.secrets against a real Secret Service: gnome-keyring-daemon on a private D-Bus.

Each test runs a child Python under `dbus-run-session` with a fresh HOME and a 0700
XDG_RUNTIME_DIR, where gnome-keyring-daemon is started unlocked; the child uses
mailapp.secrets exactly as the engine does and prints one JSON line of results. Nothing
touches the developer's own keyring or session bus.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
KEYRING_PASSWORD = "unlock-the-test-keyring"
PACKAGES = "gnome-keyring dbus"


def _require_binaries() -> None:
    missing = [b for b in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(b)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the Secret Service test needs the Debian packages "
            f"{PACKAGES} (apt-get install --no-install-recommends {PACKAGES}; tests/run.sh "
            "installs them when run as root)."
        )


def run_in_secret_service(tmp_path: Path, script: str) -> dict[str, Any]:
    """Run `script` in a child Python inside a private, unlocked Secret Service; its last
    stdout line is JSON, returned decoded."""
    _require_binaries()
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    runtime.chmod(0o700)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBUS_", "XDG_", "KEYRING_PROPERTY_", "GNOME_KEYRING"))
        and k not in {"PYTHON_KEYRING_BACKEND", "DISPLAY", "WAYLAND_DISPLAY", "HOME"}
    }
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYTHONPATH=str(REPO),
        KEYRING_UNLOCK=KEYRING_PASSWORD,
        MAILAPP_TEST_HOME=str(home),
    )
    shell = (
        'printf %s "$KEYRING_UNLOCK" | gnome-keyring-daemon --unlock --components=secrets '
        '--daemonize >/dev/null && exec "$0" -c "$1"'
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell, sys.executable, textwrap.dedent(script)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"child failed ({proc.returncode}):\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"child printed nothing; stderr:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


ROUND_TRIP = """
    import json, os, pathlib
    import secretstorage
    from mailapp.core.errors import SecretNotFoundError
    from mailapp.secrets.base import INCOMING, OUTGOING
    from mailapp.secrets.keyring_store import KeyringCredentialStore, SERVICE
    from mailapp.secrets.vault import open_default_store, resolve_password

    PW = "correct horse  battery ✓ staple"
    out = {}
    store = open_default_store()
    out["store"] = type(store).__name__
    out["backends"] = list(getattr(store, "backend_names", ()))
    out["description"] = store.description
    out["persistent"] = store.persistent
    out["before"] = store.get_password("work:eu", INCOMING)
    store.set_password("work:eu", INCOMING, "first")
    store.set_password("work:eu", INCOMING, PW)
    store.set_password("work:eu", OUTGOING, "smtp-only")
    out["got"] = store.get_password("work:eu", INCOMING) == PW
    out["outgoing"] = store.get_password("work:eu", OUTGOING)
    out["resolved"] = resolve_password(store, "work:eu", INCOMING, None) == PW

    # What the Secret Service itself holds, read without mailapp or keyring.
    bus = secretstorage.dbus_init()
    items = list(secretstorage.get_default_collection(bus).search_items(
        {"service": SERVICE, "username": "work:eu:incoming"}))
    out["items"] = len(items)
    out["item_secret_matches"] = bool(items) and items[0].get_secret().decode() == PW

    # gnome-keyring encrypts its files; nothing in HOME may hold the password in clear.
    home = pathlib.Path(os.environ["MAILAPP_TEST_HOME"])
    out["plaintext_files"] = [
        str(p) for p in home.rglob("*") if p.is_file() and PW.encode() in p.read_bytes()]

    store.delete_password("work:eu", INCOMING)
    out["after_delete"] = store.get_password("work:eu", INCOMING)
    out["outgoing_kept"] = store.get_password("work:eu", OUTGOING)
    store.delete_password("work:eu", INCOMING)  # already gone: not an error
    try:
        resolve_password(store, "work:eu", INCOMING, None)
        out["not_found"] = None
    except SecretNotFoundError as exc:
        out["not_found"] = str(exc)
    print(json.dumps(out))
"""


def test_password_round_trip_through_gnome_keyring(tmp_path: Path) -> None:
    out = run_in_secret_service(tmp_path, ROUND_TRIP)
    assert out["store"] == "KeyringCredentialStore"
    assert out["backends"] == ["keyring.backends.SecretService.Keyring"]
    assert out["description"] == "the system keyring (Secret Service)"
    assert out["persistent"] is True
    assert out["before"] is None
    assert out["got"] is True
    assert out["outgoing"] == "smtp-only"
    assert out["resolved"] is True
    assert out["items"] == 1
    assert out["item_secret_matches"] is True
    assert out["plaintext_files"] == []
    assert out["after_delete"] is None
    assert out["outgoing_kept"] == "smtp-only"
    assert out["not_found"] is not None
    assert "work:eu" in out["not_found"]
    assert "Secret Service" in out["not_found"]


LOCKED = """
    import json
    import secretstorage
    from mailapp.core.errors import SecretStoreLockedError
    from mailapp.secrets.vault import open_default_store

    store = open_default_store()
    store.set_password("work", "incoming", "sealed-away")
    secretstorage.get_default_collection(secretstorage.dbus_init()).lock()
    # Reading now needs an unlock prompt; without a display the prompt is dismissed.
    try:
        store.get_password("work", "incoming")
        out = {"error": None}
    except SecretStoreLockedError as exc:
        out = {"error": exc.code, "message": str(exc)}
    print(json.dumps(out))
"""


def test_locked_keyring_is_reported_as_locked(tmp_path: Path) -> None:
    out = run_in_secret_service(tmp_path, LOCKED)
    assert out["error"] == "secret.store_locked"
    assert "locked" in out["message"]
    assert "'work'" in out["message"]
    assert "sealed-away" not in out["message"]
