"""A scripted fake TCP server for faults real mail servers will not produce on demand.

Holds FakeServer, the per-connection record Connection, and the script steps (send, line,
expect, read_until, read_bytes, starttls, sleep, drain, close, drop). Protocol-neutral: SMTP,
IMAP and POP3 tests write their own transcripts. Imports only the standard library.

A script is a sequence of steps played against each accepted connection; every line the
client sends while a step reads is recorded. When the script runs out, the connection is
closed gracefully. Usable from async tests (`async with FakeServer(...)`, same event loop) and
from sync tests (`with FakeServer(...)`, the loop runs in a thread).

    script = [line("220 fake ESMTP"), expect(r"EHLO "), line("250 fake"),
              expect(r"MAIL FROM:"), line("250 ok"), ..., expect(r"DATA"),
              line("354 go ahead"), read_until(r"\\.$"), drop()]
    with FakeServer(script) as server:
        ...client connects to server.host, server.port...
        server.wait_finished()
    assert server.connections[0].closed_by == "drop"
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

__all__ = [
    "Close",
    "Connection",
    "Drain",
    "Drop",
    "Expect",
    "FakeServer",
    "ReadBytes",
    "ReadUntil",
    "Send",
    "Sleep",
    "StartTls",
    "Step",
    "close",
    "drain",
    "drop",
    "expect",
    "line",
    "read_bytes",
    "read_until",
    "send",
    "sleep",
    "starttls",
]

Data = str | bytes
Match = re.Match[bytes]
# A reply may depend on the last matched line, e.g. an IMAP tag: lambda m: b"%s OK" % m["tag"]
Reply = Data | Callable[[Match | None], Data]


@dataclass(frozen=True, slots=True)
class Send:
    data: Reply
    crlf: bool = False


@dataclass(frozen=True, slots=True)
class Expect:
    pattern: re.Pattern[bytes]
    timeout: float


@dataclass(frozen=True, slots=True)
class ReadUntil:
    pattern: re.Pattern[bytes]
    timeout: float
    max_lines: int


@dataclass(frozen=True, slots=True)
class ReadBytes:
    count: int
    timeout: float


@dataclass(frozen=True, slots=True)
class StartTls:
    context: ssl.SSLContext
    timeout: float


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Drain:
    timeout: float


@dataclass(frozen=True, slots=True)
class Close:
    pass


@dataclass(frozen=True, slots=True)
class Drop:
    pass


Step = Send | Expect | ReadUntil | ReadBytes | StartTls | Sleep | Drain | Close | Drop


def _pattern(pattern: Data | re.Pattern[bytes], flags: int) -> re.Pattern[bytes]:
    if isinstance(pattern, re.Pattern):
        return pattern
    raw = pattern.encode() if isinstance(pattern, str) else pattern
    return re.compile(raw, flags)


def send(data: Reply) -> Send:
    """Send bytes exactly as given (str is UTF-8 encoded); a callable gets the last match."""
    return Send(data)


def line(text: Reply) -> Send:
    """Send one line; CRLF is appended."""
    return Send(text, crlf=True)


def expect(
    pattern: Data | re.Pattern[bytes], *, timeout: float = 10.0, flags: int = re.IGNORECASE
) -> Expect:
    """Read one line; it must match pattern at its start (re.match, line ending stripped).

    A mismatch, a timeout or EOF is recorded in Connection.errors and ends the script, which
    closes the connection."""
    return Expect(_pattern(pattern, flags), timeout)


def read_until(
    pattern: Data | re.Pattern[bytes],
    *,
    timeout: float = 10.0,
    max_lines: int = 1_000_000,
    flags: int = re.IGNORECASE,
) -> ReadUntil:
    """Read lines until one matches (e.g. SMTP DATA's final r"\\.$"); all are recorded."""
    return ReadUntil(_pattern(pattern, flags), timeout, max_lines)


def read_bytes(count: int, *, timeout: float = 10.0) -> ReadBytes:
    """Read exactly count bytes (an IMAP literal); recorded as one entry of Connection.lines."""
    return ReadBytes(count, timeout)


def starttls(context: ssl.SSLContext, *, timeout: float = 10.0) -> StartTls:
    """Upgrade the connection to TLS as the server side, with this server context."""
    return StartTls(context, timeout)


def sleep(seconds: float) -> Sleep:
    return Sleep(seconds)


def drain(timeout: float = 5.0) -> Drain:
    """Record lines until the client closes (or timeout passes quietly), then close."""
    return Drain(timeout)


def close() -> Close:
    """Close gracefully (FIN after pending data)."""
    return Close()


def drop() -> Drop:
    """Cut the connection abruptly (RST, pending data discarded)."""
    return Drop()


class _ScriptEnded(Exception):
    pass


@dataclass
class Connection:
    """What happened on one accepted connection."""

    index: int
    lines: list[bytes] = field(default_factory=list)  # raw, with their line endings
    errors: list[str] = field(default_factory=list)
    tls: bool = False
    # "script" (end or close()), "drop", "peer" (EOF), "error", "cancelled" (server stopped)
    closed_by: str = ""
    finished: bool = False

    @property
    def text(self) -> list[str]:
        """Received lines decoded (UTF-8, replacement on error), line endings stripped."""
        return [ln.decode("utf-8", "replace").rstrip("\r\n") for ln in self.lines]


class _Session:
    def __init__(
        self, conn: Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.conn = conn
        self.reader = reader
        self.writer = writer
        self.match: Match | None = None

    async def play(self, script: Sequence[Step]) -> None:
        try:
            for number, step in enumerate(script, 1):
                await self._step(number, step)
                if self.conn.closed_by:
                    return
        except _ScriptEnded:
            pass
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError) as exc:
            self.conn.errors.append(f"connection failed: {exc!r}")
            self.conn.closed_by = "error"
        finally:
            if not self.conn.closed_by:
                self.conn.closed_by = "script"
            if not self.writer.is_closing():
                self.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.wait_closed(), 2)
            self.conn.finished = True

    async def _step(self, number: int, step: Step) -> None:
        match step:
            case Send(data, crlf):
                value = data(self.match) if callable(data) else data
                payload = value.encode() if isinstance(value, str) else value
                self.writer.write(payload + (b"\r\n" if crlf else b""))
                await self.writer.drain()
            case Expect(pattern, timeout):
                got = await self._readline(number, pattern, timeout)
                found = pattern.match(got.rstrip(b"\r\n"))
                if found is None:
                    self._fail(f"step {number}: expected {pattern.pattern!r}, got {got!r}")
                self.match = found
            case ReadUntil(pattern, timeout, max_lines):
                for _ in range(max_lines):
                    got = await self._readline(number, pattern, timeout)
                    found = pattern.match(got.rstrip(b"\r\n"))
                    if found is not None:
                        self.match = found
                        return
                self._fail(f"step {number}: no line matching {pattern.pattern!r}")
            case ReadBytes(count, timeout):
                try:
                    got = await asyncio.wait_for(self.reader.readexactly(count), timeout)
                except asyncio.IncompleteReadError as exc:
                    self.conn.lines.append(exc.partial)
                    self.conn.closed_by = "peer"
                    self._fail(f"step {number}: EOF after {len(exc.partial)} of {count} bytes")
                except TimeoutError:
                    self._fail(f"step {number}: timeout reading {count} bytes")
                self.conn.lines.append(got)
            case StartTls(context, timeout):
                await self.writer.start_tls(context, ssl_handshake_timeout=timeout)
                self.conn.tls = True
            case Sleep(seconds):
                await asyncio.sleep(seconds)
            case Drain(timeout):
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        while got := await self.reader.readline():
                            self.conn.lines.append(got)
                        self.conn.closed_by = "peer"
            case Close():
                self.conn.closed_by = "script"
            case Drop():
                sock = self.writer.get_extra_info("socket")
                if sock is not None:
                    # Linger with zero timeout: close() then sends RST instead of FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.writer.transport.abort()
                self.conn.closed_by = "drop"

    async def _readline(self, number: int, pattern: re.Pattern[bytes], timeout: float) -> bytes:
        try:
            got = await asyncio.wait_for(self.reader.readline(), timeout)
        except TimeoutError:
            self._fail(f"step {number}: timeout waiting for {pattern.pattern!r}")
        except (ValueError, asyncio.LimitOverrunError) as exc:
            self._fail(f"step {number}: line too long ({exc})")
        if not got:
            self.conn.closed_by = "peer"
            self._fail(f"step {number}: EOF while waiting for {pattern.pattern!r}")
        self.conn.lines.append(got)
        return got

    def _fail(self, message: str) -> None:
        self.conn.errors.append(message)
        raise _ScriptEnded(message)


class FakeServer:
    """Plays `script` on every connection (or script(index) when it is a callable)."""

    def __init__(
        self,
        script: Sequence[Step] | Callable[[int], Sequence[Step]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        line_limit: int = 1 << 20,
    ) -> None:
        self.host = host
        self.port = port
        self._script = script
        self._limit = line_limit
        self._connections: list[Connection] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- results ------------------------------------------------------------------------------

    @property
    def connections(self) -> list[Connection]:
        return list(self._connections)

    @property
    def lines(self) -> list[str]:
        """Every received line of every connection, decoded, line endings stripped."""
        return [text for conn in self.connections for text in conn.text]

    @property
    def errors(self) -> list[str]:
        return [f"connection {c.index}: {e}" for c in self.connections for e in c.errors]

    def finished_count(self) -> int:
        return sum(conn.finished for conn in self.connections)

    def wait_finished(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until `count` connections have ended (thread mode)."""
        deadline = time.monotonic() + timeout
        while self.finished_count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(self._progress(count))
            time.sleep(0.01)

    async def wait_finished_async(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until `count` connections have ended (either mode)."""
        deadline = time.monotonic() + timeout
        while self.finished_count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(self._progress(count))
            await asyncio.sleep(0.01)

    def _progress(self, count: int) -> str:
        return (
            f"{self.finished_count()} of {count} connection(s) finished; "
            f"lines so far: {self.lines[-10:]}; errors: {self.errors}"
        )

    # --- async mode ---------------------------------------------------------------------------

    async def start_async(self) -> Self:
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=self._limit
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop_async(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start_async()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop_async()

    # --- thread mode --------------------------------------------------------------------------

    def start(self) -> Self:
        """Run the server on its own event loop in a daemon thread."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name=f"FakeServer-{id(self):x}", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.start_async(), loop).result(10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.stop_async(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- connections --------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(index=len(self._connections))
        self._connections.append(conn)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            script = self._script(conn.index) if callable(self._script) else self._script
            await _Session(conn, reader, writer).play(script)
        except asyncio.CancelledError:
            # stop() cancels connections still running; asyncio would log the cancelled
            # handler as an error.
            conn.closed_by = conn.closed_by or "cancelled"
        finally:
            if task is not None:
                self._tasks.discard(task)
