"""Reading received messages for display: header fields, body choice, attachments, parts."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailapp.core.errors import MimePartNotFoundError
from mailapp.protocols.mime.parse import (
    Address,
    Disposition,
    PartRole,
    decode_header_text,
    extract_part,
    html_to_text,
    index_text,
    parse_message,
)


def msg(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8", "surrogateescape")


PDF = b"%PDF-1.4 fake pdf \x00\x01\x02 bytes"
PNG = b"\x89PNG\r\n\x1a\nfake png"

MIXED = msg(
    f"""From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>
To: "Doe, Jane" <jane@example.com>, bob@example.com
Cc: =?iso-8859-1?q?Fran=E7ois?= <f@example.fr>
Reply-To: list@example.org
Subject: =?utf-8?b?UmU6IEdyw7zDn2U=?= =?utf-8?b?IGF1cyBLw7ZsbiDwn5iA?=
Date: Tue, 14 Dec 2010 22:59:10 +0100
Message-ID: <abc@example.org>
In-Reply-To: <parent@example.org>
References: <root@example.org>
 <parent@example.org>
Disposition-Notification-To: joerg@example.org
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hallo J=C3=B6rg,
see the report.
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<html><body><p>Hallo <b>J&ouml;rg</b></p><img src="cid:logo@example.org"></body></html>
--rel
Content-Type: image/png
Content-ID: <logo@example.org>
Content-Transfer-Encoding: base64

{base64.b64encode(PNG).decode()}
--rel--
--alt--
--outer
Content-Type: application/pdf; name="ignored.pdf"
Content-Disposition: attachment; filename*=utf-8''Gr%C3%BC%C3%9Fe%20%E2%82%AC.pdf
Content-Transfer-Encoding: base64

{base64.b64encode(PDF).decode()}
--outer--
"""
)


def test_header_fields_are_decoded() -> None:
    parsed = parse_message(MIXED)
    assert parsed.subject == "Re: Grüße aus Köln 😀"
    assert parsed.from_ == (Address("Jörg Müller", "joerg@example.org"),)
    assert parsed.to == (
        Address("Doe, Jane", "jane@example.com"),
        Address("", "bob@example.com"),
    )
    assert parsed.cc == (Address("François", "f@example.fr"),)
    assert parsed.reply_to == (Address("", "list@example.org"),)
    assert parsed.disposition_notification_to == (Address("", "joerg@example.org"),)
    assert parsed.date == datetime(2010, 12, 14, 21, 59, 10, tzinfo=UTC)
    assert parsed.date is not None and parsed.date.utcoffset() == timedelta(hours=1)
    assert parsed.message_id == "<abc@example.org>"
    assert parsed.in_reply_to == "<parent@example.org>"
    assert parsed.references == ("<root@example.org>", "<parent@example.org>")
    assert ("Subject", "Re: Grüße aus Köln 😀") in parsed.headers
    assert str(parsed.from_[0]) == "Jörg Müller <joerg@example.org>"


def test_alternative_gives_plain_text_and_related_html() -> None:
    parsed = parse_message(MIXED)
    assert parsed.text == "Hallo Jörg,\nsee the report."
    assert parsed.html is not None and "<b>J&ouml;rg</b>" in parsed.html
    assert parsed.defects == ()
    assert not parsed.is_signed and not parsed.is_encrypted


def test_attachments_cid_map_and_part_numbers() -> None:
    parsed = parse_message(MIXED)
    by_part = {a.part: a for a in parsed.attachments}
    assert set(by_part) == {"1.2.2", "2"}
    logo, pdf = by_part["1.2.2"], by_part["2"]
    assert logo.content_id == "logo@example.org"
    assert logo.disposition == Disposition.INLINE
    assert logo.shown_inline
    assert logo.size == len(PNG)
    assert logo.safe_name == "attachment.png"
    assert pdf.filename == "Grüße €.pdf"  # RFC 2231 wins over the Content-Type name
    assert pdf.safe_name == "Grüße €.pdf"
    assert pdf.disposition == Disposition.ATTACHMENT
    assert pdf.size == len(PDF)
    assert pdf.content_type == "application/pdf"
    assert not pdf.shown_inline
    assert parsed.cid_map == {"logo@example.org": "1.2.2"}
    assert parsed.part_for_cid("cid:logo@example.org") == "1.2.2"
    assert parsed.part_for_cid("cid:LOGO%40example.org") == "1.2.2"
    assert parsed.part_for_cid("cid:other") is None
    roles = {(p.part, p.content_type): p.role for p in parsed.parts}
    assert roles == {
        ("", "multipart/mixed"): PartRole.CONTAINER,
        ("1", "multipart/alternative"): PartRole.CONTAINER,
        ("1.1", "text/plain"): PartRole.BODY,
        ("1.2", "multipart/related"): PartRole.CONTAINER,
        ("1.2.1", "text/html"): PartRole.BODY,
        ("1.2.2", "image/png"): PartRole.ATTACHMENT,
        ("2", "application/pdf"): PartRole.ATTACHMENT,
    }
    assert [p.depth for p in parsed.parts] == [0, 1, 2, 2, 3, 3, 1]


def test_extract_part_returns_decoded_bytes() -> None:
    assert extract_part(MIXED, "2") == PDF
    assert extract_part(MIXED, "1.2.2") == PNG
    assert extract_part(MIXED, "1.1").startswith("Hallo Jörg".encode())
    with pytest.raises(MimePartNotFoundError):
        extract_part(MIXED, "9.9")


def test_html_only_message_gets_text_from_html() -> None:
    raw = msg(
        """Subject: html
Content-Type: text/html; charset=iso-8859-1

<html><head><title>t</title><style>p {color: red}</style><script>var x = "<b>";</script>
</head><body><p>Gr&uuml;&szlig;e&nbsp;aus <b>K\udcf6ln</b></p><div>line two</div>
<table><tr><td>a</td><td>b</td></tr></table><img src="cid:x" alt="[logo]">
<!-- hidden --></body></html>
"""
    )
    parsed = parse_message(raw)
    assert parsed.html is not None and "<script>" in parsed.html  # raw; sanitise to show
    assert parsed.text == "Grüße aus Köln\n\nline two\n\na b\n\n[logo]"


def test_plain_parts_in_mixed_are_joined_and_html_made_from_them() -> None:
    raw = msg(
        """Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html

<p>first</p>
--b
Content-Type: text/plain

footer <script>
--b--
"""
    )
    parsed = parse_message(raw)
    assert parsed.text == "first\n\nfooter <script>"
    assert parsed.html is not None
    assert "<p>first</p>" in parsed.html
    assert "footer &lt;script&gt;" in parsed.html


def test_flowed_text_is_unwrapped() -> None:
    raw = msg(
        """Content-Type: text/plain; charset=utf-8; format=flowed

This is a long \nparagraph.
> quoted \n> on two lines
-- \nsig
"""
    )
    assert parse_message(raw).text == "This is a long paragraph.\n> quoted on two lines\n-- \nsig"


def test_encoded_word_edge_cases() -> None:
    # A character split across two encoded words survives; blanks between words vanish.
    assert decode_header_text("=?utf-8?q?K=C3?= =?utf-8?q?=B6ln?=") == "Köln"
    assert decode_header_text("a =?utf-8?q?b?= c") == "a b c"
    assert decode_header_text("=?utf-8*en?q?lang?=") == "lang"
    # Unknown charset: the bytes still come out readable.
    assert decode_header_text("=?x-unknown?q?caf=C3=A9?=") == "café"
    assert decode_header_text("=?x-unknown?q?caf=E9?=") == "café"
    # Broken base64 and Q never raise.
    assert isinstance(decode_header_text("=?utf-8?b?!!!?= =?utf-8?q?=ZZ?="), str)
    # Raw 8-bit UTF-8 and Latin-1 headers (as compat32 hands them over).
    assert decode_header_text("Gr\udcc3\udcbc\udcc3\udc9fe") == "Grüße"
    assert decode_header_text("Gr\udcfc\udcdfe") == "Grüße"
    assert decode_header_text("a\r\n b\x00c\x07") == "a b c"


def test_eight_bit_header_uses_the_body_charset_as_hint() -> None:
    raw = b"Subject: \xf0\xd2\xc9\xd7\xc5\xd4\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nx"
    assert parse_message(raw).subject == "Привет"


def test_dates() -> None:
    def date_of(value: str) -> datetime | None:
        return parse_message(msg(f"Date: {value}\n\nx")).date

    assert date_of("Wed, 15 Dec 2010 00:59:10 -0600") == datetime(
        2010, 12, 15, 0, 59, 10, tzinfo=timezone(timedelta(hours=-6))
    )
    no_zone = date_of("15 Dec 2010 00:59:10 -0000")
    assert no_zone is not None and no_zone.tzinfo is not None
    assert date_of("Wed, 15 Dec 2010    59:10 -0500") is None
    assert date_of("yesterday") is None
    assert date_of("Wed, 45 Dec 2010 00:59:10 +0000") is None
    assert date_of("Wed, 15 Dec 99999 00:59:10 +9999") is None


def test_rfc2231_continuations_and_encoded_word_filenames() -> None:
    raw = msg(
        """Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

body
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*0*=utf-8''%D0%A7%D1%82%D0%BE;
 filename*1*=%20%D0%BD%D0%BE%D0%B2%D0%BE%D0%B3%D0%BE; filename*2=".pdf"

x
--b
Content-Type: application/octet-stream; name="=?windows-1251?b?1/LuIO3u4u7j7i5kb2M=?="

y
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Fpasswd

z
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=x; filename*0="mixed"; filename*1=".bin"

w
--b--
"""
    )
    parsed = parse_message(raw)
    names = [(a.filename, a.safe_name) for a in parsed.attachments]
    assert names[0] == ("Что нового.pdf", "Что нового.pdf")
    assert names[1] == ("Что нового.doc", "Что нового.doc")
    assert names[2] == ("../../etc/passwd", "passwd")
    assert names[3][1]  # stdlib raises on this mix; we still get some safe name
    assert parsed.text == "body"


def test_attached_message_is_one_attachment_named_by_subject() -> None:
    raw = msg(
        """Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

see attached
--b
Content-Type: message/rfc822

Subject: Quarterly =?utf-8?q?n=C3=BCmbers?=
Content-Type: multipart/mixed; boundary=inner

--inner
Content-Type: text/plain

inner text
--inner
Content-Type: application/pdf; name=inner.pdf

pdf
--inner--
--b--
"""
    )
    parsed = parse_message(raw)
    assert parsed.text == "see attached"
    assert len(parsed.attachments) == 1
    attached = parsed.attachments[0]
    assert attached.part == "2"
    assert attached.content_type == "message/rfc822"
    assert attached.safe_name == "Quarterly nümbers.eml"
    nested = {p.part: p.role for p in parsed.parts if p.role == PartRole.NESTED}
    assert set(nested) == {"2", "2.1", "2.2"}  # the multipart inside shares "2", as in IMAP
    inner = extract_part(raw, "2")
    assert inner.startswith(b"Subject: Quarterly") and b"inner text" in inner
    assert extract_part(raw, "2.2") == b"pdf"
    # The search index sees the attached message's text too.
    assert "inner text" in index_text(raw).body


def test_signed_and_encrypted_flags() -> None:
    signed = msg(
        """Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=s

--s
Content-Type: text/plain

signed text
--s
Content-Type: application/pgp-signature; name=signature.asc

-----BEGIN PGP SIGNATURE-----
--s--
"""
    )
    parsed = parse_message(signed)
    assert parsed.is_signed and not parsed.is_encrypted
    assert parsed.text == "signed text"
    assert parsed.attachments == ()
    assert [p.role for p in parsed.parts][-1] == PartRole.SIGNATURE

    encrypted = msg(
        """Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=e

--e
Content-Type: application/pgp-encrypted

Version: 1
--e
Content-Type: application/octet-stream; name=encrypted.asc

-----BEGIN PGP MESSAGE-----
--e--
"""
    )
    parsed = parse_message(encrypted)
    assert parsed.is_encrypted
    assert parsed.text == ""
    assert [a.safe_name for a in parsed.attachments] == ["encrypted.asc"]

    smime = msg(
        """Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m
Content-Transfer-Encoding: base64

AAAA
"""
    )
    parsed = parse_message(smime)
    assert parsed.is_encrypted
    assert [a.safe_name for a in parsed.attachments] == ["smime.p7m"]

    inline = msg("Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE-----\nhi\n")
    assert parse_message(inline).is_signed


def test_tnef_and_uuencode_stay_attachments() -> None:
    raw = msg(
        """Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

text
--b
Content-Type: application/ms-tnef
Content-Transfer-Encoding: base64

eJ8+IgAAAQ==
--b
Content-Type: application/octet-stream; name=hello.txt
Content-Transfer-Encoding: x-uuencode

begin 644 hello.txt
&:&5L;&\\*
`
end
--b--
"""
    )
    parsed = parse_message(raw)
    assert [a.safe_name for a in parsed.attachments] == ["winmail.dat", "hello.txt"]
    assert extract_part(raw, "3") == b"hello\n"


def test_unknown_charset_and_bad_transfer_encoding_are_defects_not_errors() -> None:
    raw = msg(
        """Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=x-no-such-charset

caf\udce9
--b
Content-Type: application/octet-stream; name=a.bin
Content-Transfer-Encoding: base64

QUJD*RE=!!
--b
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted printable

caf=C3=A9 =ZZ
--b--
"""
    )
    parsed = parse_message(raw)
    assert parsed.text == "café\n\ncafé =ZZ"
    assert extract_part(raw, "2") == b"ABCD"
    assert any("x-no-such-charset" in d for d in parsed.defects)
    assert any("base64" in d for d in parsed.defects)


def test_wrong_japanese_label_is_recovered() -> None:
    body = "次のあて先".encode("euc_jp")
    raw = b"Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + body
    assert parse_message(raw).text == "次のあて先"


def test_html_meta_charset_is_used_when_the_part_has_none() -> None:
    raw = b'Content-Type: text/html\r\n\r\n<meta charset="koi8-r"><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>'
    assert parse_message(raw).text == "Привет"


def test_html_to_text_is_linear_on_unclosed_markup() -> None:
    assert html_to_text("<" * 50_000 + "text") == ""
    assert html_to_text("a<script>" * 10_000) == "a"
    assert html_to_text("x<!-- never closed") == "x"
    assert html_to_text("a &lt;b&gt; &amp; c") == "a <b> & c"


def test_index_text() -> None:
    parsed = index_text(MIXED)
    assert parsed.subject == "Re: Grüße aus Köln 😀"
    assert parsed.sender == "Jörg Müller <joerg@example.org>"
    assert "Doe, Jane <jane@example.com>" in parsed.recipients
    assert "François <f@example.fr>" in parsed.recipients
    assert parsed.body == "Hallo Jörg,\nsee the report."  # the plain alternative only
    big = msg("Subject: big\n\n" + "word " * 40_000)
    assert len(index_text(big).body) == 64 * 1024
    assert len(index_text(big, max_body=100).body) == 100


def test_attachment_only_message() -> None:
    raw = msg(
        """Subject: scan
Content-Type: application/pdf; name="scan.pdf"
Content-Transfer-Encoding: base64

JVBERg==
"""
    )
    parsed = parse_message(raw)
    assert parsed.text == ""
    assert [(a.part, a.safe_name, a.size) for a in parsed.attachments] == [("1", "scan.pdf", 4)]
    assert extract_part(raw, "1") == b"%PDF"
