"""The Sent folder as the window lists it: the server's Sent folder joined with mailapp's tracking.

A person expects every message of the account's Sent folder there, also those sent by another
program (a phone, webmail). The synced server folder gives the rows; each row whose Message-ID
is a message mailapp sent carries its delivery summary, the others are "not tracked". Messages
mailapp sent that the server folder does not hold (yet: POP3 accounts, or sent before the next
sync) are listed from the outbox, once: a tracked message is never listed twice.

Also the source of a reply or forward whose original exists only in the outbox (`original_from_raw`
reads any message's bytes into a core.replies.Original, with its HTML part made safe to quote).

Imports: core, protocols.mime, store, engine.sending and the stdlib; never Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import nh3

from mailapp.core.draft import Attachment
from mailapp.core.errors import MailAppError
from mailapp.core.replies import Original, Person
from mailapp.engine.sending import SentSummary, normalize_message_id
from mailapp.protocols.mime.parse import Address, extract_part, parse_message
from mailapp.protocols.mime.sanitize import ALLOWED_TAGS, sanitize_html
from mailapp.store.db import Database
from mailapp.store.delivery import DeliveryRepository
from mailapp.store.folders import FolderRepository, FolderRole
from mailapp.store.messages import MessageRepository, MessageRow
from mailapp.store.outbox import OutboxRepository

DEFAULT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class SentFolderItem:
    """One row of the Sent folder.

    `stored_id` is the message in the synced server folder (None: only the outbox has it);
    `tracked` is mailapp's record of it (None: sent by another program, no tracking)."""

    account: str
    message_id: str | None  # with angle brackets
    subject: str
    to: str  # the recipients as one line
    date: datetime
    stored_id: int | None = None
    tracked: SentSummary | None = None

    @property
    def key(self) -> str:
        """Stays the same while the message is listed, also when its server copy appears
        after a sync (a tracked message is known by its outbox entry)."""
        if self.tracked is not None:
            return f"outbox:{self.tracked.entry.id}"
        return f"stored:{self.stored_id}"

    @property
    def outbox_id(self) -> int | None:
        return self.tracked.entry.id if self.tracked is not None else None


def _tracked_item(item: SentSummary, stored: MessageRow | None) -> SentFolderItem:
    entry = item.entry
    return SentFolderItem(
        account=entry.account,
        message_id=entry.message_id,
        subject=entry.subject,
        to=", ".join(r.address for r in entry.recipients),
        date=entry.sent_at or entry.queued_at,
        stored_id=stored.id if stored is not None else None,
        tracked=item,
    )


def _stored_item(row: MessageRow, account: str) -> SentFolderItem:
    return SentFolderItem(
        account=account,
        message_id=row.message_id,
        subject=row.subject,
        to=", ".join(part for part in (row.to, row.cc) if part),
        date=row.date,
        stored_id=row.id,
    )


def merge_sent(
    stored: Iterable[tuple[str, MessageRow]],
    tracked: Mapping[str, SentSummary],
    recent: Sequence[SentSummary],
    *,
    limit: int = DEFAULT_LIMIT,
) -> list[SentFolderItem]:
    """The Sent folder's rows, newest first, at most `limit`.

    `stored`: (account, row) of the server Sent folders; `tracked`: what mailapp sent, by
    normalised Message-ID (for those rows); `recent`: mailapp's newest sent messages, listed
    too when no stored row has their Message-ID."""
    items: list[SentFolderItem] = []
    listed: set[str] = set()
    for account, row in stored:
        mid = normalize_message_id(row.message_id) if row.message_id else None
        summary = tracked.get(mid) if mid is not None else None
        if summary is not None and mid is not None:
            if mid in listed:
                continue  # a second server copy of a tracked message
            listed.add(mid)
            items.append(_tracked_item(summary, row))
        else:
            items.append(_stored_item(row, account))
    for summary in recent:
        mid = normalize_message_id(summary.entry.message_id)
        if mid not in listed:
            listed.add(mid)
            items.append(_tracked_item(summary, None))
    # Newest first; ties by key so the order holds still between refreshes.
    items.sort(key=lambda i: (i.date, i.key), reverse=True)
    return items[: max(0, limit)]


def sent_folder_items(
    database: Database,
    outbox: OutboxRepository,
    delivery: DeliveryRepository,
    *,
    account: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[SentFolderItem]:
    """Read the store and the outbox and merge them (synchronous: run it in a thread)."""
    messages = MessageRepository(database)
    stored: list[tuple[str, MessageRow]] = []
    for folder in FolderRepository(database).folders(account):
        if folder.role is FolderRole.SENT:
            stored.extend((folder.account, r) for r in messages.window(folder.id, limit=limit))
    entries = {}
    for _, row in stored:
        if row.message_id:
            mid = normalize_message_id(row.message_id)
            entry = outbox.by_message_id(mid)
            if entry is not None:
                entries[mid] = entry
    recent = outbox.recent_sent(limit, account=account)
    ids = [e.id for e in entries.values()] + [e.id for e in recent]
    summaries = delivery.summaries(ids)
    tracked = {
        mid: SentSummary(entry, summaries[entry.id])
        for mid, entry in entries.items()
        if entry.id in summaries
    }
    recent_items = [SentSummary(e, summaries[e.id]) for e in recent if e.id in summaries]
    return merge_sent(stored, tracked, recent_items, limit=limit)


# -- replying to what is in the Sent folder -------------------------------------------------

# What a quoted HTML body keeps: the reader's allow-list without images (a quoted cid: or
# data: image would point at a part the answer does not carry).
_QUOTE_TAGS = set(ALLOWED_TAGS) - {"img"}
_QUOTE_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "dir"},
    "a": {"href"},
    "table": {"width", "border", "cellpadding", "cellspacing", "align", "bgcolor"},
    "tr": {"align", "valign", "bgcolor"},
    "td": {"colspan", "rowspan", "align", "valign", "width", "bgcolor"},
    "th": {"colspan", "rowspan", "align", "valign", "width", "bgcolor"},
    "font": {"color", "size", "face"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value"},
    **{tag: {"align"} for tag in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6")},
}


def quotable_html(markup: str) -> str:
    """A received HTML body made safe to quote: sanitised as the reader does (nothing that
    runs or fetches), then without images; "" when nothing is left."""
    safe = sanitize_html(markup, allow_remote=False).html
    cleaned = nh3.clean(
        safe,
        tags=_QUOTE_TAGS,
        attributes=_QUOTE_ATTRIBUTES,
        link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
    )
    return cleaned.strip()


def original_from_raw(
    raw: bytes, *, account: str, message_id: str | None = None, attachments: bool = False
) -> Original:
    """A message's bytes as Reply, Reply All and Forward need them (CPU work: in a thread).
    With `attachments` (Forward) every attachment's bytes are read too."""
    parsed = parse_message(raw)
    files: list[Attachment] = []
    if attachments:
        for part in parsed.attachments:
            try:
                data = extract_part(raw, part.part)
                files.append(Attachment(part.safe_name, part.content_type, data=data))
            except MailAppError:
                continue  # a part that cannot be read is not worth refusing for

    def people(values: Sequence[Address]) -> tuple[Person, ...]:
        return tuple(Person(a.name, a.addr) for a in values)

    html = quotable_html(parsed.html) if parsed.html is not None else ""
    return Original(
        account=account,
        subject=parsed.subject,
        from_=people(parsed.from_),
        reply_to=people(parsed.reply_to),
        to=people(parsed.to),
        cc=people(parsed.cc),
        date=parsed.date,
        message_id=parsed.message_id or message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        text=parsed.text,
        html=html or None,
        attachments=tuple(files),
    )
