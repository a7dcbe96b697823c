"""The window's background work, on the qasync loop: mail sync, the outbox, and keeping the
Sent and Outbox views current.

- Each account is kept in sync: IMAP accounts are watched (sync, then IDLE on the Inbox, with
  the engine's own reconnects); POP3 accounts are fetched every check interval. Every new
  Inbox message passes the delivery tracker during sync, so reports update sent messages.
- The outbox runs after each send, on a timer, when a deferred message falls due, and when
  an account's connection comes back (deferred messages are woken first).
- The store is polled cheaply (`Engine.delivery_revision`) every few seconds; only when it
  moved are the Sent and Outbox lists reloaded and handed out (`sent_changed`,
  `outbox_changed`). This also catches changes made by `mailapp send` in another process.
- Connection states, progress and problems go out as signals; the window turns them into
  the status bar and one information bar (never a dialog per failure).

Nothing runs until `start()` is called with the qasync loop running. Imports: asyncio, Qt,
core, engine.api and ui.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from mailapp.core.delivery import DeliveryState, OutboxState
from mailapp.core.draft import Draft
from mailapp.core.errors import MailAppError
from mailapp.core.model import Account, IncomingProtocol
from mailapp.engine.api import (
    Engine,
    FolderRole,
    OutboxEntry,
    SendProgress,
    SendResult,
    SendStage,
    SentSummary,
    SyncProgress,
)
from mailapp.ui.delivery_column import summary_label
from mailapp.ui.error_hook import describe
from mailapp.ui.notifications import NoticeKind

log = logging.getLogger("mailapp.ui")

POLL_SECONDS = 3.0  # how often the store is asked whether anything changed
OUTBOX_SECONDS = 60.0  # the outbox runs at least this often
SENT_LIMIT = 200  # sent messages kept in the Sent view
RETRY_SECONDS = (15.0, 30.0, 60.0, 120.0, 300.0)  # after a sync that ended with an error


def _tr(text: str) -> str:
    return QCoreApplication.translate("EngineRunner", text)


class ConnectionState(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    SYNCING = "syncing"
    OFFLINE = "offline"  # the network or the server is away; tried again by itself
    ERROR = "error"  # needs the person (password, certificate): see the information bar


def state_words(state: ConnectionState) -> str:
    words = {
        ConnectionState.CONNECTING: _tr("connecting"),
        ConnectionState.ONLINE: _tr("online"),
        ConnectionState.SYNCING: _tr("syncing"),
        ConnectionState.OFFLINE: _tr("offline"),
        ConnectionState.ERROR: _tr("needs attention"),
    }
    return words[state]


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the last poll saw of one outgoing message (to notice changes)."""

    failed: int
    delayed: int
    state: OutboxState


def _who(entry: OutboxEntry, state: DeliveryState | None = None) -> str:
    """The recipients a notice is about: those in `state` (all of them without one)."""
    chosen = [r for r in entry.recipients if state is None or r.state == state]
    addresses = [r.address for r in chosen or entry.recipients]
    if len(addresses) > 2:
        return f"{addresses[0]}, {addresses[1]}, …"
    return ", ".join(addresses)


def _subject(entry: OutboxEntry) -> str:
    return f"“{entry.subject}”" if entry.subject else _tr("(no subject)")


class EngineRunner(QObject):
    """Background sync, sending and refreshing for one window."""

    sent_changed = Signal(object)  # list[SentSummary], newest first, every account
    outbox_changed = Signal(object)  # list[OutboxEntry], oldest first, every account
    account_state_changed = Signal(str, str, str)  # account, ConnectionState, detail
    task_changed = Signal(str, int, int)  # text ("" when idle), done, total (0: unknown)
    problem = Signal(str, str, object)  # sentence, details, retry callable or None
    problem_solved = Signal(str)  # the account whose problem went away
    notice = Signal(str, str)  # NoticeKind, one line (failed, delayed, new mail)

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.poll_seconds = POLL_SECONDS
        self.outbox_seconds = OUTBOX_SECONDS
        self.sent_limit = SENT_LIMIT
        self.retry_seconds = RETRY_SECONDS
        # False: accounts are synced only on get_mail() (tests that must see a state
        # before the report that follows it arrives).
        self.sync_on_start = True
        self.states: dict[str, ConnectionState] = {}
        self.sent: list[SentSummary] = []
        self.outbox: list[OutboxEntry] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._account_tasks: dict[str, asyncio.Task[None]] = {}
        self._stops: dict[str, asyncio.Event] = {}
        self._refresh = asyncio.Event()
        self._run_outbox = asyncio.Event()
        self._revision: tuple[int, ...] | None = None
        self._seen: dict[int, _Seen] | None = None
        self._unread: dict[str, int] | None = None
        self._problems: dict[str, str] = {}  # account -> sentence shown, to show it once
        self._running = False

    # -- life ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Start everything; call it with the qasync loop running (tasks need it)."""
        if self._running:
            return
        self._running = True
        self._refresh = asyncio.Event()
        self._run_outbox = asyncio.Event()
        self._spawn(self._poll_loop(), "refreshing the delivery views")
        self._spawn(self._outbox_loop(), "running the outbox")
        if self.sync_on_start:
            self.sync_accounts()
        self.refresh_now()
        self.kick_outbox()

    def sync_accounts(self) -> None:
        """Start keeping every configured account in sync (new ones included)."""
        if not self._running:
            return
        try:
            accounts = self.engine.list_accounts()
        except MailAppError as exc:
            self.problem.emit(describe(exc), "", None)
            return
        names = {a.name for a in accounts}
        for name in list(self._account_tasks):
            if name not in names:
                self._stop_account(name)
        for account in accounts:
            task = self._account_tasks.get(account.name)
            if task is None or task.done():
                self._start_account(account)

    def stop(self) -> None:
        """Stop at once (the window is closing): cancel everything, call nothing back."""
        self._running = False
        for stop in self._stops.values():
            stop.set()
        for task in list(self._tasks):
            task.cancel()  # each leaves _tasks when it has ended (see _spawn)
        self._account_tasks.clear()
        self._stops.clear()

    async def aclose(self, timeout: float = 10.0) -> None:
        """Stop politely: watchers leave IDLE and log out, then whatever is left is
        cancelled and awaited (also after stop(), so no task is left pending)."""
        self._running = False
        for stop in self._stops.values():
            stop.set()
        watchers = set(self._account_tasks.values())
        for task in self._tasks - watchers:
            task.cancel()  # the refresh and outbox loops have nothing to finish
        if watchers:
            _done, pending = await asyncio.wait(watchers, timeout=timeout)
            for task in pending:
                task.cancel()
        self.stop()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=2)

    def _spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        loop = asyncio.get_event_loop()
        task = loop.create_task(coro)
        self._tasks.add(task)

        def finished(task: asyncio.Task[Any]) -> None:
            self._tasks.discard(task)
            if task.cancelled():
                return
            exc = task.exception()
            if exc is not None:
                task.get_loop().call_exception_handler(
                    {"message": f"Background work failed: {what}", "exception": exc}
                )

        task.add_done_callback(finished)
        return task

    # -- requests from the window --------------------------------------------------------

    def refresh_now(self) -> None:
        """Reload the Sent and Outbox lists at the next chance, changed or not."""
        self._revision = None
        self._refresh.set()

    def kick_outbox(self) -> None:
        """Run the outbox now (after a send, a retry, or when the network came back)."""
        self._run_outbox.set()

    def get_mail(self, account: str | None = None) -> None:
        """Sync now (Get Mail): restart the account's watch, which begins with a full sync."""
        if not self._running:
            return
        for acc in self.engine.list_accounts():
            if account is None or acc.name == account:
                self._stop_account(acc.name)
                self._start_account(acc)

    async def send(
        self, account: str, draft: Draft, *, request_dsn: bool | None = None
    ) -> SendResult:
        """Store the message in the outbox and let the outbox loop send it; returns at once
        (the Sent view and the Outbox follow the message from here)."""
        result = await self.engine.send(account, draft, request_dsn=request_dsn, wait=False)
        self.kick_outbox()
        self.refresh_now()
        return result

    # -- accounts ------------------------------------------------------------------------

    def _set_state(self, account: str, state: ConnectionState, detail: str = "") -> None:
        if self.states.get(account) is state and not detail:
            return
        came_back = state in (ConnectionState.ONLINE, ConnectionState.SYNCING) and self.states.get(
            account
        ) in (ConnectionState.OFFLINE, ConnectionState.ERROR)
        self.states[account] = state
        self.account_state_changed.emit(account, str(state), detail)
        if came_back:
            if account in self._problems:
                del self._problems[account]
                self.problem_solved.emit(account)
            self._spawn(self._wake_outbox(account), "waking the outbox")

    async def _wake_outbox(self, account: str) -> None:
        await self.engine.sending.wake(account)
        self.kick_outbox()

    def _start_account(self, account: Account) -> None:
        stop = asyncio.Event()
        self._stops[account.name] = stop
        task = self._spawn(self._keep_in_sync(account, stop), f"syncing {account.name}")
        self._account_tasks[account.name] = task

    def _stop_account(self, name: str) -> None:
        stop = self._stops.pop(name, None)
        if stop is not None:
            stop.set()
        task = self._account_tasks.pop(name, None)
        if task is not None:
            task.cancel()

    def _sync_progress(self, account: str) -> Callable[[SyncProgress], None]:
        def progress(step: SyncProgress) -> None:
            if step.phase == "reconnect":
                self._set_state(account, ConnectionState.OFFLINE, _tr("reconnecting"))
                self.task_changed.emit("", 0, 0)
                return
            if step.phase == "done":
                self._set_state(account, ConnectionState.ONLINE)
                self.task_changed.emit("", 0, 0)
                self.refresh_now()
                return
            self._set_state(account, ConnectionState.SYNCING)
            folder = step.folder or account
            if step.total:
                text = _tr("Syncing %1: %2 / %3").replace("%1", folder)
                text = text.replace("%2", f"{step.done:,}").replace("%3", f"{step.total:,}")
            else:
                text = _tr("Syncing %1…").replace("%1", folder)
            self.task_changed.emit(text, step.done, step.total)

        return progress

    async def _keep_in_sync(self, account: Account, stop: asyncio.Event) -> None:
        name = account.name
        failures = 0
        while not stop.is_set():
            self._set_state(name, ConnectionState.CONNECTING)
            try:
                if account.incoming_protocol is IncomingProtocol.IMAP:
                    await self.engine.watch_account(name, stop, self._sync_progress(name))
                else:
                    await self.engine.sync_account(name, self._sync_progress(name))
                    self._set_state(name, ConnectionState.ONLINE)
                    self.refresh_now()
                    failures = 0
                    minutes = max(1, account.options.check_interval_minutes)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), minutes * 60.0)
                    continue
            except MailAppError as exc:
                self.task_changed.emit("", 0, 0)
                needs_person = exc.code.startswith(("auth", "tls", "config", "secret"))
                state = ConnectionState.ERROR if needs_person else ConnectionState.OFFLINE
                self._set_state(name, state, describe(exc))
                self._report(name, exc)
                delay = self.retry_seconds[min(failures, len(self.retry_seconds) - 1)]
                failures += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            failures = 0
        self.task_changed.emit("", 0, 0)

    def _report(self, account: str, exc: MailAppError) -> None:
        """One information bar per distinct problem of an account, with Retry."""
        sentence = _tr("%1: %2").replace("%1", account).replace("%2", describe(exc))
        if self._problems.get(account) == sentence:
            return
        self._problems[account] = sentence
        hint = getattr(exc, "hint", None) or ""
        details = f"{describe(exc)}\n{hint}".strip()
        self.problem.emit(sentence, details, lambda: self.get_mail(account))

    # -- outbox --------------------------------------------------------------------------

    async def _outbox_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._run_outbox.wait(), self._outbox_wait())
            self._run_outbox.clear()
            try:
                report = await self.engine.run_outbox_once(progress=self._send_progress)
            except MailAppError as exc:
                self.task_changed.emit("", 0, 0)
                self.problem.emit(
                    _tr("The outbox could not be sent: %1").replace("%1", describe(exc)),
                    getattr(exc, "hint", None) or "",
                    self.kick_outbox,
                )
                continue
            self.task_changed.emit("", 0, 0)
            if report.attempted:
                self.refresh_now()

    def _outbox_wait(self) -> float:
        """Until the next deferred message falls due (from the last poll), at most the
        outbox interval."""
        wait = self.outbox_seconds
        now = datetime.now().astimezone()
        for entry in self.outbox:
            if entry.state in (OutboxState.QUEUED, OutboxState.DEFERRED) and entry.next_attempt_at:
                wait = min(wait, max(0.5, (entry.next_attempt_at - now).total_seconds() + 0.5))
        return wait

    def _send_progress(self, step: SendProgress) -> None:
        if step.stage is SendStage.FINISHED:
            self.task_changed.emit("", 0, 0)
            self.refresh_now()
            return
        if step.stage is SendStage.UPLOADING and step.total:
            text = _tr("Sending: %1 / %2 KB").replace("%1", f"{step.done // 1024:,}")
            self.task_changed.emit(
                text.replace("%2", f"{max(1, step.total // 1024):,}"), step.done, step.total
            )
            return
        self.task_changed.emit(_tr("Sending…"), 0, 0)

    # -- refreshing ----------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._refresh.wait(), self.poll_seconds)
            self._refresh.clear()
            try:
                await self.poll()
            except MailAppError as exc:
                log.warning("Refreshing the delivery views failed: %s", exc)

    async def poll(self) -> bool:
        """Reload the lists if the store changed; True when it did."""
        revision = self.engine.delivery_revision()
        self._check_new_mail()
        if revision == self._revision:
            return False
        sent = await self.engine.recent_sent(self.sent_limit)
        outbox = await self.engine.outbox_entries()
        self._revision = revision
        self._notice_changes(sent, outbox)
        self.sent, self.outbox = sent, outbox
        self.sent_changed.emit(sent)
        self.outbox_changed.emit(outbox)
        return True

    def _notice_changes(self, sent: list[SentSummary], outbox: list[OutboxEntry]) -> None:
        seen: dict[int, _Seen] = {}
        for item in sent:
            summary = item.summary
            seen[item.entry.id] = _Seen(
                summary.count(DeliveryState.FAILED),
                summary.count(DeliveryState.DELAYED),
                item.entry.state,
            )
        for entry in outbox:
            seen[entry.id] = _Seen(0, 0, entry.state)
        before, self._seen = self._seen, seen
        if before is None:
            return  # the first look: what was already there is no news
        for item in sent:
            now, then = seen[item.entry.id], before.get(item.entry.id)
            label = summary_label(item.summary)
            if now.failed > (then.failed if then else 0):
                who = _who(item.entry, DeliveryState.FAILED)
                line = f"{_subject(item.entry)} → {who}: {label}"
                self.notice.emit(str(NoticeKind.FAILED), line)
            elif now.delayed > (then.delayed if then else 0):
                who = _who(item.entry, DeliveryState.DELAYED)
                line = f"{_subject(item.entry)} → {who}: {label}"
                self.notice.emit(str(NoticeKind.DELAYED), line)
        for entry in outbox:
            then = before.get(entry.id)
            if then is not None and then.state is entry.state:
                continue
            reason = entry.last_error or ""
            if entry.state in (OutboxState.FAILED, OutboxState.UNCERTAIN):
                line = _tr("%1 could not be sent: %2").replace("%1", _subject(entry))
                self.notice.emit(str(NoticeKind.FAILED), line.replace("%2", reason))
            elif entry.state is OutboxState.DEFERRED and (
                then is None or then.state is not OutboxState.DEFERRED
            ):
                line = _tr("%1 is waiting in the Outbox: %2").replace("%1", _subject(entry))
                self.notice.emit(str(NoticeKind.DELAYED), line.replace("%2", reason))

    def expect_unread_change(self, deltas: dict[str, int]) -> None:
        """The person's own action changed Inbox unread counts by these amounts (marked
        unread, moved into the Inbox): move the new-mail baseline along, so it is no news."""
        if self._unread is None:
            return
        for account, delta in deltas.items():
            if delta and account in self._unread:
                self._unread[account] += delta

    def _check_new_mail(self) -> None:
        try:
            rows = self.engine.folder_rows()
        except MailAppError:
            return
        unread: dict[str, int] = {}
        for row in rows:
            if row.role is FolderRole.INBOX:
                unread[row.account] = unread.get(row.account, 0) + row.unread
        before, self._unread = self._unread, unread
        if before is None:
            return
        for account, count in unread.items():
            new = count - before.get(account, count)
            if new > 0:
                text = (
                    _tr("1 new message in %1")
                    if new == 1
                    else _tr("%2 new messages in %1").replace("%2", str(new))
                )
                self.notice.emit(str(NoticeKind.NEW_MAIL), text.replace("%1", account))
