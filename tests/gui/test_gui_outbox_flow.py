"""The Outbox when the outgoing server is down (its port on loopback is closed): the message waits
there with its reason and the next attempt, never silently; Retry tries again at once and
Delete removes it after asking (non-modally). The incoming side is the suite's real Dovecot."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from support.mailstack import MailStack
from test_gui_delivery_flow import (
    ACCOUNT,
    LEFT,
    account_for,
    draft_to,
    open_window,
    run,
    until,
    without_names,
)

from mailapp.core.delivery import EventSource, OutboxState
from mailapp.ui.outbox_view import OutboxModel


def test_server_down_message_waits_in_the_outbox_with_its_reason(
    qtbot, qtmodeltester, engine, window_settings, *, qloop, mailstack: MailStack
) -> None:
    user = mailstack.unique_user("gob")
    account = account_for(mailstack, user, smtp_port=mailstack.ports.dead)
    window = open_window(
        qtbot, engine, window_settings, account=account, password=user.password, qloop=qloop
    )
    runner = window.engine_runner
    view = window.outbox_view
    shown: list[tuple[str, str]] = []
    window.notifier.shown.connect(lambda title, text: shown.append((title, text)))
    bob = mailstack.address("bob")

    def entry_state() -> OutboxState | None:
        items = view.model.items
        return items[0].state if items else None

    async def scenario() -> None:
        runner.start()
        window.show_delivery_folder("outbox")
        assert window.content_stack.currentWidget() is view
        assert view.empty.isVisibleTo(view)
        await runner.send(ACCOUNT, draft_to(user, bob, "While the server is down"))
        await until(lambda: entry_state() is OutboxState.DEFERRED)
        await until(lambda: bool(shown))

    run(qloop, window, scenario)

    [entry] = view.model.items
    assert view.selected_entry() == entry  # the only message is selected for you
    row = [view.model.index(0, c).data() for c in range(view.model.columnCount())]
    subject, to, state, reason, next_try = row
    assert (subject, to, state) == ("While the server is down", bob, "Deferred")
    assert reason == entry.last_error and reason  # never without a visible reason
    assert next_try  # a time
    assert view.model.index(0, OutboxModel.STATE).data(Qt.ItemDataRole.DecorationRole) is not None
    assert view.title.text() == f"Deferred: “While the server is down” to {bob}"
    assert view.reason.text() == reason
    assert view.schedule.text().startswith("Next attempt at ")
    assert "1 attempt so far" in view.schedule.text()
    assert "tried when the network comes back" in view.schedule.text()
    assert window.status.outbox_label.isVisibleTo(window)
    assert window.status.outbox_label.text() == "Outbox: 1"
    # A deferred message can be taken back into the composer (test_gui_outbox_edit.py).
    assert view.edit_button.isEnabled() and entry.editable
    # Told once, calmly: a grouped notification in the information bar, no dialog.
    assert shown[0][0] == "Delivery delayed"
    assert "is waiting in the Outbox" in shown[0][1]
    assert window.info_bar.isVisible()

    # Retry: at once, by the person (the timeline says so), and deferred again with a reason.
    retried = entry.queued_at

    async def retry() -> None:
        runner.start()
        qtbot.mouseClick(view.retry_button, LEFT)
        await until(
            lambda: (
                entry_state() is OutboxState.DEFERRED
                and view.model.items[0].queued_at >= retried
                and view.model.items[0].attempts == 1
                and view.model.items[0] != entry
            )
        )
        [recipient] = (await engine.delivery_status(entry.message_id)).recipients
        assert any(e.source is EventSource.USER for e in recipient.events)

    run(qloop, window, retry)
    assert view.reason.text()

    model = OutboxModel()  # of its own: the window's goes before the tester's teardown
    model.set_items(view.model.items)
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    assert without_names(view) == []

    # Delete: asked first (non-modal), then gone from the Outbox and the status bar.
    async def delete() -> None:
        runner.start()
        qtbot.mouseClick(view.delete_button, LEFT)
        box = view.confirm_box
        assert box is not None and box.isVisible()
        assert "will not be sent" in box.informativeText()
        yes = box.findChild(QPushButton, "outboxConfirmYes")
        assert yes is not None and yes.text() == "&Delete"
        qtbot.mouseClick(yes, LEFT)
        await until(lambda: not view.model.items)

    run(qloop, window, delete)
    assert view.empty.isVisibleTo(view)
    assert not window.status.outbox_label.isVisibleTo(window)
    assert qloop.run_until_complete(engine.outbox_entries()) == []
