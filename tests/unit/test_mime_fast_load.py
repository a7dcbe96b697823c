"""The fast message splitter (parse._fast_tree) builds exactly the tree the standard
feedparser builds, or declines; parse_and_index equals parse_message + index_text; the
format=flowed joiner keeps RFC 3676's rules."""

from __future__ import annotations

import os
import random
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.protocols.mime import parse
from mailapp.protocols.mime.parse import index_text, parse_and_index, parse_message

_REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("MAILAPP_CORPUS", _REPO.parent / "shared" / "corpus"))


def shape(message: Message) -> list[Any]:
    """Everything compat32 keeps about every part, in order."""
    out: list[Any] = []
    stack = [message]
    while stack:
        part = stack.pop()
        payload = part._payload  # type: ignore[attr-defined]
        out.append(
            (
                part._headers,  # type: ignore[attr-defined]
                part.preamble,
                part.epilogue,
                part.get_default_type(),
                [type(d).__name__ for d in part.defects],
                part.get_unixfrom(),
                payload if isinstance(payload, str) else len(payload or []),
            )
        )
        if isinstance(payload, list):
            stack.extend(reversed(payload))
    return out


def fast(raw: bytes) -> Message | None:
    text = raw.decode("ascii", "surrogateescape")
    if text.count("\r") != text.count("\r\n"):
        return None
    return parse._fast_tree(text)


def same_or_declined(raw: bytes) -> bool:
    tree = fast(raw)
    if tree is None:
        return False
    assert shape(tree) == shape(parse._PARSER.parsebytes(raw))
    return True


NESTED = (
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: nested\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
    b"preamble line\r\n--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
    b"--inner\r\nContent-Type: text/plain; format=flowed\r\n\r\nsoft \r\nbreak\r\n"
    b"--inner\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--inner--\r\ninner epilogue\r\n"
    b"\r\n--outer\r\nContent-Type: application/pdf; name=x.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--outer--\r\nepilogue\r\n"
)


def test_nested_multiparts_match_the_feedparser() -> None:
    assert same_or_declined(NESTED)
    assert same_or_declined(NESTED.replace(b"\r\n", b"\n"))
    assert same_or_declined(NESTED.rstrip(b"\r\n"))
    assert same_or_declined(b"Subject: only a header")
    assert same_or_declined(b"Subject: x\r\n\r\n")
    assert same_or_declined(b"\r\nno header at all\r\n")


@pytest.mark.parametrize(
    "raw",
    [
        NESTED.replace(b"--outer--", b"--outer-x"),  # no close delimiter
        NESTED.replace(b'boundary="outer"', b""),  # multipart without a boundary
        NESTED.replace(b"preamble line\r\n", b"preamble line\r\n--outer\r\n"),  # doubled
        b"From sender Mon Jan 1 00:00:00 2024\r\n" + NESTED,  # envelope line
        b" continued first\r\n" + NESTED,
        NESTED.replace(b"Subject: nested\r\n", b"Subject: nested\r\nnot a header\r\n"),
        NESTED.replace(b"multipart/mixed", b"multipart/digest"),
        NESTED.replace(b"application/pdf", b"message/rfc822"),
        NESTED.replace(b"\r\nsoft", b"\rsoft"),  # a bare CR
        NESTED.replace(b'boundary="inner"', b'boundary="outer-"'),  # prefix of another
    ],
)
def test_unusual_structures_go_to_the_feedparser(raw: bytes) -> None:
    assert not same_or_declined(raw)
    parse_message(raw)  # still parses, the standard way


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*.eml") if p.is_file())


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_corpus_trees_match_and_damaged_copies_too() -> None:
    files = corpus_files()
    assert files
    taken = sum(same_or_declined(p.read_bytes()) for p in files)
    assert taken > 0
    rnd = random.Random(20260101)
    for _ in range(1500):
        lines = rnd.choice(files).read_bytes().split(b"\n")
        for _ in range(rnd.randint(1, 3)):
            i = rnd.randrange(len(lines))
            op = rnd.random()
            if op < 0.3:
                del lines[i]
            elif op < 0.6:
                lines.insert(i, lines[rnd.randrange(len(lines))])
            elif op < 0.8:
                lines.insert(i, b"")
            else:
                lines[i] += rnd.choice([b" ", b"--", b"\t", b"x"])
            if not lines:
                lines = [b""]
        same_or_declined(b"\n".join(lines))


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_parse_and_index_equals_the_two_calls() -> None:
    for path in corpus_files():
        raw = path.read_bytes()
        parsed, indexed = parse_and_index(raw)
        assert parsed == parse_message(raw)
        assert indexed == index_text(raw)


def unflow_reference(text: str, delsp: bool) -> str:
    """RFC 3676 section 4.2, line by line, the obvious way."""
    out: list[str] = []
    paragraph: list[str] = []
    depth_of_paragraph = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if depth != depth_of_paragraph and paragraph:
            out.append(">" * depth_of_paragraph + (" " if depth_of_paragraph else ""))
            out[-1] += "".join(paragraph)
            paragraph = []
        depth_of_paragraph = depth
        soft = content.endswith(" ") and content != "-- "
        paragraph.append(content[:-1] if soft and delsp else content)
        if not soft:
            out.append(">" * depth + (" " if depth else "") + "".join(paragraph))
            paragraph = []
    if paragraph:
        out.append(">" * depth_of_paragraph + (" " if depth_of_paragraph else ""))
        out[-1] += "".join(paragraph)
    return "\n".join(out)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b ", " ", ">", "> ", "-- ", "\n", "\n", "x y", ">>"])),
    st.booleans(),
)
def test_unflow_follows_rfc_3676(atoms: list[str], delsp: bool) -> None:
    text = "".join(atoms)
    assert parse._unflow(text, delsp) == unflow_reference(text, delsp)
