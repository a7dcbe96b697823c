"""The download/delete plan from UIDL: keep forever, delete after download, or after N days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailapp.core.errors import ConfigError
from mailapp.protocols.pop3.retention import DownloadPlan, plan_download

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SERVER = {1: "old", 2: "week", 3: "fresh", 4: "new-a", 5: "new-b"}
STORED = {
    "old": NOW - timedelta(days=30),
    "week": NOW - timedelta(days=7),
    "fresh": NOW - timedelta(hours=1),
    "gone": NOW - timedelta(days=2),  # deleted on the server by another client
}


def test_keep_forever_downloads_only_new_ones() -> None:
    plan = plan_download(SERVER, STORED, None, NOW)
    assert plan == DownloadPlan((4, 5), (), False, frozenset({"gone"}))


def test_delete_after_download() -> None:
    plan = plan_download(SERVER, STORED, 0, NOW)
    assert plan.download == (4, 5)
    assert plan.delete == (1, 2, 3)
    assert plan.delete_after_download


def test_delete_after_n_days_counts_from_the_download() -> None:
    assert plan_download(SERVER, STORED, 7, NOW).delete == (1, 2)  # exactly 7 days is due
    assert plan_download(SERVER, STORED, 8, NOW).delete == (1,)
    assert plan_download(SERVER, STORED, 31, NOW).delete == ()
    assert not plan_download(SERVER, STORED, 7, NOW).delete_after_download


def test_never_deletes_what_was_not_stored() -> None:
    plan = plan_download(SERVER, {}, 0, NOW)
    assert plan.delete == () and plan.download == (1, 2, 3, 4, 5)


def test_server_order_is_kept_whatever_the_mapping_order() -> None:
    plan = plan_download({3: "c", 1: "a", 2: "b"}, {}, None, NOW)
    assert plan.download == (1, 2, 3)


@pytest.mark.parametrize("bad", [-1, True])
def test_bad_keep_days(bad: int) -> None:
    with pytest.raises(ConfigError):
        plan_download(SERVER, STORED, bad, NOW)
