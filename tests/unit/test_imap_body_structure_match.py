"""lexer's regular-expression reading of a header sync's common BODYSTRUCTURE shapes (one part,
or a multipart of such parts): inside header_fetch_items it gives exactly what tokenize gives,
odd or damaged shapes are left to the token path, and the common ones do take it; the
attachment answer header_values gives for such a structure is the general path's."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_imap_header_values import _compare

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.engine.sync.convert import header_values
from mailapp.protocols.imap import PreparedFetch
from mailapp.protocols.imap.lexer import (
    HeaderFetchItems,
    _body_structure,
    header_fetch_items,
    tokenize,
)

HEAD = (
    b'* 3 FETCH (UID 6 FLAGS (\\Seen) RFC822.SIZE 4737 INTERNALDATE "01-Jan-2023 07:46:04 +0000"'
    b' ENVELOPE ("Sun, 01 Jan 2023 08:46:04 +0100" "Hi" (("Ivan" NIL "ivan" "example.com"))'
    b' (("Ivan" NIL "ivan" "example.com")) (("Ivan" NIL "ivan" "example.com"))'
    b' (("Bench" NIL "bench" "example.test")) NIL NIL NIL "<5.7f@example.com>") BODYSTRUCTURE '
)
TAIL = b" BODY[HEADER.FIELDS (REFERENCES)] {0}\r\n)\r\n"
START = len(b"* 3 FETCH ")

TEXT = (
    b'("text" "plain" ("charset" "us-ascii" "format" "flowed") NIL NIL "7bit" 47017 785'
    b" NIL NIL NIL NIL)"
)
FILE = (
    b'("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 40000 NIL'
    b' ("attachment" ("filename" "r.pdf")) NIL NIL)'
)
COMMON = [
    TEXT,
    b"("
    + TEXT
    + TEXT.replace(b'"plain"', b'"html"')
    + b' "alternative" ("boundary" "b") NIL NIL NIL)',
    b"(" + TEXT + FILE + FILE + b' "mixed" ("boundary" "b") NIL NIL NIL)',
    FILE,
]

STRING = st.sampled_from(
    [b'""', b'"x"', b'"a (b) {3} NIL"', b'"\xc3\xa9"', b'"=?utf-8?q?r=C3=A9?="']
)
GOOD_OR_NIL = st.one_of(STRING, st.just(b"NIL"))
STRING_OR_NIL = st.one_of(GOOD_OR_NIL, st.sampled_from([b"nil", b"x", b"()", b"1"]))


@st.composite
def params(draw: st.DrawFn, plain: bool) -> bytes:
    if not plain and draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from([b"NIL", b"()", b'("a")', b"(NIL NIL)", b'("a" NIL)']))
    if draw(st.integers(0, 4)) == 0:
        return b"NIL"
    pairs = draw(st.lists(st.tuples(STRING, STRING), min_size=1, max_size=3))
    return b"(" + b" ".join(b"%s %s" % pair for pair in pairs) + b")"


@st.composite
def disposition(draw: st.DrawFn, plain: bool) -> bytes:
    kind = draw(st.integers(0, 1 if plain else 2))
    if kind == 0:
        return b"NIL"
    if kind == 2:
        return draw(st.sampled_from([b'"attachment"', b'("inline")', b"(NIL NIL)"]))
    return b"(%s %s)" % (draw(STRING), draw(params(plain)))


@st.composite
def part(draw: st.DrawFn, plain: bool) -> bytes:
    """One non-message part; `plain`: only values the expressions take."""
    maybe = GOOD_OR_NIL if plain else STRING_OR_NIL
    fields = [draw(STRING), draw(STRING), draw(params(plain)), draw(maybe), draw(maybe)]
    fields.append(draw(STRING if plain else STRING_OR_NIL))
    sizes = [b"0", b"47017", b"12345678901234567890"]
    fields.append(draw(st.sampled_from(sizes if plain else [*sizes, b"x", b"NIL", b"-1"])))
    if draw(st.booleans()):
        fields.append(draw(st.sampled_from([b"785"] if plain else [b"785", b"NIL"])))
    extension = [draw(maybe), draw(disposition(plain)), draw(maybe), draw(maybe), b"NIL"]
    fields += extension[: 4 if plain else draw(st.integers(0, 5))]
    return b"(" + b" ".join(fields) + b")"


@st.composite
def structure(draw: st.DrawFn) -> bytes:
    """Half only from values the expressions take, the rest odder; sometimes damaged."""
    plain = draw(st.booleans())
    if draw(st.booleans()):
        text = draw(part(plain))
    else:
        one = st.one_of(part(plain), st.sampled_from(COMMON))
        parts = draw(st.lists(one, min_size=1, max_size=3))
        glue = draw(st.sampled_from([b"", b" "]))
        maybe = GOOD_OR_NIL if plain else STRING_OR_NIL
        tail = [draw(STRING if plain else STRING_OR_NIL), draw(params(plain))]
        tail += [draw(disposition(plain)), draw(maybe), draw(maybe), b"NIL"]
        tail = tail[: 5 if plain else draw(st.integers(0, 6))]
        text = b"(" + glue.join(parts) + b"".join(b" " + t for t in tail) + b")"
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(text) - 1))
        damage = draw(st.sampled_from([b" ", b"(", b")", b'"', b"\\", b"", b"\r"]))
        text = text[:at] + damage + text[at + 1 :]
    return text


def _check(body: bytes, max_depth: int = 128) -> object:
    """header_fetch_items on an answer with this BODYSTRUCTURE agrees with tokenize."""
    raw = HEAD + body + TAIL
    items = header_fetch_items(raw, START, max_depth)
    if items is not None:
        assert [items] == tokenize(raw, START, max_depth)
    else:
        with contextlib.suppress(ParseError, LimitExceededError):
            tokenize(raw, START, max_depth)
    return items


def test_the_common_shapes_are_read_by_the_expressions() -> None:
    for body in COMMON:
        assert _body_structure(body, 127) is not None
        assert _check(body) is not None
        assert _check(body.replace(b")(", b") (")) is not None


def test_nested_or_odd_shapes_are_left_to_the_tokens() -> None:
    nested = b"(" + COMMON[1] + FILE + b' "mixed" NIL NIL NIL NIL)'
    message = (
        b'("message" "rfc822" NIL NIL NIL "7bit" 10 ("d" "s" NIL NIL NIL NIL NIL NIL NIL NIL)'
        b' ("text" "plain" NIL NIL NIL "7bit" 1 1) 1)'
    )
    for body in (nested, message, TEXT.replace(b"NIL NIL NIL NIL", b"NIL NIL NIL"),
                 TEXT.replace(b"NIL", b"nil"), TEXT.replace(b'"7bit"', b"NIL")):  # fmt: skip
        assert _body_structure(body, 127) is None
        assert _check(body) is not None


def test_a_small_depth_limit_is_left_to_the_tokens() -> None:
    for body in COMMON:
        for depth in range(1, 8):
            _check(body, depth)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(structure())
def test_the_expressions_agree_with_tokenize(body: bytes) -> None:
    _check(body)


def test_the_generator_reaches_the_expressions() -> None:
    taken = []

    @settings(max_examples=300, database=None, derandomize=True)
    @given(structure())
    def run(body: bytes) -> None:
        if _body_structure(body, 127) is not None:
            taken.append(body)

    run()
    assert len(taken) > 60


# --- the attachment answer from a structure the expressions read ---------------------------
#
# header_values trusts HeaderFetchItems.body_checked and only decides the attachment (and
# the lines count and message/* parts the expressions leave open): the same row as the
# general path, or the same hand-over to build_fetch, for every type, disposition and name.

TYPE = st.sampled_from([b'"text"', b'"TEXT"', b'"application"', b'"Image"', b'"message"'])
NAMED = st.sampled_from([b'"name"', b'"NAME"', b'"filename"', b'"FileName"', b'"charset"'])
NAME_VALUE = st.sampled_from([b'""', b'"r.pdf"', b'"=?utf-8?q??="', b'"=?utf-8?q?=C3=A9?="'])


@st.composite
def attachment_part(draw: st.DrawFn) -> bytes:
    def pairs() -> bytes:
        chosen = draw(st.lists(st.tuples(NAMED, NAME_VALUE), min_size=0, max_size=2))
        return b"(" + b" ".join(b"%s %s" % p for p in chosen) + b")" if chosen else b"NIL"

    fields = [draw(TYPE), b'"plain"', pairs(), b"NIL", b"NIL", b'"base64"', b"100"]
    if draw(st.booleans()):
        fields.append(b"7")  # a lines count, on any type
    kind = st.sampled_from([b'"attachment"', b'"ATTACHMENT"', b'"inline"', b'"x"'])
    disposition = b"NIL" if draw(st.booleans()) else b"(%s %s)" % (draw(kind), pairs())
    fields += [b"NIL", disposition, b"NIL", b"NIL"]
    return b"(" + b" ".join(fields) + b")"


@st.composite
def attachment_structure(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(attachment_part(), min_size=1, max_size=3))
    if len(parts) == 1 and draw(st.booleans()):
        return parts[0]
    return b"(" + b"".join(parts) + b' "mixed" ("boundary" "b") NIL NIL NIL)'


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(attachment_structure())
def test_the_attachment_answer_from_the_expressions_is_the_general_one(body: bytes) -> None:
    raw = HEAD + body + TAIL
    items = header_fetch_items(raw, START)
    assert isinstance(items, HeaderFetchItems) and items.body_checked
    # The prepared parse (which trusts body_checked) against the general one...
    _compare(raw)
    # ...and against header_values over the same tokens as a plain list (no trust).
    checked = _values(items, raw)
    plain = _values(list(items), raw)
    if isinstance(plain, PreparedFetch):
        assert isinstance(checked, PreparedFetch) and checked.value == plain.value
    elif isinstance(plain, Exception):
        assert type(checked) is type(plain) and str(checked) == str(plain)
    else:
        assert checked == plain


def _values(items: list[Any], raw: bytes) -> object:
    try:
        return header_values(3, items, raw)
    except (ParseError, LimitExceededError) as error:
        return error


def test_only_the_expressions_mark_the_structure_checked() -> None:
    nested = b"(" + COMMON[1] + FILE + b' "mixed" NIL NIL NIL NIL)'
    items = header_fetch_items(HEAD + nested + TAIL, START)
    assert isinstance(items, HeaderFetchItems) and not items.body_checked
    for body in COMMON:
        items = header_fetch_items(HEAD + body + TAIL, START)
        assert isinstance(items, HeaderFetchItems) and items.body_checked
