"""The delivery view as a person sees it, against the suite's real Postfix + Dovecot: send, watch
the Sent folder's Delivery column move from "Sent to server" to "Delivered 1/1" when the real
DSN arrives during the window's own IMAP sync, and open the panel's evidence; a mistyped
address ends "Failed 1/1" with 5.1.1, the server's words and what to do about it.

The draft is built with the engine's API (the composer is tested on its own); everything after
Send is the window: its engine runner syncs, ingests the report and refreshes the views.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget
from support.mailstack import MailStack, MailUser

from mailapp.core.draft import Draft, Mailbox
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings, TlsTrust
from mailapp.engine.api import Engine, SentSummary
from mailapp.ui.delivery_panel import DeliveryPanel, RecipientRow
from mailapp.ui.main_window import MainWindow
from mailapp.ui.sent_view import SentModel

ACCOUNT = "Work"
LEFT = Qt.MouseButton.LeftButton
WAIT = 90.0  # seconds; generous, the machine is shared (never asserted on)


def account_for(stack: MailStack, user: MailUser, *, smtp_port: int | None = None) -> Account:
    return Account(
        name=ACCOUNT,
        email=user.address,
        display_name="Ada Sender",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(stack.host, stack.ports.imap, Security.STARTTLS, user.address),
        outgoing=ServerSettings(
            stack.host, smtp_port or stack.ports.submission, Security.STARTTLS, user.address
        ),
        trust=TlsTrust(ca_file=str(stack.ca_file)),
    )


def open_window(qtbot, engine: Engine, window_settings, *, account: Account, password: str, qloop):  # type: ignore[no-untyped-def]
    """The main window of a profile with `account`, its background work quick to notice."""
    qloop.run_until_complete(engine.add_account(account, password))
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    runner = window.engine_runner
    runner.poll_seconds = 0.3
    return window


async def until(predicate: Callable[[], object], timeout: float = WAIT) -> None:
    """Let the loop (and so the window's background work) run until `predicate()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s: {predicate}")
        await asyncio.sleep(0.1)


def run(qloop, window: MainWindow, scenario) -> None:  # type: ignore[no-untyped-def]
    """Run a scenario on the loop, then stop the window's background work politely."""

    async def body() -> None:
        try:
            await scenario()
        finally:
            await window.engine_runner.aclose(timeout=5)

    qloop.run_until_complete(body())


def draft_to(user: MailUser, address: str, subject: str) -> Draft:
    return Draft(
        from_=Mailbox(user.address, "Ada Sender"),
        to=(Mailbox(address),),
        subject=subject,
        text_body="Did this arrive?\n",
    )


def panel_row(panel: DeliveryPanel, address: str) -> RecipientRow | None:
    try:
        return panel.row(address)
    except KeyError:
        return None


def without_names(root: QWidget) -> list[str]:
    """Visible buttons and item views under `root` that a screen reader could not name."""
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView

    missing = []
    for widget in root.findChildren(QWidget):
        # A header is named section by section, by the model's AccessibleTextRole.
        if not widget.isVisibleTo(root) or isinstance(widget, QHeaderView):
            continue
        if isinstance(widget, QAbstractButton | QAbstractItemView):
            name = widget.accessibleName() or (
                widget.text().replace("&", "") if isinstance(widget, QAbstractButton) else ""
            )
            if not name.strip():
                missing.append(f"{type(widget).__name__} {widget.objectName()}")
    return missing


def check_model(qtmodeltester, items: list[SentSummary]) -> None:  # type: ignore[no-untyped-def]
    """Qt's model tester on a Sent model holding these rows. A model of its own: the window's
    is deleted with the window before the tester's teardown would disconnect from it."""
    model = SentModel()
    model.set_items(items)
    assert model.rowCount() == len(items) > 0
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)


@pytest.fixture
def sender(mailstack: MailStack) -> MailUser:
    return mailstack.unique_user("gdl")


def test_sent_message_becomes_delivered_when_the_dsn_arrives(
    qtbot, qtmodeltester, engine, window_settings, *, qloop, mailstack: MailStack, sender: MailUser
) -> None:
    window = open_window(
        qtbot,
        engine,
        window_settings,
        account=account_for(mailstack, sender),
        password=sender.password,
        qloop=qloop,
    )
    runner = window.engine_runner
    # The Inbox is fetched on Get Mail below, after "Sent to server" was seen. The first sync
    # of a folder only learns what is there (nothing in it is "new"), so it comes first.
    runner.sync_on_start = False
    bob = mailstack.address("bob")
    view = window.sent_view
    labels: list[str] = []

    async def scenario() -> None:
        await engine.sync_account(ACCOUNT)
        runner.start()
        window.show_delivery_folder("sent")
        assert window.content_stack.currentWidget() is view
        assert view.empty.isVisibleTo(view)  # nothing sent yet, said plainly

        result = await runner.send(
            ACCOUNT, draft_to(sender, bob, "Lunch on Friday"), request_dsn=True
        )
        mid = result.message_id

        def label() -> str | None:
            value = view.delivery_label(mid)
            if value and (not labels or labels[-1] != value):
                labels.append(value)
            return value

        await until(lambda: label() == "Sent to server")
        assert view.select_message(mid)
        await until(lambda: view.panel.status is not None)
        row = panel_row(view.panel, bob)
        assert row is not None
        assert row.evidence.startswith(f"Sent to server {mailstack.host} at ")
        assert "waiting for a delivery report" in row.evidence
        assert not view.panel.notes.isVisibleTo(view)  # this server does give reports

        # Get Mail: the window's own sync fetches the DSN, the tracker files it, the view moves.
        runner.get_mail(ACCOUNT)
        await until(lambda: label() == "Delivered 1/1")
        await until(
            lambda: (
                view.panel.status is not None and view.panel.status.summary.label == "Delivered 1/1"
            )
        )
        await until(lambda: "online" in window.status.accounts_label.text())

    run(qloop, window, scenario)

    assert labels[0] == "Sent to server" and labels[-1] == "Delivered 1/1", labels
    index = view.model.index(0, SentModel.DELIVERY)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == f"Delivery per recipient:\n{bob}: Delivered"
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None  # an icon beside the word
    panel = view.panel
    assert panel.isVisibleTo(view)
    assert panel.title.text() == "Delivery: Delivered 1/1"
    row = panel.row(bob)
    assert row.evidence.startswith(f"Delivered by mx.{mailstack.domain} at ")
    assert row.evidence.endswith(", 2.0.0")
    assert row.line.text() == row.evidence
    assert not row.advice.isVisibleTo(view)  # nothing to do
    assert "Did this arrive?" in view.body.browser.toPlainText()

    # The timeline: the SMTP acceptance, then the DSN, newest first; the report one click away.
    qtbot.mouseClick(row.toggle, LEFT)
    assert row.timeline.isVisibleTo(view)
    timeline = row.timeline_rows()
    assert timeline[0].split(" | ")[1:3] == ["Delivery report (DSN)", "Delivered · 2.0.0"]
    assert timeline[0].endswith(f"mx.{mailstack.domain}")
    assert any(" | SMTP reply | Sent to server · " in line for line in timeline)
    assert row.report_button.isEnabled()
    qtbot.mouseClick(row.report_button, LEFT)
    qloop.run_until_complete(until(lambda: view.report_viewer is not None, 30))
    viewer = view.report_viewer
    assert viewer is not None
    report = viewer.text.toPlainText()
    assert "Action: delivered" in report and "report-type=delivery-status" in report
    viewer.close()

    # The Delivery panel keeps a row's unfolded state across a refresh.
    panel.set_status(panel.status)
    assert panel.row(bob).expanded

    check_model(qtmodeltester, view.model.items)
    assert without_names(view) == []


def test_unknown_user_fails_with_5_1_1_the_servers_words_and_advice(
    qtbot, qtmodeltester, engine, window_settings, *, qloop, mailstack: MailStack, sender: MailUser
) -> None:
    window = open_window(
        qtbot,
        engine,
        window_settings,
        account=account_for(mailstack, sender),
        password=sender.password,
        qloop=qloop,
    )
    runner = window.engine_runner
    view = window.sent_view
    nosuch = f"nosuch-{sender.address.split('@')[0]}@{mailstack.domain}"
    shown: list[tuple[str, str]] = []
    window.notifier.shown.connect(lambda title, text: shown.append((title, text)))

    async def scenario() -> None:
        runner.start()
        window.show_delivery_folder("sent")
        result = await runner.send(ACCOUNT, draft_to(sender, nosuch, "Typo in the address"))
        mid = result.message_id
        await until(lambda: view.delivery_label(mid) == "Failed 1/1")
        assert view.select_message(mid)
        await until(
            lambda: (
                view.panel.status is not None and view.panel.status.summary.label == "Failed 1/1"
            )
        )
        await until(lambda: bool(shown))  # the grouped notification

    run(qloop, window, scenario)

    index = view.model.index(0, SentModel.DELIVERY)
    assert index.data() == "Failed 1/1"
    assert index.data(Qt.ItemDataRole.ForegroundRole) is not None  # red, beside the word
    row = view.panel.row(nosuch)
    assert row.evidence.endswith(", 5.1.1")
    assert row.evidence.startswith("Failed at ")
    assert row.advice.isVisibleTo(view)
    assert row.advice.text() == "The address does not exist (5.1.1). Check the spelling."
    said = row.diagnostic.text()
    assert said.startswith("The server said: ") and "5.1.1" in said
    assert "nosuch" in said.lower() or "unknown" in said.lower() or "reject" in said.lower()
    qtbot.mouseClick(row.toggle, LEFT)
    assert any("Failed · 5.1.1" in line for line in row.timeline_rows())

    # Without a notification area: one information bar with a way to the Sent folder.
    title, text = shown[0]
    assert title == "Delivery failed"
    assert "“Typo in the address”" in text and "Failed 1/1" in text
    bar = window.info_bar
    assert bar.isVisible() and bar.text.startswith("Delivery failed: ")
    assert bar.action_button.text() == "&Show"

    check_model(qtmodeltester, view.model.items)
    assert without_names(view) == []
