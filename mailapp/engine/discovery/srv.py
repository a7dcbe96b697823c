"""DNS SRV discovery (RFC 6186, with the implicit-TLS services of RFC 8314).

Six names are asked at once; a target of "." means the service is deliberately not offered.
Records are ordered by priority, then (RFC 8314 section 5.1) implicit TLS before STARTTLS,
IMAP before POP3 (RFC 6186 section 3.4 on equal priorities), then by weight, heaviest first
(a fixed order instead of RFC 2782's weighted lottery: the person sees one stable
suggestion). The login name is the whole address, as RFC 6186 assumes. DNS answers are not
authenticated, so the suggestion carries a note to check the host name.
Imports: core, protocols, engine.discovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from mailapp.core.model import Security
from mailapp.engine.discovery.lookup import Lookup, LookupFailure, SrvRecord
from mailapp.protocols.autoconfig import ServerCandidate, ServerKind


@dataclass(frozen=True, slots=True)
class SrvService:
    label: str  # "_imaps._tcp"
    kind: ServerKind
    security: Security


SRV_SERVICES: tuple[SrvService, ...] = (
    SrvService("_submissions._tcp", ServerKind.SMTP, Security.SSL),
    SrvService("_submission._tcp", ServerKind.SMTP, Security.STARTTLS),
    SrvService("_imaps._tcp", ServerKind.IMAP, Security.SSL),
    SrvService("_imap._tcp", ServerKind.IMAP, Security.STARTTLS),
    SrvService("_pop3s._tcp", ServerKind.POP3, Security.SSL),
    SrvService("_pop3._tcp", ServerKind.POP3, Security.STARTTLS),
)

SRV_NOTE = "From DNS service records, which are not authenticated: check the host name."


@dataclass(frozen=True, slots=True)
class SrvFindings:
    incoming: tuple[ServerCandidate, ...]
    outgoing: tuple[ServerCandidate, ...]
    lines: tuple[str, ...]  # one plain sentence per name asked
    dns_failed: bool  # at least one question got no answer at all (not "no such record")


def srv_names(domain: str) -> tuple[str, ...]:
    return tuple(f"{s.label}.{domain}" for s in SRV_SERVICES)


async def find_srv(lookup: Lookup, domain: str, email: str) -> SrvFindings:
    answers = await asyncio.gather(
        *(lookup.srv(name) for name in srv_names(domain)), return_exceptions=True
    )
    ranked: list[tuple[tuple[int, int, int, int], ServerCandidate]] = []
    lines: list[str] = []
    dns_failed = False
    for service, answer in zip(SRV_SERVICES, answers, strict=True):
        name = f"{service.label}.{domain}"
        if isinstance(answer, LookupFailure):
            dns_failed = dns_failed or not answer.missing
            lines.append(f"{name}: no record" if answer.missing else answer.message)
            continue
        if isinstance(answer, BaseException):
            raise answer
        offered = [r for r in answer if r.target and r.port > 0]
        if not offered:
            lines.append(f"{name}: the domain says this service is not offered")
            continue
        for record in offered:
            ranked.append((_rank(service, record), _candidate(service, record, email)))
        shown = ", ".join(f"{r.target}:{r.port}" for r in _by_rank(offered))
        lines.append(f"{name}: {shown}")
    ranked.sort(key=lambda item: item[0])
    incoming = _unique(c for _, c in ranked if c.kind.incoming)
    outgoing = _unique(c for _, c in ranked if not c.kind.incoming)
    return SrvFindings(incoming, outgoing, tuple(lines), dns_failed)


def _rank(service: SrvService, record: SrvRecord) -> tuple[int, int, int, int]:
    return (
        record.priority,
        0 if service.security is Security.SSL else 1,
        0 if service.kind is not ServerKind.POP3 else 1,
        -record.weight,
    )


def _by_rank(records: list[SrvRecord]) -> list[SrvRecord]:
    return sorted(records, key=lambda r: (r.priority, -r.weight, r.target))


def _candidate(service: SrvService, record: SrvRecord, email: str) -> ServerCandidate:
    return ServerCandidate(
        service.kind, record.target, record.port, service.security, email.strip(), ()
    )


def _unique(candidates: Iterable[ServerCandidate]) -> tuple[ServerCandidate, ...]:
    seen: list[ServerCandidate] = []
    for candidate in candidates:
        if candidate not in seen:
            seen.append(candidate)
    return tuple(seen)
