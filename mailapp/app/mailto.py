"""`mailto:` links reaching the running window: open a filled composer and raise the window.

Links arrive three ways: on the command line (desktop file `Exec=mailapp %u`, the Windows
registry's "%1"), from a later launch through app.single_instance, and on macOS as a
QFileOpenEvent (Launch Services sends URLs as Apple Events, not as arguments).
Imports: Qt, core, engine.api and ui.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from mailapp.core.errors import InvalidMailtoError
from mailapp.core.mailto import is_mailto, parse_mailto
from mailapp.engine.api import Engine
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.main_window import MainWindow

log = logging.getLogger("mailapp.ui")


class _EarlyLinks(QObject):
    """Keeps macOS open events that arrive before the window exists (a cold start by a click
    on a link delivers the link as soon as the event loop runs) until a router takes them."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        url = _open_event_link(event)
        if url is None:
            return super().eventFilter(watched, event)
        self.links.append(url)
        return True


_early: _EarlyLinks | None = None


def catch_open_events() -> None:
    """Start keeping early open events (call right after the QApplication exists)."""
    global _early  # noqa: PLW0603 - one per process, like the QApplication it watches
    app = QApplication.instance()
    if _early is None and app is not None:
        _early = _EarlyLinks()
        app.installEventFilter(_early)


def _take_early_links() -> list[str]:
    global _early
    if _early is None:
        return []
    app = QApplication.instance()
    if app is not None:
        app.removeEventFilter(_early)
    links, _early = _early.links, None
    return links


def _open_event_link(event: QEvent) -> str | None:
    if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
        url = bytes(event.url().toEncoded().data()).decode("ascii", "replace")
        if is_mailto(url):
            return url
    return None


class MailtoRouter(QObject):
    """Turns links into composer windows beside `window`."""

    composer_opened = Signal(object)  # the ComposerWindow

    def __init__(self, window: MainWindow, engine: Engine) -> None:
        super().__init__(window)
        self.window = window
        self.engine = engine
        self.composers: list[ComposerWindow] = []
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        for url in _take_early_links():
            self.open(url)

    def detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def raise_window(self) -> None:
        w = self.window
        if w.isMinimized():
            w.setWindowState(w.windowState() & ~Qt.WindowState.WindowMinimized)
        w.show()
        w.raise_()
        w.activateWindow()

    def open(self, url: str | None) -> ComposerWindow | None:
        """A composer filled from `url` (None or "": only raise the main window)."""
        if not url:
            self.raise_window()
            return None
        try:
            link = parse_mailto(url)
        except InvalidMailtoError as exc:
            self.raise_window()
            self.window.show_error(str(exc))
            return None
        # Never log the link itself: recipients and text are the person's own data.
        log.info(
            "Composer opened from a mailto: link (%d recipients, %d header fields ignored)",
            len(link.to) + len(link.cc) + len(link.bcc),
            len(link.ignored),
        )
        composer = self.window.new_composer()
        composer.fill(link)
        self.composers.append(composer)
        composer.destroyed.connect(lambda _=None, c=composer: self._forget(c))
        composer.show()
        composer.raise_()
        composer.activateWindow()
        self.composer_opened.emit(composer)
        return composer

    def _forget(self, composer: ComposerWindow) -> None:
        if composer in self.composers:
            self.composers.remove(composer)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        url = _open_event_link(event)
        if url is None:
            return super().eventFilter(watched, event)
        self.open(url)
        return True
