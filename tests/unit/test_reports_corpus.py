"""Delivery-report parsing against the shared corpus of real bounces and read receipts.

How the manifest's `kind` maps to ReportKind (this is what "kind right" means below):
  bounce + standard_dsn true  -> dsn     (top-level multipart/report; report-type=delivery-status)
  bounce + standard_dsn false -> bounce  (any other failure notice, even one that carries a
                                          message/delivery-status part inside multipart/mixed)
  success-dsn                 -> dsn
  feedback-report             -> feedback
  auto-reply                  -> auto-reply
  not-a-bounce                -> none
  every mdn/ message          -> mdn

Figures, printed and asserted:
  1. kind right for >= 98% of the dsn/ and mdn/ messages;
  2. of the expected recipients that name an address and an action: a parsed recipient with
     that address (case-insensitive) and that action, for >= 95%;
  3. of the messages with an expected original Message-ID: ours equal after removing angle
     brackets and white space and ignoring case, for >= 95%.
Known, deliberate disagreements with the manifest's actions (counted as wrong all the same):
the manifest derives "delayed" from sisimai's 4.x code where the text says the MTA gave up
("permanent error; I've given up": qmail, Exim "retry timeout exceeded"), or where the message
states `Action: failed` with a 4.x status (Sendmail 4.4.7, a Postfix report whose MIME
boundary is broken), and one Gmail "(Delay)" warning the manifest counts as failed; we
follow what the report states.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mailapp.protocols.reports import ParsedReport, ReportKind, parse_report

_REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("MAILAPP_CORPUS", _REPO.parent / "shared" / "corpus"))

_KIND_MAP = {
    "success-dsn": ReportKind.DSN,
    "feedback-report": ReportKind.FEEDBACK,
    "auto-reply": ReportKind.AUTO_REPLY,
    "not-a-bounce": ReportKind.NONE,
}


def expected_kind(entry: dict[str, Any]) -> ReportKind:
    if entry["kind"] == "bounce":
        return ReportKind.DSN if entry["standard_dsn"] else ReportKind.BOUNCE
    return _KIND_MAP[entry["kind"]]


def norm_id(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().strip("<>").strip().lower()


def _manifest(folder: str) -> Iterator[tuple[dict[str, Any], ParsedReport]]:
    base = CORPUS / folder
    with (base / "manifest.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                entry = json.loads(line)
                yield entry, parse_report((base / entry["file"]).read_bytes())


@dataclass
class Figures:
    kinds: list[bool] = field(default_factory=list)
    recipients: list[bool] = field(default_factory=list)
    message_ids: list[bool] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(values: list[bool]) -> float:
        return sum(values) / len(values) if values else 1.0

    def lines(self) -> list[str]:
        return [
            f"reports corpus: kind right {sum(self.kinds)}/{len(self.kinds)} "
            f"({self.ratio(self.kinds):.1%})",
            f"reports corpus: recipient+action right {sum(self.recipients)}/"
            f"{len(self.recipients)} ({self.ratio(self.recipients):.1%})",
            f"reports corpus: original Message-ID right {sum(self.message_ids)}/"
            f"{len(self.message_ids)} ({self.ratio(self.message_ids):.1%})",
        ]


@pytest.fixture(scope="module")
def figures() -> Figures:
    if not (CORPUS / "dsn").is_dir() or not (CORPUS / "mdn").is_dir():
        pytest.skip(f"corpus folder absent: {CORPUS}")
    result = Figures()
    for entry, report in _manifest("dsn"):
        want = expected_kind(entry)
        result.kinds.append(report.kind == want)
        if report.kind != want:
            result.misses.append(f"kind {entry['file']}: want {want}, got {report.kind}")
        got = {(r.recipient or "").lower(): r for r in report.recipients}
        for expected in entry.get("expected") or []:
            if not (expected.get("recipient") and expected.get("action")):
                continue
            mine = got.get(expected["recipient"].lower())
            ok = mine is not None and mine.action == expected["action"]
            result.recipients.append(ok)
            if not ok:
                result.misses.append(
                    f"recipient {entry['file']}: want {expected['recipient']} "
                    f"{expected['action']}, got "
                    + ", ".join(f"{r.recipient} {r.action}" for r in report.recipients)
                )
        if entry.get("original_message_id"):
            ok = norm_id(report.original_message_id) == norm_id(entry["original_message_id"])
            result.message_ids.append(ok)
            if not ok:
                got_id = report.original_message_id
                result.misses.append(f"message-id {entry['file']}: got {got_id}")
    for entry, report in _manifest("mdn"):
        result.kinds.append(report.kind == ReportKind.MDN)
        if entry.get("original_message_id"):
            result.message_ids.append(
                norm_id(report.original_message_id) == norm_id(entry["original_message_id"])
            )
    return result


def test_corpus_figures(figures: Figures, request: pytest.FixtureRequest) -> None:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    for line in figures.lines():
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)
    for miss in figures.misses:
        print("  " + miss)
    assert figures.ratio(figures.kinds) >= 0.98, figures.misses
    assert figures.ratio(figures.recipients) >= 0.95, figures.misses
    assert figures.ratio(figures.message_ids) >= 0.95, figures.misses


def test_corpus_mdn_fields() -> None:
    if not (CORPUS / "mdn").is_dir():
        pytest.skip(f"corpus folder absent: {CORPUS}")
    for entry, report in _manifest("mdn"):
        assert report.kind == ReportKind.MDN, entry["file"]
        assert report.disposition is not None
        assert report.disposition.type == entry["disposition_type"]
        assert report.disposition.mode == entry["disposition_mode"]
        assert report.recipients[0].recipient == entry["final_recipient"]
        assert report.recipients[0].original_recipient == entry["original_recipient"]


def test_mime_corpus_never_raises_and_is_mostly_not_reports() -> None:
    base = CORPUS / "mime"
    if not base.is_dir():
        pytest.skip(f"corpus folder absent: {base}")
    kinds = []
    for entry, report in _manifest("mime"):
        kinds.append(report.kind)
        if report.kind != ReportKind.NONE:
            # The only report in the display corpus is a real qmail bounce (CR line ends).
            assert "bounce" in entry["description"], entry["file"]
    assert kinds.count(ReportKind.NONE) >= len(kinds) - 2
