"""Reply and forward prefill (core.replies): subjects, quoting, recipients, threading."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailapp.core.draft import Attachment, Draft, Mailbox
from mailapp.core.replies import (
    MAX_REFERENCES,
    ForwardWords,
    Original,
    Person,
    ReplyKind,
    attribution,
    build_forward,
    build_reply,
    forward_subject,
    quote,
    reply_recipients,
    reply_subject,
    thread_ids,
    without_signature,
)

ME = "ada@example.org"
ALICE = Person("Alice Archer", "alice@example.org")
BOB = Person("Bob Baker", "bob@example.net")
CAROL = Person("Carol Chen", "carol@example.com")
LIST = Person("Team List", "team@lists.example.org")


def original(**changes: object) -> Original:
    values: dict[str, object] = {
        "account": "work",
        "subject": "Lunch on Friday",
        "from_": (ALICE,),
        "to": (Person("Ada", ME), BOB),
        "cc": (CAROL,),
        "date": datetime(2024, 3, 1, 10, 32, tzinfo=UTC),
        "message_id": "<m2@example.org>",
        "references": ("<m0@example.org>", "<m1@example.org>"),
        "in_reply_to": "<m1@example.org>",
        "text": "Shall we?\n\n-- \nAlice, the archer",
    }
    values.update(changes)
    return Original(**values)  # type: ignore[arg-type]


def addresses(mailboxes: tuple[Mailbox, ...]) -> list[str]:
    return [m.address for m in mailboxes]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Lunch", "Re: Lunch"),
        ("Re: Lunch", "Re: Lunch"),
        ("RE: Re: re:Lunch", "Re: Lunch"),
        ("Re[2]: Lunch", "Re: Lunch"),
        ("AW: SV: Lunch", "Re: Lunch"),
        ("Fwd: Lunch", "Re: Fwd: Lunch"),
        ("Reasons: why", "Re: Reasons: why"),
        ("", "Re:"),
        ("  Re:  ", "Re:"),
    ],
)
def test_reply_subject_adds_re_once(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Lunch", "Fwd: Lunch"),
        ("Fwd: Lunch", "Fwd: Lunch"),
        ("FW: Fwd: WG: Lunch", "Fwd: Lunch"),
        ("Re: Lunch", "Fwd: Re: Lunch"),
        ("", "Fwd:"),
    ],
)
def test_forward_subject_adds_fwd_once(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60))
def test_replying_twice_never_stacks(subject: str) -> None:
    once = reply_subject(subject)
    assert reply_subject(once) == once
    assert not once.lower().startswith("re: re:")
    forwarded = forward_subject(subject)
    assert forward_subject(forwarded) == forwarded


def test_quote_prefixes_each_line_and_nests_old_quotes() -> None:
    assert quote("Hi\n\n> earlier\nbye") == "> Hi\n>\n>> earlier\n> bye"
    assert quote("a\r\nb") == "> a\n> b"


def test_signature_is_left_out_of_the_quote() -> None:
    assert without_signature("Text\n-- \nSig") == "Text"
    assert without_signature("Text\n--\nnot a sig marker") == "Text\n--\nnot a sig marker"


def test_attribution_line() -> None:
    assert attribution(ALICE, "3/1/24 10:32") == "On 3/1/24 10:32, Alice Archer wrote:"
    assert attribution(Person("", "x@y.org"), None) == "x@y.org wrote:"
    german = attribution(ALICE, "1.3.24", template="Am %1 schrieb %2:")
    assert german == "Am 1.3.24 schrieb Alice Archer:"


def test_reply_goes_to_the_sender() -> None:
    to, cc = reply_recipients(original(), [ME], reply_all=False)
    assert addresses(to) == ["alice@example.org"]
    assert to[0].name == "Alice Archer"
    assert cc == ()


def test_reply_to_is_honoured() -> None:
    to, _ = reply_recipients(original(reply_to=(LIST,)), [ME], reply_all=False)
    assert addresses(to) == ["team@lists.example.org"]


def test_reply_all_keeps_everyone_but_us_once() -> None:
    message = original(
        to=(Person("Ada", ME.upper()), BOB, ALICE),
        cc=(CAROL, Person("", "Bob@Example.NET"), Person("Ada again", ME)),
    )
    to, cc = reply_recipients(message, [ME, "other@example.org"], reply_all=True)
    assert addresses(to) == ["alice@example.org", "bob@example.net"]
    assert addresses(cc) == ["carol@example.com"]


def test_reply_all_with_reply_to_puts_the_list_first() -> None:
    to, cc = reply_recipients(original(reply_to=(LIST,)), [ME], reply_all=True)
    assert addresses(to) == ["team@lists.example.org", "bob@example.net"]
    assert addresses(cc) == ["carol@example.com"]


def test_reply_to_our_own_message_goes_to_its_recipients() -> None:
    mine = original(from_=(Person("Ada", ME),), to=(BOB,), cc=(CAROL,))
    to, cc = reply_recipients(mine, [ME], reply_all=False)
    assert addresses(to) == ["bob@example.net"]
    to, cc = reply_recipients(mine, [ME], reply_all=True)
    assert addresses(to) == ["bob@example.net"]
    assert addresses(cc) == ["carol@example.com"]


def test_unusable_addresses_are_left_out() -> None:
    message = original(
        from_=(ALICE,),
        to=(Person("undisclosed-recipients", ""), Person("", "not an address"), BOB),
        cc=(),
    )
    to, cc = reply_recipients(message, [ME], reply_all=True)
    assert addresses(to) == ["alice@example.org", "bob@example.net"]
    assert cc == ()


def test_threading_headers() -> None:
    in_reply_to, refs = thread_ids(original())
    assert in_reply_to == "<m2@example.org>"
    assert refs == ("<m0@example.org>", "<m1@example.org>", "<m2@example.org>")
    # No References: In-Reply-To stands for the thread so far.
    _, refs = thread_ids(original(references=()))
    assert refs == ("<m1@example.org>", "<m2@example.org>")
    # Broken ids are dropped rather than refused by the Draft later.
    in_reply_to, refs = thread_ids(original(message_id="no-brackets", references=("<a b@c>",)))
    assert in_reply_to is None and refs == ()


def test_long_references_keep_the_first_and_the_latest() -> None:
    many = tuple(f"<r{i}@example.org>" for i in range(50))
    _, refs = thread_ids(original(references=many))
    assert len(refs) == MAX_REFERENCES
    assert refs[0] == "<r0@example.org>"
    assert refs[-1] == "<m2@example.org>"
    assert refs[-2] == "<r49@example.org>"


def test_build_reply_makes_a_usable_draft() -> None:
    prefill = build_reply(original(subject="Re: Lunch"), [ME], reply_all=True, date_text="D")
    assert prefill.kind is ReplyKind.REPLY_ALL
    assert prefill.account == "work"
    assert prefill.subject == "Re: Lunch"
    assert prefill.body == "\n\nOn D, Alice Archer wrote:\n> Shall we?\n"
    assert "Alice, the archer" not in prefill.body
    draft = Draft(
        from_=Mailbox(ME),
        to=prefill.to,
        cc=prefill.cc,
        subject=prefill.subject,
        text_body=prefill.body,
        in_reply_to=prefill.in_reply_to,
        references=prefill.references,
    )
    assert draft.in_reply_to == "<m2@example.org>"


def test_build_reply_default_date_text() -> None:
    prefill = build_reply(original(date=None), [ME])
    assert "\n\nAlice Archer wrote:\n" in prefill.body
    prefill = build_reply(original(), [ME])
    assert ", Alice Archer wrote:" in prefill.body and "2024-03-01" in prefill.body


def test_forward_is_inline_with_attachments_again() -> None:
    pdf = Attachment("plan.pdf", "application/pdf", data=b"%PDF-1.4")
    prefill = build_forward(
        original(text="Shall we?\r\nAt noon.", attachments=(pdf,)),
        date_text="D",
        words=ForwardWords(title="--- Weitergeleitet ---", subject="Betreff"),
    )
    assert prefill.kind is ReplyKind.FORWARD
    assert prefill.subject == "Fwd: Lunch on Friday"
    assert prefill.to == () and prefill.cc == ()
    assert prefill.in_reply_to is None and prefill.references == ()
    assert prefill.attachments == (pdf,)
    assert prefill.body == (
        "\n\n--- Weitergeleitet ---\n"
        "Betreff: Lunch on Friday\n"
        "Date: D\n"
        "From: Alice Archer <alice@example.org>\n"
        "To: Ada <ada@example.org>, Bob Baker <bob@example.net>\n"
        "Cc: Carol Chen <carol@example.com>\n"
        "\nShall we?\nAt noon.\n"
    )
