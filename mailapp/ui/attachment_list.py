"""The composer's attachments: one chip per file with its icon, name, size and a remove button.

Files are attached by reference (core.draft.Attachment.from_path): only their size is read
now, their bytes when the message is composed. Imports: Qt, core and ui.flow_layout.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileInfo, QLocale, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFileIconProvider,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.draft import Attachment
from mailapp.ui.flow_layout import FlowLayout


def human_size(size: int | None) -> str:
    """1234567 -> "1.2 MB" in the user's locale (decimal units, as file managers show)."""
    if size is None:
        return ""
    return QLocale().formattedDataSize(size, 1, QLocale.DataSizeFormat.DataSizeSIFormat)


class AttachmentChip(QFrame):
    remove_requested = Signal(object)  # self

    def __init__(self, attachment: Attachment, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentChip")
        self.attachment = attachment
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 2, 2)
        layout.setSpacing(4)
        icon = QLabel(self)
        if attachment.path is not None:
            pixmap = QFileIconProvider().icon(QFileInfo(str(attachment.path))).pixmap(QSize(16, 16))
            icon.setPixmap(pixmap)
        size = human_size(attachment.size)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setText(f"{attachment.filename}  ({size})" if size else attachment.filename)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("attachmentChipRemove")
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        remove = self.tr("Remove the attachment %1").replace("%1", attachment.filename)
        self.remove_button.setToolTip(remove)
        self.remove_button.setAccessibleName(remove)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        layout.addWidget(icon)
        layout.addWidget(self.label)
        layout.addWidget(self.remove_button)
        where = str(attachment.path) if attachment.path is not None else attachment.filename
        self.setToolTip(f"{where}\n{size}" if size else where)
        self.setAccessibleName(
            self.tr("Attachment %1, %2").replace("%1", attachment.filename).replace("%2", size)
        )
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(
            "QFrame#attachmentChip { border: 1px solid palette(mid); border-radius: 4px;"
            " background: palette(alternate-base); }"
            "QToolButton#attachmentChipRemove { border: none; padding: 0 3px; }"
        )


class AttachmentList(QWidget):
    """The files going with the message; hidden while there are none."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerAttachments")
        self.setAccessibleName(self.tr("Attachments"))
        self.chips: list[AttachmentChip] = []
        self.summary = QLabel(self)
        self.summary.setObjectName("composerAttachmentSummary")
        chips = QWidget(self)
        self.flow = FlowLayout(chips, spacing=6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.summary)
        layout.addWidget(chips)
        self._chips_host = chips
        self.setVisible(False)

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(chip.attachment for chip in self.chips)

    def add_path(self, path: str | Path) -> Attachment:
        """Attach a file (raises InvalidDraftError when it cannot be read)."""
        attachment = Attachment.from_path(path)
        self.add(attachment)
        return attachment

    def add(self, attachment: Attachment) -> None:
        if attachment.path is not None and any(
            c.attachment.path == attachment.path for c in self.chips
        ):
            return  # the same file twice is a slip of the hand, not a wish
        chip = AttachmentChip(attachment, self._chips_host)
        chip.remove_requested.connect(self.remove)
        self.flow.addWidget(chip)
        self.chips.append(chip)
        chip.show()
        self._update()

    def remove(self, chip: AttachmentChip) -> None:
        if chip not in self.chips:
            return
        self.chips.remove(chip)
        self.flow.removeWidget(chip)
        chip.hide()
        chip.deleteLater()
        self._update()

    def clear(self) -> None:
        for chip in list(self.chips):
            self.remove(chip)

    def total_size(self) -> int:
        return sum(chip.attachment.size or 0 for chip in self.chips)

    def _update(self) -> None:
        count = len(self.chips)
        if count == 1:
            text = self.tr("1 attachment, %1")
        else:
            text = self.tr("%n attachments, %1").replace("%n", str(count))
        self.summary.setText(text.replace("%1", human_size(self.total_size())))
        # One chip already shows its size; the total helps from two on.
        self.summary.setVisible(count > 1)
        self.setVisible(bool(count))
        self._chips_host.updateGeometry()
        self.updateGeometry()
        self.changed.emit()
