"""The bulk header sync's fast path (convert.header_values) against the general one: for any
FETCH answer it gives exactly row_values(new_message(build_fetch(...))), or leaves the answer
to build_fetch, and it raises what build_fetch raises for malformed data."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.engine.sync.convert import _date_epoch, _internal_epoch, header_values, new_message
from mailapp.protocols.imap import (
    FetchResponse,
    PreparedFetch,
    Response,
    ResponseFramer,
    ResponseParser,
    parse_header_date,
    parse_internaldate,
)
from mailapp.store.messages import row_values

# --- building FETCH answers ----------------------------------------------------------------


def q(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    if b"\r" in data or b"\n" in data or b'"' in data or b"\\" in data or not data.isascii():
        return b"{%d}\r\n" % len(data) + data
    return b'"' + data + b'"'


def nstring(value: str | bytes | None) -> bytes:
    return b"NIL" if value is None else q(value)


def lst(items: list[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"


TEXTS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "Alice",
            "Re: Quarterly =?UTF-8?B?w7xiZXI=?= report",
            "=?ISO-8859-1?Q?J=F6rg?=",
            "=?utf-8?q??=",
            "Smith, John",
            'quote " and \\ back',
            "ünïcode raw",
            "multi\r\nline",
        ]
    ),
)
ATOMISH = st.sampled_from(["NIL", "nil", "Seen", "12"])
ADDRESS = st.tuples(TEXTS, st.sampled_from([None, "@route"]), TEXTS, TEXTS)
DATES = st.sampled_from(
    [
        None,
        "Mon, 7 Feb 2026 21:52:25 +0100",
        "7 Feb 2026 21:52:25 -0000",
        "Tue, 1 Jan 2024 00:00:00 GMT",
        "31 Feb 2024 10:00:00 +0000",
        "garbage",
        "Wed, 12 Mar 2025 08:30:00 +0530 (IST)",
    ]
)
IDS = st.sampled_from([None, "<a@b>", "<a@b> <c@d>", "junk", ""])


@st.composite
def address_list(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return b"NIL"
    if kind == 1:
        return draw(st.sampled_from([b"()", b"atom", b'"string"', b"((NIL NIL NIL))"]))
    parts = []
    for name, adl, mailbox, host in draw(st.lists(ADDRESS, min_size=1, max_size=3)):
        fields = [nstring(name), nstring(adl), nstring(mailbox), nstring(host)]
        if draw(st.integers(0, 19)) == 0:
            fields[draw(st.integers(0, 3))] = draw(st.sampled_from([b"atom", b"(x)"]))
        parts.append(lst(fields))
    return lst(parts)


@st.composite
def envelope(draw: st.DrawFn) -> bytes:
    from_ = draw(address_list())
    same = draw(st.booleans())
    fields = [
        nstring(draw(DATES)),
        nstring(draw(TEXTS)),
        from_,
        from_ if same else draw(address_list()),
        from_ if same else draw(address_list()),
        draw(address_list()),
        draw(address_list()),
        draw(address_list()),
        nstring(draw(IDS)),
        nstring(draw(IDS)),
    ]
    if draw(st.integers(0, 19)) == 0:
        fields = fields[: draw(st.integers(0, 9))]
    if draw(st.integers(0, 19)) == 0:
        fields[draw(st.integers(0, len(fields) - 1)) if fields else 0 : 1] = [b"(x)"]
    return lst(fields)


PARAMS = st.sampled_from(
    [
        b"NIL",
        b'("charset" "utf-8")',
        b'("name" "r.pdf")',
        b'("NAME" "=?utf-8?q?b=C3=A9r.pdf?=")',
        b'("name" NIL)',
        b'("name" "")',
        b'("boundary" "b" "name" "x.bin")',
        b'("odd")',
        b'(NIL "x")',
        b"atom",
    ]
)
DISPOSITIONS = st.sampled_from(
    [
        b"NIL",
        b'("attachment" NIL)',
        b'("ATTACHMENT" ("filename" "a.pdf"))',
        b'("inline" ("filename" "pic.png"))',
        b'("inline" ("filename" NIL))',
        b'("inline" NIL)',
        b'"attachment"',
        b"()",
        b"(NIL NIL)",
        b'("inline" ("odd"))',
    ]
)
TYPES = st.sampled_from(
    [
        (b'"text"', b'"plain"'),
        (b'"TEXT"', b'"html"'),
        (b'"application"', b'"pdf"'),
        (b'"image"', b'"png"'),
        (b'"message"', b'"delivery-status"'),
        (b"text", b"plain"),
        (b"NIL", b'"plain"'),
    ]
)


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    major, minor = draw(TYPES)
    fields = [
        major,
        minor,
        draw(PARAMS),
        draw(st.sampled_from([b"NIL", b'"<id@x>"'])),
        b"NIL",
        draw(st.sampled_from([b'"base64"', b'"7bit"', b"NIL"])),
        draw(st.sampled_from([b"1234", b'"12"', b"x"])),
    ]
    if major.lower() in (b'"text"', b"text"):
        fields.append(draw(st.sampled_from([b"40", b"NIL"])))
    ext = draw(st.integers(0, 4))
    extension = [
        draw(st.sampled_from([b"NIL", b'"md5"'])),
        draw(DISPOSITIONS),
        draw(st.sampled_from([b"NIL", b'"en"', b'("en" "de")', b"(NIL)"])),
        draw(st.sampled_from([b"NIL", b'"loc"', b"(x)"])),
    ]
    fields.extend(extension[:ext])
    if ext == 4 and draw(st.booleans()):
        fields.append(b'("x" (1 2))')
    if draw(st.integers(0, 29)) == 0:
        fields = fields[: draw(st.integers(0, 6))]
    return lst(fields)


MESSAGE_PART = (
    b'("message" "rfc822" NIL NIL NIL "7bit" 9 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) '
    b'("application" "zip" ("name" "z.zip") NIL NIL "base64" 1) 2)'
)


@st.composite
def body(draw: st.DrawFn, depth: int = 0) -> bytes:
    kind = draw(st.integers(0, 9 if depth < 2 else 4))
    if kind <= 4:
        return draw(leaf())
    if kind == 5:
        return MESSAGE_PART
    if kind == 6:
        return draw(st.sampled_from([b"()", b"NIL", b'"x"', b'(("text" "plain"))']))
    children = b"".join(draw(st.lists(body(depth + 1), min_size=1, max_size=3)))
    tail = [draw(st.sampled_from([b'"mixed"', b'"ALTERNATIVE"', b"NIL", b"mixed"]))]
    tail += [draw(PARAMS), draw(DISPOSITIONS), b"NIL", b"NIL"][: draw(st.integers(0, 4))]
    return b"(" + children + b" " + b" ".join(tail) + b")"


@st.composite
def fetch_answer(draw: st.DrawFn) -> bytes:
    items: list[bytes] = []
    if draw(st.integers(0, 29)):
        items.append(b"UID " + draw(st.sampled_from([b"17", b"4294967295", b'"9"', b"x"])))
    if draw(st.integers(0, 29)):
        items.append(
            b"FLAGS "
            + draw(
                st.sampled_from(
                    [b"()", b"(\\Seen)", b"(\\Seen \\Flagged $Label1 \\Recent)", b"(NIL)", b"x"]
                )
            )
        )
    if draw(st.integers(0, 29)):
        items.append(b"RFC822.SIZE " + draw(st.sampled_from([b"2048", b"0", b"-1"])))
    if draw(st.integers(0, 29)):
        items.append(
            b"INTERNALDATE "
            + draw(
                st.sampled_from(
                    [b'"17-Jul-1996 02:44:25 -0700"', b'" 7-Feb-2026 21:52:25 +0000"', b'"bad"']
                )
            )
        )
    if draw(st.integers(0, 29)):
        items.append(b"ENVELOPE " + draw(envelope()))
    if draw(st.integers(0, 9)):
        items.append(b"BODYSTRUCTURE " + draw(body()))
    if draw(st.integers(0, 5)):
        refs = draw(st.sampled_from([b"", b"References: <r1@x> <r2@y>\r\n\r\n", None]))
        value = b"NIL" if refs is None else b"{%d}\r\n" % len(refs) + refs
        items.append(b"BODY[HEADER.FIELDS (REFERENCES)] " + value)
    if draw(st.integers(0, 3)) == 0:
        items.append(b"MODSEQ " + draw(st.sampled_from([b"(12345)", b"(1 2)", b"12"])))
    if draw(st.integers(0, 19)) == 0:
        items.append(draw(st.sampled_from([b"X-GM-LABELS (a)", b"uid 5", b"BODY[TEXT] NIL"])))
    order = draw(st.permutations(items))
    return b"* 3 FETCH (" + b" ".join(order) + b")\r\n"


# --- comparing the two paths ---------------------------------------------------------------


def _frame(raw: bytes) -> bytes:
    framed = ResponseFramer().feed(raw)
    assert len(framed) == 1
    return framed[0]


def _parse(raw: bytes, prepare: bool) -> Response | Exception:
    parser = ResponseParser()
    if prepare:
        parser.prepare_fetch = header_values
    try:
        return parser.parse(raw)
    except (ParseError, LimitExceededError) as error:
        return error


def _compare(raw: bytes) -> Response | Exception:
    """Asserts the fast path agrees with the general one on this answer; returns its result."""
    general = _parse(raw, prepare=False)
    fast = _parse(raw, prepare=True)
    if isinstance(general, Exception):
        assert type(fast) is type(general) and str(fast) == str(general)
        return fast
    assert isinstance(general, FetchResponse)
    if isinstance(fast, PreparedFetch):
        assert general.envelope is not None
        row = new_message(general)
        assert row is not None
        assert fast.value == row_values(row)
        assert [type(v) for v in fast.value] == [type(v) for v in row_values(row)]
        assert (fast.seq, fast.uid, fast.raw) == (general.seq, general.uid, general.raw)
    else:
        assert fast == general
    return fast


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(fetch_answer())
def test_fast_path_agrees_with_the_general_path(raw: bytes) -> None:
    _compare(_frame(raw))


TYPICAL = (
    b'* 7 FETCH (UID 42 FLAGS (\\Seen $Junk) RFC822.SIZE 31337 INTERNALDATE "07-Feb-2026 '
    b'21:52:25 +0100" ENVELOPE ("Mon, 7 Feb 2026 21:52:25 +0100" "=?UTF-8?Q?R=C3=A9union?=" '
    b'(("=?UTF-8?B?SsO2cmc=?=" NIL "jorg" "example.com")) (("=?UTF-8?B?SsO2cmc=?=" NIL "jorg" '
    b'"example.com")) (("=?UTF-8?B?SsO2cmc=?=" NIL "jorg" "example.com")) (("Bob" NIL "bob" '
    b'"example.org")("Team" NIL "team" NIL)(NIL NIL "carol" "example.net")(NIL NIL NIL NIL)) '
    b'NIL NIL "<p@x>" "<m@x>") BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL '
    b'"quoted-printable" 1234 40 NIL NIL NIL NIL)("application" "pdf" ("name" "r.pdf") NIL NIL '
    b'"base64" 40000 NIL ("attachment" ("filename" "r.pdf")) NIL NIL) "mixed" ("boundary" "b") '
    b"NIL NIL NIL) MODSEQ (99) BODY[HEADER.FIELDS (REFERENCES)] {27}\r\n"
    b"References: <r@x> <p@x>\r\n\r\n)\r\n"
)


def test_a_typical_answer_takes_the_fast_path() -> None:
    result = _compare(TYPICAL)
    assert isinstance(result, PreparedFetch)
    values: Any = result.value
    assert values[0] == 42 and values[1] == 99
    assert values[11:16] == (
        "Réunion",
        "Jörg",
        "jorg@example.com",
        "Bob <bob@example.org>, carol@example.net",
        "",
    )
    assert values[16] == 1  # has an attachment
    assert values[9] == "<r@x> <p@x>" and values[10] == "<r@x>"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"text" "plain" ("charset" "utf-8") NIL NIL', b'"text" "plain" ("charset") NIL NIL'),
        (b'"base64" 40000', b'"base64" (1)'),
        (b'"mixed" ("boundary" "b")', b""),
        (b'(("Bob" NIL "bob"', b'(("Bob" NIL ("bob")'),
        (b'"<p@x>" "<m@x>")', b'"<p@x>" ("<m@x>"))'),
    ],
)
def test_malformed_answers_raise_the_general_error(old: bytes, new: bytes) -> None:
    assert old in TYPICAL
    result = _compare(TYPICAL.replace(old, new))
    assert isinstance(result, ParseError)


PDF_PART = (
    b'("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 40000 NIL ("attachment" '
    b'("filename" "r.pdf")) NIL NIL)'
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"UID 42", b'UID "42"'),  # a quoted number
        (b'INTERNALDATE "07-Feb-2026', b'INTERNALDATE "99-Feb-2026'),  # unreadable
        (PDF_PART, MESSAGE_PART),  # an enclosed message
        (b"MODSEQ (99)", b"X-GM-THRID 5"),  # an item it does not know
        (b"(\\Seen $Junk)", b"(\\Seen NIL)"),  # the keyword N-I-L
    ],
)
def test_unusual_answers_are_left_to_the_general_path(old: bytes, new: bytes) -> None:
    assert old in TYPICAL
    result = _compare(TYPICAL.replace(old, new))
    assert isinstance(result, FetchResponse)


# --- the two date forms read without a datetime --------------------------------------------

DAY = st.sampled_from([b"1", b"01", b"28", b"29", b"30", b"31", b"00", b"32", b"7"])
MONTH = st.sampled_from([b"Jan", b"feb", b"FEB", b"Dec", b"Foo", b"Sep"])
YEAR = st.sampled_from([b"1969", b"1970", b"2000", b"2023", b"2024", b"2100", b"9999", b"0000"])
CLOCK = st.sampled_from([b"00:00:00", b"23:59:59", b"24:00:00", b"12:60:00", b"12:00:60"])
ZONE = st.sampled_from([b"+0000", b"-0000", b"+0100", b"-0930", b"+2359", b"+2400", b"-9999"])


LEAD = st.sampled_from([b"", b" ", b"Mon, ", b"\xd9\xa1"])  # the last an Arabic-Indic 1


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(DAY, MONTH, YEAR, CLOCK, ZONE, LEAD))
def test_quick_epochs_are_the_datetime_ones(parts: tuple[bytes, ...]) -> None:
    day, month, year, clock, zone, lead = parts
    internal = lead + b"-".join((day, month, year)) + b" " + clock + b" " + zone
    moment = parse_internaldate(internal.decode("utf-8", "surrogateescape"))
    assert _internal_epoch(internal) == (None if moment is None else int(moment.timestamp()))
    date = lead + b" ".join((day, month, year, clock, zone))
    parsed = parse_header_date(date)
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    assert _date_epoch(date) == (None if parsed is None else int(parsed.timestamp()))
