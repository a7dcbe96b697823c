"""Host names worth probing: imap./smtp./mail. under the address's domain and under the
domain of its mail exchanger (MX), plus the MX host itself; only names that resolve are kept.

The MX's "parent domain" is found by dropping labels (mx1.mail.example.net gives
mail.example.net, then example.net) down to two labels: there is no public-suffix list here,
so a name like mx.example.co.uk also yields co.uk, whose guesses simply do not resolve.
Imports: protocols, engine.discovery.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mailapp.engine.discovery.lookup import Lookup, LookupFailure, MxRecord
from mailapp.protocols.autoconfig import ServerKind

MAX_MX_HOSTS = 2
MAX_PARENTS = 2
MAX_HOSTS = 8
ALL_KINDS = frozenset(ServerKind)
_PREFIX_KINDS = (
    ("imap", frozenset({ServerKind.IMAP})),
    ("smtp", frozenset({ServerKind.SMTP})),
    ("mail", ALL_KINDS),
)


@dataclass(frozen=True, slots=True)
class GuessedHost:
    name: str
    address: str  # first address found; probes connect here with TLS checking `name`
    kinds: frozenset[ServerKind]  # which services are probed on it


@dataclass(frozen=True, slots=True)
class MxGuess:
    mx: tuple[MxRecord, ...]
    mx_domains: tuple[str, ...]  # parent domains of the MX hosts, best first
    tried: tuple[str, ...]  # every name guessed, in order
    hosts: tuple[GuessedHost, ...]  # the guesses that resolve
    mx_note: str  # a sentence about the MX lookup


def parent_domains(host: str) -> list[str]:
    labels = host.lower().rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)][:MAX_PARENTS]


def candidate_names(domain: str, mx_hosts: list[str]) -> list[tuple[str, frozenset[ServerKind]]]:
    """(name, kinds) in the order they are tried; each name once."""
    names: list[tuple[str, frozenset[ServerKind]]] = []
    seen: set[str] = set()

    def add(name: str, kinds: frozenset[ServerKind]) -> None:
        if name not in seen:
            seen.add(name)
            names.append((name, kinds))

    for prefix, kinds in _PREFIX_KINDS:
        add(f"{prefix}.{domain}", kinds)
    for host in mx_hosts:
        add(host, ALL_KINDS)
        for parent in parent_domains(host):
            for prefix, kinds in _PREFIX_KINDS:
                add(f"{prefix}.{parent}", kinds)
    return names


async def guess_hosts(lookup: Lookup, domain: str) -> MxGuess:
    mx: list[MxRecord] = []
    try:
        mx = await lookup.mx(domain)
    except LookupFailure as exc:
        note = f"No MX record: {exc.message}."
    else:
        if any(not r.exchange for r in mx):
            note = f"{domain} says it receives no mail (null MX)."
            mx = [r for r in mx if r.exchange]
        else:
            shown = ", ".join(f"{r.exchange} (preference {r.preference})" for r in mx)
            note = f"Mail for {domain} goes to {shown}."
    mx_hosts = [r.exchange for r in mx[:MAX_MX_HOSTS]]
    mx_domains: list[str] = []
    for host in mx_hosts:
        mx_domains.extend(p for p in parent_domains(host) if p not in mx_domains)
    names = candidate_names(domain, mx_hosts)
    answers = await asyncio.gather(
        *(lookup.addresses(name) for name, _ in names), return_exceptions=True
    )
    hosts: list[GuessedHost] = []
    for (name, kinds), answer in zip(names, answers, strict=True):
        if isinstance(answer, LookupFailure):
            continue
        if isinstance(answer, BaseException):
            raise answer
        if answer and len(hosts) < MAX_HOSTS:
            hosts.append(GuessedHost(name, answer[0], kinds))
    return MxGuess(
        tuple(mx),
        tuple(mx_domains),
        tuple(name for name, _ in names),
        tuple(hosts),
        note,
    )
