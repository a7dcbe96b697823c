"""POP3 without I/O: the session state machine and reader, commands, CAPA, listings, policy.

Modules: connection (Pop3Protocol, Pop3State), events (what feeding bytes returns), commands
(builders, SASL messages), capabilities (CAPA), listings (STAT/LIST/UIDL), stuffing (dot
stuffing), retention (download/delete planning). Imports: the standard library and core.
"""

from __future__ import annotations

from mailapp.protocols.pop3.capabilities import Capabilities, parse_capabilities
from mailapp.protocols.pop3.commands import Command, ResponseKind
from mailapp.protocols.pop3.connection import Pop3Protocol, Pop3State
from mailapp.protocols.pop3.events import (
    Continuation,
    DataChunk,
    EndOfData,
    Event,
    Greeting,
    Response,
)
from mailapp.protocols.pop3.listings import (
    MaildropStat,
    parse_scan_listing,
    parse_stat,
    parse_uidl_listing,
)
from mailapp.protocols.pop3.retention import DownloadPlan, plan_download
from mailapp.protocols.pop3.stuffing import dot_stuff, dot_unstuff

__all__ = [
    "Capabilities",
    "Command",
    "Continuation",
    "DataChunk",
    "DownloadPlan",
    "EndOfData",
    "Event",
    "Greeting",
    "MaildropStat",
    "Pop3Protocol",
    "Pop3State",
    "Response",
    "ResponseKind",
    "dot_stuff",
    "dot_unstuff",
    "parse_capabilities",
    "parse_scan_listing",
    "parse_stat",
    "parse_uidl_listing",
    "plan_download",
]
