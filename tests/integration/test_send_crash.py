"""kill -9 in the middle of a 200-message outbox, then a restart: every message is accounted
for, and none reaches the destination twice.

The messages go through the real Postfix to x@relay.test, which ends in smtp-sink; every
message the sink received is counted by Message-ID. A separate process runs the worker (with
short leases, so the restart need not wait minutes for the killed process's leases to run
out) and is killed with SIGKILL once about a third has been sent.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.mailstack import MailStack

from mailapp.core.delivery import OutboxState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.secrets.memory import MemoryCredentialStore

pytestmark = [pytest.mark.mailstack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
COUNT = 200
LEASE = 3
WORKER = f"""
import asyncio, sys
from mailapp.engine.api import Engine
engine = Engine.open(sys.argv[1])
engine.sending.worker.lease_seconds = {LEASE}
engine.sending.worker.data_lease_seconds = {LEASE}
asyncio.run(engine.run_outbox_once())
"""
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


def start_worker(profile: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(profile)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def sink_ids(mailstack: MailStack, tag: bytes) -> collections.Counter[bytes]:
    found: collections.Counter[bytes] = collections.Counter()
    for raw in mailstack.sink_messages():
        if tag in raw:
            match = _MESSAGE_ID.search(raw)
            assert match is not None, raw[:500]
            found[match.group(1)] += 1
    return found


async def test_kill_9_mid_queue_then_restart(mailstack: MailStack, tmp_path: Path) -> None:
    user = mailstack.unique_user("crash")
    secret = tmp_path / "pw.txt"
    secret.write_text(user.password + "\n")
    profile = tmp_path / "profile"
    engine = Engine(Profile.resolve(profile).ensure(), MemoryCredentialStore())
    host, ports = mailstack.host, mailstack.ports
    await engine.add_account(
        Account(
            name="bulk",
            email=user.address,
            display_name="Bulk",
            incoming_protocol=IncomingProtocol.IMAP,
            incoming=ServerSettings(host, ports.imap, Security.STARTTLS, user.address),
            outgoing=ServerSettings(host, ports.submission, Security.STARTTLS, user.address),
            trust=TlsTrust(ca_file=str(mailstack.ca_file)),
            password_command=f"cat '{secret}'",
        ),
        None,
    )
    tag = f"crash-{secrets.token_hex(6)}"
    ids = []
    for number in range(COUNT):
        draft = Draft(
            from_=Mailbox(user.address),
            to=(Mailbox("x@relay.test"),),
            subject=f"{tag} {number}",
            text_body=f"Message {number} of {COUNT}.\n",
        )
        result = await engine.send("bulk", draft, request_dsn=False, wait=False)
        ids.append(result.message_id)
    assert len(await engine.outbox_entries()) == COUNT

    async def sent_count() -> int:
        return len(await engine.recent_sent(COUNT + 10))

    worker = start_worker(profile)
    deadline = time.monotonic() + 120
    while await sent_count() < COUNT // 3:
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        assert time.monotonic() < deadline, "the worker sends nothing"
        await asyncio.sleep(0.02)
    assert worker.poll() is None, "the worker finished before it could be killed"
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    at_kill = await engine.outbox_entries()
    assert at_kill, "nothing was left when the worker died"
    print("at kill:", collections.Counter(str(e.state) for e in at_kill))

    # The killed process's leases run out; a new process takes over and finishes.
    await asyncio.sleep(LEASE + 1)
    restarted = start_worker(profile)
    _, errors = await asyncio.to_thread(restarted.communicate, timeout=180)
    assert restarted.returncode == 0, errors.decode()

    # Every message is accounted for: sent, or uncertain (never sent again without the person).
    left = await engine.outbox_entries()
    assert {e.state for e in left} <= {OutboxState.UNCERTAIN}, [(e.id, e.state) for e in left]
    sent = {s.entry.message_id for s in await engine.recent_sent(COUNT + 10)}
    uncertain = {e.message_id for e in left}
    assert sent | uncertain == set(ids)
    assert not sent & uncertain
    print("uncertain:", len(uncertain), "sent:", len(sent))
    assert len(uncertain) <= 10  # at most the batch that was in DATA when killed

    # At the destination: every sent message exactly once, an uncertain one at most once.
    deadline = time.monotonic() + 60
    while True:
        arrived = sink_ids(mailstack, tag.encode())
        if {m.encode() for m in sent} <= set(arrived) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    duplicates = {m: n for m, n in arrived.items() if n > 1}
    assert duplicates == {}
    assert {m.encode() for m in sent} <= set(arrived)
    assert set(arrived) <= {m.encode() for m in ids}
