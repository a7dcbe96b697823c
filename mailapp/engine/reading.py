"""Reading a received message for the window: parse, sanitise, inline images, attachments.

Everything here is blocking CPU or file work; engine.api runs it in a worker thread. Remote
images are fetched only when the person asks ("Load once"), only over https, with a size cap
per image and one deadline for all (a plain-http image could be swapped by anyone on the way,
and we fetch nothing the person did not ask for).
Imports: core, protocols.mime, transport.http_get and the standard library.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType

from mailapp.core.errors import ConfigError, MailAppError
from mailapp.core.reading import AttachmentInfo, LinkWarning, ReadableMessage
from mailapp.protocols.mime.filenames import unique_path_in
from mailapp.protocols.mime.parse import extract_part, parse_message
from mailapp.protocols.mime.sanitize import link_mismatches, sanitize_html
from mailapp.transport.http_get import https_get

# Inline (cid:) images decoded up front so the display never waits: bounded per part and in
# total, so a message of a hundred huge "inline" parts cannot fill the memory.
MAX_INLINE_PART = 10 * 1024 * 1024
MAX_INLINE_TOTAL = 40 * 1024 * 1024
MAX_REMOTE_IMAGE = 5 * 1024 * 1024
MAX_REMOTE_IMAGES = 100
REMOTE_TIMEOUT = 20.0
REMOTE_CONCURRENCY = 4


class _ImageSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: dict[str, None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            src = next((v for k, v in attrs if k == "src" and v), None)
            if src and src.lower().startswith(("http://", "https://")):
                self.sources.setdefault(src, None)


def _remote_sources(html: str) -> tuple[str, ...]:
    parser = _ImageSources()
    parser.feed(html)
    parser.close()
    return tuple(parser.sources)


def readable_message(
    raw: bytes,
    *,
    message_id: int,
    account: str,
    folder_id: int,
    unread: bool,
    flagged: bool,
    allow_remote: bool = False,
) -> ReadableMessage:
    """The reader's view of `raw` (never raises for odd mail: it degrades to less)."""
    parsed = parse_message(raw)
    html: str | None = None
    blocked = 0
    hosts: tuple[str, ...] = ()
    remote: tuple[str, ...] = ()
    warnings: tuple[LinkWarning, ...] = ()
    if parsed.html is not None:
        clean = sanitize_html(parsed.html, allow_remote=allow_remote)
        html, blocked, hosts = clean.html, clean.blocked_remote, clean.remote_hosts
        if allow_remote:
            remote = _remote_sources(clean.html)
        warnings = tuple(
            LinkWarning(m.text, m.href, m.shown, m.target) for m in link_mismatches(clean.html)
        )
    inline: dict[str, bytes] = {}
    total = 0
    for attachment in parsed.attachments:
        cid = attachment.content_id
        if not cid or not attachment.content_type.startswith("image/"):
            continue
        if attachment.size > MAX_INLINE_PART or total + attachment.size > MAX_INLINE_TOTAL:
            continue
        try:
            data = extract_part(raw, attachment.part)
        except MailAppError:
            continue
        total += len(data)
        inline[cid.strip().strip("<>").lower()] = data
    attachments = tuple(
        AttachmentInfo(
            part=a.part,
            filename=a.filename,
            safe_name=a.safe_name,
            content_type=a.content_type,
            size=a.size,
            shown_inline=a.shown_inline,
        )
        for a in parsed.attachments
    )
    senders = [a for a in parsed.from_ if a.addr]
    return ReadableMessage(
        id=message_id,
        account=account,
        folder_id=folder_id,
        subject=parsed.subject,
        from_=tuple(str(a) for a in parsed.from_),
        sender_address=senders[0].addr.lower() if senders else "",
        to=tuple(str(a) for a in parsed.to),
        cc=tuple(str(a) for a in parsed.cc),
        date=parsed.date,
        text=parsed.text,
        html=html,
        remote_allowed=allow_remote,
        blocked_remote=blocked,
        remote_hosts=tuple(hosts),
        remote_images=remote,
        link_warnings=warnings,
        attachments=attachments,
        unread=unread,
        flagged=flagged,
        defects=parsed.defects,
        inline_parts=MappingProxyType(inline),
    )


def save_part(raw: bytes, part: str, directory: Path, name: str) -> Path:
    """Write one part's decoded bytes to a new file inside `directory`, named like `name`
    made safe (never outside the folder, never over an existing file); returns its path."""
    if not directory.is_dir():
        raise ConfigError(f"The folder {directory} does not exist.", hint="Choose another one.")
    data = extract_part(raw, part)
    for _ in range(100):
        path = unique_path_in(directory, name)
        try:
            # "xb": a file that appeared since unique_path_in looked is never overwritten.
            with path.open("xb") as file:
                file.write(data)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(
                f"Could not save {path.name} in {directory}: {exc.strerror or exc}.",
                hint="Check the free space and the folder's permissions.",
            ) from exc
        return path
    raise ConfigError(f"No free file name like {name!r} in {directory}.")


def image_context() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def fetch_images(
    urls: Iterable[str],
    *,
    ssl_context: ssl.SSLContext,
    timeout: float = REMOTE_TIMEOUT,
    max_bytes: int = MAX_REMOTE_IMAGE,
) -> dict[str, bytes]:
    """The https images among `urls` that answered 200 with an image, by URL. http:// URLs
    and failures are left out (the caller says how many were not loaded)."""
    wanted = [u for u in dict.fromkeys(urls) if u.lower().startswith("https://")]
    wanted = wanted[:MAX_REMOTE_IMAGES]
    gate = asyncio.Semaphore(REMOTE_CONCURRENCY)
    found: dict[str, bytes] = {}

    async def one(url: str) -> None:
        async with gate:
            try:
                response = await https_get(
                    url,
                    ssl_context=ssl_context,
                    timeout=timeout,
                    max_bytes=max_bytes,
                    redirect_allowed=lambda host: True,  # https only, checked per hop
                    accept="image/*",
                )
            except MailAppError:
                return
        kind = (response.header("content-type") or "").lower()
        if response.status == 200 and kind.startswith("image/") and "svg" not in kind:
            found[url] = response.body

    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(one(url) for url in wanted))
    except TimeoutError:
        pass  # what arrived in time is shown
    return found


def attachment_names(raw: bytes) -> dict[str, str]:
    """Part number -> safe file name of every attachment of the message."""
    return {a.part: a.safe_name for a in parse_message(raw).attachments}
