"""Regenerate the README screenshots: the real window under a private Xvfb server.

Usage (from the repository root):  .venv/bin/python docs/screenshots/regenerate.py

It starts `Xvfb -screen 0 1280x800x24` on a display it picks (-displayfd), runs itself again
inside it (`--shoot`) with Qt's xcb platform, builds the window the way `mailapp` does (application
names, icon theme fallback) on throw-away profiles, and saves QWidget.grab() images here:

  main-window-empty.png   first start, no account: the empty state
  main-window.png         one account with mail (written straight into its store): folders
                          with unread counts, the message list, a message in the reader
  reader-html.png         an HTML newsletter in the reader: cid logo, blocked tracking image
                          bar, a flagged look-alike link, an attachment chip
  main-window-dark.png    the same in the dark colour scheme
  main-window-de.png      the same in German (`--language de`)
  wizard-1-identity.png ... wizard-4-summary.png   the account wizard, page by page, with
                          discovery and test answers replayed (no network is used)
  composer.png            the composer with a realistic message: chips, a little formatting,
                          an attachment (nothing is sent)
  sent-delivery.png       the Sent folder: its Delivery column and the Delivery panel, from
                          delivery reports and a read receipt ingested locally, beside a
                          message another program (a phone) filed in the server's Sent folder
  outbox.png              the Outbox with a message waiting and one refused

Needs Debian's xvfb and the xcb libraries (tests/run.sh installs them). Passwords go to an
in-memory credential store, so the system keyring is never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCREEN = "1280x800x24"
WINDOW_SIZE = (1100, 700)


def _start_xvfb() -> tuple[subprocess.Popen[bytes], int]:
    """Xvfb on a display number it picks itself (-displayfd), so two runs never collide."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        line = pipe.readline().strip()  # written once the server accepts connections
    if not line.isdigit():
        xvfb.terminate()
        xvfb.wait(timeout=10)
        raise SystemExit("regenerate.py: Xvfb did not start")
    return xvfb, int(line)


def run_under_xvfb(out_dir: Path) -> int:
    if shutil.which("Xvfb") is None:
        print("regenerate.py: Xvfb is missing (apt-get install xvfb)", file=sys.stderr)
        return 2
    xvfb, number = _start_xvfb()
    try:
        env = dict(os.environ, DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        env.pop("MAILAPP_COLOR_SCHEME", None)  # the dark run sets it itself
        status = 0
        for shot in ("light", "dark", "de"):
            env_shot = dict(env)
            if shot == "dark":
                env_shot["MAILAPP_COLOR_SCHEME"] = "dark"
            status |= subprocess.call(
                [sys.executable, __file__, "--shoot", shot, "--out", str(out_dir)],
                cwd=REPO,
                env=env_shot,
            )
        return status
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def _account(host: str):  # type: ignore[no-untyped-def]
    from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings

    return Account(
        name="Work",
        email="ada@example.org",
        display_name="Ada Lovelace",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(host, 993, Security.SSL, "ada@example.org"),
        outgoing=ServerSettings(host, 465, Security.SSL, "ada@example.org"),
    )


def _showcase_engine(profile: Path, credentials: object):  # type: ignore[no-untyped-def]
    """An Engine whose discovery and login test replay plausible answers, for the pictures."""
    from mailapp.core.checks import CheckOutcome, CheckReport, CheckStage, CheckStep, ServerRole
    from mailapp.core.model import Security
    from mailapp.engine.api import (
        DiscoveryResult,
        DiscoveryStep,
        Engine,
        FoundServer,
        ServerKind,
        StepName,
        StepOutcome,
    )
    from mailapp.protocols.autoconfig import ServerCandidate

    fingerprint = ":".join(f"{(i * 37 + 11) % 256:02X}" for i in range(32))
    steps = [
        (StepName.AUTOCONFIG, StepOutcome.NOT_FOUND, "autoconfig.example.org does not exist."),
        (
            StepName.WELL_KNOWN,
            StepOutcome.NOT_FOUND,
            "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml: 404 Not Found.",
        ),
        (
            StepName.ISPDB,
            StepOutcome.FOUND,
            "Thunderbird's provider database knows example.org (Example Mail).",
        ),
        (StepName.SRV, StepOutcome.SKIPPED, "Not needed: settings already found."),
        (StepName.MX, StepOutcome.SKIPPED, "Not needed: settings already found."),
        (StepName.PROBE, StepOutcome.SKIPPED, "Not needed: settings already found."),
    ]

    def found(kind: ServerKind, host: str, port: int, security: Security) -> FoundServer:
        return FoundServer(
            ServerCandidate(kind, host, port, security, "ada@example.org"), StepName.ISPDB
        )

    class Showcase(Engine):
        async def discover_settings(self, email, progress=None, config=None):  # type: ignore[no-untyped-def]
            reports = []
            for name, outcome, detail in steps:
                if outcome is not StepOutcome.SKIPPED and progress is not None:
                    progress(DiscoveryStep(name, StepOutcome.RUNNING, "Trying…"))
                    await asyncio.sleep(0.05)
                reports.append(DiscoveryStep(name, outcome, detail))
                if progress is not None:
                    progress(reports[-1])
            return DiscoveryResult(
                email,
                (
                    found(ServerKind.IMAP, "imap.example.org", 993, Security.SSL),
                    found(ServerKind.POP3, "pop.example.org", 995, Security.SSL),
                ),
                (found(ServerKind.SMTP, "smtp.example.org", 465, Security.SSL),),
                tuple(reports),
                "Example Mail",
            )

        async def test_settings(self, account, password, smtp_password=None, progress=None):  # type: ignore[no-untyped-def]
            pinned = account.trust.fingerprint == fingerprint
            out = []
            for role, server in (
                (ServerRole.INCOMING, "imap.example.org:993 (IMAP, ssl)"),
                (ServerRole.OUTGOING, "smtp.example.org:465 (SMTP, ssl)"),
            ):
                out += [
                    CheckStep(role, CheckStage.CONNECT, CheckOutcome.PASSED, "connected", server),
                    CheckStep(role, CheckStage.TLS, CheckOutcome.PASSED, "TLSv1.3", server),
                ]
                if pinned:
                    out += [
                        CheckStep(
                            role, CheckStage.CERTIFICATE, CheckOutcome.PASSED, "pinned", server
                        ),
                        CheckStep(role, CheckStage.LOGIN, CheckOutcome.PASSED, "logged in", server),
                    ]
                else:
                    out += [
                        CheckStep(
                            role,
                            CheckStage.CERTIFICATE,
                            CheckOutcome.FAILED,
                            f"The certificate of {server.split(':')[0]} is not signed by an "
                            "authority this account trusts (self-signed certificate).",
                            server,
                            error_code="tls.certificate",
                            fingerprint=fingerprint,
                        ),
                        CheckStep(role, CheckStage.LOGIN, CheckOutcome.SKIPPED, "", server),
                    ]
            for step in out:
                await asyncio.sleep(0.02)
                if progress is not None:
                    progress(step)
            return CheckReport(account.name, tuple(out))

    return Showcase.open(str(profile), credentials=credentials)  # type: ignore[arg-type]


def _wizard_shots(app, settle, save, engine) -> None:  # type: ignore[no-untyped-def]
    """The wizard's four pages, driven the way a person would, on a qasync loop."""
    import qasync
    from PySide6.QtWidgets import QWizard

    from mailapp.ui.account_wizard import AccountWizard

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    wizard = AccountWizard(engine)
    wizard.show()

    async def drive() -> None:
        identity = wizard.identity
        identity.display_name.setText("Ada Lovelace")
        identity.email.setText("ada@example.org")
        identity.password.setText("not-a-real-password")
        settle()
        save(wizard, "wizard-1-identity.png")
        wizard.button(QWizard.WizardButton.NextButton).click()
        while wizard.discovery.busy:
            await asyncio.sleep(0.05)
        settle()
        save(wizard, "wizard-2-discovery.png")
        wizard.button(QWizard.WizardButton.NextButton).click()
        wizard.servers.test_button.click()
        while wizard.servers.busy:
            await asyncio.sleep(0.05)
        settle()
        save(wizard, "wizard-3-settings.png")
        wizard.servers.results.trust_button.click()
        while wizard.servers.busy:
            await asyncio.sleep(0.05)
        wizard.button(QWizard.WizardButton.NextButton).click()
        settle()
        save(wizard, "wizard-4-summary.png")

    try:
        loop.run_until_complete(drive())
    finally:
        wizard.close()
        loop.close()
        asyncio.set_event_loop(None)


_SHOWCASE_SENT = (
    # subject, recipients, outcome per recipient (address -> report kind)
    ("Invoice 2041", ("accounts@example.com",), {"accounts@example.com": "delivered"}),
    ("Slides for Monday", ("team@lists.example.org",), {"team@lists.example.org": "relayed"}),
    ("Lunch on Friday?", ("bob@example.net",), {"bob@example.net": "read"}),
    ("Re: Holiday plans", ("dan@example.net",), {}),
    ("Train tickets", ("carol@slow.example",), {"carol@slow.example": "delayed"}),
    (
        "Quarterly report",
        ("bob@example.net", "jhon@example.com", "carol@slow.example"),
        {"bob@example.net": "read", "jhon@example.com": "failed", "carol@slow.example": "delayed"},
    ),
)
_REPORTS = {
    "delivered": ("delivered", "2.0.0", "smtp; 250 2.0.0 Ok: queued as 7C2F81A0B3"),
    "read": ("delivered", "2.0.0", "smtp; 250 2.0.0 Ok: queued as 5D19E0C4A2"),
    "relayed": ("relayed", "2.0.0", "smtp; 250 2.0.0 Ok"),
    "failed": (
        "failed",
        "5.1.1",
        "smtp; 550 5.1.1 <jhon@example.com>: Recipient address rejected: User unknown in "
        "virtual mailbox table",
    ),
    "delayed": (
        "delayed",
        "4.4.1",
        "smtp; 421 4.4.1 connect to mx.slow.example[203.0.113.9]:25: Connection timed out",
    ),
}
_REPORTING_MTA = {
    "example.com": "mx1.example.com",
    "example.net": "mx.example.net",
    "lists.example.org": "mail.example.org",
    "slow.example": "smtp.example.org",
}


def _dsn(entry, address: str, kind: str, number: int) -> bytes:  # type: ignore[no-untyped-def]
    action, status, diagnostic = _REPORTS[kind]
    mta = _REPORTING_MTA[address.split("@")[1]]
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@{mta}>\r\n"
        "To: ada@example.org\r\n"
        f"Subject: Delivery Status Notification ({action})\r\n"
        f"Message-ID: <report-{number}@{mta}>\r\n"
        "Date: Mon, 3 Mar 2025 10:32:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message: {action}.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {mta}\r\nOriginal-Envelope-Id: {entry.envid}\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nOriginal-Recipient: rfc822;{address}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic}\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {entry.message_id}\r\nSubject: {entry.subject}\r\n"
        "--b--\r\n"
    ).encode()


def _mdn(entry, address: str, number: int) -> bytes:  # type: ignore[no-untyped-def]
    return (
        f"From: {address}\r\nTo: ada@example.org\r\n"
        f"Subject: Read: {entry.subject}\r\nMessage-ID: <receipt-{number}@example.net>\r\n"
        "Date: Mon, 3 Mar 2025 10:40:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="m"'
        "\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
        "--m\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: example.net; Thunderbird\r\n"
        f"Final-Recipient: rfc822;{address}\r\nOriginal-Message-ID: {entry.message_id}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n--m--\r\n"
    ).encode()


async def _fill_delivery_showcase(engine) -> None:  # type: ignore[no-untyped-def]
    """Sent messages with every outcome and an Outbox with a problem, made through the
    outbox's own steps and real-format reports ingested as a sync would (no network)."""
    from mailapp.core.draft import Draft, Mailbox

    account = engine.get_account("Work")
    outbox = engine.sending.outbox
    number = 0

    def draft(subject: str, to: tuple[str, ...]) -> Draft:
        return Draft(
            from_=Mailbox("ada@example.org", "Ada Lovelace"),
            to=tuple(Mailbox(a) for a in to),
            subject=subject,
            text_body=f"Hello,\n\n{subject}: see below.\n\nAda\n",
        )

    for subject, to, outcomes in _SHOWCASE_SENT:
        entry = await engine.sending.enqueue(account, draft(subject, to), request_dsn=True)
        [claimed] = outbox.claim_due(datetime.now(UTC), "shots", account="Work")
        for recipient in claimed.sending_recipients:
            outbox.record_recipient_reply(entry.id, recipient.address, 250, "2.1.5 Ok")
        outbox.mark_data_started(entry.id, "shots")
        outbox.mark_accepted(
            entry.id,
            "shots",
            reply="2.0.0 Ok: queued as 4F1A2B3C9D",
            smtp_host="smtp.example.org",
            dsn_offered=True,
        )
        for address, kind in outcomes.items():
            number += 1
            await engine.ingest_report(_dsn(entry, address, kind, number), "Work")
            if kind == "read":
                number += 1
                await engine.ingest_report(_mdn(entry, address, number), "Work")

    waiting = await engine.sending.enqueue(
        account, draft("Contract draft", ("legal@example.com",)), request_dsn=True
    )
    outbox.claim_due(datetime.now(UTC), "shots", account="Work")
    outbox.mark_deferred(
        waiting.id,
        "shots",
        error="Could not connect to smtp.example.org:465: Connection refused. "
        "mailapp tries again by itself.",
        smtp_host="smtp.example.org",
    )
    refused = await engine.sending.enqueue(
        account, draft("Photos from Saturday", ("eve@example.net",)), request_dsn=True
    )
    outbox.claim_due(datetime.now(UTC), "shots", account="Work")
    outbox.mark_failed(
        refused.id,
        "shots",
        reason="The server refused the message: 552 5.3.4 Message size exceeds fixed limit",
        reply="5.3.4 Message size exceeds fixed limit",
        reply_code=552,
        smtp_host="smtp.example.org",
        dsn_offered=True,
    )


def _fill_sent_folder(engine) -> None:  # type: ignore[no-untyped-def]
    """The server's Sent folder as a sync leaves it: the copies of what mailapp sent, and a
    message a phone sent (mailapp has no tracking for that one)."""
    from datetime import timedelta
    from email.message import EmailMessage
    from email.utils import format_datetime

    from mailapp.store.folders import FolderRepository, FolderRole
    from mailapp.store.messages import MessageFlag, MessageRepository, NewMessage

    database, blobs = engine._mail_store()
    folders = FolderRepository(database)
    for name, role in (
        ("INBOX", FolderRole.INBOX), ("Drafts", FolderRole.DRAFTS), ("Sent", FolderRole.SENT),
        ("Trash", FolderRole.TRASH), ("Archive", FolderRole.ARCHIVE),
    ):  # fmt: skip
        folders.upsert("Work", name, delimiter="/", role=role)
    sent = folders.by_name("Work", "Sent")
    assert sent is not None
    repo = MessageRepository(database)
    outbox = engine.sending.outbox
    copies: list[tuple[bytes, str, str, datetime]] = []
    for entry in outbox.recent_sent(50):
        when = entry.sent_at or entry.queued_at
        to = ", ".join(r.address for r in entry.recipients)
        copies.append((outbox.raw(entry), entry.subject, to, when))
    phone = EmailMessage()
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    phone["From"] = "Ada Lovelace <ada@example.org>"
    phone["To"] = "Mary Somerville <mary@royal-society.example>"
    phone["Subject"] = "On my way, ten minutes late"
    phone["Date"] = format_datetime(moment)
    phone["Message-ID"] = "<phone-1@ada.example.org>"
    phone.set_content("Sorry, the carriage was slow. Ten minutes late.\n\nSent from my phone")
    copies.append((phone.as_bytes(), phone["Subject"], phone["To"], moment))
    for uid, (raw, subject, to, when) in enumerate(copies, start=1):
        from mailapp.protocols.mime.parse import parse_message

        parsed = parse_message(raw)
        repo.insert_many(
            sent.id,
            [
                NewMessage(
                    uid=uid, internal_date=when, date=when, size=len(raw),
                    flags=MessageFlag.SEEN, subject=subject, from_name="Ada Lovelace",
                    from_addr="ada@example.org", to=to, has_attachment=False,
                    message_id=parsed.message_id,
                )
            ],
        )  # fmt: skip
        row = repo.by_uid(sent.id, uid)
        assert row is not None
        repo.set_body(row.id, blobs.put(raw, durable=False), body_text=parsed.text)


def _delivery_shots(app, settle, save, window) -> None:  # type: ignore[no-untyped-def]
    """The Sent folder with its Delivery column and panel, then the Outbox."""
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def drive() -> None:
        engine = window.engine
        await _fill_delivery_showcase(engine)
        _fill_sent_folder(engine)
        window.refresh_accounts()
        window.outbox_view.set_entries(await engine.outbox_entries())
        window.status.set_outbox_count(len(window.outbox_view.model.items))
        window.status.set_connection_states({"Work": ("online", "")})
        window.show_delivery_folder("sent")
        sent = window.sent_view
        for _ in range(100):
            if sent.model.rowCount():
                break
            await asyncio.sleep(0.05)
        [report] = [i for i in sent.model.items if i.subject == "Quarterly report"]
        loaded = asyncio.Event()
        sent.selection_loaded.connect(loaded.set)
        assert report.message_id is not None
        sent.select_message(report.message_id)
        await asyncio.wait_for(loaded.wait(), 10)
        sent.panel.row("jhon@example.com").set_expanded(True)
        sent.splitter.setSizes([190, 510])
        sent._fit_panel()
        settle()
        save(window, "sent-delivery.png")
        window.show_delivery_folder("outbox")
        box = window.outbox_view
        box.select(box.model.items[-1].id)  # the refused one
        settle()
        save(window, "outbox.png")

    try:
        loop.run_until_complete(drive())
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def _composer_shot(window, settle, save, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QTextCursor

    notes = tmp / "engine-notes.pdf"
    notes.write_bytes(b"%PDF-1.4\n" + bytes(243_000))
    composer = window.new_composer()
    composer.resize(760, 600)
    composer.to_edit.setText("Grace Hopper <grace@example.org>, Alan Turing <alan@example.org>")
    composer.cc_edit.setText("charles@example.org")
    composer.subject_edit.setText("Notes on the Analytical Engine")
    body = composer.body_edit
    body.setPlainText("Dear Grace, dear Alan,\n\nhere are my notes for Thursday. ")
    cursor = body.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    body.setTextCursor(cursor)
    composer.format_bar.bold.setChecked(True)
    composer.format_bar._toggle_bold()
    body.insertPlainText("Please read section 3 first")
    composer.format_bar.bold.setChecked(False)
    composer.format_bar._toggle_bold()
    body.insertPlainText(":\n")
    composer.format_bar.bullets.trigger()
    body.insertPlainText("the table of Bernoulli numbers\nthe note on loops")
    body.textCursor().insertText("\n")
    composer.format_bar.bullets.trigger()
    body.insertPlainText("\nThe full text is attached.\n\nAda")
    composer.attach_files([str(notes)])
    composer.show()
    composer.activateWindow()
    composer.to_edit.input.setFocus()
    settle()
    save(composer, "composer.png")
    composer.dirty = False
    composer.close()


_NEWSLETTER = """<html><body style="font-family: sans-serif">
<table width="100%" cellpadding="12" bgcolor="#f4f1ea"><tr><td>
<img src="cid:logo@harbour.example" alt="Harbour Books" width="48" height="48">
<font size="5" color="#2b4c7e"><b>Harbour Books</b></font></td></tr></table>
<h2 style="color: #2b4c7e">Spring reading list</h2>
<p>Dear Ada,</p>
<p>The days are longer and so is our list. Ten new titles arrived this week, among them
<b>The Analytical Engine, Annotated</b> and a new translation of Menabrea's <i>Sketch</i>.</p>
<table cellpadding="6" border="1" style="border-collapse: collapse">
<tr><th align="left">Title</th><th align="left">Author</th><th align="right">Price</th></tr>
<tr><td>The Analytical Engine, Annotated</td><td>C. Babbage</td><td align="right">24.00</td></tr>
<tr><td>Sketch of the Analytical Engine</td><td>L. F. Menabrea</td><td align="right">12.50</td></tr>
<tr><td>Notes on Looms</td><td>J. M. Jacquard</td><td align="right">18.00</td></tr>
</table>
<p>Members get 10 % off until Sunday: <a href="https://harbour-books.example/members">see the
offer</a>. Your order history is at
<a href="https://login.not-harbour.example/verify">www.harbour-books.example/account</a>.</p>
<p><img src="https://tracker.mailer.example/open.gif?id=ada" width="1" height="1"></p>
<p style="color: #666666"><small>Harbour Books, 3 Quay Street, Portsmouth.</small></p>
</body></html>"""


def _fill_mailbox(engine) -> None:  # type: ignore[no-untyped-def]
    """A realistic Inbox and a few folders, written straight into the store (as a sync would)."""
    from datetime import UTC, datetime, timedelta
    from email.message import EmailMessage
    from email.utils import format_datetime

    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QColor, QImage, QPainter

    from mailapp.protocols.mime.parse import parse_message
    from mailapp.store.folders import FolderRepository, FolderRole
    from mailapp.store.messages import MessageFlag, MessageRepository, NewMessage

    database, blobs = engine._mail_store()
    folders = FolderRepository(database)
    repo = MessageRepository(database)
    for name, role in (
        ("INBOX", FolderRole.INBOX), ("Drafts", FolderRole.DRAFTS), ("Sent", FolderRole.SENT),
        ("Junk", FolderRole.JUNK), ("Trash", FolderRole.TRASH), ("Archive", FolderRole.ARCHIVE),
        ("Delivery Reports", None), ("Projects", None), ("Projects/Engine", None),
        ("Receipts", None),
    ):  # fmt: skip
        folders.upsert("Work", name, delimiter="/", role=role)
    inbox = folders.by_name("Work", "INBOX")
    assert inbox is not None
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    logo = QImage(96, 96, QImage.Format.Format_ARGB32)
    logo.fill(QColor("#2b4c7e"))
    painter = QPainter(logo)
    painter.setPen(QColor("white"))
    font = painter.font()
    font.setPixelSize(54)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(logo.rect(), 0x84, "H")  # AlignCenter
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    logo.save(buffer, "PNG")

    def message(sender: str, subject: str, age: timedelta, body: str, *, html: str | None,
                files: dict[str, bytes] | None) -> bytes:  # fmt: skip
        m = EmailMessage()
        m["From"] = sender
        m["To"] = "Ada Lovelace <ada@example.org>"
        m["Subject"] = subject
        m["Date"] = format_datetime(now - age)
        m["Message-ID"] = f"<{abs(hash(subject))}@example.org>"
        m.set_content(body)
        if html is not None:
            m.add_alternative(html, subtype="html")
            m.get_payload()[1].add_related(  # type: ignore[index]
                bytes(buffer.data().data()), "image", "png", cid="<logo@harbour.example>"
            )
        for name, data in (files or {}).items():
            m.add_attachment(data, "application", "pdf", filename=name)
        return m.as_bytes()

    mails = [
        ("Charles Babbage <charles@engine.example>", "Re: Note G, the Bernoulli numbers",
         timedelta(minutes=25), "Ada,\n\nI have gone through Note G twice now. The table "
         "of operations holds up; the only change I would make is in operation 24, where the "
         "result should go to V13 rather than V24.\n\nCan we meet on Thursday to go over "
         "the diagrams?\n\nCharles", None, None, MessageFlag.FLAGGED),
        ("Harbour Books <news@harbour-books.example>", "Spring reading list: ten new titles",
         timedelta(hours=2), "Our spring reading list.", _NEWSLETTER,
         {"Spring catalogue.pdf": b"%PDF-1.4 " + b"x" * 180_000}, MessageFlag.NONE),
        ("Mary Somerville <mary@royal-society.example>", "Lecture on Thursday",
         timedelta(hours=5), "Dear Ada,\n\nThe lecture starts at seven; I kept two seats "
         "near the front.\n\nMary", None, None, MessageFlag.NONE),
        ("Augustus De Morgan <augustus@ucl.example>", "Your questions on the calculus",
         timedelta(days=1, hours=3), "My dear Lady Lovelace,\n\nYour last letter raised "
         "an excellent point about limits.", None, {"Exercises 14-20.pdf": b"%PDF " * 9000},
         MessageFlag.SEEN),
        ("Rail Tickets <no-reply@rail.example>", "Your booking: London to Ockham",
         timedelta(days=2), "Booking reference QX7-5521.", None, None, MessageFlag.SEEN),
        ("Michael Faraday <michael@royal-institution.example>",
         "Fwd: Demonstration of the induction ring", timedelta(days=3), "Thought you would "
         "enjoy this.", None, None, MessageFlag.SEEN | MessageFlag.FLAGGED),
        ("Charles Wheatstone <cw@kings.example>", "Translation of Menabrea's paper",
         timedelta(days=4), "The editor would like the notes by the end of the month.",
         None, None, MessageFlag.SEEN),
        ("William King <william@ockham.example>", "Weekend at Ockham", timedelta(days=6),
         "Shall I send the carriage on Friday?", None, None, MessageFlag.SEEN),
        ("Bank of Example <statements@bank.example>", "Your monthly statement is ready",
         timedelta(days=9), "Your statement is ready.", None, {"Statement.pdf": b"%PDF " * 3000},
         MessageFlag.SEEN),
        ("Charles Dickens <charles@household-words.example>", "Reading at Devonshire House",
         timedelta(days=12), "I would be glad to see you there.", None, None, MessageFlag.SEEN),
    ]  # fmt: skip
    for uid, (sender, subject, age, body, html, files, flags) in enumerate(mails, start=1):
        raw = message(sender, subject, age, body, html=html, files=files)
        parsed = parse_message(raw)
        who = parsed.from_[0]
        repo.insert_many(
            inbox.id,
            [
                NewMessage(
                    uid=uid, internal_date=now - age, date=now - age, size=len(raw),
                    flags=flags, subject=parsed.subject, from_name=who.name, from_addr=who.addr,
                    to="Ada Lovelace <ada@example.org>", has_attachment=bool(files),
                    message_id=parsed.message_id,
                )
            ],
        )  # fmt: skip
        row = repo.by_uid(inbox.id, uid)
        assert row is not None
        repo.set_body(row.id, blobs.put(raw, durable=False), body_text=parsed.text)


def _reader_shot(app, settle, save, window, *, subject: str, name: str | None) -> None:  # type: ignore[no-untyped-def]
    """Select the Inbox message called `subject` and wait until the reader shows it."""
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window.reader.mark_read_delay_ms = 600_000  # keep it unread in the picture
    model = window.message_list.message_model

    async def pick() -> None:
        row = next(
            r for r in range(model.rowCount()) if (m := model.message(r)) and m.subject == subject
        )
        window.message_list.select_message(model.message_id(row))
        for _ in range(200):
            shown = window.reader.message
            if shown is not None and shown.subject == subject:
                break
            await asyncio.sleep(0.05)

    try:
        loop.run_until_complete(pick())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    settle()
    if name is not None:
        save(window, name)


def shoot(variant: str, out_dir: Path) -> int:
    sys.path.insert(0, str(REPO))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from mailapp.app.gui import make_application
    from mailapp.engine.api import Engine
    from mailapp.secrets.memory import MemoryCredentialStore
    from mailapp.ui.main_window import MainWindow

    app = make_application(["mailapp"])
    from mailapp.ui.translations import install_translator

    # As `mailapp` starts: German for the German picture, else the environment's language.
    install_translator(app, "de" if variant == "de" else None)

    def settle() -> None:
        # Let layouts, fonts and icons settle before grabbing.
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)

    def store() -> MemoryCredentialStore:
        # Shown as a desktop keyring would be, so the pictures match a usual desktop (without
        # one, the dialog adds a note that passwords last for this session only).
        return MemoryCredentialStore(description="GNOME Keyring", persistent=True)

    def window_for(profile: Path) -> MainWindow:
        engine = Engine.open(str(profile), credentials=store())
        settings = QSettings(str(profile / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(engine, settings)
        window.resize(*WINDOW_SIZE)
        window.show()
        settle()
        return window

    def save(widget: QApplication | object, name: str) -> None:
        pixmap = widget.grab()  # type: ignore[attr-defined]
        path = out_dir / name
        if not pixmap.save(str(path), "PNG"):
            raise SystemExit(f"regenerate.py: could not write {path}")
        print(f"wrote {path.relative_to(REPO)} ({pixmap.width()}x{pixmap.height()})")

    with tempfile.TemporaryDirectory(prefix="mailapp-shots-") as tmp:
        if variant == "light":
            empty = window_for(Path(tmp) / "empty")
            save(empty, "main-window-empty.png")
            empty.close()
            _wizard_shots(app, settle, save, _showcase_engine(Path(tmp) / "wizard", store()))

        profile = Path(tmp) / "with-account"
        engine = Engine.open(str(profile), credentials=store())
        asyncio.run(engine.add_account(_account("mail.example.org"), "not-a-real-password"))
        _fill_mailbox(engine)
        window = window_for(profile)
        window.resize(1200, 760)
        _reader_shot(
            app, settle, save, window, subject="Re: Note G, the Bernoulli numbers", name=None
        )
        save(
            window,
            {"light": "main-window.png", "dark": "main-window-dark.png"}.get(
                variant, f"main-window-{variant}.png"
            ),
        )
        if variant == "light":
            _reader_shot(
                app,
                settle,
                save,
                window,
                subject="Spring reading list: ten new titles",
                name="reader-html.png",
            )
        if variant == "light":
            _composer_shot(window, settle, save, Path(tmp))
        window.close()
        if variant == "light":
            profile = Path(tmp) / "delivery"
            engine = Engine.open(str(profile), credentials=store())
            asyncio.run(engine.add_account(_account("mail.example.org"), "not-a-real-password"))
            window = window_for(profile)
            window.resize(1200, 760)
            _delivery_shots(app, settle, save, window)
            window.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoot", choices=("light", "dark", "de"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.shoot:
        return shoot(args.shoot, args.out)
    return run_under_xvfb(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
