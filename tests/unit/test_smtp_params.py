"""SMTP parameters: xtext, RFC 6533 utf-8 addresses, ENVID, MAIL and RCPT option lists."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.core.draft import ALL_NOTIFY, Notify
from mailapp.core.errors import ParseError, SmtpUtf8RequiredError
from mailapp.protocols.smtp_params import (
    envid,
    mail_options,
    notify_value,
    orcpt_value,
    parse_orcpt,
    rcpt_options,
    utf8_addr_decode,
    utf8_addr_xtext,
    xtext_decode,
    xtext_encode,
)

XTEXT = re.compile(r"(?:[!-*,-<>-~]|\+[0-9A-F]{2})*")


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("user@example.com", "user@example.com"),
        ("user+tag@example.com", "user+2Btag@example.com"),
        ("a=b c", "a+3Db+20c"),
        ("tab\there", "tab+09here"),
        ("ü", "+C3+BC"),
        ("", ""),
    ],
)
def test_xtext_known_values(text: str, encoded: str) -> None:
    assert xtext_encode(text) == encoded
    assert xtext_decode(encoded) == text


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8")))
def test_xtext_round_trips_and_is_valid_xtext(text: str) -> None:
    encoded = xtext_encode(text)
    assert XTEXT.fullmatch(encoded)
    assert xtext_decode(encoded) == text


@pytest.mark.parametrize("bad", ["+", "+2", "+G0", "a b", "a=b", "ü", "x+2"])
def test_xtext_decode_strict_refuses_malformed(bad: str) -> None:
    with pytest.raises(ParseError):
        xtext_decode(bad)


def test_xtext_decode_lenient_keeps_what_it_cannot_read() -> None:
    assert xtext_decode("a+2bb+zz c", strict=False) == "a+b+zz c"
    assert xtext_decode("+FF", strict=False) == "\ufffd"


def test_utf8_addr_xtext_rfc6533_form() -> None:
    assert utf8_addr_xtext("jörg@bücher.de") == "j\\x{F6}rg@b\\x{FC}cher.de"
    assert utf8_addr_xtext("a+b=c\\d@x") == "a\\x{2B}b\\x{3D}c\\x{5C}d@x"
    assert (
        utf8_addr_xtext("用户@例子.广告")
        == "\\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.\\x{5E7F}\\x{544A}"
    )
    assert utf8_addr_xtext("😀@x") == "\\x{1F600}@x"
    # The unitext form (raw UTF-8) is read too.
    assert utf8_addr_decode("jörg@b\\x{FC}cher.de") == "jörg@bücher.de"
    with pytest.raises(ParseError):
        utf8_addr_decode("\\x{D800}@x")


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), min_size=1))
def test_utf8_addr_xtext_round_trips_and_is_xtext(address: str) -> None:
    encoded = utf8_addr_xtext(address)
    assert XTEXT.fullmatch(encoded), "utf-8-addr-xtext must itself be valid xtext"
    assert utf8_addr_decode(encoded) == address


def test_orcpt_forms() -> None:
    assert orcpt_value("bob+news@example.com") == "rfc822;bob+2Bnews@example.com"
    assert orcpt_value("jörg@bücher.de") == "utf-8;j\\x{F6}rg@b\\x{FC}cher.de"
    assert parse_orcpt("rfc822;bob+2Bnews@example.com") == ("rfc822", "bob+news@example.com")
    assert parse_orcpt("RFC822; bob@example.com") == ("rfc822", "bob@example.com")
    assert parse_orcpt("utf-8;j\\x{F6}rg@b\\x{FC}cher.de") == ("utf-8", "jörg@bücher.de")
    with pytest.raises(ParseError):
        parse_orcpt("bob@example.com")


def test_envid_is_unique_short_and_xtext_safe() -> None:
    ids = {envid() for _ in range(2000)}
    assert len(ids) == 2000
    for value in ids:
        assert 0 < len(value) <= 100
        assert xtext_encode(value) == value


def test_notify_value() -> None:
    assert notify_value(ALL_NOTIFY) == "SUCCESS,FAILURE,DELAY"
    assert notify_value({Notify.DELAY, Notify.FAILURE}) == "FAILURE,DELAY"
    assert notify_value({Notify.NEVER}) == "NEVER"
    with pytest.raises(ValueError):
        notify_value({Notify.NEVER, Notify.SUCCESS})
    with pytest.raises(ValueError):
        notify_value(set())


def test_mail_options() -> None:
    assert mail_options("abc+1", "HDRS") == ["RET=HDRS", "ENVID=abc+2B1"]
    assert mail_options("e1", "FULL", smtputf8=True, body_8bit=True, size=1234) == [
        "SIZE=1234",
        "BODY=8BITMIME",
        "SMTPUTF8",
        "RET=FULL",
        "ENVID=e1",
    ]
    assert mail_options(None, "HDRS", size=10) == ["SIZE=10"]
    assert mail_options("e1", None) == ["ENVID=e1"]
    with pytest.raises(ValueError):
        mail_options("x" * 101)
    with pytest.raises(ValueError):
        mail_options("")


def test_rcpt_options() -> None:
    assert rcpt_options("bob+x@example.com", ALL_NOTIFY, smtputf8=False) == [
        "NOTIFY=SUCCESS,FAILURE,DELAY",
        "ORCPT=rfc822;bob+2Bx@example.com",
    ]
    assert rcpt_options("bob@example.com", {Notify.NEVER}, smtputf8=False) == [
        "NOTIFY=NEVER",
        "ORCPT=rfc822;bob@example.com",
    ]
    assert rcpt_options("jörg@bücher.de", {Notify.FAILURE}, smtputf8=True) == [
        "NOTIFY=FAILURE",
        "ORCPT=utf-8;j\\x{F6}rg@b\\x{FC}cher.de",
    ]
    assert rcpt_options("bob@example.com", None, smtputf8=False) == []
    with pytest.raises(SmtpUtf8RequiredError):
        rcpt_options("jörg@bücher.de", ALL_NOTIFY, smtputf8=False)
