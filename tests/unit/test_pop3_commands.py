"""POP3 command builders and SASL messages: wire form, redaction, refused injection."""

from __future__ import annotations

import base64

import pytest

from mailapp.core.errors import InvalidCommandError, ParseError
from mailapp.protocols.pop3 import commands as c
from mailapp.protocols.pop3.commands import Command, ResponseKind


@pytest.mark.parametrize(
    ("command", "wire", "kind"),
    [
        (c.capa(), b"CAPA\r\n", ResponseKind.MULTILINE),
        (c.stls(), b"STLS\r\n", ResponseKind.SINGLE),
        (c.user("a@b.test"), b"USER a@b.test\r\n", ResponseKind.SINGLE),
        (c.pass_("pass with spaces"), b"PASS pass with spaces\r\n", ResponseKind.SINGLE),
        (c.stat(), b"STAT\r\n", ResponseKind.SINGLE),
        (c.list_(), b"LIST\r\n", ResponseKind.MULTILINE),
        (c.list_(3), b"LIST 3\r\n", ResponseKind.SINGLE),
        (c.uidl(), b"UIDL\r\n", ResponseKind.MULTILINE),
        (c.uidl(7), b"UIDL 7\r\n", ResponseKind.SINGLE),
        (c.retr(12), b"RETR 12\r\n", ResponseKind.MULTILINE),
        (c.top(2, 0), b"TOP 2 0\r\n", ResponseKind.MULTILINE),
        (c.dele(1), b"DELE 1\r\n", ResponseKind.SINGLE),
        (c.noop(), b"NOOP\r\n", ResponseKind.SINGLE),
        (c.rset(), b"RSET\r\n", ResponseKind.SINGLE),
        (c.quit(), b"QUIT\r\n", ResponseKind.SINGLE),
        (c.auth("plain")[0], b"AUTH PLAIN\r\n", ResponseKind.SASL),
    ],
)
def test_wire_form_and_answer_shape(command: Command, wire: bytes, kind: ResponseKind) -> None:
    assert command.encode() == wire
    assert command.kind is kind


def test_utf8_user_names_are_sent_as_utf8() -> None:
    assert c.user("jörg@b.test").encode() == "USER jörg@b.test\r\n".encode()


@pytest.mark.parametrize("bad", ["a\r\nDELE 1", "a\nb", "a\rb", "a\0b", ""])
def test_injection_and_empty_values_refused(bad: str) -> None:
    with pytest.raises(InvalidCommandError):
        c.user(bad)
    with pytest.raises(InvalidCommandError):
        c.pass_(bad)


def test_spaces_only_where_the_rest_of_the_line_is_taken() -> None:
    with pytest.raises(InvalidCommandError, match="space"):
        Command("APOP", ("a b", "digest"))
    with pytest.raises(InvalidCommandError):
        Command("RETR\r\nDELE", ("1",))
    with pytest.raises(InvalidCommandError):
        Command("USER", ("a", "b"))


@pytest.mark.parametrize("number", [0, -1, True, 1.0, "1"])
def test_message_numbers_are_positive_integers(number: object) -> None:
    with pytest.raises(InvalidCommandError):
        c.retr(number)  # type: ignore[arg-type]
    with pytest.raises(InvalidCommandError):
        c.dele(number)  # type: ignore[arg-type]


def test_top_lines_may_be_zero_but_not_negative() -> None:
    assert c.top(1, 0).args == ("1", "0")
    with pytest.raises(InvalidCommandError):
        c.top(1, -1)


def test_secrets_are_redacted_in_logs() -> None:
    assert c.pass_("hunter2").shown == "PASS [redacted]"
    assert c.pass_("hunter2").secret
    command, _ = c.auth("PLAIN", c.sasl_plain("u", "hunter2"))
    assert command.shown == "AUTH PLAIN [redacted]" and command.secret
    assert not c.auth("PLAIN")[0].secret
    assert c.user("u").shown == "USER u"


def test_auth_plain_initial_response() -> None:
    command, later = c.auth("PLAIN", c.sasl_plain("user@x.test", "pw"))
    assert later is None
    assert command.encode() == b"AUTH PLAIN " + base64.b64encode(b"\0user@x.test\0pw") + b"\r\n"


def test_long_initial_response_waits_for_the_challenge() -> None:
    message = c.sasl_xoauth2("user@x.test", "y" * 500)
    command, later = c.auth("XOAUTH2", message)
    assert command.encode() == b"AUTH XOAUTH2\r\n"
    assert later == base64.b64encode(message).decode()
    # Up to 255 octets (CRLF included) it goes on the line, one more and it waits.
    outcomes = set()
    for size in range(150, 200):
        command, later = c.auth("PLAIN", b"x" * size)
        inline = f"AUTH PLAIN {c.sasl_encode(b'x' * size)}\r\n"
        assert (later is None) == (len(inline) <= c.MAX_COMMAND_LENGTH)
        assert len(command.encode()) <= c.MAX_COMMAND_LENGTH
        outcomes.add(later is None)
    assert outcomes == {True, False}


def test_empty_initial_response_is_an_equals_sign() -> None:
    assert c.auth("EXTERNAL", b"")[0].encode() == b"AUTH EXTERNAL =\r\n"
    assert c.sasl_decode("=") == b"" and c.sasl_decode("") == b""


def test_sasl_messages() -> None:
    assert c.sasl_plain("u", "p", authzid="admin") == b"admin\0u\0p"
    assert c.sasl_xoauth2("u@x", "tok") == b"user=u@x\x01auth=Bearer tok\x01\x01"
    with pytest.raises(InvalidCommandError):
        c.sasl_plain("u\0x", "p")
    with pytest.raises(InvalidCommandError):
        c.sasl_plain("u", "p\0")
    with pytest.raises(InvalidCommandError):
        c.sasl_xoauth2("u\x01", "t")
    with pytest.raises(InvalidCommandError):
        c.sasl_xoauth2("u", "t\r\nQUIT")
    with pytest.raises(InvalidCommandError):
        c.auth("PL AIN")


def test_challenge_decoding() -> None:
    assert c.sasl_decode(base64.b64encode(b'{"status":"401"}').decode()) == b'{"status":"401"}'
    with pytest.raises(ParseError):
        c.sasl_decode("not base64!")
    with pytest.raises(ParseError):
        c.sasl_decode("abc")  # bad padding
