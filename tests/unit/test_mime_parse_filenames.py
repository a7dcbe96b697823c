"""Attachment file names from strangers: safe_filename and unique_path_in."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.protocols.mime.filenames import MAX_NAME_BYTES, safe_filename, unique_path_in
from mailapp.protocols.mime.parse import parse_message

RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


def assert_safe(name: str) -> None:
    assert name
    assert "/" not in name and "\\" not in name
    assert not name.startswith((".", " "))
    assert not name.endswith((".", " "))
    assert all(ch >= " " and ch != "\x7f" for ch in name)
    assert not any(ch in name for ch in '<>:"|?*')
    assert name.split(".", 1)[0].strip().upper() not in RESERVED
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("C:\\Windows\\System32\\x.dll", "x.dll"),
        ("C:x.dll", "x.dll"),
        ("/absolute/path.txt", "path.txt"),
        ("CON.txt", "_CON.txt"),
        ("con", "_con"),
        ("nul.tar.gz", "_nul.tar.gz"),
        ("LPT1", "_LPT1"),
        ("COM¹.txt", "_COM¹.txt"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("a\x00b.txt", "a b.txt"),
        ("line\r\nbreak.txt", "line break.txt"),
        ("tab\there.txt", "tab here.txt"),
        (".bashrc", "bashrc"),
        ("...", "attachment"),
        ("..", "attachment"),
        ("", "attachment"),
        ("   ", "attachment"),
        ("dir/", "dir"),
        ("name. . .", "name"),
        ("file.txt:stream", "file.txt_stream"),
        ('what?"<now>*|.txt', "what___now___.txt"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("e\u0301te\u0301.txt", "été.txt"),
        ("fullwidth\uff0fslash.txt", "fullwidth_slash.txt"),
    ],
)
def test_safe_filename(given_name: str, expected: str) -> None:
    assert safe_filename(given_name) == expected
    assert_safe(safe_filename(given_name))


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("x" * 500 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= MAX_NAME_BYTES
    cjk = safe_filename("日本語" * 200 + ".docx")
    assert cjk.endswith(".docx")
    assert len(cjk.encode()) <= MAX_NAME_BYTES
    assert "\ufffd" not in cjk  # never cut inside a character
    no_extension = safe_filename("y" * 500)
    assert len(no_extension.encode()) == MAX_NAME_BYTES


def test_fallback() -> None:
    assert safe_filename("", "message.eml") == "message.eml"
    assert safe_filename("../", "../../evil") == "evil"
    assert safe_filename("", "") == "attachment"


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_safe_name(name: str) -> None:
    assert_safe(safe_filename(name))


def test_names_from_hostile_messages_are_safe() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Disposition: attachment; filename*=utf-8''..%2F..%2F.ssh%2Fauthorized_keys"
        b"\r\n\r\nx\r\n"
        b'--b\r\nContent-Disposition: attachment; filename="C:\\\\Windows\\\\evil.dll"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: attachment; filename="=?utf-8?q?CON=2Etxt?="\r\n\r\nx\r\n'
        b"--b\r\nContent-Disposition: attachment; filename*=utf-8''a%00b%0Ac.txt\r\n\r\nx\r\n"
        b'--b\r\nContent-Disposition: attachment; filename="' + b"n" * 500 + b'.zip"\r\n\r\nx\r\n'
        b"--b--\r\n"
    )
    names = [a.safe_name for a in parse_message(raw).attachments]
    assert names[:4] == ["authorized_keys", "evil.dll", "_CON.txt", "a b c.txt"]
    assert names[4].endswith(".zip")
    for name in names:
        assert_safe(name)


def test_unique_path_in_numbers_taken_names(tmp_path: Path) -> None:
    first = unique_path_in(tmp_path, "report.pdf")
    assert first == tmp_path.resolve() / "report.pdf"
    first.write_bytes(b"1")
    second = unique_path_in(tmp_path, "report.pdf")
    assert second.name == "report (2).pdf"
    second.write_bytes(b"2")
    assert unique_path_in(tmp_path, "report.pdf").name == "report (3).pdf"
    (tmp_path / "noext").write_bytes(b"")
    assert unique_path_in(tmp_path, "noext").name == "noext (2)"


def test_unique_path_in_never_leaves_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name in ("../../etc/passwd", "..", "/etc/shadow", "C:\\x\\..\\..\\y", "a/../../b"):
        path = unique_path_in(folder, name)
        assert path.parent == folder.resolve()


def test_unique_path_in_avoids_dangling_symlinks(tmp_path: Path) -> None:
    if not hasattr(os, "symlink"):
        pytest.skip("no symlinks on this platform")
    outside = tmp_path / "outside.txt"
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "note.txt").symlink_to(outside)  # dangling: outside.txt does not exist
    path = unique_path_in(folder, "note.txt")
    assert path.name == "note (2).txt"


def test_unique_path_in_gives_up(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "a (2).txt").write_bytes(b"")
    with pytest.raises(FileExistsError):
        unique_path_in(tmp_path, "a.txt", max_tries=2)
