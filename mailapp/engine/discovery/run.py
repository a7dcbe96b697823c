"""discover(): find the servers of an address, step by step, each step reported as it goes.

Order: autoconfig.<domain>, the domain's /.well-known file, the ISPDB, DNS SRV, the MX-based
guess, port probing. By default it stops once an incoming and an outgoing server are known
(later steps are reported as skipped); a step that finds only one side lets the next steps
fill in the other. Nothing found is a normal result, not an error: manual setup stays open.
Imports: core, protocols, transport, engine.discovery.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mailapp.core.errors import ConfigError, InvalidAddressError, ParseError
from mailapp.engine.discovery.fetch import (
    FetchReport,
    autoconfig_url,
    fetch_config,
    ispdb_url,
    make_connector,
    well_known_url,
    within_domain,
)
from mailapp.engine.discovery.guess import MxGuess, guess_hosts
from mailapp.engine.discovery.lookup import Lookup
from mailapp.engine.discovery.model import (
    STEP_ORDER,
    DiscoveryConfig,
    DiscoveryResult,
    DiscoveryStep,
    FoundServer,
    Progress,
    StepName,
    StepOutcome,
)
from mailapp.engine.discovery.probe import PROBE_PORTS, probe_hosts
from mailapp.engine.discovery.srv import SRV_NOTE, find_srv, srv_names
from mailapp.protocols.autoconfig import ClientConfig, ServerCandidate, split_address
from mailapp.transport.http_get import Connector

_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$"
)
PROBE_NOTE = "Found by connecting to the server; the login name is a guess (the whole address)."


def normalize_address(email: str) -> tuple[str, str]:
    """(address, ASCII domain) or InvalidAddressError in plain words."""
    text = email.strip()
    try:
        local, domain = split_address(text)
    except ParseError:
        raise InvalidAddressError(
            f"{email!r} is not an e-mail address.", hint="Write it like name@example.org."
        ) from None
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_domain = ""
    if not _DOMAIN_RE.match(ascii_domain):
        raise InvalidAddressError(
            f"{domain!r} in {email!r} is not a domain name that can be looked up.",
            hint="Write it like name@example.org.",
        )
    return f"{local}@{domain}", ascii_domain


def build_context(config: DiscoveryConfig) -> ssl.SSLContext:
    """The verifying context for every fetch and probe: system CAs plus `ca_files`."""
    if config.ssl_context is not None:
        return config.ssl_context
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for ca_file in config.ca_files:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"The CA file {ca_file} cannot be used: {exc}.", hint="Give a PEM file."
            ) from exc
    return context


@dataclass(frozen=True, slots=True)
class _StepResult:
    outcome: StepOutcome
    detail: str
    incoming: tuple[FoundServer, ...] = ()
    outgoing: tuple[FoundServer, ...] = ()
    provider_name: str = ""


class _Discovery:
    def __init__(self, email: str, domain: str, config: DiscoveryConfig) -> None:
        self.email = email
        self.domain = domain
        self.config = config
        self.context = build_context(config)
        self.lookup = Lookup(config)
        self.connector: Connector = make_connector(self.lookup, config)
        self.guess: MxGuess | None = None

    def planned(self, step: StepName) -> tuple[str, ...]:
        """What a step is about to try, for its "running" report."""
        domain = self.domain
        if step is StepName.AUTOCONFIG:
            return (autoconfig_url(self.email, domain),)
        if step is StepName.WELL_KNOWN:
            return (well_known_url(domain),)
        if step is StepName.ISPDB:
            return (ispdb_url(self.config.ispdb_base_url, domain),)
        if step is StepName.SRV:
            return srv_names(domain)
        if step is StepName.MX:
            return (f"MX {domain}",)
        if self.guess is not None:
            return tuple(
                f"{host.name}:{port}"
                for host in self.guess.hosts
                for port, kind, _ in PROBE_PORTS
                if kind in host.kinds
            )
        return ()

    def runner(
        self, step: StepName
    ) -> Callable[[], Awaitable[tuple[_StepResult, tuple[str, ...]]]]:
        return {
            StepName.AUTOCONFIG: self.autoconfig,
            StepName.WELL_KNOWN: self.well_known,
            StepName.ISPDB: self.ispdb,
            StepName.SRV: self.srv,
            StepName.MX: self.mx,
            StepName.PROBE: self.probe,
        }[step]

    async def _fetch(
        self, step: StepName, url: str, redirect_allowed: Callable[[str], bool] | None
    ) -> tuple[_StepResult, tuple[str, ...]]:
        report = await fetch_config(
            url,
            self.email,
            context=self.context,
            connector=self.connector,
            config=self.config,
            redirect_allowed=redirect_allowed,
        )
        return _from_fetch(step, report), (url,)

    async def autoconfig(self) -> tuple[_StepResult, tuple[str, ...]]:
        url = autoconfig_url(self.email, self.domain)
        return await self._fetch(StepName.AUTOCONFIG, url, within_domain(self.domain))

    async def well_known(self) -> tuple[_StepResult, tuple[str, ...]]:
        url = well_known_url(self.domain)
        return await self._fetch(StepName.WELL_KNOWN, url, within_domain(self.domain))

    async def ispdb(self) -> tuple[_StepResult, tuple[str, ...]]:
        url = ispdb_url(self.config.ispdb_base_url, self.domain)
        return await self._fetch(StepName.ISPDB, url, None)

    async def srv(self) -> tuple[_StepResult, tuple[str, ...]]:
        found = await find_srv(self.lookup, self.domain, self.email)
        detail = "; ".join(found.lines) + "."
        incoming = tuple(FoundServer(c, StepName.SRV, SRV_NOTE) for c in found.incoming)
        outgoing = tuple(FoundServer(c, StepName.SRV, SRV_NOTE) for c in found.outgoing)
        if incoming or outgoing:
            outcome = StepOutcome.FOUND
        elif found.dns_failed:
            outcome = StepOutcome.FAILED
        else:
            outcome = StepOutcome.NOT_FOUND
        return _StepResult(outcome, detail, incoming, outgoing), srv_names(self.domain)

    async def mx(self) -> tuple[_StepResult, tuple[str, ...]]:
        guess = self.guess = await guess_hosts(self.lookup, self.domain)
        tried = [f"MX {self.domain}", *guess.tried]
        # Hosted domains: the provider's ISPDB entry is filed under the MX's domain.
        if self.config.use_ispdb and StepName.ISPDB in self.config.steps:
            for mx_domain in guess.mx_domains:
                if mx_domain == self.domain:
                    continue
                url = ispdb_url(self.config.ispdb_base_url, mx_domain)
                tried.append(url)
                report = await fetch_config(
                    url,
                    self.email,
                    context=self.context,
                    connector=self.connector,
                    config=self.config,
                )
                if report.outcome is StepOutcome.FOUND and report.config is not None:
                    result = _from_fetch(StepName.MX, report)
                    detail = (
                        f"{guess.mx_note} Thunderbird's provider database knows {mx_domain}: "
                        f"{report.detail}"
                    )
                    return _StepResult(
                        StepOutcome.FOUND,
                        detail,
                        result.incoming,
                        result.outgoing,
                        result.provider_name,
                    ), tuple(tried)
        if guess.hosts:
            names = ", ".join(h.name for h in guess.hosts)
            detail = f"{guess.mx_note} Guessed names that exist: {names}."
            return _StepResult(StepOutcome.GUESSED, detail), tuple(tried)
        detail = f"{guess.mx_note} None of the guessed names exists ({', '.join(guess.tried)})."
        return _StepResult(StepOutcome.NOT_FOUND, detail), tuple(tried)

    async def probe(self) -> tuple[_StepResult, tuple[str, ...]]:
        guess = self.guess
        if guess is None:
            guess = self.guess = await guess_hosts(self.lookup, self.domain)
        if not guess.hosts:
            return _StepResult(
                StepOutcome.NOT_FOUND, "No host to probe: no guessed name exists."
            ), ()
        results = await probe_hosts(
            guess.hosts,
            context=self.context,
            timeout=self.config.probe_timeout,
            port_map=self.config.probe_ports,
            concurrency=self.config.probe_concurrency,
        )
        tried = tuple(r.where for r in results)
        usable = [r for r in results if r.usable]
        # Trusted certificates first, then the guess order, then PROBE_PORTS' order.
        host_rank = {h.name: i for i, h in enumerate(guess.hosts)}
        port_rank = {p: i for i, (p, _, _) in enumerate(PROBE_PORTS)}
        usable.sort(key=lambda r: (r.trusted is False, host_rank[r.host], port_rank[r.port]))
        found = [
            FoundServer(
                ServerCandidate(r.kind, r.host, r.port, r.security, self.email),
                StepName.PROBE,
                PROBE_NOTE if r.trusted else f"Found by connecting: {r.detail.rstrip('.')}.",
                r.trusted,
            )
            for r in usable
        ]
        incoming = tuple(f for f in found if f.kind.incoming)
        outgoing = tuple(f for f in found if not f.kind.incoming)
        lines = "; ".join(f"{r.where}: {r.detail}" for r in results)
        outcome = StepOutcome.FOUND if found else StepOutcome.NOT_FOUND
        return _StepResult(outcome, lines + ".", incoming, outgoing), tried


def _from_fetch(step: StepName, report: FetchReport) -> _StepResult:
    config: ClientConfig | None = report.config
    if report.outcome is not StepOutcome.FOUND or config is None:
        return _StepResult(report.outcome, report.detail)
    return _StepResult(
        StepOutcome.FOUND,
        report.detail,
        tuple(FoundServer(c, step) for c in config.incoming),
        tuple(FoundServer(c, step) for c in config.outgoing),
        config.display_name,
    )


def _merge(into: list[FoundServer], new: tuple[FoundServer, ...]) -> None:
    """Add servers not yet known; the first step that found one keeps it (and its rank)."""
    known = {(f.kind, f.candidate.host, f.candidate.port, f.candidate.security) for f in into}
    for found in new:
        key = (found.kind, found.candidate.host, found.candidate.port, found.candidate.security)
        if key not in known:
            known.add(key)
            into.append(found)


async def discover(
    email: str,
    *,
    progress: Progress | None = None,
    config: DiscoveryConfig | None = None,
) -> DiscoveryResult:
    """Find the servers for `email`; each step is reported to `progress` twice: RUNNING
    when it starts, then its outcome. Raises InvalidAddressError for an unusable address
    and ConfigError for an unusable CA file; everything the network does is a step outcome.
    """
    config = config or DiscoveryConfig()
    address, domain = normalize_address(email)
    run = _Discovery(address, domain, config)
    incoming: list[FoundServer] = []
    outgoing: list[FoundServer] = []
    provider_name = ""
    reports: list[DiscoveryStep] = []

    def report(step: DiscoveryStep) -> None:
        if step.outcome is not StepOutcome.RUNNING:
            reports.append(step)
        if progress is not None:
            progress(step)

    for step in STEP_ORDER:
        if step not in config.steps or (step is StepName.ISPDB and not config.use_ispdb):
            report(DiscoveryStep(step, StepOutcome.SKIPPED, "Turned off."))
            continue
        if config.stop_when_found and incoming and outgoing:
            report(DiscoveryStep(step, StepOutcome.SKIPPED, "Not needed: settings already found."))
            continue
        planned = run.planned(step)
        doing = f"Trying {', '.join(planned)}…" if planned else "Trying…"
        report(DiscoveryStep(step, StepOutcome.RUNNING, doing, planned))
        result, tried = await run.runner(step)()
        _merge(incoming, result.incoming)
        _merge(outgoing, result.outgoing)
        provider_name = provider_name or result.provider_name
        report(DiscoveryStep(step, result.outcome, result.detail, tried))
    return DiscoveryResult(address, tuple(incoming), tuple(outgoing), tuple(reports), provider_name)
