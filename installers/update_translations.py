"""Regenerate resources/translations/mailapp_LANG.ts from the sources, keeping translations.

pyside6-lupdate extracts every `self.tr(...)` (context: the enclosing class) and
`QCoreApplication.translate("Context", ...)` in mailapp/ui and mailapp/app. Modules that
translate through a module-level helper

    def _tr(text: str) -> str:
        return QCoreApplication.translate("Context", text)

get a second lupdate run of their own with `-tr-function-alias tr=_tr` (only the helper's
calls), whose context is then renamed to the helper's "Context": lupdate would file them
under the enclosing class, and at run time they are looked up under the helper's context.
The runs are merged into the existing .ts: translations (finished or not) are kept by
(context, source, comment), new strings come in unfinished, strings gone from the sources
are dropped. Compiling (.ts -> .qm) happens at build time: docs/adr/0006-translations.md.

Usage:
    python installers/update_translations.py           # every resources/translations/*.ts
    python installers/update_translations.py de fr     # these languages (new ones created)
    python installers/update_translations.py --check   # exit 1 if a .ts lacks a string or
                                                       # holds one the sources no longer have

Imports: the standard library; PySide6 only to find its lupdate.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TS_DIR = ROOT / "resources" / "translations"
SOURCE_DIRS = (ROOT / "mailapp" / "ui", ROOT / "mailapp" / "app")
TS_PREFIX = "mailapp_"
HELPER = re.compile(
    r"^def _tr\([^)]*\)[^:]*:\s*\n\s*return QCoreApplication\.translate\(\"(\w+)\"", re.M
)

Key = tuple[str, str, str]  # context, source, comment


@dataclass
class Message:
    element: ET.Element  # <message> as lupdate wrote it (locations, source, comment)
    locations: list[ET.Element] = field(default_factory=list)


def lupdate_program() -> str:
    import PySide6

    folder = Path(PySide6.__file__).resolve().parent
    exe = folder / ("lupdate.exe" if sys.platform == "win32" else "lupdate")
    if exe.is_file():
        return str(exe)
    raise SystemExit(f"update_translations: no lupdate in {folder} (install PySide6-Essentials)")


def python_files() -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in d.rglob("*.py"))


def helper_context(path: Path) -> str | None:
    found = HELPER.search(path.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def run_lupdate(files: list[Path], work: Path, name: str, alias: str | None = None) -> ET.Element:
    # The scratch .ts sits next to the real one so that lupdate writes the same
    # relative location paths ("../../mailapp/ui/...").
    target = work / f".lupdate-{os.getpid()}-{name}.ts"
    command = [lupdate_program(), "-silent", "-source-language", "en", "-no-obsolete"]
    if alias:
        command += ["-tr-function-alias", alias]
    command += [*map(str, files), "-ts", str(target)]
    subprocess.run(command, check=True)
    return ET.parse(target).getroot()


def key_of(context: str, message: ET.Element) -> Key:
    return (context, message.findtext("source") or "", message.findtext("comment") or "")


def extract(work: Path) -> dict[str, dict[Key, Message]]:
    """Every translatable string in the sources: context -> key -> message (source order)."""
    contexts: dict[str, dict[Key, Message]] = {}

    def add(root: ET.Element, rename: str | None = None) -> None:
        for ctx in root.iter("context"):
            name = rename or ctx.findtext("name") or ""
            messages = contexts.setdefault(name, {})
            for message in ctx.iter("message"):
                key = key_of(name, message)
                locations = message.findall("location")
                if key in messages:
                    messages[key].locations += locations
                else:
                    messages[key] = Message(message, list(locations))

    files = python_files()
    add(run_lupdate(files, work, "all"))
    for index, path in enumerate(files):
        context = helper_context(path)
        if context:
            add(run_lupdate([path], work, f"helper{index}", alias="tr=_tr"), rename=context)
    return contexts


def merge(ts_file: Path, fresh: dict[str, dict[Key, Message]], language: str) -> ET.ElementTree:
    known: dict[Key, ET.Element] = {}
    if ts_file.is_file():
        for ctx in ET.parse(ts_file).getroot().iter("context"):
            name = ctx.findtext("name") or ""
            for message in ctx.iter("message"):
                translation = message.find("translation")
                if translation is not None and translation.get("type") not in (
                    "vanished",
                    "obsolete",
                ):
                    known[key_of(name, message)] = message
    root = ET.Element("TS", {"version": "2.1", "language": language, "sourcelanguage": "en"})
    for name in sorted(fresh):
        ctx = ET.SubElement(root, "context")
        ET.SubElement(ctx, "name").text = name
        for key, message in fresh[name].items():
            out = ET.SubElement(ctx, "message", dict(message.element.attrib))
            for location in message.locations:
                out.append(copy.deepcopy(location))
            for tag in ("source", "comment", "extracomment"):
                part = message.element.find(tag)
                if part is not None:
                    out.append(copy.deepcopy(part))
            old = known.get(key)
            if old is not None and old.find("translatorcomment") is not None:
                out.append(copy.deepcopy(old.find("translatorcomment")))
            translation = old.find("translation") if old is not None else None
            if translation is None:
                translation = copy.deepcopy(message.element.find("translation"))
            out.append(copy.deepcopy(translation))
    ET.indent(root, "    ")
    return ET.ElementTree(root)


def string_keys(ts_file: Path) -> set[Key]:
    """The strings a .ts file holds (vanished and obsolete ones left out)."""
    keys: set[Key] = set()
    if ts_file.is_file():
        for ctx in ET.parse(ts_file).getroot().iter("context"):
            for message in ctx.iter("message"):
                translation = message.find("translation")
                kind = translation.get("type") if translation is not None else None
                if kind not in ("vanished", "obsolete"):
                    keys.add(key_of(ctx.findtext("name") or "", message))
    return keys


def serialize(tree: ET.ElementTree) -> str:
    body = ET.tostring(tree.getroot(), encoding="unicode")
    # lupdate's layout: <context> at the margin, so diffs look like the ones it makes.
    lines = [line.removeprefix("    ") for line in body.splitlines()]
    return '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + "\n".join(lines) + "\n"


def languages(requested: list[str]) -> list[str]:
    if requested:
        return requested
    return sorted(p.stem.removeprefix(TS_PREFIX) for p in TS_DIR.glob(f"{TS_PREFIX}*.ts"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("languages", nargs="*", help="language codes, e.g. de (default: all)")
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    TS_DIR.mkdir(parents=True, exist_ok=True)
    stale: list[str] = []
    try:
        fresh = extract(TS_DIR)
    finally:
        for scratch in TS_DIR.glob(f".lupdate-{os.getpid()}-*.ts"):
            scratch.unlink()
    for language in languages(args.languages):
        ts_file = TS_DIR / f"{TS_PREFIX}{language}.ts"
        if args.check:
            # Only strings count: line numbers move with every edit of the sources.
            if string_keys(ts_file) != {k for messages in fresh.values() for k in messages}:
                stale.append(ts_file.name)
            continue
        text = serialize(merge(ts_file, fresh, language))
        old = ts_file.read_text(encoding="utf-8") if ts_file.is_file() else ""
        if text != old:
            stale.append(ts_file.name)
            tmp_file = ts_file.with_suffix(".ts.new")
            tmp_file.write_text(text, encoding="utf-8")
            os.replace(tmp_file, ts_file)
    total = sum(len(m) for m in fresh.values())
    verb = "strings out of date" if args.check else "updated"
    print(f"update_translations: {total} strings; {verb}: {', '.join(stale) or 'none'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
