"""Icon lookup: the desktop's icon theme first (SVG, high-DPI), then Qt's own standard icons.

Imports: Qt only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

APP_ICON_FILE = Path(__file__).with_name("app-icon.svg")


def themed_icon(names: Sequence[str], fallback: QStyle.StandardPixmap | None = None) -> QIcon:
    """The first of `names` the theme has (plain or "-symbolic"), else Qt's standard icon."""
    for name in names:
        for candidate in (name, f"{name}-symbolic"):
            if QIcon.hasThemeIcon(candidate):
                return QIcon.fromTheme(candidate)
    if fallback is not None:
        style = QApplication.style()
        if style is not None:
            return style.standardIcon(fallback)
    return QIcon()


def app_icon() -> QIcon:
    """The program's own icon, shipped next to this module (empty if it went missing)."""
    if APP_ICON_FILE.is_file():
        return QIcon(str(APP_ICON_FILE))
    return themed_icon(("internet-mail", "mail-unread"))
