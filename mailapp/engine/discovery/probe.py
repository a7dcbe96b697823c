"""Port probing: does a guessed host speak IMAP, POP3 or SMTP submission with TLS?

Each probe connects to one standard port (993/143, 995/110, 465/587), reads the greeting,
and on the STARTTLS ports checks the capability and completes the upgrade, then says goodbye.
No credential is ever sent. The certificate is checked against the host name with the
discovery context; a server that answers with an untrusted certificate is still reported
(trusted=False) so the person can decide in the account test. A server without TLS on a
STARTTLS port is reported as unusable. Imports: core, protocols, transport, engine.discovery.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

from mailapp.core.errors import MailAppError
from mailapp.core.model import Security
from mailapp.engine.discovery.guess import GuessedHost
from mailapp.protocols.autoconfig import ServerKind
from mailapp.transport.net import LineStream
from mailapp.transport.tls import certificate_error

# (standard port, service, security), in the order results are preferred.
PROBE_PORTS: tuple[tuple[int, ServerKind, Security], ...] = (
    (993, ServerKind.IMAP, Security.SSL),
    (143, ServerKind.IMAP, Security.STARTTLS),
    (995, ServerKind.POP3, Security.SSL),
    (110, ServerKind.POP3, Security.STARTTLS),
    (465, ServerKind.SMTP, Security.SSL),
    (587, ServerKind.SMTP, Security.STARTTLS),
)
_MAX_LINES = 200
_IMAP_CAPA_RE = re.compile(rb"\[CAPABILITY ([^\]]*)\]", re.IGNORECASE)
# An EHLO name needs no DNS behind it; the address literal is what clients without a
# resolvable name of their own send.
_EHLO = b"EHLO [127.0.0.1]\r\n"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    host: str
    port: int  # the standard port (what the account will use)
    kind: ServerKind
    security: Security
    usable: bool
    trusted: bool | None  # None when TLS was never reached
    detail: str

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class _NotThatService(Exception):
    """The peer answered, but not as the expected service (or without TLS)."""


async def probe_hosts(
    hosts: tuple[GuessedHost, ...],
    *,
    context: ssl.SSLContext,
    timeout: float,
    port_map: Mapping[int, int],
    concurrency: int,
) -> list[ProbeResult]:
    """Probe every (host, port) that fits the host's guessed services; results in the
    order of `hosts` and PROBE_PORTS."""
    limit = asyncio.Semaphore(max(1, concurrency))
    jobs = [
        (host, port, kind, security)
        for host in hosts
        for port, kind, security in PROBE_PORTS
        if kind in host.kinds
    ]

    async def run(host: GuessedHost, port: int, kind: ServerKind, sec: Security) -> ProbeResult:
        async with limit:
            return await probe_one(
                host, port, kind, sec, context=context, timeout=timeout, port_map=port_map
            )

    return list(await asyncio.gather(*(run(*job) for job in jobs)))


async def probe_one(
    host: GuessedHost,
    port: int,
    kind: ServerKind,
    security: Security,
    *,
    context: ssl.SSLContext,
    timeout: float,
    port_map: Mapping[int, int],
) -> ProbeResult:
    def result(usable: bool, trusted: bool | None, detail: str) -> ProbeResult:
        return ProbeResult(host.name, port, kind, security, usable, trusted, detail)

    actual = port_map.get(port, port)
    implicit = security is Security.SSL
    try:
        stream = await LineStream.open(
            host.address,
            actual,
            ssl_context=context if implicit else None,
            server_hostname=host.name,
            timeout=timeout,
        )
    except ssl.SSLCertVerificationError as exc:
        return result(True, False, _untrusted(host.name, kind, exc))
    except MailAppError as exc:
        return result(False, None, f"no {kind} server: {exc.message}")
    try:
        greeting = await _greeting(stream, kind)
        trusted: bool | None = True if implicit else None
        if not implicit:
            await _upgrade_command(stream, kind, greeting)
            try:
                await stream.start_tls(context, host.name)
            except ssl.SSLCertVerificationError as exc:
                return result(True, False, _untrusted(host.name, kind, exc))
            trusted = True
        await _goodbye(stream, kind)
    except _NotThatService as exc:
        return result(False, None, str(exc))
    except MailAppError as exc:
        return result(False, None, f"no usable {kind} server: {exc.message}")
    finally:
        await stream.close()
    how = "TLS" if implicit else "STARTTLS"
    return result(True, trusted, f"{kind} server with {how} and a trusted certificate")


def _untrusted(name: str, kind: ServerKind, exc: ssl.SSLCertVerificationError) -> str:
    said = certificate_error(name, exc, None).message.rstrip(".")
    return f"{kind} server, but {said[0].lower()}{said[1:]}"


async def _greeting(stream: LineStream, kind: ServerKind) -> bytes:
    if kind is ServerKind.SMTP:
        lines = await _smtp_reply(stream)
        if not lines[-1].startswith(b"220"):
            raise _NotThatService(f"not an SMTP greeting: {_shown(lines[-1])}")
        return b"\n".join(lines)
    line = await stream.readline()
    upper = line.upper()
    if kind is ServerKind.IMAP and not upper.startswith((b"* OK", b"* PREAUTH")):
        raise _NotThatService(f"not an IMAP greeting: {_shown(line)}")
    if kind is ServerKind.POP3 and not upper.startswith(b"+OK"):
        raise _NotThatService(f"not a POP3 greeting: {_shown(line)}")
    return line


async def _upgrade_command(stream: LineStream, kind: ServerKind, greeting: bytes) -> None:
    """Check that STARTTLS/STLS is offered and ask for it; raise when it is not."""
    missing = _NotThatService(
        f"{kind} server without STARTTLS: passwords would travel unencrypted, not used"
    )
    if kind is ServerKind.IMAP:
        match = _IMAP_CAPA_RE.search(greeting)
        capabilities = match.group(1) if match else await _imap_capability(stream)
        if b"STARTTLS" not in capabilities.upper().split():
            raise missing
        await stream.write(b"D2 STARTTLS\r\n")
        if not (await _imap_tagged(stream, b"D2")).upper().startswith(b"D2 OK"):
            raise missing
    elif kind is ServerKind.POP3:
        await stream.write(b"CAPA\r\n")
        if not (await stream.readline()).startswith(b"+OK"):
            raise missing
        offered = False
        for _ in range(_MAX_LINES):
            line = await stream.readline()
            if line == b".":
                break
            offered = offered or line.strip().upper() == b"STLS"
        if not offered:
            raise missing
        await stream.write(b"STLS\r\n")
        if not (await stream.readline()).startswith(b"+OK"):
            raise missing
    else:
        await stream.write(_EHLO)
        lines = await _smtp_reply(stream)
        keywords = {line[4:].strip().upper() for line in lines if line.startswith(b"250")}
        if b"STARTTLS" not in keywords:
            raise missing
        await stream.write(b"STARTTLS\r\n")
        if not (await _smtp_reply(stream))[-1].startswith(b"220"):
            raise missing


async def _imap_capability(stream: LineStream) -> bytes:
    await stream.write(b"D1 CAPABILITY\r\n")
    capabilities = b""
    for _ in range(_MAX_LINES):
        line = await stream.readline()
        if line.upper().startswith(b"* CAPABILITY "):
            capabilities = line[len(b"* CAPABILITY ") :]
        elif line.startswith(b"D1 "):
            return capabilities
    raise _NotThatService("the IMAP server's CAPABILITY answer does not end")


async def _imap_tagged(stream: LineStream, tag: bytes) -> bytes:
    for _ in range(_MAX_LINES):
        line = await stream.readline()
        if line.startswith(tag + b" "):
            return line
    raise _NotThatService("the IMAP server does not finish its answer")


async def _smtp_reply(stream: LineStream) -> list[bytes]:
    lines: list[bytes] = []
    for _ in range(_MAX_LINES):
        line = await stream.readline()
        lines.append(line)
        if line[3:4] != b"-":
            return lines
    raise _NotThatService("the SMTP reply does not end")


async def _goodbye(stream: LineStream, kind: ServerKind) -> None:
    words = {ServerKind.IMAP: b"D3 LOGOUT\r\n", ServerKind.POP3: b"QUIT\r\n"}
    try:
        await stream.write(words.get(kind, b"QUIT\r\n"))
    except MailAppError:
        return


def _shown(line: bytes) -> str:
    return repr(line[:60].decode("ascii", "replace"))
