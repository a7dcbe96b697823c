"""DNS for discovery: SRV, MX and host addresses, from the system's or a chosen resolver.

Every failure becomes LookupFailure with a plain sentence; `missing` tells "the name or
record does not exist" from "the DNS did not answer". Imports: dnspython, asyncio, socket.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdtypes.ANY.MX
import dns.rdtypes.IN.SRV
import dns.resolver

from mailapp.engine.discovery.model import DiscoveryConfig


class LookupFailure(Exception):
    def __init__(self, message: str, *, missing: bool) -> None:
        super().__init__(message)
        self.message = message
        self.missing = missing


@dataclass(frozen=True, slots=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # without the final dot; "" for "." (service not offered)


@dataclass(frozen=True, slots=True)
class MxRecord:
    preference: int
    exchange: str  # without the final dot; "" for a null MX (RFC 7505)


class Lookup:
    """The DNS questions discovery asks, all through one resolver."""

    def __init__(self, config: DiscoveryConfig) -> None:
        self._config = config
        self._custom = config.nameserver is not None
        # Set when the system has no resolver configuration dnspython can read (a container
        # without /etc/resolv.conf): every DNS question then fails as "no answer".
        self._unconfigured: str | None = None
        if config.nameserver is not None:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [config.nameserver]
            resolver.port = config.nameserver_port
        else:
            try:
                resolver = dns.asyncresolver.Resolver(configure=True)
            except dns.exception.DNSException as exc:
                resolver = dns.asyncresolver.Resolver(configure=False)
                self._unconfigured = f"the system's DNS settings cannot be read ({exc})"
        resolver.lifetime = config.dns_timeout
        resolver.timeout = config.dns_timeout
        self._resolver = resolver

    async def _answer(self, name: str, rdtype: str) -> dns.resolver.Answer:
        if self._unconfigured is not None:
            raise LookupFailure(self._unconfigured, missing=False)
        try:
            return await self._resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            raise LookupFailure(f"{name} does not exist", missing=True) from None
        except dns.resolver.NoAnswer:
            raise LookupFailure(f"{name} has no {rdtype} record", missing=True) from None
        except dns.resolver.NoNameservers:
            raise LookupFailure(
                f"no DNS server answered for {name} ({rdtype})", missing=False
            ) from None
        except dns.exception.Timeout:
            raise LookupFailure(
                f"the DNS did not answer for {name} within {self._config.dns_timeout:g} s",
                missing=False,
            ) from None
        except dns.exception.DNSException as exc:
            raise LookupFailure(f"DNS lookup of {name} failed: {exc}", missing=False) from None

    async def srv(self, name: str) -> list[SrvRecord]:
        answer = await self._answer(name, "SRV")
        records = []
        for rdata in answer:
            if isinstance(rdata, dns.rdtypes.IN.SRV.SRV):
                # A target of "." says the service is deliberately not offered.
                root = rdata.target == dns.name.root
                target = "" if root else rdata.target.to_text(omit_final_dot=True).lower()
                records.append(SrvRecord(rdata.priority, rdata.weight, rdata.port, target))
        return records

    async def mx(self, domain: str) -> list[MxRecord]:
        answer = await self._answer(domain, "MX")
        records = [
            MxRecord(
                rdata.preference,
                ""
                if rdata.exchange == dns.name.root
                else rdata.exchange.to_text(omit_final_dot=True).lower(),
            )
            for rdata in answer
            if isinstance(rdata, dns.rdtypes.ANY.MX.MX)
        ]
        return sorted(records, key=lambda r: (r.preference, r.exchange))

    async def addresses(self, host: str) -> list[str]:
        """The host's IPv4 then IPv6 addresses; LookupFailure(missing=True) when none."""
        if not self._custom:
            return await self._system_addresses(host)
        found: list[str] = []
        failures: list[LookupFailure] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self._answer(host, rdtype)
            except LookupFailure as exc:
                failures.append(exc)
                continue
            found.extend(rdata.to_text() for rdata in answer)
        if found:
            return found
        if all(f.missing for f in failures):
            raise LookupFailure(f"{host} does not exist", missing=True)
        raise failures[-1]

    async def _system_addresses(self, host: str) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), self._config.dns_timeout
            )
        except TimeoutError:
            raise LookupFailure(f"the DNS did not answer for {host}", missing=False) from None
        except socket.gaierror as exc:
            missing = exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5))
            raise LookupFailure(f"{host} does not exist", missing=missing) from None
        addresses: list[str] = []
        for family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])
            if family in (socket.AF_INET, socket.AF_INET6) and address not in addresses:
                addresses.append(address)
        if not addresses:
            raise LookupFailure(f"{host} has no address", missing=True)
        return sorted(addresses, key=lambda a: ":" in a)
