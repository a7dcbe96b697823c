"""Values of account discovery: its steps, what each found, the settings, and the knobs.

Frozen values only; no I/O. Imports: core, protocols.autoconfig, the standard library.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mailapp.core.errors import ConfigError
from mailapp.core.model import Account, IncomingProtocol, ServerSettings
from mailapp.protocols.autoconfig import MAX_CONFIG_BYTES, ServerCandidate, ServerKind

ISPDB_BASE_URL = "https://autoconfig.thunderbird.net/v1.1/"


class StepName(StrEnum):
    """The discovery steps, in the order they run."""

    AUTOCONFIG = "autoconfig"  # https://autoconfig.<domain>/mail/config-v1.1.xml
    WELL_KNOWN = "well-known"  # https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml
    ISPDB = "ispdb"  # Thunderbird's database of providers
    SRV = "srv"  # DNS SRV records (RFC 6186, RFC 8314)
    MX = "mx"  # host names guessed from the domain's mail exchanger
    PROBE = "probe"  # connecting to the standard ports of the guessed hosts


STEP_ORDER: tuple[StepName, ...] = tuple(StepName)

STEP_TITLES: Mapping[StepName, str] = {
    StepName.AUTOCONFIG: "Provider's autoconfig server",
    StepName.WELL_KNOWN: "Domain's well-known autoconfig file",
    StepName.ISPDB: "Thunderbird's provider database",
    StepName.SRV: "DNS service records",
    StepName.MX: "Guess from the mail exchanger",
    StepName.PROBE: "Connecting to standard ports",
}


class StepOutcome(StrEnum):
    RUNNING = "running"  # reported when a step starts; its final report follows
    FOUND = "found"  # settings found
    GUESSED = "guessed"  # no settings yet, but host names for the next step
    NOT_FOUND = "not_found"  # nothing there (no such name, no file, no record)
    FAILED = "failed"  # something is there but unusable or suspicious (TLS, bad file)
    SKIPPED = "skipped"  # not run: settings already found, or turned off


@dataclass(frozen=True, slots=True)
class DiscoveryStep:
    """One report about one step: what was tried and how it went, in plain words."""

    step: StepName
    outcome: StepOutcome
    detail: str
    tried: tuple[str, ...] = ()  # URLs, DNS names, host:port probes

    @property
    def title(self) -> str:
        return STEP_TITLES[self.step]


@dataclass(frozen=True, slots=True)
class FoundServer:
    """One server discovery suggests; every field stays editable in the wizard."""

    candidate: ServerCandidate
    source: StepName
    # Said next to the suggestion ("DNS answers are not authenticated: check the name").
    note: str = ""
    # None: not connected during discovery; False: it answered but its certificate is not
    # trusted for this name (the account test then offers to pin it).
    certificate_trusted: bool | None = None

    @property
    def kind(self) -> ServerKind:
        return self.candidate.kind

    @property
    def settings(self) -> ServerSettings:
        return self.candidate.settings


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    email: str
    incoming: tuple[FoundServer, ...]  # best first
    outgoing: tuple[FoundServer, ...]  # best first
    steps: tuple[DiscoveryStep, ...]  # final report of every step, in order
    provider_name: str = ""

    @property
    def found(self) -> bool:
        """True when both an incoming and an outgoing server were found."""
        return bool(self.incoming) and bool(self.outgoing)

    @property
    def best_incoming(self) -> FoundServer | None:
        return self.incoming[0] if self.incoming else None

    @property
    def best_outgoing(self) -> FoundServer | None:
        return self.outgoing[0] if self.outgoing else None

    def account(self, name: str, display_name: str = "") -> Account:
        """An account from the best suggestions, to show in the wizard for editing."""
        incoming, outgoing = self.best_incoming, self.best_outgoing
        if incoming is None or outgoing is None:
            missing = "incoming" if incoming is None else "outgoing"
            raise ConfigError(
                f"No {missing} server was found for {self.email}.",
                hint="Enter the server settings by hand.",
            )
        protocol = incoming.kind.incoming_protocol or IncomingProtocol.IMAP
        return Account(
            name=name,
            email=self.email,
            display_name=display_name,
            incoming_protocol=protocol,
            incoming=incoming.settings,
            outgoing=outgoing.settings,
        )


@dataclass(frozen=True, slots=True)
class DiscoveryConfig:
    """Where discovery looks and how long it waits; tests point it at loopback servers.

    `nameserver`: send every DNS question (SRV, MX and the addresses of the hosts to
    contact, autoconfig ones included) to this server instead of the system's resolver.
    `https_port` replaces 443 for every HTTPS fetch, `probe_ports` maps a standard port to
    the one actually connected (993 -> 20093). `ca_files` are trusted on top of the system's
    CAs (or `ssl_context` replaces that context whole); verification is never off.
    """

    nameserver: str | None = None
    nameserver_port: int = 53
    ca_files: tuple[str, ...] = ()
    ssl_context: ssl.SSLContext | None = None
    https_port: int = 443
    ispdb_base_url: str = ISPDB_BASE_URL
    use_ispdb: bool = True
    probe_ports: Mapping[int, int] = field(default_factory=dict)
    steps: tuple[StepName, ...] = STEP_ORDER
    stop_when_found: bool = True
    http_timeout: float = 10.0
    dns_timeout: float = 5.0
    probe_timeout: float = 5.0
    probe_concurrency: int = 8
    max_config_bytes: int = MAX_CONFIG_BYTES


def describe(candidate: ServerCandidate) -> str:
    """'imap mail.example.com:993 (ssl)'."""
    return f"{candidate.kind} {candidate.host}:{candidate.port} ({candidate.security})"


Progress = Callable[[DiscoveryStep], None]
