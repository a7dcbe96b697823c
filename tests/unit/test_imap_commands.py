"""Command builders: exact bytes, literal choice, SASL, and refusal of CR/LF/NUL injection."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailapp.core.errors import InvalidCommandError
from mailapp.protocols.imap import IDLE_DONE, CommandBuilder, QresyncParams, format_internaldate


def test_tags_increase_and_simple_commands() -> None:
    b = CommandBuilder(tag_prefix="M")
    assert b.capability().data == b"M1 CAPABILITY\r\n"
    assert b.noop().data == b"M2 NOOP\r\n"
    assert b.starttls().data == b"M3 STARTTLS\r\n"
    assert b.compress_deflate().data == b"M4 COMPRESS DEFLATE\r\n"
    assert b.idle().data == b"M5 IDLE\r\n"
    assert IDLE_DONE == b"DONE\r\n"
    assert b.logout().data == b"M6 LOGOUT\r\n"
    assert b.enable("CONDSTORE", "QRESYNC").data == b"M7 ENABLE CONDSTORE QRESYNC\r\n"
    assert b.uid_expunge([3, 4, 5]).data == b"M8 UID EXPUNGE 3:5\r\n"
    assert b.namespace().data == b"M9 NAMESPACE\r\n"


def test_login_quoting_and_literals() -> None:
    b = CommandBuilder()
    cmd = b.login("alice", 'pa"ss\\word')
    assert cmd.chunks == (b'A1 LOGIN alice "pa\\"ss\\\\word"\r\n',)
    assert cmd.sensitive
    assert "pa" not in cmd.log_text()
    cmd = b.login("jörg", "x")
    assert cmd.chunks == (b"A2 LOGIN {5}\r\n", b"j\xc3\xb6rg x\r\n")
    assert cmd.literal_sizes == (5,)
    b.set_capabilities(["IMAP4rev1", "LITERAL+"])
    assert b.login("jörg", "x").chunks == (b"A3 LOGIN {5+}\r\nj\xc3\xb6rg x\r\n",)
    b.utf8 = True
    assert b.login("jörg", "NIL").chunks == ('A4 LOGIN "jörg" "NIL"\r\n'.encode(),)


def test_literal_minus_only_for_small_literals() -> None:
    b = CommandBuilder(capabilities=["LITERAL-"])
    assert b.append("INBOX", b"x" * 10).chunks == (
        b"A1 APPEND INBOX {10+}\r\n" + b"x" * 10 + b"\r\n",
    )
    big = b.append("INBOX", b"x" * 5000)
    assert big.chunks[0] == b"A2 APPEND INBOX {5000}\r\n"
    assert len(big.chunks) == 2


def test_sasl_plain_and_xoauth2() -> None:
    b = CommandBuilder(capabilities=["SASL-IR"])
    cmd = b.authenticate_plain("alice", "secret")
    expected = base64.b64encode(b"\x00alice\x00secret")
    assert cmd.chunks == (b"A1 AUTHENTICATE PLAIN " + expected + b"\r\n",)
    assert cmd.on_continuation == b"*\r\n"
    assert "secret" not in cmd.log_text()
    b.set_capabilities([])
    cmd = b.authenticate_plain("alice", "secret")
    assert cmd.chunks == (b"A2 AUTHENTICATE PLAIN\r\n", expected + b"\r\n")
    b.set_capabilities(["SASL-IR"])
    cmd = b.authenticate_xoauth2("a@example.com", "ya29.token")
    token = base64.b64encode(b"user=a@example.com\x01auth=Bearer ya29.token\x01\x01")
    assert cmd.chunks == (b"A3 AUTHENTICATE XOAUTH2 " + token + b"\r\n",)
    assert cmd.on_continuation == b"\r\n"
    with pytest.raises(InvalidCommandError):
        b.authenticate_plain("al\x00ice", "x")
    with pytest.raises(InvalidCommandError):
        b.authenticate_xoauth2("a", "tok\r\nA9 LOGOUT")


def test_select_variants() -> None:
    b = CommandBuilder()
    assert b.select("INBOX").data == b"A1 SELECT INBOX\r\n"
    assert b.select("Entwürfe", condstore=True).data == b"A2 SELECT Entw&APw-rfe (CONDSTORE)\r\n"
    q = QresyncParams(67890007, 90060115194045000, "41:211,214:541")
    assert b.examine("INBOX", qresync=q).data == (
        b"A3 EXAMINE INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541))\r\n"
    )
    q = QresyncParams(1, 2, "1:9", ("1,5", "3,20"))
    assert b.select("My Box", qresync=q).data == (
        b'A4 SELECT "My Box" (QRESYNC (1 2 1:9 (1,5 3,20)))\r\n'
    )


def test_list_status_create() -> None:
    b = CommandBuilder()
    assert b.list().data == b'A1 LIST "" *\r\n'
    cmd = b.list("", "%", return_special_use=True, return_status=["messages", "UIDNEXT"])
    assert cmd.data == b'A2 LIST "" % RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT))\r\n'
    cmd = b.list(select_special_use=True, pattern="Gel\u00f6scht*")
    assert cmd.data == b'A3 LIST (SPECIAL-USE) "" Gel&APY-scht*\r\n'
    assert b.lsub().data == b'A4 LSUB "" *\r\n'
    assert b.status("Sent", ["MESSAGES", "HIGHESTMODSEQ"]).data == (
        b"A5 STATUS Sent (MESSAGES HIGHESTMODSEQ)\r\n"
    )
    assert b.create("Archiv", special_use="\\Archive").data == (
        b"A6 CREATE Archiv (USE (\\Archive))\r\n"
    )
    assert b.rename("a b", "c").data == b'A7 RENAME "a b" c\r\n'
    assert b.subscribe("x").data == b"A8 SUBSCRIBE x\r\n"
    assert b.id({"name": "mailapp", "version": None}).data == (
        b'A9 ID ("name" "mailapp" "version" NIL)\r\n'
    )
    assert b.id(None).data == b"A10 ID NIL\r\n"


def test_fetch_store_copy_move_search() -> None:
    b = CommandBuilder()
    cmd = b.uid_fetch(
        [1, 2, 3, 5, 7, 8], ["UID", "FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.512>"]
    )
    assert cmd.data == (
        b"A1 UID FETCH 1:3,5,7:8 (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)]<0.512>)\r\n"
    )
    cmd = b.uid_fetch("1:*", "FLAGS", changed_since=12345, vanished=True)
    assert cmd.data == b"A2 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n"
    with pytest.raises(InvalidCommandError):
        b.uid_fetch("1:*", "FLAGS", vanished=True)
    assert b.fetch("1:5", ["UID"]).data == b"A4 FETCH 1:5 (UID)\r\n"
    cmd = b.uid_store([4], ["\\Seen", "$Forwarded"], unchanged_since=9)
    assert cmd.data == b"A5 UID STORE 4 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen $Forwarded)\r\n"
    cmd = b.uid_store("1:3", ["\\Deleted"], mode="-", silent=False)
    assert cmd.data == b"A6 UID STORE 1:3 -FLAGS (\\Deleted)\r\n"
    assert b.uid_store("1", [], mode="").data == b"A7 UID STORE 1 FLAGS.SILENT ()\r\n"
    assert b.uid_copy([9, 10], "Archiv").data == b"A8 UID COPY 9:10 Archiv\r\n"
    assert b.uid_move("5", "[Gmail]/Trash").data == b"A9 UID MOVE 5 [Gmail]/Trash\r\n"
    cmd = b.uid_search(
        ["UNSEEN", "SINCE", "1-Feb-2026", "SUBJECT", b"report (draft"], returns=["MIN", "COUNT"]
    )
    assert cmd.data == (
        b'A10 UID SEARCH RETURN (MIN COUNT) UNSEEN SINCE 1-Feb-2026 SUBJECT "report (draft"\r\n'
    )
    cmd = b.uid_search(["SUBJECT", "Grüße".encode()], charset="UTF-8")
    assert cmd.chunks == (
        b"A11 UID SEARCH CHARSET UTF-8 SUBJECT {7}\r\n",
        "Grüße".encode() + b"\r\n",
    )


def test_append_with_flags_date_and_binary() -> None:
    b = CommandBuilder(capabilities=["LITERAL+"])
    when = datetime(2026, 7, 4, 9, 5, 3, tzinfo=timezone(timedelta(hours=-7)))
    cmd = b.append("Sent", b"Subject: x\r\n\r\nhi\r\n", flags=["\\Seen"], internal_date=when)
    assert cmd.data == (
        b'A1 APPEND Sent (\\Seen) " 4-Jul-2026 09:05:03 -0700" {18+}\r\n'
        b"Subject: x\r\n\r\nhi\r\n\r\n"
    )
    with pytest.raises(InvalidCommandError):
        b.append("Sent", b"a\x00b")
    b.set_capabilities(["BINARY"])
    cmd = b.append("Sent", b"a\x00b")
    assert cmd.chunks == (b"A3 APPEND Sent ~{3}\r\n", b"a\x00b\r\n")
    assert format_internaldate(datetime(2026, 12, 25, 23, 0, 0, tzinfo=UTC)) == (
        "25-Dec-2026 23:00:00 +0000"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda b: b.enable("CONDSTORE\r\nA9 DELETE INBOX"),
        lambda b: b.uid_fetch("1:*", ["FLAGS)\r\nA9 LOGOUT"]),
        lambda b: b.uid_fetch("1:*\r\n", ["FLAGS"]),
        lambda b: b.uid_store("1", ["\\Seen\r\n"]),
        lambda b: b.uid_store("1", ["\\Seen"], mode="+\r\n"),
        lambda b: b.uid_search(["SUBJECT\r\nA9"]),
        lambda b: b.uid_search(['"x"']),
        lambda b: b.status("INBOX", ["MESSAGES\r\n"]),
        lambda b: b.select("INBOX\r\nA9 LOGOUT"),
        lambda b: b.delete("a\nb"),
        lambda b: b.list("", "*\r\n"),
        lambda b: b.uid_copy("1", "x\x00y"),
        lambda b: b.uid_search(["SUBJECT", b"a\x00b"]),
        lambda b: b.create("x", special_use="\\Sent)\r\n"),
        lambda b: b.list(return_status=["MESSAGES)\r\n"]),
        lambda b: b.uid_fetch([], ["FLAGS"]),
        lambda b: b.enable(),
    ],
)
def test_injection_and_bad_arguments_are_refused(build: object) -> None:
    with pytest.raises(InvalidCommandError):
        build(CommandBuilder())  # type: ignore[operator]


def test_strings_with_line_breaks_go_as_literals() -> None:
    b = CommandBuilder()
    cmd = b.uid_search(["BODY", b"line1\r\nA9 LOGOUT"])
    assert cmd.chunks == (b"A1 UID SEARCH BODY {16}\r\n", b"line1\r\nA9 LOGOUT\r\n")
