"""Which folder is the Inbox, Sent, Drafts, Trash, Junk, Archive: from a server's LIST.

Imports: protocols.imap types, store.folders (FolderRole) and the stdlib.

RFC 6154 special-use attributes decide first. Servers without them (and old Exchange) only
have names, so a role no folder claims by attribute is given to a folder whose last name
component is a well-known name for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailapp.protocols.imap import ListResponse
from mailapp.store.folders import FolderRole

_ATTRIBUTES: dict[str, FolderRole] = {
    "\\sent": FolderRole.SENT,
    "\\drafts": FolderRole.DRAFTS,
    "\\trash": FolderRole.TRASH,
    "\\junk": FolderRole.JUNK,
    "\\archive": FolderRole.ARCHIVE,
    "\\all": FolderRole.ALL,
    "\\flagged": FolderRole.FLAGGED,
}

# Names in the languages mailboxes are commonly created in, case-folded.
_NAMES: dict[str, FolderRole] = {
    name: role
    for role, names in (
        (
            FolderRole.SENT,
            ("sent", "sent items", "sent messages", "sent mail", "gesendet",
             "gesendete objekte", "gesendete elemente", "envoyés", "éléments envoyés",
             "enviados", "inviati", "posta inviata", "verzonden", "skickat", "wysłane"),
        ),
        (
            FolderRole.DRAFTS,
            ("drafts", "draft", "entwürfe", "brouillons", "borradores", "bozze", "concepten",
             "utkast", "kopie robocze"),
        ),
        (
            FolderRole.TRASH,
            ("trash", "deleted items", "deleted messages", "bin", "papierkorb",
             "gelöschte elemente", "gelöschte objekte", "corbeille", "papelera", "cestino",
             "prullenbak", "papperskorgen", "kosz"),
        ),
        (
            FolderRole.JUNK,
            ("junk", "spam", "junk e-mail", "junk email", "bulk mail", "junk mail",
             "unerwünscht", "courrier indésirable", "correo no deseado", "posta indesiderata"),
        ),
        (FolderRole.ARCHIVE, ("archive", "archives", "archiv", "archivio", "archivo")),
        (FolderRole.ALL, ("all mail",)),
    )
    for name in names
}  # fmt: skip


def is_inbox(name: str) -> bool:
    return name.upper() == "INBOX"


def attribute_role(listing: ListResponse) -> FolderRole | None:
    if is_inbox(listing.name):
        return FolderRole.INBOX
    for attribute in listing.attributes:
        role = _ATTRIBUTES.get(attribute.lower())
        if role is not None:
            return role
    return None


def name_role(name: str, delimiter: str | None) -> FolderRole | None:
    last = name.rsplit(delimiter, 1)[-1] if delimiter else name
    return _NAMES.get(last.strip().casefold())


def assign_roles(listings: Sequence[ListResponse]) -> dict[str, FolderRole]:
    """Folder name -> role. Each role goes to one folder: the attribute's holder, else the
    first (shallowest) folder whose name says it."""
    roles: dict[str, FolderRole] = {}
    taken: set[FolderRole] = set()
    for listing in listings:
        role = attribute_role(listing)
        if role is not None and role not in taken:
            roles[listing.name] = role
            taken.add(role)
    by_depth = sorted(
        listings,
        key=lambda item: (item.name.count(item.delimiter) if item.delimiter else 0, item.name),
    )
    for listing in by_depth:
        if listing.name in roles or not listing.selectable:
            continue
        role = name_role(listing.name, listing.delimiter)
        if role is not None and role not in taken:
            roles[listing.name] = role
            taken.add(role)
    return roles
