"""The sans-IO POP3 session: greeting, status lines, SASL challenges, streamed multi-line bodies
split at every possible point, limits, and the rules about TLS and states."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.core.errors import (
    InvalidCommandError,
    LimitExceededError,
    ParseError,
    ProtocolError,
    StartTLSMissingError,
    TLSError,
)
from mailapp.protocols.pop3 import commands as c
from mailapp.protocols.pop3.connection import Pop3Protocol, Pop3State
from mailapp.protocols.pop3.events import (
    Continuation,
    DataChunk,
    EndOfData,
    Event,
    Greeting,
    Response,
)
from mailapp.protocols.pop3.stuffing import dot_stuff, dot_unstuff

GREETING = b"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n"


def logged_in(**limits: int) -> Pop3Protocol:
    proto = Pop3Protocol(secure=True, **limits)
    proto.feed(b"+OK hi\r\n")
    proto.send(c.user("u"))
    proto.send(c.pass_("p"))
    proto.feed(b"+OK\r\n+OK in\r\n")
    assert proto.state is Pop3State.TRANSACTION
    return proto


def merged(events: list[Event]) -> list[Event]:
    """Events with neighbouring DataChunks joined: chunking must not change anything else."""
    out: list[Event] = []
    for event in events:
        if isinstance(event, DataChunk) and out and isinstance(out[-1], DataChunk):
            out[-1] = DataChunk(out[-1].data + event.data)
        elif isinstance(event, DataChunk) and not event.data:
            continue
        else:
            out.append(event)
    return out


def feed_split(proto: Pop3Protocol, data: bytes, cuts: list[int]) -> list[Event]:
    events: list[Event] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        events.extend(proto.feed(data[start:cut]))
        start = cut
    return events


def body_of(events: list[Event]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, DataChunk))


# --- greeting and status lines ----------------------------------------------------------------


def test_greeting_keeps_the_apop_banner() -> None:
    proto = Pop3Protocol()
    assert proto.state is Pop3State.GREETING
    (event,) = proto.feed(GREETING)
    assert event == Greeting(
        True,
        "POP3 ready <1896.697170952@dbc.mtview.ca.us>",
        None,
        "<1896.697170952@dbc.mtview.ca.us>",
    )
    assert proto.state is Pop3State.AUTHORIZATION


def test_err_greeting_closes_the_session() -> None:
    proto = Pop3Protocol()
    (event,) = proto.feed(b"-ERR [SYS/TEMP] too many connections\r\n")
    assert event == Greeting(False, "[SYS/TEMP] too many connections", "SYS/TEMP", None)
    assert proto.state is Pop3State.CLOSED
    with pytest.raises(InvalidCommandError):
        proto.send(c.capa())


@pytest.mark.parametrize(
    ("line", "ok", "code"),
    [
        (b"-ERR [IN-USE] Mailbox locked", False, "IN-USE"),
        (b"-ERR [SYS/TEMP] try later", False, "SYS/TEMP"),
        (b"-ERR [sys/perm] gone", False, "SYS/PERM"),
        (b"-ERR [LOGIN-DELAY] wait 5 minutes", False, "LOGIN-DELAY"),
        (b"-ERR [AUTH] Authentication failed.", False, "AUTH"),
        (b"-ERR", False, None),
        (b"+OK", True, None),
        (b"+ok lower case too", True, None),
        (b"-ERR not [A CODE] in the middle", False, None),
    ],
)
def test_response_codes(line: bytes, ok: bool, code: str | None) -> None:
    proto = logged_in()
    proto.send(c.noop())
    (event,) = proto.feed(line + b"\r\n")
    assert isinstance(event, Response)
    assert (event.command, event.ok, event.code) == ("NOOP", ok, code)
    assert event.text == line.partition(b" ")[2].decode()


def test_bare_lf_lines_are_accepted() -> None:
    proto = logged_in()
    proto.send(c.uidl())
    events = proto.feed(b"+OK\n1 a\n2 b\n.\n")
    assert body_of(events) == b"1 a\n2 b\n"
    assert isinstance(events[-1], EndOfData)


def test_garbage_instead_of_status_breaks_the_session() -> None:
    proto = logged_in()
    proto.send(c.stat())
    with pytest.raises(ParseError, match="neither"):
        proto.feed(b"* OK this is IMAP\r\n")
    with pytest.raises(ProtocolError, match="unusable"):
        proto.feed(b"+OK\r\n")
    with pytest.raises(ProtocolError, match="unusable"):
        proto.send(c.noop())


def test_endless_status_line_hits_the_limit() -> None:
    proto = Pop3Protocol(max_line_length=1000)
    proto.feed(b"+OK " + b"x" * 900)
    with pytest.raises(LimitExceededError):
        proto.feed(b"x" * 200)


def test_unrequested_bytes_are_bounded() -> None:
    proto = logged_in(max_line_length=100)
    assert proto.feed(b"-ERR autologout\r\n") == []  # kept for whoever asks next
    with pytest.raises(LimitExceededError):
        proto.feed(b"y" * 200)


# --- multi-line bodies ------------------------------------------------------------------------


def test_multiline_unstuffs_and_ends_at_the_dot() -> None:
    proto = logged_in()
    proto.send(c.retr(1))
    events = proto.feed(b"+OK 30 octets\r\n..leading\r\n...\r\nmid.dle\r\n.\r\n")
    assert events[0] == Response("RETR", True, "30 octets", None, multiline=True)
    assert body_of(events) == b".leading\r\n..\r\nmid.dle\r\n"
    assert events[-1] == EndOfData("RETR", len(b".leading\r\n..\r\nmid.dle\r\n"))
    assert proto.waiting == 0


def test_err_on_multiline_command_has_no_body() -> None:
    proto = logged_in()
    proto.send(c.retr(9))
    proto.send(c.noop())
    events = proto.feed(b"-ERR no such message\r\n+OK\r\n")
    assert events == [
        Response("RETR", False, "no such message", None),
        Response("NOOP", True, "", None),
    ]


def test_empty_body() -> None:
    proto = logged_in()
    proto.send(c.list_())
    assert merged(proto.feed(b"+OK 0 messages\r\n.\r\n")) == [
        Response("LIST", True, "0 messages", None, multiline=True),
        EndOfData("LIST", 0),
    ]


def test_split_at_every_point_of_the_terminator() -> None:
    wire = b"+OK\r\nline\r\n..x\r\n.\r\n+OK done\r\n"
    for cut in range(1, len(wire)):
        proto = logged_in()
        proto.send(c.retr(1))
        proto.send(c.noop())
        events = merged(proto.feed(wire[:cut]) + proto.feed(wire[cut:]))
        assert events == [
            Response("RETR", True, "", None, multiline=True),
            DataChunk(b"line\r\n.x\r\n"),
            EndOfData("RETR", 10),
            Response("NOOP", True, "done", None),
        ], cut


def test_a_100kb_line_streams_in_bounded_chunks() -> None:
    line = bytes(range(0x21, 0x7F)) * 1100  # about 100 KB, no CRLF inside
    message = b"Subject: long\r\n\r\n" + line + b"\r\nend\r\n"
    proto = logged_in(max_chunk=4096)
    proto.send(c.retr(1))
    wire = b"+OK\r\n" + dot_stuff(message)
    events: list[Event] = []
    for start in range(0, len(wire), 1000):
        events.extend(proto.feed(wire[start : start + 1000]))
        assert proto.buffered <= 2  # nothing but a possible "." or ".\r" waits
    chunks = [e for e in events if isinstance(e, DataChunk)]
    assert all(len(chunk.data) <= 4096 for chunk in chunks)
    assert body_of(events) == message
    assert events[-1] == EndOfData("RETR", len(message))


def test_one_huge_feed_is_cut_into_max_chunk_pieces() -> None:
    message = b"a" * 10_000 + b"\r\n"
    proto = logged_in(max_chunk=1024)
    proto.send(c.retr(1))
    events = proto.feed(b"+OK\r\n" + dot_stuff(message))
    sizes = [len(e.data) for e in events if isinstance(e, DataChunk)]
    assert max(sizes) == 1024 and sum(sizes) == len(message)


def test_message_size_guard() -> None:
    proto = logged_in(max_message_size=100)
    proto.send(c.retr(1))
    proto.feed(b"+OK\r\n" + b"z" * 60)
    with pytest.raises(LimitExceededError, match="RETR"):
        proto.feed(b"z" * 60)
    with pytest.raises(ProtocolError):
        proto.feed(b"\r\n.\r\n")


def test_listings_have_their_own_limit() -> None:
    proto = logged_in(max_message_size=10, max_listing_size=1000)
    proto.send(c.uidl())
    events = proto.feed(b"+OK\r\n" + b"".join(b"%d uid-%d\r\n" % (i, i) for i in range(1, 20)))
    assert len(body_of(events)) > 10


bodies = st.lists(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
    max_size=12,
).map(lambda lines: b"".join(line + b"\r\n" for line in lines))
dotty = st.lists(
    st.sampled_from([b".", b"..", b"\r\n", b"\n", b"\r", b"x", b".\r\n", b"\r\n.\r"]), max_size=30
).map(lambda parts: b"".join(parts) + b"\r\n")


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(bodies, dotty), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_any_split_gives_the_same_events(body: bytes, cuts: list[int]) -> None:
    wire = b"+OK 3 300\r\n+OK\r\n" + dot_stuff(body) + b"+OK\r\n"

    def run(cut_points: list[int]) -> list[Event]:
        proto = logged_in()
        for command in (c.stat(), c.retr(1), c.noop()):
            proto.send(command)
        events = merged(feed_split(proto, wire, [x for x in cut_points if x < len(wire)]))
        assert proto.waiting == 0 and proto.buffered == 0
        return events

    whole = run([])
    assert whole == run(cuts)
    assert whole == run(list(range(1, len(wire))))  # byte by byte
    assert body_of(whole) == body
    assert [type(e) for e in whole if not isinstance(e, DataChunk)] == [
        Response,
        Response,
        EndOfData,
        Response,
    ]


def test_greeting_byte_by_byte() -> None:
    proto = Pop3Protocol()
    events: list[Event] = []
    for i in range(len(GREETING)):
        events.extend(proto.feed(GREETING[i : i + 1]))
    assert events == Pop3Protocol().feed(GREETING)


@given(st.binary(max_size=300))
def test_dot_stuffing_round_trip(raw: bytes) -> None:
    expected = raw if not raw or raw.endswith(b"\n") else raw + b"\r\n"
    assert dot_unstuff(dot_stuff(raw)) == expected
    proto = logged_in()
    proto.send(c.retr(1))
    assert body_of(proto.feed(b"+OK\r\n" + dot_stuff(raw))) == expected


# --- SASL, TLS and states ---------------------------------------------------------------------


def test_sasl_continuation_and_answer() -> None:
    proto = Pop3Protocol(secure=True)
    proto.feed(b"+OK\r\n")
    command, later = c.auth("XOAUTH2", b"u" * 300)
    assert later is not None
    assert proto.send(command) == b"AUTH XOAUTH2\r\n"
    with pytest.raises(InvalidCommandError):
        proto.send_sasl_response(later)  # no challenge yet
    assert proto.feed(b"+ \r\n") == [Continuation("AUTH", "")]
    assert proto.feed(b"+OK too early\r\n") == []  # the server must wait for our answer
    assert proto.send_sasl_response(later) == later.encode() + b"\r\n"
    assert proto.feed(b"") == [Response("AUTH", True, "too early", None)]
    assert proto.state is Pop3State.TRANSACTION


def test_sasl_failure_challenge_then_err() -> None:
    proto = Pop3Protocol(secure=True)
    proto.feed(b"+OK\r\n")
    proto.send(c.auth("PLAIN", b"\0u\0p")[0])
    with pytest.raises(InvalidCommandError):
        proto.send(c.capa())  # nothing may be pipelined into a SASL exchange
    assert proto.feed(b"+ eyJzdGF0dXMiOiI0MDEifQ==\r\n") == [
        Continuation("AUTH", "eyJzdGF0dXMiOiI0MDEifQ==")
    ]
    with pytest.raises(InvalidCommandError):
        proto.send_sasl_response("not base64!")
    proto.send_sasl_response("*")
    (event,) = proto.feed(b"-ERR [AUTH] cancelled\r\n")
    assert isinstance(event, Response) and not event.ok and event.code == "AUTH"
    assert proto.state is Pop3State.AUTHORIZATION


def test_a_plus_line_outside_sasl_is_garbage() -> None:
    proto = logged_in()
    proto.send(c.stat())
    with pytest.raises(ParseError):
        proto.feed(b"+ challenge\r\n")


@pytest.mark.parametrize(
    "command", [c.user("u"), c.pass_("p"), c.auth("PLAIN", b"\0u\0p")[0], c.auth("XOAUTH2")[0]]
)
def test_no_credentials_before_tls(command: c.Command) -> None:
    proto = Pop3Protocol()
    proto.feed(b"+OK\r\n")
    with pytest.raises(StartTLSMissingError):
        proto.send(command)


def test_stls_then_tls_then_login() -> None:
    proto = Pop3Protocol()
    proto.feed(b"+OK\r\n")
    proto.send(c.stls())
    proto.feed(b"+OK go ahead\r\n")
    assert proto.state is Pop3State.TLS_PENDING
    with pytest.raises(InvalidCommandError):
        proto.send(c.capa())
    proto.start_tls()
    assert proto.secure and proto.state is Pop3State.AUTHORIZATION
    with pytest.raises(InvalidCommandError):
        proto.send(c.stls())  # once is enough
    proto.send(c.user("u"))


def test_bytes_before_the_handshake_are_refused() -> None:
    proto = Pop3Protocol()
    proto.feed(b"+OK\r\n")
    proto.send(c.stls())
    proto.feed(b"+OK go ahead\r\n+OK injected\r\n")
    with pytest.raises(TLSError):
        proto.start_tls()
    assert not proto.secure


def test_stls_refused_stays_plain() -> None:
    proto = Pop3Protocol()
    proto.feed(b"+OK\r\n")
    proto.send(c.stls())
    proto.feed(b"-ERR no TLS here\r\n")
    assert proto.state is Pop3State.AUTHORIZATION and not proto.secure
    with pytest.raises(InvalidCommandError):
        proto.start_tls()


def test_state_rules() -> None:
    proto = Pop3Protocol(secure=True)
    with pytest.raises(InvalidCommandError, match="greeting"):
        proto.send(c.capa())
    proto.feed(b"+OK\r\n")
    with pytest.raises(InvalidCommandError, match="authorization"):
        proto.send(c.retr(1))
    proto.send(c.user("u"))
    proto.send(c.pass_("p"))
    proto.feed(b"+OK\r\n-ERR [AUTH] no\r\n")
    assert proto.state is Pop3State.AUTHORIZATION
    proto.send(c.pass_("p2"))
    proto.feed(b"+OK\r\n")
    with pytest.raises(InvalidCommandError, match="transaction"):
        proto.send(c.user("u"))
    proto.send(c.quit())
    with pytest.raises(InvalidCommandError, match="QUIT"):
        proto.send(c.noop())
    proto.feed(b"+OK bye\r\n")
    assert proto.state is Pop3State.CLOSED


def test_pipelined_answers_arrive_in_order() -> None:
    proto = logged_in()
    for command in (c.stat(), c.uidl(), c.list_(2), c.dele(1), c.top(2, 0)):
        proto.send(command)
    assert proto.waiting == 5
    wire = (
        b"+OK 2 320\r\n+OK\r\n1 a\r\n2 b\r\n.\r\n+OK 2 200\r\n+OK deleted\r\n"
        b"+OK\r\nSubject: x\r\n\r\n.\r\n"
    )
    events = merged(proto.feed(wire))
    assert [type(e).__name__ for e in events] == [
        "Response",
        "Response",
        "DataChunk",
        "EndOfData",
        "Response",
        "Response",
        "Response",
        "DataChunk",
        "EndOfData",
    ]
    assert [e.command for e in events if isinstance(e, Response)] == [
        "STAT",
        "UIDL",
        "LIST",
        "DELE",
        "TOP",
    ]
    assert proto.waiting == 0
