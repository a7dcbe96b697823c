"""The Sent folder's rows (engine.sent_folder.merge_sent) and the HTML start of answers
(core.replies with Original.html): pure, no store, no window."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mailapp.core.delivery import DeliveryState, ReadState, summarize
from mailapp.core.replies import Original, Person, build_forward, build_reply
from mailapp.engine.sending import SentSummary
from mailapp.engine.sent_folder import merge_sent, original_from_raw, quotable_html
from mailapp.store.messages import MessageFlag, MessageRow

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def stored(mid: int, message_id: str | None, minutes: int, subject: str = "s") -> MessageRow:
    moment = T0 + timedelta(minutes=minutes)
    return MessageRow(
        mid, 7, mid, None, MessageFlag.SEEN, (), moment, moment, 100, message_id, None, (),
        None, subject, "Ada", "ada@example.org", "carol@example.org", "", False, None, "",
    )  # fmt: skip


class _Entry:
    """The few OutboxEntry fields the merge reads."""

    def __init__(self, outbox_id: int, message_id: str, minutes: int) -> None:
        self.id = outbox_id
        self.account = "Work"
        self.message_id = message_id
        self.subject = f"sent {outbox_id}"
        self.recipients = ()
        self.sent_at = T0 + timedelta(minutes=minutes)
        self.queued_at = self.sent_at


def tracked(outbox_id: int, message_id: str, minutes: int) -> SentSummary:
    summary = summarize([("bob@example.org", DeliveryState.DELIVERED, ReadState.NONE)])
    return SentSummary(_Entry(outbox_id, message_id, minutes), summary)  # type: ignore[arg-type]


def test_server_rows_and_local_ones_each_once_newest_first() -> None:
    mine = tracked(1, "<a@x>", 5)
    local_only = tracked(2, "<b@x>", 9)
    rows = [
        ("Work", stored(10, "<phone@x>", 7)),
        ("Work", stored(11, "a@x", 5)),  # the server copy of <a@x> (brackets differ)
        ("Work", stored(12, "<a@x>", 5)),  # a second copy: still one row
        ("Work", stored(13, None, 1)),  # no Message-ID at all
    ]
    items = merge_sent(rows, {"<a@x>": mine}, [mine, local_only])
    assert [(i.message_id, i.stored_id, i.tracked is not None) for i in items] == [
        ("<b@x>", None, True),
        ("<phone@x>", 10, False),
        ("<a@x>", 11, True),
        (None, 13, False),
    ]
    assert items[2].key == "outbox:1" and items[1].key == "stored:10"
    assert items[1].to == "carol@example.org"
    assert merge_sent(rows, {}, [], limit=2) == merge_sent(rows, {}, [])[:2]


def test_the_key_of_a_tracked_message_survives_its_server_copy() -> None:
    mine = tracked(1, "<a@x>", 5)
    before = merge_sent([], {}, [mine])
    after = merge_sent([("Work", stored(11, "<a@x>", 5))], {"<a@x>": mine}, [mine])
    assert [i.key for i in before] == [i.key for i in after] == ["outbox:1"]


def test_quotable_html_keeps_text_and_drops_what_runs_or_fetches() -> None:
    html = quotable_html(
        '<p onclick="x()">Hi <b>you</b><img src="cid:a"><img src="https://t.example/p.gif">'
        '<script>alert(1)</script><a href="javascript:evil()">j</a></p>'
    )
    assert "Hi <b>you</b>" in html
    for gone in ("onclick", "<img", "script", "alert", "javascript"):
        assert gone not in html


def test_html_original_gives_an_html_start_in_a_blockquote() -> None:
    original = Original(
        account="Work",
        subject="Plans",
        from_=(Person("Carol", "carol@example.org"),),
        to=(Person("", "ada@example.org"),),
        message_id="<p@x>",
        text="Plans <3\n",
        html="<p>Plans &lt;3</p>",
    )
    reply = build_reply(original, ["ada@example.org"], date_text="today")
    assert reply.html_body is not None
    assert "<p>On today, Carol wrote:</p>" in reply.html_body
    assert '<blockquote type="cite"><p>Plans &lt;3</p></blockquote>' in reply.html_body
    assert reply.body.endswith("> Plans <3\n")  # the plain start stays for plain mode
    forward = build_forward(original, date_text="today")
    assert forward.html_body is not None and "Forwarded Message" in forward.html_body
    assert build_reply(replace(original, html=None), []).html_body is None


def test_original_from_raw_of_our_own_html_message() -> None:
    raw = (
        b"From: Ada <ada@example.org>\r\nTo: Carol <carol@example.org>\r\n"
        b"Subject: Hi\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <i>there</i></p>\r\n"
    )
    original = original_from_raw(raw, account="Work")
    assert original.message_id == "<m@x>" and original.html == "<p>Hello <i>there</i></p>"
    reply = build_reply(original, ["ada@example.org"], reply_all=True)
    assert [m.address for m in reply.to] == ["carol@example.org"]  # our own: to its recipients
