"""Proves the session's private Postfix + Dovecot (fixture `mailstack`) with stdlib clients:
submission with STARTTLS + AUTH, DSNs, IMAPS/POP3S with the generated CA, fresh users,
routing a domain to a scripted fake, and the failure report of the conftest hooks."""

from __future__ import annotations

import email
import hashlib
import imaplib
import re
import shutil
import smtplib
import ssl
import subprocess
import time
import uuid
from collections.abc import Callable
from email.message import Message
from pathlib import Path

import pytest
from support.fake_server import FakeServer, expect, line, read_until
from support.mailstack import MailStack, MailUser, sha256_fingerprint

pytestmark = pytest.mark.mailstack

_TESTS_DIR = Path(__file__).resolve().parents[1]


def _message(sender: str, rcpt: str, subject: str) -> bytes:
    return (
        f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@test>\r\n\r\nbody of {subject}\r\n"
    ).encode()


def _token() -> str:
    return uuid.uuid4().hex[:12]


def _delivery_status(raw: bytes) -> tuple[Message, Message, str]:
    """(per-message fields, the single per-recipient block, returned part's type)."""
    report = email.message_from_bytes(raw)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    parts = report.get_payload()
    assert isinstance(parts, list)
    status = next(p for p in parts if p.get_content_type() == "message/delivery-status")
    blocks = status.get_payload()
    assert isinstance(blocks, list)
    assert len(blocks) == 2, "expected one per-message and one per-recipient block"
    return blocks[0], blocks[1], parts[-1].get_content_type()


def _is_dsn_for(envid: str) -> Callable[[bytes], bool]:
    def check(raw: bytes) -> bool:
        return b"delivery-status" in raw and f"Original-Envelope-Id: {envid}".encode() in raw

    return check


def test_submission_starttls_auth_delivers_to_bob(mailstack: MailStack) -> None:
    subject = f"hello bob {_token()}"
    mailstack.submit("alice", "bob@example.test", _message("alice@example.test", "bob", subject))
    raw = mailstack.wait_for_inbox("bob", subject.encode())
    msg = email.message_from_bytes(raw)
    assert msg["Subject"] == subject
    # Postfix records TLS + authenticated submission as ESMTPSA.
    assert "ESMTPSA" in " ".join(msg.get_all("Received", []))


def test_submissions_implicit_tls_delivers(mailstack: MailStack, mail_user: MailUser) -> None:
    subject = f"implicit tls {_token()}"
    raw = _message("carol@example.test", mail_user.address, subject)
    mailstack.submit("carol", mail_user.address, raw, implicit_tls=True)
    assert subject.encode() in mailstack.wait_for_inbox(mail_user.address, subject)


def test_auth_only_after_starttls_and_wrong_password_refused(mailstack: MailStack) -> None:
    with smtplib.SMTP(mailstack.host, mailstack.ports.submission, timeout=15) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")
        smtp.starttls(context=mailstack.ssl_context())
        smtp.ehlo()
        assert smtp.has_extn("auth")
        assert smtp.has_extn("dsn")
        # One mechanism only: login() would retry with the next one.
        smtp.user, smtp.password = "alice@example.test", "not-alicepw"
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.auth("PLAIN", smtp.auth_plain)
        assert refused.value.smtp_code == 535
        smtp.password = "alicepw"
        assert smtp.auth("PLAIN", smtp.auth_plain)[0] == 235


@pytest.mark.parametrize(
    ("case", "action", "status"),
    [
        ("local", "delivered", "2.0.0"),
        ("unknown-local", "failed", "5.1.1"),
        ("remote", "relayed", "2.0.0"),
        ("fail.test", "failed", "5.1.2"),
    ],
)
def test_dsn_action_with_envid_and_orcpt_kept(
    mailstack: MailStack, mail_user: MailUser, case: str, action: str, status: str
) -> None:
    rcpt = {
        "local": lambda: mailstack.unique_user("rcpt").address,
        "unknown-local": lambda: f"nosuch-{_token()}@example.test",
        "remote": lambda: f"someone-{_token()}@relay.test",
        "fail.test": lambda: f"z-{_token()}@fail.test",
    }[case]()
    envid = f"{case}.{_token()}"
    mailstack.submit(
        mail_user.address,
        rcpt,
        _message(mail_user.address, rcpt, f"dsn {envid}"),
        mail_options=["RET=HDRS", f"ENVID={envid}"],
        rcpt_options=["NOTIFY=SUCCESS,FAILURE", f"ORCPT=rfc822;{rcpt}"],
    )
    raw = mailstack.wait_for_inbox(mail_user.address, _is_dsn_for(envid), timeout=20)
    per_message, per_rcpt, returned = _delivery_status(raw)
    assert per_message["Original-Envelope-Id"] == envid
    assert per_message["Reporting-MTA"] == "dns; mx.example.test"
    assert per_rcpt["Action"] == action
    assert per_rcpt["Status"] == status
    assert per_rcpt["Original-Recipient"].replace(" ", "") == f"rfc822;{rcpt}"
    assert returned == "text/rfc822-headers"  # RET=HDRS
    if case == "remote":
        assert any(f"dsn {envid}".encode() in m for m in mailstack.sink_messages())


def test_mx_refuses_unknown_local_user_at_rcpt(mailstack: MailStack) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mailstack.deliver(_message("x@outside.test", "nosuch", "x"), "nosuch@example.test")
    code, text = refused.value.recipients["nosuch@example.test"]
    assert code == 550
    assert b"5.1.1" in text


def test_mx_refuses_relaying(mailstack: MailStack) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mailstack.deliver(_message("x@outside.test", "r", "x"), "someone@relay.test")
    assert refused.value.recipients["someone@relay.test"][0] == 554


def test_fresh_users_are_usable_at_once(mailstack: MailStack) -> None:
    # Two users in a row: the second map update lands within the same second as the first.
    first, second = mailstack.unique_user("fresh"), mailstack.unique_user("fresh")
    for user in (first, second):
        subject = f"welcome {_token()}"
        mailstack.deliver(_message("x@outside.test", user.address, subject), user.address)
        assert subject.encode() in mailstack.wait_for_inbox(user.address, subject, timeout=10)
    assert mailstack.password(first.address) == first.password
    with pytest.raises(ValueError, match="already exists"):
        mailstack.add_user(first.address.split("@")[0], "pw")


def test_imaps_and_pop3s_login_with_the_ca(mailstack: MailStack, mail_user: MailUser) -> None:
    subject = f"for pop and imap {_token()}"
    mailstack.deliver(_message("x@outside.test", mail_user.address, subject), mail_user.address)
    mailstack.wait_for_inbox(mail_user.address, subject)

    imap = imaplib.IMAP4_SSL(
        mailstack.host, mailstack.ports.imaps, ssl_context=mailstack.ssl_context(), timeout=15
    )
    try:
        imap.login(mail_user.address, mail_user.password)
        typ, folders = imap.list()
        assert typ == "OK"
        listing = b"\n".join(f for f in folders if isinstance(f, bytes))
        for flag in (rb"\Sent", rb"\Drafts", rb"\Trash", rb"\Junk"):
            assert flag in listing
        typ, subscribed = imap.lsub()
        assert typ == "OK"
        assert len(subscribed) >= 4
        typ, count = imap.select("INBOX", readonly=True)
        assert (typ, count) == ("OK", [b"1"])
    finally:
        imap.logout()

    for implicit_tls in (True, False):  # POP3S, then STLS on the plain port
        pop = mailstack.pop3(mail_user.address, implicit_tls=implicit_tls)
        try:
            assert pop.stat()[0] == 1
            assert subject.encode() in b"\r\n".join(pop.retr(1)[1])
        finally:
            pop.quit()


def test_certificate_untrusted_by_default_context_but_pinnable(mailstack: MailStack) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            mailstack.host, mailstack.ports.imaps, ssl_context=ssl.create_default_context()
        )
    with (
        smtplib.SMTP(mailstack.host, mailstack.ports.submission, timeout=15) as smtp,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        smtp.starttls(context=ssl.create_default_context())

    ctx = mailstack.ssl_context()
    imap = imaplib.IMAP4(mailstack.host, mailstack.ports.imap, timeout=15)
    try:
        imap.starttls(ssl_context=ctx)
        der = imap.sock.getpeercert(binary_form=True)
    finally:
        imap.logout()
    seen = ":".join(re.findall("..", hashlib.sha256(der).hexdigest().upper()))
    assert seen == mailstack.server_fingerprint_sha256
    assert seen != mailstack.ca_fingerprint_sha256
    openssl = shutil.which("openssl", path="/usr/bin:/bin:/usr/local/bin")
    assert openssl is not None
    out = subprocess.run(
        [openssl, "x509", "-noout", "-fingerprint", "-sha256", "-in", str(mailstack.ca_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip().split("=", 1)[1] == mailstack.ca_fingerprint_sha256
    assert sha256_fingerprint(mailstack.ca_file) == mailstack.ca_fingerprint_sha256


def test_route_domain_to_a_scripted_fake(mailstack: MailStack, mail_user: MailUser) -> None:
    domain = f"fake-{_token()}.test"
    rcpt = f"peer@{domain}"
    script = [
        line("220 fake ESMTP"),
        expect(r"EHLO "),
        line("250 fake"),
        expect(rf"MAIL FROM:<{re.escape(mail_user.address)}>"),
        line("250 ok"),
        expect(rf"RCPT TO:<{re.escape(rcpt)}>"),
        line("250 ok"),
        expect(r"DATA$"),
        line("354 go"),
        read_until(r"\.$"),
        line("250 queued"),
        expect(r"QUIT"),
        line("221 bye"),
    ]
    with FakeServer(script) as fake:
        mailstack.route_domain(domain, fake.port)
        subject = f"routed {_token()}"
        mailstack.submit(mail_user.address, rcpt, _message(mail_user.address, rcpt, subject))
        fake.wait_finished(timeout=20)
    assert fake.errors == []
    assert f"Subject: {subject}" in fake.lines


def test_wait_for_inbox_fails_with_context(mailstack: MailStack, mail_user: MailUser) -> None:
    with pytest.raises(AssertionError, match="no matching message"):
        mailstack.wait_for_inbox(mail_user.address, b"never sent", timeout=0.5)


def test_deferred_mail_is_listed_in_the_queue(mailstack: MailStack, mail_user: MailUser) -> None:
    rcpt = f"later-{_token()}@delay.test"
    mailstack.submit(
        mail_user.address,
        rcpt,
        _message(mail_user.address, rcpt, "later"),
        rcpt_options=["NOTIFY=NEVER"],
    )
    deadline = time.monotonic() + 15
    while rcpt not in mailstack.queue_listing():
        assert time.monotonic() < deadline, mailstack.queue_listing()
        time.sleep(0.2)
    entries = [
        e
        for e in mailstack.queue_entries()
        if any(r["address"] == rcpt for r in e["recipients"])  # type: ignore[attr-defined]
    ]
    assert len(entries) == 1
    assert entries[0]["queue_name"] in ("active", "deferred")
    mailstack.flush_queue()


def test_failing_test_reports_logs_and_keeps_the_stack(pytester: pytest.Pytester) -> None:
    """Runs a failing test in a nested pytest that starts its own stack."""
    pytester.makeconftest((_TESTS_DIR / "conftest.py").read_text())
    shutil.copytree(
        _TESTS_DIR / "support",
        pytester.path / "support",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    pytester.makepyfile(
        test_nested="""
        def test_fails(mailstack):
            mailstack.deliver(b"Subject: nested\\r\\n\\r\\nx\\r\\n", "bob@example.test")
            mailstack.wait_for_inbox("bob", b"Subject: nested")
            assert False, "on purpose"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "mailstack postfix.log (during this test)" in out
    assert "mailstack dovecot.log (during this test)" in out
    assert "to=<bob@example.test>" in out  # the LMTP delivery of this very test
    kept = re.search(r"mailstack: kept (/\S+) \(the session had failures\)", out)
    assert kept is not None, out
    directory = Path(kept.group(1))
    try:
        assert (directory / "log" / "postfix.log").is_file()
        # Stopped although kept: no process refers to the directory any more.
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    cmdline = (proc / "cmdline").read_bytes()
                except OSError:
                    continue
                assert str(directory).encode() not in cmdline, cmdline
    finally:
        shutil.rmtree(directory)
