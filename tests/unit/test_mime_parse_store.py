"""The store's fast paths of the MIME reader give what the general paths give:
parse_for_store equals the same fields of parse_message (and index_text), the simple
address-list reader equals email.utils.getaddresses, decode_header_text's shortcut equals
its full path, and new_message_from equals the row the full parse gives."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailapp.engine.sync.pop3_fetch import new_message_from
from mailapp.protocols.mime import parse
from mailapp.protocols.mime.parse import (
    StoredFields,
    decode_header_text,
    index_text,
    parse_for_store,
    parse_message,
)

_REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("MAILAPP_CORPUS", _REPO.parent / "shared" / "corpus"))
DAY0 = datetime(2024, 5, 1, tzinfo=UTC)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.eml") if p.is_file())


def generated_messages() -> list[bytes]:
    """A few hundred of the benchmark's messages (plain, alternative, attachments, RFC 2047
    and RFC 2231 names), made in memory."""
    sys.path.insert(0, str(_REPO / "bench"))
    try:
        from mailgen import messages  # the benchmark's generator (stdlib only)
    finally:
        sys.path.remove(str(_REPO / "bench"))
    return [raw for raw, _ in messages(seed=7, count=300)]


def expected_fields(raw: bytes) -> StoredFields:
    full = parse_message(raw)
    return StoredFields(
        subject=full.subject,
        from_=full.from_,
        to=full.to,
        cc=full.cc,
        date=full.date,
        message_id=full.message_id,
        in_reply_to=full.in_reply_to,
        references=full.references,
        text=full.text,
        attachment_names=tuple(a.filename for a in full.attachments if a.filename),
        has_attachment=any(not a.shown_inline for a in full.attachments),
    )


def check_message(raw: bytes) -> None:
    fields, indexed = parse_for_store(raw)
    assert fields == expected_fields(raw)
    assert indexed == index_text(raw)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_parse_for_store_equals_parse_message_on_the_corpus() -> None:
    files = corpus_files()
    assert files
    for path in files:
        check_message(path.read_bytes())


def test_parse_for_store_equals_parse_message_on_generated_mail() -> None:
    for raw in generated_messages():
        check_message(raw)


def test_parse_for_store_inline_and_attached_parts() -> None:
    raw = (
        b"From: a@example.test\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
        b"--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/html\r\n\r\n<p>hi <img src='cid:Logo@x'></p>\r\n"
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
        b"Content-Disposition: inline; filename=logo.png\r\n\r\nPNG\r\n--r--\r\n"
        b"--m\r\nContent-Type: application/pdf; name=plan.pdf\r\n\r\n%PDF\r\n--m--\r\n"
    )
    fields, _ = parse_for_store(raw)
    assert fields.attachment_names == ("logo.png", "plan.pdf") and fields.has_attachment
    assert fields == expected_fields(raw)
    only_inline = raw.split(b"--m\r\nContent-Type: application/pdf")[0] + b"--m--\r\n"
    fields, _ = parse_for_store(only_inline)
    assert fields.attachment_names == ("logo.png",) and not fields.has_attachment
    assert fields == expected_fields(only_inline)


ADDRESS_CASES = [
    "a@b.example",
    "Bob Smith <bob.smith38@example.org>",
    '"Smith, Bob" <b@x.example>, c@d.example',
    " <x@y.example> ",
    "John Q. Public <j@p.example>",
    '"A"B <x@y>',
    'A"B" <x@y>',
    '"a  b"   c <x@y>',
    "=?utf-8?q?J=C3=B6rg?= <j@x.example>",
    "Jörg <j@x.example>",
    '"" <x@y>',
    "a@b,",
    "a@b, ,c@d",
    "a (comment) <b@c>",
    "group: a@b, c@d;",
    '"quoted local"@x.example',
    "<@route:a@b>",
    '"esc\\"aped" <a@b>',
    "a@b <c@d>",
    "a@b.",
    "a..b@c",
    "Bob\t<b@c>",
    "Bob\r\n <b@c>",
]


@pytest.mark.parametrize("value", ADDRESS_CASES)
def test_simple_addresses_equal_getaddresses(value: str) -> None:
    simple = parse._simple_addresses(value)
    assert simple is None or simple == getaddresses([value])


def test_simple_addresses_take_the_common_forms() -> None:
    for value in ADDRESS_CASES[:11]:
        assert parse._simple_addresses(value) is not None, value


_ADDRESS_ALPHABET = st.sampled_from(
    [*'ab.@<>," \t()\\:;[]=?é\xa0\x0b\udcc3', "x@y.example", "<a@b>", '"q r"', ", ", "\r\n "]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_ADDRESS_ALPHABET, max_size=24).map("".join))
@example('"a" "" <b@c>')
@example("a . b <c@d>")
def test_simple_addresses_never_disagree_with_getaddresses(value: str) -> None:
    simple = parse._simple_addresses(value)
    assert simple is None or simple == getaddresses([value])


def test_simple_addresses_stay_linear_on_long_input() -> None:
    for value in ("a" * 200_000, "a " * 100_000, "a" * 100_000 + "@", '"' + "a" * 100_000):
        assert parse._simple_addresses(value) is None


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60))
def test_decode_header_text_shortcut_equals_the_full_path(value: str) -> None:
    # A trailing tab sends the value down the full path; it ends as stripped whitespace.
    assert decode_header_text(value) == decode_header_text(value + "\t")


def test_new_message_from_equals_the_full_parse() -> None:
    samples = generated_messages()[:120]
    if CORPUS.is_dir():
        samples += [p.read_bytes() for p in corpus_files()]
    for raw in samples:
        row, body = new_message_from(raw, DAY0)
        full = parse_message(raw)
        sender = full.from_[0] if full.from_ else None
        assert row.from_name == (sender.name if sender else "")
        assert row.from_addr == (sender.addr if sender else "")
        assert row.to == ", ".join(t for a in full.to if (t := str(a)))
        assert row.cc == ", ".join(t for a in full.cc if (t := str(a)))
        assert row.subject == full.subject and row.date == full.date
        assert row.has_attachment == any(not a.shown_inline for a in full.attachments)
        assert body.extra_text == " ".join(a.filename for a in full.attachments if a.filename)
        assert body.body_text == index_text(raw).body
