"""Account discovery against real peers on loopback: dnsmasq for DNS (tests/support/
dns_server.py), an HTTPS server with its own CA for the autoconfig files and the ISPDB
(tests/support/https_server.py), and the session's Postfix + Dovecot for port probing.

Every name the engine looks up goes to the test's dnsmasq, which knows only the .test names
below and points them at 127.0.0.1, so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from support.dns_server import DnsServer, DnsServerUnavailable, SrvHost
from support.https_server import HttpsServer
from support.mailstack import MailStack

from mailapp.core.errors import (
    ConnectionLostError,
    LimitExceededError,
    ProtocolError,
    TLSError,
)
from mailapp.core.model import Security, ServerSettings
from mailapp.engine.discovery import (
    STEP_ORDER,
    DiscoveryConfig,
    DiscoveryResult,
    DiscoveryStep,
    ServerKind,
    StepName,
    StepOutcome,
    build_context,
    discover,
)
from mailapp.transport.http_get import https_get

LOOPBACK = "127.0.0.1"
CONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"

WEB_NAMES = [
    "autoconfig.auto.test",
    "wk.test",
    "ispdb.test",
    "autoconfig.plainonly.test",
    "autoconfig.redir.test",
    "redir.test",
    "autoconfig.tohttp.test",
    "autoconfig.away.test",
    "files.test",
]
# Resolves to the HTTPS server, whose certificate does not name it.
WRONG_CERT = "autoconfig.wrongcert.test"


def client_config(domain: str, servers: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">'
        f'<emailProvider id="{domain}"><domain>{domain}</domain>'
        f"<displayName>{domain} mail</displayName>{servers}</emailProvider></clientConfig>"
    )


def server(tag: str, kind: str, host: str, port: int, *, socket: str, user: str) -> str:
    return (
        f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
        f"<socketType>{socket}</socketType><username>{user}</username>"
        f"<authentication>password-cleartext</authentication></{tag}>"
    )


def full_config(domain: str) -> str:
    return client_config(
        domain,
        server(
            "incomingServer", "imap", f"imap.{domain}", 993, socket="SSL", user="%EMAILLOCALPART%"
        )
        + server(
            "incomingServer", "pop3", "pop.%EMAILDOMAIN%", 995, socket="SSL", user="%EMAILADDRESS%"
        )
        + server(
            "outgoingServer",
            "smtp",
            f"smtp.{domain}",
            587,
            socket="STARTTLS",
            user="%EMAILADDRESS%",
        ),
    )


@pytest.fixture(scope="module")
def web() -> Iterator[HttpsServer]:
    server_ = HttpsServer(WEB_NAMES)
    server_.start()
    server_.add("autoconfig.auto.test", CONFIG_PATH, full_config("auto.test"))
    server_.add("wk.test", WELL_KNOWN_PATH, full_config("wk.test"), framing="close")
    server_.add("ispdb.test", "/v1.1/isp.test", full_config("isp.test"), framing="chunked")
    server_.add(
        "autoconfig.plainonly.test",
        CONFIG_PATH,
        client_config(
            "plainonly.test",
            server("incomingServer", "imap", "mail.plainonly.test", 143, socket="plain", user="x")
            + server("outgoingServer", "smtp", "mail.plainonly.test", 25, socket="plain", user="x"),
        ),
    )
    server_.redirect("autoconfig.redir.test", CONFIG_PATH, "https://redir.test/moved.xml")
    server_.add("redir.test", "/moved.xml", full_config("redir.test"))
    server_.redirect("autoconfig.tohttp.test", CONFIG_PATH, "http://tohttp.test/config.xml")
    server_.redirect("autoconfig.away.test", CONFIG_PATH, "https://files.test/config.xml")
    server_.add("files.test", "/config.xml", full_config("away.test"))
    server_.add("files.test", "/big.xml", b"x" * 5000)
    server_.add("files.test", "/big-chunked.xml", b"x" * 5000, framing="chunked")
    server_.add("files.test", "/big-close.xml", b"x" * 5000, framing="close")
    server_.redirect("files.test", "/loop", "https://files.test/loop")
    try:
        yield server_
    finally:
        server_.stop()


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    hosts = dict.fromkeys(
        [*WEB_NAMES, WRONG_CERT, "mx.example.test", "imap.example.test"], LOOPBACK
    )
    server_ = DnsServer(
        hosts=hosts,
        mx=[("mxguess.test", "mx.example.test", 10), ("srv.test", "mx.srv.test", 10)],
        srv=[
            SrvHost("_submissions._tcp.srv.test", "mail.srv.test", 465, 0, 1),
            SrvHost("_submission._tcp.srv.test", "mail.srv.test", 587, 0, 1),
            SrvHost("_imaps._tcp.srv.test", "imaps.srv.test", 993, 10, 1),
            SrvHost("_imap._tcp.srv.test", "imap1.srv.test", 143, 0, 1),
            SrvHost("_imap._tcp.srv.test", "imap2.srv.test", 143, 0, 5),
            SrvHost("_pop3s._tcp.srv.test"),  # "." : not offered
        ],
    )
    try:
        server_.start()
    except DnsServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)  # never a skip: CI must install dnsmasq-base
    try:
        yield server_
    finally:
        server_.stop()


@pytest.fixture
def config(web: HttpsServer, dns: DnsServer) -> DiscoveryConfig:
    return DiscoveryConfig(
        nameserver=LOOPBACK,
        nameserver_port=dns.port,
        ca_files=(str(web.ca_file),),
        https_port=web.port,
        ispdb_base_url="https://ispdb.test/v1.1/",
        http_timeout=10,
        dns_timeout=5,
        probe_timeout=10,
    )


async def run(email: str, config: DiscoveryConfig) -> tuple[DiscoveryResult, list[DiscoveryStep]]:
    seen: list[DiscoveryStep] = []
    result = await discover(email, progress=seen.append, config=config)
    return result, seen


def outcomes(result: DiscoveryResult) -> dict[StepName, StepOutcome]:
    return {s.step: s.outcome for s in result.steps}


def check_progress_order(result: DiscoveryResult, seen: list[DiscoveryStep]) -> None:
    """Every step reported once, in order; a step that ran reported RUNNING first."""
    assert [s.step for s in result.steps] == list(STEP_ORDER)
    finals = [s for s in seen if s.outcome is not StepOutcome.RUNNING]
    assert finals == list(result.steps)
    for i, step in enumerate(seen):
        if step.outcome is StepOutcome.RUNNING:
            assert seen[i + 1].step is step.step and seen[i + 1].outcome is not StepOutcome.RUNNING
    ran = {s.step for s in seen if s.outcome is StepOutcome.RUNNING}
    assert ran == {s.step for s in result.steps if s.outcome is not StepOutcome.SKIPPED}


# --- the HTTPS steps ----------------------------------------------------------------------


async def test_autoconfig_host_found(web: HttpsServer, config: DiscoveryConfig) -> None:
    result, seen = await run("Jane@auto.test", config)
    check_progress_order(result, seen)
    assert outcomes(result)[StepName.AUTOCONFIG] is StepOutcome.FOUND
    assert all(s.outcome is StepOutcome.SKIPPED for s in result.steps[1:])
    assert result.found and result.provider_name == "auto.test mail"
    assert [f.settings for f in result.incoming] == [
        ServerSettings("imap.auto.test", 993, Security.SSL, "Jane"),
        ServerSettings("pop.auto.test", 995, Security.SSL, "Jane@auto.test"),
    ]
    assert result.outgoing[0].settings == ServerSettings(
        "smtp.auto.test", 587, Security.STARTTLS, "Jane@auto.test"
    )
    assert {f.source for f in result.incoming + result.outgoing} == {StepName.AUTOCONFIG}
    request = web.requests_for("autoconfig.auto.test")[-1]
    assert request.path == CONFIG_PATH
    assert request.query == "emailaddress=Jane@auto.test"
    assert result.steps[0].tried == (
        "https://autoconfig.auto.test/mail/config-v1.1.xml?emailaddress=Jane@auto.test",
    )


async def test_well_known_file_found_when_no_autoconfig_host(config: DiscoveryConfig) -> None:
    result, seen = await run("me@wk.test", config)
    check_progress_order(result, seen)
    steps = outcomes(result)
    assert steps[StepName.AUTOCONFIG] is StepOutcome.NOT_FOUND
    assert "autoconfig.wk.test does not exist" in result.steps[0].detail
    assert steps[StepName.WELL_KNOWN] is StepOutcome.FOUND
    assert result.best_incoming is not None
    assert result.best_incoming.settings.host == "imap.wk.test"
    assert result.best_incoming.source is StepName.WELL_KNOWN


async def test_ispdb_found(web: HttpsServer, config: DiscoveryConfig) -> None:
    result, _ = await run("me@isp.test", config)
    steps = outcomes(result)
    assert steps[StepName.WELL_KNOWN] is StepOutcome.NOT_FOUND
    assert steps[StepName.ISPDB] is StepOutcome.FOUND
    assert result.found and result.best_incoming is not None
    assert result.best_incoming.source is StepName.ISPDB
    assert web.requests_for("ispdb.test")[-1].path == "/v1.1/isp.test"


async def test_ispdb_can_be_turned_off(web: HttpsServer, config: DiscoveryConfig) -> None:
    before = len(web.requests_for("ispdb.test"))
    result, _ = await run("me@isp.test", replace(config, use_ispdb=False))
    assert outcomes(result)[StepName.ISPDB] is StepOutcome.SKIPPED
    assert len(web.requests_for("ispdb.test")) == before


async def test_plaintext_only_file_is_not_used(config: DiscoveryConfig) -> None:
    result, _ = await run("me@plainonly.test", replace(config, steps=(StepName.AUTOCONFIG,)))
    step = result.steps[0]
    assert step.outcome is StepOutcome.NOT_FOUND
    assert "no encryption" in step.detail
    assert not result.incoming and not result.outgoing


async def test_untrusted_certificate_fails_the_step(config: DiscoveryConfig) -> None:
    result, _ = await run("me@wrongcert.test", replace(config, steps=(StepName.AUTOCONFIG,)))
    step = result.steps[0]
    assert step.outcome is StepOutcome.FAILED
    assert "not made out to autoconfig.wrongcert.test" in step.detail
    assert not result.incoming


async def test_same_site_https_redirect_is_followed(config: DiscoveryConfig) -> None:
    result, _ = await run("me@redir.test", replace(config, steps=(StepName.AUTOCONFIG,)))
    assert result.steps[0].outcome is StepOutcome.FOUND
    assert result.best_incoming is not None
    assert result.best_incoming.settings.host == "imap.redir.test"


async def test_redirect_to_plain_http_is_refused(config: DiscoveryConfig) -> None:
    result, _ = await run("me@tohttp.test", replace(config, steps=(StepName.AUTOCONFIG,)))
    assert result.steps[0].outcome is StepOutcome.FAILED
    assert "only https://" in result.steps[0].detail


async def test_redirect_to_another_site_is_refused(config: DiscoveryConfig) -> None:
    result, _ = await run("me@away.test", replace(config, steps=(StepName.AUTOCONFIG,)))
    assert result.steps[0].outcome is StepOutcome.FAILED
    assert "another site (files.test)" in result.steps[0].detail
    assert not result.incoming


# --- the HTTPS client itself --------------------------------------------------------------


async def test_https_get_framings_and_limits(web: HttpsServer, config: DiscoveryConfig) -> None:
    context = build_context(config)

    async def connector(host: str, port: int) -> list[tuple[str, int]]:
        return [(LOOPBACK, web.port)]

    async def get(path: str, max_bytes: int = 100_000) -> bytes:
        response = await https_get(
            f"https://files.test{path}",
            ssl_context=context,
            timeout=10,
            max_bytes=max_bytes,
            connector=connector,
        )
        assert response.status == 200
        return response.body

    for path in ("/big.xml", "/big-chunked.xml", "/big-close.xml"):
        assert await get(path) == b"x" * 5000
        with pytest.raises(LimitExceededError):
            await get(path, max_bytes=4000)
    with pytest.raises(LimitExceededError, match="redirects"):
        await get("/loop")
    with pytest.raises(TLSError):
        await https_get(
            "http://files.test/big.xml", ssl_context=context, timeout=5, connector=connector
        )
    missing = await https_get(
        "https://files.test/none", ssl_context=context, timeout=5, connector=connector
    )
    assert missing.status == 404


async def test_https_get_refuses_a_server_that_is_not_https(config: DiscoveryConfig) -> None:
    # A plain TCP server that answers HTTP without TLS: the handshake must fail, not fall back.
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        await writer.drain()
        writer.close()

    server_ = await asyncio.start_server(plain, LOOPBACK, 0)
    port = server_.sockets[0].getsockname()[1]
    try:
        with pytest.raises((TLSError, ProtocolError)):
            await https_get(
                f"https://{LOOPBACK}:{port}/", ssl_context=build_context(config), timeout=5
            )
    finally:
        server_.close()
        await server_.wait_closed()


async def test_https_get_faults(web: HttpsServer, config: DiscoveryConfig) -> None:
    # Faults a real web server will not produce on demand, from a scripted TLS server.
    answers = iter(
        [
            b"SSH-2.0-OpenSSH\r\n",
            b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ]
    )

    async def scripted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(next(answers))
        await writer.drain()
        writer.close()

    server_ = await asyncio.start_server(
        scripted, LOOPBACK, 0, ssl=web.certificates.server_context()
    )
    port = server_.sockets[0].getsockname()[1]

    async def connector(host: str, port_: int) -> list[tuple[str, int]]:
        return [(LOOPBACK, port)]

    async def get() -> None:
        await https_get(
            "https://files.test/x",
            ssl_context=build_context(config),
            timeout=5,
            connector=connector,
        )

    try:
        with pytest.raises(ProtocolError, match="HTTP/1"):
            await get()
        with pytest.raises(LimitExceededError):
            await get()
        with pytest.raises(ConnectionLostError):
            await get()
        with pytest.raises(ProtocolError, match="chunk size"):
            await get()
    finally:
        server_.close()
        await server_.wait_closed()


# --- DNS SRV ------------------------------------------------------------------------------


async def test_srv_records_found_when_no_autoconfig(config: DiscoveryConfig) -> None:
    result, seen = await run("me@srv.test", config)
    check_progress_order(result, seen)
    steps = outcomes(result)
    assert steps[StepName.AUTOCONFIG] is StepOutcome.NOT_FOUND
    assert steps[StepName.WELL_KNOWN] is StepOutcome.NOT_FOUND
    assert steps[StepName.ISPDB] is StepOutcome.NOT_FOUND
    assert steps[StepName.SRV] is StepOutcome.FOUND
    assert steps[StepName.MX] is StepOutcome.SKIPPED
    assert steps[StepName.PROBE] is StepOutcome.SKIPPED
    # Priority first; at equal priority the heavier record first. POP3S published ".".
    assert [f.settings for f in result.incoming] == [
        ServerSettings("imap2.srv.test", 143, Security.STARTTLS, "me@srv.test"),
        ServerSettings("imap1.srv.test", 143, Security.STARTTLS, "me@srv.test"),
        ServerSettings("imaps.srv.test", 993, Security.SSL, "me@srv.test"),
    ]
    # Equal priority: implicit TLS (RFC 8314) before STARTTLS.
    assert [f.settings for f in result.outgoing] == [
        ServerSettings("mail.srv.test", 465, Security.SSL, "me@srv.test"),
        ServerSettings("mail.srv.test", 587, Security.STARTTLS, "me@srv.test"),
    ]
    assert all("not authenticated" in f.note for f in result.incoming)
    srv_step = result.steps[STEP_ORDER.index(StepName.SRV)]
    assert "_pop3s._tcp.srv.test: the domain says this service is not offered" in srv_step.detail
    assert "_pop3._tcp.srv.test: no record" in srv_step.detail
    assert len(srv_step.tried) == 6


# --- MX guess and port probing against the real mail stack -------------------------------


async def test_mx_guess_and_port_probe_find_the_mail_stack(
    mailstack: MailStack, web: HttpsServer, config: DiscoveryConfig
) -> None:
    ports = mailstack.ports
    probe_config = replace(
        config,
        ca_files=(str(web.ca_file), str(mailstack.ca_file)),
        probe_ports={
            993: ports.imaps,
            143: ports.imap,
            995: ports.pop3s,
            110: ports.pop3,
            465: ports.submissions,
            587: ports.submission,
        },
    )
    result, seen = await run("someone@mxguess.test", probe_config)
    check_progress_order(result, seen)
    steps = outcomes(result)
    for step in (StepName.AUTOCONFIG, StepName.WELL_KNOWN, StepName.ISPDB, StepName.SRV):
        assert steps[step] is StepOutcome.NOT_FOUND, result.steps
    assert steps[StepName.MX] is StepOutcome.GUESSED
    mx_step = result.steps[STEP_ORDER.index(StepName.MX)]
    assert "mx.example.test" in mx_step.detail
    assert "imap.example.test" in mx_step.detail
    assert "https://ispdb.test/v1.1/example.test" in mx_step.tried
    assert steps[StepName.PROBE] is StepOutcome.FOUND, result.steps[-1].detail

    # The MX host's certificate names it: trusted suggestions first, all six services.
    assert result.best_incoming is not None and result.best_outgoing is not None
    assert result.best_incoming.settings == ServerSettings(
        "mx.example.test", 993, Security.SSL, "someone@mxguess.test"
    )
    assert result.best_incoming.certificate_trusted is True
    assert result.best_outgoing.settings == ServerSettings(
        "mx.example.test", 465, Security.SSL, "someone@mxguess.test"
    )
    found = {(f.kind, f.settings.host, f.settings.port) for f in result.incoming + result.outgoing}
    assert {
        (ServerKind.IMAP, "mx.example.test", 993),
        (ServerKind.IMAP, "mx.example.test", 143),
        (ServerKind.POP3, "mx.example.test", 995),
        (ServerKind.POP3, "mx.example.test", 110),
        (ServerKind.SMTP, "mx.example.test", 465),
        (ServerKind.SMTP, "mx.example.test", 587),
    } <= found
    # imap.example.test answers too, but the certificate is not made out to it: still shown
    # (the account test can pin it), after every trusted one.
    untrusted = [f for f in result.incoming if f.settings.host == "imap.example.test"]
    assert untrusted and all(f.certificate_trusted is False for f in untrusted)
    assert "not made out to imap.example.test" in untrusted[0].note
    trusted_flags = [f.certificate_trusted for f in result.incoming]
    assert trusted_flags == sorted(trusted_flags, key=lambda t: t is False)
    probe_step = result.steps[-1]
    assert "mx.example.test:993" in probe_step.tried
    assert "smtp.example.test:465" not in probe_step.tried  # does not resolve: never probed


async def test_nothing_found_is_a_result_not_an_error(config: DiscoveryConfig) -> None:
    result, seen = await run("me@nowhere.test", config)
    check_progress_order(result, seen)
    assert not result.found
    assert outcomes(result)[StepName.PROBE] is StepOutcome.NOT_FOUND
    assert "no guessed name exists" in result.steps[-1].detail


# --- the command line ---------------------------------------------------------------------


def _cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "mailapp", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=root,
        check=False,
    )


def _cli_options(web: HttpsServer, dns: DnsServer) -> list[str]:
    return [
        "--dns-server",
        f"{LOOPBACK}:{dns.port}",
        "--ca-file",
        str(web.ca_file),
        "--https-port",
        str(web.port),
        "--ispdb-url",
        "https://ispdb.test/v1.1/",
    ]


def test_cli_prints_steps_and_the_account_command(web: HttpsServer, dns: DnsServer) -> None:
    done = _cli(["discover", "me@auto.test", *_cli_options(web, dns)])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[1/6] Provider's autoconfig server: found" in out
    assert "[6/6] Connecting to standard ports: skipped" in out
    assert (
        "mailapp account add NAME --email me@auto.test --imap imap.auto.test:993 "
        "--smtp smtp.auto.test:587 --user me --smtp-user me@auto.test --password-stdin"
    ) in out


def test_cli_json(web: HttpsServer, dns: DnsServer) -> None:
    done = _cli(["discover", "me@srv.test", "--json", *_cli_options(web, dns)])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["found"] is True
    assert [s["step"] for s in data["steps"]] == [s.value for s in STEP_ORDER]
    assert data["incoming"][0]["host"] == "imap2.srv.test"
    assert data["outgoing"][0]["security"] == "ssl"
    assert data["suggested_command"].startswith("mailapp account add NAME")


def test_cli_nothing_found_and_bad_address(web: HttpsServer, dns: DnsServer) -> None:
    done = _cli(["discover", "me@nowhere.test", *_cli_options(web, dns)])
    assert done.returncode == 1
    assert "add the account by hand" in done.stdout
    bad = _cli(["discover", "not-an-address", *_cli_options(web, dns)])
    assert bad.returncode == 1
    assert "is not an e-mail address" in bad.stderr


def test_missing_dnsmasq_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from support import dns_server

    monkeypatch.setattr(dns_server.shutil, "which", lambda *a, **k: None)
    with pytest.raises(DnsServerUnavailable, match="dnsmasq-base"):
        DnsServer().start()
