"""The Thunderbird autoconfig parser (mailapp.protocols.autoconfig): samples shaped like real
provider files, placeholders, plaintext entries left out, DTDs and oversized input refused."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.core.model import IncomingProtocol, Security, ServerSettings
from mailapp.protocols.autoconfig import (
    MAX_DEPTH,
    ServerKind,
    parse_client_config,
    parse_xml,
    substitute,
)

# Shaped like a big provider's ISPDB entry: several domains, IMAP and POP3, both TLS kinds,
# OAuth2 next to passwords, documentation links, an Exchange entry we do not speak.
PROVIDER = b"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="mail.example.org">
    <domain>example.org</domain>
    <domain>Example.NET</domain>
    <displayName>Example Mail</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.org</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-encrypted</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.%EMAILDOMAIN%</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <incomingServer type="exchange">
      <hostname>outlook.example.org</hostname>
      <port>443</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname>
      <port>587</port>
      <socketType>starttls</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <documentation url="https://help.example.org/mail/setup">
      <descr lang="en">Generic settings page</descr>
    </documentation>
  </emailProvider>
  <webMail>
    <loginPage url="https://mail.example.org/"/>
  </webMail>
</clientConfig>
"""

# A small host's self-made file: plaintext entries next to TLS ones.
SMALL_HOST = b"""<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="small.test">
    <domain>small.test</domain>
    <incomingServer type="imap">
      <hostname>mail.small.test</hostname>
      <port>143</port>
      <socketType>plain</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>mail.small.test</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.small.test</hostname>
      <port>25</port>
      <socketType>plain</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


def test_provider_sample_in_file_order_with_placeholders() -> None:
    config = parse_client_config(PROVIDER, "Jane.Doe@example.org")
    assert config.domains == ("example.org", "example.net")
    assert config.display_name == "Example Mail"
    assert [s.settings for s in config.incoming] == [
        ServerSettings("imap.example.org", 993, Security.SSL, "Jane.Doe@example.org"),
        ServerSettings("imap.example.org", 143, Security.STARTTLS, "Jane.Doe"),
        ServerSettings("pop.example.org", 995, Security.SSL, "Jane.Doe"),
    ]
    assert [s.kind for s in config.incoming] == [ServerKind.IMAP, ServerKind.IMAP, ServerKind.POP3]
    assert config.incoming[0].authentication == ("OAuth2", "password-cleartext")
    assert config.incoming[0].password_auth
    assert config.incoming[2].kind.incoming_protocol is IncomingProtocol.POP3
    assert [s.settings for s in config.outgoing] == [
        ServerSettings("smtp.example.org", 465, Security.SSL, "Jane.Doe@example.org"),
        ServerSettings("smtp.example.org", 587, Security.STARTTLS, "Jane.Doe@example.org"),
    ]
    assert len(config.skipped) == 1 and "exchange" in config.skipped[0]


def test_plaintext_entries_are_left_out_and_said_why() -> None:
    config = parse_client_config(SMALL_HOST, "me@small.test")
    assert [s.settings for s in config.incoming] == [
        ServerSettings("mail.small.test", 993, Security.SSL, "me@small.test")
    ]
    assert config.outgoing == ()
    assert len(config.skipped) == 2
    assert all("no encryption" in line for line in config.skipped)
    assert "mail.small.test:143" in config.skipped[0]


def test_missing_username_means_the_whole_address() -> None:
    data = SMALL_HOST.replace(b"<username>%EMAILADDRESS%</username>", b"")
    config = parse_client_config(data, "me@small.test")
    assert config.incoming[0].username == "me@small.test"


def test_oauth_only_server_is_kept_but_says_no_password_login() -> None:
    data = PROVIDER.replace(b"<authentication>password-cleartext</authentication>", b"")
    config = parse_client_config(data, "a@example.org")
    assert config.incoming[0].authentication == ("OAuth2",)
    assert not config.incoming[0].password_auth


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (b"<hostname>bad host</hostname><port>993</port><socketType>SSL</socketType>", "host"),
        (b"<hostname>ok.test</hostname><port>99999</port><socketType>SSL</socketType>", "port"),
        (b"<hostname>ok.test</hostname><port>x</port><socketType>SSL</socketType>", "port"),
        (b"<hostname>ok.test</hostname><port>993</port><socketType>TLS1</socketType>", "socket"),
        (b"<hostname>ok.test</hostname><port>993</port>", "socket"),
        (b"<hostname>%REALNAME%.test</hostname><port>993</port><socketType>SSL</socketType>", ""),
    ],
)
def test_unusable_entries_are_skipped_with_a_reason(entry: bytes, reason: str) -> None:
    data = (
        b'<clientConfig version="1.1"><emailProvider id="x"><incomingServer type="imap">'
        + entry
        + b"</incomingServer></emailProvider></clientConfig>"
    )
    config = parse_client_config(data, "me@x.test")
    assert config.incoming == ()
    assert len(config.skipped) == 1
    assert reason in config.skipped[0]


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE clientConfig [<!ENTITY a "aaaa">]>'
        b"<clientConfig><emailProvider/></clientConfig>",
        b'<!DOCTYPE clientConfig SYSTEM "http://evil.test/x.dtd"><clientConfig/>',
        # Billion laughs: must be refused before any expansion.
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<clientConfig>&lol3;</clientConfig>",
        b"<!doctype clientConfig><clientConfig/>",
    ],
)
def test_dtd_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError, match="DTD"):
        parse_client_config(data, "me@x.test")


def test_dtd_in_utf16_is_refused_too() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE c [<!ENTITY a "b">]><c>&a;</c>'
    with pytest.raises(ParseError, match="DTD"):
        parse_xml(text.encode("utf-16"))


def test_size_and_depth_caps() -> None:
    big = b"<clientConfig>" + b" " * 300_000 + b"</clientConfig>"
    with pytest.raises(LimitExceededError):
        parse_client_config(big, "me@x.test")
    deep = b"<a>" * (MAX_DEPTH + 1) + b"</a>" * (MAX_DEPTH + 1)
    with pytest.raises(LimitExceededError):
        parse_xml(deep)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<clientConfig>",
        b"<html><body>Not found</body></html>",
        b"<clientConfig version='1.1'></clientConfig>",
        b"\xff\xfe\x00garbage",
    ],
)
def test_not_a_client_config_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_client_config(data, "me@x.test")


def test_address_is_checked() -> None:
    with pytest.raises(ParseError):
        parse_client_config(PROVIDER, "not an address")


def test_substitute_keeps_unknown_placeholders() -> None:
    assert substitute("%EMAILLOCALPART%+%EMAILDOMAIN%/%REALNAME%", "a@b.test") == (
        "a+b.test/%REALNAME%"
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_config_or_a_mailapp_error(data: bytes) -> None:
    with contextlib.suppress(ParseError, LimitExceededError):
        parse_client_config(data, "me@x.test")


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="<&\x00"),
        max_size=40,
    ),
    st.sampled_from(["SSL", "STARTTLS", "plain"]),
)
def test_any_hostname_text_never_yields_a_bad_host(host: str, socket_type: str) -> None:
    entry = (
        f'<clientConfig><emailProvider id="x"><incomingServer type="imap">'
        f"<hostname>{host}</hostname><port>993</port><socketType>{socket_type}</socketType>"
        f"</incomingServer></emailProvider></clientConfig>"
    ).encode()
    try:
        config = parse_client_config(entry, "me@x.test")
    except ParseError:
        return
    for server in config.incoming:
        assert server.security is not None
        assert server.host and " " not in server.host and "%" not in server.host
        assert socket_type != "plain"
