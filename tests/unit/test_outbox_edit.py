"""Taking a queued message back for editing: the draft kept with each outbox entry, the atomic
withdrawal against the sending worker's lease, and the refusals (being sent, maybe sent,
taken by the server, queued without a draft). No network: the worker never gets to connect,
and the account's SMTP port (9, discard) has nothing listening on loopback."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from mailapp.app.cli.send import entry_json
from mailapp.core.delivery import OutboxState
from mailapp.core.draft import Attachment, DeliveryOptions, Draft, InlineImage, Mailbox, Notify
from mailapp.core.errors import LeaseLostError, MessageNotFoundError, OutboxEditError
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.engine.api import Engine
from mailapp.engine.drafts import DraftRef, LocalDrafts
from mailapp.engine.profile import Profile
from mailapp.protocols.mime.parse import extract_part, parse_message
from mailapp.secrets.memory import MemoryCredentialStore
from mailapp.store.delivery import now_utc
from mailapp.store.outbox import (
    EDIT_BEING_SENT,
    EDIT_MAYBE_SENT,
    EDIT_NO_DRAFT,
    EDIT_TAKEN,
    NewRecipient,
    Outcome,
    RcptReply,
)

SENDER = "ada@example.org"
OTHER_WORKER = "another-process"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return Engine(Profile.resolve(tmp_path / "profile").ensure(), MemoryCredentialStore())


@pytest.fixture
async def account(engine: Engine) -> str:
    account = Account(
        name="work",
        email=SENDER,
        display_name="Ada Sender",
        incoming_protocol=IncomingProtocol.POP3,
        incoming=ServerSettings("127.0.0.1", 9, Security.SSL, SENDER),
        outgoing=ServerSettings("127.0.0.1", 9, Security.SSL, SENDER),
    )
    await engine.add_account(account, "secret")
    return account.name


def simple(*to: str, subject: str = "Hello") -> Draft:
    return Draft(
        from_=Mailbox(SENDER, "Ada Sender"),
        to=tuple(Mailbox(a) for a in to),
        subject=subject,
        text_body="Hi.\n",
    )


async def queue(engine: Engine, account: str, draft: Draft, **kw: object) -> int:
    result = await engine.send(account, draft, wait=False, **kw)  # type: ignore[arg-type]
    return result.outbox_id


# -- the draft kept with the entry ------------------------------------------------------------


async def test_draft_round_trip_with_attachments_html_and_options(
    engine: Engine, account: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 quarterly numbers\n")
    draft = Draft(
        from_=Mailbox(SENDER, "Ada Sender"),
        to=(Mailbox("bob@example.net", "Bob"), Mailbox("carol@example.net")),
        cc=(Mailbox("dave@example.net", "Dave, the Boss"),),
        bcc=(Mailbox("eve@example.net"),),
        subject="Numbers — Q3",
        text_body="See attached.\n",
        html_body="<p>See <b>attached</b>.</p>",
        attachments=(
            Attachment.from_path(report),
            Attachment("notes.txt", "text/plain", data=b"forwarded, in memory\n"),
        ),
        in_reply_to="<orig@example.net>",
        references=("<orig@example.net>",),
        read_receipt=True,
        delivery=DeliveryOptions(notify=frozenset({Notify.FAILURE}), return_headers_only=False),
    )
    outbox_id = await queue(engine, account, draft, request_dsn=False)
    [entry] = await engine.outbox_entries()
    assert entry.has_draft and entry.editable and entry.edit_refusal is None
    # The person's file changes after sending: the edit gets the bytes that were queued.
    report.write_bytes(b"something else entirely")

    saved = await engine.edit_outbox(outbox_id)

    got = saved.draft
    assert saved.ref.account == account and saved.request_dsn is False
    assert (got.from_, got.to, got.cc, got.bcc) == (draft.from_, draft.to, draft.cc, draft.bcc)
    assert (got.subject, got.text_body, got.html_body) == (
        draft.subject,
        draft.text_body,
        draft.html_body,
    )
    assert (got.in_reply_to, got.references, got.read_receipt) == (
        draft.in_reply_to,
        draft.references,
        True,
    )
    assert got.delivery == draft.delivery
    assert [(a.filename, a.content_type) for a in got.attachments] == [
        ("report.pdf", None),
        ("notes.txt", "text/plain"),
    ]
    assert [a.read() for a in got.attachments] == [
        b"%PDF-1.4 quarterly numbers\n",
        b"forwarded, in memory\n",
    ]
    # Out of the outbox, and kept as a local draft (closing the composer loses nothing).
    assert await engine.outbox_entries() == []
    assert [r.local_id for r in await engine.list_drafts(account)] == [saved.ref.local_id]
    reopened = await engine.open_draft(saved.ref.local_id)
    assert reopened.draft == got and reopened.request_dsn is False

    # Sent again: a fresh entry, with a new Message-ID, carrying the same attachments.
    edited = await engine.send(account, got, request_dsn=False, wait=False)
    assert edited.outbox_id != outbox_id and edited.message_id != entry.message_id
    [again] = await engine.outbox_entries()
    assert again.editable
    raw = engine.sending.outbox.raw(again)
    parsed = parse_message(raw)
    contents = [extract_part(raw, part.part) for part in parsed.attachments]
    assert contents == [b"%PDF-1.4 quarterly numbers\n", b"forwarded, in memory\n"]


async def test_attachment_files_stay_referenced_while_queued(engine: Engine, account: str) -> None:
    draft = simple("bob@example.net")
    draft = Draft(
        from_=draft.from_,
        to=draft.to,
        attachments=(Attachment("a.bin", data=b"\x00\x01 kept"),),
    )
    outbox_id = await queue(engine, account, draft)
    outbox = engine.sending.outbox
    record = json.loads(outbox.draft_for_edit(outbox_id))
    [attachment] = record["attachments"]
    digest = Path(attachment["path"]).name
    assert digest in outbox.referenced_blobs()


async def test_a_draft_the_record_cannot_hold_is_queued_without_it(
    engine: Engine, account: str
) -> None:
    draft = Draft(
        from_=Mailbox(SENDER),
        to=(Mailbox("bob@example.net"),),
        html_body='<img src="cid:logo@x">',
        inline_images=(InlineImage("logo@x", "logo.png", "image/png", data=b"\x89PNG"),),
    )
    outbox_id = await queue(engine, account, draft)
    [entry] = await engine.outbox_entries()
    assert not entry.has_draft and entry.edit_refusal == EDIT_NO_DRAFT
    with pytest.raises(OutboxEditError):
        await engine.edit_outbox(outbox_id)


async def test_an_entry_queued_without_a_draft_says_why_it_cannot_be_edited(
    engine: Engine, account: str
) -> None:
    outbox = engine.sending.outbox
    entry = outbox.enqueue(
        account,
        raw=b"From: ada@example.org\r\nSubject: old\r\n\r\nbody\r\n",
        message_id="<old@example.org>",
        envelope_from=SENDER,
        recipients=[NewRecipient("bob@example.net")],
    )
    assert not entry.has_draft and not entry.editable
    assert entry.edit_refusal == EDIT_NO_DRAFT
    with pytest.raises(OutboxEditError) as caught:
        await engine.edit_outbox(entry.id)
    assert caught.value.message == EDIT_NO_DRAFT
    assert caught.value.code == "store.outbox.not_editable"
    assert caught.value.hint
    assert [e.id for e in await engine.outbox_entries()] == [entry.id]  # still there
    # `mailapp outbox --json` says so too.
    shown = entry_json(entry)
    assert (shown["editable"], shown["edit_refusal"]) == (False, EDIT_NO_DRAFT)
    queued_id = await queue(engine, account, simple("carol@example.net"))
    [fresh] = [e for e in await engine.outbox_entries() if e.id == queued_id]
    assert entry_json(fresh)["editable"] is True and entry_json(fresh)["edit_refusal"] is None
    with pytest.raises(MessageNotFoundError):
        await engine.edit_outbox(entry.id + 100)


# -- the race with the sending worker ----------------------------------------------------------


async def test_taken_back_entry_is_never_sent_even_when_the_worker_runs(
    engine: Engine, account: str
) -> None:
    outbox_id = await queue(engine, account, simple("bob@example.net"))
    saved = await engine.edit_outbox(outbox_id)
    report = await engine.run_outbox_once()
    assert report.attempted == 0
    assert engine.sending.outbox.get(outbox_id) is None
    assert engine.sending.outbox.claim_due(now_utc() + timedelta(days=1), OTHER_WORKER) == []
    assert saved.draft.subject == "Hello"


async def test_edit_refused_while_an_attempt_holds_the_lease(engine: Engine, account: str) -> None:
    outbox_id = await queue(engine, account, simple("bob@example.net"))
    outbox = engine.sending.outbox
    [claimed] = outbox.claim_due(now_utc(), OTHER_WORKER)
    assert claimed.edit_refusal == EDIT_BEING_SENT
    with pytest.raises(OutboxEditError) as caught:
        await engine.edit_outbox(outbox_id)
    assert caught.value.message == EDIT_BEING_SENT
    assert await engine.list_drafts() == []  # nothing left behind by the refused edit
    # The attempt ends with a temporary failure: now it can be edited.
    outbox.mark_deferred(outbox_id, OTHER_WORKER, error="Connection refused")
    assert outbox.get(outbox_id).editable  # type: ignore[union-attr]
    await engine.edit_outbox(outbox_id)
    assert outbox.get(outbox_id) is None


async def test_edit_refused_once_data_started_and_the_answer_never_came(
    engine: Engine, account: str
) -> None:
    outbox_id = await queue(engine, account, simple("bob@example.net"))
    outbox = engine.sending.outbox
    # A lease that has run out at once: the worker died.
    [claimed] = outbox.claim_due(now_utc(), OTHER_WORKER, lease_seconds=0)
    assert claimed.id == outbox_id
    outbox.mark_data_started(outbox_id, OTHER_WORKER)
    # The worker died during DATA; its lease has expired. The edit's own recovery makes the
    # entry uncertain and refuses: it may have been sent.
    with pytest.raises(OutboxEditError) as caught:
        await engine.edit_outbox(outbox_id)
    assert caught.value.message == EDIT_MAYBE_SENT
    entry = outbox.get(outbox_id)
    assert entry is not None and entry.state is OutboxState.UNCERTAIN
    assert entry.edit_refusal == EDIT_MAYBE_SENT
    assert await engine.list_drafts() == []


async def test_a_crashed_worker_before_data_loses_its_claim_to_the_edit(
    engine: Engine, account: str
) -> None:
    outbox_id = await queue(engine, account, simple("bob@example.net"))
    outbox = engine.sending.outbox
    [claimed] = outbox.claim_due(now_utc(), OTHER_WORKER, lease_seconds=0)
    assert claimed.id == outbox_id
    # Lease expired, DATA never started: the edit recovers the entry and takes it back.
    await engine.edit_outbox(outbox_id)
    assert outbox.get(outbox_id) is None
    # The old worker wakes up: its fence is gone, so it sends no DATA.
    with pytest.raises(LeaseLostError):
        outbox.mark_data_started(outbox_id, OTHER_WORKER)


async def test_a_worker_claiming_between_look_and_withdrawal_wins(
    engine: Engine, account: str
) -> None:
    outbox_id = await queue(engine, account, simple("bob@example.net"))
    outbox = engine.sending.outbox
    directory = engine.profile.root / "drafts"

    class ClaimWhileSaving(LocalDrafts):
        def write(self, ref: DraftRef, draft: Draft, request_dsn: bool | None, raw: bytes) -> None:
            super().write(ref, draft, request_dsn, raw)
            # Another process's worker claims the entry right now.
            assert [e.id for e in outbox.claim_due(now_utc(), OTHER_WORKER)] == [outbox_id]

    with pytest.raises(OutboxEditError) as caught:
        await engine.sending.take_back(outbox_id, ClaimWhileSaving(directory))
    assert caught.value.message == EDIT_BEING_SENT
    # The attempt goes on: the entry is the worker's, and the draft saved for it is gone again.
    entry = outbox.get(outbox_id)
    assert entry is not None and entry.state is OutboxState.SENDING
    assert entry.lease_owner == OTHER_WORKER
    assert LocalDrafts(directory).refs() == []
    outbox.mark_data_started(outbox_id, OTHER_WORKER)


async def test_no_edit_once_the_server_took_it_for_someone(engine: Engine, account: str) -> None:
    outbox_id = await queue(engine, account, simple("bob@example.net", "carol@example.net"))
    outbox = engine.sending.outbox
    outbox.claim_due(now_utc(), OTHER_WORKER)
    steps = outbox.record_steps(
        OTHER_WORKER,
        [
            Outcome.accepted(
                outbox_id,
                reply="2.0.0 Ok: queued as ABC",
                smtp_host="smtp.example.org",
                dsn_offered=True,
                replies=(
                    RcptReply("bob@example.net", 250, "2.1.5 Ok"),
                    RcptReply("carol@example.net", 450, "4.2.0 Mailbox busy"),
                ),
            )
        ],
    )
    assert steps[0].error is None
    entry = outbox.get(outbox_id)
    assert entry is not None and entry.state is OutboxState.DEFERRED  # carol waits
    assert entry.edit_refusal == EDIT_TAKEN  # but bob has it: an edit would duplicate
    with pytest.raises(OutboxEditError):
        await engine.edit_outbox(outbox_id)


async def test_a_failed_message_can_be_edited(engine: Engine, account: str) -> None:
    outbox_id = await queue(engine, account, simple("nobody@example.net", subject="Typo"))
    outbox = engine.sending.outbox
    outbox.claim_due(now_utc(), OTHER_WORKER)
    outbox.mark_failed(
        outbox_id, OTHER_WORKER, reason="refused", reply="5.1.1 No such user", reply_code=550
    )
    entry = outbox.get(outbox_id)
    assert entry is not None and entry.state is OutboxState.FAILED and entry.editable
    saved = await engine.edit_outbox(outbox_id)
    assert saved.draft.to == (Mailbox("nobody@example.net"),)
