"""Sending through the real Postfix, and each delivery report fetched back from the sender's
Inbox (stdlib imaplib) and ingested: delivered, failed 5.1.1, relayed, delayed, then failed
4.4.1 after the queue lifetime. `mailapp status` (a subprocess on the same profile) shows each
outcome with its evidence. Also the whole path as a new user runs it: `account add` with a
password command and a CA file, `send`, `report ingest`, `status`.

The receiving engine will ingest reports by itself during sync; here the test plays that part.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.mailstack import MailStack, MailUser

from mailapp.core.delivery import DeliveryState, EventSource, OutboxState
from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine
from mailapp.engine.profile import Profile
from mailapp.secrets.memory import MemoryCredentialStore

pytestmark = pytest.mark.mailstack

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "work"


def run_cli(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("MAILAPP_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "mailapp", "--profile", str(profile), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def password_command(tmp_path: Path, user: MailUser) -> str:
    secret = tmp_path / "secrets" / "pw.txt"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(user.password + "\n")
    secret.chmod(0o600)
    return f"cat '{secret}'"


def account_for(mailstack: MailStack, user: MailUser, command: str) -> Account:
    host, ports = mailstack.host, mailstack.ports
    return Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Sender Example",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(host, ports.imap, Security.STARTTLS, user.address),
        outgoing=ServerSettings(host, ports.submission, Security.STARTTLS, user.address),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
        password_command=command,
    )


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
async def sender(
    mailstack: MailStack, tmp_path: Path, profile_dir: Path
) -> tuple[Engine, MailUser]:
    user = mailstack.unique_user("snd")
    engine = Engine(Profile.resolve(profile_dir).ensure(), MemoryCredentialStore())
    await engine.add_account(account_for(mailstack, user, password_command(tmp_path, user)), None)
    return engine, user


def report_about(message_id: str, *needles: str) -> Callable[[bytes], bool]:
    wanted = [message_id.encode(), *(n.encode() for n in needles)]
    return lambda raw: all(w in raw for w in wanted)


async def fetch_and_ingest(
    engine: Engine, mailstack: MailStack, user: MailUser, message_id: str, *needles: str,
    timeout: float = 30,
) -> bytes:  # fmt: skip
    raw = await asyncio.to_thread(
        mailstack.wait_for_inbox, user.address, report_about(message_id, *needles), timeout
    )
    result = await engine.ingest_report(raw, ACCOUNT)
    assert result.matched_message_id == message_id, result
    assert result.file_away
    return raw


async def test_delivered_failed_and_relayed_from_real_reports(
    sender: tuple[Engine, MailUser], mailstack: MailStack, profile_dir: Path
) -> None:
    engine, user = sender
    bob, nosuch, relay = mailstack.address("bob"), "nosuch@example.test", "x@relay.test"
    draft = Draft(
        from_=Mailbox(user.address, "Sender Example"),
        to=(Mailbox(bob), Mailbox(nosuch)),
        cc=(Mailbox(relay),),
        subject="Three outcomes",
        text_body="Hello from the sending engine.\n",
    )
    result = await engine.send(ACCOUNT, draft)

    # The submission server took it for everyone, and said so with its queue id.
    assert result.state is OutboxState.SENT
    assert result.dsn_offered is True
    for recipient in result.recipients:
        assert recipient.state is DeliveryState.ACCEPTED
        assert recipient.reply_code == 250
        assert "queued as" in (recipient.diagnostic or "")
        assert recipient.reporting_host == mailstack.host

    await fetch_and_ingest(engine, mailstack, user, result.message_id, "Action: delivered")
    await fetch_and_ingest(engine, mailstack, user, result.message_id, "Action: failed")
    await fetch_and_ingest(engine, mailstack, user, result.message_id, "Action: relayed")

    status = await engine.delivery_status(result.message_id)
    by_address = {r.address: r for r in status.recipients}
    assert by_address[bob].state is DeliveryState.DELIVERED
    assert by_address[bob].status == "2.0.0"
    assert by_address[nosuch].state is DeliveryState.FAILED
    assert by_address[nosuch].status == "5.1.1"
    assert by_address[relay].state is DeliveryState.RELAYED
    for recipient in status.recipients:
        last = recipient.last_event
        assert last is not None and last.source is EventSource.DSN
        assert last.reporting_host  # Reporting-MTA of the real Postfix
        assert last.report_ref  # the original report is one click away
    assert status.summary.label == "Failed 1/3"

    # The same evidence on the command line.
    shown = run_cli(profile_dir, "status", result.message_id)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert result.message_id in out and "Failed 1/3" in out
    lines = out.splitlines()

    def block(address: str) -> str:
        start = next(i for i, line in enumerate(lines) if line.strip().startswith(address))
        return "\n".join(lines[start : start + 3])

    assert " delivered" in block(bob) and "dsn" in block(bob) and "2.0.0" in block(bob)
    assert " failed" in block(nosuch) and "5.1.1" in block(nosuch)
    assert "dsn" in block(nosuch)
    assert " relayed" in block(relay) and "dsn" in block(relay)
    assert "by mx.example.test" in block(bob)

    as_json = json.loads(run_cli(profile_dir, "status", result.message_id, "--json").stdout)
    states = {r["address"]: (r["state"], r["latest"]["source"]) for r in as_json["recipients"]}
    assert states == {
        bob: ("delivered", "dsn"),
        nosuch: ("failed", "dsn"),
        relay: ("relayed", "dsn"),
    }
    listing = run_cli(profile_dir, "status")
    assert listing.returncode == 0
    assert result.message_id in listing.stdout and "Failed 1/3" in listing.stdout


async def test_unreachable_domain_is_delayed_then_failed_4_4_1(
    sender: tuple[Engine, MailUser], mailstack: MailStack, profile_dir: Path
) -> None:
    engine, user = sender
    far = "y@delay.test"
    draft = Draft(
        from_=Mailbox(user.address),
        to=(Mailbox(far),),
        subject="Delayed, then expired",
        text_body="Nobody listens there.\n",
    )
    result = await engine.send(ACCOUNT, draft)
    assert [r.state for r in result.recipients] == [DeliveryState.ACCEPTED]

    await fetch_and_ingest(engine, mailstack, user, result.message_id, "Action: delayed")
    [delayed] = (await engine.delivery_status(result.message_id)).recipients
    assert delayed.state is DeliveryState.DELAYED
    assert delayed.status == "4.4.1"
    assert (await engine.delivery_status(result.message_id)).summary.label == "Delayed"
    shown = run_cli(profile_dir, "status", result.message_id)
    assert " delayed" in shown.stdout and "4.4.1" in shown.stdout

    await fetch_and_ingest(engine, mailstack, user, result.message_id, "Action: failed", timeout=45)
    status = await engine.delivery_status(result.message_id)
    [failed] = status.recipients
    # Postfix reports the expiry as failed with a 4.4.1 status: the action decides.
    assert failed.state is DeliveryState.FAILED
    assert failed.status == "4.4.1"
    assert [e.state for e in failed.events if e.source is EventSource.DSN] == [
        DeliveryState.DELAYED,
        DeliveryState.FAILED,
    ]
    shown = run_cli(profile_dir, "status", result.message_id)
    assert shown.returncode == 0
    assert " failed" in shown.stdout and "4.4.1" in shown.stdout
    assert "Failed 1/1" in shown.stdout


def test_a_new_user_from_the_command_line(
    mailstack: MailStack, tmp_path: Path, profile_dir: Path
) -> None:
    user = mailstack.unique_user("cli")
    host, ports = mailstack.host, mailstack.ports
    added = run_cli(
        profile_dir, "account", "add", "me",
        "--email", user.address,
        "--display-name", "Command Line",
        "--imap", f"{host}:{ports.imap}", "--incoming-security", "starttls",
        "--smtp", f"{host}:{ports.submission}", "--smtp-security", "starttls",
        "--user", user.address,
        "--password-command", password_command(tmp_path, user),
        "--ca-file", str(mailstack.ca_file),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    body = tmp_path / "body.txt"
    body.write_text("Sent with mailapp send.\n")
    sent = run_cli(
        profile_dir, "send", "--to", mailstack.address("bob"), "--subject", "From the CLI",
        "--body-file", str(body),
    )  # fmt: skip
    assert sent.returncode == 0, sent.stdout + sent.stderr
    first = sent.stdout.splitlines()[0]
    assert first.startswith("Message-ID: <")
    message_id = first.split(": ", 1)[1]
    assert "The server took the message." in sent.stdout
    assert f"{mailstack.address('bob')}  accepted" in sent.stdout

    raw = mailstack.wait_for_inbox(user.address, report_about(message_id, "Action: delivered"), 30)
    saved = tmp_path / "report.eml"
    saved.write_bytes(raw)
    ingested = run_cli(profile_dir, "report", "ingest", str(saved))
    assert ingested.returncode == 0, ingested.stderr
    assert f"dsn about {message_id}" in ingested.stdout
    assert f"{mailstack.address('bob')}  delivered" in ingested.stdout
    again = run_cli(profile_dir, "report", "ingest", str(saved))
    assert "already ingested" in again.stdout

    status = run_cli(profile_dir, "status", message_id)
    assert status.returncode == 0
    assert "Delivered 1/1" in status.stdout
    assert f"{mailstack.address('bob')}  delivered" in status.stdout
    assert run_cli(profile_dir, "outbox").stdout.strip() == "The outbox is empty."


def test_send_no_wait_is_sent_by_the_background_run(
    mailstack: MailStack, tmp_path: Path, profile_dir: Path
) -> None:
    user = mailstack.unique_user("bg")
    host, ports = mailstack.host, mailstack.ports
    added = run_cli(
        profile_dir, "account", "add", "bg", "--email", user.address,
        "--imap", f"{host}:{ports.imap}", "--incoming-security", "starttls",
        "--smtp", f"{host}:{ports.submissions}", "--smtp-security", "ssl",
        "--user", user.address, "--password-command", password_command(tmp_path, user),
        "--ca-file", str(mailstack.ca_file),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    sent = run_cli(
        profile_dir, "send", "--to", mailstack.address("carol"), "--subject", "Later",
        "--body", "queued first", "--no-wait", "--json",
    )  # fmt: skip
    assert sent.returncode == EX_TEMPFAIL, sent.stderr
    result = json.loads(sent.stdout)
    assert result["state"] == "queued"
    # The detached `mailapp outbox run` sends it: carol gets it.
    mailstack.wait_for_inbox("carol", result["message_id"], 30)
    status: dict[str, Any] = {}
    for _ in range(100):
        status = json.loads(run_cli(profile_dir, "status", result["message_id"], "--json").stdout)
        if status["state"] == "sent":
            break
    assert status["state"] == "sent"


EX_TEMPFAIL = 75
