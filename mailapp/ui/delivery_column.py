"""The Delivery column's look: an icon and a word per message, a tooltip per recipient.

Every item model showing sent messages (the Sent view here, the store-backed message list)
calls `delivery_data(summary, role)` for its Delivery column, so the words, icons and
tooltips are the same everywhere. Colour is never the only carrier: each state has its own
icon shape and its own word. Also the per-state words and icons the Delivery panel and the
Outbox use. Imports: Qt, core.delivery and ui.images / ui.icons.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from mailapp.core.delivery import (
    DeliveryState,
    MessageDeliverySummary,
    OutboxState,
    ReadState,
    SummaryKind,
)
from mailapp.ui.icons import themed_icon
from mailapp.ui.images import DELIVERY_ICONS, image

# The kind of the row's summary (a SummaryKind value), for sorting and for tests.
DELIVERY_KIND_ROLE = Qt.ItemDataRole.UserRole + 40

_SUMMARY_ICON = {
    SummaryKind.QUEUED: "queued",
    SummaryKind.SENDING: "sent",
    SummaryKind.DEFERRED: "delayed",
    SummaryKind.UNCERTAIN: "uncertain",
    SummaryKind.ACCEPTED: "sent",
    SummaryKind.RELAYED: "relayed",
    SummaryKind.DELAYED: "delayed",
    SummaryKind.DELIVERED: "delivered",
    SummaryKind.PARTLY_DELIVERED: "relayed",  # the half check: some, not all
    SummaryKind.FAILED: "failed",
    SummaryKind.READ: "read",
}
_STATE_ICON = {
    DeliveryState.QUEUED: "queued",
    DeliveryState.SENDING: "sent",
    DeliveryState.DEFERRED: "delayed",
    DeliveryState.ACCEPTED: "sent",
    DeliveryState.RELAYED: "relayed",
    DeliveryState.EXPANDED: "relayed",
    DeliveryState.DELAYED: "delayed",
    DeliveryState.DELIVERED: "delivered",
    DeliveryState.FAILED: "failed",
    DeliveryState.UNCERTAIN: "uncertain",
}
_OUTBOX_ICON = {
    OutboxState.QUEUED: "queued",
    OutboxState.SENDING: "sent",
    OutboxState.DEFERRED: "delayed",
    OutboxState.SENT: "sent",
    OutboxState.FAILED: "failed",
    OutboxState.UNCERTAIN: "uncertain",
}
_PROBLEM_KINDS = frozenset({SummaryKind.FAILED, SummaryKind.UNCERTAIN})

_icons: dict[str, QIcon] = {}


def _tr(text: str) -> str:
    return QCoreApplication.translate("Delivery", text)


def delivery_icon(name: str) -> QIcon:
    """One of the delivery icons by name (queued, sent, relayed, delivered, delayed, failed,
    read, uncertain), loaded once. `uncertain` has no drawing of its own: a question mark."""
    icon = _icons.get(name)
    if icon is None:
        if name in DELIVERY_ICONS:
            icon = QIcon(str(image(DELIVERY_ICONS[name])))
        else:
            icon = themed_icon(("dialog-question",), QStyle.StandardPixmap.SP_MessageBoxQuestion)
        _icons[name] = icon
    return icon


def summary_icon(kind: SummaryKind) -> QIcon:
    return delivery_icon(_SUMMARY_ICON[kind])


def state_icon(state: DeliveryState) -> QIcon:
    return delivery_icon(_STATE_ICON[state])


def outbox_icon(state: OutboxState) -> QIcon:
    return delivery_icon(_OUTBOX_ICON[state])


def state_word(state: DeliveryState) -> str:
    """The word a person reads for one recipient's delivery state."""
    words = {
        DeliveryState.QUEUED: _tr("Queued"),
        DeliveryState.SENDING: _tr("Sending"),
        DeliveryState.DEFERRED: _tr("Deferred"),
        DeliveryState.ACCEPTED: _tr("Sent to server"),
        DeliveryState.RELAYED: _tr("Relayed"),
        DeliveryState.EXPANDED: _tr("Expanded"),
        DeliveryState.DELAYED: _tr("Delayed"),
        DeliveryState.DELIVERED: _tr("Delivered"),
        DeliveryState.FAILED: _tr("Failed"),
        DeliveryState.UNCERTAIN: _tr("Uncertain"),
    }
    return words[state]


def read_word(state: ReadState) -> str:
    """A read receipt in words ("" for none); never a delivery state."""
    words = {
        ReadState.NONE: "",
        ReadState.FAILED: _tr("Receipt failed"),
        ReadState.DENIED: _tr("Receipt declined"),
        ReadState.PROCESSED: _tr("Processed unread"),
        ReadState.DISPATCHED: _tr("Forwarded unread"),
        ReadState.DELETED: _tr("Deleted unread"),
        ReadState.DISPLAYED: _tr("Read"),
    }
    return words[state]


def outbox_word(state: OutboxState) -> str:
    words = {
        OutboxState.QUEUED: _tr("Queued"),
        OutboxState.SENDING: _tr("Sending"),
        OutboxState.DEFERRED: _tr("Deferred"),
        OutboxState.SENT: _tr("Sent to server"),
        OutboxState.FAILED: _tr("Failed"),
        OutboxState.UNCERTAIN: _tr("Uncertain"),
    }
    return words[state]


def summary_label(summary: MessageDeliverySummary) -> str:
    """`summary.label` ("Delivered 3/3", "Failed 1/3") in the window's language."""
    counted = {
        SummaryKind.FAILED: (_tr("Failed %1/%2"), summary.count(DeliveryState.FAILED)),
        SummaryKind.DELIVERED: (_tr("Delivered %1/%2"), summary.count(DeliveryState.DELIVERED)),
        SummaryKind.PARTLY_DELIVERED: (
            _tr("Delivered %1/%2"),
            summary.count(DeliveryState.DELIVERED),
        ),
        SummaryKind.READ: (_tr("Read %1/%2"), summary.read_count),
    }
    if summary.kind in counted and not (
        summary.kind is SummaryKind.READ and summary.read_count == summary.total
    ):
        words, count = counted[summary.kind]
        return words.replace("%1", str(count)).replace("%2", str(summary.total))
    plain = {
        SummaryKind.QUEUED: _tr("Queued"),
        SummaryKind.SENDING: _tr("Sending"),
        SummaryKind.DEFERRED: _tr("Deferred"),
        SummaryKind.UNCERTAIN: _tr("Uncertain"),
        SummaryKind.ACCEPTED: _tr("Sent to server"),
        SummaryKind.RELAYED: _tr("Relayed"),
        SummaryKind.DELAYED: _tr("Delayed"),
        SummaryKind.READ: _tr("Read"),
    }
    return plain.get(summary.kind, summary.label)


def recipients_tooltip(summary: MessageDeliverySummary) -> str:
    """One line per recipient: "bob@example.org: Delivered, Read"."""
    lines = [_tr("Delivery per recipient:")]
    for address, state, read in summary.recipients:
        words = state_word(state)
        if read is not ReadState.NONE:
            words += ", " + read_word(read)
        lines.append(f"{address}: {words}")
    if summary.reports_unavailable:
        lines.append(_tr("The server gives no delivery reports for this message."))
    return "\n".join(lines)


def problem_colour() -> QColor:
    """A red that reads on the current palette (light or dark); only ever beside a word."""
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    return QColor(255, 110, 100) if base.lightness() < 128 else QColor(176, 0, 0)


def delivery_data(summary: MessageDeliverySummary | None, role: int) -> object:
    """The Delivery cell for `role` (Display, Decoration, ToolTip, Accessible text,
    Foreground, DELIVERY_KIND_ROLE); None for other roles or when nothing is known."""
    if summary is None:
        return None
    if role == Qt.ItemDataRole.DisplayRole:
        return summary_label(summary)
    if role == Qt.ItemDataRole.DecorationRole:
        return summary_icon(summary.kind)
    if role == Qt.ItemDataRole.ToolTipRole:
        return recipients_tooltip(summary)
    if role == Qt.ItemDataRole.AccessibleTextRole:
        return _tr("Delivery: %1").replace("%1", summary_label(summary))
    if role == Qt.ItemDataRole.ForegroundRole and summary.kind in _PROBLEM_KINDS:
        return problem_colour()
    if role == DELIVERY_KIND_ROLE:
        return str(summary.kind)
    return None


UNTRACKED_KIND = "untracked"  # DELIVERY_KIND_ROLE of a message mailapp did not send


def untracked_word() -> str:
    return _tr("Not tracked")


def untracked_explanation() -> str:
    return _tr(
        "Sent by another program (a phone, webmail): mailapp has no per-recipient delivery "
        "tracking for this message."
    )


def untracked_data(role: int) -> object:
    """The Delivery cell of a Sent folder message mailapp did not send: a muted word and why,
    never an eternal "pending"."""
    if role == Qt.ItemDataRole.DisplayRole:
        return untracked_word()
    if role == Qt.ItemDataRole.ToolTipRole:
        return untracked_explanation()
    if role == Qt.ItemDataRole.AccessibleTextRole:
        return _tr("Delivery: %1").replace("%1", untracked_word())
    if role == Qt.ItemDataRole.DecorationRole:
        return _blank_icon()  # the word lines up with the others' words
    if role == Qt.ItemDataRole.ForegroundRole:
        # Muted, yet readable (the disabled colour is too faint on a white list).
        return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
    if role == DELIVERY_KIND_ROLE:
        return UNTRACKED_KIND
    return None


def _blank_icon() -> QIcon:
    icon = _icons.get("")
    if icon is None:
        pixmap = QPixmap(16, 16)
        pixmap.fill(Qt.GlobalColor.transparent)
        icon = _icons[""] = QIcon(pixmap)
    return icon
