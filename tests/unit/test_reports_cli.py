"""`mailapp report parse`: JSON Lines output, readable summary, unreadable files."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest

from mailapp.app.cli import report as report_cli

DSN = b"""From: MAILER-DAEMON@mx.example.org
To: alice@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Original-Envelope-Id: env-1
Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 unknown user

--B
Content-Type: text/rfc822-headers

Message-ID: <orig-1@example.com>

--B--
"""

MDN = b"""From: bob@example.net
Content-Type: multipart/report; report-type=disposition-notification; boundary="M"

--M
Content-Type: message/disposition-notification

Final-Recipient: rfc822;bob@example.net
Original-Message-ID: <orig-1@example.com>
Disposition: automatic-action/MDN-sent-automatically; deleted

--M--
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mailapp")
    report_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_json_lines_one_object_per_file_with_exact_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.eml").write_bytes(DSN)
    (tmp_path / "b.eml").write_bytes(MDN)
    (tmp_path / "c.eml").write_bytes(b"From: carol@example.org\nSubject: hi\n\nhello\n")
    files = [str(tmp_path / n) for n in ("a.eml", "b.eml", "c.eml")]
    assert run(["report", "parse", "--json", *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["kind"] for o in objects] == ["dsn", "mdn", "none"]
    for obj in objects:
        assert set(obj) == {
            "file",
            "kind",
            "original_message_id",
            "envelope_id",
            "recipients",
            "disposition",
        }
    dsn = objects[0]
    assert dsn["file"] == files[0]
    assert dsn["original_message_id"] == "<orig-1@example.com>"
    assert dsn["envelope_id"] == "env-1"
    assert dsn["recipients"] == [
        {
            "recipient": "bob@example.net",
            "action": "failed",
            "status": "5.1.1",
            "diagnostic": "550 5.1.1 unknown user",
            "remote_mta": "mx.example.net",
        }
    ]
    assert dsn["disposition"] is None
    assert objects[1]["disposition"]["type"] == "deleted"
    assert objects[1]["recipients"][0]["action"] is None


def test_unreadable_file_fails_but_the_others_are_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.eml").write_bytes(DSN)
    missing = tmp_path / "missing.eml"
    assert run(["report", "parse", "--json", str(missing), str(tmp_path / "a.eml")]) == 1
    captured = capsys.readouterr()
    assert f"cannot read {missing}" in captured.err
    assert [json.loads(line)["kind"] for line in captured.out.splitlines()] == ["dsn"]


def test_stdin_and_readable_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DSN)))
    assert run(["report", "parse", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-: delivery status notification")
    assert "failed  bob@example.net  5.1.1" in out
    assert "about message <orig-1@example.com>" in out
