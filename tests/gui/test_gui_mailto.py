"""mailto: links in the window: a filled composer, bad links, macOS open events, the command
line, and the single-instance hand-off from a second process (a real subprocess launch)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINK = (
    "mailto:someone@example.org?subject=Hi%20there&body=Hello%0D%0ASecond%20line"
    "&cc=cc@example.org&bcc=hidden@example.org&from=evil@example.net"
)


def _env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("MAILAPP_PROFILE", None)
    return env


def _launch(profile: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mailapp", "--profile", str(profile), *args],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def router(window, engine):  # type: ignore[no-untyped-def]
    from mailapp.app.mailto import MailtoRouter

    r = MailtoRouter(window, engine)
    yield r
    r.detach()


@pytest.fixture
def guard(profile_dir: Path, router):  # type: ignore[no-untyped-def]
    from mailapp.app.single_instance import InstanceGuard

    g = InstanceGuard(profile_dir)
    assert g.claim()
    assert g.is_primary
    g.received.connect(router.open)
    yield g
    g.release()


def _fields(composer) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "to": composer.to_edit.text(),
        "cc": composer.cc_edit.text(),
        "bcc": composer.bcc_edit.text(),
        "subject": composer.subject_edit.text(),
        "body": composer.body_edit.toPlainText(),
    }


EXPECTED = {
    "to": "someone@example.org",
    "cc": "cc@example.org",
    "bcc": "hidden@example.org",
    "subject": "Hi there",
    "body": "Hello\nSecond line",
}


def test_link_opens_a_filled_composer(router, window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from mailapp.ui.composer_window import SEND_UNAVAILABLE_TIP, ComposerWindow

    with qtbot.waitSignal(router.composer_opened):
        composer = router.open(LINK)
    assert isinstance(composer, ComposerWindow)
    qtbot.waitExposed(composer)
    assert composer.isVisible()
    assert composer.parent() is window
    assert _fields(composer) == EXPECTED
    assert composer.windowTitle() == "Hi there"
    # The From header the link asked for is not taken, and the person is told so.
    assert not composer.notice.isHidden()
    assert "from" in composer.notice.text()
    # No account yet: From says so; sending is not built yet and the button says that too.
    assert not composer.from_box.isEnabled()
    assert not composer.send_button.isEnabled()
    assert composer.send_button.toolTip() == SEND_UNAVAILABLE_TIP
    composer.close()
    qtbot.waitUntil(lambda: not router.composers)


def test_composer_offers_the_accounts_identities(qtbot) -> None:  # type: ignore[no-untyped-def]
    from mailapp.core.mailto import parse_mailto
    from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings
    from mailapp.ui.composer_window import ComposerWindow

    server = ServerSettings("mail.example.org", 993, Security.SSL, "ann")
    accounts = [
        Account("work", "ann@example.org", "Ann Example", IncomingProtocol.IMAP, server, server),
        Account("home", "ann@example.net", "", IncomingProtocol.IMAP, server, server),
    ]
    composer = ComposerWindow(accounts)
    qtbot.addWidget(composer)
    composer.fill(parse_mailto("mailto:?subject=Only%20a%20subject"))
    items = [composer.from_box.itemText(i) for i in range(composer.from_box.count())]
    assert items == ["Ann Example <ann@example.org>", "ann@example.net"]
    assert composer.from_box.isEnabled()
    assert composer.from_box.currentData() == "work"
    assert composer.notice.isHidden()
    assert composer.windowTitle() == "Only a subject"


def test_bad_link_shows_an_error_and_opens_nothing(router, window, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert router.open("mailto:a@example.org%0D%0ABcc:evil@example.net") is None
    assert not router.composers
    assert window.info_bar.isVisible()
    assert "line break" in window.info_bar.text


def test_empty_link_only_raises_the_window(router, window) -> None:  # type: ignore[no-untyped-def]
    window.showMinimized()
    assert window.isMinimized()
    assert router.open("") is None
    assert not window.isMinimized()
    assert not router.composers


def test_macos_file_open_event_opens_a_composer(router, qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QFileOpenEvent

    with qtbot.waitSignal(router.composer_opened) as opened:
        qapp.sendEvent(qapp, QFileOpenEvent(QUrl.fromEncoded(LINK.encode("ascii"))))
    assert _fields(opened.args[0]) == EXPECTED


def test_open_event_before_the_window_is_kept_for_it(window, engine, qapp, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QFileOpenEvent

    from mailapp.app.mailto import MailtoRouter, catch_open_events

    catch_open_events()
    assert qapp.sendEvent(qapp, QFileOpenEvent(QUrl.fromEncoded(LINK.encode("ascii"))))
    router = MailtoRouter(window, engine)
    try:
        assert len(router.composers) == 1
        assert _fields(router.composers[0]) == EXPECTED
    finally:
        router.detach()


def test_command_line_takes_the_link_for_the_window(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import mailapp.app.gui
    from mailapp.app.main import main

    seen = []
    monkeypatch.setattr(mailapp.app.gui, "run_window", lambda args: seen.append(args) or 0)
    assert main(["--profile", str(tmp_path), LINK, "-v"]) == 0
    assert seen[0].mailto == LINK
    assert seen[0].profile == str(tmp_path)
    assert seen[0].verbose == 1
    assert main([]) == 0
    assert seen[1].mailto is None
    # A link after a command is that command's argument: argparse judges it, nothing is lost.
    with pytest.raises(SystemExit) as exited:
        main(["account", "list", LINK])
    assert exited.value.code == 2


def test_second_launch_hands_its_link_to_the_first(guard, router, profile_dir, qtbot) -> None:  # type: ignore[no-untyped-def]
    second = _launch(profile_dir, LINK)
    try:
        qtbot.waitUntil(lambda: bool(router.composers), timeout=60_000)
        _out, err = second.communicate(timeout=60)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, err
    assert _fields(router.composers[0]) == EXPECTED
    # No link: the second launch only brings the first window forward.
    with qtbot.waitSignal(guard.received, timeout=60_000) as received:
        third = _launch(profile_dir)
        qtbot.waitUntil(lambda: third.poll() is not None, timeout=60_000)
    assert third.returncode == 0, third.communicate()[1]
    assert received.args == [""]
    assert len(router.composers) == 1
    # A smoke test must show a window of its own: it refuses to hand off.
    smoke = _launch(profile_dir, "--smoke-test")
    qtbot.waitUntil(lambda: smoke.poll() is not None, timeout=60_000)
    assert smoke.returncode == 1
    assert "another window runs on this profile" in smoke.communicate()[1]


def test_two_profiles_run_side_by_side(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mailapp.app.single_instance import InstanceGuard, server_name

    a, b = InstanceGuard(tmp_path / "a"), InstanceGuard(tmp_path / "b")
    try:
        assert a.claim()
        assert b.claim()
        assert a.name != b.name
        assert not InstanceGuard(tmp_path / "a").claim()
    finally:
        a.release()
        b.release()
    assert server_name(tmp_path, "ann") != server_name(tmp_path, "bob")
    monkeypatch.chdir(tmp_path)
    assert server_name(Path("a"), "ann") == server_name(tmp_path / "a", "ann")
    assert len(Path(server_name(tmp_path / ("long" * 60), "ann")).name) < 40


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and socket files are POSIX")
def test_instance_killed_without_cleanup_does_not_block_the_next(
    profile_dir: Path, router, qtbot
) -> None:  # type: ignore[no-untyped-def]
    from mailapp.app.single_instance import LOCK_FILE_NAME, InstanceGuard

    crash = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from PySide6.QtCore import QCoreApplication
        from mailapp.app.single_instance import InstanceGuard
        app = QCoreApplication([])
        guard = InstanceGuard(Path(sys.argv[1]))
        assert guard.claim() and guard.is_primary
        print(guard.name, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", crash, str(profile_dir)],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    name = done.stdout.strip()
    # What a crash leaves behind: the lock file of a dead process and (Unix) the socket file.
    assert (profile_dir / LOCK_FILE_NAME).exists()
    socket_file = Path(name) if os.path.isabs(name) else None
    if socket_file is None:
        from PySide6.QtCore import QDir

        socket_file = Path(QDir.tempPath()) / name
    assert socket_file.exists()

    guard = InstanceGuard(profile_dir)
    try:
        assert guard.claim()
        assert guard.is_primary
        guard.received.connect(router.open)
        second = _launch(profile_dir, "mailto:after-crash@example.org")
        qtbot.waitUntil(lambda: bool(router.composers), timeout=60_000)
        second.communicate(timeout=60)
        assert second.returncode == 0
        assert router.composers[0].to_edit.text() == "after-crash@example.org"
    finally:
        guard.release()
