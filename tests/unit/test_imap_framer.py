"""ResponseFramer: chunking independence, literals, limits (no allocation for absurd claims)."""

from __future__ import annotations

import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.protocols.imap import ResponseFramer

RESPONSES = [
    b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] Dovecot ready.\r\n",
    b"* 12 FETCH (UID 7 BODY[] {11}\r\nhello\r\nworld)\r\n",
    b"* 13 FETCH (BINARY[1] ~{4}\r\n\x00\x01\r\n BODY[HEADER] {0}\r\n)\r\n",
    b"* 14 FETCH (BODY[1] {3+}\r\n{5} BODY[2] {2}\r\n\r\n)\r\n",
    b'* 15 FETCH (ENVELOPE (NIL "Re: * important * {3}" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n',
    b"+ Ready for literal {5}\r\n",
    b"* BAD Literal too large {99999999999}\r\n",
    b"A7 OK [READ-WRITE] Select completed {5}\r\n",
    b'* LIST (\\HasNoChildren) "/" {6}\r\nFolder\r\n',
    b"A8 OK done\r\n",
]
STREAM = b"".join(RESPONSES)


def test_whole_stream_at_once() -> None:
    framer = ResponseFramer()
    assert framer.feed(STREAM) == RESPONSES
    assert framer.buffered == 0
    framer.close()


def test_byte_by_byte() -> None:
    framer = ResponseFramer()
    out: list[bytes] = []
    for i in range(len(STREAM)):
        out += framer.feed(STREAM[i : i + 1])
    assert out == RESPONSES


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=30))
def test_any_chunking_gives_the_same_responses(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    framer = ResponseFramer()
    out: list[bytes] = []
    prev = 0
    for p in [*points, len(STREAM)]:
        out += framer.feed(STREAM[prev:p])
        prev = p
    assert out == RESPONSES
    assert framer.buffered == 0


def test_crlf_split_between_chunks() -> None:
    framer = ResponseFramer()
    assert framer.feed(b"* 3 EXISTS\r") == []
    assert framer.feed(b"\n* 4 EXISTS\r\n") == [b"* 3 EXISTS\r\n", b"* 4 EXISTS\r\n"]


def test_literal_progress_is_reported() -> None:
    framer = ResponseFramer()
    assert framer.feed(b"* 1 FETCH (BODY[] {10}\r\nabc") == []
    assert framer.literal_remaining == 7
    assert framer.feed(b"defghij)\r\n") == [b"* 1 FETCH (BODY[] {10}\r\nabcdefghij)\r\n"]
    assert framer.literal_remaining == 0


def test_two_gigabyte_literal_claim_is_refused_without_allocating() -> None:
    framer = ResponseFramer()
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceededError) as info:
            framer.feed(b"* 1 FETCH (UID 5 BODY[] {2147483648}\r\nxx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert "2,147,483,648" in str(info.value)
    assert info.value.code == "protocol.limit"


def test_absurd_digit_count_is_refused() -> None:
    framer = ResponseFramer()
    with pytest.raises(LimitExceededError):
        framer.feed(b"* 1 FETCH (BODY[] {" + b"9" * 5000 + b"}\r\n")


def test_configurable_literal_limit() -> None:
    framer = ResponseFramer(max_literal_size=10)
    assert framer.feed(b"* 1 FETCH (BODY[] {10}\r\n0123456789)\r\n")
    with pytest.raises(LimitExceededError):
        framer.feed(b"* 2 FETCH (BODY[] {11}\r\n")


def test_endless_line_is_refused() -> None:
    framer = ResponseFramer(max_line_length=1000)
    framer.feed(b"* OK " + b"x" * 900)
    with pytest.raises(LimitExceededError):
        framer.feed(b"x" * 200)


def test_long_line_within_limit_in_small_chunks() -> None:
    line = b"* SEARCH " + b" ".join(str(n).encode() for n in range(1, 60000)) + b"\r\n"
    framer = ResponseFramer()
    out: list[bytes] = []
    for i in range(0, len(line), 997):
        out += framer.feed(line[i : i + 997])
    assert out == [line]


def test_response_size_limit_counts_all_literals() -> None:
    framer = ResponseFramer(max_literal_size=100, max_response_size=150)
    with pytest.raises(LimitExceededError):
        framer.feed(b"* 1 FETCH (BODY[1] {100}\r\n" + b"a" * 100 + b" BODY[2] {100}\r\n")


def test_close_mid_response_is_an_error() -> None:
    framer = ResponseFramer()
    framer.feed(b"* 1 FETCH (BODY[] {10}\r\nabc")
    with pytest.raises(ParseError):
        framer.close()


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_framer(data: bytes) -> None:
    framer = ResponseFramer(max_literal_size=1000, max_line_length=200)
    try:
        out = framer.feed(data)
    except LimitExceededError:
        return
    # Lossless: what came out plus what is buffered is exactly what went in.
    assert len(b"".join(out)) + framer.buffered == len(data)
    assert b"".join(out) == data[: len(b"".join(out))]
