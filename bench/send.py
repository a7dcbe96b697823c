"""Benchmark: sending 5,000 ~4 KB messages with DSN options through the outbox to Postfix's
smtp-sink on loopback, 10 connections, side by side with `smtp-source -s 10 -m 5000 -d` in
the same run.

Run as root (smtp-sink drops privileges to user postfix):
    .venv/bin/python bench/send.py [--count 5000] [--connections 10] [--repeat 3] [--profile]
Needs Debian's postfix (smtp-sink, smtp-source). See bench/README.md, section send.py.

Our side, per run, in a fresh profile on disk (real fsyncs):
  enqueue  5,000 drafts composed (protocols.mime.compose) and stored durably in the outbox
           (SendingService.enqueue: the message file fsynced, the rows committed FULL);
  send     the outbox worker sends them all with RET/ENVID and NOTIFY/ORCPT per recipient,
           `connections_per_account` SMTP connections side by side, every step persisted as in
           the app (lease, RCPT reply, DATA marker FULL, outcome FULL with the local Sent copy
           state). smtp-sink offers PIPELINING, so MAIL/RCPT/DATA go as one group (RFC 2920),
           as they do to any server that offers it.
smtp-source has no TLS and smtp-sink none either, so the compared figure ("plain") sends
ours over plaintext through `PlaintextSinkSession`, a session class that exists only in this
file (loopback only). A second figure ("tls") sends through the app's own SmtpSession
connect (implicit TLS, certificate verified) to a small TLS-terminating proxy (another
process) in front of the sink: the price of TLS, proxy included; smtp-source cannot be run
that way. Neither logs in (smtp-sink's AUTH is not a real one; smtp-source does not log in).
The ratio is ours / smtp-source in messages per second (target >= 0.15x), medians of --repeat
runs, interleaved. smtp-source's own rate swings several-fold on a busy machine, so ours is also
shown against the figure of /work/shared/guides/performance.md (GUIDE_SOURCE_RATE).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiosmtplib
from harness import median, profile_call, require_tools
from support.mailstack import generate_certificates

from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import (
    Account,
    IncomingProtocol,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.engine.outbox_worker import LocalSentCopier, SmtpCredentials
from mailapp.engine.sending import SendingService
from mailapp.store.blobs import BlobStore
from mailapp.store.db import Database
from mailapp.transport.imap import is_loopback
from mailapp.transport.smtp import OAuthTokenProvider, SmtpSession

HOST = "127.0.0.1"
SENDER = "bench@example.test"
RECIPIENT = "sink@example.test"
MESSAGE_SIZE = 4096
TARGET = 0.15
# smtp-source -s 10 -d, 5,000 x 4 KB, as measured for the performance guide.
GUIDE_SOURCE_RATE = 15_600


# --- the bench-only plaintext session ------------------------------------------------------------


class SinkSession(SmtpSession):
    """BENCH ONLY. The app's session (TLS verified as always) without AUTH: smtp-sink answers
    AUTH with a 250 that no client takes as a login, and smtp-source does not log in."""

    async def login(
        self, password: str | None = None, *, oauth_token: OAuthTokenProvider | None = None
    ) -> str:
        return "none"


class PlaintextSinkSession(SinkSession):
    """BENCH ONLY. SMTP without TLS, so ours meets smtp-sink on the same terms as smtp-source.

    mailapp never builds this class (it lives in bench/, which nothing imports); it refuses any
    host but loopback and sends no password."""

    async def connect(self) -> None:
        if not is_loopback(self.settings.host):
            raise SystemExit("PlaintextSinkSession is for a sink on loopback only")
        client = aiosmtplib.SMTP(
            hostname=self.settings.host,
            port=self.settings.port,
            use_tls=False,
            start_tls=False,
            timeout=self.timeout,
        )
        await client.connect()
        await client.ehlo()
        self._smtp = client  # type: ignore[assignment]


# --- smtp-sink, smtp-source and the TLS proxy -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def smtp_sink() -> Iterator[int]:
    """smtp-sink on a free loopback port; announces DSN (no -N), discards every message."""
    port = free_port()
    sink = subprocess.Popen(
        ["smtp-sink", "-u", "postfix", f"{HOST}:{port}", "1000"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield port
    finally:
        sink.terminate()
        sink.wait(10)


def smtp_source(port: int, count: int, connections: int) -> float:
    """Seconds for smtp-source to send `count` messages of MESSAGE_SIZE over `connections`
    reused connections (-d)."""
    command = [
        "smtp-source",
        "-s", str(connections),
        "-m", str(count),
        "-l", str(MESSAGE_SIZE),
        "-d",
        "-f", SENDER,
        "-t", RECIPIENT,
        f"{HOST}:{port}",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


async def _proxy_main(listen: int, target: int, cert: str, key: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, target)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, HOST, listen, ssl=context, backlog=1000)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def tls_proxy(target: int, directory: Path) -> Iterator[tuple[int, str]]:
    """Implicit TLS on a free port, relayed in clear to `target`; yields (port, CA file)."""
    certs = generate_certificates(directory / "certs")
    port = free_port()
    proxy = subprocess.Popen(
        [sys.executable, __file__, "--tls-proxy", str(port), str(target),
         str(certs.cert_file), str(certs.key_file)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proxy.stdout is not None
        if proxy.stdout.readline().strip() != b"ready":
            raise RuntimeError("the TLS proxy did not start")
        yield port, str(certs.ca_file)
    finally:
        proxy.terminate()
        proxy.wait(10)


# --- our side ------------------------------------------------------------------------------------


def body_text() -> str:
    line = "The quick brown fox jumps over the lazy dog, and the outbox keeps every byte.\n"
    return line * (MESSAGE_SIZE // len(line))


def account_for(port: int, tls_ca: str | None) -> Account:
    security = Security.SSL if tls_ca is not None else Security.STARTTLS
    return Account(
        name="bench",
        email=SENDER,
        display_name="Bench Sender",
        incoming_protocol=IncomingProtocol.POP3,
        incoming=ServerSettings(HOST, 9, Security.SSL, SENDER),
        outgoing=ServerSettings(HOST, port, security, SENDER),
        trust=TlsTrust(ca_file=tls_ca),
    )


class OurRun:
    """One fresh profile: enqueue `count` drafts, then send them all."""

    def __init__(self, directory: Path, account: Account, connections: int) -> None:
        directory.mkdir(parents=True)
        self.database = Database.open(directory / "mail.sqlite3")
        self.blobs = BlobStore(directory / "blobs")
        self.account = account
        plaintext = account.trust.ca_file is None

        async def credentials(_: Account) -> SmtpCredentials:
            return SmtpCredentials(password="bench")

        def session(acct: Account) -> SmtpSession:
            kind = PlaintextSinkSession if plaintext else SinkSession
            return kind(acct.outgoing, acct.trust)

        self.service = SendingService(
            self.database,
            self.blobs,
            accounts=lambda _: account,
            credentials=credentials,
            sent_copier=LocalSentCopier(self.blobs),
            session_factory=session,
            connections_per_account=connections,
        )

    async def enqueue(self, count: int) -> float:
        body = body_text()
        start = time.perf_counter()
        for n in range(count):
            draft = Draft(
                from_=Mailbox(SENDER, "Bench Sender"),
                to=(Mailbox(RECIPIENT),),
                subject=f"Bench message {n}",
                text_body=body,
            )
            await self.service.enqueue(self.account, draft, request_dsn=True)
        return time.perf_counter() - start

    async def send(self, count: int) -> float:
        start = time.perf_counter()
        report = await self.service.run_outbox_once()
        seconds = time.perf_counter() - start
        if len(report.accepted) != count:
            stuck = self.service.outbox.list_outbox()
            raise RuntimeError(
                f"{stuck[0].last_error if stuck else ''}; "
                f"sent {len(report.accepted)} of {count}: deferred {len(report.deferred)}, "
                f"failed {len(report.failed)}, uncertain {len(report.uncertain)}"
            )
        entry = self.service.outbox.recent_sent(1)[0]
        if entry.dsn_offered is not True:
            raise RuntimeError("the sink did not offer DSN, so no DSN options were sent")
        return seconds

    def close(self) -> None:
        self.database.close()


def our_run(
    root: Path, label: str, port: int, tls_ca: str | None, *, count: int, connections: int
) -> tuple[float, float]:
    directory = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=root))
    run = OurRun(directory / "profile", account_for(port, tls_ca), connections)
    try:
        enqueue = asyncio.run(run.enqueue(count))
        send = asyncio.run(run.send(count))
    finally:
        run.close()
        shutil.rmtree(directory, ignore_errors=True)
    return enqueue, send


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-tls", action="store_true", help="skip the TLS-through-proxy case")
    parser.add_argument("--profile", action="store_true", help="profile one plaintext send")
    parser.add_argument("--tls-proxy", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tls_proxy:
        listen, target, cert, key = args.tls_proxy
        asyncio.run(_proxy_main(int(listen), int(target), cert, key))
        return
    require_tools({"smtp-sink": "postfix", "smtp-source": "postfix"}, root=True)
    count, connections = args.count, args.connections
    # On the real disk (not a tmpfs /tmp), so the outbox's fsyncs cost what they cost.
    root = Path(tempfile.mkdtemp(prefix="bench-send-", dir=Path(__file__).resolve().parent))
    # The machine's load sways smtp-source several-fold: say what it was.
    load_start = os.getloadavg()[0]
    source: list[float] = []
    plain: list[tuple[float, float]] = []
    tls: list[tuple[float, float]] = []
    try:
        with smtp_sink() as port, contextlib.ExitStack() as stack:
            proxy = None if args.no_tls else stack.enter_context(tls_proxy(port, root))
            for n in range(args.repeat):
                source.append(smtp_source(port, count, connections))
                plain.append(
                    our_run(root, "plain", port, None, count=count, connections=connections)
                )
                if proxy is not None:
                    tls.append(
                        our_run(
                            root, "tls", proxy[0], proxy[1], count=count, connections=connections
                        )
                    )
                print(
                    f"run {n + 1}/{args.repeat}: smtp-source {count / source[-1]:.0f} msg/s, "
                    f"ours plain {count / plain[-1][1]:.0f} msg/s"
                    f" ({source[-1] / plain[-1][1]:.3f}x)"
                    + (f", ours tls {count / tls[-1][1]:.0f} msg/s" if tls else ""),
                    flush=True,
                )
            if args.profile:
                directory = Path(tempfile.mkdtemp(prefix="profile-", dir=root))
                run = OurRun(directory / "profile", account_for(port, None), connections)
                asyncio.run(run.enqueue(count))
                profile_call("our plaintext send", lambda: run.send(count))
                run.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    reference = count / median(source)
    print(
        f"\nsend: {count} x ~{MESSAGE_SIZE // 1024} KB, DSN options, {connections} connections,"
        f" medians of {args.repeat}; load average {load_start:.1f} at the start,"
        f" {os.getloadavg()[0]:.1f} at the end"
    )
    print(f"  smtp-source -s {connections} -m {count} -l {MESSAGE_SIZE} -d: {reference:,.0f} msg/s")
    rows = [("plain", plain)] + ([("tls via proxy", tls)] if tls else [])
    for label, runs in rows:
        send_rate = count / median([s for _, s in runs])
        enqueue_rate = count / median([e for e, _ in runs])
        both = count / median([e + s for e, s in runs])
        ratio = send_rate / reference
        # Only the plain figure does the same work as smtp-source; TLS is shown for its price.
        verdict = (
            f"(target >= {TARGET}x) {'PASS' if ratio >= TARGET else 'MISS'}"
            if label == "plain"
            else "(information: smtp-source has no TLS to compare with)"
        )
        print(
            f"  ours, {label}: send {send_rate:,.0f} msg/s = {ratio:.3f}x smtp-source "
            f"{verdict}; {send_rate / GUIDE_SOURCE_RATE:.3f}x the "
            f"guide's {GUIDE_SOURCE_RATE:,} msg/s"
        )
        print(
            f"      enqueue (compose + durable store) {enqueue_rate:,.0f} msg/s;"
            f" enqueue + send {both:,.0f} msg/s = {both / reference:.3f}x"
        )


if __name__ == "__main__":
    main()
