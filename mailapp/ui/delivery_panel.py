"""The Delivery panel shown above a sent message: one row per recipient with what became of it.

Each row reads as one line: icon, address, and the evidence ("Delivered by mx.example.org at
10:32, 2.0.0"); a read receipt sits beside it with its own eye icon, never in place of the
delivery state. A failed row says what to do next in plain words, chosen by the status code.
"Details" unfolds the full timeline (time, source, status, diagnostic, reporting host) with
the original report one click away (`report_requested`). When the server gives no delivery
reports the panel says so once, instead of leaving everyone at an eternal "pending".

Pure text helpers (`advice_for`, `evidence_line`, `format_time`) are module functions so they
can be tested without a window. Imports: Qt, core.delivery, engine.api (types) and ui.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.delivery import (
    DeliveryEvent,
    DeliveryState,
    EventSource,
    OutboxState,
    ReadState,
    RecipientKind,
    RecipientStatus,
    SummaryKind,
)
from mailapp.engine.api import DeliveryStatus
from mailapp.ui.delivery_column import (
    delivery_icon,
    problem_colour,
    read_word,
    state_icon,
    state_word,
    summary_icon,
    summary_label,
    untracked_explanation,
    untracked_word,
)

ICON_SIZE = 16


def _tr(text: str) -> str:
    return QCoreApplication.translate("DeliveryPanel", text)


# -- words --------------------------------------------------------------------------------


def format_time(moment: datetime | None, now: datetime | None = None) -> str:
    """Local time, short: "10:32" today, "3 Mar 10:32" this year, else "2025-03-03 10:32"."""
    if moment is None:
        return ""
    local = moment.astimezone()
    today = (now or datetime.now().astimezone()).astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return f"{local.day} {local.strftime('%b %H:%M')}"
    return local.strftime("%Y-%m-%d %H:%M")


def advice_for(status: str | None, diagnostic: str | None = None, *, delayed: bool = False) -> str:
    """What to do about a failure (or, with `delayed`, a delay: the servers still try), in
    plain words, by the enhanced status code (RFC 3463). Always an answer: an unknown code
    gets a general sentence."""
    code = (status or "").strip()
    klass, _, rest = code.partition(".")
    subject = rest.split(".")[0] if rest else ""
    text = (diagnostic or "").lower()
    if delayed:
        if code == "4.2.2":
            return _tr(
                "The recipient's mailbox is full (4.2.2). Nothing to do yet: the mail servers "
                "keep trying, and you are told if they give up."
            )
        return _tr(
            "The recipient's mail server has not taken it yet (%1). Nothing to do yet: the "
            "mail servers keep trying for a few days, and you are told if they give up."
        ).replace("%1", code or _tr("no status"))
    specific = {
        "5.1.1": _tr("The address does not exist (5.1.1). Check the spelling."),
        "5.1.0": _tr("The address was not accepted (5.1.0). Check the spelling."),
        "5.1.2": _tr(
            "The recipient's domain does not exist or takes no mail (5.1.2). "
            "Check the part after the @."
        ),
        "5.1.3": _tr("The address is not valid (5.1.3). Check how it is written."),
        "5.1.6": _tr("The mailbox has moved (5.1.6). Ask the recipient for their new address."),
        "5.1.10": _tr("The address has no mailbox behind it (5.1.10). Check the spelling."),
        "5.2.1": _tr(
            "The mailbox is disabled and accepts no mail (5.2.1). Reach the recipient another way."
        ),
        "5.2.2": _tr(
            "The recipient's mailbox is full (5.2.2). Try again later, or reach them another way."
        ),
        "4.2.2": _tr("The recipient's mailbox is full (4.2.2). The server keeps trying."),
        "5.2.3": _tr(
            "The message is too big for the recipient's server (5.2.3). Send smaller "
            "attachments, or a link instead."
        ),
        "5.3.4": _tr(
            "The message is too big for the receiving system (5.3.4). Send smaller "
            "attachments, or a link instead."
        ),
        "5.4.4": _tr(
            "The recipient's domain has no mail server (5.4.4). Check the part after the @."
        ),
    }
    if code in specific:
        return specific[code]
    if (klass in ("4", "5") and subject == "4") or "expired" in text or "too long" in text:
        return _tr(
            "The receiving server could not be reached for a long time (%1). Check the part "
            "after the @; if it is right, the recipient's mail system is down: try again "
            "later."
        ).replace("%1", code or _tr("expired"))
    if klass == "5" and subject == "7":
        return _tr(
            "The receiving server refused the message by policy (%1): a spam filter, a "
            "sender it does not allow, or missing authentication. Sending it again as it is "
            "will not help; ask the recipient or your provider."
        ).replace("%1", code)
    if klass == "5" and subject == "2":
        return _tr(
            "The recipient's mailbox cannot take the message (%1). Reach them another way."
        ).replace("%1", code)
    if klass == "5" and subject == "1":
        return _tr("The address was refused (%1). Check the spelling.").replace("%1", code)
    if klass == "5" and subject == "6":
        return _tr(
            "The receiving server could not handle the message's content (%1). Try "
            "without attachments or formatting."
        ).replace("%1", code)
    if klass == "4":
        return _tr("A temporary problem (%1); the mail servers keep trying.").replace("%1", code)
    if code:
        return _tr(
            "The receiving server refused the message (%1). Its own words are below."
        ).replace("%1", code)
    return _tr("The message could not be delivered. The server's own words are below.")


def delivery_event(recipient: RecipientStatus) -> DeliveryEvent | None:
    """The newest evidence about delivery that set the state (a read receipt is not one)."""
    for event in reversed(recipient.events):
        if event.applied and event.state is not None and event.source is not EventSource.MDN:
            return event
    return None


def _host_of(event: DeliveryEvent | None, recipient: RecipientStatus) -> str:
    host = (event.reporting_host if event is not None else None) or recipient.reporting_host
    return host or ""


def evidence_line(recipient: RecipientStatus, status: DeliveryStatus | None = None) -> str:
    """The row's one line of evidence: state, who says so, when, and the status code."""
    event = delivery_event(recipient)
    when = format_time(event.time if event is not None else recipient.updated_at)
    host = _host_of(event, recipient)
    code = recipient.status or (event.status if event is not None else None) or ""
    entry = status.entry if status is not None else None
    state = recipient.state
    if state is DeliveryState.DELIVERED:
        text = _tr("Delivered")
        if host:
            text += " " + _tr("by %1").replace("%1", host)
        text += " " + _tr("at %1").replace("%1", when)
        return f"{text}, {code}" if code else text
    if state is DeliveryState.FAILED:
        text = _tr("Failed at %1").replace("%1", when)
        if host:
            text += ", " + _tr("reported by %1").replace("%1", host)
        return f"{text}, {code}" if code else text
    if state is DeliveryState.DELAYED:
        text = _tr("Delayed at %1").replace("%1", when)
        if code:
            text += f", {code}"
        return text + "; " + _tr("the mail servers keep trying")
    if state is DeliveryState.RELAYED:
        text = _tr("Relayed")
        if host:
            text += " " + _tr("by %1").replace("%1", host)
        return text + " " + _tr("at %1 to a system that sends no reports").replace("%1", when)
    if state is DeliveryState.EXPANDED:
        return _tr("Passed on at %1 by an alias or mailing list").replace("%1", when)
    if state is DeliveryState.ACCEPTED:
        text = _tr("Sent to server")
        if host:
            text += " " + host
        text += " " + _tr("at %1").replace("%1", when)
        if entry is not None and entry.request_dsn and entry.dsn_offered:
            text += "; " + _tr("waiting for a delivery report")
        return text
    if state is DeliveryState.UNCERTAIN:
        return _tr(
            "The connection broke before the server confirmed: it may or may not have been sent"
        )
    if state is DeliveryState.DEFERRED:
        text = _tr("Not sent yet")
        if entry is not None and entry.next_attempt_at is not None:
            text += "; " + _tr("next try at %1").replace("%1", format_time(entry.next_attempt_at))
        return text
    if state is DeliveryState.SENDING:
        return _tr("Being sent now")
    return _tr("Queued at %1, waiting to be sent").replace("%1", when)


def source_word(source: EventSource) -> str:
    words = {
        EventSource.SMTP: _tr("SMTP reply"),
        EventSource.DSN: _tr("Delivery report (DSN)"),
        EventSource.MDN: _tr("Read receipt (MDN)"),
        EventSource.BOUNCE: _tr("Bounce"),
        EventSource.USER: _tr("You"),
        EventSource.SYSTEM: _tr("mailapp"),
    }
    return words[source]


def event_status_text(event: DeliveryEvent) -> str:
    parts: list[str] = []
    if event.state is not None:
        parts.append(state_word(event.state))
    if event.read_state is not None and event.read_state is not ReadState.NONE:
        parts.append(read_word(event.read_state))
    if event.status:
        parts.append(event.status)
    elif event.reply_code:
        parts.append(str(event.reply_code))
    text = " · ".join(parts)
    if not event.applied:
        text += " " + _tr("(older news)")
    return text


def panel_notes(status: DeliveryStatus) -> list[str]:
    """What the panel says once, above the rows (no reports, uncertain, waiting)."""
    entry = status.entry
    notes: list[str] = []
    if status.summary.reports_unavailable:
        host = entry.smtp_host or _tr("your outgoing server")
        notes.append(
            _tr(
                "%1 gives no delivery reports: mailapp knows the server took the message, "
                "but not whether it arrived."
            ).replace("%1", host)
        )
    elif not entry.request_dsn and entry.state is OutboxState.SENT:
        notes.append(
            _tr(
                "No delivery reports were asked for with this message: the states stop at "
                "“Sent to server”."
            )
        )
    if entry.state is OutboxState.UNCERTAIN:
        notes.append(
            _tr(
                "mailapp lost the connection right after handing the message over, so it "
                "may already have arrived. It is never sent again on its own: use the Outbox "
                "to send it again if you want."
            )
        )
    elif entry.state in (OutboxState.DEFERRED, OutboxState.FAILED) and entry.last_error:
        notes.append(entry.last_error)
    return notes


# -- widgets -------------------------------------------------------------------------------


class RecipientRow(QFrame):
    """One recipient: a line of evidence, read receipt beside it, a foldable timeline."""

    report_requested = Signal(str)
    expanded_changed = Signal(bool)

    def __init__(
        self, recipient: RecipientStatus, status: DeliveryStatus, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("deliveryRow")
        self.recipient = recipient
        self.address = recipient.address
        line = evidence_line(recipient, status)
        self.evidence = line

        self.icon = QLabel(self)
        self.icon.setPixmap(state_icon(recipient.state).pixmap(QSize(ICON_SIZE, ICON_SIZE)))
        self.icon.setAccessibleName(state_word(recipient.state))
        self.icon.setToolTip(state_word(recipient.state))
        kind = "" if recipient.kind is RecipientKind.TO else f" ({recipient.kind.value.upper()})"
        self.address_label = QLabel(recipient.address + kind, self)
        self.address_label.setObjectName("deliveryAddress")
        bold = QFont(self.address_label.font())
        bold.setBold(True)
        self.address_label.setFont(bold)
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.line = QLabel(line, self)
        self.line.setObjectName("deliveryEvidence")
        self.line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.line.setToolTip(line)
        self.line.setAccessibleName(f"{recipient.address}: {line}")

        self.read = QLabel(self)
        self.read.setObjectName("deliveryRead")
        self.read_icon = QLabel(self)
        read = read_word(recipient.read_state)
        if read:
            read_event = next(
                (e for e in reversed(recipient.events) if e.read_state is not None), None
            )
            when = format_time(read_event.time) if read_event is not None else ""
            shown = f"{read} {when}".strip()
            self.read.setText(shown)
            self.read.setAccessibleName(_tr("Read receipt: %1").replace("%1", shown))
            self.read.setToolTip(
                _tr("A read receipt (MDN) from the recipient's program; separate from delivery.")
            )
            if recipient.read_state is ReadState.DISPLAYED:
                self.read_icon.setPixmap(delivery_icon("read").pixmap(QSize(ICON_SIZE, ICON_SIZE)))
        self.read.setVisible(bool(read))
        self.read_icon.setVisible(recipient.read_state is ReadState.DISPLAYED)

        self.toggle = QToolButton(self)
        self.toggle.setObjectName("deliveryDetailsToggle")
        self.toggle.setText(_tr("Details"))
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAccessibleName(_tr("Timeline for %1").replace("%1", recipient.address))
        self.toggle.toggled.connect(self.set_expanded)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.icon)
        top.addWidget(self.address_label)
        top.addWidget(self.line, 1)
        top.addWidget(self.read_icon)
        top.addWidget(self.read)
        top.addWidget(self.toggle)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(top)

        self.advice = QLabel(self)
        self.advice.setObjectName("deliveryAdvice")
        self.advice.setWordWrap(True)
        self.diagnostic = QLabel(self)
        self.diagnostic.setObjectName("deliveryDiagnostic")
        self.diagnostic.setWordWrap(True)
        self.diagnostic.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        shows_words = recipient.state in (DeliveryState.FAILED, DeliveryState.DELAYED)
        if recipient.state is DeliveryState.FAILED or (
            recipient.state is DeliveryState.DELAYED and recipient.status
        ):
            advice = advice_for(
                recipient.status,
                recipient.diagnostic,
                delayed=recipient.state is DeliveryState.DELAYED,
            )
            self.advice.setText(advice)
            self.advice.setAccessibleName(advice)
            if recipient.state is DeliveryState.FAILED:
                palette = self.advice.palette()
                palette.setColor(self.advice.foregroundRole(), problem_colour())
                self.advice.setPalette(palette)
        if shows_words and recipient.diagnostic:
            said = _tr("The server said: %1").replace("%1", recipient.diagnostic)
            self.diagnostic.setText(said)
            self.diagnostic.setAccessibleName(said)
        for label in (self.advice, self.diagnostic):
            label.setContentsMargins(ICON_SIZE + 6, 0, 0, 0)
            label.setVisible(bool(label.text()))
            layout.addWidget(label)

        self.timeline = QTreeWidget(self)
        self.timeline.setObjectName("deliveryTimeline")
        self.timeline.setAccessibleName(_tr("Timeline for %1").replace("%1", recipient.address))
        self.timeline.setRootIsDecorated(False)
        self.timeline.setUniformRowHeights(True)
        self.timeline.setHeaderLabels(
            [_tr("Time"), _tr("Source"), _tr("Status"), _tr("Diagnostic"), _tr("Reported by")]
        )
        for event in reversed(recipient.events):  # newest first
            item = QTreeWidgetItem(
                [
                    format_time(event.time),
                    source_word(event.source),
                    event_status_text(event),
                    event.diagnostic or "",
                    event.reporting_host or "",
                ]
            )
            item.setToolTip(0, event.time.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))
            item.setToolTip(3, event.diagnostic or "")
            item.setData(0, Qt.ItemDataRole.UserRole, event.report_ref)
            self.timeline.addTopLevelItem(item)
        for column in (0, 1, 2):
            self.timeline.resizeColumnToContents(column)
        self.timeline.setColumnWidth(3, 320)
        rows = max(1, min(len(recipient.events), 6))
        self.timeline.setFixedHeight(
            self.timeline.header().sizeHint().height()
            + rows * max(self.timeline.sizeHintForRow(0), 18)
            + 6
        )
        self.timeline.itemDoubleClicked.connect(self._open_item_report)
        self.report_button = QPushButton(_tr("View original report…"), self)
        self.report_button.setObjectName("deliveryReportButton")
        self.report_button.setAccessibleName(
            _tr("View the original report for %1").replace("%1", recipient.address)
        )
        self.report_button.clicked.connect(self.open_report)
        self.report_ref = next(
            (e.report_ref for e in reversed(recipient.events) if e.report_ref), None
        )
        self.report_button.setEnabled(self.report_ref is not None)
        if self.report_ref is None:
            self.report_button.setToolTip(_tr("No report came for this recipient yet."))
        self.details = QWidget(self)
        details_layout = QVBoxLayout(self.details)
        details_layout.setContentsMargins(ICON_SIZE + 6, 2, 0, 4)
        details_layout.addWidget(self.timeline)
        buttons = QHBoxLayout()
        buttons.addWidget(self.report_button)
        buttons.addStretch(1)
        details_layout.addLayout(buttons)
        layout.addWidget(self.details)
        self.details.setVisible(False)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)  # comes back here through toggled
            return
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.details.setVisible(expanded)
        self.expanded_changed.emit(expanded)

    def timeline_rows(self) -> list[str]:
        """The timeline as text, newest first, for tests and screen readers alike."""
        rows = []
        for i in range(self.timeline.topLevelItemCount()):
            item = self.timeline.topLevelItem(i)
            if item is not None:
                rows.append(" | ".join(item.text(c) for c in range(5)))
        return rows

    def open_report(self) -> None:
        if self.report_ref:
            self.report_requested.emit(self.report_ref)

    def _open_item_report(self, item: QTreeWidgetItem, _column: int) -> None:
        ref = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(ref, str) and ref:
            self.report_requested.emit(ref)


class DeliveryPanel(QFrame):
    """What became of one sent message, per recipient. `set_status(None)` empties it."""

    report_requested = Signal(str)
    resized = Signal()  # a row was unfolded or folded: the panel wants another height

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deliveryPanel")
        self.setAccessibleName(_tr("Delivery"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.status: DeliveryStatus | None = None
        self.rows: list[RecipientRow] = []

        self.title_icon = QLabel(self)
        self.title = QLabel(self)
        self.title.setObjectName("deliveryTitle")
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("deliverySubtitle")
        self.subtitle.setEnabled(False)  # muted
        self.subtitle.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title_icon)
        head.addWidget(self.title)
        head.addWidget(self.subtitle, 1)

        self.notes = QLabel(self)
        self.notes.setObjectName("deliveryNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.rows_box = QVBoxLayout()
        self.rows_box.setContentsMargins(0, 0, 0, 0)
        self.rows_box.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.notes)
        layout.addLayout(self.rows_box)
        layout.addStretch(1)  # spare height below the rows, not between them
        self.set_status(None)

    def row(self, address: str) -> RecipientRow:
        for row in self.rows:
            if row.address.casefold() == address.casefold():
                return row
        raise KeyError(address)

    def set_status(self, status: DeliveryStatus | None) -> None:
        expanded = {row.address for row in self.rows if row.expanded}
        for row in self.rows:
            self.rows_box.removeWidget(row)
            row.deleteLater()
        self.rows = []
        self.status = status
        if status is None:
            self.title.setText(_tr("Delivery"))
            self.title_icon.clear()
            self.subtitle.clear()
            self.notes.hide()
            self.setVisible(False)
            return
        summary = status.summary
        entry = status.entry
        self.title_icon.setPixmap(summary_icon(summary.kind).pixmap(QSize(ICON_SIZE, ICON_SIZE)))
        self.title.setText(_tr("Delivery: %1").replace("%1", summary_label(summary)))
        self.setAccessibleName(_tr("Delivery: %1").replace("%1", summary_label(summary)))
        sub = []
        if entry.sent_at is not None:
            sub.append(_tr("sent %1").replace("%1", format_time(entry.sent_at)))
        if entry.smtp_host:
            sub.append(_tr("via %1").replace("%1", entry.smtp_host))
        self.subtitle.setText(" · ".join(sub))
        notes = panel_notes(status)
        self.notes.setText("\n".join(notes))
        self.notes.setAccessibleName(" ".join(notes))
        self.notes.setVisible(bool(notes))
        if summary.kind is SummaryKind.FAILED:
            self.title_icon.setToolTip(_tr("At least one recipient did not get the message."))
        for recipient in status.recipients:
            row = RecipientRow(recipient, status, self)
            row.report_requested.connect(self.report_requested)
            row.expanded_changed.connect(self.resized)
            if recipient.address in expanded:
                row.set_expanded(True)
            self.rows_box.addWidget(row)
            self.rows.append(row)
        self.setVisible(True)

    def set_untracked(self) -> None:
        """A message of the Sent folder that another program sent: said once, plainly."""
        self.set_status(None)
        self.title.setText(_tr("Delivery: %1").replace("%1", untracked_word()))
        self.setAccessibleName(self.title.text())
        self.notes.setText(untracked_explanation())
        self.notes.setAccessibleName(untracked_explanation())
        self.notes.setVisible(True)
        self.setVisible(True)


class ReportViewer(QDialog):
    """The original report as it arrived (headers and all), read-only, non-modal."""

    def __init__(self, raw: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deliveryReportViewer")
        self.setWindowTitle(_tr("Original delivery report"))
        self.setAccessibleName(_tr("Original delivery report"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("deliveryReportText")
        self.text.setAccessibleName(_tr("Report text"))
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(raw.decode("utf-8", errors="replace"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogCloseButton))
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(720, 520)
