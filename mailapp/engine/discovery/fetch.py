"""The HTTPS steps of discovery: the provider's autoconfig host, the domain's well-known
file, and Thunderbird's ISPDB; each fetched file is read by protocols.autoconfig.

Only https:// (see transport.http_get for why plain http is never tried). Host names are
resolved through the discovery resolver, and TLS checks the certificate against the URL's
host name. Imports: core, protocols, transport, engine.discovery.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from mailapp.core.errors import (
    CertificateError,
    LimitExceededError,
    MailAppError,
    ParseError,
    TLSError,
    TransportError,
)
from mailapp.engine.discovery.lookup import Lookup, LookupFailure
from mailapp.engine.discovery.model import DiscoveryConfig, StepOutcome, describe
from mailapp.protocols.autoconfig import ClientConfig, parse_client_config
from mailapp.transport.http_get import Connector, https_get


@dataclass(frozen=True, slots=True)
class FetchReport:
    outcome: StepOutcome
    detail: str
    config: ClientConfig | None = None


def autoconfig_url(email: str, domain: str) -> str:
    return (
        f"https://autoconfig.{domain}/mail/config-v1.1.xml"
        f"?emailaddress={quote(email.strip(), safe='@')}"
    )


def well_known_url(domain: str) -> str:
    return f"https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"


def ispdb_url(base: str, domain: str) -> str:
    return f"{base.rstrip('/')}/{quote(domain, safe='')}"


def make_connector(lookup: Lookup, config: DiscoveryConfig) -> Connector:
    async def connect(host: str, port: int) -> Sequence[tuple[str, int]]:
        actual = config.https_port if port == 443 else port
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return [(address, actual) for address in await lookup.addresses(host)]
        return [(host, actual)]

    return connect


def within_domain(domain: str) -> Callable[[str], bool]:
    """Redirect policy for a domain's own files: the domain itself or a name under it."""
    base = domain.lower().rstrip(".")
    return lambda host: host == base or host.endswith("." + base)


async def fetch_config(
    url: str,
    email: str,
    *,
    context: ssl.SSLContext,
    connector: Connector,
    config: DiscoveryConfig,
    redirect_allowed: Callable[[str], bool] | None = None,
) -> FetchReport:
    """Fetch and read one autoconfig file; every outcome is a report, never an exception
    (a bug of ours still raises)."""
    try:
        response = await https_get(
            url,
            ssl_context=context,
            timeout=config.http_timeout,
            max_bytes=config.max_config_bytes,
            redirect_allowed=redirect_allowed,
            connector=connector,
        )
    except LookupFailure as exc:
        outcome = StepOutcome.NOT_FOUND if exc.missing else StepOutcome.FAILED
        return FetchReport(outcome, f"{exc.message}.")
    except CertificateError as exc:
        return FetchReport(StepOutcome.FAILED, f"Not trusted: {exc.message}")
    except TLSError as exc:
        return FetchReport(StepOutcome.FAILED, exc.message)
    except TransportError as exc:
        # Refused connections, timeouts: simply nothing there for us.
        return FetchReport(StepOutcome.NOT_FOUND, exc.message)
    except MailAppError as exc:
        # Something answered, but not usably: not HTTP, too big, a refused redirect.
        return FetchReport(StepOutcome.FAILED, exc.message)
    if response.status != 200:
        words = f"{response.status} {response.reason}".strip()
        return FetchReport(StepOutcome.NOT_FOUND, f"No autoconfig file there (HTTP {words}).")
    try:
        found = parse_client_config(response.body, email, max_bytes=config.max_config_bytes)
    except (ParseError, LimitExceededError) as exc:
        return FetchReport(StepOutcome.FAILED, f"The file cannot be used: {exc.message}")
    if not found.incoming and not found.outgoing:
        why = "; ".join(found.skipped) or "it lists no server"
        return FetchReport(StepOutcome.NOT_FOUND, f"No usable server in the file: {why}.", found)
    parts = []
    if found.incoming:
        parts.append("incoming " + ", ".join(describe(s) for s in found.incoming))
    if found.outgoing:
        parts.append("outgoing " + ", ".join(describe(s) for s in found.outgoing))
    name = f" for {found.display_name}" if found.display_name else ""
    detail = f"Settings found{name}: " + "; ".join(parts) + "."
    if found.skipped:
        detail += " Left out: " + "; ".join(found.skipped) + "."
    return FetchReport(StepOutcome.FOUND, detail, found)
