"""FETCH answers into store rows: ENVELOPE fields, flags, references, attachments."""

from __future__ import annotations

from datetime import UTC, datetime

from mailapp.engine.sync.convert import flag_update, has_attachment, header_items, new_message
from mailapp.protocols.imap import FetchResponse, parse_response
from mailapp.store.messages import MessageFlag


def fetch(data: bytes) -> FetchResponse:
    response = parse_response(data)
    assert isinstance(response, FetchResponse)
    return response


SUBJECT = b"Re: * important * notice (unbalanced"
REFS = b"References: <a@x.test>\r\n <b@x.test>\r\n\r\n"
RAW = (
    b"* 3 FETCH (UID 42 FLAGS (\\Seen $Label1 \\Recent) RFC822.SIZE 1234 MODSEQ (77) "
    b'INTERNALDATE "17-Jul-2026 02:44:25 -0700" '
    b'ENVELOPE ("Fri, 17 Jul 2026 09:40:00 +0200" {%d}\r\n%s '
    b'(("Ann =?utf-8?q?M=C3=BCller?=" NIL "ann" "example.test")) NIL NIL '
    b'(("Bob" NIL "bob" "example.test")(NIL NIL "carol" "example.test")) '
    b'((NIL NIL "dave" "example.test")) NIL "<parent@x.test>" "<id42@x.test>") '
    b'BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)'
    b'("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 100 NIL '
    b'("attachment" ("filename" "r.pdf")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) '
    b"BODY[HEADER.FIELDS (REFERENCES)] {%d}\r\n%s)\r\n"
) % (len(SUBJECT), SUBJECT, len(REFS), REFS)


def test_header_fetch_becomes_a_row() -> None:
    row = new_message(fetch(RAW))
    assert row is not None
    assert row.uid == 42
    assert row.subject == SUBJECT.decode()
    assert row.from_name == "Ann Müller"
    assert row.from_addr == "ann@example.test"
    assert row.to == "Bob <bob@example.test>, carol@example.test"
    assert row.cc == "dave@example.test"
    assert row.message_id == "<id42@x.test>"
    assert row.in_reply_to == "<parent@x.test>"
    assert row.references == ("<a@x.test>", "<b@x.test>")
    assert row.flags == MessageFlag.SEEN
    assert row.keywords == ("$Label1",)
    assert row.modseq == 77
    assert row.size == 1234
    assert row.has_attachment
    assert row.date == datetime(2026, 7, 17, 7, 40, tzinfo=UTC)
    assert row.internal_date == datetime(2026, 7, 17, 9, 44, 25, tzinfo=UTC)


def test_missing_uid_or_envelope() -> None:
    assert new_message(fetch(b"* 1 FETCH (FLAGS ())\r\n")) is None
    bare = new_message(fetch(b"* 1 FETCH (UID 7 FLAGS (\\Flagged) RFC822.SIZE 5)\r\n"))
    assert bare is not None and bare.subject == "" and bare.flags == MessageFlag.FLAGGED
    assert bare.internal_date.tzinfo is not None


def test_flag_update() -> None:
    update = flag_update(fetch(b"* 1 FETCH (UID 9 FLAGS (\\Answered \\Seen) MODSEQ (12))\r\n"))
    assert update is not None
    assert update.flags == MessageFlag.ANSWERED | MessageFlag.SEEN
    assert update.modseq == 12
    assert flag_update(fetch(b"* 1 FETCH (UID 9 RFC822.SIZE 5)\r\n")) is None


def test_no_attachment_for_plain_text() -> None:
    plain = fetch(
        b'* 1 FETCH (UID 1 BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL '
        b'"7bit" 3 1 NIL NIL NIL NIL))\r\n'
    )
    assert not has_attachment(plain.body_structure)
    assert not has_attachment(None)


def test_items() -> None:
    assert "MODSEQ" in header_items(True)
    assert "MODSEQ" not in header_items(False)
    assert header_items(False, with_body=True)[-1] == "BODY.PEEK[]"
