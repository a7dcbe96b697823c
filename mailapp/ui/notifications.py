"""Desktop notifications for failed and delayed delivery and for new mail, grouped.

Events arriving within a short window become one notification ("3 delivery problems"), so a
burst of bounces after the network returns is one message, not a storm. Where the desktop
has a notification area (QSystemTrayIcon) they go there; otherwise delivery problems go to
the window's information bar (with a Show button) and new mail to the status bar.
Imports: Qt and ui.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QStatusBar, QSystemTrayIcon, QWidget

from mailapp.ui.icons import app_icon
from mailapp.ui.info_bar import InfoBar, Level

GROUP_MS = 1500  # events closer than this share one notification
NOTICE_MS = 10_000


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


def _tray_usable() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()


class Notifier(QObject):
    """Collects notices for GROUP_MS and shows them as one."""

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
    ) -> None:
        super().__init__(parent)
        self.info_bar = info_bar
        self.status_bar = status_bar
        self.pending: list[Notice] = []
        self.history: list[tuple[str, str]] = []
        self.tray: QSystemTrayIcon | None = None
        if use_tray if use_tray is not None else _tray_usable():
            self.tray = QSystemTrayIcon(app_icon(), self)
            self.tray.setToolTip("mailapp")
            self.tray.messageClicked.connect(self._tray_clicked)
            self.tray.show()
        self._last_target = "sent"
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(group_ms)
        self._timer.timeout.connect(self.flush)

    def add(self, kind: NoticeKind, text: str) -> None:
        self.pending.append(Notice(kind, text))
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Show what was collected (one notification for problems, one for new mail)."""
        self._timer.stop()
        notices, self.pending = self.pending, []
        problems = [n for n in notices if n.kind is not NoticeKind.NEW_MAIL]
        mail = [n for n in notices if n.kind is NoticeKind.NEW_MAIL]
        if problems:
            self._show_problems(problems)
        if mail:
            self._show_mail(mail)

    def _show_problems(self, notices: list[Notice]) -> None:
        failed = [n for n in notices if n.kind is NoticeKind.FAILED]
        if len(notices) == 1:
            title = _tr("Delivery failed") if failed else _tr("Delivery delayed")
        else:
            title = _tr("%1 delivery problems").replace("%1", str(len(notices)))
        text = "\n".join(n.text for n in notices[:5])
        if len(notices) > 5:
            text += "\n" + _tr("and %1 more").replace("%1", str(len(notices) - 5))
        self._last_target = "sent"
        self.history.append((title, text))
        self.shown.emit(title, text)
        if self.tray is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Critical
                if failed
                else QSystemTrayIcon.MessageIcon.Warning
            )
            self.tray.showMessage(title, text, icon, NOTICE_MS)
            return
        first = notices[0].text
        line = f"{title}: {first}" if len(notices) == 1 else f"{title}. {first}; …"
        self.info_bar.show_message(
            line,
            details=text if len(notices) > 1 else None,
            level=Level.ERROR if failed else Level.WARNING,
            action=(_tr("&Show"), self._show_sent),
        )

    def _show_mail(self, notices: list[Notice]) -> None:
        title = _tr("New mail")
        text = "\n".join(n.text for n in notices)
        self.history.append((title, text))
        self.shown.emit(title, text)
        if self.tray is not None:
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, NOTICE_MS)
        else:
            self.status_bar.showMessage(text.replace("\n", "; "), NOTICE_MS)

    def _show_sent(self) -> None:
        self.show_requested.emit("sent")

    def _tray_clicked(self) -> None:
        self.show_requested.emit(self._last_target)

    def hide_tray(self) -> None:
        if self.tray is not None:
            self.tray.hide()


NotifyCallback = Callable[[NoticeKind, str], None]
