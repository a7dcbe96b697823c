"""The main window as a person first meets it: empty state, actions, remembered layout."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from mailapp.ui.account_dialog import AccountDialog
from mailapp.ui.main_window import MainWindow


def test_window_without_account_shows_the_empty_state(window: MainWindow) -> None:
    assert window.showing_empty_state
    assert window.empty_state.isVisible()
    assert not window.main_splitter.isVisible()
    assert window.empty_state.title.text() == "No account yet"
    assert window.empty_state.add_button.isVisible()
    assert window.folder_pane.folder_model.rowCount() == 0
    assert window.status.accounts_label.text() == "No account"
    assert not window.info_bar.isVisible()


def test_add_account_button_opens_a_non_modal_dialog(qtbot, window: MainWindow) -> None:
    qtbot.mouseClick(window.empty_state.add_button, Qt.MouseButton.LeftButton)
    dialog = window.account_dialog
    assert isinstance(dialog, AccountDialog)
    qtbot.waitExposed(dialog)
    assert not dialog.isModal()
    assert dialog.windowModality() == Qt.WindowModality.NonModal
    # A second request raises the same dialog instead of stacking another one.
    window.mail_actions["add_account"].trigger()
    assert window.account_dialog is dialog
    # The offered security choices never include plaintext.
    choices = [
        dialog.incoming.security.itemText(i) for i in range(dialog.incoming.security.count())
    ]
    assert choices == ["SSL/TLS", "STARTTLS"]
    dialog.close()
    qtbot.waitUntil(lambda: window.account_dialog is None)


def test_actions_that_cannot_act_are_off_and_say_why(window: MainWindow) -> None:
    a = window.mail_actions
    # No account yet: mail actions are off and their tooltips say what to do first. Write works
    # (the composer); see test_gui_composer.py and test_gui_actions.py for the enabled cases.
    for key in ("get_mail", "reply", "reply_all", "forward", "delete", "junk"):
        assert not a[key].isEnabled(), key
        assert "add an account first" in a[key].toolTip(), key
    assert not a["search"].isEnabled()
    assert "not available yet" in a["search"].toolTip()
    assert a["add_account"].isEnabled()
    assert a["quit"].isEnabled()
    assert a["write"].shortcut().toString() == "Ctrl+N"
    assert a["reply"].shortcut().toString() == "Ctrl+R"
    assert a["reply_all"].shortcut().toString() == "Ctrl+Shift+R"
    assert a["forward"].shortcut().toString() == "Ctrl+L"
    assert [s.toString() for s in a["get_mail"].shortcuts()] == ["F5", "Ctrl+T"]
    assert a["delete"].shortcut().toString() == "Del"


def test_reader_toggle_hides_and_shows_the_reader(qtbot, engine, window_settings) -> None:
    win = MainWindow(engine, window_settings)
    qtbot.addWidget(win)
    win.stack.setCurrentWidget(win.main_splitter)
    win.show()
    qtbot.waitExposed(win)
    assert win.reader.isVisible()
    win.mail_actions["toggle_reader"].trigger()
    assert not win.reader.isVisible()
    win.mail_actions["reader_right"].trigger()
    assert win.mail_splitter.orientation() == Qt.Orientation.Horizontal


def test_geometry_and_layout_are_remembered_in_the_profile(
    qtbot, engine, window_settings, profile_dir
) -> None:
    first = MainWindow(engine, window_settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.resize(700, 510)
    first.mail_actions["reader_right"].setChecked(True)
    first.close()
    assert (profile_dir / "window.ini").is_file()

    again = MainWindow(
        engine, QSettings(str(profile_dir / "window.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == (700, 510)
    assert again.mail_actions["reader_right"].isChecked()
    assert again.mail_splitter.orientation() == Qt.Orientation.Horizontal


def _unnamed_controls(root: QWidget) -> list[str]:
    missing = []
    kinds = (QAbstractButton, QLineEdit, QComboBox, QSpinBox, QAbstractItemView)
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, kinds) or widget.objectName().startswith("qt_"):
            continue
        if not widget.isVisibleTo(root):
            continue  # hidden widgets are not in the accessibility tree
        parent = widget.parentWidget()
        # Parts of composite widgets (a spin box's editor, a combo's popup, a view's header).
        if isinstance(parent, QSpinBox | QComboBox | QAbstractItemView) or (
            parent is not None and parent.objectName().startswith("qt_")
        ):
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName() or text.replace("&", "")):
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_control_has_an_accessible_name(qtbot, window: MainWindow) -> None:
    assert _unnamed_controls(window) == []
    window.open_account_dialog()
    assert window.account_dialog is not None
    qtbot.waitExposed(window.account_dialog)
    assert _unnamed_controls(window.account_dialog) == []


def test_unreadable_accounts_file_still_opens_the_window(
    qtbot, engine, window_settings, profile_dir
) -> None:
    (profile_dir / "accounts.toml").write_text("[[account]\nname = ", encoding="utf-8")
    win = MainWindow(engine, window_settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.showing_empty_state
    assert win.info_bar.isVisible()
    assert win.info_bar.text
