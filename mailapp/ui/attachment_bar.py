"""Attachments as chips under the message headers: icon, name, size.

Double-click (or Enter) opens one, the context menu saves one or all, and a "Save All"
button sits at the end. The bar only asks; the reader pane does the saving through the engine.
Imports: Qt, core, engine.api and ui.icons.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeDatabase, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QScrollArea,
    QStyle,
    QToolButton,
    QWidget,
)

from mailapp.engine.api import AttachmentInfo
from mailapp.ui.icons import themed_icon
from mailapp.ui.message_list import human_size


def attachment_icon(content_type: str) -> QIcon:
    mime = QMimeDatabase().mimeTypeForName(content_type)
    names = [mime.iconName(), mime.genericIconName()] if mime.isValid() else []
    return themed_icon([n for n in names if n], QStyle.StandardPixmap.SP_FileIcon)


class AttachmentChip(QToolButton):
    open_requested = Signal(object)  # AttachmentInfo
    menu_requested = Signal(object, QPoint)

    def __init__(self, attachment: AttachmentInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        self.setObjectName("attachmentChip")
        name = attachment.filename or attachment.safe_name
        self.setText(f"{name}  ({human_size(attachment.size)})")
        self.setIcon(attachment_icon(attachment.content_type))
        self.setIconSize(QSize(20, 20))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setToolTip(
            self.tr("%1\n%2, %3 — double-click opens, right-click saves")
            .replace("%1", name)
            .replace("%2", attachment.content_type)
            .replace("%3", human_size(attachment.size))
        )
        self.setAccessibleName(
            self.tr("Attachment %1, %2")
            .replace("%1", name)
            .replace("%2", human_size(attachment.size))
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.menu_requested.emit(self.attachment, self.mapToGlobal(pos))
        )

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.open_requested.emit(self.attachment)
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_requested.emit(self.attachment)
            return
        super().keyPressEvent(event)


class AttachmentBar(QScrollArea):
    open_requested = Signal(object)  # AttachmentInfo
    save_requested = Signal(object)  # AttachmentInfo
    save_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentBar")
        self.setAccessibleName(self.tr("Attachments"))
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chips: list[AttachmentChip] = []
        self._inner = QWidget(self)
        self._layout = QHBoxLayout(self._inner)
        self._layout.setContentsMargins(0, 2, 0, 2)
        self._layout.setSpacing(6)
        self.save_all_button = QToolButton(self._inner)
        self.save_all_button.setObjectName("attachmentsSaveAll")
        self.save_all_button.setText(self.tr("Save &All…"))
        self.save_all_button.setAccessibleName(self.tr("Save all attachments"))
        self.save_all_button.setIcon(
            themed_icon(
                ("document-save-all", "document-save"), QStyle.StandardPixmap.SP_DialogSaveButton
            )
        )
        self.save_all_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.save_all_button.clicked.connect(self.save_all_requested)
        self._layout.addStretch(1)
        self._layout.addWidget(self.save_all_button)
        self.setWidget(self._inner)
        self._menu: QMenu | None = None
        self.hide()

    def set_attachments(self, attachments: tuple[AttachmentInfo, ...]) -> None:
        for chip in self.chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for position, attachment in enumerate(attachments):
            chip = AttachmentChip(attachment, self._inner)
            chip.open_requested.connect(self.open_requested)
            chip.menu_requested.connect(self._show_menu)
            self._layout.insertWidget(position, chip)
            self.chips.append(chip)
        self.save_all_button.setVisible(len(attachments) > 1)
        self.setVisible(bool(attachments))
        hint = self._inner.sizeHint().height()
        self.setFixedHeight(hint + self.horizontalScrollBar().sizeHint().height() // 2)

    def _show_menu(self, attachment: AttachmentInfo, where: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(self.tr("&Open"), lambda: self.open_requested.emit(attachment))
        menu.addAction(self.tr("&Save…"), lambda: self.save_requested.emit(attachment))
        menu.addAction(self.tr("Save &All…"), self.save_all_requested.emit)
        self._menu = menu
        menu.popup(where)
