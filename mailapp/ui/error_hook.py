"""Unexpected exceptions end up here instead of killing the window.

`install_error_hooks` replaces `sys.excepthook` (Qt slots and qasync's async slots report there)
and the asyncio loop's exception handler (tasks nobody awaited). Both log the traceback to the
`mailapp.ui` logger and emit `ErrorReporter.error`, which the window turns into its information
bar. Signals are queued across threads, so a hook called off the GUI thread is safe too.
Imports: Qt and core.errors.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from mailapp.core.errors import MailAppError

log = logging.getLogger("mailapp.ui")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _tr(text: str) -> str:
    return QCoreApplication.translate("ErrorHook", text)


def describe(exc: BaseException) -> str:
    """One sentence for a person: our own errors explain themselves, the rest is a defect."""
    if isinstance(exc, MailAppError):
        return str(exc)
    return _tr(
        "Something went wrong (%1). mailapp keeps running; the details are in the log."
    ).replace("%1", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


class ErrorReporter(QObject):
    """Carries (sentence, traceback text) from the hooks to whoever shows them."""

    error = Signal(str, str)

    def report(self, exc: BaseException, tb: TracebackType | None = None) -> None:
        details = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
        self.error.emit(describe(exc), details)


def install_error_hooks(
    reporter: ErrorReporter, loop: asyncio.AbstractEventLoop | None = None
) -> Callable[[], None]:
    """Install both hooks; returns a function that puts the previous ones back."""
    previous_hook = sys.excepthook

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app = QCoreApplication.instance()
            if app is not None:
                app.quit()
            return
        log.error("Unhandled exception", exc_info=(exc_type, exc, tb))
        reporter.report(exc, tb)

    def loop_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, asyncio.CancelledError):
            return
        message = str(context.get("message") or "Unhandled exception in the event loop")
        if isinstance(exc, BaseException):
            log.error("%s", message, exc_info=(type(exc), exc, exc.__traceback__))
            reporter.report(exc)
        else:
            log.error("%s (%r)", message, context)
            reporter.error.emit(_tr("Something went wrong: %1").replace("%1", message), message)

    sys.excepthook = excepthook
    previous_handler = None
    if loop is not None:
        previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(loop_handler)

    def uninstall() -> None:
        sys.excepthook = previous_hook
        if loop is not None:
            loop.set_exception_handler(previous_handler)

    return uninstall
