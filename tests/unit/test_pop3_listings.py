"""CAPA, STAT, LIST and UIDL parsing, with the RFC 1939 rules for unique ids."""

from __future__ import annotations

import pytest

from mailapp.core.errors import ParseError
from mailapp.protocols.pop3.capabilities import Capabilities, parse_capabilities
from mailapp.protocols.pop3.listings import (
    MaildropStat,
    is_valid_uid,
    parse_scan_line,
    parse_scan_listing,
    parse_stat,
    parse_uidl_line,
    parse_uidl_listing,
)

DOVECOT_CAPA = (
    b"CAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\n"
    b"SASL PLAIN LOGIN xoauth2\r\nUTF8 USER\r\nLOGIN-DELAY 900\r\nEXPIRE 31\r\n"
    b"IMPLEMENTATION Shlemazle-Plotz-v302\r\n"
)


def test_capa_of_a_dovecot_like_server() -> None:
    caps = parse_capabilities(DOVECOT_CAPA)
    assert caps.known
    assert caps.stls and caps.uidl and caps.top and caps.user
    assert caps.pipelining and caps.resp_codes and caps.auth_resp_code
    assert caps.utf8 and caps.args("utf8") == ("USER",)
    assert caps.sasl == frozenset({"PLAIN", "LOGIN", "XOAUTH2"})
    assert caps.login_delay == 900 and caps.expire == 31
    assert caps.implementation == "Shlemazle-Plotz-v302"
    assert caps.has("capa") and not caps.has("APOP")


def test_capa_minimal_and_odd() -> None:
    caps = parse_capabilities(b"\r\nstls\r\n\r\nEXPIRE NEVER\r\nSASL\r\nSTLS extra\r\n")
    assert caps.stls and caps.args("STLS") == ()
    assert caps.expire is None and caps.sasl == frozenset()
    assert not caps.uidl and not caps.pipelining and caps.login_delay is None
    unknown = Capabilities.unknown()
    assert not unknown.known and not unknown.stls and unknown.sasl == frozenset()


def test_stat() -> None:
    assert parse_stat("2 320") == MaildropStat(2, 320)
    assert parse_stat("0 0 extra words") == MaildropStat(0, 0)
    for bad in ("", "2", "two 320", "-1 5", "2 3e5"):
        with pytest.raises(ParseError):
            parse_stat(bad)


def test_list() -> None:
    body = b"1 120\r\n2 200\r\n3 5000 extra info allowed\r\n"
    assert parse_scan_listing(body) == {1: 120, 2: 200, 3: 5000}
    assert parse_scan_line("7 99") == (7, 99)
    assert parse_scan_listing(b"") == {}
    for bad in (b"0 12\r\n", b"1\r\n", b"1 -5\r\n", b"x 5\r\n", b"1 5\r\n1 6\r\n", b"1 \xff\r\n"):
        with pytest.raises(ParseError):
            parse_scan_listing(bad)


def test_uidl() -> None:
    body = b"1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n"
    assert parse_uidl_listing(body) == {1: "whqtswO00WBw418f9t5JxYwZ", 2: "QhdPYR:00WBw1Ph7x7"}
    assert parse_uidl_line("3 ~!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}") == (
        3,
        "~!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}",
    )
    assert parse_uidl_line(b"4 " + b"x" * 70) == (4, "x" * 70)


@pytest.mark.parametrize(
    "bad",
    [
        b"1 " + b"x" * 71,  # longer than 70
        b"1 ab\x7fcd",  # DEL
        b"1 ab\tcd",  # a control character
        b"1 caf\xc3\xa9",  # not ASCII
        b"1",  # no id
        b"1 a b",  # two ids
        b"0 a",  # message numbers start at 1
        b"+1 a",
        b"1 a\r\n2 a",  # the same id twice
        b"1 a\r\n1 b",  # the same number twice
    ],
)
def test_uidl_violations_are_refused(bad: bytes) -> None:
    with pytest.raises(ParseError):
        parse_uidl_listing(bad + b"\r\n")


def test_uid_validity() -> None:
    assert is_valid_uid("!") and is_valid_uid("~" * 70)
    assert not is_valid_uid("") and not is_valid_uid(" ") and not is_valid_uid("x" * 71)
