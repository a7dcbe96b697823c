"""Property tests: the parser only ever raises our errors, encoders round-trip through it, the
fast tokenizer path agrees with the regular-expression path, and a 20,000-message sync parses."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.protocols.imap import (
    CommandBuilder,
    FetchResponse,
    ListResponse,
    Multipart,
    ResponseFramer,
    ResponseParser,
    TaggedResponse,
    parse_response,
)
from mailapp.protocols.imap.lexer import _fast_segment, _regex_segment

VALID = [
    b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n",
    b"A1 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
    b'* LIST (\\HasNoChildren \\Sent) "/" "Gesendete &AMQ-"\r\n',
    b'* STATUS "INBOX" (MESSAGES 2 UIDNEXT 3)\r\n',
    b'* ESEARCH (TAG "A1") UID MIN 1 ALL 1:3,5\r\n',
    b"* VANISHED (EARLIER) 1:5,9\r\n",
    b"* 4 FETCH (UID 9 FLAGS (\\Seen) MODSEQ (5) BODY[] {5}\r\nhello)\r\n",
    b'* 5 FETCH (ENVELOPE ("d" "s (x" (("n" NIL "m" "h")) NIL NIL NIL NIL NIL NIL "<i>") '
    b'BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 5 1 NIL NIL NIL NIL)'
    b'("message" "rfc822" NIL NIL NIL "7bit" 9 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) '
    b'("text" "plain" NIL NIL NIL "7bit" 1 1) 2) "mixed" ("boundary" "b") NIL NIL NIL))\r\n',
    b'* ID ("name" "x")\r\n',
    b'* NAMESPACE (("" "/")) NIL NIL\r\n',
    b"+ go ahead\r\n",
]


def _only_our_errors(raw: bytes) -> None:
    with contextlib.suppress(ParseError, LimitExceededError):
        parse_response(raw)


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_our_errors(data: bytes) -> None:
    _only_our_errors(data)
    _only_our_errors(data + b"\r\n")
    _only_our_errors(b"* " + data + b"\r\n")
    _only_our_errors(b"* 1 FETCH (" + data + b")\r\n")


@settings(max_examples=800)
@given(
    st.sampled_from(VALID),
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=400),
            st.integers(min_value=0, max_value=3),
            st.sampled_from(
                [
                    b"(",
                    b")",
                    b'"',
                    b"\\",
                    b" ",
                    b"{3}\r\n",
                    b"NIL",
                    b"\r\n",
                    b"[",
                    b"]",
                    b"\x00",
                    b"\xff",
                    b"*",
                    b"~{1}\r\n",
                    b"0",
                    b"99999999999",
                ]
            ),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_responses_raise_only_our_errors(raw: bytes, edits: list[Any]) -> None:
    data = bytearray(raw)
    for where, op, piece in edits:
        pos = where % (len(data) + 1)
        if op == 0:
            data[pos:pos] = piece
        elif op == 1:
            del data[pos : pos + len(piece)]
        else:
            data[pos : pos + len(piece)] = piece
    _only_our_errors(bytes(data))
    # The framer and parser together, as the transport uses them.
    framer = ResponseFramer(max_literal_size=1000)
    try:
        for r in framer.feed(bytes(data)):
            _only_our_errors(r)
    except (ParseError, LimitExceededError):
        pass


@given(st.binary(max_size=300).filter(lambda b: b"\x00" not in b), st.booleans(), st.booleans())
def test_string_encoder_round_trips_through_parser(
    data: bytes, literal_plus: bool, utf8: bool
) -> None:
    caps = ["IMAP4rev1", "LITERAL+"] if literal_plus else ["IMAP4rev1"]
    builder = CommandBuilder(capabilities=caps, utf8=utf8)
    cmd = builder.uid_search(["SUBJECT", data])
    prefix = f"{cmd.tag} UID SEARCH SUBJECT ".encode()
    wire = cmd.data
    assert wire.startswith(prefix)
    assert wire.endswith(b"\r\n")
    if literal_plus:
        assert len(cmd.chunks) == 1
    encoded = wire[len(prefix) : -2]
    response = b"* 1 FETCH (BODY[] " + encoded + b")\r\n"
    framed = ResponseFramer().feed(response)
    assert framed == [response]
    parsed = parse_response(framed[0])
    assert isinstance(parsed, FetchResponse)
    assert parsed.section() == data


@given(st.text(max_size=40).filter(lambda s: not any(c in s for c in "\r\n\x00")), st.booleans())
def test_mailbox_encoder_round_trips_through_list(name: str, utf8: bool) -> None:
    assume(all(not 0xD800 <= ord(c) <= 0xDFFF for c in name))
    builder = CommandBuilder(utf8=utf8)
    cmd = builder.delete(name)
    prefix = f"{cmd.tag} DELETE ".encode()
    encoded = cmd.data[len(prefix) : -2]
    parsed = ResponseParser(utf8=utf8).parse(b'* LIST () "/" ' + encoded + b"\r\n")
    assert isinstance(parsed, ListResponse)
    assert parsed.name_valid
    assert parsed.name == name


SEGMENT_ALPHABET = st.sampled_from(
    [
        "(",
        ")",
        '"',
        "\\",
        " ",
        "  ",
        "a",
        "NIL",
        "nil",
        "[",
        "]",
        "{",
        "}",
        "\r",
        "\n",
        "\x00",
        "\xe9",
        "12",
        "*",
        "%",
        "BODY[1]",
        "\\Seen",
        "<0>",
        "\t",
    ]
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SEGMENT_ALPHABET, max_size=30))
def test_fast_tokenizer_path_agrees_with_regex_path(pieces: list[str]) -> None:
    segment = "".join(pieces).encode("latin-1")

    def run(fast: bool) -> tuple[str, Any]:
        root: list[Any] = []
        stack: list[list[Any]] = []
        try:
            if fast:
                if _fast_segment(segment, root, stack, 50) is None:
                    return "n/a", None
            else:
                _regex_segment(segment, root, stack, 50, segment)
        except (ParseError, LimitExceededError) as exc:
            return type(exc).__name__, None
        return "ok", (root, len(stack))

    fast = run(True)
    if fast[0] == "n/a":
        return
    assert fast == run(False)


def _fetch_line(n: int) -> bytes:
    subject = f"Re: * important * notice ({n}"
    body = (
        b'(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 1234 40 NIL NIL NIL NIL)'
        b'("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 40000 NIL '
        b'("attachment" ("filename" "r.pdf")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)'
    )
    return (
        (
            f"* {n} FETCH (UID {n + 100} FLAGS (\\Seen) RFC822.SIZE {1000 + n} "
            f'ENVELOPE ("Mon, 7 Feb '
            f'2026 21:52:25 +0100" "{subject}" (("Alice" NIL "alice" "example.com")) NIL NIL '
            f'(("Bob" NIL "bob" "example.org")) NIL NIL NIL "<m{n}@example.com>") BODYSTRUCTURE '
        ).encode()
        + body
        + b")\r\n"
    )


def test_twenty_thousand_fetch_lines() -> None:
    count = 20000
    data = b"".join(_fetch_line(n) for n in range(1, count + 1)) + b"A9 OK Fetch completed.\r\n"
    framer = ResponseFramer()
    parser = ResponseParser()
    results: list[Any] = []
    for i in range(0, len(data), 65536):
        results += parser.parse_many(framer.feed(data[i : i + 65536]))
    assert framer.buffered == 0
    assert len(results) == count + 1
    assert isinstance(results[-1], TaggedResponse)
    for n in (1, 777, count):
        r = results[n - 1]
        assert isinstance(r, FetchResponse)
        assert (r.seq, r.uid, r.rfc822_size, r.flags) == (n, n + 100, 1000 + n, ("\\Seen",))
        assert r.envelope is not None
        assert r.envelope.subject == f"Re: * important * notice ({n}".encode()
        assert r.envelope.message_id == f"<m{n}@example.com>".encode()
        assert isinstance(r.body_structure, Multipart)
        assert len(r.body_structure.parts) == 2
    assert sorted(r.uid for r in results[:-1] if isinstance(r, FetchResponse)) == list(
        range(101, count + 101)
    )
