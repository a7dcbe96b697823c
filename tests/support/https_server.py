"""A loopback HTTPS server for tests: serves given bodies per (host name, path) under a
certificate from a freshly generated CA, and records every request.

Holds HttpsServer (start/stop, context manager), Route and Request. Name-based virtual
hosting: the Host header picks the site, so one server can stand for autoconfig.<domain>,
<domain> and the ISPDB at once once the test's DNS points those names at 127.0.0.1.
Imports only the standard library and tests/support/mailstack.py (its certificate
generator); code under mailapp/ must never import it.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from support.mailstack import Certificates, generate_certificates

__all__ = ["HttpsServer", "Request", "Route"]

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/xml"
    headers: tuple[tuple[str, str], ...] = ()
    # "length": Content-Length; "chunked": Transfer-Encoding chunked; "close": neither,
    # the body ends when the connection does.
    framing: str = "length"


@dataclass(frozen=True, slots=True)
class Request:
    host: str  # Host header without the port
    path: str
    query: str
    headers: dict[str, str] = field(default_factory=dict)


class HttpsServer:
    """HTTPS on 127.0.0.1:`port` with a certificate for `names` (and 127.0.0.1)."""

    host = HOST

    def __init__(self, names: Sequence[str], directory: Path | str | None = None) -> None:
        self.names = list(names)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="mailapp-https-")
            directory = self._tmp.name
        self.directory = Path(directory)
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._certs: Certificates | None = None
        self.port = 0

    @property
    def certificates(self) -> Certificates:
        if self._certs is None:
            raise RuntimeError("the HTTPS server has not been started")
        return self._certs

    @property
    def ca_file(self) -> Path:
        return self.certificates.ca_file

    # --- content --------------------------------------------------------------------------

    def add(self, host: str, path: str, body: bytes | str = b"", **route: object) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.routes[(host.lower(), path)] = Route(data, **route)  # type: ignore[arg-type]

    def redirect(self, host: str, path: str, location: str, status: int = 302) -> None:
        self.routes[(host.lower(), path)] = Route(
            b"", status=status, content_type="text/plain", headers=(("Location", location),)
        )

    def requests_for(self, host: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.host == host.lower()]

    def clear(self) -> None:
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._certs = generate_certificates(
            self.directory / "certs",
            common_name=self.names[0] if self.names else "localhost",
            dns_names=self.names or ["localhost"],
            ca_name="mailapp test HTTPS CA",
        )
        context = self._certs.server_context()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").lower()
                host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
                parts = urlsplit(self.path)
                with outer._lock:
                    outer.requests.append(
                        Request(host, parts.path, parts.query, dict(self.headers.items()))
                    )
                    route = outer.routes.get((host, parts.path))
                if route is None:
                    route = Route(b"not found\n", status=404, content_type="text/plain")
                self.close_connection = True
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Connection", "close")
                for name, value in route.headers:
                    self.send_header(name, value)
                if route.framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(route.body), 7):
                        piece = route.body[start : start + 7]
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                if route.framing == "length":
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                return

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                return  # refused handshakes are part of the tests

        server = Server((HOST, 0), Handler)
        # The handshake happens in the handler's thread on first read, so one client that
        # never completes it cannot stall the accept loop.
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
