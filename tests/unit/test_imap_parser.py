"""Parser transcripts from real-looking Dovecot and Gmail sessions, plus edge cases."""

from __future__ import annotations

import pytest

from mailapp.core.errors import LimitExceededError, ParseError
from mailapp.protocols.imap import (
    AppendUidCode,
    BodyPart,
    CapabilityCode,
    CapabilityResponse,
    ContinuationRequest,
    CopyUidCode,
    EnabledResponse,
    ESearchResponse,
    ExistsResponse,
    ExpungeResponse,
    FetchResponse,
    FlagsResponse,
    HighestModseqCode,
    IdResponse,
    ListResponse,
    MailboxStatusResponse,
    ModifiedCode,
    Multipart,
    NamespaceResponse,
    PermanentFlagsCode,
    RecentResponse,
    ResponseFramer,
    ResponseParser,
    SearchResponse,
    Status,
    TaggedResponse,
    UidNextCode,
    UidValidityCode,
    UnknownResponse,
    UntaggedStatus,
    VanishedResponse,
    parse_many,
    parse_response,
    walk_body,
)


def parse_stream(data: bytes, *, utf8: bool = False) -> list[object]:
    framer = ResponseFramer()
    raws = framer.feed(data)
    assert framer.buffered == 0
    return list(ResponseParser(utf8=utf8).parse_many(raws))


def test_dovecot_login_and_select_qresync() -> None:
    transcript = (
        b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
        b"STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n"
        b"A1 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
        b"THREAD=REFERENCES MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS "
        b"LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN "
        b"CONTEXT=SEARCH "
        b"LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE "
        b"LITERAL+ NOTIFY SPECIAL-USE] Logged in\r\n"
        b"* ENABLED QRESYNC\r\n"
        b"A2 OK Enabled\r\n"
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n"
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] "
        b"Flags permitted.\r\n"
        b"* 20001 EXISTS\r\n"
        b"* 0 RECENT\r\n"
        b"* OK [UIDVALIDITY 1764400000] UIDs valid\r\n"
        b"* OK [UIDNEXT 20002] Predicted next UID\r\n"
        b"* OK [HIGHESTMODSEQ 40123] Highest\r\n"
        b"* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n"
        b"* 49 FETCH (UID 117 FLAGS (\\Seen \\Answered) MODSEQ (90060115194045001))\r\n"
        b"A3 OK [READ-WRITE] Select completed (0.002 + 0.000 secs).\r\n"
    )
    r = parse_stream(transcript)
    greeting = r[0]
    assert isinstance(greeting, UntaggedStatus)
    assert greeting.status is Status.OK
    assert isinstance(greeting.code, CapabilityCode)
    assert "LITERAL+" in greeting.code.capabilities
    assert greeting.text == "Dovecot (Debian) ready."
    login = r[1]
    assert isinstance(login, TaggedResponse)
    assert login.tag == "A1"
    assert isinstance(login.code, CapabilityCode)
    assert {"QRESYNC", "SPECIAL-USE", "BINARY", "MOVE"} <= login.code.capabilities
    assert isinstance(r[2], EnabledResponse)
    assert r[2].capabilities == frozenset({"QRESYNC"})
    assert isinstance(r[4], FlagsResponse)
    assert r[4].flags[-1] == "$Forwarded"
    assert isinstance(r[5], UntaggedStatus)
    assert isinstance(r[5].code, PermanentFlagsCode)
    assert r[5].code.flags[-1] == "\\*"
    assert isinstance(r[6], ExistsResponse)
    assert r[6].count == 20001
    assert isinstance(r[7], RecentResponse)
    assert isinstance(r[8], UntaggedStatus)
    assert isinstance(r[8].code, UidValidityCode)
    assert r[8].code.value == 1764400000
    assert isinstance(r[9], UntaggedStatus)
    assert isinstance(r[9].code, UidNextCode)
    assert isinstance(r[10], UntaggedStatus)
    assert isinstance(r[10].code, HighestModseqCode)
    assert r[10].code.value == 40123
    vanished = r[11]
    assert isinstance(vanished, VanishedResponse)
    assert vanished.earlier
    assert 41 in vanished.uids
    assert 42 not in vanished.uids
    assert len(vanished.uids) == 1 + 74 + 1 + 92 + 327
    fetch = r[12]
    assert isinstance(fetch, FetchResponse)
    assert (fetch.seq, fetch.uid, fetch.flags) == (49, 117, ("\\Seen", "\\Answered"))
    assert fetch.modseq == 90060115194045001
    done = r[13]
    assert isinstance(done, TaggedResponse)
    assert done.code is not None
    assert done.code.name == "READ-WRITE"


def test_gmail_list_special_use_and_labels() -> None:
    transcript = (
        b'* LIST (\\HasNoChildren) "/" "INBOX"\r\n'
        b'* LIST (\\HasChildren \\Noselect) "/" "[Gmail]"\r\n'
        b'* LIST (\\All \\HasNoChildren) "/" "[Gmail]/All Mail"\r\n'
        b'* LIST (\\Drafts \\HasNoChildren) "/" "[Gmail]/Drafts"\r\n'
        b'* LIST (\\HasNoChildren \\Sent) "/" "[Gmail]/Sent Mail"\r\n'
        b'* LIST (\\HasNoChildren \\Junk) "/" "[Gmail]/Spam"\r\n'
        b'* LIST (\\Flagged \\HasNoChildren) "/" "[Gmail]/Starred"\r\n'
        b'* LIST (\\HasNoChildren \\Trash) "/" "[Gmail]/Trash"\r\n'
        b'* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"\r\n'
        b"A4 OK Success\r\n"
        b"* 1 FETCH (X-GM-THRID 1278455344230334865 X-GM-MSGID 1278455344230334865 "
        b'X-GM-LABELS (\\Inbox \\Sent Important "Muy Importante") UID 4 FLAGS (\\Seen))\r\n'
    )
    r = parse_stream(transcript)
    lists = [x for x in r if isinstance(x, ListResponse)]
    roles = {x.name: x.special_use for x in lists}
    assert roles["[Gmail]/Sent Mail"] == "\\Sent"
    assert roles["[Gmail]/All Mail"] == "\\All"
    assert roles["[Gmail]/Spam"] == "\\Junk"
    assert roles["[Gmail]/Trash"] == "\\Trash"
    assert roles["[Gmail]/Drafts"] == "\\Drafts"
    assert roles["[Gmail]/Starred"] == "\\Flagged"
    assert roles["INBOX"] is None
    gmail = next(x for x in lists if x.name == "[Gmail]")
    assert not gmail.selectable
    drafts = lists[-1]
    assert drafts.name == "Entwürfe"
    assert drafts.raw_name == b"Entw&APw-rfe"
    assert drafts.delimiter == "/"
    fetch = r[-1]
    assert isinstance(fetch, FetchResponse)
    assert fetch.uid == 4
    assert fetch.get_extra("X-GM-MSGID") == "1278455344230334865"
    assert fetch.get_extra("X-GM-LABELS") == ("\\Inbox", "\\Sent", "Important", b"Muy Importante")


def test_list_extended_utf8_and_invalid_names() -> None:
    r = parse_response(b'* LIST (\\Subscribed) "." "Foo" ("CHILDINFO" ("SUBSCRIBED"))\r\n')
    assert isinstance(r, ListResponse)
    assert r.extended == (("CHILDINFO", (b"SUBSCRIBED",)),)
    r = parse_response('* LIST () "/" "Entwürfe & Co"\r\n'.encode(), utf8=True)
    assert isinstance(r, ListResponse)
    assert r.name == "Entwürfe & Co"
    assert r.name_valid
    r = parse_response(b'* LIST () "/" "bad&name"\r\n')
    assert isinstance(r, ListResponse)
    assert not r.name_valid
    assert r.name == "bad&name"
    assert r.raw_name == b"bad&name"
    r = parse_response(b"* LIST (\\Noselect) NIL {3}\r\nfoo\r\n")
    assert isinstance(r, ListResponse)
    assert r.delimiter is None
    assert r.name == "foo"
    r = parse_response(b'* LSUB () "/" INBOX\r\n')
    assert isinstance(r, ListResponse)
    assert r.kind == "LSUB"
    assert r.name == "INBOX"


def test_status_search_esearch_id_namespace() -> None:
    r = parse_response(
        b'* STATUS "Sent" (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 7 UNSEEN 0 '
        b"HIGHESTMODSEQ 90060115205545359)\r\n"
    )
    assert isinstance(r, MailboxStatusResponse)
    assert (r.name, r.messages, r.uidnext, r.uidvalidity, r.unseen) == ("Sent", 231, 44292, 7, 0)
    assert r.highestmodseq == 90060115205545359
    r = parse_response(b"* SEARCH 2 5 6 7 11 (MODSEQ 917162500)\r\n")
    assert isinstance(r, SearchResponse)
    assert r.numbers == (2, 5, 6, 7, 11)
    assert r.modseq == 917162500
    r = parse_response(b"* SEARCH\r\n")
    assert isinstance(r, SearchResponse)
    assert r.numbers == ()
    r = parse_response(b'* ESEARCH (TAG "A282") UID MIN 2 MAX 47 COUNT 3 ALL 2,10:11 MODSEQ 5\r\n')
    assert isinstance(r, ESearchResponse)
    assert (r.tag, r.uid, r.min, r.max, r.count, r.modseq) == ("A282", True, 2, 47, 3, 5)
    assert r.all is not None
    assert list(r.all) == [2, 10, 11]
    r = parse_response(b'* ESEARCH (TAG "A283") COUNT 0\r\n')
    assert isinstance(r, ESearchResponse)
    assert (r.uid, r.count, r.all) == (False, 0, None)
    r = parse_response(b'* ID ("name" "Dovecot" "version" NIL)\r\n')
    assert isinstance(r, IdResponse)
    assert r.as_dict() == {"name": "Dovecot", "version": None}
    r = parse_response(b"* ID NIL\r\n")
    assert isinstance(r, IdResponse)
    assert r.fields is None
    r = parse_response(b'* NAMESPACE (("" "/")) (("~" "/")) NIL\r\n')
    assert isinstance(r, NamespaceResponse)
    assert r.personal == (("", "/"),)
    assert r.other == (("~", "/"),)
    assert r.shared == ()
    r = parse_response(b"* 3 EXPUNGE\r\n")
    assert isinstance(r, ExpungeResponse)
    assert r.seq == 3
    r = parse_response(b"* CAPABILITY IMAP4rev2 imap4rev1 UTF8=ACCEPT AUTH=XOAUTH2\r\n")
    assert isinstance(r, CapabilityResponse)
    assert r.capabilities == frozenset({"IMAP4REV2", "IMAP4REV1", "UTF8=ACCEPT", "AUTH=XOAUTH2"})


def test_response_codes() -> None:
    r = parse_response(b"A5 OK [APPENDUID 38505 3955] APPEND completed\r\n")
    assert isinstance(r, TaggedResponse)
    assert isinstance(r.code, AppendUidCode)
    assert (r.code.uidvalidity, list(r.code.uids)) == (38505, [3955])
    r = parse_response(b"A6 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n")
    assert isinstance(r, TaggedResponse)
    assert isinstance(r.code, CopyUidCode)
    assert r.code.mapping() == {304: 3956, 319: 3957, 320: 3958}
    r = parse_response(b"* OK [COPYUID 1 5 9] Moved UIDs.\r\n")
    assert isinstance(r, UntaggedStatus)
    assert isinstance(r.code, CopyUidCode)
    r = parse_response(b"A7 OK [MODIFIED 7,9] Conditional STORE failed\r\n")
    assert isinstance(r, TaggedResponse)
    assert isinstance(r.code, ModifiedCode)
    assert list(r.code.uids) == [7, 9]
    r = parse_response(b"A8 NO [TRYCREATE] Mailbox doesn't exist: Foo\r\n")
    assert isinstance(r, TaggedResponse)
    assert r.status is Status.NO
    assert r.code is not None
    assert (r.code.name, r.code.args) == ("TRYCREATE", None)
    r = parse_response(b"* OK [ALERT] System shutdown in 10 minutes\r\n")
    assert isinstance(r, UntaggedStatus)
    assert r.code is not None
    assert r.code.name == "ALERT"
    assert r.text == "System shutdown in 10 minutes"
    r = parse_response(b"* OK [NOMODSEQ] No permanent modsequences\r\n")
    assert isinstance(r, UntaggedStatus)
    assert r.code is not None
    assert r.code.name == "NOMODSEQ"
    r = parse_response(b"* BYE Logging out\r\n")
    assert isinstance(r, UntaggedStatus)
    assert r.status is Status.BYE
    r = parse_response(b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n")
    assert isinstance(r, UntaggedStatus)
    assert r.status is Status.PREAUTH
    r = parse_response(b"A9 BAD\r\n")
    assert isinstance(r, TaggedResponse)
    assert (r.status, r.text) == (Status.BAD, "")
    # A malformed code loses nothing: it stays a generic code with its text.
    r = parse_response(b"* OK [UIDVALIDITY banana] odd\r\n")
    assert isinstance(r, UntaggedStatus)
    assert r.code is not None
    assert (type(r.code).__name__, r.code.args) == ("ResponseCode", "banana")


def test_continuation_requests() -> None:
    r = parse_response(b"+ idling\r\n")
    assert isinstance(r, ContinuationRequest)
    assert r.text == b"idling"
    r = parse_response(b"+\r\n")
    assert isinstance(r, ContinuationRequest)
    assert r.text == b""
    r = parse_response(b"+ eyJzdGF0dXMiOiI0MDEifQ==\r\n")
    assert isinstance(r, ContinuationRequest)
    assert r.text == b"eyJzdGF0dXMiOiI0MDEifQ=="


def test_unknown_responses_are_kept_whole() -> None:
    raw = b'* QUOTA "" (STORAGE 10 512)\r\n'
    r = parse_response(raw)
    assert isinstance(r, UnknownResponse)
    assert r.name == "QUOTA"
    assert r.raw == raw
    assert r.tokens == (b"", ("STORAGE", "10", "512"))
    raw = b"* 4 XWEIRD {3}\r\nabc stuff\r\n"
    r = parse_response(raw)
    assert isinstance(r, UnknownResponse)
    assert (r.name, r.number, r.tokens) == ("XWEIRD", 4, (b"abc", "stuff"))
    raw = b"* XBROKEN ((((\r\n"
    r = parse_response(raw)
    assert isinstance(r, UnknownResponse)
    assert r.tokens is None
    assert r.raw == raw


SUBJECT = b'Re: * important * notice :) (unbalanced [x] \\"quoted\\" {5}'
ENVELOPE = (
    b'("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "' + SUBJECT + b'" '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'(("=?utf-8?q?J=C3=BCrgen_*_M=C3=BCller?=" NIL "gray" "cac.washington.edu")) '
    b'((NIL NIL "imap" "cac.washington.edu")("Undisclosed" NIL "list" NIL)(NIL NIL NIL NIL)) '
    b'((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) '
    b'NIL NIL "<B27397-0100000@cac.washington.edu>")'
)


def test_envelope_is_typed_and_byte_exact() -> None:
    raw = (
        b'* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" '
        b"RFC822.SIZE 4286 ENVELOPE " + ENVELOPE + b" UID 99)\r\n"
    )
    r = parse_response(raw)
    assert isinstance(r, FetchResponse)
    env = r.envelope
    assert env is not None
    assert env.subject == SUBJECT.replace(b'\\"', b'"')
    assert env.date == b"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"
    assert env.date_parsed is not None
    assert env.date_parsed.year == 1996
    assert env.from_[0].email == "gray@cac.washington.edu"
    assert env.from_[0].display_name == "Terry Gray"
    assert env.reply_to[0].display_name == "Jürgen * Müller"
    assert env.reply_to[0].name == b"=?utf-8?q?J=C3=BCrgen_*_M=C3=BCller?="
    assert env.to[1].is_group_start
    assert env.to[2].is_group_end
    assert len(env.cc) == 2
    assert env.bcc == ()
    assert env.in_reply_to is None
    assert env.message_id == b"<B27397-0100000@cac.washington.edu>"
    assert r.rfc822_size == 4286
    assert r.internaldate == "17-Jul-1996 02:44:25 -0700"
    assert r.internal_datetime is not None
    assert r.internal_datetime.utcoffset() is not None
    assert r.uid == 99
    assert r.raw == raw


def test_subject_survives_as_literal_with_star_lines() -> None:
    subject = b'* 3 EXPUNGE\r\n* BYE not really ) ( " '
    raw = (
        b"* 1 FETCH (ENVELOPE (NIL {"
        + str(len(subject)).encode()
        + b"}\r\n"
        + subject
        + b" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"
    )
    framer = ResponseFramer()
    out = framer.feed(raw)
    assert out == [raw]
    r = parse_response(out[0])
    assert isinstance(r, FetchResponse)
    assert r.envelope is not None
    assert r.envelope.subject == subject


RFC3501_BODY = (
    b'(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)'
    b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") '
    b'"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")'
)

DOVECOT_BODY = (
    b'(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 1024 30 NIL NIL NIL NIL)'
    b'(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 100 3 NIL NIL NIL NIL)'
    b'("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 200 5 NIL NIL NIL NIL) '
    b'"alternative" ("boundary" "alt") NIL NIL NIL)'
    b'("message" "rfc822" NIL NIL "Forwarded" "7bit" 5000 '
    b'("Tue, 1 Jan 2026 10:00:00 +0000" "Inner" (("A" NIL "a" "x.org")) '
    b"NIL NIL NIL NIL NIL NIL NIL) "
    b'(("text" "plain" ("charset" "utf-8") NIL NIL "base64" 300 4 NIL NIL NIL NIL)'
    b'("application" "pdf" ("name" "inner.pdf") NIL NIL "base64" 4000 NIL '
    b'("attachment" ("filename" "=?utf-8?q?R=C3=A9sum=C3=A9.pdf?=")) NIL NIL) '
    b'"mixed" ("boundary" "in") NIL NIL NIL) 120 NIL ("attachment" NIL) NIL NIL)'
    b'("image" "png" ("name" "logo.png") "<logo@x>" NIL "base64" 2048 "abcd" '
    b'("inline" ("filename" "logo.png")) ("en" "de") "http://x/logo.png" (1 "x" NIL)) '
    b'"mixed" ("boundary" "top") ("inline" NIL) "en" NIL)'
)


def test_bodystructure_rfc3501_example() -> None:
    r = parse_response(b"* 1 FETCH (BODY " + RFC3501_BODY + b")\r\n")
    assert isinstance(r, FetchResponse)
    body = r.body_structure
    assert isinstance(body, Multipart)
    assert body.subtype == "MIXED"
    assert body.content_type == "multipart/mixed"
    second = body.parts[1]
    assert isinstance(second, BodyPart)
    assert second.param("name") == "cc.diff"
    assert second.description == "Compiler diff"
    assert (second.size, second.lines, second.encoding) == (4554, 73, "BASE64")


def test_bodystructure_with_extension_data_and_nested_message() -> None:
    r = parse_response(b"* 2 FETCH (UID 8 BODYSTRUCTURE " + DOVECOT_BODY + b")\r\n")
    assert isinstance(r, FetchResponse)
    body = r.body_structure
    assert isinstance(body, Multipart)
    assert body.param("boundary") == "top"
    assert body.disposition is not None
    assert body.disposition.type == "inline"
    assert body.language == ("en",)
    numbered = {num: part.content_type for num, part in walk_body(body)}
    assert numbered == {
        "": "multipart/mixed",
        "1": "text/plain",
        "2": "multipart/alternative",
        "2.1": "text/plain",
        "2.2": "text/html",
        "3": "message/rfc822",
        "3.1": "text/plain",
        "3.2": "application/pdf",
        "4": "image/png",
    }
    parts = dict(walk_body(body))
    message = parts["3"]
    assert isinstance(message, BodyPart)
    assert message.envelope is not None
    assert message.envelope.subject == b"Inner"
    assert message.lines == 120
    assert isinstance(message.body, Multipart)
    pdf = parts["3.2"]
    assert isinstance(pdf, BodyPart)
    assert pdf.filename == "Résumé.pdf"
    png = parts["4"]
    assert isinstance(png, BodyPart)
    assert (png.id, png.md5, png.location) == ("<logo@x>", "abcd", "http://x/logo.png")
    assert png.language == ("en", "de")
    assert png.lines is None
    assert png.extensions == (("1", b"x", None),)


def test_single_part_top_level_is_section_1() -> None:
    r = parse_response(
        b'* 3 FETCH (BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1))\r\n'
    )
    assert isinstance(r, FetchResponse)
    assert r.body_structure is not None
    assert [n for n, _ in walk_body(r.body_structure)] == ["1"]


def test_body_sections_literals_literal8_and_nil() -> None:
    raw = (
        b"* 5 FETCH (UID 10 BODY[] {5}\r\nhello BODY[HEADER.FIELDS (SUBJECT FROM)] {10}\r\n"
        b"Subject:\r\n BINARY[2]<0> ~{3}\r\n\x00\xff\x01 BINARY.SIZE[2] 3 BODY[1.MIME] NIL "
        b'BODY[TEXT] "quoted body" RFC822.HEADER {2}\r\n\r\n)\r\n'
    )
    r = parse_response(raw)
    assert isinstance(r, FetchResponse)
    assert r.section() == b"hello"
    assert r.section("header.fields (subject from)") == b"Subject:\r\n"
    assert r.section("2", kind="BINARY") == b"\x00\xff\x01"
    assert r.sections[2].origin == 0
    assert r.binary_sizes == (("2", 3),)
    assert r.section("1.MIME") is None
    assert r.section("TEXT") == b"quoted body"
    assert r.section(kind="RFC822.HEADER") == b"\r\n"


def test_quoted_string_escapes() -> None:
    r = parse_response(b'* LIST () "\\\\" "a\\"b\\\\c"\r\n')
    assert isinstance(r, ListResponse)
    assert r.delimiter == "\\"
    assert r.raw_name == b'a"b\\c'


@pytest.mark.parametrize(
    "raw",
    [
        b"* 1 FETCH (UID 5\r\n",  # unbalanced
        b"* 1 FETCH UID 5)\r\n",
        b"* 1 FETCH (UID five)\r\n",
        b"* 1 FETCH (BODY[] {10}\r\nabc)\r\n",  # literal runs past the end
        b"* 1 FETCH (UID 1) extra\r\n",
        b"A1 MAYBE done\r\n",
        b"* 1 FETCH (UID 1)",  # no CRLF
        b"* 1 FETCH (ENVELOPE (NIL))\r\n",
        b"* 1 FETCH (BODYSTRUCTURE (NIL))\r\n",
        b'* LIST () "/"\r\n',
        b"* 99999999999 EXISTS\r\n",
        b"* 1 EXISTS now\r\n",
        b"garbage\r\n",
        b"\r\n",
        b"* 1 FETCH (UID 1 \x00)\r\n",
        b"* 1 FETCH (FLAGS (\\Seen)\r\n MODSEQ (1))\r\n",
    ],
)
def test_malformed_responses_raise_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError):
        parse_response(raw)


def test_depth_limit() -> None:
    deep = b"* 1 FETCH (X-DEEP " + b"(" * 300 + b")" * 300 + b")\r\n"
    with pytest.raises(LimitExceededError):
        parse_response(deep)
    r = parse_response(deep, max_depth=400)
    assert isinstance(r, FetchResponse)


def test_deep_bodystructure_needs_no_recursion() -> None:
    depth = 3000
    leaf = b'("text" "plain" NIL NIL NIL "7bit" 1 1)'
    body = b"(" * depth + leaf + b' "mixed")' * depth
    r = parse_response(b"* 1 FETCH (BODYSTRUCTURE " + body + b")\r\n", max_depth=depth + 10)
    assert isinstance(r, FetchResponse)
    assert r.body_structure is not None
    numbers = [n for n, _ in walk_body(r.body_structure)]
    assert len(numbers) == depth + 1
    assert numbers[-1] == ".".join(["1"] * depth)


def test_parse_many_restores_gc_state() -> None:
    import gc

    assert gc.isenabled()
    out = parse_many([b"* 1 EXISTS\r\n", b"A1 OK done\r\n"])
    assert gc.isenabled()
    assert [type(x).__name__ for x in out] == ["ExistsResponse", "TaggedResponse"]
