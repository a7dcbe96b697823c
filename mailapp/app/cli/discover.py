"""`mailapp discover ADDRESS`: find an address's server settings, showing every step.

Prints each step as it ends, then the servers found (best first) and the `mailapp account
add` command line that would use them; nothing is saved. With --json one JSON object at the
end. Exit status 0 when an incoming and an outgoing server were found, 1 otherwise (manual
setup with `mailapp account add` stays possible). Imports: core, engine.discovery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from dataclasses import replace
from typing import Any

from mailapp.core.errors import ConfigError
from mailapp.core.model import Security
from mailapp.engine.discovery import (
    STEP_ORDER,
    DiscoveryConfig,
    DiscoveryResult,
    DiscoveryStep,
    FoundServer,
    ServerKind,
    StepOutcome,
    discover,
    normalize_address,
)

# What `mailapp account add` assumes for a port when no --*-security is given.
_IMPLIED_SECURITY = {
    993: Security.SSL,
    995: Security.SSL,
    465: Security.SSL,
    143: Security.STARTTLS,
    110: Security.STARTTLS,
    587: Security.STARTTLS,
}
_OUTCOME_WORDS = {
    StepOutcome.FOUND: "found",
    StepOutcome.GUESSED: "names to try",
    StepOutcome.NOT_FOUND: "nothing",
    StepOutcome.FAILED: "failed",
    StepOutcome.SKIPPED: "skipped",
    StepOutcome.RUNNING: "running",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "discover",
        help="find the server settings of an e-mail address",
        description="Find the IMAP/POP3 and SMTP settings of an address: the provider's "
        "autoconfig file, the domain's well-known file, Thunderbird's provider database, "
        "DNS SRV records, a guess from the MX record, then connecting to the standard ports. "
        "Nothing is saved and no password is sent.",
        epilog="Exit status 0 when an incoming and an outgoing server were found, else 1.",
    )
    parser.add_argument("address", metavar="ADDRESS", help="the e-mail address")
    parser.add_argument("--json", action="store_true", help="one JSON object at the end")
    expert = parser.add_argument_group("where to look (for diagnosis and tests)")
    expert.add_argument(
        "--dns-server", metavar="IP[:PORT]", help="ask this DNS server instead of the system's"
    )
    expert.add_argument(
        "--ca-file",
        metavar="PEM",
        action="append",
        default=[],
        help="also trust these CA certificates (repeatable)",
    )
    expert.add_argument("--https-port", type=int, metavar="N", help="use port N instead of 443")
    expert.add_argument("--ispdb-url", metavar="URL", help="base URL of the provider database")
    expert.add_argument(
        "--no-ispdb", action="store_true", help="do not ask Thunderbird's provider database"
    )
    expert.add_argument(
        "--probe-port",
        metavar="STD=PORT",
        action="append",
        default=[],
        help="probe PORT where the standard port STD is meant (e.g. 993=10993; repeatable)",
    )
    expert.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="per network step (default: 10)"
    )
    parser.set_defaults(handler=run_discover)


def config_from_args(args: argparse.Namespace) -> DiscoveryConfig:
    config = DiscoveryConfig(ca_files=tuple(args.ca_file), use_ispdb=not args.no_ispdb)
    if args.dns_server:
        host, port = _split_server(args.dns_server)
        config = replace(config, nameserver=host, nameserver_port=port)
    if args.https_port is not None:
        config = replace(config, https_port=args.https_port)
    if args.ispdb_url:
        config = replace(config, ispdb_base_url=args.ispdb_url)
    ports: dict[int, int] = {}
    for item in args.probe_port:
        std, _, actual = item.partition("=")
        if not (std.isdigit() and actual.isdigit()):
            raise ConfigError(f"--probe-port {item!r} is not STD=PORT, like 993=10993.")
        ports[int(std)] = int(actual)
    if ports:
        config = replace(config, probe_ports=ports)
    if args.timeout is not None:
        if args.timeout <= 0:
            raise ConfigError("--timeout must be a positive number of seconds.")
        config = replace(
            config,
            http_timeout=args.timeout,
            dns_timeout=args.timeout,
            probe_timeout=args.timeout,
        )
    return config


def _split_server(text: str) -> tuple[str, int]:
    """'IP', 'IP:PORT', '[v6]:PORT' or a bare IPv6 address -> (IP, port)."""
    value = text.strip()
    host, port = value, "53"
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else "53"
    elif value.count(":") == 1:
        host, port = value.split(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"--dns-server {text!r} is not IP or IP:PORT.")
    return host, int(port)


def suggested_command(result: DiscoveryResult) -> str | None:
    """The `mailapp account add` line for the best suggestions (NAME left for the person)."""
    incoming, outgoing = result.best_incoming, result.best_outgoing
    if incoming is None or outgoing is None:
        return None
    option = "--pop3" if incoming.kind is ServerKind.POP3 else "--imap"
    words = ["mailapp", "account", "add", "NAME", "--email", result.email]
    words += [option, incoming.settings.address]
    if _IMPLIED_SECURITY.get(incoming.settings.port) is not incoming.settings.security:
        words += ["--incoming-security", incoming.settings.security.value]
    words += ["--smtp", outgoing.settings.address]
    if _IMPLIED_SECURITY.get(outgoing.settings.port) is not outgoing.settings.security:
        words += ["--smtp-security", outgoing.settings.security.value]
    words += ["--user", incoming.settings.user]
    if outgoing.settings.user != incoming.settings.user:
        words += ["--smtp-user", outgoing.settings.user]
    words.append("--password-stdin")
    return " ".join(shlex.quote(w) if w != "NAME" else w for w in words)


def _server_json(found: FoundServer) -> dict[str, Any]:
    c = found.candidate
    return {
        "kind": c.kind.value,
        "host": c.host,
        "port": c.port,
        "security": c.security.value,
        "username": c.username,
        "authentication": list(c.authentication),
        "source": found.source.value,
        "note": found.note,
        "certificate_trusted": found.certificate_trusted,
    }


def result_to_json(result: DiscoveryResult) -> dict[str, Any]:
    return {
        "email": result.email,
        "found": result.found,
        "provider_name": result.provider_name,
        "steps": [
            {
                "step": s.step.value,
                "title": s.title,
                "outcome": s.outcome.value,
                "detail": s.detail,
                "tried": list(s.tried),
            }
            for s in result.steps
        ],
        "incoming": [_server_json(f) for f in result.incoming],
        "outgoing": [_server_json(f) for f in result.outgoing],
        "suggested_command": suggested_command(result),
    }


def _print_step(step: DiscoveryStep) -> None:
    if step.outcome is StepOutcome.RUNNING:
        return
    number = STEP_ORDER.index(step.step) + 1
    print(f"[{number}/{len(STEP_ORDER)}] {step.title}: {_OUTCOME_WORDS[step.outcome]}")
    print(f"      {step.detail}", flush=True)


def _server_line(found: FoundServer) -> str:
    s = found.settings
    line = f"{found.kind.value:<5} {s.host}:{s.port} {s.security.value}, user {s.user}"
    line += f" (from {found.source.value})"
    if found.note:
        line += f"\n        {found.note}"
    return line


def _print_result(result: DiscoveryResult) -> None:
    print()
    for label, servers in (("Incoming", result.incoming), ("Outgoing", result.outgoing)):
        if not servers:
            print(f"{label}: none found")
            continue
        print(f"{label}: {_server_line(servers[0])}")
        for other in servers[1:]:
            print(f"  also: {_server_line(other)}")
    command = suggested_command(result)
    if command:
        print("\nTo add the account with these settings (you can change any of them):")
        print(f"  {command}")
    else:
        print("\nNo complete settings found; add the account by hand: mailapp account add --help")


def run_discover(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    address, _ = normalize_address(args.address)  # a bad address fails before any output
    if not args.json:
        print(f"Looking for the settings of {address}", flush=True)
    progress = None if args.json else _print_step
    result = asyncio.run(discover(args.address, progress=progress, config=config))
    if args.json:
        json.dump(result_to_json(result), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        _print_result(result)
    return 0 if result.found else 1
