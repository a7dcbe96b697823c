"""Where a profile's files live: settings, the store, message files, logs.

Resolution order: an explicit directory (`--profile DIR`), then `MAILAPP_PROFILE`, then the
per-OS data directory from platformdirs. Imports: core, platformdirs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

PROFILE_ENV = "MAILAPP_PROFILE"


@dataclass(frozen=True, slots=True)
class Profile:
    root: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> Profile:
        if explicit:
            root = Path(explicit)
        elif os.environ.get(PROFILE_ENV):
            root = Path(os.environ[PROFILE_ENV])
        else:
            root = Path(platformdirs.user_data_dir("mailapp", appauthor=False, roaming=True))
        return cls(root.expanduser().absolute())

    def ensure(self) -> Profile:
        """Create the directory tree, private to the user (mail is personal data)."""
        for directory in (self.root, self.blobs_dir, self.logs_dir):
            directory.mkdir(parents=True, exist_ok=True)
            if os.name == "posix":
                directory.chmod(0o700)
        return self

    @property
    def accounts_file(self) -> Path:
        return self.root / "accounts.toml"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.toml"

    @property
    def database_file(self) -> Path:
        return self.root / "mail.sqlite3"

    @property
    def blobs_dir(self) -> Path:
        return self.root / "messages"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"
