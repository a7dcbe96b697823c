"""The tokenizer's fast path with bracketed sections (BODY[HEADER.FIELDS (A B)]) agrees with
the regex path on every input it accepts, and takes real header-sync answers."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.protocols.imap import FetchResponse, parse_response
from mailapp.protocols.imap.lexer import _fast_segment, _regex_segment

_PIECES = st.sampled_from(
    [
        "[",
        "]",
        "[]",
        "BODY",
        "BODY[",
        "HEADER.FIELDS",
        "(",
        ")",
        " ",
        '"',
        'a"b',
        "\\",
        "x",
        "NIL",
        "<0>",
        "{",
        "\x00",
        "[" + "y" * 1030 + "]",
        "\r",
        "é",
        "]]",
        "[[",
        "1",
    ]
)


def _run(segment: bytes, fast: bool) -> tuple[str, Any]:
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


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=24))
def test_fast_path_with_brackets_agrees_with_the_regex_path(pieces: list[str]) -> None:
    segment = "".join(pieces).encode("latin-1")
    fast = _run(segment, True)
    if fast[0] != "n/a":
        assert fast == _run(segment, False)


def test_header_sync_answer_takes_the_fast_path() -> None:
    segment = (
        b'UID 7 FLAGS (\\Seen) BODY[HEADER.FIELDS (REFERENCES)] "x" BODY[]<0> NIL BINARY.SIZE[1] 5'
    )
    root: list[Any] = []
    assert _fast_segment(segment, root, [], 50) is root
    assert root == [
        "UID",
        "7",
        "FLAGS",
        ["\\Seen"],
        "BODY[HEADER.FIELDS (REFERENCES)]",
        b"x",
        "BODY[]<0>",
        None,
        "BINARY.SIZE[1]",
        "5",
    ]
    raw = (
        b'* 3 FETCH (UID 9 ENVELOPE (NIL "s" NIL NIL NIL NIL NIL NIL NIL NIL) '
        b"BODY[HEADER.FIELDS (REFERENCES)] {17}\r\nReferences: <a>\r\n)\r\n"
    )
    response = parse_response(raw)
    assert isinstance(response, FetchResponse)
    assert response.section("HEADER.FIELDS (REFERENCES)") == b"References: <a>\r\n"
    assert response.envelope is not None and response.envelope.subject == b"s"
