"""Making a received HTML body safe to show in QTextBrowser, and checking its links.

nh3 (the Ammonia sanitiser) does the parsing and rebuilding with a strict allow-list: only
tags Qt's rich-text engine understands, a handful of attributes, and URLs we check one by
one. Its defaults would keep remote images, which tell the sender when and where a message
was opened; here they are removed unless the reader allows remote content, and counted so
the reader can say "Remote images were blocked".

Decisions:
- `style` attributes stay, filtered to layout and colour properties Qt supports; any value
  holding url(), expression(), escapes, comments or at-rules is dropped, so CSS can neither
  fetch nor hide behind escapes. `<style>` elements are removed with their content.
- Images may come from `cid:` (parts of the same message) and from `data:` URLs of PNG, GIF,
  JPEG, WebP or BMP in base64 (already inside the message, so nothing leaks; SVG never, it
  can carry scripts). With `allow_remote`, http and https images stay too.
- Links keep http, https and mailto targets and in-page "#anchors"; every link gets
  rel="noopener noreferrer". Relative URLs are dropped: a mail has no base to resolve them
  against (and `<base>` is removed).

Imports: nh3 and the standard library.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import NamedTuple

import nh3

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "div", "span", "b", "i", "u", "s", "em", "strong", "a", "ul", "ol", "li"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "hr", "font"),
        *("table", "tr", "td", "th", "thead", "tbody", "img", "sub", "sup", "small", "big"),
        "center",
    }
)
# Removed together with everything inside them (the rest of the unknown tags lose only
# the tag and keep their text).
_DROPPED_WITH_CONTENT = frozenset(
    {
        *("script", "style", "title", "head", "noscript", "template", "iframe", "frame"),
        *("frameset", "object", "embed", "applet", "svg", "math", "textarea", "select"),
        *("button", "noembed", "noframes", "xmp", "plaintext", "audio", "video", "canvas"),
    }
)
_ALIGN = {"align"}
_CELL = {"colspan", "rowspan", "align", "valign", "width", "height", "bgcolor"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "dir"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "table": {"width", "border", "cellpadding", "cellspacing", "align", "bgcolor"},
    "tr": {"align", "valign", "bgcolor"},
    "td": _CELL,
    "th": _CELL,
    "font": {"color", "size", "face"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value"},
    **dict.fromkeys(("p", "div", "h1", "h2", "h3", "h4", "h5", "h6"), _ALIGN),
}
# Checked again in _filter_url; "data" and "cid" only ever survive on <img src>.
_URL_SCHEMES = {"http", "https", "mailto", "cid", "data"}
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_STYLE_PROPERTIES = frozenset(
    {
        *("color", "background-color", "background", "font", "font-family", "font-size"),
        *("font-style", "font-weight", "font-variant", "text-decoration", "text-align"),
        *("text-indent", "text-transform", "vertical-align", "white-space", "line-height"),
        *("margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding"),
        *("padding-top", "padding-bottom", "padding-left", "padding-right", "width"),
        *("height", "border", "border-width", "border-style", "border-color"),
        *("border-collapse", "list-style-type", "direction"),
    }
)
_STYLE_VALUE = re.compile(r"[-\w\s#%.,()'\"!+]{1,200}")
_STYLE_FORBIDDEN = ("url", "expression", "image", "var(", "attr(", "javascript", "behavior")
_COLOUR = re.compile(r"#?[0-9A-Za-z]{1,20}")
_NUMBER = re.compile(r"\d{1,5}%?")
_MAX_DIMENSION = 5000
_FONT_FACE = re.compile(r"[\w ,'\"-]{1,100}")
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpe?g|webp|bmp);base64,[A-Za-z0-9+/=\s]*", re.I)
# Browsers ignore these inside URLs ("java\tscript:"); so must our scheme check.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


class Link(NamedTuple):
    text: str
    href: str


@dataclass(frozen=True, slots=True)
class SanitizedHtml:
    html: str
    blocked_remote: int  # remote images removed (0 when allow_remote)
    remote_hosts: tuple[str, ...]  # their hosts, in order of appearance, no repeats
    links: tuple[Link, ...]  # every link that survived: visible text and target


@dataclass(frozen=True, slots=True)
class LinkMismatch:
    text: str
    href: str
    shown: str  # the host (or address) the text shows
    target: str  # the host (or address) the link really leads to


def _filter_style(value: str) -> str | None:
    kept: list[str] = []
    lowered = value.lower()
    if "\\" in value or "/*" in value or "@" in value or "&" in value:
        return None
    for declaration in lowered.split(";"):
        name, sep, prop_value = declaration.partition(":")
        name, prop_value = name.strip(), prop_value.strip()
        if not sep or name not in _STYLE_PROPERTIES or not prop_value:
            continue
        if any(word in prop_value for word in _STYLE_FORBIDDEN):
            continue
        if _STYLE_VALUE.fullmatch(prop_value):
            kept.append(f"{name}: {prop_value}")
    return "; ".join(kept) or None


def _url_parts(value: str) -> tuple[str, str]:
    """(scheme in lower case or "", the URL without the characters browsers ignore and with
    its scheme in lower case)."""
    url = _URL_NOISE.sub("", value)
    match = _SCHEME.match(url)
    if not match:
        return "", url
    scheme = match.group(1).lower()
    return scheme, scheme + url[len(scheme) :]


def _host_of(url: str) -> str:
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return host.rstrip(".").lower()


class _Filter:
    """The per-call attribute filter: checks every URL and counts blocked images."""

    def __init__(self, allow_remote: bool) -> None:
        self.allow_remote = allow_remote
        self.blocked = 0
        self.hosts: dict[str, None] = {}

    def __call__(self, tag: str, attribute: str, value: str) -> str | None:
        if attribute == "style":
            return _filter_style(value)
        if tag == "img" and attribute == "src":
            return self._image(value)
        if attribute == "href":
            scheme, url = _url_parts(value)
            if scheme in _LINK_SCHEMES or (not scheme and url.startswith("#")):
                return url
            return None
        if attribute in {"width", "height"}:
            number = value.strip()
            if _NUMBER.fullmatch(number) and int(number.rstrip("%")) <= _MAX_DIMENSION:
                return number
            return None
        if attribute in {"color", "bgcolor"}:
            return value.strip() if _COLOUR.fullmatch(value.strip()) else None
        if attribute == "face":
            return value if _FONT_FACE.fullmatch(value) else None
        return value[:200]

    def _image(self, value: str) -> str | None:
        scheme, url = _url_parts(value)
        if scheme == "cid":
            return url
        if scheme == "data":
            return url if _DATA_IMAGE.fullmatch(value.strip()) else None
        if scheme in {"http", "https"} or (not scheme and url.startswith("//")):
            if self.allow_remote:
                return url if scheme else "https:" + url
            self.blocked += 1
            host = _host_of(url if scheme else "https:" + url)
            if host:
                self.hosts.setdefault(host, None)
            return None
        return None


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._close()
            self._href = next((v for k, v in attrs if k == "href" and v), None)
            self._text = []
        elif tag == "img" and self._href is not None:
            alt = next((v for k, v in attrs if k == "alt" and v), None)
            if alt:
                self._text.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def _close(self) -> None:
        if self._href is not None:
            text = " ".join("".join(self._text).split())
            self.links.append(Link(text, self._href))
        self._href = None
        self._text = []

    def finish(self) -> list[Link]:
        self.close()
        self._close()
        return self.links


def _links(html: str) -> list[Link]:
    collector = _LinkCollector()
    collector.feed(html)
    return collector.finish()


def sanitize_html(html: str, *, allow_remote: bool = False) -> SanitizedHtml:
    """HTML that QTextBrowser can show without running or fetching anything (remote
    images only with `allow_remote`), with the count and hosts of the images removed."""
    attribute_filter = _Filter(allow_remote)
    cleaner = nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(_URL_SCHEMES),
        url_relative=lambda url: url if url.startswith("#") else None,
    )
    cleaned = _IMG_WITHOUT_SRC.sub("", cleaner.clean(html))
    return SanitizedHtml(
        html=cleaned,
        blocked_remote=attribute_filter.blocked,
        remote_hosts=tuple(attribute_filter.hosts),
        links=tuple(_links(cleaned)),
    )


# --------------------------------------------------------------------------- link checks

_EMAIL_TEXT = re.compile(r"(?:mailto:)?([^\s@<>()\[\]]+@[^\s@<>()\[\]]+\.[^\s@<>()\[\].]+)", re.I)
_URL_TEXT = re.compile(
    r"(?:(?P<scheme>[a-z][a-z0-9+.-]*):/*)?(?:[^\s/@]+@)?"
    r"(?P<host>[^\s/:?#@\[\]<>\"']+\.[^\s/:?#@\[\]<>\"'.]+)\.?(?::\d{1,5})?(?P<rest>[/?#]\S*)?",
    re.I,
)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_COMMON_TLDS = frozenset(
    {
        *("com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "io", "co", "app"),
        *("dev", "me", "online", "shop", "store", "site", "xyz", "top", "cloud", "email"),
        *("bank", "link", "club", "live", "tech", "pro", "mobi", "name", "eu", "asia"),
    }
)
# Two-letter endings that are far more often file extensions than countries in link text.
_FILE_LIKE = frozenset({"md", "py", "sh", "rs", "js", "ts", "cs", "rb", "pl", "gz", "xz", "db"})


def _normal_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


def _shown_target(text: str) -> tuple[str, str] | None:
    """("mail", address) or ("web", host) when the visible text looks like one."""
    text = text.strip().strip("<>").strip()
    if not text or " " in text:
        return None
    mail = _EMAIL_TEXT.fullmatch(text)
    if mail:
        return "mail", mail.group(1).lower()
    url = _URL_TEXT.fullmatch(text)
    if not url:
        return None
    host = url.group("host")
    tld = host.rsplit(".", 1)[-1].lower()
    looks_like_url = (
        url.group("scheme") is not None
        or host.lower().startswith("www.")
        or _IPV4.fullmatch(host) is not None
        or tld in _COMMON_TLDS
        or tld.startswith("xn--")
        or (len(tld) == 2 and tld.isalpha() and tld not in _FILE_LIKE)
        or (url.group("rest") is not None and tld.isalpha())
    )
    if not looks_like_url or not (tld.isalpha() or tld.startswith("xn--") or _IPV4.fullmatch(host)):
        return None
    return "web", _normal_host(host)


def _real_target(href: str) -> tuple[str, str] | None:
    scheme, url = _url_parts(href)
    if scheme == "mailto":
        address = urllib.parse.unquote(url[7:]).split("?", 1)[0].split(",", 1)[0]
        return "mail", address.strip().lower()
    if scheme in {"http", "https"}:
        host = _host_of(url)
        return ("web", _normal_host(host)) if host else None
    return None


def _same_site(shown: str, target: str) -> bool:
    return shown == target or target.endswith("." + shown) or shown.endswith("." + target)


def link_mismatches(html: str) -> list[LinkMismatch]:
    """Links whose visible text names a web address or mail address other than where the
    link leads ("www.bank.example" pointing to evil.example). A subdomain of the shown host
    counts as the same site; text that is not an address is never flagged."""
    found: list[LinkMismatch] = []
    for link in _links(html):
        shown = _shown_target(link.text)
        if shown is None:
            continue
        target = _real_target(link.href)
        if target is None:
            _, url = _url_parts(link.href)
            found.append(LinkMismatch(link.text, link.href, shown[1], url[:100]))
            continue
        if shown[0] != target[0]:
            found.append(LinkMismatch(link.text, link.href, shown[1], target[1]))
        elif shown[0] == "mail":
            if shown[1] != target[1]:
                found.append(LinkMismatch(link.text, link.href, shown[1], target[1]))
        elif not _same_site(shown[1], target[1]):
            found.append(LinkMismatch(link.text, link.href, shown[1], target[1]))
    return found
