"""Dot-stuffing (RFC 1939 section 3): how a multi-line body travels, and back.

The reader in `connection` undoes stuffing incrementally; these whole-buffer helpers are for
building bodies (a fake server, a test) and for checking. Imports: the standard library.
"""

from __future__ import annotations

__all__ = ["dot_stuff", "dot_unstuff"]


def dot_stuff(body: bytes) -> bytes:
    """The wire form of body: every line starting with "." gets another, then ".\\r\\n".

    A body that does not end with a line break gets CRLF first, as a POP3 server must do.
    """
    if body and not body.endswith(b"\n"):
        body += b"\r\n"
    stuffed = body.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b".\r\n"


def dot_unstuff(wire: bytes) -> bytes:
    """The body of a complete multi-line wire form (ending in the terminating ".")."""
    if wire in (b".\r\n", b".\n"):
        return b""
    if wire.endswith(b"\n.\r\n"):
        inner = wire[:-3]
    elif wire.endswith(b"\n.\n"):
        inner = wire[:-2]
    else:
        raise ValueError("not a terminated multi-line body")
    unstuffed = inner.replace(b"\n.", b"\n")
    return unstuffed[1:] if unstuffed.startswith(b".") else unstuffed
