"""Fixtures for the window tests: offscreen Qt, a fresh profile, the main window, a qasync loop.

Every test here fails on a Qt warning (pytest-qt's qt_log_level_fail, applied as a marker to
the items of this directory only, so other test directories are untouched).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before any QApplication exists (pytest-qt creates it lazily in the qapp fixture).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent

# Qt messages that say nothing about our program.
QT_LOG_IGNORE = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.gui)
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*QT_LOG_IGNORE))


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def engine(profile_dir: Path):  # type: ignore[no-untyped-def]
    from mailapp.engine.api import Engine
    from mailapp.secrets.memory import MemoryCredentialStore

    return Engine.open(str(profile_dir), credentials=MemoryCredentialStore())


@pytest.fixture
def window_settings(profile_dir: Path):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    return QSettings(str(profile_dir / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, engine, window_settings):  # type: ignore[no-untyped-def]
    from mailapp.ui.main_window import MainWindow

    win = MainWindow(engine, window_settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def qloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:  # type: ignore[no-untyped-def]
    """A qasync loop on the test QApplication; run coroutines with run_until_complete."""
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # Tasks a test left running, and the worker threads behind asyncio.to_thread, must
        # end here on the main thread: left to the garbage collector, their Qt timers and
        # threads are torn down from whichever thread collects them, which crashes Qt.
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.wait_for(loop.shutdown_default_executor(), timeout=10))
        loop.close()
        asyncio.set_event_loop(None)
        gc.collect()
