"""The bulk header sync's fast path (convert.header_values) on what the real Dovecot answers
for the shared corpus (MIME, DSN and MDN mails, delivered as found): the same row values as
the general path (build_fetch, new_message, row_values) for every message.

The corpus is read in place (MAILAPP_CORPUS overrides the folder); skips only when absent."""

from __future__ import annotations

import asyncio
import json
import os
import smtplib
from pathlib import Path
from typing import Any

import pytest
from support.mailstack import MailStack

from mailapp.core.errors import AuthFailedError
from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.engine.sync.convert import header_items, header_values, new_message
from mailapp.protocols.imap import FetchResponse, PreparedFetch, Response, ResponseParser
from mailapp.store.messages import row_values
from mailapp.transport.imap import ImapClient

CORPUS = Path(
    os.environ.get("MAILAPP_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)
KINDS = ("mime", "dsn", "mdn")

pytestmark = pytest.mark.skipif(
    not (CORPUS / "mime").is_dir(), reason=f"corpus folder absent: {CORPUS}"
)


def corpus_files() -> list[Path]:
    files = []
    for kind in KINDS:
        manifest = CORPUS / kind / "manifest.jsonl"
        if not manifest.is_file():
            continue
        for line in manifest.read_text().splitlines():
            if line.strip():
                files.append(CORPUS / kind / json.loads(line)["file"])
    return files


async def logged_in(stack: MailStack, address: str, password: str) -> ImapClient:
    for attempt in range(10):
        client = ImapClient(
            ServerSettings(stack.host, stack.ports.imaps, Security.SSL, address),
            TlsTrust(ca_file=str(stack.ca_file)),
            timeout=30,
        )
        await client.connect()
        try:
            await client.login(password)
            return client
        except AuthFailedError:
            await client.close()
            if attempt == 9:
                raise
            await asyncio.sleep(0.3)
    raise AssertionError("unreachable")


@pytest.mark.mailstack
async def test_fast_rows_equal_general_rows_for_the_corpus(mailstack: MailStack) -> None:
    user = mailstack.unique_user("hvals")
    socket_path = mailstack.directory / "dovecot" / "run" / "lmtp-postfix"
    files = corpus_files()
    assert len(files) >= 100
    with smtplib.LMTP(str(socket_path), timeout=30) as lmtp:
        for path in files:
            lmtp.sendmail("corpus@outside.test", [user.address], path.read_bytes())

    client = await logged_in(mailstack, user.address, user.password)
    try:
        await client.select("INBOX")
        got: list[Response] = []

        async def collect(batch: list[Response]) -> None:
            got.extend(batch)

        await client.uid_fetch(
            "1:*", header_items(client.condstore), on_batch=collect, prepare=header_values
        )
    finally:
        await client.logout()

    prepared = [r for r in got if isinstance(r, PreparedFetch)]
    assert len(got) == len(files)
    # Nearly every answer is in the regular shape (the rest: enclosed messages and such).
    assert len(prepared) >= len(files) // 2
    general = ResponseParser()
    for response in got:
        assert isinstance(response, PreparedFetch | FetchResponse)
        fetch: Any = general.parse(response.raw)
        assert isinstance(fetch, FetchResponse)
        if isinstance(response, PreparedFetch):
            row = new_message(fetch)
            assert row is not None
            assert response.value == row_values(row), fetch.raw[:300]
        else:
            assert response == fetch
