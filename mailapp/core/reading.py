"""What the reader shows of one received message: headers, safe HTML, text, attachments.

The engine builds these from the stored bytes (parse + sanitise); the window only displays
them. Imports: the standard library only.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

_EMPTY: Mapping[str, bytes] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    part: str  # IMAP part number; what save_attachment takes
    filename: str  # as the sender named it (display only, never a path)
    safe_name: str  # the harmless local name a save starts from
    content_type: str
    size: int  # decoded octets (approximate for attached messages)
    shown_inline: bool  # an image the HTML body already shows (cid:)


@dataclass(frozen=True, slots=True)
class LinkWarning:
    """A link whose visible text names another place than where it leads."""

    text: str
    href: str
    shown: str  # the host or address the text shows
    target: str  # the host or address the link really opens


@dataclass(frozen=True, slots=True)
class ReadableMessage:
    id: int
    account: str
    folder_id: int
    subject: str
    from_: tuple[str, ...]  # "Name <addr>" each
    sender_address: str  # the first From address, lower case ("" when none)
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None
    text: str  # plain text body (made from the HTML when there is no plain part)
    html: str | None  # sanitised HTML, None for a plain-text message
    remote_allowed: bool  # html keeps remote image URLs (sanitised with allow_remote)
    blocked_remote: int  # remote images removed from html (0 when remote_allowed)
    remote_hosts: tuple[str, ...]  # where the blocked images would have come from
    remote_images: tuple[str, ...]  # with remote_allowed: the image URLs html refers to
    link_warnings: tuple[LinkWarning, ...]
    attachments: tuple[AttachmentInfo, ...]
    unread: bool
    flagged: bool
    defects: tuple[str, ...] = ()
    # Content-ID (no brackets, lower case) -> the decoded bytes of that inline part.
    inline_parts: Mapping[str, bytes] = field(default_factory=lambda: _EMPTY)

    def inline_part(self, url: str) -> bytes | None:
        """The bytes a `cid:` URL of the HTML body refers to, None when it names no part."""
        value = url.strip()
        if value[:4].lower() == "cid:":
            value = urllib.parse.unquote(value[4:])
        return self.inline_parts.get(value.strip().strip("<>").lower())

    @property
    def listed_attachments(self) -> tuple[AttachmentInfo, ...]:
        """Attachments to offer as chips: inline images the body shows are left out."""
        return tuple(a for a in self.attachments if not a.shown_inline)
