"""lexer.header_fetch_items, the one-match reading of a regular header-sync FETCH answer: when
it takes an answer it gives exactly what tokenize gives, and the parser with a FetchPreparer
(which uses it) agrees with the general path; anything else is left to tokenize."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_imap_header_values import TYPICAL, _compare, _frame, body, envelope

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.protocols.imap import PreparedFetch
from mailapp.protocols.imap.lexer import header_fetch_items, tokenize

DOVECOT = (
    b'* 6 FETCH (UID 6 FLAGS (\\Seen \\Recent) RFC822.SIZE 47375 INTERNALDATE "01-Jan-2023 '
    b'07:46:04 +0000" MODSEQ (2) ENVELOPE ("Sun, 01 Jan 2023 08:46:04 +0100" "Api changes #5" '
    b'(("=?UTF-8?Q?Ivan_=C3=98stergaard?=" NIL "ivan.stergaard65" "example.com")) '
    b'(("=?UTF-8?Q?Ivan_=C3=98stergaard?=" NIL "ivan.stergaard65" "example.com")) '
    b'(("=?UTF-8?Q?Ivan_=C3=98stergaard?=" NIL "ivan.stergaard65" "example.com")) '
    b'(("Bench User" NIL "bench" "example.test")("Team" NIL "team" NIL)(NIL NIL NIL NIL)) '
    b'NIL NIL NIL "<5.7f038ac0b9@example.com>") BODYSTRUCTURE (("text" "plain" ("charset" '
    b'"us-ascii" "format" "flowed") NIL NIL "7bit" 47017 785 NIL NIL NIL NIL)("application" '
    b'"pdf" ("name" "r.pdf") NIL NIL "base64" 40000 NIL ("attachment" ("filename" "r.pdf")) '
    b'NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) BODY[HEADER.FIELDS (REFERENCES)] {27}\r\n'
    b"References: <r@x> <p@x>\r\n\r\n)\r\n"
)
START = len(b"* 3 FETCH ")


def _check(raw: bytes) -> object:
    """Asserts header_fetch_items agrees with tokenize; returns its result."""
    start = raw.index(b"FETCH ") + len(b"FETCH ")
    items = header_fetch_items(raw, start)
    if items is not None:
        assert [items] == tokenize(raw, start)
        assert [type(v) for v in items] == [type(v) for v in tokenize(raw, start)[0]]
    else:
        with contextlib.suppress(ParseError, LimitExceededError):
            tokenize(raw, start)
    return items


def test_a_dovecot_answer_is_taken_in_one_match() -> None:
    items = _check(DOVECOT)
    assert items is not None
    assert isinstance(_compare(DOVECOT), PreparedFetch)


def test_the_typical_answer_in_another_order_is_left_to_tokenize() -> None:
    assert _check(TYPICAL) is None  # MODSEQ after BODYSTRUCTURE, a space between addresses
    assert isinstance(_compare(TYPICAL), PreparedFetch)


def test_without_modseq_and_with_an_empty_literal() -> None:
    raw = DOVECOT.replace(b" MODSEQ (2)", b"").replace(
        b"{27}\r\nReferences: <r@x> <p@x>\r\n\r\n", b"{0}\r\n"
    )
    items = _check(raw)
    assert items is not None and "MODSEQ" not in items and items[-1] == b""
    _compare(raw)


def test_a_hostile_body_structure_is_left_to_tokenize() -> None:
    deep = b"(" * 200 + b'"x"' + b")" * 200
    raw = DOVECOT.replace(b'"mixed" ("boundary" "b")', deep + b' "mixed"')
    assert _check(raw) is None
    assert isinstance(_compare(raw), LimitExceededError)
    unbalanced = DOVECOT.replace(b'"7bit" 47017', b'"7bit" (47017')
    assert _check(unbalanced) is None
    assert isinstance(_compare(unbalanced), ParseError)


PLAIN = st.sampled_from([b"NIL", b'""', b'"Alice"', b'"=?UTF-8?B?SsO2cmc=?="', b'"a (b) {3}"'])


PLAIN_BODIES = st.sampled_from(
    [
        b'("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)',
        b'(("text" "plain" NIL NIL NIL "7bit" 10 1)("image" "png" ("name" "a.png") NIL NIL '
        b'"base64" 99 NIL ("attachment" ("filename" "a.png")) NIL NIL) "mixed" NIL NIL NIL)',
        b'("application" "pdf" ("name" "=?utf-8?q?r=C3=A9.pdf?=") NIL NIL "base64" 5)',
    ]
)


@st.composite
def plain_envelope(draw: st.DrawFn) -> bytes:
    """Envelopes as Dovecot writes them (no literals, no routes), sometimes odd."""
    lists = []
    for _ in range(6):
        count = draw(st.integers(0, 3))
        addresses = [
            b"(%s %s %s %s)"
            % (
                draw(PLAIN),
                draw(st.sampled_from([b"NIL"] * 9 + [b'"@r"'])),
                draw(PLAIN),
                draw(PLAIN),
            )
            for _ in range(count)
        ]
        lists.append(b"(" + b"".join(addresses) + b")" if addresses else b"NIL")
    if draw(st.booleans()):
        lists[1] = lists[2] = lists[0]
    fields = [draw(PLAIN), draw(PLAIN), *lists, draw(PLAIN), draw(PLAIN)]
    return b"(" + b" ".join(fields) + b")"


@st.composite
def regular_answer(draw: st.DrawFn) -> bytes:
    """Answers in the header-sync order, addresses written as Dovecot does; half of them
    only from values the one match takes, the rest from odder ones; sometimes damaged."""
    plain = draw(st.booleans())

    def pick(good: list[bytes], odd: list[bytes]) -> bytes:
        return draw(st.sampled_from(good if plain else good + odd))

    items = [
        b"UID " + pick([b"17", b"4294967295"], [b'"9"', b"x", b"123456789012345678901"]),
        b"FLAGS "
        + pick([b"()", b"(\\Seen)", b"(\\Seen $Label1 \\Recent)"], [b"(NIL)", b"(nil x)"]),
        b"RFC822.SIZE " + pick([b"2048", b"0"], [b"-1"]),
        b"INTERNALDATE " + pick([b'"17-Jul-1996 02:44:25 -0700"', b'"bad"'], [b"NIL"]),
    ]
    if draw(st.booleans()):
        items.append(b"MODSEQ " + pick([b"(12345)"], [b"(1 2)", b"12"]))
    if plain or draw(st.booleans()):
        items.append(b"ENVELOPE " + draw(plain_envelope()))
    else:
        items.append(b"ENVELOPE " + draw(envelope()).replace(b") (", b")("))
    if plain or draw(st.booleans()):
        items.append(b"BODYSTRUCTURE " + draw(PLAIN_BODIES))
    else:
        items.append(b"BODYSTRUCTURE " + draw(body()))
    refs = draw(st.sampled_from([b"", b"References: <r1@x> <r2@y>\r\n\r\n", b")"]))
    items.append(b"BODY[HEADER.FIELDS (REFERENCES)] {%d}\r\n" % len(refs) + refs)
    raw = b"* 3 FETCH (" + b" ".join(items) + b")\r\n"
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(START, len(raw) - 3))  # the damage is in the items
        raw = (
            raw[:at]
            + draw(st.sampled_from([b" ", b"(", b")", b'"', b"\\", b"nil", b""]))
            + raw[at + 1 :]
        )
    return raw


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(regular_answer())
def test_one_match_agrees_with_tokenize(raw: bytes) -> None:
    try:
        framed = _frame(raw)
    except (AssertionError, ParseError, LimitExceededError):
        return  # damaged into something that is not one response
    _check(framed)
    _compare(framed)


def test_the_generator_reaches_the_one_match_path() -> None:
    taken = []

    @settings(
        max_examples=300,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
        derandomize=True,
    )
    @given(regular_answer())
    def run(raw: bytes) -> None:
        if header_fetch_items(raw, len(b"* 3 FETCH ")) is not None:
            taken.append(raw)

    run()
    assert len(taken) > 50
