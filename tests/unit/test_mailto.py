"""mailto: links (RFC 6068): the RFC's examples, injection attempts, UTF-8, bad input, argv."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailapp.core.errors import InvalidMailtoError, MailAppError
from mailapp.core.mailto import (
    MAX_LINK_CHARS,
    MailtoLink,
    format_mailto,
    is_mailto,
    parse_mailto,
    split_mailto_argument,
)

# --- RFC 6068 section 6 examples ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mailto:chris@example.com", MailtoLink(to=("chris@example.com",))),
        (
            "mailto:infobot@example.com?subject=current-issue",
            MailtoLink(to=("infobot@example.com",), subject="current-issue"),
        ),
        (
            "mailto:infobot@example.com?body=send%20current-issue",
            MailtoLink(to=("infobot@example.com",), body="send current-issue"),
        ),
        (
            "mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
            MailtoLink(to=("infobot@example.com",), body="send current-issue\nsend index"),
        ),
        (
            "mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
            MailtoLink(to=("list@example.org",), in_reply_to="<3469A91.D10AF4C@example.com>"),
        ),
        (
            "mailto:majordomo@example.com?body=subscribe%20bamboo-l",
            MailtoLink(to=("majordomo@example.com",), body="subscribe bamboo-l"),
        ),
        (
            "mailto:joe@example.com?cc=bob@example.com&body=hello",
            MailtoLink(to=("joe@example.com",), cc=("bob@example.com",), body="hello"),
        ),
        (
            "mailto:gorby%25kremvax@example.com",
            MailtoLink(to=("gorby%kremvax@example.com",)),
        ),
        (
            "mailto:unlikely%3Faddress@example.com?blat=foop",
            MailtoLink(to=("unlikely?address@example.com",), ignored=("blat",)),
        ),
        ("mailto:Mike%26family@example.org", MailtoLink(to=("Mike&family@example.org",))),
        ("mailto:%22not%40me%22@example.org", MailtoLink(to=('"not@me"@example.org',))),
        ("mailto:%22oh%5C%5Cno%22@example.org", MailtoLink(to=('"oh\\\\no"@example.org',))),
        (
            "mailto:%22%5C%5C%5C%22it's%5C%20ugly%5C%5C%5C%22%22@example.org",
            MailtoLink(to=('"\\\\\\"it\'s\\ ugly\\\\\\""@example.org',)),
        ),
        (
            "mailto:user@example.org?subject=caf%C3%A9",
            MailtoLink(to=("user@example.org",), subject="café"),
        ),
        (
            "mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D",
            MailtoLink(to=("user@example.org",), subject="café"),
        ),
        (
            "mailto:user@example.org?subject=%3D%3Fiso-8859-1%3FQ%3Fcaf%3DE9%3F%3D",
            MailtoLink(to=("user@example.org",), subject="café"),
        ),
        (
            "mailto:user@%E7%B4%8D%E8%B1%86.example.org?subject=Test&body=NATTO",
            MailtoLink(to=("user@納豆.example.org",), subject="Test", body="NATTO"),
        ),
    ],
)
def test_rfc_6068_examples(url: str, expected: MailtoLink) -> None:
    assert parse_mailto(url) == expected


def test_several_recipients_in_path_and_to_field() -> None:
    link = parse_mailto("mailto:?to=addr1@an.example,addr2@an.example")
    assert link.to == ("addr1@an.example", "addr2@an.example")
    link = parse_mailto("mailto:addr1@an.example?to=addr2@an.example")
    assert link.to == ("addr1@an.example", "addr2@an.example")


def test_cc_bcc_and_display_names() -> None:
    link = parse_mailto(
        "mailto:%22Doe%2C%20John%22%20%3Cj@example.org%3E"
        "?cc=a@example.org;b@example.org&bcc=c@example.org&BCC=d@example.org"
    )
    assert link.to == ('"Doe, John" <j@example.org>',)
    assert link.cc == ("a@example.org", "b@example.org")
    assert link.bcc == ("c@example.org", "d@example.org")


def test_scheme_is_case_insensitive_and_fragment_dropped() -> None:
    link = parse_mailto("  MailTo:a@example.org?Subject=Hi#part  ")
    assert link == MailtoLink(to=("a@example.org",), subject="Hi")


def test_plus_is_a_plus_not_a_space() -> None:
    link = parse_mailto("mailto:me+tag@example.org?subject=1+1")
    assert link.to == ("me+tag@example.org",)
    assert link.subject == "1+1"


def test_first_subject_and_body_win_repeats_are_listed() -> None:
    link = parse_mailto("mailto:a@example.org?subject=one&subject=two&body=x&body=y")
    assert (link.subject, link.body) == ("one", "x")
    assert link.ignored == ("subject", "body")


def test_empty_fields_and_no_recipient() -> None:
    assert parse_mailto("mailto:") == MailtoLink()
    assert parse_mailto("mailto:?&&subject=&body=") == MailtoLink()
    assert parse_mailto("mailto:?subject") == MailtoLink(ignored=("subject",))


def test_lone_percent_signs_stay_literal() -> None:
    link = parse_mailto("mailto:a@example.org?subject=50%%20off%&body=100%")
    assert link.subject == "50% off%"
    assert link.body == "100%"


# --- what a hostile page might try ------------------------------------------------------------


def test_crlf_in_subject_becomes_one_space_never_a_header() -> None:
    link = parse_mailto("mailto:a@example.org?subject=Hi%0D%0ABcc:%20evil@example.net")
    assert link.subject == "Hi Bcc: evil@example.net"
    assert link.bcc == ()
    for sep in ("%0A", "%0D", "%00", "%E2%80%A8", "%E2%80%A9", "%C2%85", "%09", "%0B"):
        subject = parse_mailto(f"mailto:?subject=a{sep}b{sep}{sep}c").subject
        assert subject == "a b c", sep


def test_encoded_word_cannot_smuggle_a_line_break() -> None:
    # =?utf-8?B?SGkNCkJjYzogZXZpbEBleGFtcGxlLm5ldA==?= is "Hi\r\nBcc: evil@example.net"
    link = parse_mailto(
        "mailto:a@example.org?subject=%3D%3Futf-8%3FB%3FSGkNCkJjYzogZXZpbEBleGFtcGxlLm5ldA%3D%3D%3F%3D"
    )
    assert link.subject == "Hi Bcc: evil@example.net"


def test_body_keeps_its_lines_but_no_control_characters() -> None:
    link = parse_mailto("mailto:?body=line%201%0D%0Aline%202%0Dline%203%0A%09tab%00%1B[31m")
    assert link.body == "line 1\nline 2\nline 3\n\ttab[31m"


@pytest.mark.parametrize(
    "name", ["from", "sender", "reply-to", "received", "x-mailer", "return-path", "references"]
)
def test_dangerous_or_unknown_headers_are_ignored(name: str) -> None:
    link = parse_mailto(f"mailto:a@example.org?{name}=evil@example.net&subject=ok")
    assert link == MailtoLink(to=("a@example.org",), subject="ok", ignored=(name,))


def test_ignored_header_names_are_shown_safely() -> None:
    link = parse_mailto("mailto:?X-Evil%0D%0ABcc=1&" + "Y" * 200 + "=2")
    assert link.ignored[0] == "x-evil??bcc"
    assert len(link.ignored[1]) == 40


@pytest.mark.parametrize(
    "url",
    [
        "mailto:a@example.org%0D%0ABcc:evil@example.net",
        "mailto:?to=a@example.org%0Abcc:evil@example.net",
        "mailto:?cc=a@example.org%00",
        "mailto:?bcc=a@example.org%E2%80%A8x",
    ],
)
def test_line_breaks_in_addresses_refuse_the_link(url: str) -> None:
    with pytest.raises(InvalidMailtoError, match="line break or control character"):
        parse_mailto(url)


def test_in_reply_to_must_be_a_message_id() -> None:
    link = parse_mailto("mailto:?in-reply-to=%3Cx@y%3E%0D%0ABcc:%20e@x")
    assert link.in_reply_to is None
    assert link.ignored == ("in-reply-to",)
    assert parse_mailto("mailto:?in-reply-to=not-an-id").in_reply_to is None


# --- bad input: a clear error ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.org/", "is not a mailto: link"),
        ("", "is not a mailto: link"),
        ("mailto:?subject=caf%E9", "not valid UTF-8"),
        ("mailto:%FF@example.org", "not valid UTF-8"),
        ("mailto:?subject=\udcff", "bytes that are not text"),
    ],
)
def test_bad_links_raise_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(InvalidMailtoError, match=message) as info:
        parse_mailto(url)
    assert info.value.code == "config.invalid_mailto"
    assert isinstance(info.value, MailAppError)


def test_over_long_link_is_refused() -> None:
    with pytest.raises(InvalidMailtoError, match="too long"):
        parse_mailto("mailto:?body=" + "a" * MAX_LINK_CHARS)


# --- properties ---------------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


@given(st.text(max_size=200))
def test_any_input_gives_a_link_or_our_error(text: str) -> None:
    for candidate in (text, "mailto:" + text):
        try:
            link = parse_mailto(candidate)
        except InvalidMailtoError:
            continue
        assert not any(ch in link.subject for ch in "\r\n\x00\u2028\u2029\x85")
        for address in (*link.to, *link.cc, *link.bcc):
            assert "\n" not in address and "\r" not in address
        assert "\r" not in link.body


@given(
    st.lists(st.from_regex(r"[a-z0-9.+_-]{1,10}@[a-z0-9-]{1,10}\.example", fullmatch=True)),
    st.lists(st.from_regex(r"[a-z]{1,8}@example\.org", fullmatch=True), max_size=3),
    _text.map(lambda s: " ".join(s.split()) if s.isprintable() else ""),
    _text.map(lambda s: s.replace("\r", "")),
)
def test_format_then_parse_gives_the_same_link(
    to: list[str], cc: list[str], subject: str, body: str
) -> None:
    body = "".join(ch for ch in body if ch in "\t\n" or ch.isprintable() or ch == " ")
    link = MailtoLink(to=tuple(to), cc=tuple(cc), subject=subject, body=body)
    assert parse_mailto(format_mailto(link)) == link


# --- the command line ---------------------------------------------------------------------------


def test_is_mailto() -> None:
    assert is_mailto("mailto:x@y")
    assert is_mailto("MAILTO:")
    assert not is_mailto("--profile")
    assert not is_mailto("mail")


def test_split_mailto_argument_takes_the_first_link_out() -> None:
    assert split_mailto_argument(["--profile", "p", "mailto:a@b", "-v"]) == (
        "mailto:a@b",
        ["--profile", "p", "-v"],
    )
    assert split_mailto_argument(["account", "list"]) == (None, ["account", "list"])
    assert split_mailto_argument(["mailto:a", "mailto:b"]) == ("mailto:a", ["mailto:b"])
