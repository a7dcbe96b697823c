"""Queue a message that the outbox may not take before a given moment: the composer's Undo.

While the moment has not come, no outbox worker (this window's, or `mailapp outbox run` in
another process) claims the entry, so deleting it is a true undo: nothing went out. This is
SendingService.enqueue with SendOptions.send_at set; when the sending work grows a `send_at`
parameter of its own, this module can go.

Imports: core, engine.sending.
"""

from __future__ import annotations

from datetime import datetime

from mailapp.core.draft import Draft
from mailapp.core.model import Account
from mailapp.engine.sending import SendingService, SendResult


async def enqueue_not_before(
    service: SendingService,
    account: Account,
    draft: Draft,
    *,
    send_at: datetime,
    request_dsn: bool | None = None,
) -> SendResult:
    """Compose (in a thread: attachments are read now) and store durably, due at `send_at`.
    Raises InvalidDraftError (an attachment that cannot be read), HeaderInjectionError."""
    # SendingService.enqueue has its send_at now, and keeps the draft for editing.
    entry = await service.enqueue(account, draft, request_dsn=request_dsn, send_at=send_at)
    return await service.result(entry.id)
