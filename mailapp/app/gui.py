"""Starting the window: QApplication, the qasync loop, logging, error hooks, the main window.

`run_window(args)` is what `mailapp` without a sub-command runs. `--smoke-test` starts the same
way, waits until the window is shown and events were processed, closes it and exits 0 (the
frozen build's self-check; it works with QT_QPA_PLATFORM=offscreen).
Imports: anything (app is the top layer); Qt only from here and ui.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.handlers
import os
import signal
import sys
from pathlib import Path

from mailapp.core.errors import MailAppError
from mailapp.engine.api import Engine

log = logging.getLogger("mailapp.ui")

LOG_FILE_NAME = "mailapp.log"
WINDOW_SETTINGS_NAME = "window.ini"
SMOKE_TEST_DELAY_MS = 300
# Qt messages that say nothing about our program (the offscreen platform's limits).
HARMLESS_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",  # raising the window for a mailto: link
)
# Development knob: force "light" or "dark" (screenshots, checking both palettes).
COLOR_SCHEME_ENV = "MAILAPP_COLOR_SCHEME"


def setup_logging(logs_dir: Path, verbose: int = 0) -> Path:
    """Log to the profile's logs directory (rotated) and warnings to stderr."""
    log_file = logs_dir / LOG_FILE_NAME
    root = logging.getLogger("mailapp")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(getattr(h, "mailapp_gui", False) for h in root.handlers):
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        file_handler.mailapp_gui = True  # type: ignore[attr-defined]
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(
            logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
        )
        console.setFormatter(logging.Formatter("mailapp: %(levelname)s %(name)s: %(message)s"))
        console.mailapp_gui = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
        root.addHandler(console)
    return log_file


def _headless() -> bool:
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def make_application(argv: list[str]):  # type: ignore[no-untyped-def]  # QApplication
    """The QApplication with our names, icon and colour-scheme behaviour."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from mailapp.ui.icons import app_icon
    from mailapp.ui.palette import apply_color_scheme

    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("mailapp")
    app.setOrganizationName("mailapp")
    app.setApplicationDisplayName("mailapp")
    app.setDesktopFileName("mailapp")
    app.setQuitOnLastWindowClosed(False)  # the main window's close ends the run, see below
    # Where the desktop names no icon theme (bare X servers, CI), use Adwaita if installed;
    # icons the theme lacks fall back to Qt's standard pixmaps (ui.icons).
    if QIcon.fallbackThemeName() in ("", "hicolor"):
        QIcon.setFallbackThemeName("Adwaita")
    app.setWindowIcon(app_icon())
    apply_color_scheme(app, os.environ.get(COLOR_SCHEME_ENV, ""))

    qt_log = logging.getLogger("mailapp.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def qt_messages(mode: QtMsgType, context: object, message: str) -> None:
        level = levels.get(mode, logging.WARNING)
        if any(noise in message for noise in HARMLESS_QT_MESSAGES):
            level = logging.DEBUG
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(qt_messages)
    return app


async def _run(
    engine: Engine,
    settings: object,
    reporter: object,
    log_file: Path,
    smoke: bool,
    *,
    guard: object = None,
    mailto: str | None = None,
) -> int:
    from PySide6.QtCore import QSettings, QTimer

    from mailapp.ui.error_hook import ErrorReporter
    from mailapp.ui.main_window import MainWindow

    assert isinstance(settings, QSettings)
    assert isinstance(reporter, ErrorReporter)
    window = MainWindow(engine, settings)

    def show_error(text: str, details: str) -> None:
        window.show_error(text, f"{details}\nLog file: {log_file}")

    reporter.error.connect(show_error)
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[int] = loop.create_future()

    def window_closed() -> None:
        if not finished.done():
            finished.set_result(0)

    window.closed.connect(window_closed)
    # Ctrl+C in the terminal closes the window properly (layout saved) instead of nothing
    # happening until the next Qt event. Not available on Windows or off the main thread.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, window.close)
    window.show()
    window.start_background()  # sync, outbox, delivery views: needs the running loop
    log.info("Window shown (profile %s)", engine.profile.root)

    # mailto: links from the command line, a later launch (guard) or macOS open a filled
    # composer (app.mailto, app.single_instance).
    from mailapp.app.mailto import MailtoRouter
    from mailapp.app.single_instance import InstanceGuard

    router = MailtoRouter(window, engine)
    if isinstance(guard, InstanceGuard):
        guard.received.connect(router.open)
    if mailto:
        router.open(mailto)

    if smoke:

        def end_smoke_test() -> None:
            ok = window.isVisible() and window.centralWidget() is not None
            log.info("Smoke test: window %s", "shown" if ok else "NOT shown")
            if not ok and not finished.done():
                finished.set_result(1)
            window.close()

        QTimer.singleShot(SMOKE_TEST_DELAY_MS, end_smoke_test)

    try:
        return await finished
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGINT)
        await window.engine_runner.aclose(timeout=5)  # log out, leave no task pending
        reporter.error.disconnect(show_error)
        router.detach()
        if isinstance(guard, InstanceGuard):
            guard.received.disconnect(router.open)
        window.deleteLater()


def run_window(args: argparse.Namespace) -> int:
    smoke = bool(getattr(args, "smoke_test", False))
    if smoke and _headless() and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        engine = Engine.open(getattr(args, "profile", None))
    except MailAppError as exc:
        print(f"mailapp: {exc}", file=sys.stderr)
        return 1
    log_file = setup_logging(engine.profile.logs_dir, int(getattr(args, "verbose", 0) or 0))

    import qasync
    from PySide6.QtCore import QSettings

    from mailapp.ui.error_hook import ErrorReporter, install_error_hooks

    app = make_application([sys.argv[0] if sys.argv else "mailapp"])
    from mailapp.ui.translations import install_translator

    install_translator(app, getattr(args, "language", None))  # before any window is built
    from mailapp.app.mailto import catch_open_events

    catch_open_events()  # macOS sends a clicked mailto: link as an event, maybe before the window

    # One window per profile (app.single_instance): a later launch hands over its mailto: link
    # and exits 0. The smoke test must show a window of its own, so there it fails instead.
    from mailapp.app.single_instance import InstanceGuard

    mailto = getattr(args, "mailto", None)
    guard = InstanceGuard(engine.profile.root)
    if not guard.claim():
        if smoke:
            print("mailapp: another window runs on this profile (use --profile)", file=sys.stderr)
            return 1
        if guard.hand_off(mailto):
            log.info("Handed over to the window already running on this profile")
            return 0
        print("mailapp: another window runs on this profile but did not answer", file=sys.stderr)
        return 1
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    reporter = ErrorReporter()
    uninstall_hooks = install_error_hooks(reporter, loop)
    settings = QSettings(
        str(engine.profile.root / WINDOW_SETTINGS_NAME), QSettings.Format.IniFormat
    )
    try:
        with loop:
            status = loop.run_until_complete(
                _run(engine, settings, reporter, log_file, smoke, guard=guard, mailto=mailto)
            )
    except KeyboardInterrupt:
        status = 130
    finally:
        uninstall_hooks()
        asyncio.set_event_loop(None)
        guard.release()
    settings.sync()
    log.info("Window closed, exit status %d", status)
    return int(status)
