"""Desktop notifications for failed and delayed delivery and for new mail, grouped.

Events arriving within a short window become one notification ("3 delivery problems"), so a
burst of bounces after the network returns is one message, not a storm. The Notifier decides
*what* to say; a presenter decides *where*: `TrayPresenter` puts it in the desktop's
notification area (QSystemTrayIcon), `WindowPresenter` (no notification area) puts delivery
problems in the window's information bar (with a Show button) and new mail in the status
bar. The presenter is injected, so tests (offscreen, no tray) can record what a person
would have been shown. Imports: Qt and ui.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QStatusBar, QSystemTrayIcon, QWidget

from mailapp.ui.icons import app_icon
from mailapp.ui.info_bar import InfoBar, Level

GROUP_MS = 1500  # events closer than this share one notification
NOTICE_MS = 10_000
MAX_LINES = 5  # lines of one notification; the rest is counted


def _tr(text: str) -> str:
    return QCoreApplication.translate("Notifications", text)


class NoticeKind(StrEnum):
    FAILED = "failed"  # a recipient failed, or the outbox gave up / is uncertain
    DELAYED = "delayed"  # a DSN said delayed, or the outbox deferred a message
    NEW_MAIL = "new-mail"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    text: str  # one line: "“Quarterly report” to bob@example.org: Failed 1/3"


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification as a person sees it (several notices grouped)."""

    kind: NoticeKind  # FAILED when any grouped problem failed, else DELAYED; or NEW_MAIL
    title: str  # "Delivery failed", "3 delivery problems", "New mail"
    text: str  # the notices' lines (at most MAX_LINES, then "and N more")
    notices: tuple[Notice, ...]

    @property
    def is_problem(self) -> bool:
        return self.kind is not NoticeKind.NEW_MAIL


class Presenter(Protocol):
    """Where notifications go. `open_requested` is called with "sent" when the person
    clicks one of them (the window then shows its Sent folder)."""

    def present(self, notification: Notification, open_requested: Callable[[], None]) -> None:
        """Show one notification."""

    def close(self) -> None:
        """The window is closing: take down anything shown outside it."""


class TrayPresenter:
    """The desktop's notification area."""

    def __init__(self, parent: QObject | None = None) -> None:
        self.tray = QSystemTrayIcon(app_icon(), parent)
        self.tray.setToolTip("mailapp")
        self.tray.messageClicked.connect(self._clicked)
        self._open: Callable[[], None] | None = None
        self.tray.show()

    def present(self, notification: Notification, open_requested: Callable[[], None]) -> None:
        self._open = open_requested
        if notification.kind is NoticeKind.FAILED:
            icon = QSystemTrayIcon.MessageIcon.Critical
        elif notification.kind is NoticeKind.DELAYED:
            icon = QSystemTrayIcon.MessageIcon.Warning
        else:
            icon = QSystemTrayIcon.MessageIcon.Information
        self.tray.showMessage(notification.title, notification.text, icon, NOTICE_MS)

    def _clicked(self) -> None:
        if self._open is not None:
            self._open()

    def close(self) -> None:
        self.tray.hide()


class WindowPresenter:
    """No notification area: problems in the information bar, new mail in the status bar."""

    def __init__(self, info_bar: InfoBar, status_bar: QStatusBar) -> None:
        self.info_bar = info_bar
        self.status_bar = status_bar

    def present(self, notification: Notification, open_requested: Callable[[], None]) -> None:
        if not notification.is_problem:
            self.status_bar.showMessage(notification.text.replace("\n", "; "), NOTICE_MS)
            return
        notices = notification.notices
        first = notices[0].text
        title = notification.title
        line = f"{title}: {first}" if len(notices) == 1 else f"{title}. {first}; …"
        self.info_bar.show_message(
            line,
            details=notification.text if len(notices) > 1 else None,
            level=Level.ERROR if notification.kind is NoticeKind.FAILED else Level.WARNING,
            action=(_tr("&Show"), open_requested),
        )

    def close(self) -> None:
        return None


def _tray_usable() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()


def group(notices: list[Notice]) -> list[Notification]:
    """What a burst of notices comes to: one notification for the delivery problems, one
    for new mail (either may be missing)."""
    shown: list[Notification] = []
    problems = [n for n in notices if n.kind is not NoticeKind.NEW_MAIL]
    mail = [n for n in notices if n.kind is NoticeKind.NEW_MAIL]
    if problems:
        failed = any(n.kind is NoticeKind.FAILED for n in problems)
        if len(problems) == 1:
            title = _tr("Delivery failed") if failed else _tr("Delivery delayed")
        else:
            title = _tr("%1 delivery problems").replace("%1", str(len(problems)))
        text = "\n".join(n.text for n in problems[:MAX_LINES])
        if len(problems) > MAX_LINES:
            text += "\n" + _tr("and %1 more").replace("%1", str(len(problems) - MAX_LINES))
        kind = NoticeKind.FAILED if failed else NoticeKind.DELAYED
        shown.append(Notification(kind, title, text, tuple(problems)))
    if mail:
        text = "\n".join(n.text for n in mail)
        shown.append(Notification(NoticeKind.NEW_MAIL, _tr("New mail"), text, tuple(mail)))
    return shown


class Notifier(QObject):
    """Collects notices for GROUP_MS and shows them as one, through its presenter."""

    shown = Signal(str, str)  # (title, text) of each notification shown, wherever it went
    show_requested = Signal(str)  # "sent" or "outbox": the person wants to see it

    def __init__(
        self,
        info_bar: InfoBar,
        status_bar: QStatusBar,
        parent: QWidget | None = None,
        *,
        use_tray: bool | None = None,
        group_ms: int = GROUP_MS,
        presenter: Presenter | None = None,
    ) -> None:
        """`presenter` None: the notification area when the desktop has one (or `use_tray`
        says so), else the window's bars."""
        super().__init__(parent)
        self.info_bar = info_bar
        self.status_bar = status_bar
        self.pending: list[Notice] = []
        self.history: list[tuple[str, str]] = []
        if presenter is None:
            tray = use_tray if use_tray is not None else _tray_usable()
            presenter = TrayPresenter(self) if tray else WindowPresenter(info_bar, status_bar)
        self.presenter: Presenter = presenter
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(group_ms)
        self._timer.timeout.connect(self.flush)

    @property
    def tray(self) -> QSystemTrayIcon | None:
        """The notification-area icon, None when notifications go elsewhere."""
        return self.presenter.tray if isinstance(self.presenter, TrayPresenter) else None

    def set_presenter(self, presenter: Presenter) -> None:
        """Show notifications somewhere else from now on (the old presenter is closed)."""
        if presenter is not self.presenter:
            self.presenter.close()
            self.presenter = presenter

    def set_group_ms(self, milliseconds: int) -> None:
        self._timer.setInterval(milliseconds)

    def add(self, kind: NoticeKind, text: str) -> None:
        self.pending.append(Notice(kind, text))
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Show what was collected (one notification for problems, one for new mail)."""
        self._timer.stop()
        notices, self.pending = self.pending, []
        for notification in group(notices):
            self.history.append((notification.title, notification.text))
            self.shown.emit(notification.title, notification.text)
            self.presenter.present(notification, self._show_sent)

    def _show_sent(self) -> None:
        self.show_requested.emit("sent")

    def hide_tray(self) -> None:
        self.presenter.close()


NotifyCallback = Callable[[NoticeKind, str], None]
