"""The interface language: choosing it and loading mailapp's and Qt's own translations.

`install_translator(app, language)` picks the language (the `language` argument, from
`--language`; else $MAILAPP_LANGUAGE; else the system locale's UI languages, in order) and
installs mailapp's translation plus Qt's `qtbase_LANG.qm` (standard dialogs and buttons)
when PySide6 ships one. English, the source language, needs no translation.

Where mailapp's compiled translations come from (docs/adr/0006-translations.md):
1. packaged `.qm` files in `mailapp/ui/i18n/` (the frozen build compiles them in);
2. else the `.ts` sources (`mailapp/ui/i18n/` of a wheel, `resources/translations/` of a
   checkout or editable install), compiled with PySide6's lrelease into the user cache
   directory on first use and again whenever the source changes.
Imports: PySide6, platformdirs and the standard library.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger("mailapp.ui")

LANGUAGE_ENV = "MAILAPP_LANGUAGE"
CATALOG = "mailapp"  # mailapp_de.qm, mailapp_de.ts
PACKAGED_DIR = Path(__file__).resolve().with_name("i18n")
SOURCE_DIR = Path(__file__).resolve().parents[2] / "resources" / "translations"
ENGLISH = "en"
LRELEASE_TIMEOUT_S = 60


@dataclass
class InstalledLanguage:
    """What install_translator did; `remove()` undoes it (tests, switching language)."""

    language: str  # "de", "de_AT" or "en" (no translation needed)
    catalog: Path | None  # the mailapp .qm in use
    translators: list[QTranslator] = field(default_factory=list)
    previous_locale: QLocale | None = None

    def remove(self) -> None:
        app = QCoreApplication.instance()
        for translator in self.translators:
            if app is not None:
                app.removeTranslator(translator)
        self.translators.clear()
        if self.previous_locale is not None:
            QLocale.setDefault(self.previous_locale)
            self.previous_locale = None
        with contextlib.suppress(ValueError):
            _installed.remove(self)


# Installed translators must stay referenced: Qt does not own them.
_installed: list[InstalledLanguage] = []


def requested_locale(language: str | None = None) -> tuple[QLocale, bool]:
    """The locale asked for and whether it was asked for explicitly (option or env)."""
    name = (language or os.environ.get(LANGUAGE_ENV) or "").strip()
    if not name:
        return QLocale.system(), False
    locale = QLocale(name)
    if locale.language() == QLocale.Language.C and name.upper() not in ("C", "POSIX"):
        log.warning("Unknown language %r; using the system's", name)
        return QLocale.system(), False
    return locale, True


def candidate_names(locale: QLocale) -> list[str]:
    """Catalog suffixes to try, best first (Qt's UI languages: de_AT, de, ...); none once
    English comes, the source language."""
    names: list[str] = []
    for ui_language in locale.uiLanguages() or [locale.name()]:
        name = ui_language.replace("-", "_")
        if name.split("_")[0].lower() in (ENGLISH, "c", "posix"):
            break  # the user prefers English before any further language
        if name not in names:
            names.append(name)
    return names


def _lrelease() -> str | None:
    with contextlib.suppress(ImportError):
        import PySide6

        exe = Path(PySide6.__file__).resolve().parent / (
            "lrelease.exe" if sys.platform == "win32" else "lrelease"
        )
        if exe.is_file():
            return str(exe)
    return shutil.which("pyside6-lrelease") or shutil.which("lrelease")


def default_cache_dir() -> Path:
    import platformdirs

    return platformdirs.user_cache_path("mailapp", appauthor=False) / "translations"


def compile_source(source: Path, cache_dir: Path) -> Path | None:
    """The .qm of a .ts in the cache, compiled now if the cache has none for this content."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = cache_dir / f"{source.stem}-{digest}.qm"
    if target.is_file():
        return target
    lrelease = _lrelease()
    if lrelease is None:
        log.warning("Cannot compile %s: PySide6's lrelease was not found", source)
        return None
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    try:
        done = subprocess.run(
            [lrelease, "-silent", str(source), "-qm", str(partial)],
            capture_output=True,
            text=True,
            timeout=LRELEASE_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0 or not partial.is_file():
            log.warning("lrelease failed on %s: %s", source, done.stderr.strip())
            return None
        os.replace(partial, target)  # another process may compile the same file at once
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("Cannot compile %s: %s", source, exc)
        return None
    finally:
        partial.unlink(missing_ok=True)
    for old in cache_dir.glob(f"{source.stem}-*.qm"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def find_catalog(names: list[str], cache_dir: Path | None = None) -> tuple[str, Path] | None:
    """The first of `names` with a mailapp .qm, and the .qm (packaged, else compiled)."""
    for name in names:
        packaged = PACKAGED_DIR / f"{CATALOG}_{name}.qm"
        if packaged.is_file():
            return name, packaged
        for folder in (PACKAGED_DIR, SOURCE_DIR):
            source = folder / f"{CATALOG}_{name}.ts"
            if source.is_file():
                compiled = compile_source(source, cache_dir or default_cache_dir())
                if compiled is not None:
                    return name, compiled
    return None


def install_translator(
    app: QCoreApplication, language: str | None = None, *, cache_dir: Path | None = None
) -> InstalledLanguage:
    """Install the translations for `language` (None: $MAILAPP_LANGUAGE, else the system's).

    Call it before building windows: they take their texts when they are built.
    """
    locale, explicit = requested_locale(language)
    names = candidate_names(locale)
    found = find_catalog(names, cache_dir)
    chosen = ENGLISH
    result = InstalledLanguage(chosen, None)
    if found is not None:
        name, catalog = found
        translator = QTranslator(app)
        if translator.load(str(catalog)):
            app.installTranslator(translator)
            result.translators.append(translator)
            result.catalog = catalog
            chosen = name
        else:
            log.warning("Could not load the translation %s", catalog)
    result.language = chosen
    if chosen != ENGLISH:
        qt_translator = QTranslator(app)
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt_translator.load(QLocale(chosen), "qtbase", "_", qt_dir):
            app.installTranslator(qt_translator)
            result.translators.append(qt_translator)
    if explicit:
        # Dates, numbers and Qt's dialogs follow the chosen language too.
        result.previous_locale = QLocale()
        QLocale.setDefault(locale)
    elif QLocale().language() is QLocale.Language.C:
        # A bare C/POSIX environment: Qt's C formats ("28 11 2026") read like a mistake.
        result.previous_locale = QLocale()
        QLocale.setDefault(QLocale("en_GB"))
    _installed.append(result)
    log.info("Interface language: %s (%s)", chosen, result.catalog or "built-in English texts")
    return result
