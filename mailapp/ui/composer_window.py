"""The composer: one message being written, in its own window.

From (the accounts' identities), To, Cc and Bcc as address chips with completion from known
addresses, Subject, the text (plain, or formatted: bold, italic, lists, links), attachments
(button or drag and drop, with sizes), "Ask for delivery confirmation" (the account's default)
and "Ask for a read receipt" (off). Ctrl+Enter sends, Ctrl+S saves a draft (on this computer
and in the account's Drafts folder).

Send checks the message first: every address must be usable and there must be a recipient;
an empty subject or a mentioned but missing attachment shows a warning bar in the window
("Send Anyway"), never a modal box. Then the message is handed over (`send_requested`, an
ui.outgoing.OutgoingMessage) and the window closes at once: ui.outgoing stores it in the
outbox and shows progress and the outcome in the main window's status bar.
Closing with unsaved changes asks Save / Discard / Cancel in a window-modal sheet opened with
open(), so the event loop keeps running. Imports: Qt, core, engine.api and ui modules.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.draft import Draft, Mailbox
from mailapp.core.errors import MailAppError
from mailapp.core.mailto import MailtoLink
from mailapp.core.model import Account
from mailapp.core.replies import Prefill, ReplyKind
from mailapp.engine.api import DraftRef, Engine, SavedDraft
from mailapp.ui.attachment_list import AttachmentList
from mailapp.ui.background_task import BackgroundTask, failure
from mailapp.ui.html_editor import (
    BodyEdit,
    FormatBar,
    clean_html,
    is_formatted,
    local_files,
    plain_text,
)
from mailapp.ui.icons import app_icon, themed_icon
from mailapp.ui.outgoing import OutgoingMessage
from mailapp.ui.recipient_field import RecipientField

log = logging.getLogger("mailapp.ui")

SEND_UNAVAILABLE_TIP = "Add an account to send mail"
COMPLETION_LIMIT = 20
# Words that say a file goes with the message (English and German, as people write them).
ATTACHMENT_WORDS = re.compile(
    r"\b(attached|attachment|attachments|enclosed|anbei|angehängt|im anhang)\b",
    re.IGNORECASE,
)


def _identity(account: Account) -> str:
    name = account.display_name.strip()
    return f"{name} <{account.email}>" if name else account.email


def single_line(text: str) -> str:
    """A header value as one line: line breaks and other controls become spaces, so a
    pasted "Hi\\r\\nBcc: x" stays text in the subject and never becomes a field."""
    cleaned = "".join(" " if (not ch.isprintable() and ch != "\t") else ch for ch in text)
    return " ".join(cleaned.split()) if cleaned != text else text.strip()


def mentions_attachment(*texts: str) -> bool:
    """True when the text (quoted lines left out) speaks of something attached."""
    for text in texts:
        own = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
        if ATTACHMENT_WORDS.search(own):
            return True
    return False


class WarningBar(QFrame):
    """A problem with the message, in the window: text and, for warnings, "Send Anyway"."""

    send_anyway = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerWarning")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(self.tr("Problem with the message"))
        self.icon = QLabel(self)
        self.text = QLabel(self)
        self.text.setObjectName("composerWarningText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.send_button = QPushButton(self.tr("Send &Anyway"), self)
        self.send_button.setObjectName("composerSendAnyway")
        self.send_button.setAccessibleName(self.tr("Send anyway"))
        self.send_button.clicked.connect(self.send_anyway)
        self.close_button = QPushButton(self.tr("&Keep Editing"), self)
        self.close_button.setObjectName("composerKeepEditing")
        self.close_button.setAccessibleName(self.tr("Keep editing"))
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.send_button)
        layout.addWidget(self.close_button)
        self.setStyleSheet(
            "QFrame#composerWarning { background: palette(tooltip-base);"
            " border: 1px solid palette(mid); border-radius: 4px; }"
            "QFrame#composerWarning QLabel { color: palette(tooltip-text); }"
        )
        self.hide()

    def show_warning(self, text: str, *, can_send: bool) -> None:
        pixmap = QStyle.StandardPixmap.SP_MessageBoxWarning
        if not can_send:
            pixmap = QStyle.StandardPixmap.SP_MessageBoxCritical
        self.icon.setPixmap(self.style().standardIcon(pixmap).pixmap(20, 20))
        self.text.setText(text)
        self.setAccessibleDescription(text)
        self.send_button.setVisible(can_send)
        self.show()


class ComposerWindow(QWidget):
    """One message being written, in its own top-level window."""

    send_requested = Signal(object)  # ui.outgoing.OutgoingMessage
    draft_saved = Signal(object)  # DraftRef

    def __init__(
        self,
        accounts: Sequence[Account],
        parent: QWidget | None = None,
        *,
        engine: Engine | None = None,
        can_send: bool | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("composerWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowIcon(app_icon())
        self.setAccessibleName(self.tr("Write a message"))
        self.setAcceptDrops(True)
        self.engine = engine
        self.accounts = list(accounts)
        self.in_reply_to: str | None = None
        self.references: tuple[str, ...] = ()
        # A reply or forward quoting an HTML original goes out as HTML, formatted or not.
        self.html_mode = False
        self.draft_ref: DraftRef | None = None
        self.dirty = False
        self._loading = False
        self._closing = False
        self._close_after_save = False
        self._delivery_touched = False
        self._close_box: QMessageBox | None = None
        self._file_dialog: QFileDialog | None = None
        self._save_task = BackgroundTask("Saving a draft")
        self._completion_tasks: dict[RecipientField, asyncio.Task[Any]] = {}

        self.from_box = QComboBox(self)
        self.from_box.setObjectName("composerFrom")
        self.from_box.setAccessibleName(self.tr("From"))
        for account in self.accounts:
            self.from_box.addItem(_identity(account), account.name)
        if not self.accounts:
            self.from_box.addItem(self.tr("No account yet: add one in the main window"))
            self.from_box.setEnabled(False)

        self.to_edit = self._recipients("composerTo", self.tr("To"))
        self.cc_edit = self._recipients("composerCc", self.tr("Cc"))
        self.bcc_edit = self._recipients("composerBcc", self.tr("Bcc"))
        self.to_edit.setPlaceholderText(self.tr("Type a name or address"))
        self.subject_edit = QLineEdit(self)
        self.subject_edit.setObjectName("composerSubject")
        self.subject_edit.setAccessibleName(self.tr("Subject"))
        self.subject_edit.textChanged.connect(self._update_title)
        self.subject_edit.textEdited.connect(self._changed)

        self.body_edit = BodyEdit(self)
        self.body_edit.setObjectName("composerBody")
        self.body_edit.setAccessibleName(self.tr("Message text"))
        self.body_edit.textChanged.connect(self._body_changed)
        self.body_edit.files_dropped.connect(self.attach_files)
        self.format_bar = FormatBar(self.body_edit, self)

        self.attach_button = QPushButton(
            themed_icon(("mail-attachment", "document-open"), QStyle.StandardPixmap.SP_DirIcon),
            self.tr("A&ttach…"),
            self,
        )
        self.attach_button.setObjectName("composerAttach")
        self.attach_button.setAccessibleName(self.tr("Attach files"))
        self.attach_button.setToolTip(self.tr("Attach files (or drop them on the window)"))
        self.attach_button.clicked.connect(self.choose_files)
        self.attachments = AttachmentList(self)
        self.attachments.changed.connect(self._attachments_changed)

        # Header fields a link asked for and we refused (From, Received, ...): said, not hidden.
        self.notice = QLabel(self)
        self.notice.setObjectName("composerNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.warning = WarningBar(self)
        self.warning.send_anyway.connect(lambda: self.request_send(force=True))

        self.delivery_check = QCheckBox(self.tr("Ask for &delivery confirmation"), self)
        self.delivery_check.setObjectName("composerDeliveryReport")
        self.delivery_check.setAccessibleName(self.tr("Ask for delivery confirmation"))
        self.delivery_check.setToolTip(
            self.tr(
                "Ask the receiving servers to report when the message is delivered "
                "(if the server offers delivery reports). The reports are filed away "
                "from your Inbox."
            )
        )
        self.delivery_check.clicked.connect(self._delivery_clicked)
        self.receipt_check = QCheckBox(self.tr("Ask for a &read receipt"), self)
        self.receipt_check.setObjectName("composerReadReceipt")
        self.receipt_check.setAccessibleName(self.tr("Ask for a read receipt"))
        self.receipt_check.setToolTip(
            self.tr("Ask the recipient's program to confirm when the message is opened.")
        )
        self.receipt_check.clicked.connect(self._changed)

        self.draft_status = QLabel(self)
        self.draft_status.setObjectName("composerDraftStatus")
        self.save_button = QPushButton(
            themed_icon(("document-save",), QStyle.StandardPixmap.SP_DialogSaveButton),
            self.tr("Save &Draft"),
            self,
        )
        self.save_button.setObjectName("composerSaveDraft")
        self.save_button.setAccessibleName(self.tr("Save draft"))
        self.save_button.setToolTip(self.tr("Save as a draft (Ctrl+S)"))
        self.save_button.clicked.connect(lambda: self.save_draft())  # noqa: PLW0108 - not clicked(bool)
        self.save_button.setEnabled(engine is not None and bool(self.accounts))

        self.send_button = QPushButton(
            themed_icon(("mail-send",), QStyle.StandardPixmap.SP_DialogYesButton),
            self.tr("&Send"),
            self,
        )
        self.send_button.setObjectName("composerSend")
        self.send_button.setAccessibleName(self.tr("Send"))
        self.send_button.setDefault(False)
        self.send_button.setAutoDefault(False)
        if can_send is None:
            can_send = bool(self.accounts)
        self.send_button.setEnabled(can_send)
        if can_send:
            self.send_button.setToolTip(self.tr("Send the message (Ctrl+Enter)"))
        else:
            self.send_button.setToolTip(self.tr("Add an account to send mail"))
        self.send_button.clicked.connect(lambda: self.request_send())  # noqa: PLW0108 - not clicked(bool)

        self.send_action = QAction(self.tr("Send"), self)
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.send_action.triggered.connect(self._send_shortcut)
        self.save_action = QAction(self.tr("Save Draft"), self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.save_action.triggered.connect(lambda: self.save_draft())  # noqa: PLW0108 - not triggered(bool)
        self.addAction(self.send_action)
        self.addAction(self.save_action)

        self._layout()
        self._set_identity_defaults()
        self.from_box.currentIndexChanged.connect(self._identity_changed)
        self._update_title()
        self.resize(760, 620)
        self.to_edit.setFocus()

    # -- building ------------------------------------------------------------------------

    def _recipients(self, name: str, accessible: str) -> RecipientField:
        field = RecipientField(self)
        field.setObjectName(name)
        field.setAccessibleName(accessible)
        field.changed.connect(self._changed)
        field.completion_requested.connect(lambda prefix, f=field: self._complete(f, prefix))
        return field

    def _layout(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self._label(self.tr("&From:"), self.from_box), self.from_box)
        form.addRow(self._label(self.tr("&To:"), self.to_edit), self.to_edit)
        form.addRow(self._label(self.tr("&Cc:"), self.cc_edit), self.cc_edit)
        form.addRow(self._label(self.tr("&Bcc:"), self.bcc_edit), self.bcc_edit)
        form.addRow(self._label(self.tr("S&ubject:"), self.subject_edit), self.subject_edit)

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.format_bar)
        tools.addStretch(1)
        tools.addWidget(self.attach_button)

        options = QHBoxLayout()
        options.addWidget(self.delivery_check)
        options.addWidget(self.receipt_check)
        options.addStretch(1)
        options.addWidget(self.draft_status)
        options.addWidget(self.save_button)
        options.addWidget(self.send_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.notice)
        layout.addLayout(tools)
        layout.addWidget(self.body_edit, 1)
        layout.addWidget(self.attachments)
        layout.addWidget(self.warning)
        layout.addLayout(options)
        self._fix_tab_order()

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def _fix_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.from_box,
            self.to_edit,
            self.cc_edit,
            self.bcc_edit,
            self.subject_edit,
            self.body_edit,
        ]
        chain += [chip.remove_button for chip in self.attachments.chips]
        chain += [
            self.attach_button,
            self.delivery_check,
            self.receipt_check,
            self.save_button,
            self.send_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- identity and options ------------------------------------------------------------

    def current_account(self) -> Account | None:
        name = self.from_box.currentData()
        return next((a for a in self.accounts if a.name == name), None)

    def _set_identity_defaults(self) -> None:
        account = self.current_account()
        if not self._delivery_touched:
            wanted = account.options.request_delivery_reports if account is not None else True
            self.delivery_check.setChecked(wanted)

    def _identity_changed(self) -> None:
        self._set_identity_defaults()
        self._changed()

    def _delivery_clicked(self) -> None:
        self._delivery_touched = True
        self._changed()

    def select_account(self, name: str) -> None:
        index = self.from_box.findData(name)
        if index >= 0:
            self.from_box.setCurrentIndex(index)

    # -- changes -------------------------------------------------------------------------

    def _changed(self, *_: object) -> None:
        self.dirty = True
        if self.warning.isVisible() and self.warning.send_button.isVisible():
            # What the warning spoke of may be fixed now; Send checks again.
            self.warning.hide()

    def _body_changed(self) -> None:
        if not self._loading:
            self._changed()

    def _attachments_changed(self) -> None:
        self._fix_tab_order()
        self._changed()

    def _update_title(self) -> None:
        subject = single_line(self.subject_edit.text())
        self.setWindowTitle(subject or self.tr("New message"))

    # -- filling -------------------------------------------------------------------------

    def fill(self, link: MailtoLink) -> None:
        """Put what a mailto: link asks for into the fields (replacing what they held)."""
        self._loading = True
        try:
            self.to_edit.setText(", ".join(link.to))
            self.cc_edit.setText(", ".join(link.cc))
            self.bcc_edit.setText(", ".join(link.bcc))
            self.subject_edit.setText(link.subject)
            self.body_edit.setPlainText(link.body)
        finally:
            self._loading = False
        self.in_reply_to = link.in_reply_to
        if link.ignored:
            self.notice.setText(
                self.tr("The link also asked to set %1; that was ignored.").replace(
                    "%1", ", ".join(sorted(set(link.ignored)))
                )
            )
            self.notice.show()
        else:
            self.notice.hide()
        # What the link put there is not the person's work yet: closing needs no question.
        self.dirty = False
        self._focus_first_empty()

    def load_draft(
        self,
        account: str,
        draft: Draft,
        *,
        request_dsn: bool | None = None,
        ref: DraftRef | None = None,
    ) -> None:
        """Show a message written before (a saved draft, or one taken back with Undo)."""
        self._loading = True
        try:
            self.select_account(account)
            self.to_edit.setText(", ".join(str(m) for m in draft.to))
            self.cc_edit.setText(", ".join(str(m) for m in draft.cc))
            self.bcc_edit.setText(", ".join(str(m) for m in draft.bcc))
            self.subject_edit.setText(draft.subject)
            if draft.html_body is not None:
                self.body_edit.setHtml(draft.html_body)
            else:
                self.body_edit.setPlainText(draft.text_body)
            self.attachments.clear()
            for attachment in draft.attachments:
                self.attachments.add(attachment)
        finally:
            self._loading = False
        self.in_reply_to = draft.in_reply_to
        self.references = draft.references
        self.receipt_check.setChecked(draft.read_receipt)
        if request_dsn is not None:
            self.delivery_check.setChecked(request_dsn)
            self._delivery_touched = True
        self.draft_ref = ref
        self.dirty = ref is None  # taken back from the outbox: not saved anywhere now
        self._focus_first_empty()

    def prefill(self, start: Prefill) -> None:
        """Start a reply or forward (core.replies): recipients, subject, the quoted or
        forwarded text, threading ids and, for a forward, the original's attachments. Like a
        mailto: link, this is not the person's work yet: closing unchanged asks nothing."""
        self._loading = True
        try:
            if start.account:
                self.select_account(start.account)
            self.to_edit.setText(", ".join(str(m) for m in start.to))
            self.cc_edit.setText(", ".join(str(m) for m in start.cc))
            self.subject_edit.setText(start.subject)
            # An HTML original is quoted as HTML (already sanitised, in a blockquote).
            self.html_mode = start.html_body is not None
            if start.html_body is not None:
                self.body_edit.setHtml(start.html_body)
            else:
                self.body_edit.setPlainText(start.body)
            self.attachments.clear()
            for attachment in start.attachments:
                self.attachments.add(attachment)
        finally:
            self._loading = False
        self.in_reply_to = start.in_reply_to
        self.references = start.references
        self.dirty = False
        if start.kind is ReplyKind.FORWARD or self.to_edit.is_empty():
            self.to_edit.setFocus()
        else:
            # The answer is written above the quote.
            cursor = self.body_edit.textCursor()
            cursor.movePosition(cursor.MoveOperation.Start)
            self.body_edit.setTextCursor(cursor)
            self.body_edit.setFocus()

    def load_saved(self, saved: SavedDraft) -> None:
        self.load_draft(
            saved.ref.account, saved.draft, request_dsn=saved.request_dsn, ref=saved.ref
        )

    def load_taken_back(self, saved: SavedDraft) -> None:
        """Show a message taken back from the Outbox for editing (Engine.edit_outbox): it is
        out of the outbox and saved as a draft, so closing keeps it there and Send queues it
        anew (the draft is removed then). Only says so; the loading is load_saved's."""
        self.load_saved(saved)
        self.notice.setText(
            self.tr(
                "Taken back from the Outbox: it is not sent until you send it again. "
                "If you close this window, it stays in Drafts."
            )
        )
        self.notice.show()

    def load_outgoing(self, message: OutgoingMessage) -> None:
        self.load_draft(
            message.account,
            message.draft,
            request_dsn=message.request_dsn,
            ref=None,
        )

    def _focus_first_empty(self) -> None:
        # Where a person starts typing: the first empty line of the header, else the text.
        if self.to_edit.is_empty():
            self.to_edit.setFocus()
        elif not self.subject_edit.text():
            self.subject_edit.setFocus()
        else:
            self.body_edit.setFocus()

    # -- attachments ---------------------------------------------------------------------

    def choose_files(self) -> None:
        """The file dialog, opened (not exec'd) so the event loop keeps running."""
        dialog = QFileDialog(self, self.tr("Attach Files"))
        dialog.setObjectName("composerFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(self.attach_files)
        self._file_dialog = dialog
        dialog.open()

    def attach_files(self, paths: Sequence[str]) -> None:
        problems = []
        for path in paths:
            try:
                self.attachments.add_path(path)
            except MailAppError as exc:
                problems.append(exc.message)
        if problems:
            self.warning.show_warning(" ".join(problems), can_send=False)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = local_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.attach_files(files)
        else:
            super().dropEvent(event)

    # -- completion ----------------------------------------------------------------------

    def _complete(self, field: RecipientField, prefix: str) -> None:
        if self.engine is None:
            return
        previous = self._completion_tasks.pop(field, None)
        if previous is not None and not previous.done():
            previous.cancel()
        engine = self.engine

        async def look_up() -> None:
            try:
                found = await engine.known_addresses(prefix, COMPLETION_LIMIT)
            except MailAppError as exc:
                log.info("No address completion: %s", exc.message)
                return
            field.set_completions(prefix, found)

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        task = loop.create_task(look_up())
        self._completion_tasks[field] = task

    # -- the message ---------------------------------------------------------------------

    def _from_mailbox(self, account: Account) -> Mailbox:
        return Mailbox(account.email, account.display_name)

    def build_draft(self, *, lenient: bool = False) -> tuple[Account, Draft]:
        """The message as written. Raises MailAppError for what makes it unusable; with
        `lenient` (drafts) unusable addresses are left out instead."""
        account = self.current_account()
        if account is None:
            raise MailAppError(self.tr("Add an account first: there is no one to send as."))
        fields = (self.to_edit, self.cc_edit, self.bcc_edit)
        if not lenient:
            problems = [p for f in fields for p in f.problems()]
            if problems:
                raise MailAppError(
                    self.tr("Check these addresses: %1").replace("%1", "; ".join(problems))
                )
        document = self.body_edit.document()
        formatted = self.html_mode or is_formatted(document)
        text = plain_text(document) if formatted else self.body_edit.toPlainText()
        draft = Draft(
            from_=self._from_mailbox(account),
            to=self.to_edit.mailboxes(),
            cc=self.cc_edit.mailboxes(),
            bcc=self.bcc_edit.mailboxes(),
            subject=single_line(self.subject_edit.text()),
            text_body=text,
            html_body=clean_html(document) if formatted else None,
            attachments=self.attachments.attachments,
            in_reply_to=self.in_reply_to,
            references=self.references,
            read_receipt=self.receipt_check.isChecked(),
        )
        return account, draft

    def _send_shortcut(self) -> None:
        if self.send_button.isEnabled():
            self.request_send()

    def request_send(self, *, force: bool = False) -> bool:
        """Check the message and hand it over; True when it went (the window closes)."""
        if not self.send_button.isEnabled():
            return False
        try:
            account, draft = self.build_draft()
        except MailAppError as exc:
            self.warning.show_warning(exc.message, can_send=False)
            return False
        if not draft.recipients:
            self.warning.show_warning(
                self.tr("Add at least one recipient in To, Cc or Bcc."), can_send=False
            )
            self.to_edit.setFocus()
            return False
        if not force:
            warnings = []
            if not draft.subject.strip():
                warnings.append(self.tr("The message has no subject."))
            if not draft.attachments and mentions_attachment(draft.subject, draft.text_body):
                warnings.append(
                    self.tr("The text mentions an attachment, but nothing is attached.")
                )
            if warnings:
                self.warning.show_warning(" ".join(warnings), can_send=True)
                self.warning.send_button.setFocus()
                return False
        self.warning.hide()
        message = OutgoingMessage(
            account.name, draft, self.delivery_check.isChecked(), self.draft_ref
        )
        self.send_requested.emit(message)
        self.close_without_asking()
        return True

    # -- drafts --------------------------------------------------------------------------

    def save_draft(self, *, then_close: bool = False) -> bool:
        """Save in the background (Ctrl+S); False when there is nothing to save it with."""
        if self.engine is None or self._save_task.busy:
            return False
        try:
            account, draft = self.build_draft(lenient=True)
        except MailAppError as exc:
            self.warning.show_warning(exc.message, can_send=False)
            return False
        left_out = [p for f in (self.to_edit, self.cc_edit, self.bcc_edit) for p in f.problems()]
        self._close_after_save = then_close
        self.draft_status.setText(self.tr("Saving draft…"))
        self.dirty = False  # changes made while saving mark it dirty again
        self._save_task.start(
            self.engine.save_draft(
                account.name,
                draft,
                request_dsn=self.delivery_check.isChecked(),
                replace=self.draft_ref,
            ),
            lambda task: self._draft_saved(task, left_out),
        )
        return True

    def _draft_saved(self, task: asyncio.Task[Any], left_out: list[str]) -> None:
        error = failure(task)
        if task.cancelled() or error is not None:
            self.dirty = True
            self._close_after_save = False
            text = error.message if isinstance(error, MailAppError) else str(error or "")
            self.draft_status.setText(self.tr("Draft not saved"))
            self.warning.show_warning(
                self.tr("The draft was not saved: %1").replace("%1", text), can_send=False
            )
            return
        ref: DraftRef = task.result()
        self.draft_ref = ref
        when = ref.saved_at.astimezone().strftime("%H:%M")
        if ref.server_error is not None:
            text = self.tr("Draft saved at %1 on this computer only").replace("%1", when)
            self.draft_status.setToolTip(
                self.tr("Not in the server's Drafts folder: %1").replace("%1", ref.server_error)
            )
        else:
            text = self.tr("Draft saved at %1").replace("%1", when)
            self.draft_status.setToolTip(
                self.tr("On this computer and in the folder %1").replace("%1", ref.folder)
                if ref.folder
                else self.tr("On this computer")
            )
        self.draft_status.setText(text)
        self.draft_status.setAccessibleName(text)
        if left_out:
            self.warning.show_warning(
                self.tr("Saved without these addresses, which are not usable: %1").replace(
                    "%1", "; ".join(left_out)
                ),
                can_send=False,
            )
        self.draft_saved.emit(ref)
        if self._close_after_save:
            self.close_without_asking()

    # -- closing -------------------------------------------------------------------------

    def close_without_asking(self) -> None:
        self._closing = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing or not self.dirty or self.engine is None or not self.accounts:
            self._detach()
            super().closeEvent(event)
            return
        event.ignore()
        self.ask_before_closing()

    def ask_before_closing(self) -> None:
        """Save / Discard / Cancel, as a sheet opened without blocking the loop."""
        if self._close_box is not None:
            self._close_box.raise_()
            return
        box = QMessageBox(self)
        box.setObjectName("composerCloseQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Save the draft?"))
        box.setText(self.tr("Save this message as a draft before closing?"))
        box.setInformativeText(self.tr("If you discard it, the changes are lost."))
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._close_answered)
        self._close_box = box
        box.open()

    def _close_answered(self, result: int) -> None:
        box, self._close_box = self._close_box, None
        clicked = box.standardButton(box.clickedButton()) if box is not None else None
        if clicked == QMessageBox.StandardButton.Save:
            if not self.save_draft(then_close=True):
                return
        elif clicked == QMessageBox.StandardButton.Discard:
            self.close_without_asking()

    def _detach(self) -> None:
        self._save_task.detach()
        for task in self._completion_tasks.values():
            task.cancel()
        self._completion_tasks.clear()
