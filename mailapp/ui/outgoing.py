"""Messages on their way out, in the main window's status bar: "Sending… [Undo]", then what
the server said.

A composer hands its message over and closes; this object, which lives as long as the main
window, stores it in the outbox at once (nothing is lost from there on) but due only
`undo_seconds` later (Engine.send_after), so no outbox worker may take it before. During that
window Undo deletes it from the outbox again (nothing was sent) and reopens it in a composer.
Afterwards it runs the outbox for the account and shows the outcome: "Sent to server",
"Waiting to send: <reason>" or "Failed: <reason>". Failures also go to the window's
information bar (`problem`).
Imports: Qt, core and engine.api.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

from mailapp.core.delivery import DeliveryState, OutboxState
from mailapp.core.draft import Draft
from mailapp.core.errors import MailAppError, OutboxError
from mailapp.engine.api import DraftRef, Engine, SendProgress, SendStage

log = logging.getLogger("mailapp.ui")

UNDO_SECONDS = 5.0
OUTCOME_SECONDS = 10.0
POLL_SECONDS = 0.5
WAIT_FOR_OTHERS_SECONDS = 120.0
_UNDECIDED = (OutboxState.QUEUED, OutboxState.SENDING)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What a composer hands over when Send is pressed."""

    account: str
    draft: Draft
    request_dsn: bool
    draft_ref: DraftRef | None = None  # the saved draft it was; removed once queued


@dataclass(frozen=True, slots=True)
class SendOutcome:
    message: OutgoingMessage
    message_id: str | None
    state: OutboxState | None  # None: never reached the outbox, or undone
    text: str
    undone: bool = False


class SendStatus(QWidget):
    """The status-bar piece: a line of text and, during the undo window, an Undo button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sendStatus")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.label = QLabel(self)
        self.label.setObjectName("sendStatusText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = QPushButton(self.tr("&Undo"), self)
        self.undo_button.setObjectName("sendStatusUndo")
        self.undo_button.setAccessibleName(self.tr("Undo sending"))
        self.undo_button.setToolTip(self.tr("Take the message back out of the outbox"))
        self.undo_button.setFlat(True)
        self.undo_button.setVisible(False)
        layout.addWidget(self.label)
        layout.addWidget(self.undo_button)
        self.setVisible(False)

    def show_text(self, text: str, *, undo: bool = False) -> None:
        self.label.setText(text)
        self.setAccessibleName(text)
        self.undo_button.setVisible(undo)
        self.setVisible(True)


class OutgoingMail(QObject):
    """Sends what composers hand over, with Undo and the outcome in the status bar."""

    problem = Signal(str, str)  # text, details: for the information bar
    reopen_requested = Signal(object)  # OutgoingMessage: undone, or refused by the outbox
    finished = Signal(object)  # SendOutcome

    def __init__(self, engine: Engine, status_bar: QStatusBar, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = engine
        self.undo_seconds = UNDO_SECONDS
        self.status = SendStatus(status_bar)
        status_bar.addWidget(self.status)
        self.status.undo_button.clicked.connect(self.undo_latest)
        self.tasks: set[asyncio.Task[Any]] = set()
        self._undo_events: list[asyncio.Event] = []
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(lambda: self.status.setVisible(False))

    # -- the public part -----------------------------------------------------------------

    def send(self, message: OutgoingMessage) -> None:
        """Queue `message` and send it after the undo window (returns at once)."""
        self._start(self._run(message))

    def undo_latest(self) -> None:
        """Undo the newest message still in its undo window."""
        if self._undo_events:
            self._undo_events[-1].set()

    @property
    def busy(self) -> bool:
        return any(not t.done() for t in self.tasks)

    async def wait_idle(self) -> None:
        """Until every message handed over has its outcome (tests, closing the window)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    # -- the work ------------------------------------------------------------------------

    def _start(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        task = loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            # A defect of ours: the loop's handler logs it and the error hook shows it.
            task.get_loop().call_exception_handler(
                {"message": "Sending a message failed", "exception": exc, "task": task}
            )

    def _say(self, text: str, *, undo: bool = False, linger: bool = False) -> None:
        self._hide_timer.stop()
        self.status.show_text(text, undo=undo)
        if linger:
            self._hide_timer.start(int(OUTCOME_SECONDS * 1000))

    def _subject(self, message: OutgoingMessage) -> str:
        subject = message.draft.subject.strip() or self.tr("(no subject)")
        if len(subject) > 48:
            subject = subject[:47] + "…"
        return f"“{subject}”"

    async def _run(self, message: OutgoingMessage) -> None:
        subject = self._subject(message)
        self._say(self.tr("Sending %1…").replace("%1", subject))
        try:
            result = await self.engine.send_after(
                message.account,
                message.draft,
                delay=self.undo_seconds,
                request_dsn=message.request_dsn,
            )
        except MailAppError as exc:
            text = self.tr("Not sent: %1").replace("%1", exc.message)
            self._say(text, linger=True)
            self.problem.emit(
                self.tr("The message %1 could not be put in the outbox: %2")
                .replace("%1", subject)
                .replace("%2", exc.message),
                exc.hint or "",
            )
            self.reopen_requested.emit(message)
            self.finished.emit(SendOutcome(message, None, None, text))
            return
        if message.draft_ref is not None:
            await self._forget_draft(message.draft_ref)

        undo = asyncio.Event()
        self._undo_events.append(undo)
        self._say(self.tr("Sending %1…").replace("%1", subject), undo=True)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(undo.wait(), timeout=self.undo_seconds)
        finally:
            self._undo_events.remove(undo)
        if undo.is_set():
            try:
                removed = await self.engine.delete_outbox(result.outbox_id)
            except OutboxError:
                removed = False
            if removed:
                text = self.tr("Sending %1 undone; it is open again.").replace("%1", subject)
                self._say(text, linger=True)
                self.reopen_requested.emit(message)
                self.finished.emit(SendOutcome(message, result.message_id, None, text, True))
                return
            self._say(self.tr("Too late to undo: the message is being sent."))
        else:
            self._say(self.tr("Sending %1…").replace("%1", subject))

        def progress(step: SendProgress) -> None:
            if step.outbox_id != result.outbox_id:
                return
            if step.stage is SendStage.CONNECTING:
                self._say(self.tr("Sending %1: connecting…").replace("%1", subject))
            elif step.stage is SendStage.UPLOADING and step.total:
                percent = min(100, step.done * 100 // step.total)
                self._say(
                    self.tr("Sending %1: %2%").replace("%1", subject).replace("%2", str(percent))
                )

        try:
            await self.engine.run_outbox_once(message.account, progress=progress)
            status = await self.engine.delivery_status(result.message_id)
            # Another worker (the window's outbox timer, another process) may hold it.
            waited = 0.0
            while status.entry.state in _UNDECIDED and waited < WAIT_FOR_OTHERS_SECONDS:
                await asyncio.sleep(POLL_SECONDS)
                waited += POLL_SECONDS
                status = await self.engine.delivery_status(result.message_id)
        except MailAppError as exc:
            text = self.tr("Waiting to send: %1").replace("%1", exc.message)
            self._say(text, linger=True)
            self.finished.emit(SendOutcome(message, result.message_id, OutboxState.QUEUED, text))
            return
        entry = status.entry
        reason = entry.last_error or entry.last_reply or ""
        if entry.state is OutboxState.SENT:
            refused = [r.address for r in status.recipients if r.state is DeliveryState.FAILED]
            text = self.tr("Sent to server")
            if refused:
                text = self.tr("Sent to server; refused for %1").replace("%1", ", ".join(refused))
                self.problem.emit(
                    self.tr("The server refused %1 for the message %2.")
                    .replace("%1", ", ".join(refused))
                    .replace("%2", subject),
                    reason,
                )
        elif entry.state in (OutboxState.FAILED, OutboxState.UNCERTAIN):
            text = self.tr("Failed: %1").replace("%1", reason or entry.state.value)
            self.problem.emit(
                self.tr("The message %1 was not sent: %2")
                .replace("%1", subject)
                .replace("%2", reason or entry.state.value),
                self.tr("It stays in the Outbox; send it again from there."),
            )
        else:
            text = self.tr("Waiting to send: %1").replace(
                "%1", reason or self.tr("another attempt is under way")
            )
        self._say(text, linger=True)
        self.finished.emit(SendOutcome(message, entry.message_id, entry.state, text))

    async def _forget_draft(self, ref: DraftRef) -> None:
        try:
            await self.engine.delete_draft(ref)
        except MailAppError as exc:
            # The message is safe in the outbox; an old draft copy left behind is a nuisance.
            log.warning("The sent message's draft could not be deleted: %s", exc.message)
