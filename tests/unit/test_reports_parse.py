"""Hand-written reports for the edge cases of mailapp.protocols.reports."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.protocols.reports import (
    DeliveryAction,
    ParsedReport,
    ReportKind,
    classify,
    parse_report,
)


def dsn(status_part: str, *, extra_parts: str = "", top: str = "") -> bytes:
    text = f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: alice@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <report-1@mx.example.org>
{top}MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Something happened.

--B
Content-Type: message/delivery-status

{status_part}
{extra_parts}--B--
"""
    return text.encode()


RETURNED_HEADERS = """--B
Content-Type: text/rfc822-headers

From: alice@example.com
To: bob@example.net
Message-ID: <Orig-1@example.com>
Subject: hello

"""


def only(report: ParsedReport) -> tuple[str | None, DeliveryAction | None, str | None]:
    assert len(report.recipients) == 1, report.recipients
    r = report.recipients[0]
    return r.recipient, r.action, r.status


def test_multi_recipient_dsn_with_every_field() -> None:
    raw = dsn(
        """Original-Envelope-Id: env+2B42
Reporting-MTA: dns; mx.example.org
Arrival-Date: Tue, 01 Jul 2025 10:00:00 +0000

Final-Recipient: rfc822; bob@example.net
Original-Recipient: rfc822;bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address
    rejected: User unknown
Last-Attempt-Date: Tue, 01 Jul 2025 10:05:00 +0000

Final-Recipient: rfc822; carol@example.net
Action: delayed
Status: 4.2.2 (mailbox full)

Final-Recipient: rfc822; dave@example.net
Action: delivered
Status: 2.0.0
""",
        extra_parts=RETURNED_HEADERS,
    )
    report = parse_report(raw)
    assert report.kind == ReportKind.DSN
    assert report.envelope_id == "env+42"
    assert report.reporting_mta == "mx.example.org"
    assert report.arrival_date == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    assert report.report_message_id == "<report-1@mx.example.org>"
    assert report.original_message_id == "<Orig-1@example.com>"
    bob, carol, dave = report.recipients
    assert (bob.recipient, bob.action, bob.status) == ("bob@example.net", "failed", "5.1.1")
    assert bob.diagnostic == "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown"
    assert bob.remote_mta == "mx.example.net"
    assert bob.original_recipient == "bob@example.net"
    assert bob.last_attempt_date == datetime(2025, 7, 1, 10, 5, tzinfo=UTC)
    assert (carol.action, carol.status) == (DeliveryAction.DELAYED, "4.2.2")
    assert (dave.action, dave.status) == (DeliveryAction.DELIVERED, "2.0.0")
    assert classify(raw) == ReportKind.DSN


def test_stated_failed_action_wins_over_4_4_1_status() -> None:
    raw = dsn(
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 4.4.1\n"
        "Diagnostic-Code: X-Postfix; connect to mx.example.net: Connection timed out\n"
    )
    assert only(parse_report(raw)) == ("bob@example.net", DeliveryAction.FAILED, "4.4.1")


def test_missing_action_is_derived_from_the_status_class() -> None:
    raw = dsn(
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; bob@example.net\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; carol@example.net\nStatus: 4.7.0\n\n"
        "Final-Recipient: rfc822; dave@example.net\nAction: expired\n"
    )
    actions = [(r.recipient, r.action) for r in parse_report(raw).recipients]
    assert actions == [
        ("bob@example.net", DeliveryAction.FAILED),
        ("carol@example.net", DeliveryAction.DELAYED),
        ("dave@example.net", DeliveryAction.FAILED),  # "expired" means the MTA gave up
    ]


def test_xtext_orcpt_is_decoded_and_its_type_stripped() -> None:
    raw = dsn(
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; a+b@x.example\nOriginal-Recipient: rfc822;a+2Bb@x.example\n"
        "Action: delivered\nStatus: 2.0.0\n"
    )
    r = parse_report(raw).recipients[0]
    assert r.original_recipient == "a+b@x.example"
    assert r.recipient == "a+b@x.example"


def test_recipients_without_blank_lines_between_them_are_split() -> None:
    raw = dsn(
        "Reporting-MTA: dns; mx.example.org\n"
        "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.1.1\n"
        "Final-Recipient: rfc822; carol@example.net\nAction: failed\nStatus: 5.2.2\n"
    )
    report = parse_report(raw)
    assert report.reporting_mta == "mx.example.org"
    assert [(r.recipient, r.status) for r in report.recipients] == [
        ("bob@example.net", "5.1.1"),
        ("carol@example.net", "5.2.2"),
    ]


def test_unusable_final_recipient_takes_the_address_from_x_failed_recipients() -> None:
    raw = dsn(
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Action: failed\nFinal-Recipient: rfc822;|/usr/bin/procmail bob@example.net\n"
        "Status: 5.0.0\n",
        top="X-Failed-Recipients: bob@example.net\n",
    )
    assert only(parse_report(raw)) == ("bob@example.net", DeliveryAction.FAILED, "5.0.0")


def test_global_dsn_in_utf8_with_returned_message_global() -> None:
    status = (
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: utf-8; j\u00f6rg@b\u00fccher.example\n"
        "Original-Recipient: utf-8;j\\x{F6}rg@b\\x{FC}cher.example\n"
        "Action: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: j\u00f6rg\n"
    )
    text = (
        "From: MAILER-DAEMON@mx.example.org\nTo: alice@example.com\nSubject: Undelivered\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain; charset=utf-8\n\nNope.\n\n"
        "--B\nContent-Type: message/global-delivery-status\n"
        "Content-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(status.encode()).decode()
        + "\n--B\nContent-Type: message/global\nContent-Transfer-Encoding: 8bit\n\n"
        "From: alice@example.com\nTo: j\u00f6rg@b\u00fccher.example\n"
        "Message-ID: <utf8-orig@example.com>\nSubject: Gr\u00fc\u00dfe\n\nHallo\n"
        "--B--\n"
    )
    report = parse_report(text.encode())
    assert report.kind == ReportKind.DSN
    assert report.original_message_id == "<utf8-orig@example.com>"
    r = report.recipients[0]
    assert r.recipient == "j\u00f6rg@b\u00fccher.example"
    assert r.original_recipient == "j\u00f6rg@b\u00fccher.example"
    assert (r.action, r.status) == (DeliveryAction.FAILED, "5.1.1")
    assert r.diagnostic == "550 5.1.1 Benutzer unbekannt: j\u00f6rg"


def test_delivery_status_inside_multipart_mixed_is_a_bounce_not_a_dsn() -> None:
    raw = dsn("Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.1.1\n").replace(
        b"multipart/report; report-type=delivery-status", b"multipart/mixed"
    )
    report = parse_report(raw)
    assert report.kind == ReportKind.BOUNCE
    assert only(report) == ("bob@example.net", DeliveryAction.FAILED, "5.1.1")


def test_mdn_with_disposition_parts() -> None:
    raw = b"""From: bob@example.net
To: alice@example.com
Subject: Read: hello
Message-ID: <mdn-1@example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="M"

--M
Content-Type: text/plain

Your message was displayed.

--M
Content-Type: message/disposition-notification

Reporting-UA: bob-pc.example.net; SomeMailer 1.0
Original-Recipient: rfc822;bob@example.net
Final-Recipient: rfc822;bob@example.net
Original-Message-ID: <orig-7@example.com>
Disposition: manual-action/MDN-sent-manually; displayed/error

--M--
"""
    report = parse_report(raw)
    assert report.kind == ReportKind.MDN
    assert report.original_message_id == "<orig-7@example.com>"
    assert report.reporting_ua == "bob-pc.example.net; SomeMailer 1.0"
    assert report.disposition is not None
    assert report.disposition.mode == "manual-action/mdn-sent-manually"
    assert report.disposition.type == "displayed"
    assert report.disposition.modifiers == ("error",)
    assert only(report) == ("bob@example.net", None, None)


def test_arf_feedback_report_is_not_a_bounce() -> None:
    raw = b"""From: feedback@isp.example
To: abuse@example.com
Subject: FW: spam
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Reporter/1.0
Version: 1
Original-Rcpt-To: <user@isp.example>

--F
Content-Type: message/rfc822

From: alice@example.com
To: user@isp.example
Message-ID: <spam-1@example.com>

hi
--F--
"""
    report = parse_report(raw)
    assert report.kind == ReportKind.FEEDBACK
    assert report.feedback_type == "abuse"
    assert report.original_message_id == "<spam-1@example.com>"
    assert [r.recipient for r in report.recipients] == ["user@isp.example"]


def test_auto_reply_is_recognised_and_points_at_our_message() -> None:
    raw = b"""From: Bob <bob@example.net>
To: alice@example.com
Subject: Out of office: hello
In-Reply-To: <orig-9@example.com>
Auto-Submitted: auto-replied

I am away until Monday.
"""
    report = parse_report(raw)
    assert report.kind == ReportKind.AUTO_REPLY
    assert report.original_message_id == "<orig-9@example.com>"
    assert only(report) == ("bob@example.net", None, None)


def test_ordinary_mail_is_none_even_when_it_talks_about_bounces() -> None:
    raw = b"""From: Carol <carol@example.org>
To: alice@example.com
Subject: Re: returned mail
Message-ID: <chat-1@example.org>

Did your message to Bob bounce? Mine could not be delivered.
"""
    report = parse_report(raw)
    assert report.kind == ReportKind.NONE
    assert report.report_message_id == "<chat-1@example.org>"
    assert report.recipients == ()


def test_qmail_bounce_that_gave_up_is_failed_despite_a_4xx_code() -> None:
    raw = b"""From: MAILER-DAEMON@mx.example.org
To: alice@example.com
Subject: failure notice

Hi. This is the qmail-send program at mx.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@example.net>:
Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)
I'm not going to try again; this message has been in the queue too long.

--- Below this line is a copy of the message.

Return-Path: <alice@example.com>
From: alice@example.com
To: bob@example.net
Message-ID: <q-1@example.com>

hi
"""
    report = parse_report(raw)
    assert report.kind == ReportKind.BOUNCE
    assert report.original_message_id == "<q-1@example.com>"
    assert only(report) == ("bob@example.net", DeliveryAction.FAILED, "4.4.1")
    assert "establish an SMTP connection" in (report.recipients[0].diagnostic or "")


def test_prose_delay_warning_is_delayed() -> None:
    raw = b"""From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: alice@example.com
Subject: Delivery Status Notification (Delay)

THIS IS A WARNING MESSAGE ONLY.

Delivery to the following recipient has been delayed:

     bob@example.net

Message will be retried for 2 more day(s)
"""
    assert only(parse_report(raw)) == ("bob@example.net", DeliveryAction.DELAYED, None)


def test_exim_bounce_with_several_failed_recipients_and_auto_submitted() -> None:
    raw = b"""From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: alice@example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: bob@example.net, carol@example.net
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@example.net
    host mx.example.net [192.0.2.1]: 550 5.1.1 <bob@example.net>: unknown user
  carol@example.net
    host mx.example.net [192.0.2.1]: 552 5.2.2 mailbox full

------ This is a copy of the message, including all the headers. ------

From: alice@example.com
Message-ID: <e-1@example.com>
"""
    report = parse_report(raw)
    assert report.kind == ReportKind.BOUNCE
    assert report.original_message_id == "<e-1@example.com>"
    assert [(r.recipient, r.action, r.status) for r in report.recipients] == [
        ("bob@example.net", DeliveryAction.FAILED, "5.1.1"),
        ("carol@example.net", DeliveryAction.FAILED, "5.2.2"),
    ]


def test_forwarded_quoted_bounce_is_read_through_the_quotes() -> None:
    raw = b"""From: Alice <alice@example.com>
To: helpdesk@example.com
Subject: Fwd: Returned mail: see transcript for details

> From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
> Subject: Returned mail: see transcript for details
>
>    ----- The following addresses had permanent fatal errors -----
> <bob@example.net>
>     (reason: 550 5.1.1 <bob@example.net>... User unknown)
"""
    report = parse_report(raw)
    assert report.kind == ReportKind.BOUNCE
    assert only(report) == ("bob@example.net", DeliveryAction.FAILED, "5.1.1")


def test_hostile_bytes_never_raise() -> None:
    samples = [
        b"",
        b"\0\0\0",
        b"\xff\xfe\x00garbage\r\r\r",
        dsn("Final-Recipient: rfc822; bob@example.net\nAction: failed\n").replace(b"\n", b"\r"),
        dsn("Final-Recipient: rfc822; bob@\0example.net\nAction: failed\nStatus: 5.1.1\n"),
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n"
        b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n!!!!\n",
        b"Content-Type: text/plain; charset=no-such-charset\n\n\xe9\xe9",
        b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\nContent-Type: multipart/mixed;"
        b" boundary=a\n\n" * 3000,
        b"Subject: =?utf-8?B?!!!?= =?x-unknown?Q?=ZZ?=\n\n" + b"x" * 200_000,
        b"Content-Type: multipart/report; report-type*0*=''delivery; report-type*1=-status\n\n",
    ]
    for raw in samples:
        report = parse_report(raw)
        assert isinstance(report.kind, ReportKind)


def test_cr_only_line_endings_are_read() -> None:
    raw = dsn(
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.1.1\n"
    ).replace(b"\n", b"\r")
    report = parse_report(raw)
    assert report.kind == ReportKind.DSN
    assert only(report) == ("bob@example.net", DeliveryAction.FAILED, "5.1.1")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse_report(raw).kind, ReportKind)


_SEED = dsn(
    "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; bob@example.net\n"
    "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 nope\n",
    extra_parts=RETURNED_HEADERS,
)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(_SEED) - 1), st.integers(0, 64), st.binary(max_size=40))
def test_damaged_reports_never_raise(at: int, cut: int, junk: bytes) -> None:
    raw = _SEED[:at] + junk + _SEED[at + cut :]
    assert isinstance(parse_report(raw).kind, ReportKind)
