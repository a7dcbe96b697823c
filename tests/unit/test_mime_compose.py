"""compose(): each message shape parses back to what was written; envelope, ids, limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from pathlib import Path

import pytest

from mailapp.core.draft import (
    Attachment,
    Draft,
    InlineImage,
    Mailbox,
    parse_mailbox_list,
)
from mailapp.core.errors import (
    HeaderInjectionError,
    InvalidDraftError,
    SmtpUtf8RequiredError,
    UnsupportedError,
)
from mailapp.protocols.mime.compose import (
    ComposedMessage,
    compose,
    guess_content_type,
    new_message_id,
)

NOW = datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=1)))
SENDER = Mailbox("hans@example.de", "Müller, Hans")
BINARY = bytes(range(256)) + b"\x00\r\n\r\n.\r\nFrom x\n\r\x00" * 50


def build(draft: Draft, *, smtputf8: bool = False) -> ComposedMessage:
    return compose(draft, message_id_domain="example.de", now=NOW, smtputf8_allowed=smtputf8)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def check_wire_form(raw: bytes, *, ascii_only: bool = True) -> None:
    assert raw.count(b"\n") == raw.count(b"\r\n") == raw.count(b"\r")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    if ascii_only:
        assert raw.isascii()


def addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    header = message[name]
    if not hasattr(header, "addresses"):  # a field the stdlib does not know as addresses
        header = policy.default.header_factory("To", raw_header(message.as_bytes(), name))
    return [(a.display_name, a.addr_spec) for a in header.addresses]


def raw_header(raw: bytes, name: str) -> str:
    """One header's value as written, unfolded, undecoded."""
    value = BytesParser(policy=policy.compat32).parsebytes(raw)[name]
    assert isinstance(value, str)
    return value.replace("\r\n", "").replace("\n", "").strip()


def rfc2047_display_name(raw: bytes, name: str) -> str:
    """The display name of a one-mailbox header decoded by RFC 2047 rules (whitespace
    between adjacent encoded words dropped), which Python's phrase parser does not follow."""
    phrase = raw_header(raw, name).rpartition(" <")[0]
    if phrase.startswith('"'):
        return re.sub(r"\\(.)", r"\1", phrase[1:-1])
    return str(make_header(decode_header(phrase)))


def text_of(part: EmailMessage) -> str:
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def draft(**kwargs: object) -> Draft:
    base: dict[str, object] = {
        "from_": SENDER,
        "to": parse_mailbox_list('Bob <bob@example.com>, "山田 太郎" <yamada@example.jp>'),
        "subject": "Grüße aus Köln – 日本語の件名 😀",
        "text_body": "Hallo Welt,\nschöne Grüße.\n",
    }
    base.update(kwargs)
    return Draft(**base)  # type: ignore[arg-type]


def test_plain_text_message() -> None:
    composed = build(draft(cc=(Mailbox("carol@example.net"),), reply_to=(SENDER,)))
    check_wire_form(composed.raw)
    message = parse(composed.raw)
    assert message.get_content_type() == "text/plain"
    assert message["Subject"] == "Grüße aus Köln – 日本語の件名 😀"
    assert addresses(message, "From") == [("Müller, Hans", "hans@example.de")]
    assert addresses(message, "To") == [
        ("Bob", "bob@example.com"),
        ("山田 太郎", "yamada@example.jp"),
    ]
    assert addresses(message, "Cc") == [("", "carol@example.net")]
    assert addresses(message, "Reply-To") == [("Müller, Hans", "hans@example.de")]
    assert text_of(message) == "Hallo Welt,\nschöne Grüße.\n"
    assert message["MIME-Version"] == "1.0"
    assert message["Date"].datetime == NOW
    assert message["Date"] == "Fri, 01 Mar 2024 12:30:00 +0100"
    assert message["Message-ID"] == composed.message_id
    assert composed.size == len(composed.raw)
    assert not composed.needs_smtputf8
    assert not composed.has_8bit
    for absent in ("Bcc", "Disposition-Notification-To", "In-Reply-To", "References"):
        assert absent not in message


def test_html_alternative() -> None:
    composed = build(draft(html_body="<p>Hallo <b>Welt</b> – 日本</p>"))
    check_wire_form(composed.raw)
    message = parse(composed.raw)
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text_of(html) == "<p>Hallo <b>Welt</b> – 日本</p>\n"
    assert message.get_body(("plain",)) is plain  # type: ignore[arg-type]


def test_inline_images_make_related_around_alternative_inside_mixed() -> None:
    image = InlineImage("logo@example.de", "logo.png", data=b"\x89PNG\r\n\x1a\n\x00")
    composed = build(
        draft(
            html_body='<p><img src="cid:logo@example.de"></p>',
            inline_images=(image,),
            attachments=(Attachment("Rechnung März.pdf", data=BINARY),),
        )
    )
    check_wire_form(composed.raw)
    message = parse(composed.raw)
    assert message.get_content_type() == "multipart/mixed"
    related, attached = message.iter_parts()
    assert related.get_content_type() == "multipart/related"
    assert related.get_param("type") == "multipart/alternative"
    alternative, inline = related.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert inline.get_content_type() == "image/png"
    assert inline["Content-ID"] == "<logo@example.de>"
    assert inline.get_content_disposition() == "inline"
    assert inline.get_payload(decode=True) == b"\x89PNG\r\n\x1a\n\x00"
    assert attached.get_filename() == "Rechnung März.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_payload(decode=True) == BINARY


def test_text_with_attachments_only_is_mixed() -> None:
    names = [
        "Prüfbericht für März 2024 – Übersicht.pdf",
        "日本語のファイル名.txt",
        "😀.png",
        "a.bin",
    ]
    files = tuple(Attachment(n, data=BINARY + n.encode()) for n in names)
    composed = build(draft(attachments=files))
    check_wire_form(composed.raw)
    message = parse(composed.raw)
    assert message.get_content_type() == "multipart/mixed"
    body, *parts = message.iter_parts()
    assert body.get_content_type() == "text/plain"
    assert [p.get_filename() for p in parts] == names
    assert [p.get_param("name") for p in parts] == names
    assert [p.get_payload(decode=True) for p in parts] == [f.data for f in files]
    assert [p.get_content_disposition() for p in parts] == ["attachment"] * 4
    # Non-ASCII names travel as RFC 2231 parameters, not raw bytes or encoded words.
    assert b"filename*" in composed.raw
    assert b"=?utf-8?" not in composed.raw.split(b"\r\n\r\n", 1)[1]


def test_attachment_types() -> None:
    assert guess_content_type("report.pdf") == "application/pdf"
    assert guess_content_type("photo.JPG") == "image/jpeg"
    assert guess_content_type("backup.tar.gz") == "application/gzip"
    assert guess_content_type("no-extension") == "application/octet-stream"
    files = (
        Attachment("data.xyz", "application/x-custom", data=b"1"),
        Attachment("forward.eml", data=b"Subject: x\r\n\r\nbody\r\n"),
        Attachment("notes.txt", data=b"caf\xe9\r\n"),
    )
    message = parse(build(draft(attachments=files)).raw)
    parts = list(message.iter_parts())[1:]
    # message/* may not be base64-encoded, so a forwarded mail goes as opaque bytes.
    assert [p.get_content_type() for p in parts] == [
        "application/x-custom",
        "application/octet-stream",
        "text/plain",
    ]
    assert [p.get_payload(decode=True) for p in parts] == [f.data for f in files]


def test_attachment_path_is_read_at_compose_time(tmp_path: Path) -> None:
    path = tmp_path / "große Datei.bin"
    path.write_bytes(BINARY)
    attachment = Attachment.from_path(path)
    message = parse(build(draft(attachments=(attachment,))).raw)
    part = list(message.iter_parts())[1]
    assert part.get_filename() == "große Datei.bin"
    assert part.get_payload(decode=True) == BINARY
    path.write_bytes(b"changed")
    with pytest.raises(InvalidDraftError):
        build(draft(attachments=(attachment,)))


def test_bcc_is_never_in_the_message_but_in_the_envelope() -> None:
    composed = build(
        draft(
            cc=parse_mailbox_list("carol@example.net, BOB@example.com"),
            bcc=parse_mailbox_list("Secret Person <hidden@example.org>, bob@example.com"),
        )
    )
    assert b"hidden" not in composed.raw
    assert b"Secret Person" not in composed.raw
    assert "Bcc" not in parse(composed.raw)
    assert composed.envelope_recipients == (
        "bob@example.com",
        "yamada@example.jp",
        "carol@example.net",
        "hidden@example.org",
    )
    assert composed.envelope_from == "hans@example.de"


def test_read_receipt_adds_disposition_notification_to() -> None:
    message = parse(build(draft(read_receipt=True)).raw)
    assert addresses(message, "Disposition-Notification-To") == [
        ("Müller, Hans", "hans@example.de")
    ]


def test_threading_extra_headers_and_user_agent() -> None:
    references = tuple(f"<{i}.{'x' * 40}@example.org>" for i in range(100))
    composed = compose(
        draft(
            in_reply_to=references[-1],
            references=references,
            extra_headers=(("X-Priority", "1 (Highest)"), ("X-Note", "Grüße")),
        ),
        message_id_domain="example.de",
        smtputf8_allowed=False,
        user_agent="mailapp/0.1",
    )
    check_wire_form(composed.raw)
    message = parse(composed.raw)
    assert message["In-Reply-To"] == references[-1]
    assert message["References"].split() == list(references)
    assert message["X-Priority"] == "1 (Highest)"
    assert message["X-Note"] == "Grüße"
    assert message["User-Agent"] == "mailapp/0.1"


def test_message_ids_are_unique_and_well_formed() -> None:
    ids = {new_message_id("bücher.de") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"<[A-Za-z0-9._-]+@xn--bcher-kva\.de>", i) for i in ids)
    given = build(draft()).message_id
    assert given != build(draft()).message_id
    reused = compose(
        draft(),
        message_id_domain="example.de",
        smtputf8_allowed=False,
        message_id="<kept@example.de>",
    )
    assert parse(reused.raw)["Message-ID"] == "<kept@example.de>"
    with pytest.raises(InvalidDraftError):
        compose(draft(), message_id_domain="example.de", smtputf8_allowed=False, message_id="x@y")


def test_date_defaults_to_local_time_with_offset() -> None:
    composed = compose(draft(), message_id_domain="example.de", smtputf8_allowed=False)
    date = parse(composed.raw)["Date"].datetime
    assert date.tzinfo is not None
    assert abs(datetime.now(UTC) - date) < timedelta(minutes=5)
    naive = compose(
        draft(), message_id_domain="x.de", smtputf8_allowed=False, now=datetime(2024, 1, 2, 3, 4)
    )
    assert parse(naive.raw)["Date"].datetime.tzinfo is not None


@pytest.mark.parametrize(
    "subject",
    [
        "x" * 2000,
        "See https://example.com/" + "a/" * 700 + "?q=1 for details",
        "Grüße " * 200,
        "日本語" * 300,
        "😀" * 400,
        "=?utf-8?q?not_an_encoded_word?=",
        "  leading and trailing  ",
        "tab\tinside  and  double  spaces",
        "",
    ],
)
def test_long_and_odd_subjects_round_trip_within_line_limits(subject: str) -> None:
    composed = build(draft(subject=subject))
    check_wire_form(composed.raw)
    assert parse(composed.raw)["Subject"] == subject


def test_long_names_filenames_and_html_lines_stay_within_limits() -> None:
    long_name = ("Ein sehr langer Name mit Umlauten äöü " * 20).strip()
    composed = build(
        draft(
            to=(Mailbox("a@example.com", long_name),),
            cc=(Mailbox("b@example.com", "x" * 500), Mailbox("c@example.com", "Long " * 100)),
            html_body="<p>" + "word " * 3000 + "https://example.com/" + "z" * 3000 + "</p>",
            attachments=(Attachment("datei-" + "ü" * 300 + ".txt", data=b"x"),),
        )
    )
    check_wire_form(composed.raw)
    assert rfc2047_display_name(composed.raw, "To") == long_name
    message = parse(composed.raw)
    assert addresses(message, "Cc") == [
        ("x" * 500, "b@example.com"),
        (("Long " * 100).strip(), "c@example.com"),
    ]
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    assert "z" * 3000 in text_of(html)
    assert next(message.iter_attachments()).get_filename() == "datei-" + "ü" * 300 + ".txt"


def test_transfer_encodings_are_7bit_safe() -> None:
    def cte(text: str) -> str:
        return str(parse(build(draft(text_body=text)).raw)["Content-Transfer-Encoding"])

    assert cte("short ascii\n") == "7bit"
    assert cte("ascii but " + "long " * 100 + "\n") == "quoted-printable"
    assert cte("Viele Grüße aus Köln und bis nächste Woche\n") == "quoted-printable"
    assert cte("日本語のテキストです。" * 20) == "base64"
    assert cte("nul\x00inside") == "quoted-printable"
    body = "line one\r\nline two\rline three\n.\nFrom the start\n" + "é" * 2000
    assert text_of(parse(build(draft(text_body=body)).raw)) == (
        "line one\nline two\nline three\n.\nFrom the start\n" + "é" * 2000 + "\n"
    )


def test_idn_domains_go_out_as_a_labels_without_smtputf8() -> None:
    composed = build(draft(to=(Mailbox("info@bücher.de", "Bücher"),)))
    check_wire_form(composed.raw)
    assert addresses(parse(composed.raw), "To") == [("Bücher", "info@xn--bcher-kva.de")]
    assert composed.envelope_recipients == ("info@xn--bcher-kva.de",)
    assert not composed.needs_smtputf8


def test_smtputf8_address_is_sent_as_utf8_when_allowed() -> None:
    composed = build(draft(to=(Mailbox("jörg@bücher.de", "Jörg"),)), smtputf8=True)
    check_wire_form(composed.raw, ascii_only=False)
    assert composed.needs_smtputf8
    assert composed.has_8bit
    assert composed.envelope_recipients == ("jörg@bücher.de",)
    message = Parser(policy=policy.default).parsestr(composed.raw.decode("utf-8"))
    assert addresses(message, "To") == [("Jörg", "jörg@bücher.de")]
    assert message["Subject"] == "Grüße aus Köln – 日本語の件名 😀"
    body = composed.raw.split(b"\r\n\r\n", 1)[1]
    assert body.isascii()  # bodies stay 7bit even in an SMTPUTF8 message


@pytest.mark.parametrize("where", ["to", "cc", "bcc", "reply_to", "from_"])
def test_smtputf8_needed_and_not_offered_is_a_clear_error(where: str) -> None:
    value: object = Mailbox("jörg@example.de")
    composed_draft = draft(**{where: value if where == "from_" else (value,)})
    with pytest.raises(SmtpUtf8RequiredError) as info:
        build(composed_draft, smtputf8=False)
    assert isinstance(info.value, UnsupportedError)
    assert info.value.code == "unsupported.smtputf8"
    assert "jörg@example.de" in info.value.message
    assert "SMTPUTF8" in info.value.message


def test_refusals() -> None:
    with pytest.raises(InvalidDraftError, match="no recipient"):
        build(draft(to=()))
    with pytest.raises(InvalidDraftError, match="HTML"):
        build(draft(inline_images=(InlineImage("a@b", "a.png", data=b"x"),)))
    with pytest.raises(HeaderInjectionError):
        compose(
            draft(),
            message_id_domain="example.de",
            smtputf8_allowed=False,
            user_agent="x\r\nBcc: y@example.com",
        )
