"""A real DNS server for tests: dnsmasq on 127.0.0.1, a free port, only the records given.

Holds DnsServer (start/stop, context manager), SrvHost (one SRV record), and the errors
DnsServerError / DnsServerUnavailable. Imports only the standard library and dnspython (to
wait until the server answers); code under mailapp/ must never import it.

dnsmasq runs in the foreground (--no-daemon) with no upstream server, no /etc/hosts and no
config file, so it answers only what the test declared; names under `local_domains`
(default: the whole .test TLD) that were not declared get NXDOMAIN. Debian ships dnsmasq in
the package `dnsmasq-base`; without it start() raises DnsServerUnavailable naming it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import dns.exception
import dns.resolver

__all__ = ["PACKAGE", "DnsServer", "DnsServerError", "DnsServerUnavailable", "SrvHost"]

PACKAGE = "dnsmasq-base"
HOST = "127.0.0.1"
# Answered by every instance, so start() knows the server is up.
_READY_NAME = "ready.dns-server.invalid"
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


class DnsServerError(RuntimeError):
    """dnsmasq could not be started or stopped."""


class DnsServerUnavailable(DnsServerError):
    """dnsmasq is not installed here."""


@dataclass(frozen=True, slots=True)
class SrvHost:
    """One SRV record; target None publishes "." (the service is not offered)."""

    name: str  # "_imaps._tcp.example.test"
    target: str | None = None
    port: int = 0
    priority: int = 0
    weight: int = 0

    def option(self) -> str:
        if self.target is None:
            return f"--srv-host={self.name}"
        return f"--srv-host={self.name},{self.target},{self.port},{self.priority},{self.weight}"


def find_dnsmasq() -> str:
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    found = shutil.which("dnsmasq", path=path)
    if found is None:
        raise DnsServerUnavailable(
            "dnsmasq is not installed: the DNS tests need a real DNS server on loopback. "
            f"Install it as root: apt-get install --no-install-recommends {PACKAGE}"
        )
    return found


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise DnsServerError("no port free for both UDP and TCP on 127.0.0.1")


class DnsServer:
    """dnsmasq answering A records (`hosts`), MX (`mx`: (domain, exchange, preference)) and
    SRV (`srv`) on 127.0.0.1:`port`."""

    host = HOST

    def __init__(
        self,
        *,
        hosts: Mapping[str, str] | None = None,
        mx: Iterable[tuple[str, str, int]] = (),
        srv: Iterable[SrvHost] = (),
        local_domains: Sequence[str] = ("test",),
        start_timeout: float = 10.0,
    ) -> None:
        self.hosts = dict(hosts or {})
        self.mx = list(mx)
        self.srv = list(srv)
        self.local_domains = list(local_domains)
        self.start_timeout = start_timeout
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: nobody reads dnsmasq's output while it runs, and a full pipe
        # would stall it.
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    def arguments(self, port: int) -> list[str]:
        args = [
            "--no-daemon",
            f"--port={port}",
            f"--listen-address={HOST}",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--user=root",
            "--conf-file=/dev/null",
            "--pid-file=",
            "--log-facility=-",
        ]
        args.append(f"--host-record={_READY_NAME},{HOST}")
        args += [f"--local=/{domain}/" for domain in self.local_domains]
        args += [f"--host-record={name},{address}" for name, address in self.hosts.items()]
        args += [f"--mx-host={domain},{exchange},{pref}" for domain, exchange, pref in self.mx]
        args += [record.option() for record in self.srv]
        return args

    def start(self) -> None:
        program = find_dnsmasq()
        last = ""
        for _ in range(3):
            port = _free_port()
            process = subprocess.Popen(
                [program, *self.arguments(port)],
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
            )
            if self._wait_ready(process, port):
                self._process, self.port = process, port
                return
            last = self._end(process)
        raise DnsServerError(f"dnsmasq did not start: {last.strip()[-2000:]}")

    def _wait_ready(self, process: subprocess.Popen[bytes], port: int) -> bool:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [HOST]
        resolver.port = port
        resolver.lifetime = 0.5
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                resolver.resolve(_READY_NAME, "A")
            except dns.exception.DNSException:
                # Not bound yet (a refused UDP port also ends up here): ask again.
                time.sleep(0.05)
                continue
            return True
        return False

    def _end(self, process: subprocess.Popen[bytes]) -> str:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return self.log

    @property
    def log(self) -> str:
        """What dnsmasq printed so far."""
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            self._end(process)
        self._output.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            self.stop()
