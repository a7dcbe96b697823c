"""When a no-change resync may skip reading the folder's UIDs: only when SELECT shows the
complete folder exactly as stored (UIDNEXT, HIGHESTMODSEQ, message count, no QRESYNC news)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailapp.engine.sync.imap_sync import _unchanged
from mailapp.store.folders import FolderRow
from mailapp.transport.imap import MailboxState

FOLDER = FolderRow(
    id=1, account="a", name="INBOX", delimiter="/", role=None, subscribed=True, selectable=True,
    uidvalidity=7, uidnext=101, highestmodseq=500, total=100, unread=3,
)  # fmt: skip
STATE = MailboxState(
    name="INBOX", exists=100, uidvalidity=7, uidnext=101, highestmodseq=500, flags=(),
    permanent_flags=(), read_only=False,
)  # fmt: skip


def test_same_state_is_unchanged() -> None:
    assert _unchanged(FOLDER, STATE)


@pytest.mark.parametrize(
    "state",
    [
        replace(STATE, uidnext=102),  # new mail
        replace(STATE, uidnext=None),
        replace(STATE, highestmodseq=501),  # flags changed
        replace(STATE, highestmodseq=None),  # no CONDSTORE: flags must be fetched
        replace(STATE, exists=99),  # an expunge no cheaper method reported
        replace(STATE, vanished=(5,)),
    ],
)
def test_any_difference_means_a_real_sync(state: MailboxState) -> None:
    assert not _unchanged(FOLDER, state)


def test_an_unfinished_folder_is_never_unchanged() -> None:
    assert not _unchanged(replace(FOLDER, uidnext=None), STATE)
    assert not _unchanged(replace(FOLDER, highestmodseq=None), STATE)
