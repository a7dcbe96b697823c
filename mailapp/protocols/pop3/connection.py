"""The sans-IO POP3 client side: feed it the server's bytes, get events; ask it for commands.

Pop3Protocol tracks the session (greeting, authorization, STLS, transaction, closed), knows
which answer each sent command expects (pipelining keeps them in order), and reads:
  - the greeting and every status line (+OK / -ERR with its RFC 2449 response code),
  - SASL challenges ("+ base64"),
  - multi-line bodies, dot-unstuffed and delivered in chunks as they arrive: no line length
    limit, a few bytes kept between feeds, any split point (even inside "\\r\\n.\\r\\n").
It never sends a credential before TLS (`secure`), and after STLS refuses bytes that arrived
before the handshake. Limits raise LimitExceededError; a peer that breaks the protocol raises
ParseError, after which the object is unusable (the connection must be dropped).

Linear time: status lines are scanned once (the scan resumes where it stopped), bodies are
searched only for "\\n." (the only place stuffing matters). Imports: the standard library and
mailapp.core.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from mailapp.core.errors import (
    InvalidCommandError,
    LimitExceededError,
    ParseError,
    ProtocolError,
    StartTLSMissingError,
    TLSError,
)
from mailapp.protocols.pop3.commands import Command, ResponseKind, is_sasl_response
from mailapp.protocols.pop3.events import (
    Continuation,
    DataChunk,
    EndOfData,
    Event,
    Greeting,
    Response,
)

__all__ = [
    "DEFAULT_MAX_CHUNK",
    "DEFAULT_MAX_LINE_LENGTH",
    "DEFAULT_MAX_LISTING_SIZE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "Pop3Protocol",
    "Pop3State",
]

MiB = 1024 * 1024
# RFC 2449 allows 512 octets per status line; real servers stay far below this.
DEFAULT_MAX_LINE_LENGTH = 64 * 1024
DEFAULT_MAX_MESSAGE_SIZE = 256 * MiB
# UIDL of a million messages is about 30 MB.
DEFAULT_MAX_LISTING_SIZE = 64 * MiB
DEFAULT_MAX_CHUNK = 64 * 1024

_CR, _LF, _DOT = 0x0D, 0x0A, 0x2E
_CODE_RE = re.compile(r"\[([^\]\s]{1,64})\]")
_BANNER_RE = re.compile(r"<[^<>\s]{1,250}>")

# Which commands each state accepts (RFC 1939 plus CAPA, STLS, AUTH).
_AUTHORIZATION = frozenset({"CAPA", "STLS", "USER", "PASS", "AUTH", "APOP", "QUIT", "UTF8"})
_TRANSACTION = frozenset(
    {"CAPA", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "NOOP", "RSET", "QUIT"}
)
_CREDENTIALS = frozenset({"USER", "PASS", "AUTH", "APOP"})


class Pop3State(StrEnum):
    GREETING = "greeting"  # waiting for the server's first line
    AUTHORIZATION = "authorization"
    TLS_PENDING = "tls_pending"  # STLS accepted; nothing may be sent until the handshake
    TRANSACTION = "transaction"
    CLOSED = "closed"  # QUIT answered, or the greeting refused us


@dataclass(slots=True)
class _Pending:
    command: Command | None  # None: the greeting
    kind: ResponseKind
    limit: int
    in_body: bool = False
    line_start: bool = True
    size: int = 0
    challenged: bool = False  # SASL: a challenge came and the client has not answered

    @property
    def name(self) -> str:
        return self.command.name if self.command is not None else "greeting"


def _status_text(raw: bytes) -> tuple[str, str | None]:
    text = raw.decode("utf-8", "replace").strip()
    match = _CODE_RE.match(text)
    return text, match.group(1).upper() if match else None


class Pop3Protocol:
    """One POP3 session's client side, without any I/O."""

    def __init__(
        self,
        *,
        secure: bool = False,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_listing_size: int = DEFAULT_MAX_LISTING_SIZE,
        max_chunk: int = DEFAULT_MAX_CHUNK,
    ) -> None:
        if min(max_line_length, max_message_size, max_listing_size, max_chunk) < 1:
            raise ValueError("limits must be positive")
        self._secure = secure
        self.max_line_length = max_line_length
        self.max_message_size = max_message_size
        self.max_listing_size = max_listing_size
        self.max_chunk = max_chunk
        self._state = Pop3State.GREETING
        self._buf = bytearray()
        self._scanned = 0  # bytes of _buf already searched for LF without finding one
        self._pending: deque[_Pending] = deque(
            [_Pending(None, ResponseKind.GREETING, max_line_length)]
        )
        self._broken: ProtocolError | None = None
        self._quit_sent = False

    # --- what the transport asks ---------------------------------------------------------------

    @property
    def state(self) -> Pop3State:
        return self._state

    @property
    def secure(self) -> bool:
        """True once the connection is TLS (implicit, or after start_tls())."""
        return self._secure

    @property
    def waiting(self) -> int:
        """How many answers are still expected (the greeting counts)."""
        return len(self._pending)

    @property
    def buffered(self) -> int:
        """Received bytes not yet turned into events."""
        return len(self._buf)

    # --- sending -------------------------------------------------------------------------------

    def send(self, command: Command) -> bytes:
        """The bytes for `command`, after checking it is allowed now; its answer is expected."""
        self._check_usable()
        name = command.name
        if self._quit_sent:
            raise InvalidCommandError(f"{name} after QUIT: the session is ending.")
        if self._state is Pop3State.GREETING:
            raise InvalidCommandError(f"{name} before the server's greeting.")
        if self._state is Pop3State.TLS_PENDING:
            raise InvalidCommandError(f"{name} before the TLS handshake that STLS started.")
        if self._state is Pop3State.CLOSED:
            raise InvalidCommandError(f"{name} on a closed POP3 session.")
        allowed = _AUTHORIZATION if self._state is Pop3State.AUTHORIZATION else _TRANSACTION
        if name not in allowed and name in _AUTHORIZATION | _TRANSACTION:
            raise InvalidCommandError(f"{name} is not allowed in the {self._state} state.")
        if name in _CREDENTIALS and not self._secure:
            raise StartTLSMissingError(
                f"Refusing to send {name} before the connection is encrypted.",
                reason="starttls_missing",
            )
        if any(p.kind is ResponseKind.SASL for p in self._pending):
            raise InvalidCommandError(f"{name} while a SASL exchange is in progress.")
        if (name == "STLS" or command.kind is ResponseKind.SASL) and self._pending:
            raise InvalidCommandError(f"{name} cannot be pipelined behind other commands.")
        if name == "STLS" and self._secure:
            raise InvalidCommandError("STLS on a connection that is already encrypted.")
        limit = self.max_message_size if name in ("RETR", "TOP") else self.max_listing_size
        self._pending.append(_Pending(command, command.kind, limit))
        if name == "QUIT":
            self._quit_sent = True
        return command.encode()

    def send_sasl_response(self, text: str) -> bytes:
        """The line answering a SASL challenge: base64, "" (empty) or "*" (cancel)."""
        self._check_usable()
        head = self._pending[0] if self._pending else None
        if head is None or head.kind is not ResponseKind.SASL or not head.challenged:
            raise InvalidCommandError("No SASL challenge is waiting for an answer.")
        if not is_sasl_response(text):
            raise InvalidCommandError("A SASL response must be base64 (or * to cancel).")
        head.challenged = False
        return text.encode("ascii") + b"\r\n"

    def start_tls(self) -> None:
        """Call right before the TLS handshake that follows STLS's +OK.

        Raises TLSError when the server sent anything after that +OK: such bytes would be
        read as if they came over TLS (the CVE-2011-0411 injection).
        """
        self._check_usable()
        if self._state is not Pop3State.TLS_PENDING:
            raise InvalidCommandError("start_tls() without an accepted STLS.")
        if self._buf:
            raise TLSError(
                "The server sent data after accepting STLS, before the TLS handshake; "
                "refusing the connection.",
                reason="handshake",
            )
        self._secure = True
        self._state = Pop3State.AUTHORIZATION

    # --- receiving -----------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Event]:
        """Take bytes from the server (any split) and return the events they complete."""
        self._check_usable()
        self._buf += data
        events: list[Event] = []
        try:
            while self._pending and self._buf and self._step(events):
                pass
            # A body leaves at most two bytes behind, so only unread lines can pile up here:
            # bytes nobody asked for, or during a SASL challenge the client has not answered.
            if len(self._buf) > self.max_line_length:
                raise LimitExceededError(
                    f"The server sent {len(self._buf)} bytes that are not an answer."
                )
        except ProtocolError as exc:
            self._broken = exc
            raise
        return events

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise ProtocolError(
                f"This POP3 session is unusable after an earlier error: {self._broken.message}"
            )

    def _step(self, events: list[Event]) -> bool:
        """Handle what the buffer allows for the head answer; False when more bytes are needed."""
        head = self._pending[0]
        if head.in_body:
            return self._body(head, events)
        if head.challenged:
            return False  # the server must wait for our SASL answer
        buf = self._buf
        end = buf.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(buf)
            if len(buf) > self.max_line_length:
                raise LimitExceededError(
                    f"The server sent a status line longer than {self.max_line_length} bytes."
                )
            return False
        if end > self.max_line_length:
            raise LimitExceededError(
                f"The server sent a status line longer than {self.max_line_length} bytes."
            )
        line = bytes(buf[:end])
        del buf[: end + 1]
        self._scanned = 0
        if line.endswith(b"\r"):
            line = line[:-1]
        self._line(head, line, events)
        return True

    def _line(self, head: _Pending, line: bytes, events: list[Event]) -> None:
        if head.kind is ResponseKind.SASL and (line == b"+" or line.startswith(b"+ ")):
            head.challenged = True
            events.append(Continuation(head.name, line[2:].decode("ascii", "replace").strip()))
            return
        word = line[:4].upper()
        if word[:3] == b"+OK":
            ok, rest = True, line[3:]
        elif word == b"-ERR":
            ok, rest = False, line[4:]
        else:
            raise ParseError(
                f"The server answered {head.name} with {line[:80]!r}, "
                "which is neither +OK nor -ERR."
            )
        text, code = _status_text(rest)
        if head.command is None:
            banner = _BANNER_RE.search(text) if ok else None
            events.append(Greeting(ok, text, code, banner.group(0) if banner else None))
            self._pending.popleft()
            self._state = Pop3State.AUTHORIZATION if ok else Pop3State.CLOSED
            return
        body_follows = ok and head.kind is ResponseKind.MULTILINE
        events.append(Response(head.name, ok, text, code, multiline=body_follows))
        if body_follows:
            head.in_body = True
            return
        self._finish(head, ok)

    def _finish(self, head: _Pending, ok: bool) -> None:
        self._pending.popleft()
        name = head.name
        if name == "QUIT":
            self._state = Pop3State.CLOSED
        elif not ok:
            return
        elif name in ("PASS", "AUTH", "APOP"):
            self._state = Pop3State.TRANSACTION
        elif name == "STLS":
            self._state = Pop3State.TLS_PENDING

    def _body(self, head: _Pending, events: list[Event]) -> bool:
        """Unstuff what the buffer holds of a multi-line body; True when its "." was read."""
        buf = self._buf
        size = len(buf)
        pos = 0
        pieces: list[bytearray] = []
        ended = False
        while pos < size:
            if head.line_start:
                if buf[pos] == _DOT:
                    if size - pos < 2:
                        break  # "." alone so far: the end, or a stuffed dot?
                    after = buf[pos + 1]
                    if after == _LF:
                        pos, ended = pos + 2, True
                        break
                    if after == _CR:
                        if size - pos < 3:
                            break
                        if buf[pos + 2] == _LF:
                            pos, ended = pos + 3, True
                            break
                    pos += 1  # a stuffed dot: the first one goes
                head.line_start = False
                if pos == size:
                    break
            found = buf.find(b"\n.", pos)
            if found < 0:
                pieces.append(buf[pos:])
                head.line_start = buf[size - 1] == _LF
                pos = size
                break
            pieces.append(buf[pos : found + 1])
            pos = found + 1
            head.line_start = True
        del buf[:pos]
        self._scanned = 0
        if pieces:
            data = b"".join(pieces)
            head.size += len(data)
            if head.size > head.limit:
                raise LimitExceededError(
                    f"The answer to {head.name} is larger than {head.limit} bytes; "
                    "not reading further."
                )
            step = self.max_chunk
            events.extend(DataChunk(data[i : i + step]) for i in range(0, len(data), step))
        if ended:
            events.append(EndOfData(head.name, head.size))
            self._finish(head, True)
        return ended
