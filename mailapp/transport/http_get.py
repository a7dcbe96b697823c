"""A minimal HTTPS GET for small documents (autoconfig files): HTTP/1.1 over asyncio streams.

One request per connection (Connection: close), bodies by Content-Length, chunked, or up to
the close; a size cap and one deadline for the whole fetch including redirects. Only https://
is ever fetched, with a verifying TLS context the caller gives: a config file fetched over
plain http could be rewritten by anyone on the path (pointing the account at their server), so
an http:// URL or redirect is refused, never followed. Redirects are followed only when the
caller's `redirect_allowed` accepts the new host (default: the same host).
Imports: core, asyncio, ssl, urllib.parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from mailapp.core.errors import (
    ConnectError,
    ConnectionLostError,
    LimitExceededError,
    ProtocolError,
    TimeoutError_,
    TLSError,
)
from mailapp.transport.tls import certificate_error

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS = 100
USER_AGENT = "mailapp-autoconfig/1"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# (host, port) of a URL -> the socket addresses to try, in order; lets the caller resolve
# names its own way (a chosen DNS server) while TLS still checks the URL's host name.
Connector = Callable[[str, int], Awaitable[Sequence[tuple[str, int]]]]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    url: str  # the URL that answered (after redirects)
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]  # names in lower case, in the order received
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    host: str  # without brackets, lower case
    port: int
    path: str  # path and query, never empty

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"


def split_https_url(url: str) -> tuple[str, int, str]:
    """(host, port, path-and-query) of an https:// URL; ProtocolError for anything else."""
    target = _target(url)
    return target.host, target.port, target.path


def _target(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise ProtocolError(f"{url!r} is not a usable URL: {exc}.") from exc
    if parts.scheme.lower() != "https":
        raise TLSError(
            f"Refused to fetch {url}: only https:// is used, a plain http:// answer "
            "could be changed by anyone on the way.",
            reason="handshake",
        )
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise ProtocolError(f"{url!r} has no usable host.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in path):
        raise ProtocolError(f"{url!r} holds characters that are not allowed in a URL.")
    return _Target(url, host, port, path)


def same_host(original: str) -> Callable[[str], bool]:
    host = original.lower()
    return lambda new: new.lower() == host


async def https_get(
    url: str,
    *,
    ssl_context: ssl.SSLContext,
    timeout: float,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = 3,
    redirect_allowed: Callable[[str], bool] | None = None,
    connector: Connector | None = None,
    accept: str = "application/xml, text/xml;q=0.9, */*;q=0.1",
) -> HttpResponse:
    """GET `url` and return the final answer (any status); redirects followed as allowed.

    Raises TLSError (also for http:// URLs and redirects), CertificateError, ConnectError,
    TimeoutError_ (the whole fetch took longer than `timeout`), LimitExceededError (body over
    `max_bytes`, too many redirects) or ProtocolError (not HTTP/1.x, a refused redirect).
    """
    target = _target(url)
    allowed = redirect_allowed or same_host(target.host)
    try:
        async with asyncio.timeout(timeout):
            for _ in range(max_redirects + 1):
                response = await _fetch_once(target, ssl_context, max_bytes, connector, accept)
                if response.status not in _REDIRECTS:
                    return response
                location = response.header("location")
                if not location:
                    return response
                new_url = urljoin(target.url, location)
                target = _target(new_url)  # raises for http://
                if not allowed(target.host):
                    raise ProtocolError(
                        f"{url} redirects to another site ({target.host}); not followed."
                    )
    except TimeoutError as exc:
        raise TimeoutError_(f"No complete answer from {url} within {timeout:g} seconds.") from exc
    raise LimitExceededError(f"{url} redirects more than {max_redirects} times.")


async def _fetch_once(
    target: _Target,
    context: ssl.SSLContext,
    max_bytes: int,
    connector: Connector | None,
    accept: str,
) -> HttpResponse:
    addresses: Sequence[tuple[str, int]]
    if connector is not None:
        addresses = await connector(target.host, target.port)
    else:
        addresses = [(target.host, target.port)]
    if not addresses:
        raise ConnectError(f"{target.host} has no address.")
    reader, writer = await _connect(target, addresses, context)
    try:
        request = (
            f"GET {target.path} HTTP/1.1\r\n"
            f"Host: {target.host_header}\r\n"
            f"User-Agent: {USER_AGENT}\r\n"
            f"Accept: {accept}\r\n"
            "Accept-Encoding: identity\r\n"
            "Connection: close\r\n\r\n"
        )
        writer.write(request.encode("ascii"))
        await writer.drain()
        return await _read_response(reader, target, max_bytes)
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        raise ConnectionLostError(f"{target.host} closed the connection early.") from exc
    except ssl.SSLError as exc:
        raise TLSError(f"TLS failed with {target.host}: {exc}", reason="handshake") from exc
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


async def _connect(
    target: _Target, addresses: Sequence[tuple[str, int]], context: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    last: Exception | None = None
    for address, port in addresses:
        try:
            return await asyncio.open_connection(
                address,
                port,
                ssl=context,
                # The URL's name (or IP literal) is what the certificate must be made out
                # to, whatever address the connector chose.
                server_hostname=target.host,
                limit=MAX_HEADER_BYTES,
            )
        except ssl.SSLCertVerificationError as exc:
            raise certificate_error(target.host, exc, None) from exc
        except ssl.SSLError as exc:
            raise TLSError(
                f"The TLS handshake with {target.host} ({address}) failed: {exc.reason or exc}.",
                reason="handshake",
            ) from exc
        except OSError as exc:
            last = exc
    where = ", ".join(f"{a}:{p}" for a, p in addresses)
    reason = last.strerror if isinstance(last, OSError) and last.strerror else str(last)
    raise ConnectError(f"Cannot connect to {target.host} ({where}): {reason}.") from last


async def _read_line(reader: asyncio.StreamReader, target: _Target) -> bytes:
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as exc:
        raise LimitExceededError(f"{target.host} sent an overlong header line.") from exc


async def _read_response(
    reader: asyncio.StreamReader, target: _Target, max_bytes: int
) -> HttpResponse:
    status_line = (await _read_line(reader, target)).decode("latin-1").rstrip("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"{target.host} did not answer in HTTP/1.x: {status_line[:80]!r}.")
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers: list[tuple[str, str]] = []
    header_bytes = 0
    while True:
        raw = await _read_line(reader, target)
        header_bytes += len(raw)
        if header_bytes > MAX_HEADER_BYTES or len(headers) > MAX_HEADERS:
            raise LimitExceededError(f"{target.host} sent too many header lines.")
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"{target.host} sent a malformed header line {line[:80]!r}.")
        headers.append((name.lower(), value.strip()))
    found = dict(headers)
    if "chunked" in found.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader, target, max_bytes)
    elif "content-length" in found:
        length_text = found["content-length"]
        if not length_text.isdigit():
            raise ProtocolError(f"{target.host} sent Content-Length {length_text!r}.")
        length = int(length_text)
        if length > max_bytes:
            raise LimitExceededError(
                f"{target.url} is {length} bytes long; at most {max_bytes} are read."
            )
        body = await reader.readexactly(length)
    else:
        body = await _read_to_close(reader, target, max_bytes)
    return HttpResponse(target.url, status, reason, tuple(headers), body)


async def _read_chunked(reader: asyncio.StreamReader, target: _Target, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = (await _read_line(reader, target)).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError as exc:
            raise ProtocolError(f"{target.host} sent a bad chunk size {size_line[:20]!r}.") from exc
        if size < 0:
            raise ProtocolError(f"{target.host} sent a bad chunk size.")
        if size == 0:
            break
        total += size
        if total > max_bytes:
            raise LimitExceededError(f"{target.url} is longer than {max_bytes} bytes.")
        chunks.append(await reader.readexactly(size))
        if (await reader.readexactly(2)) != b"\r\n":
            raise ProtocolError(f"{target.host} sent a chunk without its line end.")
    # Trailer fields up to the empty line; their content is not used.
    for _ in range(MAX_HEADERS):
        if not (await _read_line(reader, target)).strip():
            return b"".join(chunks)
    raise LimitExceededError(f"{target.host} sent too many trailer lines.")


async def _read_to_close(reader: asyncio.StreamReader, target: _Target, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await reader.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise LimitExceededError(f"{target.url} is longer than {max_bytes} bytes.")
        chunks.append(chunk)
