"""Every message of the shared MIME corpus, delivered to the real Dovecot, synced into the
store and opened as the reader opens it: shown as text, its attachments listed, no exception.

The corpus is read in place (MAILAPP_CORPUS overrides the folder); the test skips only when the
folder is absent. Messages go straight to Dovecot's LMTP socket: Postfix would rewrap lines
longer than 998 octets, and the point is to keep each message as found.
"""

from __future__ import annotations

import json
import os
import smtplib
from pathlib import Path

import pytest
from support.mailstack import MailStack

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.protocols.mime.parse import parse_message
from mailapp.secrets.memory import MemoryCredentialStore

CORPUS = Path(
    os.environ.get("MAILAPP_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)
MIME = CORPUS / "mime"

pytestmark = pytest.mark.skipif(not MIME.is_dir(), reason=f"corpus folder absent: {MIME}")


def corpus_files() -> list[Path]:
    manifest = MIME / "manifest.jsonl"
    names = [json.loads(line)["file"] for line in manifest.read_text().splitlines() if line.strip()]
    return [MIME / name for name in names]


@pytest.mark.mailstack
async def test_every_corpus_message_is_stored_and_shown(
    mailstack: MailStack, tmp_path: Path
) -> None:
    user = mailstack.unique_user("corpus")
    socket_path = mailstack.directory / "dovecot" / "run" / "lmtp-postfix"
    files = corpus_files()
    assert len(files) >= 100
    originals: dict[str, bytes] = {}
    with smtplib.LMTP(str(socket_path), timeout=30) as lmtp:
        for path in files:
            raw = path.read_bytes()
            lmtp.sendmail("corpus@outside.test", [user.address], raw)
            originals[path.name] = raw

    engine = Engine(Profile(tmp_path / "profile").ensure(), MemoryCredentialStore())
    account = Account(
        name="corpus",
        email=user.address,
        display_name="Corpus",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(mailstack.host, mailstack.ports.imaps, Security.SSL, user.address),
        outgoing=ServerSettings(
            mailstack.host, mailstack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )
    await engine.add_account(account, user.password)
    await engine.sync_account("corpus")

    [inbox] = [f for f in engine.folder_rows("corpus") if f.name == "INBOX"]
    ids = engine.message_ids(inbox.id)
    assert len(ids) == len(files)

    def has_content(text: str, html: str | None, attachments: tuple[object, ...]) -> bool:
        return bool(text.strip() or html or attachments)

    # A few corpus messages are headers only (or empty parts); every other one must show
    # something.
    empty_originals = sum(
        not has_content(p.text, p.html, p.attachments)
        for p in (parse_message(raw) for raw in originals.values())
    )
    assert empty_originals <= 5
    shown = empty = listed = 0
    for message_id in ids:
        message = await engine.open_message(message_id)
        assert all(a.safe_name and "/" not in a.safe_name for a in message.attachments)
        shown += 1
        empty += not has_content(message.text, message.html, message.attachments)
        listed += len(message.listed_attachments)
    expected_attachments = sum(
        len([a for a in parse_message(raw).attachments if not a.shown_inline])
        for raw in originals.values()
    )
    print(f"corpus: {shown} messages shown ({empty} empty as found), {listed} attachments listed")
    assert shown == len(files)
    assert empty == empty_originals
    # Delivery prepends trace headers and Dovecot serves CRLF; the parts stay the same.
    assert listed == expected_attachments
