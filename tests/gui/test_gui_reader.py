"""The reader pane: safe HTML with cid images, blocked remote images, hostile HTML, links,
attachments saved safely, marking read; and the whole flow against the real Dovecot."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument
from support.https_server import HttpsServer
from support.mailstack import MailStack
from support.message_store import add_message, folder, html_message, png

from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.store.folders import FolderRole, FolderRow
from mailapp.store.messages import MessageRepository
from mailapp.ui.main_window import MainWindow
from mailapp.ui.reader_pane import REMOTE_SENDERS_KEY

IMAGE = QTextDocument.ResourceType.ImageResource.value


def run_until(
    loop: asyncio.AbstractEventLoop, done: Callable[[], bool], timeout: float = 30
) -> None:
    async def wait() -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.01)

    loop.run_until_complete(wait())


def _account(name: str = "work") -> Account:
    return Account(
        name=name,
        email=f"{name}@example.org",
        display_name="Ada Lovelace",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings("imap.example.org", 993, Security.SSL, name),
        outgoing=ServerSettings("smtp.example.org", 465, Security.SSL, name),
    )


def _open(window: MainWindow, qloop, message_id: int) -> None:  # type: ignore[no-untyped-def]
    assert window.message_list.select_message(message_id)
    run_until(
        qloop,
        lambda: window.reader.message is not None and window.reader.message.id == message_id,
    )


@dataclass
class Mailbox:
    window: MainWindow
    engine: Any
    qloop: asyncio.AbstractEventLoop
    inbox: FolderRow

    def show(self, raw: bytes, uid: int = 1) -> int:
        """Store the message in the Inbox, select it and wait until the reader shows it."""
        message_id = add_message(self.engine, self.inbox, raw, uid=uid)
        self.window.refresh_accounts()
        model = self.window.message_list.message_model
        run_until(self.qloop, lambda: model.row_of(message_id) >= 0)
        _open(self.window, self.qloop, message_id)
        return message_id


@pytest.fixture
def box(window: MainWindow, engine, qloop) -> Mailbox:  # type: ignore[no-untyped-def]
    qloop.run_until_complete(engine.add_account(_account(), "pw"))
    row = folder(engine, "work", "INBOX", FolderRole.INBOX)
    window.reader.mark_read_delay_ms = 50
    return Mailbox(window, engine, qloop, row)


NEWSLETTER = """<html><body>
<h1>Spring sale</h1>
<p><img src="cid:logo@shop.example" alt="logo"> Our logo.</p>
<p><img src="https://tracker.example/pixel.gif?u=ada" width="1" height="1"></p>
<p><img src="http://plain.example/banner.png"></p>
<p>Visit <a href="https://evil.example/login">www.shop.example</a> or
<a href="https://shop.example/help">our help pages</a>.</p>
</body></html>"""


def test_html_with_cid_image_and_blocked_remote_images(box: Mailbox) -> None:
    window, engine, qloop = box.window, box.engine, box.qloop
    raw = html_message(subject="Spring sale", html=NEWSLETTER, images={"logo@shop.example": png()})
    message_id = box.show(raw)
    reader = window.reader
    assert reader.currentWidget() is reader.page
    assert reader.headers.subject.text() == "Spring sale"
    assert reader.headers.fields["from"].text() == "Newsletter <news@shop.example>"
    assert reader.headers.fields["to"].text() == "Ada Lovelace <ada@example.org>"
    assert reader.headers.fields["cc"].text() == "Bob Baker <bob@example.net>"
    assert reader.headers.fields["date"].text()
    # The cid image is served from the message; the remote ones never reach the document.
    browser = reader.browser
    image = browser.loadResource(IMAGE, QUrl("cid:logo@shop.example"))
    assert image is not None and image.width() == 8
    assert "tracker.example" not in browser.toHtml()
    assert not [u for u in browser.refused if u.startswith("http")]
    assert browser.loadResource(IMAGE, QUrl("https://tracker.example/pixel.gif?u=ada")) is None
    bar = reader.remote_bar
    assert bar.isVisible()
    assert bar.message.text() == "2 remote images were blocked to protect your privacy."
    assert bar.always_button.text() == "Always for news@shop.example"
    assert "tracker.example" in bar.message.toolTip()
    # The inline logo is not offered again as an attachment.
    assert not reader.attachments.isVisible()
    # The mismatched link is flagged, and hovering shows the real target.
    assert reader.link_warning.isVisible()
    assert "www.shop.example" in reader.link_warning.text()
    assert "evil.example" in reader.link_warning.text()
    browser.highlighted.emit(QUrl("https://evil.example/login"))
    assert "evil.example/login" in window.status.currentMessage()
    assert "Careful" in window.status.currentMessage()
    browser.highlighted.emit(QUrl("https://shop.example/help"))
    assert window.status.currentMessage() == "https://shop.example/help"
    browser.highlighted.emit(QUrl())
    assert window.status.currentMessage() == ""
    # Shown a moment: marked read, in the store, the list and the folder count.
    repo = MessageRepository(engine._mail_store()[0])
    run_until(qloop, lambda: not repo.get(message_id).unread)
    run_until(
        qloop,
        lambda: (
            window.folder_pane.folder_model.index(
                0, 0, window.folder_pane.folder_model.index(0, 0)
            ).data()
            == "Inbox"
        ),
    )


def test_hostile_html_renders_with_nothing_active(box: Mailbox) -> None:
    window = box.window
    hostile = """<html><head><script>alert(1)</script><style>body{background:url(https://x.example/a)}</style>
<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example"></head>
<body onload="steal()"><p onclick="steal()">Hello <b>there</b></p>
<img src="x" onerror="steal()"><img src="file:///etc/passwd"><img src="//evil.example/p.png">
<iframe src="https://evil.example/frame"></iframe>
<form action="https://evil.example"><input name=p></form>
<a href="javascript:steal()">click</a><a href="data:text/html,<script>1</script>">data</a>
<svg onload="steal()"><script>1</script></svg><object data="https://evil.example/x.swf"></object>
</body></html>"""
    raw = html_message(subject="Hostile", html=hostile)
    box.show(raw)
    browser = window.reader.browser
    html = browser.toHtml().lower()
    for word in (
        "script",
        "onerror",
        "onload",
        "onclick",
        "javascript",
        "iframe",
        "evil.example",
        "passwd",
        "refresh",
    ):
        assert word not in html, word
    assert "there" in browser.toPlainText()
    # Whatever the document might still ask for is refused: local files, http, relative.
    for url in (
        "file:///etc/passwd",
        "http://evil.example/a.png",
        "x",
        "https://evil.example/p.png",
    ):
        assert browser.loadResource(IMAGE, QUrl(url)) is None
    assert window.reader.remote_bar.isVisible()  # the //evil.example image was counted


def test_attachments_are_listed_and_saved_safely(box: Mailbox, tmp_path: Path) -> None:
    window, qloop = box.window, box.qloop
    raw = html_message(
        subject="Files",
        html="<p>Two files attached.</p>",
        attachments={"../../evil.sh": b"#!/bin/sh\nrm -rf ~\n", "report.pdf": b"%PDF-1.4 fake"},
    )
    box.show(raw)
    reader = window.reader
    bar = reader.attachments
    assert bar.isVisible()
    names = [chip.attachment.safe_name for chip in bar.chips]
    assert names == ["evil.sh", "report.pdf"]
    assert "evil.sh" in bar.chips[0].text() and "B)" in bar.chips[0].text()
    assert bar.save_all_button.isVisible()
    target = tmp_path / "downloads"
    target.mkdir()
    (target / "evil.sh").write_bytes(b"already here")
    path = qloop.run_until_complete(reader.save_attachment(bar.chips[0].attachment, target))
    assert path.parent == target.resolve()
    assert path.name == "evil (2).sh"  # never over an existing file
    assert path.read_bytes() == b"#!/bin/sh\nrm -rf ~\n"
    assert not path.stat().st_mode & 0o111  # not made executable
    assert (target / "evil.sh").read_bytes() == b"already here"
    assert not list(tmp_path.glob("evil.sh"))  # nothing escaped the folder
    paths = qloop.run_until_complete(reader.save_all(target))
    assert sorted(p.name for p in paths) == ["evil (3).sh", "report.pdf"]
    # A script is not opened by a double-click: the person is told to save it instead.
    errors: list[str] = []
    reader.error.connect(errors.append)
    bar.chips[0].open_requested.emit(bar.chips[0].attachment)
    assert errors and "could run a program" in errors[0]


def test_load_once_fetches_https_images_only(box: Mailbox, tmp_path) -> None:
    window, engine, qloop = box.window, box.engine, box.qloop
    with HttpsServer(["localhost"], tmp_path / "web") as server:
        server.add("127.0.0.1", "/pixel.png", png("#0a0", 3), content_type="image/png")
        url = f"https://127.0.0.1:{server.port}/pixel.png"
        html = NEWSLETTER.replace("https://tracker.example/pixel.gif?u=ada", url)
        raw = html_message(subject="Remote", html=html, images={"logo@shop.example": png()})
        engine.remote_image_context = ssl.create_default_context(cafile=str(server.ca_file))
        box.show(raw)
        reader = window.reader
        assert server.requests == []  # nothing fetched until asked
        reader.remote_bar.load_button.click()
        run_until(qloop, lambda: reader.message is not None and reader.message.remote_allowed)
        assert [r.path for r in server.requests] == ["/pixel.png"]
        image = reader.browser.loadResource(IMAGE, QUrl(url))
        assert image is not None and image.width() == 3
        # The plain-http banner is never fetched, and the bar says why it is missing.
        assert reader.remote_bar.isVisible()
        assert "unencrypted http" in reader.remote_bar.message.text()
        assert reader.browser.loadResource(IMAGE, QUrl("http://plain.example/banner.png")) is None


def test_always_for_sender_is_remembered(box: Mailbox, monkeypatch) -> None:
    window, engine, qloop = box.window, box.engine, box.qloop
    fetched: list[list[str]] = []

    async def fake_fetch(urls):  # type: ignore[no-untyped-def]
        fetched.append(list(urls))
        return {}

    monkeypatch.setattr(engine, "fetch_remote_images", fake_fetch)
    raw = html_message(subject="One", html=NEWSLETTER)
    box.show(raw)
    window.reader.remote_bar.always_button.click()
    run_until(qloop, lambda: bool(fetched))
    assert window.settings.value(REMOTE_SENDERS_KEY) in (["news@shop.example"], "news@shop.example")
    # The next mail from the same sender loads its images without asking.
    second = html_message(subject="Two", html=NEWSLETTER)
    fetched.clear()
    box.show(second, uid=2)
    run_until(qloop, lambda: bool(fetched))
    assert window.reader.message is not None and window.reader.message.remote_allowed


def test_plain_text_message(box: Mailbox) -> None:
    window = box.window
    raw = (
        b"From: Bob <bob@example.net>\r\nTo: ada@example.org\r\nSubject: Lunch?\r\n"
        b"Date: Fri, 01 Mar 2024 12:00:00 +0000\r\n\r\n<b>Not HTML</b>, just text.\r\n"
    )
    box.show(raw)
    reader = window.reader
    assert reader.browser.toPlainText().strip() == "<b>Not HTML</b>, just text."
    assert not reader.remote_bar.isVisible()
    assert not reader.headers.fields["cc"].isVisible()
    # F8 hides the reader.
    window.mail_actions["toggle_reader"].trigger()
    assert not reader.isVisible()


def test_reading_mail_from_the_real_server(
    qtbot, window: MainWindow, engine, qloop, mailstack: MailStack
) -> None:
    user = mailstack.unique_user("read")
    raw = html_message(
        subject="Hello from Dovecot",
        html="<p>The <b>real</b> body, fetched on demand.</p>",
        sender="Carol <carol@outside.test>",
    )
    mailstack.deliver(raw, user.address)
    account = replace(
        _account("real"),
        email=user.address,
        incoming=ServerSettings(
            mailstack.host, mailstack.ports.imap, Security.STARTTLS, user.address
        ),
        outgoing=ServerSettings(
            mailstack.host, mailstack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(mailstack.ca_file)),
    )
    qloop.run_until_complete(engine.add_account(account, user.password))
    window.refresh_accounts()
    deadline = time.monotonic() + 30
    while True:  # LMTP delivery is asynchronous
        qloop.run_until_complete(engine.sync_account("real"))
        inbox = [f for f in engine.folder_rows("real") if f.name == "INBOX"]
        if (inbox and inbox[0].total) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    window.refresh_mail()
    pane = window.folder_pane
    assert pane.select_folder("real", "INBOX")
    model = window.message_list.message_model
    run_until(qloop, lambda: model.rowCount() == 1)
    row = model.message(0)
    assert row is not None and row.subject == "Hello from Dovecot"
    assert pane.folder_model.folder_index("real", "INBOX").data() == "Inbox (1)"
    _open(window, qloop, row.id)
    assert "The real body, fetched on demand." in window.reader.browser.toPlainText()
    assert window.reader.headers.fields["from"].text() == "Carol <carol@outside.test>"
    # Marked read after the delay: the list and the folder say so.
    run_until(qloop, lambda: pane.folder_model.folder_index("real", "INBOX").data() == "Inbox")
    assert not model.message(0).unread
