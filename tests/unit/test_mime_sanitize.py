"""HTML bodies made safe for QTextBrowser, remote images blocked and counted, links checked."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.protocols.mime.sanitize import (
    ALLOWED_TAGS,
    Link,
    link_mismatches,
    sanitize_html,
)

HOSTILE = """
<html><head>
<title>Invoice</title>
<meta http-equiv="refresh" content="0;url=http://refresh.example/">
<base href="http://base.example/">
<link rel="stylesheet" href="http://link.example/s.css">
<style>@import url(http://import.example/x.css);
body { background: url(http://bg.example/) }</style>
<script>alert("head")</script>
</head>
<body onload="alert('body')">
<p style="color: red; background-image: url(http://css.example/a.png); font-weight: bold">Hello</p>
<img src="http://tracker.example/open.gif?id=42" width="1" height="1">
<img src="https://cdn.example/logo.png" alt="logo">
<IMG SRC=" HTTPS://CDN.example/second.png ">
<img src="//protocol-relative.example/p.gif">
<img src="cid:logo@example.org" alt="inline">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="data">
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+" alt="svg data">
<img src="data:text/html;base64,PHNjcmlwdD4=" alt="html data">
<img src="x" onerror="alert('img')">
<img src="javascript:alert('src')">
<a href="javascript:alert('link')">js link</a>
<a href="JaVaScRiPt:alert(1)">js upper</a>
<a href="java&#x09;script:alert(1)">js entity</a>
<a href=" javascript:alert(1)">js space</a>
<a href="vbscript:msgbox(1)">vb</a>
<a href="data:text/html,<script>alert(1)</script>">data link</a>
<a href="relative/page.html">relative</a>
<a href="https://good.example/page" target="_blank" onclick="steal()">good</a>
<a href="mailto:someone@example.org">mail</a>
<a href="#section">anchor</a>
<svg onload="alert('svg')"><circle r="1"/><script>alert(2)</script></svg>
<math><mtext><script>alert(3)</script></mtext></math>
<iframe src="http://frame.example/"></iframe>
<object data="http://object.example/x.swf"></object>
<embed src="http://embed.example/x.swf">
<form action="http://form.example/post"><input name="password"><button>Send</button></form>
<table background="http://table-bg.example/t.png" bgcolor="#ffffff">
<tr><td style="background: url('http://td.example/t.png'); color: blue">cell</td></tr></table>
<div style="width: expression(alert(1))">expr</div>
<div style="color: re\\64">escaped</div>
<video poster="http://poster.example/p.png"><source src="http://video.example/v.mp4"></video>
<b><i>unclosed <u>tags
"""


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def assert_inert(html: str, *, remote_images: bool = False) -> None:
    """Every element allowed; no handler; URLs only from the safe schemes."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), name
            assert name not in {"srcset", "background", "poster", "action", "formaction"}
            if name == "href":
                assert (value or "").startswith(("http://", "https://", "mailto:", "#")), value
            if name == "src":
                allowed = ("cid:", "data:image/", *(("http", "https") if remote_images else ()))
                assert (value or "").startswith(allowed), value
            if name == "style":
                assert "url" not in (value or "") and "\\" not in (value or "")


ACTIVE = re.compile(
    r"<script|<style|<iframe|<object|<embed|<svg|<math|<form|<input|<meta|<base|<link|<video"
    r"|\son\w+=|javascript:|vbscript:|data:text|url\(|expression|@import",
    re.I,
)


def test_nothing_active_or_remote_survives() -> None:
    result = sanitize_html(HOSTILE)
    assert not ACTIVE.search(result.html), result.html
    assert "http://" not in result.html.replace('href="https://good.example/page"', "")
    for host in ("tracker.example", "cdn.example", "bg.example", "table-bg.example"):
        assert host not in result.html
    assert_inert(result.html)


def test_safe_content_stays() -> None:
    html = sanitize_html(HOSTILE).html
    assert '<p style="color: red; font-weight: bold">Hello</p>' in html
    assert '<img src="cid:logo@example.org" alt="inline">' in html
    assert '<img src="data:image/png;base64,iVBORw0KGgo=" alt="data">' in html
    assert "svg+xml" not in html
    assert '<a href="https://good.example/page" rel="noopener noreferrer">good</a>' in html
    assert '<a href="mailto:someone@example.org" rel="noopener noreferrer">mail</a>' in html
    assert '<a href="#section" rel="noopener noreferrer">anchor</a>' in html
    assert '<td style="color: blue">cell</td>' in html
    assert 'bgcolor="#ffffff"' in html
    assert "<b><i>unclosed <u>tags" in html and html.rstrip().endswith("</u></i></b>")
    assert "Invoice" not in html  # the title is not body text
    assert 'alert("head")' not in html


def test_remote_images_are_counted_with_their_hosts() -> None:
    result = sanitize_html(HOSTILE)
    assert result.blocked_remote == 4
    assert result.remote_hosts == ("tracker.example", "cdn.example", "protocol-relative.example")
    assert "<img" in result.html
    assert "open.gif" not in result.html and "logo.png" not in result.html


def test_allow_remote_keeps_images_but_nothing_active() -> None:
    result = sanitize_html(HOSTILE, allow_remote=True)
    assert result.blocked_remote == 0
    assert result.remote_hosts == ()
    assert '<img src="http://tracker.example/open.gif?id=42" width="1" height="1">' in result.html
    assert '<img src="https://protocol-relative.example/p.gif">' in result.html
    assert not ACTIVE.search(result.html)
    assert_inert(result.html, remote_images=True)
    for host in ("bg.example", "css.example", "td.example", "table-bg.example", "poster"):
        assert host not in result.html  # CSS and legacy backgrounds never load


def test_links_are_listed_with_their_text() -> None:
    links = sanitize_html(HOSTILE).links
    assert Link("good", "https://good.example/page") in links
    assert Link("mail", "mailto:someone@example.org") in links
    assert all(
        not link.href.lower().startswith(("javascript", "vbscript", "data")) for link in links
    )
    image_link = sanitize_html('<a href="https://x.example/"><img src="cid:a" alt="Buy"></a>')
    assert image_link.links == (Link("Buy", "https://x.example/"),)


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="http://t.example/p.gif" width="1" height="1" style="display:none">',
        '<img srcset="http://t.example/p.gif 1x" src="cid:x">',
        '<div style="background:url(http://t.example/p.gif)">x</div>',
        '<div style="background:u\\72l(http://t.example/p.gif)">x</div>',
        "<div style=\"background-image:image-set('http://t.example/p.gif' 1x)\">x</div>",
        '<table background="http://t.example/p.gif"><tr><td>x</td></tr></table>',
        '<body background="http://t.example/p.gif">x</body>',
        '<input type="image" src="http://t.example/p.gif">',
        '<link rel="prefetch" href="http://t.example/p.gif">',
        '<img src="http://t.example/p.gif"<img src="cid:y">',
        '<img\nsrc\n=\n"http://t.example/p.gif">',
        "<img src=http://t.example/p.gif>",
        "<img src='&#104;ttp://t.example/p.gif'>",
        '<svg><image href="http://t.example/p.gif"/></svg>',
        '<video poster="http://t.example/p.gif"></video>',
        '<audio src="http://t.example/p.gif"></audio>',
        '<style>div { background: url("http://t.example/p.gif") }</style>',
        '<noscript><img src="http://t.example/p.gif"></noscript>',
    ],
)
def test_tracking_pixels_never_load(markup: str) -> None:
    html = sanitize_html(markup).html
    assert "t.example" not in html
    assert_inert(html)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<img src=",
                '"http://h.example/x"',
                "javascript:",
                " onerror=",
                "<a href=",
                "<svg>",
                "<style>",
                "url(",
                "<",
                ">",
                '"',
                "'",
                "=",
                " ",
                "text",
                "<!--",
                "-->",
                "&#106;",
                "<iframe>",
                "<b>",
                "<table>",
                "<td style=",
            ]
        ),
        max_size=40,
    )
)
def test_generated_markup_stays_inert(pieces: list[str]) -> None:
    assert_inert(sanitize_html("".join(pieces)).html)


def test_link_mismatches() -> None:
    html = """
    <a href="https://evil.com/login">www.bank.com</a>
    <a href="https://www.bank.com/login">bank.com</a>
    <a href="https://login.bank.com/x">https://bank.com</a>
    <a href="https://bank.com.evil.net/">bank.com</a>
    <a href="https://xn--pypal-4ve.com/">paypal.com</a>
    <a href="https://xn--bnk-qla.de/">bänk.de</a>
    <a href="mailto:crook@evil.com">support@bank.com</a>
    <a href="mailto:support@bank.com">support@bank.com</a>
    <a href="https://tracking.example/r?u=1">Click here</a>
    <a href="https://example.org/readme">README.md</a>
    <a href="https://example.org/notes">notes.txt</a>
    <a href="http://192.0.2.1/">www.bank.com</a>
    <a href="https://evil.com/">https://www.bank.com/account</a>
    <a href="javascript:steal()">https://bank.com</a>
    """
    flagged = {(m.text, m.target) for m in link_mismatches(html)}
    assert flagged == {
        ("www.bank.com", "evil.com"),
        ("bank.com", "bank.com.evil.net"),
        ("paypal.com", "xn--pypal-4ve.com"),
        ("support@bank.com", "crook@evil.com"),
        ("www.bank.com", "192.0.2.1"),
        ("https://www.bank.com/account", "evil.com"),
        ("https://bank.com", "javascript:steal()"),
    }


def test_link_mismatch_on_sanitized_output_sees_real_targets() -> None:
    result = sanitize_html('<a href="https://evil.example/">https://bank.example</a>')
    mismatch = link_mismatches(result.html)
    assert [(m.shown, m.target) for m in mismatch] == [("bank.example", "evil.example")]
