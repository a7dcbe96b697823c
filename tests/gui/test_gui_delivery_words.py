"""The delivery views' words and small parts without servers: advice by status code, the
Delivery column's cells, empty models, grouped notifications, the PySide reference-count check."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt

from mailapp.core.delivery import DeliveryState, ReadState, SummaryKind, summarize
from mailapp.ui.delivery_column import DELIVERY_KIND_ROLE, delivery_data
from mailapp.ui.delivery_panel import advice_for
from mailapp.ui.info_bar import InfoBar
from mailapp.ui.notifications import NoticeKind, Notifier
from mailapp.ui.outbox_view import OutboxModel
from mailapp.ui.sent_view import SentModel
from mailapp.ui.status_bar import MailStatusBar


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("5.1.1", "The address does not exist (5.1.1). Check the spelling."),
        ("5.2.2", "mailbox is full (5.2.2)"),
        ("4.4.1", "could not be reached for a long time (4.4.1)"),
        ("5.4.7", "could not be reached for a long time (5.4.7)"),
        ("5.7.1", "refused the message by policy (5.7.1)"),
        ("5.7.26", "refused the message by policy (5.7.26)"),
        ("5.3.4", "too big"),
        ("5.9.9", "refused the message (5.9.9)"),
        (None, "could not be delivered"),
    ],
)
def test_failed_rows_say_what_to_do(status: str | None, words: str) -> None:
    assert words in advice_for(status)


def test_expired_without_a_code_and_a_delay_are_told_apart() -> None:
    assert "long time" in advice_for(None, "delivery temporarily suspended: message expired")
    delayed = advice_for("4.4.1", delayed=True)
    assert "Nothing to do yet" in delayed and "try again" not in delayed


def test_delivery_cell_has_icon_word_tooltip_and_never_colour_alone(qapp) -> None:
    summary = summarize(
        [
            ("bob@example.org", DeliveryState.DELIVERED, ReadState.DISPLAYED),
            ("eve@example.org", DeliveryState.FAILED, ReadState.NONE),
        ]
    )
    assert delivery_data(summary, Qt.ItemDataRole.DisplayRole) == "Failed 1/2"
    assert delivery_data(summary, DELIVERY_KIND_ROLE) == SummaryKind.FAILED
    assert not delivery_data(summary, Qt.ItemDataRole.DecorationRole).isNull()  # type: ignore[union-attr]
    assert delivery_data(summary, Qt.ItemDataRole.ToolTipRole) == (
        "Delivery per recipient:\nbob@example.org: Delivered, Read\neve@example.org: Failed"
    )
    assert delivery_data(summary, Qt.ItemDataRole.AccessibleTextRole) == "Delivery: Failed 1/2"
    assert delivery_data(summary, Qt.ItemDataRole.ForegroundRole) is not None
    partly = summarize(
        [
            ("a@example.org", DeliveryState.DELIVERED, ReadState.NONE),
            ("b@example.org", DeliveryState.ACCEPTED, ReadState.NONE),
        ],
        dsn_offered=False,
    )
    assert delivery_data(partly, Qt.ItemDataRole.DisplayRole) == "Delivered 1/2"
    assert delivery_data(partly, Qt.ItemDataRole.ForegroundRole) is None
    assert "gives no delivery reports" in str(delivery_data(partly, Qt.ItemDataRole.ToolTipRole))
    assert delivery_data(None, Qt.ItemDataRole.DisplayRole) is None


def test_empty_models_pass_the_model_tester(qtmodeltester) -> None:
    for model in (SentModel(), OutboxModel()):
        qtmodeltester.check(model, force_py=True)
        qtmodeltester.check(model)
    assert [SentModel().headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == [
        "Subject",
        "To",
        "Sent",
        "Delivery",
    ]


def test_notifications_are_grouped_into_one_bar(qtbot) -> None:
    bar, status = InfoBar(), MailStatusBar()
    qtbot.addWidget(bar)
    qtbot.addWidget(status)
    notifier = Notifier(bar, status, use_tray=False, group_ms=50)
    shown: list[tuple[str, str]] = []
    notifier.shown.connect(lambda title, text: shown.append((title, text)))
    notifier.add(NoticeKind.FAILED, "“A” → x@example.org: Failed 1/1")
    notifier.add(NoticeKind.DELAYED, "“B” → y@example.org: Delayed")
    notifier.add(NoticeKind.NEW_MAIL, "2 new messages in Work")
    qtbot.waitUntil(lambda: len(shown) == 2)
    assert shown[0][0] == "2 delivery problems"
    assert shown[1] == ("New mail", "2 new messages in Work")
    assert bar.text.startswith("2 delivery problems. “A”")
    assert bar.details_button.isVisibleTo(bar)
    assert status.currentMessage() == "2 new messages in Work"


def test_installed_pyside_keeps_the_reference_count_of_none(qapp) -> None:
    """PySide6 6.12.0 drops a reference to None on every void call (setText, setVisible,
    ...) on Python 3.11, which aborts the process after a while with "deallocating None".
    pyproject excludes that release; this catches a return of the defect."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(1_000):
        label.setText("x")
    assert sys.getrefcount(None) - before > -100
