"""Light and dark colour schemes: follow the system, or apply an explicit choice.

Qt 6.5+ follows the system scheme by itself where the platform theme reports it. An explicit
choice goes through `QStyleHints.setColorScheme` (Qt 6.8+); where the platform cannot honour
it (a bare X server, the offscreen platform), a dark palette is set by hand.
Imports: Qt only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

SCHEMES = {"dark": Qt.ColorScheme.Dark, "light": Qt.ColorScheme.Light}


def dark_palette() -> QPalette:
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    palette = QPalette()
    colors = {
        role.Window: "#2b2b2b",
        role.WindowText: "#e6e6e6",
        role.Base: "#1e1e1e",
        role.AlternateBase: "#262626",
        role.ToolTipBase: "#3a3a3a",
        role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#8a8a8a",
        role.Text: "#e6e6e6",
        role.Button: "#353535",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b",
        role.Light: "#4a4a4a",
        role.Midlight: "#3e3e3e",
        role.Mid: "#2f2f2f",
        role.Dark: "#1a1a1a",
        role.Shadow: "#000000",
        role.Highlight: "#3d7fd1",
        role.HighlightedText: "#ffffff",
        role.Link: "#7ab4ff",
        role.LinkVisited: "#b69cff",
    }
    for r, value in colors.items():
        palette.setColor(r, QColor(value))
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, r, QColor("#7a7a7a"))
    palette.setColor(group.Disabled, role.Base, QColor("#262626"))
    palette.setColor(group.Disabled, role.Button, QColor("#2e2e2e"))
    return palette


def apply_color_scheme(app: QApplication, wanted: str) -> None:
    """`wanted` is "dark", "light" or anything else (follow the system)."""
    scheme = SCHEMES.get(wanted.strip().lower())
    if scheme is None:
        return
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(scheme)
    if hints.colorScheme() != scheme:
        style = app.style()
        app.setPalette(dark_palette() if scheme == Qt.ColorScheme.Dark else style.standardPalette())
