"""The fast paths in protocols.imap.types give exactly what the general code gives: the
quick Date reader against email.utils, the cached RFC 2047 decoder against the uncached."""

from __future__ import annotations

import email.utils
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.protocols.imap.types import Envelope, _decode_words, decode_encoded_words


def _envelope(date: bytes) -> Envelope:
    return Envelope(date, None, (), (), (), (), (), (), None, None)


def _general(date: bytes) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(date.decode("ascii", "replace"))
    except (TypeError, ValueError, IndexError):
        return None


def _same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b and a.utcoffset() == b.utcoffset() and (a.tzinfo is None) == (b.tzinfo is None)


_dates = st.builds(
    lambda dow, day, month, year, h, m, s, sign, zh, zm, tail: (
        f"{dow}{day} {month} {year} {h:02d}:{m:02d}:{s:02d} {sign}{zh:02d}{zm:02d}{tail}"
    ).encode(),
    st.sampled_from(["", "Mon, ", "Fri, ", "mon, ", "Xyz, "]),
    st.integers(0, 32),
    st.sampled_from(["Jan", "feb", "MAR", "Sep", "Dec", "Foo", "June"]),
    st.sampled_from([99, 1969, 2024, 2026, 9999, 1000, 999]),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["+", "-"]),
    st.integers(0, 25),
    st.sampled_from([0, 30, 45, 59]),
    st.sampled_from(["", " (CET)", " "]),
)


@settings(max_examples=800)
@given(_dates)
def test_quick_date_agrees_with_email_utils(date: bytes) -> None:
    assert _same(_envelope(date).date_parsed, _general(date))


def test_common_and_odd_dates() -> None:
    for text in (
        b"Mon, 7 Feb 2026 21:52:25 +0100",
        b"7 Feb 2026 21:52:25 -0000",
        b"Mon, 07 Feb 2026 21:52:25 +0000",
        b"Mon, 30 Feb 2026 21:52:25 +0100",
        b"Mon,  7 Feb 2026 21:52 +0100",
        b"garbage",
        b"",
    ):
        assert _same(_envelope(text).date_parsed, _general(text)), text
    assert _envelope(b"7 Feb 2026 21:52:25 -0000").date_parsed.tzinfo is None  # type: ignore[union-attr]


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "=?utf-8?q?caf=C3=A9?=",
                "=?ISO-8859-1?B?6Q==?=",
                " ",
                "plain",
                "=?x?q?y?=",
                "=?utf-8?b?!!?=",
                "=?",
                "?=",
                "ü",
                "\t",
            ]
        ),
        max_size=8,
    ).map("".join)
)
def test_cached_decoder_agrees_with_uncached(text: str) -> None:
    raw = text.encode()
    assert decode_encoded_words(raw) == _decode_words(raw)
    assert decode_encoded_words(raw) == decode_encoded_words(raw)
