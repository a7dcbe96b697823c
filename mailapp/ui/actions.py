"""The window's actions (toolbar, menus, shortcuts), with the shortcuts Thunderbird users know.

An action whose feature does not exist yet is created disabled and says so in its tooltip: it
shows where the feature will be without pretending to work. The window enables the working
ones when they can act (an account, a selected message) and otherwise says why in the tooltip
(`MailActions.explain`). Imports: Qt and ui.icons.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle

from mailapp.ui.icons import themed_icon

SP = QStyle.StandardPixmap


@dataclass(frozen=True, slots=True)
class ActionSpec:
    key: str
    text: str  # with a mnemonic
    shortcuts: tuple[str, ...] = ()
    icons: tuple[str, ...] = ()
    fallback: QStyle.StandardPixmap | None = None
    available: bool = False  # False: the feature is not built yet, so the action is disabled
    checkable: bool = False
    toolbar_text: str = ""  # shorter label under the toolbar icon


class MailActions(QObject):
    """Every action of the main window, by key; the window connects the ones that work."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._actions: dict[str, QAction] = {}
        for spec in self._specs():
            self._actions[spec.key] = self._make(spec)

    def _specs(self) -> tuple[ActionSpec, ...]:
        return (
            ActionSpec(
                "get_mail",
                self.tr("&Get Mail"),
                ("F5", "Ctrl+T"),
                ("mail-send-receive", "view-refresh"),
                SP.SP_BrowserReload,
                available=True,
                toolbar_text=self.tr("Get Mail"),
            ),
            ActionSpec(
                "write",
                self.tr("&Write"),
                ("Ctrl+N",),
                ("mail-message-new", "document-new"),
                SP.SP_FileIcon,
                available=True,
                toolbar_text=self.tr("Write"),
            ),
            ActionSpec(
                "reply",
                self.tr("&Reply"),
                ("Ctrl+R",),
                ("mail-reply-sender",),
                SP.SP_ArrowBack,
                available=True,
                toolbar_text=self.tr("Reply"),
            ),
            ActionSpec(
                "reply_all",
                self.tr("Reply &All"),
                ("Ctrl+Shift+R",),
                ("mail-reply-all",),
                SP.SP_MediaSeekBackward,
                available=True,
                toolbar_text=self.tr("Reply All"),
            ),
            ActionSpec(
                "forward",
                self.tr("&Forward"),
                ("Ctrl+L",),
                ("mail-forward",),
                SP.SP_ArrowForward,
                available=True,
                toolbar_text=self.tr("Forward"),
            ),
            ActionSpec(
                "delete",
                self.tr("&Delete"),
                ("Del",),
                ("edit-delete", "user-trash"),
                SP.SP_TrashIcon,
                available=True,
                toolbar_text=self.tr("Delete"),
            ),
            ActionSpec(
                "junk",
                self.tr("Mark as &Junk"),
                ("J",),
                ("mail-mark-junk",),
                SP.SP_MessageBoxWarning,
                available=True,
                toolbar_text=self.tr("Junk"),
            ),
            ActionSpec(
                "search",
                self.tr("&Search Messages…"),
                ("Ctrl+K", "Ctrl+Shift+K"),
                ("system-search", "edit-find"),
                SP.SP_FileDialogContentsView,
                toolbar_text=self.tr("Search"),
            ),
            ActionSpec(
                "toggle_read", self.tr("Toggle &Read"), ("M",), ("mail-read",), available=True
            ),
            ActionSpec(
                "toggle_flag",
                self.tr("Toggle &Star"),
                ("S",),
                ("mail-mark-important",),
                available=True,
            ),
            ActionSpec("find", self.tr("&Find in Message…"), ("Ctrl+F",), ("edit-find",)),
            ActionSpec("undo", self.tr("&Undo"), ("Ctrl+Z",), ("edit-undo",)),
            ActionSpec(
                "add_account",
                self.tr("&Add Account…"),
                (),
                ("list-add", "contact-new"),
                available=True,
            ),
            ActionSpec(
                "quit",
                self.tr("&Quit"),
                ("Ctrl+Q",),
                ("application-exit",),
                SP.SP_DialogCloseButton,
                available=True,
            ),
            ActionSpec(
                "toggle_reader",
                self.tr("&Reader Pane"),
                ("F8",),
                available=True,
                checkable=True,
            ),
            ActionSpec(
                "reader_right",
                self.tr("Reader on the Ri&ght"),
                (),
                available=True,
                checkable=True,
            ),
            ActionSpec("about", self.tr("&About mailapp"), (), ("help-about",), available=True),
        )

    def _make(self, spec: ActionSpec) -> QAction:
        action = QAction(themed_icon(spec.icons, spec.fallback), spec.text, self)
        action.setObjectName(f"action_{spec.key}")
        action.setIconText(spec.toolbar_text or spec.text.replace("&", "").rstrip("…"))
        if spec.shortcuts:
            action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        action.setCheckable(spec.checkable)
        plain = spec.text.replace("&", "")
        shortcut_text = " / ".join(
            QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in spec.shortcuts
        )
        tip = f"{plain} ({shortcut_text})" if shortcut_text else plain
        if not spec.available:
            tip = self.tr("%1 — not available yet").replace("%1", tip)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setEnabled(spec.available)
        # A feature that is not built must stay off even when a selection would enable it.
        action.setProperty("mailapp_available", spec.available)
        return action

    def explain(self, key: str, reason: str | None) -> None:
        """Enable the action (reason None), or disable it and say why in its tooltip."""
        action = self._actions[key]
        plain = action.text().replace("&", "")
        keys = " / ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
        )
        tip = f"{plain} ({keys})" if keys else plain
        if not action.property("mailapp_available"):
            reason = reason or self.tr("not available yet")
        if reason:
            tip = self.tr("%1 — %2").replace("%1", tip).replace("%2", reason)
        action.setEnabled(not reason)
        action.setToolTip(tip)
        action.setStatusTip(tip)

    def __getitem__(self, key: str) -> QAction:
        return self._actions[key]

    def all(self) -> list[QAction]:
        return list(self._actions.values())

    def toolbar_keys(self) -> tuple[str, ...]:
        return ("get_mail", "write", "reply", "reply_all", "forward", "delete", "junk", "search")
