"""For SMTP tests against the suite's Postfix: a session to its mx service whose writes are
recorded (to see what went out in one write), and a small test message whose body has a line
starting with a dot (so dot-stuffing is exercised).

Imports: mailapp.core.model, mailapp.transport.smtp and the mail stack fixture's class.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from mailapp.core.model import Security, ServerSettings, TlsTrust
from mailapp.transport.smtp import SmtpSession
from support.mailstack import MailStack


@contextlib.asynccontextmanager
async def recording_mx_session(
    mailstack: MailStack,
) -> AsyncIterator[tuple[SmtpSession, list[bytes]]]:
    """A session to the mx service (STARTTLS, no login) and the list of its writes."""
    settings = ServerSettings(mailstack.host, mailstack.ports.mx, Security.STARTTLS, "")
    session = SmtpSession(settings, TlsTrust(ca_file=str(mailstack.ca_file)))
    await session.connect()
    protocol = session.smtp.protocol
    assert protocol is not None
    writes: list[bytes] = []
    original = protocol.write

    def recording(data: bytes) -> None:
        writes.append(bytes(data))
        original(data)

    protocol.write = recording  # type: ignore[method-assign]
    try:
        yield session, writes
    finally:
        await session.quit()


def dotted_message(sender: str, subject: str, to: str) -> bytes:
    return (
        f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@sender.test>\r\n\r\n"
        "Hello.\r\n.a line starting with a dot\r\n"
    ).encode()
