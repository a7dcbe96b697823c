"""Hostile and broken input: parse_message and index_text degrade, they never raise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.core.errors import MimePartNotFoundError
from mailapp.protocols.mime.parse import (
    MAX_DEPTH,
    MAX_PARTS,
    ParsedMessage,
    extract_part,
    index_text,
    parse_message,
)

TEMPLATE = (
    b"From: =?utf-8?q?A?= <a@example.org>\r\nSubject: =?utf-8?b?w6TDtsO8?=\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
    b"quoted-printable\r\n\r\nh=C3=A9llo\r\n"
    b'--b\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: '
    b"base64\r\nContent-Disposition: attachment; filename*=utf-8''%2E%2E%2Fa.pdf\r\n\r\n"
    b"JVBERi0=\r\n--b--\r\n"
)


def check(parsed: ParsedMessage) -> None:
    """What every result must satisfy, however broken the input."""
    assert isinstance(parsed.text, str)
    assert "\0" not in parsed.subject and "\n" not in parsed.subject
    for attachment in parsed.attachments:
        assert attachment.safe_name
        assert "/" not in attachment.safe_name and "\\" not in attachment.safe_name
        assert not attachment.safe_name.startswith(".")
    assert parsed.date is None or parsed.date.tzinfo is not None


def test_nul_bytes_and_bom() -> None:
    raw = b"\xef\xbb\xbfSub\0ject: a\0b\r\nFrom: x@\0y\r\n\r\nbo\0dy"
    parsed = parse_message(raw)
    check(parsed)
    assert parsed.subject == "ab"
    assert parsed.text == "body"
    assert any("NUL" in d for d in parsed.defects)


def test_cr_only_line_endings() -> None:
    raw = (
        b"Subject: cr\rContent-Type: multipart/mixed; boundary=x\r\r--x\rContent-Type: "
        b"text/plain\r\rline one\rline two\r--x--\r"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "cr"
    assert parsed.text == "line one\nline two"


def test_missing_boundaries_show_the_body_as_text() -> None:
    no_param = b"Content-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n"
    parsed = parse_message(no_param)
    assert "hello" in parsed.text
    assert parsed.defects
    never_used = b"Content-Type: multipart/mixed; boundary=zzz\r\n\r\n--x\r\nhello\r\n"
    parsed = parse_message(never_used)
    assert "hello" in parsed.text
    assert any("boundary" in d for d in parsed.defects)
    unclosed = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\ncut off"
    parsed = parse_message(unclosed)
    assert parsed.text == "cut off"
    assert any("closing boundary" in d for d in parsed.defects)


def test_mixed_rfc2231_sections_in_boundary() -> None:
    # The standard library raises TypeError on this; we read the boundary ourselves.
    raw = (
        b"Content-Type: multipart/mixed; boundary*=x; boundary*0=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\ninside\r\n--b--\r\n"
    )
    parsed = parse_message(raw)
    check(parsed)
    assert "inside" in parsed.text


def deep_multipart(levels: int) -> bytes:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(levels)
    )
    tail = b"".join(b"\r\n--b%d--" % i for i in reversed(range(levels)))
    return b"Subject: deep\r\n" + head + b"Content-Type: text/plain\r\n\r\ndeep text" + tail


def test_deep_nesting_is_cut_at_the_depth_cap() -> None:
    parsed = parse_message(deep_multipart(MAX_DEPTH + 20))
    check(parsed)
    assert max(p.depth for p in parsed.parts) == MAX_DEPTH
    assert any("nested" in d for d in parsed.defects)
    assert parsed.subject == "deep"


def test_absurd_nesting_degrades_to_text() -> None:
    for raw in (
        deep_multipart(3000),
        b"Subject: m\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 5000 + b"x",
    ):
        parsed = parse_message(raw)
        check(parsed)
        assert parsed.defects
        assert index_text(raw).subject in {"deep", "m"}


def test_many_parts_are_capped() -> None:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\n%d\r\n" % i for i in range(3000))
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    parsed = parse_message(raw)
    assert len(parsed.parts) == MAX_PARTS
    assert any(str(MAX_PARTS) in d for d in parsed.defects)


def test_huge_header_and_long_lines() -> None:
    raw = (
        b"Subject: "
        + b"=?utf-8?q?a?= " * 200_000
        + b"\r\nTo: "
        + b"a@example.org, " * 50_000
        + b"\r\n\r\n"
        + b"x" * 100_000
    )
    parsed = parse_message(raw)
    assert len(parsed.subject) <= 16_384
    assert len(parsed.to) <= 1000
    assert len(parsed.text) == 100_000


def test_bad_encodings_everywhere() -> None:
    raw = (
        b"Subject: =?utf-8?b?####?= =?nope?q?=FF?= \xff\xfe\r\n"
        b"From: =?utf-8?q?=E2=82?= <\xff@example.org>\r\n"
        b"Date: Mon, 99 Foo 2020 99:99:99 +9999\r\n"
        b"Content-Type: text/plain; charset=utf-16\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"////\r\n"
    )
    parsed = parse_message(raw)
    check(parsed)
    assert parsed.date is None


def test_charset_names_that_are_not_text_codecs() -> None:
    for charset in (b"idna", b"rot13", b"zlib", b"base64", b"unicode_escape", b"undefined"):
        raw = b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\n\xff\\x41abc"
        parsed = parse_message(raw)
        assert "abc" in parsed.text


def test_extract_part_on_garbage_is_a_clear_error() -> None:
    raw = b"\x00\xff garbage without header"
    assert extract_part(raw, "1") is not None
    with pytest.raises(MimePartNotFoundError):
        extract_part(raw, "7")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(raw: bytes) -> None:
    check(parse_message(raw))
    index_text(raw)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(TEMPLATE) - 1), st.binary(min_size=0, max_size=8)),
        max_size=8,
    )
)
def test_mutated_messages_never_raise(edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(TEMPLATE)
    for position, replacement in edits:
        raw[position : position + len(replacement)] = replacement
    parsed = parse_message(bytes(raw))
    check(parsed)
    index_text(bytes(raw))
    for attachment in parsed.attachments:
        extract_part(bytes(raw), attachment.part)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_header_text_never_raises(value: str) -> None:
    raw = ("Subject: " + value + "\r\nFrom: " + value + "\r\n\r\nbody").encode(
        "utf-8", "surrogateescape"
    )
    check(parse_message(raw))
