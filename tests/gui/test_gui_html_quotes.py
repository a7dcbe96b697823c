"""The composer's HTML and plain text keep a reply's quotes: <blockquote type="cite"> in the
HTML part, "> " markers in the plain alternative, and a saved draft reloads with its quotes."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QTextDocument

from mailapp.ui.html_editor import clean_html, plain_text

REPLY = (
    "<p>My answer</p><p>On Monday Bob wrote:</p>"
    '<blockquote type="cite"><p>Hello <b>there</b><br>line two</p>'
    "<blockquote><p>deeper</p></blockquote><p>back</p></blockquote><p>after</p>"
)


def document(html: str) -> QTextDocument:
    doc = QTextDocument()
    doc.setHtml(html)
    return doc


def test_quotes_go_out_as_blockquotes_and_quote_markers(qapp: Any) -> None:
    doc = document(REPLY)
    out = clean_html(doc)
    assert out.count('<blockquote type="cite"') == 2
    assert out.count("</blockquote>") == 2
    # Nesting: "deeper" inside two quotes, "back" inside one, "after" outside both.
    deeper, back, after = out.index("deeper"), out.index("back"), out.index("after")
    assert out[:deeper].count("<blockquote") - out[:deeper].count("</blockquote>") == 2
    assert out[:back].count("<blockquote") - out[:back].count("</blockquote>") == 1
    assert out[:after].count("<blockquote") - out[:after].count("</blockquote>") == 0
    assert "-qt-" not in out
    assert plain_text(doc).splitlines() == [
        "My answer",
        "On Monday Bob wrote:",
        "> Hello there",
        "> line two",
        ">> deeper",
        "> back",
        "after",
    ]


def test_a_saved_reply_reloads_with_its_quotes(qapp: Any) -> None:
    first = document(REPLY)
    again = document(clean_html(first))
    assert plain_text(again).rstrip() == plain_text(first)
    assert clean_html(again).count('<blockquote type="cite"') == 2


def test_text_without_quotes_has_no_blockquote(qapp: Any) -> None:
    doc = document("<p>Just <i>one</i> line</p><ul><li>a point</li></ul>")
    assert "blockquote" not in clean_html(doc)
    assert plain_text(doc).splitlines() == ["Just one line", "• a point"]
