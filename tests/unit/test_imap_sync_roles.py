"""Folder roles from LIST: special-use attributes first, well-known names as the fallback."""

from __future__ import annotations

from mailapp.engine.sync.roles import assign_roles, name_role
from mailapp.protocols.imap import ListResponse, parse_response
from mailapp.store.folders import FolderRole


def listing(line: str) -> ListResponse:
    response = parse_response(line.encode() + b"\r\n")
    assert isinstance(response, ListResponse)
    return response


def test_special_use_attributes_win_over_names() -> None:
    roles = assign_roles(
        [
            listing('* LIST () "/" INBOX'),
            listing('* LIST () "/" Sent'),
            listing('* LIST (\\Sent) "/" "Outgoing mail"'),
            listing('* LIST (\\HasNoChildren \\Trash) "/" Bin'),
        ]
    )
    assert roles == {
        "INBOX": FolderRole.INBOX,
        "Outgoing mail": FolderRole.SENT,
        "Bin": FolderRole.TRASH,
    }


def test_names_fallback_without_special_use() -> None:
    roles = assign_roles(
        [
            listing('* LIST () "." inbox'),
            listing('* LIST () "." "Sent Items"'),
            listing('* LIST () "." "Deleted Items"'),
            listing('* LIST () "." Drafts'),
            listing('* LIST () "." "Junk E-mail"'),
            listing('* LIST () "." Archive.Sent'),  # deeper: Sent Items keeps the role
            listing('* LIST (\\Noselect) "." Spam'),  # not selectable: no role by name
        ]
    )
    assert roles["inbox"] is FolderRole.INBOX
    assert roles["Sent Items"] is FolderRole.SENT
    assert roles["Deleted Items"] is FolderRole.TRASH
    assert roles["Drafts"] is FolderRole.DRAFTS
    assert roles["Junk E-mail"] is FolderRole.JUNK
    assert "Archive.Sent" not in roles
    assert "Spam" not in roles


def test_modified_utf7_names_are_matched_decoded() -> None:
    roles = assign_roles([listing('* LIST () "/" "Entw&APw-rfe"')])
    assert roles == {"Entwürfe": FolderRole.DRAFTS}


def test_gmail_style_hierarchy() -> None:
    assert name_role("[Gmail]/All Mail", "/") is FolderRole.ALL
    assert name_role("[Gmail]/Sent Mail", "/") is FolderRole.SENT
    assert name_role("Projects", "/") is None
    assert name_role("Sent", None) is FolderRole.SENT
