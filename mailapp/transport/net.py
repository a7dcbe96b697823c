"""Line-oriented asyncio connections with timeouts, STARTTLS, and errors in our own terms.

Socket and TLS failures become TransportError / TLSError; a refused certificate is left as
ssl.SSLCertVerificationError so the caller can fetch its fingerprint and explain it (see
transport.tls). Imports: core, asyncio, ssl.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable
from typing import TypeVar

from mailapp.core.errors import (
    ConnectError,
    ConnectionLostError,
    LimitExceededError,
    TimeoutError_,
    TLSError,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
# Longest line a LineStream accepts; a greeting or capability list is far shorter.
MAX_LINE = 64 * 1024


class LineStream:
    """A connected stream that reads CRLF lines and can be upgraded to TLS in place."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        host: str,
        port: int,
        timeout: float,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.host = host
        self.port = port
        self.timeout = timeout

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
    ) -> LineStream:
        """Connect (with implicit TLS when a context is given)."""
        coro = asyncio.open_connection(
            host,
            port,
            ssl=ssl_context,
            server_hostname=server_hostname if ssl_context is not None else None,
            ssl_handshake_timeout=timeout if ssl_context is not None else None,
            local_addr=source_address,
            limit=MAX_LINE,
        )
        reader, writer = await _guard(coro, host, port, timeout, "connecting")
        return cls(reader, writer, host=host, port=port, timeout=timeout)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        obj = self._writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    @property
    def is_tls(self) -> bool:
        return self.ssl_object is not None

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Upgrade the connection (after the server agreed to STARTTLS/STLS)."""
        if self._reader._buffer:  # type: ignore[attr-defined]
            # Bytes the server sent before the handshake would be read as if protected
            # (CVE-2011-0411-style injection): refuse the connection.
            raise TLSError(
                f"{self.where} sent data before the TLS handshake; connection refused.",
                reason="handshake",
            )
        await _guard(
            self._writer.start_tls(
                context, server_hostname=server_hostname, ssl_handshake_timeout=self.timeout
            ),
            self.host,
            self.port,
            self.timeout,
            "starting TLS with",
        )

    async def readline(self) -> bytes:
        """One line without its CRLF (or bare LF)."""
        try:
            line = await asyncio.wait_for(self._reader.readuntil(b"\n"), self.timeout)
        except asyncio.IncompleteReadError as exc:
            raise ConnectionLostError(f"{self.where} closed the connection.") from exc
        except asyncio.LimitOverrunError as exc:
            raise LimitExceededError(
                f"{self.where} sent a line longer than {MAX_LINE} bytes."
            ) from exc
        except TimeoutError as exc:
            raise TimeoutError_(
                f"{self.where} did not answer within {self.timeout:g} seconds."
            ) from exc
        except ssl.SSLError as exc:
            raise TLSError(f"TLS failed on {self.where}: {exc}", reason="handshake") from exc
        except OSError as exc:
            raise ConnectionLostError(f"Lost the connection to {self.where}: {exc}") from exc
        return line.rstrip(b"\r\n")

    async def readexactly(self, size: int) -> bytes:
        if size > MAX_LINE * 16:
            raise LimitExceededError(f"{self.where} announced {size} bytes; too many.")
        try:
            return await asyncio.wait_for(self._reader.readexactly(size), self.timeout)
        except asyncio.IncompleteReadError as exc:
            raise ConnectionLostError(f"{self.where} closed the connection.") from exc
        except TimeoutError as exc:
            raise TimeoutError_(
                f"{self.where} did not answer within {self.timeout:g} seconds."
            ) from exc
        except OSError as exc:
            raise ConnectionLostError(f"Lost the connection to {self.where}: {exc}") from exc

    async def write(self, data: bytes) -> None:
        try:
            self._writer.write(data)
            await asyncio.wait_for(self._writer.drain(), self.timeout)
        except TimeoutError as exc:
            raise TimeoutError_(f"{self.where} stopped reading.") from exc
        except OSError as exc:
            raise ConnectionLostError(f"Lost the connection to {self.where}: {exc}") from exc

    async def close(self) -> None:
        """Close without raising: used in finally blocks after errors."""
        self._writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer.wait_closed(), 2.0)


async def _guard(coro: Awaitable[T], host: str, port: int, timeout: float, doing: str) -> T:
    where = f"{host}:{port}"
    try:
        return await asyncio.wait_for(coro, timeout)
    except ssl.SSLCertVerificationError:
        raise  # explained by the caller, who can fetch the certificate's fingerprint
    except ssl.SSLError as exc:
        raise TLSError(
            f"The TLS handshake with {where} failed: {exc.reason or exc}.",
            reason="handshake",
            hint="The server may not speak TLS on this port, or only old TLS versions "
            "(1.2 or newer is required).",
        ) from exc
    except TimeoutError as exc:
        raise TimeoutError_(
            f"No answer from {where} within {timeout:g} seconds while {doing} it."
        ) from exc
    except ConnectionRefusedError as exc:
        raise ConnectError(
            f"{where} refused the connection.",
            hint="Check the host name and port, and that the server is running.",
        ) from exc
    except OSError as exc:
        raise ConnectError(
            f"Cannot connect to {where}: {exc.strerror or exc}.",
            hint="Check the host name, the port and the network.",
        ) from exc
