"""The window in German and in English, and the translation sources themselves.

German is installed with `install_translator(app, "de")` (what `--language de` does) before
the windows are built, and removed afterwards so the other tests see English. The .ts file
is compiled into a per-test cache directory, the way a checkout runs.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import QLabel, QWizard

from mailapp.core.delivery import DeliveryState, ReadState, summarize
from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
from mailapp.ui.account_wizard import AccountWizard
from mailapp.ui.composer_window import ComposerWindow
from mailapp.ui.delivery_column import state_word
from mailapp.ui.delivery_panel import advice_for
from mailapp.ui.main_window import MainWindow
from mailapp.ui.translations import (
    InstalledLanguage,
    candidate_names,
    install_translator,
    requested_locale,
)

ROOT = Path(__file__).resolve().parents[2]
TS_FILE = ROOT / "resources" / "translations" / "mailapp_de.ts"
sys.path.insert(0, str(ROOT / "installers"))
import update_translations  # noqa: E402

# The four areas that must be fully translated, by source file.
AREA_FILES = {
    "main window": ("main_window.py", "actions.py", "folder_pane.py", "message_list.py",
                    "reader_pane.py", "status_bar.py", "empty_state.py", "info_bar.py"),
    "composer": ("composer_window.py", "recipient_field.py", "attachment_list.py",
                 "html_editor.py", "outgoing.py"),
    "wizard": ("account_wizard.py", "discovery_view.py", "server_fields.py", "check_results.py"),
    "delivery view": ("delivery_panel.py", "delivery_column.py", "sent_view.py",
                      "outbox_view.py"),
}  # fmt: skip


def _account() -> Account:
    server = ServerSettings("127.0.0.1", 9, Security.SSL, "ann@example.org")
    return Account("Work", "ann@example.org", "Ann", IncomingProtocol.IMAP, server, server)


@pytest.fixture
def language(qapp, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[InstalledLanguage]:  # type: ignore[no-untyped-def]
    installed = install_translator(qapp, request.param, cache_dir=tmp_path / "cache")
    try:
        yield installed
    finally:
        installed.remove()


def _menu_titles(window: MainWindow) -> list[str]:
    return [a.text() for a in window.menuBar().actions()]


@pytest.mark.parametrize("language", ["de"], indirect=True)
def test_german_main_window_composer_wizard_and_delivery_words(
    qtbot, engine, window_settings, qloop, language: InstalledLanguage
) -> None:
    assert language.language == "de"
    assert language.catalog is not None and language.catalog.suffix == ".qm"
    # Qt's own dialogs and buttons come with PySide6's qtbase_de.qm.
    assert len(language.translators) == 2
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Abbrechen"

    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert _menu_titles(window) == ["&Datei", "&Bearbeiten", "&Ansicht", "&Nachricht", "&Hilfe"]
    actions = window.mail_actions
    assert actions["write"].text() == "&Verfassen"
    assert actions["reply"].text() == "&Antworten"
    assert actions["reply_all"].text() == "A&llen antworten"
    assert actions["forward"].text() == "&Weiterleiten"
    # The key's name comes from Qt's own German catalog.
    assert actions["reply"].toolTip().startswith("Antworten (Strg+R)")
    assert window.empty_state.title.text() == "Noch kein Konto"
    assert window.status.accounts_label.text() == "Kein Konto"

    qloop.run_until_complete(engine.add_account(_account(), "pw"))
    window.refresh_accounts()
    model = window.folder_pane.folder_model
    top = model.index(0, 0)
    names = {model.index(row, 0, top).data() for row in range(model.rowCount(top))}
    assert {"Posteingang", "Gesendet", "Postausgang"} <= names

    composer = window.new_composer()  # deletes itself on close
    composer.show()
    assert composer.windowTitle() == "Neue Nachricht"
    assert composer.send_button.text() == "&Senden"
    assert composer.delivery_check.text() == "&Zustellbestätigung anfordern"
    assert composer.receipt_check.text() == "&Lesebestätigung anfordern"
    labels = {label.text() for label in composer.findChildren(QLabel)}
    assert {"&An:", "&Kopie (CC):", "&Blindkopie (BCC):", "Be&treff:"} <= labels
    composer.close()

    wizard = AccountWizard(engine, window)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.identity.title() == "Ihr E-Mail-Konto"
    assert "Weiter" in wizard.buttonText(QWizard.WizardButton.NextButton)  # Qt: "&Weiter >"
    assert wizard.buttonText(QWizard.WizardButton.CancelButton) == "Abbrechen"
    assert wizard.identity.email.accessibleName() == "E-Mail-Adresse"
    wizard.close()

    window.show_delivery_folder("sent")
    headers = window.sent_view.list.model()
    titles = [
        headers.headerData(c, Qt.Orientation.Horizontal) for c in range(headers.columnCount())
    ]
    assert "Zustellung" in titles and "Betreff" in titles
    assert state_word(DeliveryState.DELIVERED) == "Zugestellt"
    assert state_word(DeliveryState.FAILED) == "Fehlgeschlagen"
    assert state_word(DeliveryState.DELAYED) == "Verzögert"
    assert advice_for("5.1.1").startswith("Die Adresse existiert nicht (5.1.1)")
    summary = summarize([("bob@example.org", DeliveryState.DELIVERED, ReadState.DISPLAYED)])
    from mailapp.ui.delivery_column import delivery_data

    tip = delivery_data(summary, Qt.ItemDataRole.ToolTipRole)
    assert "bob@example.org: Zugestellt, Gelesen" in str(tip)
    assert delivery_data(summary, Qt.ItemDataRole.DisplayRole) == "Gelesen"
    failed = summarize(
        [
            ("bob@example.org", DeliveryState.DELIVERED, ReadState.NONE),
            ("eve@example.org", DeliveryState.FAILED, ReadState.NONE),
        ]
    )
    assert delivery_data(failed, Qt.ItemDataRole.DisplayRole) == "Fehlgeschlagen 1/2"
    assert delivery_data(failed, Qt.ItemDataRole.AccessibleTextRole) == (
        "Zustellung: Fehlgeschlagen 1/2"
    )
    window.close()


@pytest.mark.parametrize("language", ["en"], indirect=True)
def test_english_stays_english(qtbot, engine, window_settings, language) -> None:  # type: ignore[no-untyped-def]
    assert language.language == "en"
    assert language.catalog is None
    window = MainWindow(engine, window_settings)
    qtbot.addWidget(window)
    assert _menu_titles(window) == ["&File", "&Edit", "&View", "&Message", "&Help"]
    composer = ComposerWindow([], window)
    assert composer.send_button.text() == "&Send"
    assert state_word(DeliveryState.DELIVERED) == "Delivered"


def test_language_choice_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILAPP_LANGUAGE", "de_AT")
    locale, explicit = requested_locale(None)
    assert explicit and locale.language() == QLocale.Language.German
    names = candidate_names(locale)
    assert names.index("de_AT") < names.index("de")
    # The option wins over the variable; English needs no catalog at all.
    locale, explicit = requested_locale("en")
    assert explicit and candidate_names(locale) == []
    monkeypatch.delenv("MAILAPP_LANGUAGE")
    _locale, explicit = requested_locale(None)
    assert not explicit  # the system's locale


def _ts_messages() -> list[tuple[str, ET.Element]]:
    root = ET.parse(TS_FILE).getroot()  # noqa: S314 - our own file
    return [(c.findtext("name") or "", m) for c in root.iter("context") for m in c.iter("message")]


def test_ts_file_is_well_formed_and_current() -> None:
    root = ET.parse(TS_FILE).getroot()  # noqa: S314 - our own file
    assert root.tag == "TS" and root.get("language") == "de"
    messages = _ts_messages()
    assert len(messages) > 500
    for context, message in messages:
        translation = message.find("translation")
        assert translation is not None, (context, message.findtext("source"))
        # No leftovers of strings that are gone from the sources.
        assert translation.get("type") not in ("vanished", "obsolete"), message.findtext("source")
        assert message.findall("location"), message.findtext("source")
    # The file matches what update_translations.py extracts from today's sources.
    assert update_translations.main(["--check"]) == 0


def test_the_four_areas_are_fully_translated() -> None:
    missing = []
    for context, message in _ts_messages():
        files = {Path(loc.get("filename") or "").name for loc in message.iter("location")}
        areas = [area for area, names in AREA_FILES.items() if files & set(names)]
        translation = message.find("translation")
        assert translation is not None
        if areas and (translation.get("type") == "unfinished" or not translation.text):
            missing.append(f"{areas[0]}: {context}: {message.findtext('source')}")
        source = message.findtext("source") or ""
        for marker in ("%1", "%2", "%3", "%n"):
            if translation.text and marker in source:
                assert marker in translation.text, (context, source, translation.text)
    assert missing == []
