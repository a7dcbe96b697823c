"""Heuristics for non-standard bounces: is this a failure notice, and whom does it name?

Exim, qmail, old Sendmail, Postfix without DSN, Exchange/Office 365, Gmail, Yahoo, Notes and
friends say it in prose. The signals: an X-Failed-Recipients header, a daemon sender, a
telltale subject, stock phrases, addresses set on their own line, SMTP codes in the text.
Written from observed formats, not from any other bounce library.

Imports: the standard library and sibling report modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailapp.protocols.reports import fields
from mailapp.protocols.reports.dsn import action_from_status
from mailapp.protocols.reports.model import DeliveryAction, RecipientReport

_DAEMON_LOCALS = frozenset(
    {"mailer-daemon", "mailerdaemon", "mailer_daemon", "postmaster", "mail-daemon", "mdaemon"}
)
_DAEMON_NAME_RE = re.compile(
    r"mail(er)?[ -]?(delivery|daemon)|mail deliver(y)? (system|subsystem)|post ?office|"
    r"postmaster|delivery subsystem",
    re.IGNORECASE,
)
_SUBJECT_RE = re.compile(
    r"undeliver(ed|able)|returned mail|mail delivery failed|delivery status notification|"
    r"failure notice|delivery (failure|failed|has failed|problem)|non-?delivery|"
    r"mail system error|could not send (message|mail)|delayed mail|mail failure|"
    r"message not delivered|not be delivered|mail failed|error sending your mail|"
    r"nondeliverable|returning message to sender|delivery notification|"
    r"unzustellbar|non remis|non recapitabile|no se puede entregar|onbestelbaar|"
    r"warning: message .* delayed",
    re.IGNORECASE,
)
_BODY_RE = re.compile(
    r"could ?n[o']t be delivered|was not delivered|wasn't able to deliver|unable to deliver|"
    r"delivery to the following recipients? (failed|has been delayed)|"
    r"following address(\(es\)|es)? (failed|had)|permanent (fatal )?error|delivery has failed|"
    r"did not reach the following recipient|failed permanently|could not deliver|"
    r"error delivering your mail|rejected by a remote mail server|failed addresses follow|"
    r"trouble delivering your message|did not receive this message|"
    r"transcript of session follows|message could not be delivered|returned mail|"
    r"delivery (has|was) (failed|delayed)|undeliverable|the mail system|"
    r"invalid final delivery userid|not a valid recipient|failure reasons|"
    r"mail delivery (failed|software|system)",
    re.IGNORECASE,
)
_DELAY_RE = re.compile(
    r"warning message only|this is a warning|will be retried|will retry|still being retried|"
    r"has been delayed|delivery (is )?delayed|not yet been delivered|delayed mail|"
    r"\(delay\)|warning: message .* delayed|could not send (message|mail) for (the )?past",
    re.IGNORECASE,
)
_GIVEN_UP_RE = re.compile(
    r"permanent (fatal )?(error|failure)|given up|giving up|not going to try again|"
    r"failed permanently|will be deleted from (the )?queue|retry timeout exceeded|"
    r"delivery has failed|gave up",
    re.IGNORECASE,
)
_MARKER_PHRASES = (
    "copy of the message",
    "copy of your message",
    "original message",
    "returned message",
    "unsent message follows",
    "message headers follow",
    "header of the original message",
    "headers of the original message",
    "message text follows",
    "below this line is a copy",
    "headers of your message",
)
_QUOTE_RE = re.compile(r"^(?:[ \t]*>)+[ \t]?")
# An address that starts a line (after indentation, quoting, an SMTP code or a bracket):
# how bounces list the recipients they are about.
_LINE_ADDRESS_RE = re.compile(
    r"^[ \t]*(?:\d{3}[ -]+)?[<\"']?(?P<addr>[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_HEADERISH_RE = re.compile(
    r"^[ \t]*(message-id|in-reply-to|references|received|return-path|from|sender|reply-to|"
    r"to|cc|date|subject)[ \t]*:",
    re.IGNORECASE,
)
_REPLY_CODE_RE = re.compile(r"(?<![\w.#-])([245][0-5]\d)(?=[ -]|$)", re.MULTILINE)
_MAX_SCAN = 64 * 1024
_MAX_DIAGNOSTIC = 600


def is_daemon(from_header: str | None, from_address: str | None) -> bool:
    if from_address is not None:
        local = from_address.rpartition("@")[0] or from_address
        if local.lower() in _DAEMON_LOCALS:
            return True
    elif from_header is not None and from_header.strip() in ("", "<>"):
        return True
    return bool(from_header and _DAEMON_NAME_RE.search(from_header))


def subject_says_bounce(subject: str | None) -> bool:
    return bool(subject and _SUBJECT_RE.search(subject))


def body_says_bounce(text: str) -> bool:
    return bool(_BODY_RE.search(text[:_MAX_SCAN]))


def has_machine_traces(text: str) -> bool:
    """Status codes or a returned-message marker: what MTAs write and people rarely do."""
    head = text[:_MAX_SCAN]
    if fields.STATUS_RE.search(head) or _REPLY_CODE_RE.search(head):
        return True
    return any(is_marker(line) for line in head.split("\n"))


def unquote(text: str) -> str:
    """Remove '> ' quoting, so forwarded bounces read like the original."""
    if ">" not in text:
        return text
    return "\n".join(_QUOTE_RE.sub("", line) for line in text.split("\n"))


def is_marker(line: str) -> bool:
    """A line that introduces the returned original message ('--- Original message ---')."""
    stripped = line.strip().lower()
    if not stripped or len(stripped) > 100:
        return False
    core = stripped.strip(" -|=*_>:.#~")
    decorated = stripped[0] in "-|=*_#~"
    return any(core.startswith(p) or (decorated and p in core) for p in _MARKER_PHRASES)


def split_notification(text: str) -> tuple[str, str]:
    """(the explanation, the quoted original) split at the first marker line.

    Without a marker, the quoted original is taken to start at its first Received or
    Return-Path line.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if is_marker(line):
            return "\n".join(lines[:index]), "\n".join(lines[index:])
    for index, line in enumerate(lines):
        lowered = line.lower()
        if lowered.startswith(("received:", "return-path:")):
            return "\n".join(lines[:index]), "\n".join(lines[index:])
    return text, ""


def sender_addresses(quoted: str) -> set[str]:
    """Addresses the quoted original was sent from: never the failed recipient."""
    found: set[str] = set()
    for line in quoted[:_MAX_SCAN].split("\n"):
        lowered = line.lstrip().lower()
        sender_line = lowered.startswith(("from:", "sender:", "return-path:", "reply-to:"))
        if sender_line or "envelope-from" in lowered:
            found.update(a.lower() for a in fields.addresses_in(line))
    return found


@dataclass(frozen=True, slots=True)
class _Candidate:
    address: str
    offset: int
    strong: bool


def _candidates(text: str, excluded: set[str], senders: set[str]) -> list[_Candidate]:
    found: list[_Candidate] = []
    offset = 0
    for line in text.split("\n"):
        if not _HEADERISH_RE.match(line):
            start = _LINE_ADDRESS_RE.match(line)
            strong_addr = start.group("addr").strip(".").lower() if start else None
            for match in fields.ADDRESS_RE.finditer(line):
                addr = match.group(0).strip(".")
                if line[max(0, match.start() - 1) : match.start()] in ("=", "/"):
                    continue  # inside a URL or key=value, not a recipient
                strong = addr.lower() == strong_addr
                # The original sender is skipped unless the line is plainly about it.
                if addr.lower() in excluded or (not strong and addr.lower() in senders):
                    continue
                found.append(_Candidate(addr, offset + match.start(), strong))
        offset += len(line) + 1
    return found


def failed_addresses(text: str, excluded: set[str], senders: set[str]) -> list[tuple[str, int]]:
    """Addresses the explanation is about, with where each is first named.

    `excluded` are never recipients (the report's own From/To); `senders` (the returned
    message's sender) only count when a line starts with them.
    """
    candidates = _candidates(text[:_MAX_SCAN], excluded, senders)
    strong = [c for c in candidates if c.strong]
    chosen = strong or candidates[:1]
    seen: dict[str, int] = {}
    for candidate in chosen:
        seen.setdefault(candidate.address.lower(), candidate.offset)
    by_key = {c.address.lower(): c.address for c in chosen}
    return [(by_key[key], offset) for key, offset in seen.items()]


def _diagnostic(segment: str) -> str | None:
    text = " ".join(segment.split())
    if not text:
        return None
    return text if len(text) <= _MAX_DIAGNOSTIC else text[: _MAX_DIAGNOSTIC - 1] + "…"


def _reply_code_class(segment: str) -> str | None:
    match = _REPLY_CODE_RE.search(segment)
    return f"{match.group(1)[0]}.0.0" if match else None


def overall_action(subject: str | None, text: str) -> DeliveryAction | None:
    """What the prose says about the whole notice, if it says it plainly."""
    head = text[:_MAX_SCAN]
    if _DELAY_RE.search(subject or "") or _DELAY_RE.search(head):
        return DeliveryAction.DELAYED
    if _GIVEN_UP_RE.search(head):
        return DeliveryAction.FAILED
    return None


def recipients_from_text(
    notification: str,
    subject: str | None,
    addresses: Iterable[str],
    excluded: set[str],
    senders: set[str],
) -> list[RecipientReport]:
    """Per-recipient results of a prose bounce.

    `addresses` are already known failed recipients (X-Failed-Recipients); when empty, the
    explanation text is searched for them.
    """
    lowered = notification.lower()
    known = [a for a in addresses if a]
    if known:
        located = [(a, lowered.find(a.lower())) for a in known]
    else:
        located = failed_addresses(notification, excluded, senders)
    stated = overall_action(subject, notification)
    # Each recipient's text runs from the line naming it to the line naming the next one.
    line_starts = sorted({notification.rfind("\n", 0, pos) + 1 for _a, pos in located if pos >= 0})
    results: list[RecipientReport] = []
    for addr, pos in located:
        if pos >= 0:
            start = notification.rfind("\n", 0, pos) + 1
            end = next((s for s in line_starts if s > start), len(notification))
            segment = notification[start : min(end, start + 4000)]
        else:
            segment = notification
        status = fields.status_code(segment)
        if status is None and len(located) == 1:
            status = fields.status_code(notification)
        action = stated or action_from_status(status or _reply_code_class(segment))
        results.append(
            RecipientReport(
                recipient=addr,
                action=action or DeliveryAction.FAILED,
                status=status,
                diagnostic=_diagnostic(segment),
            )
        )
    return results
