"""A recipient line (To, Cc, Bcc): each address becomes a removable chip as it is finished.

An address is finished by a comma or semicolon, Enter, picking a completion, or leaving the
field; pasted lists are split the same way. Backspace in the empty typing field takes the last
chip back into it for editing. An address that does not parse stays a chip marked "⚠" with the
reason as its tooltip (never only by colour), and Send refuses it. Completions come from
outside: the field asks with `completion_requested(prefix)` and is answered through
`set_completions`. Imports: Qt, core.draft and ui.flow_layout.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from mailapp.core.draft import Mailbox, split_address_list
from mailapp.core.errors import ConfigError
from mailapp.ui.flow_layout import FlowLayout

COMPLETION_DELAY_MS = 150
_SEPARATORS = (",", ";")


def finished_addresses(text: str) -> tuple[list[str], str]:
    """The addresses ended by a comma or semicolon (outside quotes and <>), and the rest
    still being typed: '"Last, First" <a@b>, c' gives (['"Last, First" <a@b>'], ' c')."""
    finished: list[str] = []
    current: list[str] = []
    in_quotes = in_angle = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif in_quotes and ch == "\\":
            escaped = True
        elif ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch == "<":
            in_angle = True
        elif not in_quotes and ch == ">":
            in_angle = False
        elif not in_quotes and not in_angle and ch in _SEPARATORS:
            if "".join(current).strip():
                finished.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    return finished, "".join(current)


class RecipientChip(QFrame):
    """One address: its text and a remove button; marked when it does not parse."""

    remove_requested = Signal(object)  # self

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recipientChip")
        self.text = text
        self.error: str | None = None
        self.mailbox: Mailbox | None = None
        try:
            self.mailbox = Mailbox.parse(text)
        except ConfigError as exc:
            self.error = exc.message
        self.setProperty("invalid", self.error is not None)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 1, 2, 1)
        layout.setSpacing(2)
        shown = text if self.error is None else f"⚠ {text}"
        self.label = QLabel(shown, self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.remove_button = QToolButton(self)
        self.remove_button.setObjectName("recipientChipRemove")
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        # Keyboard users remove with Backspace in the field; Tab walks the fields, not chips.
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        remove = self.tr("Remove %1").replace("%1", text)
        self.remove_button.setToolTip(remove)
        self.remove_button.setAccessibleName(remove)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        layout.addWidget(self.label)
        layout.addWidget(self.remove_button)
        if self.error is not None:
            self.setToolTip(self.tr("Not a usable address: %1").replace("%1", self.error))
            self.setAccessibleName(self.tr("%1, not a usable address").replace("%1", text))
        else:
            self.setToolTip(text)
            self.setAccessibleName(text)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setStyleSheet(
            "QFrame#recipientChip { border: 1px solid palette(mid); border-radius: 9px;"
            " background: palette(alternate-base); }"
            'QFrame#recipientChip[invalid="true"] { border: 1px solid #c01c28; }'
            "QToolButton#recipientChipRemove { border: none; padding: 0 3px; }"
        )


class _TypingEdit(QLineEdit):
    """The typing part of the field: separators and Backspace mean something here."""

    finish_requested = Signal()
    take_back_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        completer = self.completer()
        popup_open = completer is not None and completer.popup().isVisible()
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not popup_open and not ctrl and self.text().strip():
            self.finish_requested.emit()
            return
        if key == Qt.Key.Key_Backspace and not self.text() and not self.hasSelectedText():
            self.take_back_requested.emit()
            return
        super().keyPressEvent(event)


class RecipientField(QFrame):
    """Chips for finished addresses and a line to type the next one into."""

    changed = Signal()
    completion_requested = Signal(str)  # the text being typed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Sunken)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.chips: list[RecipientChip] = []
        self.flow = FlowLayout(self, spacing=4)
        self.flow.setContentsMargins(3, 3, 3, 3)
        self.input = _TypingEdit(self)
        self.input.setFrame(False)
        self.input.setMinimumWidth(120)
        self.input.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.flow.addWidget(self.input)
        self.setFocusProxy(self.input)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.input.backgroundRole())

        self._model = QStringListModel(self)
        self.completer = QCompleter(self._model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.input.setCompleter(self.completer)
        self.completer.activated.connect(self._completion_picked)
        self._ask_timer = QTimer(self)
        self._ask_timer.setSingleShot(True)
        self._ask_timer.setInterval(COMPLETION_DELAY_MS)
        self._ask_timer.timeout.connect(self._ask_for_completions)

        self.input.textEdited.connect(self._edited)
        self.input.finish_requested.connect(self.commit)
        self.input.take_back_requested.connect(self._take_back)
        self.input.installEventFilter(self)

    # -- the value -----------------------------------------------------------------------

    def text(self) -> str:
        """Every address, finished or being typed, as one comma-separated line."""
        parts = [chip.text for chip in self.chips]
        pending = self.input.text().strip()
        if pending:
            parts.append(pending)
        return ", ".join(parts)

    def setText(self, text: str) -> None:
        for chip in list(self.chips):
            self._remove(chip, notify=False)
        self.input.clear()
        for part in split_address_list(text):
            self._add(part)
        self.changed.emit()

    def add_address(self, text: str) -> None:
        for part in split_address_list(text):
            self._add(part)
        self.changed.emit()

    def is_empty(self) -> bool:
        return not self.chips and not self.input.text().strip()

    def problems(self) -> list[str]:
        """What is wrong with each unusable address, in order ("x: reason")."""
        self.commit()
        return [f"{chip.text}: {chip.error}" for chip in self.chips if chip.error is not None]

    def mailboxes(self) -> tuple[Mailbox, ...]:
        """The usable addresses (see problems() for the others)."""
        self.commit()
        return tuple(chip.mailbox for chip in self.chips if chip.mailbox is not None)

    def setPlaceholderText(self, text: str) -> None:
        self._placeholder = text
        self._update_placeholder()

    _placeholder = ""

    def _update_placeholder(self) -> None:
        # Beside chips a hint to type an address is noise.
        self.input.setPlaceholderText("" if self.chips else self._placeholder)

    def setAccessibleName(self, name: str) -> None:
        super().setAccessibleName(name)
        self.input.setAccessibleName(name)

    # -- chips ---------------------------------------------------------------------------

    def commit(self) -> None:
        """Turn what is typed into chips."""
        text = self.input.text()
        if not text.strip():
            if text:
                self.input.clear()
            return
        self.input.clear()
        for part in split_address_list(text):
            self._add(part)
        self.changed.emit()

    def _add(self, text: str) -> RecipientChip | None:
        # Line breaks and controls cannot be typed into a line, but setText and pastes
        # could carry them: they become spaces, so they are seen in the chip, not obeyed.
        text = " ".join("".join(" " if not ch.isprintable() else ch for ch in text).split())
        if not text:
            return None
        if any(chip.text.casefold() == text.casefold() for chip in self.chips):
            return None
        chip = RecipientChip(text, self)
        chip.remove_requested.connect(self._remove)
        self.flow.insertWidget(len(self.chips), chip)
        self.chips.append(chip)
        chip.show()
        self._update_placeholder()
        self.updateGeometry()
        return chip

    def _remove(self, chip: RecipientChip, notify: bool = True) -> None:
        if chip not in self.chips:
            return
        self.chips.remove(chip)
        self.flow.removeWidget(chip)
        chip.hide()
        chip.deleteLater()
        self._update_placeholder()
        self.updateGeometry()
        if notify:
            self.changed.emit()
            self.input.setFocus()

    def _take_back(self) -> None:
        if not self.chips:
            return
        chip = self.chips[-1]
        self._remove(chip)
        self.input.setText(chip.text)

    # -- typing --------------------------------------------------------------------------

    def _edited(self, text: str) -> None:
        if any(sep in text for sep in _SEPARATORS):
            finished, rest = finished_addresses(text)
            if finished:
                for part in finished:
                    self._add(part)
                self.input.setText(rest.lstrip())
        elif text[:1].isspace():
            self.input.setText(text.lstrip())  # the space after a comma starts nothing
        self.changed.emit()
        if self.input.text().strip():
            self._ask_timer.start()
        else:
            self._ask_timer.stop()

    def _ask_for_completions(self) -> None:
        prefix = self.input.text().strip()
        if prefix:
            self.completion_requested.emit(prefix)

    def set_completions(self, prefix: str, addresses: list[str]) -> None:
        """The answer to completion_requested(prefix); ignored when typing moved on."""
        current = self.input.text().strip()
        if not current or not current.casefold().startswith(prefix.casefold()):
            return
        taken = {chip.text.casefold() for chip in self.chips}
        self._model.setStringList([a for a in addresses if a.casefold() not in taken])
        if self._model.rowCount() and self.input.hasFocus():
            self.completer.setCompletionPrefix(current)
            self.completer.complete()

    def _completion_picked(self, text: str) -> None:
        # QLineEdit has put the completion into the line by now.
        self.input.setText(text)
        self.commit()

    # -- events --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.input and event.type() == QEvent.Type.FocusOut:
            assert isinstance(event, QFocusEvent)
            popup = self.completer.popup()
            if event.reason() != Qt.FocusReason.PopupFocusReason and not popup.isVisible():
                self.commit()
        return super().eventFilter(watched, event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.input.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)
