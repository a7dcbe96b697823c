"""Safe local file names for attachments a stranger named.

A received file name is hostile input: it may carry directories ("../../etc/passwd",
"C:\\Windows\\x.dll"), device names Windows opens instead of a file ("CON.txt"), control
and bidi characters that hide the real extension, or a length no file system accepts.
`safe_filename` turns any string into one harmless name component; `unique_path_in` picks
a free name inside a chosen folder and refuses anything that would land outside it.

`unique_path_in` only looks at the folder (an existence check and a symlink-resolving
`resolve()`); it creates nothing. Whoever writes the file should still open it with
exclusive creation ("xb") and ask again on FileExistsError, since another program may take
the name in between.

Imports: the standard library only.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

# Octets of UTF-8 we allow for a whole name: under the 255 most file systems take, with
# room left for " (12345)" that unique_path_in may add.
MAX_NAME_BYTES = 200
_MAX_EXTENSION_CHARS = 16

# Windows opens these devices whatever the extension ("CON.txt", "nul.tar.gz").
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]}
)
# Characters Windows refuses in names, plus look-alike slashes and backslashes.
_FORBIDDEN = frozenset('<>:"|?*') | frozenset("\u2215\u2044\u29f8\u29f9\uff0f\uff3c")
# Invisible characters that reorder or hide text ("photo\u202egpj.exe" shows as
# "photoexe.jpg").
_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u00ad\u061c"
)
_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"\A[A-Za-z]:")
_EXTENSION = re.compile(rf"\.[^.\s]{{1,{_MAX_EXTENSION_CHARS}}}\Z")


def _clean_char(char: str) -> str:
    if char in _INVISIBLE:
        return ""
    category = unicodedata.category(char)
    if category == "Cc" or category in {"Zl", "Zp"}:
        return " "  # NUL, newlines, tabs, DEL, C1 controls
    if category in {"Cs", "Co", "Cn"}:
        return "_"  # lone surrogates, private use, unassigned: not portable
    if char in _FORBIDDEN:
        return "_"
    return char


def _truncate_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _limit_length(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    match = _EXTENSION.search(name)
    extension = match.group(0) if match and match.start() > 0 else ""
    stem = name[: len(name) - len(extension)]
    stem = _truncate_utf8(stem, MAX_NAME_BYTES - len(extension.encode("utf-8")))
    return stem.rstrip(" .") + extension


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """One file name component, safe on Windows, macOS and Linux, that keeps as much of
    `name` as it can (its extension in particular); `fallback` when nothing usable is left."""
    text = unicodedata.normalize("NFC", name)
    # Both separators count: a name from a Windows mailer is "C:\\dir\\file.txt".
    components = [part for part in _SEPARATORS.split(text) if part.strip()]
    text = _DRIVE.sub("", components[-1]) if components else ""
    text = "".join(_clean_char(ch) for ch in text)
    text = _SPACES.sub(" ", text).strip()
    text = text.lstrip(". ")  # hidden files and ".." / "..."
    text = _limit_length(text)
    text = text.rstrip(". ")  # Windows drops trailing dots and spaces silently
    if not text:
        return safe_filename(fallback, "attachment") if fallback != name else "attachment"
    stem = text.split(".", 1)[0].rstrip(" ")
    if stem.upper() in _RESERVED:
        text = "_" + text
    return text


def _numbered(name: str, number: int) -> str:
    match = _EXTENSION.search(name)
    if match and match.start() > 0:
        return f"{name[: match.start()]} ({number}){match.group(0)}"
    return f"{name} ({number})"


def unique_path_in(directory: Path, name: str, *, max_tries: int = 10_000) -> Path:
    """A path for a new file called like `name` directly inside `directory` that does not
    exist yet ("report (2).pdf" when "report.pdf" is taken). Never a path outside
    `directory`: the name is made safe first and the result is checked after resolving
    symbolic links. Raises FileExistsError when `max_tries` names are all taken."""
    base = directory.resolve()
    safe = safe_filename(name)
    for number in range(1, max_tries + 1):
        candidate_name = safe if number == 1 else safe_filename(_numbered(safe, number))
        candidate = base / candidate_name
        if candidate.parent != base or candidate.name != candidate_name:
            raise ValueError(f"refusing a file name that leaves the folder: {name!r}")
        # lexists: a dangling symlink with this name would redirect the write elsewhere.
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(f"no free name like {safe!r} in {base}")
