"""The message body view: a QTextBrowser that shows sanitised HTML and fetches nothing.

QTextBrowser runs no scripts; the only way a document could reach out is through
`loadResource`, which here serves just three things: `cid:` parts of the same message (decoded
by the engine beforehand), `data:` images in base64, and remote images the person chose to
load (fetched by the engine over https beforehand). Everything else is refused, including
local files (QTextBrowser's own loadResource would read them). Imports: Qt, core and engine.api.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from mailapp.engine.api import LinkWarning, ReadableMessage

MAX_DATA_URL_CHARS = 14 * 1024 * 1024  # ~10 MB of image once decoded
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpe?g|webp|bmp);base64,", re.I)


class MessageBrowser(QTextBrowser):
    link_hovered = Signal(str)  # what the status bar says about the link under the mouse
    link_activated = Signal(QUrl, object)  # the URL and its LinkWarning (None when none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readerBrowser")
        self.setAccessibleName(self.tr("Message body"))
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.message: ReadableMessage | None = None
        self._remote: dict[str, bytes] = {}
        self._warnings: dict[str, LinkWarning] = {}
        self.refused: list[str] = []  # URLs the document asked for and did not get
        self.highlighted.connect(self._hovered)
        self.anchorClicked.connect(self._clicked)
        self._paper = self.palette()

    # -- showing ------------------------------------------------------------------------------

    def show_message(
        self, message: ReadableMessage, remote_images: Mapping[str, bytes] | None = None
    ) -> None:
        """Display the message: its sanitised HTML on white paper (as senders design it),
        else its text in the system's colours."""
        self.message = message
        self._remote = {QUrl(url).toString(): data for url, data in (remote_images or {}).items()}
        self._warnings = {QUrl(w.href).toString(): w for w in message.link_warnings}
        self.refused = []
        self.clear()  # also drops the document's cached resources
        if message.html is not None:
            self._use_paper(True)
            self.setHtml(message.html)
        else:
            self._use_paper(False)
            self.setPlainText(message.text)
        self.verticalScrollBar().setValue(0)

    def show_text(self, text: str) -> None:
        self.message = None
        self._remote, self._warnings, self.refused = {}, {}, []
        self.clear()
        self._use_paper(False)
        self.setPlainText(text)

    def _use_paper(self, paper: bool) -> None:
        palette = QPalette(self._paper)
        if paper:
            palette.setColor(QPalette.ColorRole.Base, QColor("white"))
            palette.setColor(QPalette.ColorRole.Text, QColor("black"))
            palette.setColor(QPalette.ColorRole.Link, QColor("#0b57d0"))
        self.setPalette(palette)

    # -- resources ------------------------------------------------------------------------------

    def loadResource(self, type_: int, name: QUrl | str) -> Any:
        if isinstance(name, str):
            name = QUrl(name)
        if type_ != QTextDocument.ResourceType.ImageResource.value:
            self.refused.append(name.toString())
            return None
        data = self._image_bytes(name)
        if data is None:
            self.refused.append(name.toString())
            return None
        image = QImage.fromData(data)
        return None if image.isNull() else image

    def _image_bytes(self, name: QUrl) -> bytes | None:
        scheme = name.scheme().lower()
        text = name.toString()
        if scheme == "cid" and self.message is not None:
            return self.message.inline_part(text)
        if scheme == "data":
            match = _DATA_IMAGE.match(text)
            if match is None or len(text) > MAX_DATA_URL_CHARS:
                return None
            try:
                return base64.b64decode("".join(text[match.end() :].split()), validate=False)
            except (binascii.Error, ValueError):
                return None
        if scheme == "https":
            return self._remote.get(text)
        return None

    # -- links ----------------------------------------------------------------------------------

    def warning_for(self, url: QUrl) -> LinkWarning | None:
        return self._warnings.get(url.toString())

    def _hovered(self, url: QUrl) -> None:
        if url.isEmpty():
            self.link_hovered.emit("")
            return
        target = url.toString()
        warning = self.warning_for(url)
        if warning is not None:
            self.link_hovered.emit(
                self.tr("Careful: the text shows %1, but this link leads to %2 (%3)")
                .replace("%1", warning.shown)
                .replace("%2", warning.target)
                .replace("%3", target)
            )
        else:
            self.link_hovered.emit(target)

    def _clicked(self, url: QUrl) -> None:
        self.link_activated.emit(url, self.warning_for(url))
