"""The composer's message text: a plain editor that can also format (bold, italic, lists, links).

A message goes out as plain text unless some formatting was used; then as HTML with a plain
text alternative written from the same document (list markers and link targets kept).
Pasting inserts plain text: rich text from elsewhere brings remote images and styles nobody
asked for. Files dropped on the text become attachments (`files_dropped`), not links.
Imports: Qt only.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QKeySequence,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextListFormat,
)
from PySide6.QtWidgets import QInputDialog, QTextEdit, QToolBar, QWidget

_QT_STYLE = re.compile(r"\s*-qt-[a-z-]+:[^;\"]*;?")
# Qt keeps a quote (from <blockquote>) as paragraphs indented by 40 px a level on both sides;
# nothing else in the composer makes such paragraphs, so they are turned back into quotes.
_QUOTE_STEP = 40
_PARAGRAPH = re.compile(
    r'<p style="(?P<style>[^"]*?)margin-left:(?P<left>\d+)px; margin-right:(?P=left)px;'
    r'(?P<rest>[^"]*)">(?P<text>.*?)</p>',
    re.DOTALL,
)
_QUOTE_OPEN = '<blockquote type="cite" style="border-left:2px solid #bbb; padding-left:1ex">'
_EMPTY_STYLE = re.compile(r'\s*style="\s*"')
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


def local_files(mime: QMimeData) -> list[str]:
    """The local file paths a drag carries (empty when it carries anything else too)."""
    if not mime.hasUrls():
        return []
    urls = mime.urls()
    if not urls or not all(url.isLocalFile() for url in urls):
        return []
    return [url.toLocalFile() for url in urls]


def is_formatted(document: QTextDocument) -> bool:
    """True when the text uses lists, bold, italic, underline or links."""
    block = document.begin()
    while block.isValid():
        if block.textList() is not None:
            return True
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if (
                fmt.fontWeight() > QFont.Weight.Normal
                or fmt.fontItalic()
                or fmt.fontUnderline()
                or fmt.isAnchor()
            ):
                return True
            it += 1
        block = block.next()
    return False


def plain_text(document: QTextDocument) -> str:
    """The document as plain text: lists with their markers, links followed by <target>."""
    lines: list[str] = []
    block = document.begin()
    while block.isValid():
        parts: list[str] = []
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            text = fragment.text()
            fmt = fragment.charFormat()
            parts.append(text)
            href = fmt.anchorHref() if fmt.isAnchor() else ""
            if href and href.removeprefix("mailto:") != text.strip():
                parts.append(f" <{href}>")
            it += 1
        line = "".join(parts).replace("\u2028", "\n").replace("\ufffc", "").replace("\xa0", " ")
        depth = quote_depth(block.blockFormat())
        if depth:
            prefix = ">" * depth
            line = "\n".join(f"{prefix} {part}".rstrip() for part in line.split("\n"))
        text_list = block.textList()
        if text_list is not None:
            indent = "  " * max(text_list.format().indent() - 1, 0)
            style = text_list.format().style()
            if style in (
                QTextListFormat.Style.ListDecimal,
                QTextListFormat.Style.ListLowerAlpha,
                QTextListFormat.Style.ListUpperAlpha,
            ):
                marker = text_list.itemText(block) or f"{text_list.itemNumber(block) + 1}."
            else:
                marker = "•"
            line = f"{indent}{marker} {line}"
        lines.append(line)
        block = block.next()
    return "\n".join(lines)


def clean_html(document: QTextDocument) -> str:
    """The document as a small HTML message: Qt's private styles and fonts left out."""
    source = document.toHtml()
    match = _BODY.search(source)
    inner = match.group(1) if match else source
    inner = _quotes_back(inner)
    inner = _QT_STYLE.sub("", inner)
    inner = _EMPTY_STYLE.sub("", inner)
    inner = inner.replace("<br />", "<br>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f"<body>{inner.strip()}</body></html>\n"
    )


def quote_depth(fmt: QTextBlockFormat) -> int:
    """How deep a block sits in quotes (0 outside any), from what Qt kept of <blockquote>:
    the same margin on both sides, a step a level (the level property is not always set)."""
    left = fmt.leftMargin()
    if left <= 0 or left != fmt.rightMargin():
        return 0
    return max(1, round(left / _QUOTE_STEP))


def _quotes_back(inner: str) -> str:
    """Wrap runs of quote-indented paragraphs in nested <blockquote type="cite">."""
    out: list[str] = []
    depth = 0
    position = 0
    for match in _PARAGRAPH.finditer(inner):
        between = inner[position : match.start()]
        level = int(match.group("left")) // _QUOTE_STEP
        if between.strip() and depth:
            out.append("</blockquote>" * depth)  # something else (a list) ends the quote
            depth = 0
        out.append(between)
        if level > depth:
            out.append(_QUOTE_OPEN * (level - depth))
        elif level < depth:
            out.append("</blockquote>" * (depth - level))
        depth = level
        # Inside a quote the paragraph keeps no margins of its own: the quote gives them.
        style = (
            f"{match.group('style')}{match.group('rest')}".strip()
            if level
            else f"{match.group('style')}margin-left:0px; margin-right:0px;{match.group('rest')}"
        )
        out.append(f'<p style="{style}">{match.group("text")}</p>')
        position = match.end()
    out.append("</blockquote>" * depth)
    out.append(inner[position:])
    return "".join(out)


class BodyEdit(QTextEdit):
    """The message text; files dropped here are attached instead of inserted."""

    files_dropped = Signal(list)  # of local paths

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptRichText(False)
        self.setTabChangesFocus(False)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        if local_files(source):
            return True
        return super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = local_files(source)
        if files:
            self.files_dropped.emit(files)
            return
        if source.hasText():
            # Plain text only, whatever else the clipboard offers.
            self.textCursor().insertText(source.text())
            return
        super().insertFromMimeData(source)


class FormatBar(QToolBar):
    """Bold, italic, lists and links for a BodyEdit; Ctrl+B, Ctrl+I, Ctrl+Shift+L..."""

    def __init__(self, editor: BodyEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerFormatBar")
        self.setAccessibleName(self.tr("Text formatting"))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.editor = editor
        self._link_dialog: QInputDialog | None = None
        # Short words rather than theme icons: icon themes lack some of these and mix styles.
        self.bold = self._action("bold", self.tr("Bold"), self.tr("B"), "Ctrl+B", checkable=True)
        self.italic = self._action(
            "italic", self.tr("Italic"), self.tr("I"), "Ctrl+I", checkable=True
        )
        self.bullets = self._action(
            "bullets", self.tr("Bulleted list"), self.tr("• List"), "Ctrl+Shift+8"
        )
        self.numbers = self._action(
            "numbers", self.tr("Numbered list"), self.tr("1. List"), "Ctrl+Shift+7"
        )
        self.link = self._action("link", self.tr("Link…"), self.tr("Link…"), "Ctrl+Shift+K")
        self.plain = self._action(
            "plain", self.tr("Remove formatting"), self.tr("Clear"), "Ctrl+Space"
        )
        self._font(self.bold, bold=True)
        self._font(self.italic, italic=True)
        self.bold.triggered.connect(self._toggle_bold)
        self.italic.triggered.connect(self._toggle_italic)
        self.bullets.triggered.connect(lambda: self._list(QTextListFormat.Style.ListDisc))
        self.numbers.triggered.connect(lambda: self._list(QTextListFormat.Style.ListDecimal))
        self.link.triggered.connect(self.ask_for_link)
        self.plain.triggered.connect(self.remove_formatting)
        editor.currentCharFormatChanged.connect(self._show_format)

    def _font(self, action: QAction, *, bold: bool = False, italic: bool = False) -> None:
        font = QFont(action.font())
        font.setBold(bold)
        font.setItalic(italic)
        action.setFont(font)

    def _action(
        self,
        key: str,
        text: str,
        label: str,
        shortcut: str,
        *,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(label, self)
        action.setObjectName(f"format_{key}")
        action.setShortcut(QKeySequence(shortcut))
        # Works while the text has focus, also when the window has other shortcuts.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        native = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{text.rstrip('…')} ({native})")
        action.setCheckable(checkable)
        self.addAction(action)
        button = self.widgetForAction(action)
        if button is not None:
            # Tab goes from the subject to the text; formatting is a shortcut or a click.
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAccessibleName(text.rstrip("…"))
        return action

    def _merge(self, fmt: QTextCharFormat) -> None:
        cursor = self.editor.textCursor()
        if not cursor.hasSelection():
            cursor.select(QTextCursor.SelectionType.WordUnderCursor)
        cursor.mergeCharFormat(fmt)
        self.editor.mergeCurrentCharFormat(fmt)
        self.editor.setFocus()

    def _toggle_bold(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold if self.bold.isChecked() else QFont.Weight.Normal)
        self._merge(fmt)

    def _toggle_italic(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(self.italic.isChecked())
        self._merge(fmt)

    def _list(self, style: QTextListFormat.Style) -> None:
        cursor = self.editor.textCursor()
        current = cursor.currentList()
        if current is not None and current.format().style() == style:
            # The same button again ends the list for these paragraphs.
            block = cursor.block()
            current.remove(block)
            fmt = block.blockFormat()
            fmt.setIndent(0)
            cursor.setBlockFormat(fmt)
        else:
            fmt = QTextListFormat()
            fmt.setStyle(style)
            cursor.createList(fmt)
        self.editor.setFocus()

    def ask_for_link(self) -> None:
        """Ask for the target without blocking the loop (a window-modal sheet, opened)."""
        dialog = QInputDialog(self.editor.window())
        dialog.setObjectName("composerLinkDialog")
        dialog.setWindowTitle(self.tr("Insert Link"))
        dialog.setLabelText(self.tr("Link target (https://…, mailto:…):"))
        selected = self.editor.textCursor().selectedText()
        if "://" in selected or selected.startswith("mailto:"):
            dialog.setTextValue(selected)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(self.insert_link)
        self._link_dialog = dialog
        dialog.open()

    def insert_link(self, target: str) -> None:
        target = target.strip()
        url = QUrl.fromUserInput(target)
        if not target or not url.isValid() or url.scheme() not in ("http", "https", "mailto"):
            return
        href = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        cursor = self.editor.textCursor()
        text = cursor.selectedText() or target
        cursor.insertHtml(f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>')
        # What is typed after the link is ordinary text again.
        self.editor.setCurrentCharFormat(QTextCharFormat())
        self.editor.setFocus()

    def remove_formatting(self) -> None:
        cursor = self.editor.textCursor()
        if not cursor.hasSelection():
            cursor.select(QTextCursor.SelectionType.Document)
        cursor.setCharFormat(QTextCharFormat())
        self.editor.setCurrentCharFormat(QTextCharFormat())

    def _show_format(self, fmt: QTextCharFormat) -> None:
        self.bold.setChecked(fmt.fontWeight() > QFont.Weight.Normal)
        self.italic.setChecked(fmt.fontItalic())
