"""An unexpected exception is logged and shown in the information bar; the app keeps running."""

from __future__ import annotations

import asyncio
import logging

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from mailapp.ui.error_hook import ErrorReporter, install_error_hooks
from mailapp.ui.main_window import MainWindow


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_slot_shows_the_error_bar(qtbot, window: MainWindow, caplog) -> None:
    reporter = ErrorReporter()
    reporter.error.connect(window.show_error)
    uninstall = install_error_hooks(reporter)
    try:
        button = QPushButton("Boom", window)
        button.setAccessibleName("Boom")

        def boom() -> None:
            raise ZeroDivisionError("slot went wrong")

        button.clicked.connect(boom)
        button.show()
        with caplog.at_level(logging.ERROR, logger="mailapp.ui"):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(window.info_bar.isVisible)
    finally:
        uninstall()
    assert "ZeroDivisionError: slot went wrong" in window.info_bar.text
    assert window.info_bar.details_button.isVisible()
    assert any("slot went wrong" in (r.exc_text or "") for r in caplog.records)
    # Still alive and responding.
    assert window.isVisible()
    window.mail_actions["toggle_reader"].trigger()
    assert not window.mail_actions["toggle_reader"].isChecked()
    qtbot.mouseClick(window.info_bar.close_button, Qt.MouseButton.LeftButton)
    assert not window.info_bar.isVisible()


def test_exception_in_a_loop_callback_shows_the_error_bar(qtbot, window, qloop, caplog) -> None:
    reporter = ErrorReporter()
    reporter.error.connect(window.show_error)
    uninstall = install_error_hooks(reporter, qloop)

    def boom() -> None:
        raise RuntimeError("callback went wrong")

    async def scenario() -> None:
        qloop.call_soon(boom)
        for _ in range(500):
            if window.info_bar.isVisible():
                return
            await asyncio.sleep(0.01)

    try:
        with caplog.at_level(logging.ERROR, logger="mailapp.ui"):
            qloop.run_until_complete(scenario())
    finally:
        uninstall()
    assert "RuntimeError: callback went wrong" in window.info_bar.text
    assert any("callback went wrong" in (r.exc_text or "") for r in caplog.records)
    assert window.isVisible()
