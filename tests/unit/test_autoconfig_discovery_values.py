"""The pure parts of discovery: address checks, URLs, redirect policy, host-name guesses and
the account a result suggests. No network here (tests/integration/test_discovery.py has it)."""

from __future__ import annotations

import pytest

from mailapp.core.errors import ConfigError, InvalidAddressError, ProtocolError, TLSError
from mailapp.core.model import IncomingProtocol, Security, ServerSettings
from mailapp.engine.discovery import (
    DiscoveryResult,
    FoundServer,
    ServerCandidate,
    ServerKind,
    StepName,
    normalize_address,
)
from mailapp.engine.discovery.fetch import autoconfig_url, ispdb_url, well_known_url, within_domain
from mailapp.engine.discovery.guess import candidate_names, parent_domains
from mailapp.transport.http_get import split_https_url


def test_normalize_address() -> None:
    assert normalize_address(" Jane@Example.ORG ") == ("Jane@Example.ORG", "example.org")
    assert normalize_address("jo@bücher.example") == ("jo@bücher.example", "xn--bcher-kva.example")


@pytest.mark.parametrize(
    "text", ["", "jane", "@example.org", "jane@", "ja ne@example.org", "a@localhost", "a@[1.2.3.4]"]
)
def test_unusable_addresses(text: str) -> None:
    with pytest.raises(InvalidAddressError):
        normalize_address(text)


def test_urls() -> None:
    assert autoconfig_url("a+b@ex.test", "ex.test") == (
        "https://autoconfig.ex.test/mail/config-v1.1.xml?emailaddress=a%2Bb@ex.test"
    )
    assert well_known_url("ex.test") == (
        "https://ex.test/.well-known/autoconfig/mail/config-v1.1.xml"
    )
    assert ispdb_url("https://autoconfig.thunderbird.net/v1.1/", "ex.test") == (
        "https://autoconfig.thunderbird.net/v1.1/ex.test"
    )


def test_only_https_urls() -> None:
    assert split_https_url("https://Host.test:8443/a?b=c") == ("host.test", 8443, "/a?b=c")
    assert split_https_url("https://host.test") == ("host.test", 443, "/")
    with pytest.raises(TLSError):
        split_https_url("http://host.test/config.xml")
    with pytest.raises(ProtocolError):
        split_https_url("https://user:pw@host.test/")
    with pytest.raises(ProtocolError):
        split_https_url("https://host.test/a b")


def test_redirects_stay_within_the_domain() -> None:
    allowed = within_domain("example.org")
    assert allowed("example.org")
    assert allowed("autoconfig.example.org")
    assert not allowed("evilexample.org")
    assert not allowed("example.org.evil.test")


def test_guessed_names() -> None:
    assert parent_domains("mx1.mail.example.net") == ["mail.example.net", "example.net"]
    assert parent_domains("mx.example.net") == ["example.net"]
    names = [name for name, _ in candidate_names("own.test", ["mx.provider.test"])]
    assert names == [
        "imap.own.test",
        "smtp.own.test",
        "mail.own.test",
        "mx.provider.test",
        "imap.provider.test",
        "smtp.provider.test",
        "mail.provider.test",
    ]
    kinds = dict(candidate_names("own.test", []))
    assert kinds["imap.own.test"] == {ServerKind.IMAP}
    assert kinds["smtp.own.test"] == {ServerKind.SMTP}
    assert kinds["mail.own.test"] == set(ServerKind)


def _found(kind: ServerKind, host: str, port: int, security: Security) -> FoundServer:
    return FoundServer(ServerCandidate(kind, host, port, security, "me"), StepName.SRV)


def test_result_suggests_an_account() -> None:
    result = DiscoveryResult(
        "me@ex.test",
        (_found(ServerKind.POP3, "pop.ex.test", 995, Security.SSL),),
        (_found(ServerKind.SMTP, "smtp.ex.test", 465, Security.SSL),),
        (),
    )
    assert result.found
    account = result.account("work", "Me")
    assert account.incoming_protocol is IncomingProtocol.POP3
    assert account.incoming == ServerSettings("pop.ex.test", 995, Security.SSL, "me")
    assert account.outgoing.host == "smtp.ex.test"
    assert account.email == "me@ex.test"


def test_result_without_outgoing_asks_for_manual_setup() -> None:
    result = DiscoveryResult(
        "me@ex.test", (_found(ServerKind.IMAP, "imap.ex.test", 993, Security.SSL),), (), ()
    )
    assert not result.found
    with pytest.raises(ConfigError, match="outgoing"):
        result.account("work")
