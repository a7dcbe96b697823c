"""Replying to and forwarding a received message: subjects, quoting, recipients, threading.

Pure functions over `Original` (the message as the engine read it) that give a `Prefill`: what
the composer starts with. The window passes the words (attribution, the forward header's
labels) already translated; the English defaults here are for the command line and tests.

Rules, as people know them from Thunderbird:
- "Re: " and "Fwd: " are added once: earlier reply prefixes ("Re:", "RE[2]:", "AW:", "SV:" ...)
  are folded into one "Re: ", earlier forward prefixes into one "Fwd: ".
- Reply goes to Reply-To when there is one, else to From; replying to our own message (from
  Sent) goes to its recipients again.
- Reply All adds the other To recipients to To and the Cc recipients to Cc, never one of our
  own addresses, never one address twice.
- In-Reply-To is the original's Message-ID; References its References (or In-Reply-To)
  followed by its Message-ID, shortened in the middle when very long (RFC 5322 3.6.4).
- The reply quotes the original text ("> "), under the attribution line, without its
  signature ("-- " line onwards, RFC 3676 4.3); the writing starts above the quote.
- Forward is inline: the original's main header fields and text under a separator line,
  with its attachments attached again (an attached message/rfc822 would travel as
  application/octet-stream in our composer, which many programs do not open as a message).
- When the original has an HTML part (already made safe by the engine), the answer also gets
  an HTML start: the attribution (or the forward header) and the original's HTML inside a
  `<blockquote type="cite">`, as Thunderbird quotes; the plain start stays for plain mode.

Imports: the standard library and core.draft.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mailapp.core.draft import Attachment, Mailbox
from mailapp.core.errors import MailAppError

# Reply prefixes in the languages mail programs write them in (Re, AW, SV, VS, Antw, Rif, Odp,
# Res, YNT, 回复/答复), each optionally counted: "Re[2]:", "RE (3):".
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|antw|rif|odp|res|ynt|回复|答复)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
# Forward prefixes: Fwd, Fw, WG (German), TR (French), Enc (Portuguese), RV (Spanish), 转发.
_FORWARD_PREFIX = re.compile(
    r"^(?:\s*(?:fwd|fw|wg|tr|enc|rv|转发)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
MAX_REFERENCES = 20  # ids kept in References: the first one and the most recent ones
_MAX_MSG_ID = 900


class ReplyKind(StrEnum):
    REPLY = "reply"
    REPLY_ALL = "reply_all"
    FORWARD = "forward"


@dataclass(frozen=True, slots=True)
class Person:
    """One address of a header field as the message gave it (name decoded, may be "")."""

    name: str
    address: str

    def __str__(self) -> str:
        if self.name and self.address:
            return f"{self.name} <{self.address}>"
        return self.name or self.address


@dataclass(frozen=True, slots=True)
class Original:
    """The message being answered or forwarded."""

    account: str  # the account whose folder holds it
    subject: str
    from_: tuple[Person, ...] = ()
    reply_to: tuple[Person, ...] = ()
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    date: datetime | None = None
    message_id: str | None = None  # with angle brackets
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    text: str = ""  # the plain text (made from the HTML when there is no plain part)
    attachments: tuple[Attachment, ...] = ()  # read only for Forward (with their bytes)
    # The HTML body, sanitised and without images (engine.sent_folder.quotable_html); None
    # for a plain-text message. Never unsanitised HTML: it goes into the composer as is.
    html: str | None = None


@dataclass(frozen=True, slots=True)
class Prefill:
    """What the composer starts with."""

    kind: ReplyKind
    account: str
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...]
    subject: str
    body: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # The same start as HTML (the original quoted in a blockquote); None: write plain text.
    html_body: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardWords:
    """The words of the forwarded part's header (the window passes them translated)."""

    title: str = "-------- Forwarded Message --------"
    subject: str = "Subject"
    date: str = "Date"
    from_: str = "From"
    to: str = "To"
    cc: str = "Cc"


ATTRIBUTION = "On %1, %2 wrote:"
ATTRIBUTION_NO_DATE = "%1 wrote:"


def reply_subject(subject: str) -> str:
    """ "Re: " once: "Re: Re: AW: x" and "x" both give "Re: x"."""
    rest = _REPLY_PREFIX.sub("", subject.strip(), count=1).strip()
    return f"Re: {rest}" if rest else "Re:"


def forward_subject(subject: str) -> str:
    """ "Fwd: " once: "Fwd: FW: x" and "x" both give "Fwd: x"."""
    rest = _FORWARD_PREFIX.sub("", subject.strip(), count=1).strip()
    return f"Fwd: {rest}" if rest else "Fwd:"


def without_signature(text: str) -> str:
    """The text without its signature: from the last "-- " line (RFC 3676 4.3) on."""
    lines = text.splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if lines[index] == "-- ":
            return "\n".join(lines[:index]).rstrip()
    return text.rstrip()


def quote(text: str) -> str:
    """Every line prefixed for quoting: "> " before text, ">" before an earlier quote."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(
        ">" + line if line.startswith(">") else ("> " + line if line else ">") for line in lines
    )


def attribution(
    who: Person | None,
    date_text: str | None,
    *,
    template: str = ATTRIBUTION,
    template_no_date: str = ATTRIBUTION_NO_DATE,
) -> str:
    """ "On <date>, <name> wrote:" (the address when there is no name)."""
    name = (who.name or who.address) if who is not None else ""
    name = name or "?"
    if date_text:
        return template.replace("%1", date_text).replace("%2", name)
    return template_no_date.replace("%1", name)


def default_date_text(moment: datetime | None) -> str | None:
    """The date as the attribution shows it without a locale: "2024-03-01 10:32"."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else None


def _valid_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) <= _MAX_MSG_ID and _MSG_ID.fullmatch(value):
        return value
    return None


def thread_ids(original: Original) -> tuple[str | None, tuple[str, ...]]:
    """(In-Reply-To, References) for an answer to `original`; ids that are not usable
    message ids (a Draft would refuse them) are left out."""
    parent = _valid_id(original.message_id)
    earlier = original.references or (
        (original.in_reply_to,) if original.in_reply_to is not None else ()
    )
    refs: list[str] = []
    for value in (*earlier, parent):
        valid = _valid_id(value)
        if valid is not None and valid not in refs:
            refs.append(valid)
    if len(refs) > MAX_REFERENCES:
        refs = [refs[0], *refs[-(MAX_REFERENCES - 1) :]]
    return parent, tuple(refs)


def _mailboxes(people: Iterable[Person]) -> list[Mailbox]:
    """The usable addresses (a group name or a broken address is left out)."""
    found: list[Mailbox] = []
    for person in people:
        if not person.address:
            continue
        try:
            found.append(Mailbox(person.address, person.name))
        except MailAppError:
            continue
    return found


def _key(mailbox: Mailbox) -> str:
    return mailbox.address.casefold()


def reply_recipients(
    original: Original, own: Iterable[str], *, reply_all: bool
) -> tuple[tuple[Mailbox, ...], tuple[Mailbox, ...]]:
    """(To, Cc) of a reply. `own` are our addresses (every account's)."""
    ours = {a.strip().casefold() for a in own if a.strip()}
    senders = _mailboxes(original.from_)
    from_us = bool(senders) and all(_key(m) in ours for m in senders)
    if from_us:
        # Our own message (from Sent): answer its recipients again, as a follow-up.
        primary = _mailboxes(original.to) or senders
        others_to: list[Mailbox] = []
    else:
        primary = _mailboxes(original.reply_to) or senders
        others_to = _mailboxes(original.to)
    cc_source = _mailboxes(original.cc)
    if not reply_all:
        return _unique(primary, set()), ()
    seen: set[str] = set()
    to = _unique(primary, seen)
    to += _unique(others_to, seen, skip=ours)
    cc = _unique(cc_source, seen, skip=ours)
    return to, cc


def _unique(
    mailboxes: Iterable[Mailbox], seen: set[str], *, skip: set[str] | None = None
) -> tuple[Mailbox, ...]:
    kept: list[Mailbox] = []
    for mailbox in mailboxes:
        key = _key(mailbox)
        if key in seen or (skip is not None and key in skip):
            continue
        seen.add(key)
        kept.append(mailbox)
    return tuple(kept)


def build_reply(
    original: Original,
    own: Iterable[str],
    *,
    reply_all: bool = False,
    date_text: str | None = None,
    template: str = ATTRIBUTION,
    template_no_date: str = ATTRIBUTION_NO_DATE,
) -> Prefill:
    """The composer's start for Reply or Reply All. `date_text` is the original's date as the
    person's locale writes it (default: default_date_text)."""
    to, cc = reply_recipients(original, own, reply_all=reply_all)
    in_reply_to, references = thread_ids(original)
    if date_text is None:
        date_text = default_date_text(original.date)
    sender = original.from_[0] if original.from_ else None
    line = attribution(sender, date_text, template=template, template_no_date=template_no_date)
    quoted = quote(without_signature(original.text))
    html_body = html_start(line, original.html) if original.html else None
    return Prefill(
        kind=ReplyKind.REPLY_ALL if reply_all else ReplyKind.REPLY,
        account=original.account,
        to=to,
        cc=cc,
        subject=reply_subject(original.subject),
        body=f"\n\n{line}\n{quoted}\n",
        in_reply_to=in_reply_to,
        references=references,
        html_body=html_body,
    )


def html_start(lines: str, quoted_html: str) -> str:
    """An HTML answer's start: an empty paragraph to write in, the attribution or forward
    header (plain text, escaped; one line each), then the original in a blockquote."""
    head = "<br>".join(html_lib.escape(line) for line in lines.split("\n"))
    return f'<p><br></p>\n<p>{head}</p>\n<blockquote type="cite">{quoted_html}</blockquote>\n'


def forward_header(original: Original, date_text: str | None, words: ForwardWords) -> str:
    """The lines above the forwarded text: the separator, then Subject, Date, From, To, Cc."""
    lines = [words.title, f"{words.subject}: {original.subject}"]
    if date_text:
        lines.append(f"{words.date}: {date_text}")
    for label, people in ((words.from_, original.from_), (words.to, original.to)):
        if people:
            lines.append(f"{label}: {', '.join(str(p) for p in people)}")
    if original.cc:
        lines.append(f"{words.cc}: {', '.join(str(p) for p in original.cc)}")
    return "\n".join(lines)


def build_forward(
    original: Original,
    *,
    date_text: str | None = None,
    words: ForwardWords | None = None,
) -> Prefill:
    """The composer's start for Forward (inline, attachments attached again). The thread
    is not continued: a forward starts a conversation with someone else."""
    if date_text is None:
        date_text = default_date_text(original.date)
    header = forward_header(original, date_text, words or ForwardWords())
    text = original.text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return Prefill(
        kind=ReplyKind.FORWARD,
        account=original.account,
        to=(),
        cc=(),
        subject=forward_subject(original.subject),
        body=f"\n\n{header}\n\n{text}\n",
        attachments=original.attachments,
        html_body=html_start(header, original.html) if original.html else None,
    )
