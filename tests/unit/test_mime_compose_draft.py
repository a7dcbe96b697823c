"""Draft values: mailbox parsing and validation, attachments, options, header-injection refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailapp.core.draft import (
    Attachment,
    DeliveryOptions,
    Draft,
    InlineImage,
    Mailbox,
    Notify,
    domain_to_ascii,
    parse_mailbox_list,
)
from mailapp.core.errors import (
    ConfigError,
    HeaderInjectionError,
    InvalidAddressError,
    InvalidDraftError,
)

ME = Mailbox("me@example.org", "Me")


@pytest.mark.parametrize(
    ("text", "address", "name"),
    [
        ("Hans Müller <hans@example.de>", "hans@example.de", "Hans Müller"),
        ('"Müller, Hans" <hans@example.de>', "hans@example.de", "Müller, Hans"),
        ('"He said \\"hi\\"" <a@b.example>', "a@b.example", 'He said "hi"'),
        ("<a@b.example>", "a@b.example", ""),
        ("  a@b.example  ", "a@b.example", ""),
        ("first.last+tag@sub.example.com", "first.last+tag@sub.example.com", ""),
        ('"john doe"@example.com', '"john doe"@example.com', ""),
        ("user@[192.0.2.1]", "user@[192.0.2.1]", ""),
        ("user@localhost", "user@localhost", ""),
    ],
)
def test_mailbox_parse_accepts_common_forms(text: str, address: str, name: str) -> None:
    mailbox = Mailbox.parse(text)
    assert (mailbox.address, mailbox.name) == (address, name)
    assert Mailbox.parse(str(mailbox)) == mailbox


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plainword",
        "a@",
        "@b.example",
        "a..b@c.example",
        ".a@c.example",
        "a b@c.example",
        "a@-bad.example",
        "a@b..example",
        "a@b_c.example",
        "Name <a@b.example",
        "Name a@b.example>",
        "a@[999.1.1.1]",
        "a@b.example, c@d.example",
        "x" * 65 + "@example.com",
        "a@" + "b" * 64 + ".example",
    ],
)
def test_mailbox_parse_refuses_bad_addresses(text: str) -> None:
    with pytest.raises(InvalidAddressError) as info:
        Mailbox.parse(text)
    assert info.value.code == "config.invalid_address"
    assert isinstance(info.value, ConfigError)


def test_idn_domain_uses_idna2008_a_labels_and_needs_no_smtputf8() -> None:
    mailbox = Mailbox.parse("Jörg <joerg@bücher.de>")
    assert mailbox.ascii_domain == "xn--bcher-kva.de"
    assert not mailbox.needs_smtputf8
    assert mailbox.smtp_address == "joerg@xn--bcher-kva.de"
    # IDNA 2003 (the stdlib codec) would turn this into strasse.de, a different domain.
    assert domain_to_ascii("straße.de") == "xn--strae-oqa.de"
    assert domain_to_ascii("例え.テスト") == "xn--r8jz45g.xn--zckzah"


def test_non_ascii_local_part_is_flagged_for_smtputf8() -> None:
    mailbox = Mailbox.parse("用户@例子.广告")
    assert mailbox.needs_smtputf8
    assert mailbox.smtp_address == "用户@例子.广告"
    assert Mailbox("jörg@example.de").needs_smtputf8


@pytest.mark.parametrize("bad", ["\r", "\n", "\r\n", "\x00", "\x0b", "\x85", "\u2028"])
def test_line_breaks_in_names_and_addresses_are_refused(bad: str) -> None:
    with pytest.raises(HeaderInjectionError) as info:
        Mailbox("a@b.example", f"Eve{bad}Bcc: victim@example.com")
    assert info.value.code == "config.header_injection"
    with pytest.raises(HeaderInjectionError):
        Mailbox.parse(f"Eve <a@b.example>{bad}Bcc: victim@example.com")
    with pytest.raises(HeaderInjectionError):
        Mailbox(f"a@b.example{bad}")


def test_parse_mailbox_list_splits_outside_quotes_and_brackets() -> None:
    boxes = parse_mailbox_list('a@x.example, "Last, First" <b@y.example>; <c@z.example>,,')
    assert [b.address for b in boxes] == ["a@x.example", "b@y.example", "c@z.example"]
    assert boxes[1].name == "Last, First"
    with pytest.raises(InvalidAddressError):
        parse_mailbox_list("Last, First <b@y.example>")


def test_attachment_needs_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(InvalidDraftError):
        Attachment("a.bin")
    with pytest.raises(InvalidDraftError):
        Attachment("a.bin", data=b"x", path=tmp_path / "a.bin")
    with pytest.raises(InvalidDraftError):
        Attachment("", data=b"x")
    with pytest.raises(InvalidDraftError):
        Attachment("a.bin", content_type="not a type", data=b"x")
    with pytest.raises(InvalidDraftError):
        Attachment.from_path(tmp_path / "missing.bin")


def test_attachment_from_path_is_read_lazily_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4\x00")
    attachment = Attachment.from_path(path)
    assert (attachment.filename, attachment.size, attachment.data) == ("report.pdf", 9, None)
    path.write_bytes(b"%PDF-1.4\x00 grown")
    with pytest.raises(InvalidDraftError, match="changed"):
        attachment.read()
    path.unlink()
    with pytest.raises(InvalidDraftError, match="cannot be read"):
        attachment.read()


@pytest.mark.parametrize("field", ["filename", "content_type"])
def test_attachment_fields_refuse_line_breaks(field: str) -> None:
    values = {"filename": "a.txt", "content_type": "text/plain"}
    values[field] += "\r\nBcc: victim@example.com"
    with pytest.raises(HeaderInjectionError):
        Attachment(values["filename"], values["content_type"], data=b"x")


def test_inline_image_cid_is_checked() -> None:
    cid = InlineImage.new_cid("example.org")
    assert cid.endswith("@example.org")
    InlineImage(cid, "a.png", data=b"x")
    for bad in ["a b", "<a@b>", "", "a\r\nb"]:
        with pytest.raises(ConfigError):
            InlineImage(bad, "a.png", data=b"x")


def test_delivery_options() -> None:
    assert DeliveryOptions().notify == {Notify.SUCCESS, Notify.FAILURE, Notify.DELAY}
    assert DeliveryOptions().return_headers_only
    assert DeliveryOptions(frozenset({Notify.NEVER})).notify == {Notify.NEVER}
    with pytest.raises(InvalidDraftError):
        DeliveryOptions(frozenset({Notify.NEVER, Notify.FAILURE}))
    with pytest.raises(InvalidDraftError):
        DeliveryOptions(frozenset())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"subject": "Hello\r\nBcc: victim@example.com"},
        {"subject": "Hello\nX-Evil: 1"},
        {"subject": "Hello\rX-Evil: 1"},
        {"subject": "nul\x00"},
        {"in_reply_to": "<a@b>\r\nX-Evil: 1"},
        {"references": ("<a@b>", "<c@d>\nX-Evil: 1")},
        {"extra_headers": (("X-Tag", "v\r\nBcc: victim@example.com"),)},
        {"extra_headers": (("X-Tag\r\nBcc", "v"),)},
        {"extra_headers": (("X Tag", "v"),)},
        {"extra_headers": (("X-Tag:", "v"),)},
    ],
)
def test_draft_refuses_header_injection(kwargs: dict[str, object]) -> None:
    with pytest.raises(HeaderInjectionError):
        Draft(from_=ME, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["Bcc", "from", "Content-Type", "Message-ID", "MIME-Version"])
def test_draft_refuses_extra_headers_we_set_ourselves(name: str) -> None:
    with pytest.raises(InvalidDraftError):
        Draft(from_=ME, extra_headers=((name, "x"),))


def test_draft_checks_ids_and_duplicate_cids() -> None:
    with pytest.raises(InvalidDraftError):
        Draft(from_=ME, in_reply_to="no-brackets@example.org")
    image = InlineImage("one@x", "a.png", data=b"x")
    with pytest.raises(InvalidDraftError):
        Draft(from_=ME, inline_images=(image, image))


def test_recipients_keep_order_without_repeats() -> None:
    draft = Draft(
        from_=ME,
        to=parse_mailbox_list("a@x.example, b@x.example"),
        cc=parse_mailbox_list("A@X.example, c@x.example"),
        bcc=parse_mailbox_list("b@x.example, d@x.example"),
    )
    assert [m.address for m in draft.recipients] == [
        "a@x.example",
        "b@x.example",
        "c@x.example",
        "d@x.example",
    ]
