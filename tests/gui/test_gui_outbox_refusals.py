"""Why Edit is off in the Outbox, in the window's language: the store's English reasons are
mapped to translated sentences, and a reason the window does not know is shown as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailapp.store import outbox
from mailapp.ui.outbox_view import refusal_text
from mailapp.ui.translations import install_translator

REASONS = (outbox.EDIT_BEING_SENT, outbox.EDIT_MAYBE_SENT, outbox.EDIT_TAKEN, outbox.EDIT_NO_DRAFT)


def test_every_store_reason_is_known_and_shown_in_german(qapp: Any, tmp_path: Path) -> None:
    assert [refusal_text(r) for r in REASONS] == list(REASONS)  # English: as the store says
    installed = install_translator(qapp, "de", cache_dir=tmp_path / "cache")
    try:
        german = [refusal_text(r) for r in REASONS]
    finally:
        installed.remove()
    assert all(g != r for g, r in zip(german, REASONS, strict=True)), german
    assert german[0] == "Sie wird gerade gesendet."


def test_an_unknown_reason_is_shown_as_it_is(qapp: Any) -> None:
    assert refusal_text("Something new.") == "Something new."
