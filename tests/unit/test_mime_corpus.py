"""Display parsing against the shared corpus of real and malformed messages.

Every message of mime/, dsn/ and mdn/ must parse without an exception; every attachment
must get a safe name and be extractable. For mime/ also: a message shows some text, or
lists attachments, or truly has an empty body; encoded words in the header come out
decoded; a message the manifest marks as having an HTML part has an HTML body (or its HTML
is an attachment or inside an attached message).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mailapp.protocols.mime.parse import (
    ParsedMessage,
    PartRole,
    extract_part,
    index_text,
    parse_message,
)
from mailapp.protocols.mime.sanitize import sanitize_html

_REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("MAILAPP_CORPUS", _REPO.parent / "shared" / "corpus"))

pytestmark = pytest.mark.skipif(
    not (CORPUS / "mime").is_dir(), reason=f"corpus not found at {CORPUS}"
)


def manifest(folder: str) -> list[dict[str, Any]]:
    path = CORPUS / folder / "manifest.jsonl"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def read(folder: str, entry: dict[str, Any]) -> bytes:
    return (CORPUS / folder / entry["file"]).read_bytes()


def assert_attachments_safe(raw: bytes, parsed: ParsedMessage) -> None:
    for attachment in parsed.attachments:
        name = attachment.safe_name
        assert name and name == name.strip()
        assert "/" not in name and "\\" not in name and "\0" not in name
        assert not name.startswith(".") and not name.endswith(".")
        assert len(name.encode("utf-8")) <= 200
        data = extract_part(raw, attachment.part)
        if attachment.content_type not in {"message/rfc822", "message/global"}:
            assert len(data) == attachment.size


def body_is_empty(parsed: ParsedMessage) -> bool:
    return all(p.size <= 2 for p in parsed.parts if p.role == PartRole.BODY)


def test_every_mime_message() -> None:
    entries = manifest("mime")
    assert len(entries) >= 100
    encoded_subjects = decoded = 0
    for entry in entries:
        raw = read("mime", entry)
        parsed = parse_message(raw)
        assert parsed.text.strip() or parsed.attachments or body_is_empty(parsed), entry["file"]
        assert_attachments_safe(raw, parsed)
        indexed = index_text(raw)
        assert indexed.subject == parsed.subject
        if parsed.html is not None:
            sanitize_html(parsed.html)
        if "html" in entry["features"] and parsed.html is None:
            assert any(
                p.content_type == "text/html" and p.role != PartRole.BODY for p in parsed.parts
            ), entry["file"]
        if "rfc2047-encoded-words" in entry["features"] and b"=?" in raw.split(b"\n\n")[0]:
            encoded_subjects += 1
            shown = [parsed.subject, *(str(a) for a in parsed.from_ + parsed.to)]
            decoded += all("=?" not in value for value in shown)
    # One sample encodes an encoded word inside an encoded word on purpose.
    assert encoded_subjects >= 20
    assert decoded >= encoded_subjects - 1


def test_known_samples() -> None:
    def parsed(name: str) -> ParsedMessage:
        return parse_message((CORPUS / "mime" / name).read_bytes())

    windows1251 = parsed("deltachat__attach_filename_encoded_words_windows1251.eml")
    assert [a.filename for a in windows1251.attachments] == ["file Что нового 2020.pdf"]
    continued = parsed("deltachat__attach_filename_encoded_words_cont.eml")
    assert continued.attachments[0].filename.endswith(".html")
    apple = parsed("deltachat__apple_cid_jpg.eml")
    assert apple.html is not None
    assert [a.shown_inline for a in apple.attachments] == [True]
    tnef = parsed("mmp__m4006.eml")
    assert [a.safe_name for a in tnef.attachments] == ["winmail.dat"]
    cr_only = parsed("sisimai__mac__lhost-qmail-01.eml")
    assert cr_only.subject == "failure notice"
    assert "\r" not in cr_only.text and len(cr_only.text.splitlines()) > 5
    long_header = parsed("flanker__long-header.eml")
    assert long_header.subject.startswith("Die heiße Zypernsonne")


@pytest.mark.parametrize("folder", ["dsn", "mdn"])
def test_reports_parse_without_errors(folder: str) -> None:
    entries = manifest(folder)
    assert entries, f"no manifest in {CORPUS / folder}"
    for entry in entries:
        raw = read(folder, entry)
        parsed = parse_message(raw)
        assert_attachments_safe(raw, parsed)
        index_text(raw)
        assert parsed.text.strip() or parsed.attachments or body_is_empty(parsed), entry["file"]
