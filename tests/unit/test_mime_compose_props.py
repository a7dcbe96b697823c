"""Property tests: arbitrary user text in header fields either is refused or comes back
exactly, and never adds or splits a header field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser, Parser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.core.draft import Attachment, Draft, Mailbox
from mailapp.core.errors import ConfigError, HeaderInjectionError
from mailapp.protocols.mime.compose import ComposedMessage, compose

NOW = datetime(2024, 3, 1, tzinfo=UTC)
ASCII_FROM = Mailbox("me@example.org")
UTF8_FROM = Mailbox("jörg@example.org")  # makes the message an SMTPUTF8 one
TO = (Mailbox("you@example.com"),)
TOP_FIELDS = ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version"]
TEXT_FIELDS = ["Content-Type", "Content-Transfer-Encoding"]
# Text that stresses the encoders: line-break look-alikes, specials, encoded-word syntax.
tricky = st.lists(
    st.one_of(
        st.characters(),
        st.sampled_from(
            ["\r", "\n", "\x00", "\t", " ", '"', "\\", "<", ">", ",", ";", ":", "=?", "?=", "@"]
        ),
        st.sampled_from(["=?utf-8?q?x?=", "ü", "日本", "😀", "\u2028", "\x85", "Bcc: x@y.z"]),
        st.text(alphabet="ab ", min_size=1, max_size=120),
    ),
    max_size=40,
).map("".join)


def forbidden(text: str) -> bool:
    """Line breaks and controls (HeaderInjectionError), lone surrogates (another ConfigError)."""
    return any(ch != "\t" and unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in text)


def expect_refused(text: str, make: Callable[[], object]) -> None:
    with pytest.raises(ConfigError) as info:
        make()
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        assert isinstance(info.value, HeaderInjectionError)


def build(draft: Draft, utf8: bool) -> ComposedMessage:
    return compose(draft, message_id_domain="example.org", now=NOW, smtputf8_allowed=utf8)


def wire_checks(raw: bytes, utf8: bool) -> None:
    assert raw.count(b"\n") == raw.count(b"\r\n") == raw.count(b"\r")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    if not utf8:
        assert raw.isascii()


def raw_fields(raw: bytes, utf8: bool) -> Message:
    if utf8:
        return Parser(policy=policy.compat32).parsestr(raw.decode("utf-8"))
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def parsed(raw: bytes, utf8: bool) -> Message:
    if utf8:
        return Parser(policy=policy.default).parsestr(raw.decode("utf-8"))
    return BytesParser(policy=policy.default).parsebytes(raw)


def unfolded(message: Message, name: str) -> str:
    value = message[name]
    assert isinstance(value, str)
    return value.replace("\r\n", "").replace("\n", "")


def rfc2047_phrase(phrase: str) -> str:
    phrase = phrase.strip()
    if phrase.startswith('"'):
        return re.sub(r"\\(.)", r"\1", phrase[1:-1])
    return str(make_header(decode_header(phrase)))


@settings(max_examples=300, deadline=None)
@given(subject=tricky, utf8=st.booleans())
def test_subject_never_adds_a_header_and_round_trips(subject: str, utf8: bool) -> None:
    sender = UTF8_FROM if utf8 else ASCII_FROM
    if forbidden(subject):
        expect_refused(subject, lambda: Draft(from_=sender, to=TO, subject=subject))
        return
    composed = build(Draft(from_=sender, to=TO, subject=subject, text_body="x"), utf8)
    wire_checks(composed.raw, utf8)
    assert raw_fields(composed.raw, utf8).keys() == TOP_FIELDS + TEXT_FIELDS
    assert parsed(composed.raw, utf8)["Subject"] == subject


@settings(max_examples=300, deadline=None)
@given(name=tricky, utf8=st.booleans())
def test_display_name_never_adds_a_header_and_round_trips(name: str, utf8: bool) -> None:
    sender = UTF8_FROM if utf8 else ASCII_FROM
    if forbidden(name):
        expect_refused(name, lambda: Mailbox("you@example.com", name))
        return
    to = Mailbox("you@example.com", name)
    composed = build(Draft(from_=sender, to=(to,), subject="s"), utf8)
    wire_checks(composed.raw, utf8)
    fields = raw_fields(composed.raw, utf8)
    assert fields.keys() == TOP_FIELDS + TEXT_FIELDS
    phrase, _, address = unfolded(fields, "To").rpartition(" <")
    assert address == "you@example.com>" or (not name.strip() and not phrase)
    if name.strip():
        assert rfc2047_phrase(phrase) == name.strip()
    # The stdlib parser (used by many readers) sees the one address too.
    to_header = parsed(composed.raw, utf8)["To"]
    assert [a.addr_spec for a in to_header.addresses] == ["you@example.com"]


@settings(max_examples=200, deadline=None)
@given(filename=tricky.filter(lambda s: s.strip() != ""), utf8=st.booleans())
def test_filename_never_adds_a_header_and_round_trips(filename: str, utf8: bool) -> None:
    sender = UTF8_FROM if utf8 else ASCII_FROM
    if forbidden(filename):
        expect_refused(filename, lambda: Attachment(filename, data=b"x"))
        return
    attachment = Attachment(filename, data=b"\x00\r\n\xff")
    draft = Draft(from_=sender, to=TO, subject="s", attachments=(attachment,))
    composed = build(draft, utf8)
    wire_checks(composed.raw, utf8)
    message = parsed(composed.raw, utf8)
    parts = list(message.walk())
    assert len(parts) == 3
    # Message.get_filename() would strip quotes that are part of the name; the parsed
    # header parameters are what a careful reader sees.
    assert parts[2]["Content-Disposition"].params["filename"] == filename.strip()
    assert parts[2]["Content-Type"].params["name"] == filename.strip()
    assert attachment.filename == filename.strip()
    assert parts[2].get_payload(decode=True) == b"\x00\r\n\xff"
    fields = raw_fields(composed.raw, utf8)
    assert fields.keys() == [*TOP_FIELDS, "Content-Type"]


@settings(max_examples=200, deadline=None)
@given(value=tricky, utf8=st.booleans())
def test_extra_header_value_never_adds_a_header(value: str, utf8: bool) -> None:
    sender = UTF8_FROM if utf8 else ASCII_FROM
    extra = (("X-Note", value),)
    if forbidden(value):
        expect_refused(value, lambda: Draft(from_=sender, to=TO, extra_headers=extra))
        return
    composed = build(Draft(from_=sender, to=TO, extra_headers=extra), utf8)
    wire_checks(composed.raw, utf8)
    fields = raw_fields(composed.raw, utf8)
    assert fields.keys() == [*TOP_FIELDS[:-1], "X-Note", "MIME-Version", *TEXT_FIELDS]
    assert parsed(composed.raw, utf8)["X-Note"] == value
