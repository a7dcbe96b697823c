"""Modified UTF-7 mailbox names and UID sets: known vectors, strictness, round trips."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailapp.core.errors import InvalidCommandError, ParseError
from mailapp.protocols.imap import (
    MAX_UID,
    SequenceSet,
    compress_uids,
    decode_mailbox_name,
    encode_mailbox_name,
    split_uid_sets,
)

# RFC 3501 section 5.1.3 example, plus common real folder names.
VECTORS = [
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
    ("Entwürfe", "Entw&APw-rfe"),
    ("Gelöschte Elemente", "Gel&APY-schte Elemente"),
    ("Tom & Jerry", "Tom &- Jerry"),
    ("&", "&-"),
    ("INBOX", "INBOX"),
    ("📧 Mail", "&2D3c5w- Mail"),
]


@pytest.mark.parametrize(("text", "wire"), VECTORS)
def test_utf7_known_vectors(text: str, wire: str) -> None:
    assert encode_mailbox_name(text) == wire
    assert decode_mailbox_name(wire) == text
    assert decode_mailbox_name(wire.encode()) == text


@pytest.mark.parametrize(
    "bad",
    [
        "&U,BTFw",  # unterminated
        "&U,B!Fw-",  # not base64
        "&AGE-",  # encodes printable ASCII "a"
        "&APx-",  # non-zero padding bits (canonical is &APw-)
        "&2D0-",  # lone high surrogate
        "tab\there",  # control character
        "&A-",  # impossible length
    ],
)
def test_utf7_strict_rejects(bad: str) -> None:
    with pytest.raises(ParseError):
        decode_mailbox_name(bad)


def test_utf7_rejects_8bit_bytes() -> None:
    with pytest.raises(ParseError):
        decode_mailbox_name("Entwürfe".encode())


def test_utf7_lone_surrogate_cannot_be_encoded() -> None:
    with pytest.raises(InvalidCommandError):
        encode_mailbox_name("a\ud800b")


@given(st.text())
def test_utf7_round_trip(text: str) -> None:
    wire = encode_mailbox_name(text)
    assert wire.isascii()
    assert all(0x20 <= ord(c) <= 0x7E for c in wire)
    assert decode_mailbox_name(wire) == text


def test_sequence_parse_and_iterate() -> None:
    s = SequenceSet.parse("1:3,7,10:9")
    assert s.ranges == ((1, 3), (7, 7), (9, 10))
    assert list(s) == [1, 2, 3, 7, 9, 10]
    assert len(s) == 6
    assert 7 in s
    assert 8 not in s
    assert str(s) == "1:3,7,9:10"
    assert SequenceSet.parse("5:*", star=8).ranges == ((5, 8),)


@pytest.mark.parametrize(
    "bad", ["", "0", "1:", ",1", "1,,2", "01", "a", "1:*", "4294967296", "1 2"]
)
def test_sequence_parse_rejects(bad: str) -> None:
    with pytest.raises(ParseError):
        SequenceSet.parse(bad)


def test_sequence_huge_range_is_not_expanded() -> None:
    s = SequenceSet.parse(f"1:{MAX_UID}")
    assert len(s) == MAX_UID
    assert MAX_UID in s


def test_compress_examples() -> None:
    assert compress_uids([9, 1, 2, 3, 4, 5, 7, 10, 11, 12, 3]) == "1:5,7,9:12"
    assert compress_uids([42]) == "42"
    with pytest.raises(InvalidCommandError):
        compress_uids([])
    with pytest.raises(InvalidCommandError):
        compress_uids([0, 1])


uid_sets = st.sets(st.integers(min_value=1, max_value=MAX_UID), max_size=200) | st.sets(
    st.integers(min_value=1, max_value=300), min_size=1, max_size=250
)


@given(uid_sets.filter(bool))
def test_compress_round_trip(uids: set[int]) -> None:
    text = compress_uids(uids)
    parsed = SequenceSet.parse(text)
    assert set(parsed) == uids
    assert len(parsed) == len(uids)
    # Shortest: no two ranges touch or overlap, so no run could be merged.
    ranges = parsed.ranges
    assert all(a[1] + 1 < b[0] for a, b in itertools.pairwise(ranges))


@given(uid_sets.filter(bool), st.integers(min_value=12, max_value=60))
def test_split_uid_sets_cover_and_respect_limit(uids: set[int], limit: int) -> None:
    pieces = split_uid_sets(uids, max_length=limit)
    assert all(len(p) <= limit for p in pieces)
    seen: set[int] = set()
    for p in pieces:
        seen |= set(SequenceSet.parse(p))
    assert seen == uids
