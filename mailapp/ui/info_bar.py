"""One information bar at the top of the window for problems: message, Details, optional action.

A calm alternative to a storm of modal dialogs: a new problem replaces the shown one and the bar
counts what else happened. Its tint is mixed from the current palette, so it suits light and
dark schemes. Imports: Qt and ui.icons.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyle,
    QToolButton,
    QWidget,
)

from mailapp.ui.icons import themed_icon


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_TINTS = {
    Level.INFO: QColor(52, 101, 164),
    Level.WARNING: QColor(237, 160, 0),
    Level.ERROR: QColor(204, 0, 0),
}
_ICONS = {
    Level.INFO: (("dialog-information",), QStyle.StandardPixmap.SP_MessageBoxInformation),
    Level.WARNING: (("dialog-warning",), QStyle.StandardPixmap.SP_MessageBoxWarning),
    Level.ERROR: (("dialog-error",), QStyle.StandardPixmap.SP_MessageBoxCritical),
}


def _mix(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() * (1 - amount) + tint.red() * amount),
        round(base.green() * (1 - amount) + tint.green() * amount),
        round(base.blue() * (1 - amount) + tint.blue() * amount),
    )


class InfoBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("infoBar")
        self.setAccessibleName(self.tr("Information bar"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._level = Level.ERROR
        self._details: str | None = None
        self._action: Callable[[], None] | None = None
        self._more = 0
        self._details_box: QMessageBox | None = None

        self.icon = QLabel(self)
        self.icon.setAccessibleName(self.tr("Problem"))
        self.message = QLabel(self)
        self.message.setObjectName("infoBarMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton(self)
        self.action_button.setObjectName("infoBarAction")
        self.action_button.clicked.connect(self._run_action)
        self.details_button = QPushButton(self.tr("&Details"), self)
        self.details_button.setObjectName("infoBarDetails")
        self.details_button.setAccessibleName(self.tr("Show details"))
        self.details_button.clicked.connect(self.show_details)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("infoBarClose")
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(
            themed_icon(("window-close",), QStyle.StandardPixmap.SP_TitleBarCloseButton)
        )
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAccessibleName(self.tr("Dismiss"))
        self.close_button.clicked.connect(self.dismiss)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.icon)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.details_button)
        layout.addWidget(self.close_button)
        self.hide()

    @property
    def text(self) -> str:
        return self.message.text()

    def show_message(
        self,
        text: str,
        *,
        details: str | None = None,
        level: Level = Level.ERROR,
        action: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        self._more = self._more + 1 if self.isVisible() else 0
        self._level = level
        self._details = details
        shown = text
        if self._more:
            more = (
                self.tr("%1 (and 1 earlier problem)")
                if self._more == 1
                else self.tr("%1 (and %2 earlier problems)").replace("%2", str(self._more))
            )
            shown = more.replace("%1", text)
        self.message.setText(shown)
        self.message.setAccessibleName(shown)
        names, fallback = _ICONS[level]
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(themed_icon(names, fallback).pixmap(size, size))
        self.details_button.setVisible(bool(details))
        self._action = action[1] if action else None
        self.action_button.setVisible(action is not None)
        if action:
            self.action_button.setText(action[0])
            self.action_button.setAccessibleName(action[0].replace("&", ""))
        self._apply_tint()
        self.show()

    def dismiss(self) -> None:
        self._more = 0
        self.hide()

    def show_details(self) -> None:
        # Non-modal (open(), not exec()): a modal loop inside the asyncio loop would stall it.
        box = QMessageBox(self.window())
        box.setObjectName("infoBarDetailsBox")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(self.tr("Details"))
        box.setText(self.message.text())
        box.setDetailedText(self._details or "")
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        self._details_box = box
        box.finished.connect(self._forget_details_box)
        box.open()

    def _forget_details_box(self) -> None:
        self._details_box = None

    def _run_action(self) -> None:
        action = self._action
        self.dismiss()
        if action is not None:
            action()

    def _apply_tint(self) -> None:
        # The application palette, not ours: our stylesheet feeds back into our own palette.
        palette = QApplication.palette()
        base = palette.color(QPalette.ColorRole.Window)
        tint = _TINTS[self._level]
        background = _mix(base, tint, 0.18)
        border = _mix(base, tint, 0.6)
        text = palette.color(QPalette.ColorRole.WindowText)
        sheet = (
            f"QFrame#infoBar {{ background-color: {background.name()}; "
            f"border: 1px solid {border.name()}; border-radius: 4px; }}"
            f"QFrame#infoBar QLabel {{ color: {text.name()}; background: transparent; }}"
        )
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ApplicationPaletteChange and self.isVisible():
            self._apply_tint()  # the system switched between light and dark
