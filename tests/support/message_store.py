"""Filling a profile's message store directly, for window tests: folders, N generated header
rows, and whole messages with bodies (as if synced).

Imported as `support.message_store`. Test-only: mailapp/ must never import it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from mailapp.store.folders import FolderRepository, FolderRole, FolderRow
from mailapp.store.messages import MessageFlag, MessageRepository, NewMessage

SENDERS = [
    ("Alice Archer", "alice@example.org"),
    ("Bob Baker", "bob@example.net"),
    ("Carol Chen", "carol@example.com"),
    ("Dmitri Dvořák", "dmitri@example.cz"),
    ("", "noreply@shop.example"),
]
WORDS = [
    *("invoice", "meeting", "report", "holiday", "budget"),
    *("release", "draft", "review", "lunch", "update"),
]
BASE = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def folder(engine, account: str, name: str, role: FolderRole | None = None) -> FolderRow:  # type: ignore[no-untyped-def]
    database, _ = engine._mail_store()
    return FolderRepository(database).upsert(account, name, delimiter="/", role=role)


def generate(count: int, *, seed: int = 7, unread_every: int = 3) -> list[NewMessage]:
    """Deterministic header rows: every `unread_every`-th unread, some starred or with
    attachments, dates one hour apart."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        name, addr = SENDERS[i % len(SENDERS)]
        flags = MessageFlag.NONE if i % unread_every == 0 else MessageFlag.SEEN
        if i % 7 == 0:
            flags |= MessageFlag.FLAGGED
        words = " ".join(rng.sample(WORDS, 3))
        out.append(
            NewMessage(
                uid=i + 1,
                internal_date=BASE + timedelta(hours=i),
                size=1000 + rng.randrange(200_000),
                flags=flags,
                subject=f"{words} #{i}",
                from_name=name,
                from_addr=addr,
                to="ada@example.org",
                has_attachment=i % 5 == 0,
                message_id=f"<m{i}@example.org>",
            )
        )
    return out


def add_rows(engine, folder_row: FolderRow, messages: list[NewMessage]) -> list[int]:  # type: ignore[no-untyped-def]
    database, _ = engine._mail_store()
    repo = MessageRepository(database)
    repo.insert_many(folder_row.id, messages, batch_size=10_000)
    return repo.ids(folder_row.id)


def add_message(  # type: ignore[no-untyped-def]
    engine, folder_row: FolderRow, raw: bytes, *, uid: int, unread: bool = True
) -> int:
    """Store a whole message (headers row + body file) as sync would; returns its id."""
    from mailapp.protocols.mime.parse import parse_message

    parsed = parse_message(raw)
    database, blobs = engine._mail_store()
    repo = MessageRepository(database)
    sender = parsed.from_[0] if parsed.from_ else None
    repo.insert_many(
        folder_row.id,
        [
            NewMessage(
                uid=uid,
                internal_date=parsed.date or BASE,
                size=len(raw),
                flags=MessageFlag.NONE if unread else MessageFlag.SEEN,
                date=parsed.date,
                subject=parsed.subject,
                from_name=sender.name if sender else "",
                from_addr=sender.addr if sender else "",
                to=", ".join(str(a) for a in parsed.to),
                has_attachment=bool(parsed.attachments),
                message_id=parsed.message_id,
            )
        ],
    )
    row = repo.by_uid(folder_row.id, uid)
    assert row is not None
    repo.set_body(row.id, blobs.put(raw, durable=False), body_text=parsed.text)
    return row.id


def html_message(
    *,
    subject: str,
    html: str,
    sender: str = "Newsletter <news@shop.example>",
    images: dict[str, bytes] | None = None,
    attachments: dict[str, bytes] | None = None,
    text: str | None = None,
) -> bytes:
    """multipart/mixed( multipart/related( alternative(text, html), cid images ), files )."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Ada Lovelace <ada@example.org>"
    message["Cc"] = "Bob Baker <bob@example.net>"
    message["Subject"] = subject
    message["Date"] = format_datetime(BASE)
    message["Message-ID"] = f"<{abs(hash(subject))}@shop.example>"
    message.set_content(text or "This message is best read as HTML.")
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]  # type: ignore[index]
    for cid, data in (images or {}).items():
        html_part.add_related(data, "image", "png", cid=f"<{cid}>")
    for name, data in (attachments or {}).items():
        message.add_attachment(data, "application", "octet-stream", filename=name)
    return message.as_bytes()


def png(colour: str = "#d33", size: int = 8) -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())
