"""Queue a message that the outbox may not take before a given moment: the composer's Undo.

While the moment has not come, no outbox worker (this window's, or `mailapp outbox run` in
another process) claims the entry, so deleting it is a true undo: nothing went out. This is
SendingService.enqueue with SendOptions.send_at set; when the sending work grows a `send_at`
parameter of its own, this module can go.

Imports: core, protocols (compose), store (outbox), engine.sending.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from mailapp.core.draft import Draft
from mailapp.core.model import Account
from mailapp.engine.sending import USER_AGENT, SendingService, SendResult
from mailapp.protocols.mime.compose import compose
from mailapp.store.outbox import SendOptions, recipients_from_draft


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
    if request_dsn is None:
        request_dsn = account.options.request_delivery_reports
    composed = await asyncio.to_thread(
        compose,
        draft,
        message_id_domain=draft.from_.ascii_domain,
        smtputf8_allowed=True,
        user_agent=USER_AGENT,
    )
    recipients = recipients_from_draft(draft, composed.envelope_recipients)
    options = SendOptions.for_draft(draft, request_dsn=request_dsn, send_at=send_at)
    entry = await asyncio.to_thread(
        service.outbox.enqueue_composed,
        account.name,
        composed,
        recipients,
        options,
        subject=draft.subject,
    )
    return await service.result(entry.id)
