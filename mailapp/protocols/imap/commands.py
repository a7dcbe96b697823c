"""IMAP command builders (sans-IO): each returns a Command holding the exact bytes to send.

Imports: the standard library, mailapp.core and this package's sequence and utf7 modules only.

Strings become an atom, a quoted string or a literal, whichever the content allows, and a
non-synchronizing literal ({n+}) when the server offers LITERAL+ (or LITERAL- for small ones).
Nothing a caller passes can end a command early: CR, LF and NUL are refused in atoms, and
strings that contain them go as literals (NUL only as literal8 in APPEND with BINARY).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailapp.core.errors import InvalidCommandError
from mailapp.protocols.imap.sequence import compress_uids
from mailapp.protocols.imap.utf7 import encode_mailbox_name

__all__ = [
    "IDLE_DONE",
    "Command",
    "CommandBuilder",
    "QresyncParams",
    "TagGenerator",
    "format_internaldate",
]

# Sent (untagged, on its own line) to end IDLE.
IDLE_DONE = b"DONE\r\n"

# RFC 7888: LITERAL- allows non-synchronizing literals up to this size.
_LITERAL_MINUS_MAX = 4096
# Longer strings go as literals even if they could be quoted: friendlier to servers' limits.
_MAX_QUOTED = 1024
_ATOM = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\\]]+")
_ASTRING_ATOM = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\]+")
_LIST_WILDCARDS = re.compile(rb"[^\x00-\x20\x7f-\xff(){\"\\\]]+")
_FLAG = re.compile(r"\\?[^\x00-\x20\x7f-\U0010ffff(){%*\"\\\]]+")
_SEQUENCE = re.compile(
    r"(?:[1-9][0-9]*|\*)(?::(?:[1-9][0-9]*|\*))?(?:,(?:[1-9][0-9]*|\*)(?::(?:[1-9][0-9]*|\*))?)*"
)
_FETCH_ITEM = re.compile(
    r"[A-Za-z0-9.\-]+(?:\[[^\x00-\x1f\x7f-\U0010ffff\]\"\\]*\])?(?:<[0-9]+(?:\.[0-9]+)?>)?"
)
_SEARCH_WORD = re.compile(r"[\x21-\x7e]+")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _bad(what: str, value: object) -> InvalidCommandError:
    return InvalidCommandError(f"Invalid {what} for an IMAP command: {value!r}")


def format_internaldate(when: datetime) -> str:
    """The APPEND date-time form, "17-Jul-1996 02:44:25 -0700" (naive means local time)."""
    aware = when if when.tzinfo is not None else when.astimezone()
    offset = aware.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (
        f"{aware.day:2d}-{_MONTHS[aware.month - 1]}-{aware.year:04d} "
        f"{aware.hour:02d}:{aware.minute:02d}:{aware.second:02d} "
        f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    )


class TagGenerator:
    """A1, A2, ... unique per connection."""

    def __init__(self, prefix: str = "A") -> None:
        if not _ATOM.fullmatch(prefix.encode("ascii", "replace")) or "+" in prefix:
            raise _bad("tag prefix", prefix)
        self._prefix = prefix
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return f"{self._prefix}{self._n}"


@dataclass(frozen=True, slots=True)
class Command:
    """One command as byte chunks. Send chunks[0]; before each further chunk wait for a
    continuation request ("+ ..."); a tagged NO/BAD instead means stop. If the server asks
    for more after the last chunk (a SASL error challenge), send `on_continuation`.

    `sensitive` commands carry a secret: log them only through `log_text()`."""

    tag: str
    name: str
    chunks: tuple[bytes, ...]
    sensitive: bool = False
    on_continuation: bytes | None = None
    literal_sizes: tuple[int, ...] = field(default=())

    @property
    def data(self) -> bytes:
        """All chunks joined: what goes on the wire when there is no synchronizing literal."""
        return b"".join(self.chunks)

    def log_text(self) -> str:
        if self.sensitive:
            return f"{self.tag} {self.name} <redacted>"
        first = self.chunks[0]
        if len(first) > 200:
            first = first[:200] + b"..."
        more = f" +{len(self.chunks) - 1} chunk(s)" if len(self.chunks) > 1 else ""
        return first.decode("utf-8", "replace").rstrip("\r\n") + more


class _Writer:
    """Accumulates one command; literals may split it into chunks."""

    __slots__ = ("builder", "chunks", "current", "literal_sizes")

    def __init__(self, builder: CommandBuilder, tag: str, name: str) -> None:
        self.builder = builder
        self.chunks: list[bytes] = []
        self.current = bytearray(f"{tag} {name}".encode("ascii"))
        self.literal_sizes: list[int] = []

    def raw(self, text: str | bytes) -> None:
        data = text.encode("ascii") if isinstance(text, str) else text
        if b"\r" in data or b"\n" in data or b"\x00" in data:
            raise _bad("text", text)
        self.current += data

    def sp(self) -> None:
        self.current += b" "

    def atom(self, text: str, pattern: re.Pattern[bytes] = _ATOM) -> None:
        data = text.encode("utf-8")
        if not pattern.fullmatch(data):
            raise _bad("atom", text)
        self.sp()
        self.current += data

    def string(self, value: str | bytes, *, astring: bool = False, space: bool = True) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        if space:
            self.sp()
        if astring and data and data.upper() != b"NIL" and _ASTRING_ATOM.fullmatch(data):
            self.current += data
            return
        if (
            len(data) <= _MAX_QUOTED
            and b"\r" not in data
            and b"\n" not in data
            and b"\x00" not in data
            and (data.isascii() or self.builder.utf8)
        ):
            self.current += b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
            return
        if b"\x00" in data:
            raise _bad("string (NUL byte)", value)
        self.literal(data)

    def mailbox(self, name: str) -> None:
        if "\r" in name or "\n" in name or "\x00" in name:
            raise _bad("mailbox name", name)
        if self.builder.utf8:
            self.string(name, astring=True)
        else:
            self.string(encode_mailbox_name(name).encode("ascii"), astring=True)

    def literal(self, data: bytes, *, binary: bool = False) -> None:
        n = len(data)
        caps = self.builder.capabilities
        non_sync = "LITERAL+" in caps or ("LITERAL-" in caps and n <= _LITERAL_MINUS_MAX)
        prefix = b"~" if binary else b""
        self.literal_sizes.append(n)
        if non_sync:
            self.current += prefix + b"{%d+}\r\n" % n
            self.current += data
        else:
            self.current += prefix + b"{%d}\r\n" % n
            self.chunks.append(bytes(self.current))
            self.current = bytearray(data)

    def finish(
        self, tag: str, name: str, *, sensitive: bool = False, on_continuation: bytes | None = None
    ) -> Command:
        self.current += b"\r\n"
        self.chunks.append(bytes(self.current))
        return Command(
            tag, name, tuple(self.chunks), sensitive, on_continuation, tuple(self.literal_sizes)
        )


@dataclass(frozen=True, slots=True)
class QresyncParams:
    """What we knew of a mailbox, for SELECT (QRESYNC (...)) (RFC 7162 3.2.5)."""

    uidvalidity: int
    modseq: int
    known_uids: str | None = None
    # Optional (known sequence numbers, their UIDs) to narrow the VANISHED answer.
    seq_match: tuple[str, str] | None = None


def _uid_text(uids: str | Iterable[int]) -> str:
    if isinstance(uids, str):
        if not _SEQUENCE.fullmatch(uids):
            raise _bad("sequence set", uids)
        return uids
    return compress_uids(uids)


class CommandBuilder:
    """Builds tagged commands for one connection.

    Keep `capabilities` current (after login the list usually grows) and set `utf8` once
    ENABLE UTF8=ACCEPT succeeded: mailbox names are then sent as UTF-8."""

    def __init__(
        self, *, capabilities: Iterable[str] = (), tag_prefix: str = "A", utf8: bool = False
    ) -> None:
        self.capabilities: frozenset[str] = frozenset(c.upper() for c in capabilities)
        self.utf8 = utf8
        self._tags = TagGenerator(tag_prefix)

    def set_capabilities(self, capabilities: Iterable[str]) -> None:
        self.capabilities = frozenset(c.upper() for c in capabilities)

    def _start(self, name: str) -> tuple[str, _Writer]:
        tag = self._tags.next()
        return tag, _Writer(self, tag, name)

    def _simple(self, name: str) -> Command:
        tag, w = self._start(name)
        return w.finish(tag, name)

    # --- any state ---------------------------------------------------------------------

    def capability(self) -> Command:
        return self._simple("CAPABILITY")

    def noop(self) -> Command:
        return self._simple("NOOP")

    def logout(self) -> Command:
        return self._simple("LOGOUT")

    def id(self, fields: Mapping[str, str | None] | None) -> Command:
        """RFC 2971; None sends NIL. Keep it short: servers cap it at 30 fields."""
        tag, w = self._start("ID")
        if fields is None:
            w.raw(" NIL")
        else:
            w.raw(" (")
            for i, (key, value) in enumerate(fields.items()):
                w.string(key, space=i > 0)
                if value is None:
                    w.raw(" NIL")
                else:
                    w.string(value)
            w.raw(")")
        return w.finish(tag, "ID")

    # --- not authenticated -------------------------------------------------------------

    def starttls(self) -> Command:
        return self._simple("STARTTLS")

    def login(self, user: str, password: str) -> Command:
        tag, w = self._start("LOGIN")
        w.string(user, astring=True)
        w.string(password, astring=True)
        return w.finish(tag, "LOGIN", sensitive=True)

    def _authenticate(self, mechanism: str, initial: bytes, cancel: bytes) -> Command:
        tag, w = self._start("AUTHENTICATE")
        w.atom(mechanism)
        encoded = base64.b64encode(initial) if initial else b"="
        if "SASL-IR" in self.capabilities:
            w.sp()
            w.current += encoded
            return w.finish(tag, "AUTHENTICATE", sensitive=True, on_continuation=cancel)
        first = bytes(w.current) + b"\r\n"
        return Command(
            tag,
            "AUTHENTICATE",
            (first, (encoded if initial else b"") + b"\r\n"),
            sensitive=True,
            on_continuation=cancel,
        )

    def authenticate_plain(self, user: str, password: str, authzid: str = "") -> Command:
        """SASL PLAIN (RFC 4616), initial response inline when SASL-IR is offered."""
        parts = [authzid.encode("utf-8"), user.encode("utf-8"), password.encode("utf-8")]
        if any(b"\x00" in p for p in parts):
            raise InvalidCommandError("A user name or password cannot contain a NUL character.")
        return self._authenticate("PLAIN", b"\x00".join(parts), b"*\r\n")

    def authenticate_xoauth2(self, user: str, access_token: str) -> Command:
        """Google/Microsoft XOAUTH2. On failure the server sends a JSON challenge that must be
        answered with an empty line (`on_continuation`) to get the tagged NO."""
        if any(c in user + access_token for c in "\x00\x01\r\n"):
            raise InvalidCommandError("A user name or token contains a control character.")
        initial = f"user={user}\x01auth=Bearer {access_token}\x01\x01".encode()
        return self._authenticate("XOAUTH2", initial, b"\r\n")

    # --- authenticated -----------------------------------------------------------------

    def enable(self, *capabilities: str) -> Command:
        if not capabilities:
            raise _bad("ENABLE list", capabilities)
        tag, w = self._start("ENABLE")
        for cap in capabilities:
            w.atom(cap)
        return w.finish(tag, "ENABLE")

    def compress_deflate(self) -> Command:
        tag, w = self._start("COMPRESS")
        w.raw(" DEFLATE")
        return w.finish(tag, "COMPRESS")

    def namespace(self) -> Command:
        return self._simple("NAMESPACE")

    def _select(
        self, name: str, mailbox: str, condstore: bool, qresync: QresyncParams | None
    ) -> Command:
        tag, w = self._start(name)
        w.mailbox(mailbox)
        if qresync is not None:
            w.raw(f" (QRESYNC ({qresync.uidvalidity:d} {qresync.modseq:d}")
            if qresync.known_uids is not None:
                w.raw(" " + _uid_text(qresync.known_uids))
                if qresync.seq_match is not None:
                    seqs, uids = qresync.seq_match
                    w.raw(f" ({_uid_text(seqs)} {_uid_text(uids)})")
            w.raw("))")
        elif condstore:
            w.raw(" (CONDSTORE)")
        return w.finish(tag, name)

    def select(
        self, mailbox: str, *, condstore: bool = False, qresync: QresyncParams | None = None
    ) -> Command:
        return self._select("SELECT", mailbox, condstore, qresync)

    def examine(
        self, mailbox: str, *, condstore: bool = False, qresync: QresyncParams | None = None
    ) -> Command:
        return self._select("EXAMINE", mailbox, condstore, qresync)

    def list(
        self,
        reference: str = "",
        pattern: str = "*",
        *,
        select_special_use: bool = False,
        select_subscribed: bool = False,
        return_special_use: bool = False,
        return_subscribed: bool = False,
        return_children: bool = False,
        return_status: Sequence[str] = (),
    ) -> Command:
        """LIST, with RFC 5258 selection and return options (RFC 6154 SPECIAL-USE, RFC 5819
        LIST-STATUS) only when asked for."""
        tag, w = self._start("LIST")
        selection = [
            o
            for o, on in (("SPECIAL-USE", select_special_use), ("SUBSCRIBED", select_subscribed))
            if on
        ]
        if selection:
            w.raw(" (" + " ".join(selection) + ")")
        w.mailbox(reference)
        self._pattern(w, pattern)
        options = [
            o
            for o, on in (
                ("SPECIAL-USE", return_special_use),
                ("SUBSCRIBED", return_subscribed),
                ("CHILDREN", return_children),
            )
            if on
        ]
        if return_status:
            for item in return_status:
                if not _ATOM.fullmatch(item.encode("utf-8")):
                    raise _bad("STATUS item", item)
            options.append("STATUS (" + " ".join(i.upper() for i in return_status) + ")")
        if options:
            w.raw(" RETURN (" + " ".join(options) + ")")
        return w.finish(tag, "LIST")

    def _pattern(self, w: _Writer, pattern: str) -> None:
        if "\r" in pattern or "\n" in pattern or "\x00" in pattern:
            raise _bad("LIST pattern", pattern)
        # Wildcards (* and %) survive modified UTF-7 unchanged: both are printable ASCII.
        data = pattern.encode("utf-8") if self.utf8 else encode_mailbox_name(pattern).encode()
        if data and _LIST_WILDCARDS.fullmatch(data):
            w.sp()
            w.current += data
        else:
            w.string(data)

    def lsub(self, reference: str = "", pattern: str = "*") -> Command:
        tag, w = self._start("LSUB")
        w.mailbox(reference)
        self._pattern(w, pattern)
        return w.finish(tag, "LSUB")

    def status(self, mailbox: str, items: Sequence[str]) -> Command:
        if not items:
            raise _bad("STATUS item list", items)
        tag, w = self._start("STATUS")
        w.mailbox(mailbox)
        for item in items:
            if not _ATOM.fullmatch(item.encode("utf-8")):
                raise _bad("STATUS item", item)
        w.raw(" (" + " ".join(i.upper() for i in items) + ")")
        return w.finish(tag, "STATUS")

    def _mailbox_command(self, name: str, *mailboxes: str) -> Command:
        tag, w = self._start(name)
        for m in mailboxes:
            w.mailbox(m)
        return w.finish(tag, name)

    def create(self, mailbox: str, *, special_use: str | None = None) -> Command:
        if special_use is None:
            return self._mailbox_command("CREATE", mailbox)
        tag, w = self._start("CREATE")
        w.mailbox(mailbox)
        if not _FLAG.fullmatch(special_use):
            raise _bad("special-use attribute", special_use)
        w.raw(f" (USE ({special_use}))")
        return w.finish(tag, "CREATE")

    def delete(self, mailbox: str) -> Command:
        return self._mailbox_command("DELETE", mailbox)

    def rename(self, old: str, new: str) -> Command:
        return self._mailbox_command("RENAME", old, new)

    def subscribe(self, mailbox: str) -> Command:
        return self._mailbox_command("SUBSCRIBE", mailbox)

    def unsubscribe(self, mailbox: str) -> Command:
        return self._mailbox_command("UNSUBSCRIBE", mailbox)

    def append(
        self,
        mailbox: str,
        message: bytes,
        *,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> Command:
        """APPEND one message. A message with NUL bytes needs the BINARY extension."""
        tag, w = self._start("APPEND")
        w.mailbox(mailbox)
        flag_list = list(flags)
        if flag_list:
            w.raw(" (" + " ".join(_check_flag(f) for f in flag_list) + ")")
        if internal_date is not None:
            w.raw(f' "{format_internaldate(internal_date)}"')
        w.sp()
        binary = b"\x00" in message
        if binary and "BINARY" not in self.capabilities:
            raise InvalidCommandError(
                "The message contains NUL bytes and the server does not offer BINARY."
            )
        w.literal(message, binary=binary)
        return w.finish(tag, "APPEND")

    # --- selected ------------------------------------------------------------------------

    def idle(self) -> Command:
        """After the server's "+ idling", send IDLE_DONE to end it."""
        return self._simple("IDLE")

    def close(self) -> Command:
        return self._simple("CLOSE")

    def unselect(self) -> Command:
        return self._simple("UNSELECT")

    def expunge(self) -> Command:
        return self._simple("EXPUNGE")

    def _fetch(
        self,
        name: str,
        numbers: str | Iterable[int],
        items: Sequence[str] | str,
        changed_since: int | None,
        vanished: bool,
    ) -> Command:
        item_list = [items] if isinstance(items, str) else list(items)
        if not item_list:
            raise _bad("FETCH item list", items)
        for item in item_list:
            if not _FETCH_ITEM.fullmatch(item):
                raise _bad("FETCH item", item)
        tag, w = self._start(name)
        w.raw(" " + _uid_text(numbers))
        w.raw(" (" + " ".join(item_list) + ")")
        modifiers = []
        if changed_since is not None:
            modifiers.append(f"CHANGEDSINCE {int(changed_since):d}")
        if vanished:
            if changed_since is None or name != "UID FETCH":
                raise InvalidCommandError("VANISHED needs UID FETCH with CHANGEDSINCE.")
            modifiers.append("VANISHED")
        if modifiers:
            w.raw(" (" + " ".join(modifiers) + ")")
        return w.finish(tag, name)

    def fetch(
        self,
        seqs: str | Iterable[int],
        items: Sequence[str] | str,
        *,
        changed_since: int | None = None,
    ) -> Command:
        return self._fetch("FETCH", seqs, items, changed_since, False)

    def uid_fetch(
        self,
        uids: str | Iterable[int],
        items: Sequence[str] | str,
        *,
        changed_since: int | None = None,
        vanished: bool = False,
    ) -> Command:
        """UID FETCH uids (items) [(CHANGEDSINCE m [VANISHED])]. `uids` may be a set text
        ("1:*") or UIDs, which are compressed."""
        return self._fetch("UID FETCH", uids, items, changed_since, vanished)

    def uid_store(
        self,
        uids: str | Iterable[int],
        flags: Iterable[str],
        *,
        mode: str = "+",
        silent: bool = True,
        unchanged_since: int | None = None,
    ) -> Command:
        """UID STORE uids [(UNCHANGEDSINCE m)] {+|-|}FLAGS[.SILENT] (flags)."""
        if mode not in ("+", "-", ""):
            raise _bad("STORE mode", mode)
        tag, w = self._start("UID STORE")
        w.raw(" " + _uid_text(uids))
        if unchanged_since is not None:
            w.raw(f" (UNCHANGEDSINCE {int(unchanged_since):d})")
        w.raw(f" {mode}FLAGS{'.SILENT' if silent else ''}")
        w.raw(" (" + " ".join(_check_flag(f) for f in flags) + ")")
        return w.finish(tag, "UID STORE")

    def uid_copy(self, uids: str | Iterable[int], mailbox: str) -> Command:
        return self._uid_to_mailbox("UID COPY", uids, mailbox)

    def uid_move(self, uids: str | Iterable[int], mailbox: str) -> Command:
        return self._uid_to_mailbox("UID MOVE", uids, mailbox)

    def _uid_to_mailbox(self, name: str, uids: str | Iterable[int], mailbox: str) -> Command:
        tag, w = self._start(name)
        w.raw(" " + _uid_text(uids))
        w.mailbox(mailbox)
        return w.finish(tag, name)

    def uid_expunge(self, uids: str | Iterable[int]) -> Command:
        tag, w = self._start("UID EXPUNGE")
        w.raw(" " + _uid_text(uids))
        return w.finish(tag, "UID EXPUNGE")

    def uid_search(
        self,
        criteria: Sequence[str | bytes],
        *,
        charset: str | None = None,
        returns: Sequence[str] | None = None,
    ) -> Command:
        """UID SEARCH. In `criteria`, str items are keywords/atoms sent as they are ("SINCE",
        "1-Feb-2026", "(", "OR", "1:5"); bytes items are string arguments, quoted or sent as
        literals (e.g. ["SUBJECT", "Bericht".encode()]). `returns` asks for ESEARCH data
        (RETURN (MIN MAX COUNT ALL)); an empty sequence sends RETURN ()."""
        if not criteria:
            raise _bad("search criteria", criteria)
        tag, w = self._start("UID SEARCH")
        if returns is not None:
            for r in returns:
                if not _ATOM.fullmatch(r.encode("utf-8")):
                    raise _bad("RETURN option", r)
            w.raw(" RETURN (" + " ".join(returns) + ")")
        if charset is not None:
            w.atom("CHARSET")
            w.atom(charset)
        for item in criteria:
            if isinstance(item, bytes):
                w.string(item)
            elif _SEARCH_WORD.fullmatch(item) and '"' not in item and "{" not in item:
                w.sp()
                w.current += item.encode("ascii")
            else:
                raise _bad("search keyword", item)
        return w.finish(tag, "UID SEARCH")


def _check_flag(flag: str) -> str:
    if not _FLAG.fullmatch(flag):
        raise _bad("flag", flag)
    return flag
