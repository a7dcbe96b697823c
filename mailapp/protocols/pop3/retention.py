"""Which POP3 messages to download and which to delete: UIDL bookkeeping, as pure logic.

The server's UIDL map says what is there now; the local record says which ids were stored
and when. `keep_days` is the account's choice: None leaves mail on the server forever, 0
deletes each message once it is safely stored, N deletes it N days after it was stored. Only
ids we hold a stored copy of are ever deleted. Imports: the standard library and core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailapp.core.errors import ConfigError

__all__ = ["DownloadPlan", "plan_download"]


@dataclass(frozen=True, slots=True)
class DownloadPlan:
    """`download`: message numbers to fetch, in server order. `delete`: numbers of messages
    stored earlier that are due now. `delete_after_download`: also DELE each message of
    `download` once it is stored (keep_days == 0). `forget`: local ids no longer on the
    server, whose bookkeeping may be dropped."""

    download: tuple[int, ...]
    delete: tuple[int, ...]
    delete_after_download: bool
    forget: frozenset[str]


def plan_download(
    server: Mapping[int, str],
    stored: Mapping[str, datetime],
    keep_days: int | None,
    now: datetime,
) -> DownloadPlan:
    """Plan one POP3 session from the UIDL map and the local {uid: stored_at} record.

    `now` and the stored dates must be alike (all aware or all naive).
    """
    if keep_days is not None and (isinstance(keep_days, bool) or keep_days < 0):
        raise ConfigError(
            f"pop3_keep_days must be empty (keep forever), 0 or a number of days, not "
            f"{keep_days!r}."
        )
    numbers = sorted(server)
    download = tuple(n for n in numbers if server[n] not in stored)
    delete: tuple[int, ...] = ()
    if keep_days is not None:
        age = timedelta(days=keep_days)
        delete = tuple(n for n in numbers if server[n] in stored and now - stored[server[n]] >= age)
    on_server = set(server.values())
    forget = frozenset(uid for uid in stored if uid not in on_server)
    return DownloadPlan(download, delete, keep_days == 0, forget)
