"""Delivery reports: recognise and read DSNs, MDNs, non-standard bounces and their look-alikes.

`parse_report(raw)` turns the bytes of a received message into a ParsedReport; `classify(raw)`
gives only its kind. Sans-IO and pure.

Imports: core and the standard library only.
"""

from mailapp.protocols.reports.model import (
    DeliveryAction,
    Disposition,
    ParsedReport,
    RecipientReport,
    ReportKind,
)
from mailapp.protocols.reports.parse import classify, parse_report

__all__ = [
    "DeliveryAction",
    "Disposition",
    "ParsedReport",
    "RecipientReport",
    "ReportKind",
    "classify",
    "parse_report",
]
