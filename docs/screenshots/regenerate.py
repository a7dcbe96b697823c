"""Regenerate the README screenshots: the real window under a private Xvfb server.

Usage (from the repository root):  .venv/bin/python docs/screenshots/regenerate.py

It starts `Xvfb -screen 0 1280x800x24` on a display it picks (-displayfd), runs itself again
inside it (`--shoot`) with Qt's xcb platform, builds the window the way `mailapp` does (application
names, icon theme fallback) on throw-away profiles, and saves QWidget.grab() images here:

  main-window-empty.png   first start, no account: the empty state
  main-window.png         one account (saved through the engine API), its folders
  main-window-dark.png    the same in the dark colour scheme
  wizard-1-identity.png ... wizard-4-summary.png   the account wizard, page by page, with
                          discovery and test answers replayed (no network is used)

Needs Debian's xvfb and the xcb libraries (tests/run.sh installs them). Passwords go to an
in-memory credential store, so the system keyring is never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCREEN = "1280x800x24"
WINDOW_SIZE = (1100, 700)


def _start_xvfb() -> tuple[subprocess.Popen[bytes], int]:
    """Xvfb on a display number it picks itself (-displayfd), so two runs never collide."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(write_fd,),
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        line = pipe.readline().strip()  # written once the server accepts connections
    if not line.isdigit():
        xvfb.terminate()
        xvfb.wait(timeout=10)
        raise SystemExit("regenerate.py: Xvfb did not start")
    return xvfb, int(line)


def run_under_xvfb(out_dir: Path) -> int:
    if shutil.which("Xvfb") is None:
        print("regenerate.py: Xvfb is missing (apt-get install xvfb)", file=sys.stderr)
        return 2
    xvfb, number = _start_xvfb()
    try:
        env = dict(os.environ, DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb")
        env.pop("WAYLAND_DISPLAY", None)
        env.pop("MAILAPP_COLOR_SCHEME", None)  # the dark run sets it itself
        status = 0
        for shot in ("light", "dark"):
            env_shot = dict(env)
            if shot == "dark":
                env_shot["MAILAPP_COLOR_SCHEME"] = "dark"
            status |= subprocess.call(
                [sys.executable, __file__, "--shoot", shot, "--out", str(out_dir)],
                cwd=REPO,
                env=env_shot,
            )
        return status
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def _account(host: str):  # type: ignore[no-untyped-def]
    from mailapp.core.model import Account, IncomingProtocol, Security, ServerSettings

    return Account(
        name="Work",
        email="ada@example.org",
        display_name="Ada Lovelace",
        incoming_protocol=IncomingProtocol.IMAP,
        incoming=ServerSettings(host, 993, Security.SSL, "ada@example.org"),
        outgoing=ServerSettings(host, 465, Security.SSL, "ada@example.org"),
    )


def _showcase_engine(profile: Path, credentials: object):  # type: ignore[no-untyped-def]
    """An Engine whose discovery and login test replay plausible answers, for the pictures."""
    from mailapp.core.checks import CheckOutcome, CheckReport, CheckStage, CheckStep, ServerRole
    from mailapp.core.model import Security
    from mailapp.engine.api import (
        DiscoveryResult,
        DiscoveryStep,
        Engine,
        FoundServer,
        ServerKind,
        StepName,
        StepOutcome,
    )
    from mailapp.protocols.autoconfig import ServerCandidate

    fingerprint = ":".join(f"{(i * 37 + 11) % 256:02X}" for i in range(32))
    steps = [
        (StepName.AUTOCONFIG, StepOutcome.NOT_FOUND, "autoconfig.example.org does not exist."),
        (
            StepName.WELL_KNOWN,
            StepOutcome.NOT_FOUND,
            "https://example.org/.well-known/autoconfig/mail/config-v1.1.xml: 404 Not Found.",
        ),
        (
            StepName.ISPDB,
            StepOutcome.FOUND,
            "Thunderbird's provider database knows example.org (Example Mail).",
        ),
        (StepName.SRV, StepOutcome.SKIPPED, "Not needed: settings already found."),
        (StepName.MX, StepOutcome.SKIPPED, "Not needed: settings already found."),
        (StepName.PROBE, StepOutcome.SKIPPED, "Not needed: settings already found."),
    ]

    def found(kind: ServerKind, host: str, port: int, security: Security) -> FoundServer:
        return FoundServer(
            ServerCandidate(kind, host, port, security, "ada@example.org"), StepName.ISPDB
        )

    class Showcase(Engine):
        async def discover_settings(self, email, progress=None, config=None):  # type: ignore[no-untyped-def]
            reports = []
            for name, outcome, detail in steps:
                if outcome is not StepOutcome.SKIPPED and progress is not None:
                    progress(DiscoveryStep(name, StepOutcome.RUNNING, "Trying…"))
                    await asyncio.sleep(0.05)
                reports.append(DiscoveryStep(name, outcome, detail))
                if progress is not None:
                    progress(reports[-1])
            return DiscoveryResult(
                email,
                (
                    found(ServerKind.IMAP, "imap.example.org", 993, Security.SSL),
                    found(ServerKind.POP3, "pop.example.org", 995, Security.SSL),
                ),
                (found(ServerKind.SMTP, "smtp.example.org", 465, Security.SSL),),
                tuple(reports),
                "Example Mail",
            )

        async def test_settings(self, account, password, smtp_password=None, progress=None):  # type: ignore[no-untyped-def]
            pinned = account.trust.fingerprint == fingerprint
            out = []
            for role, server in (
                (ServerRole.INCOMING, "imap.example.org:993 (IMAP, ssl)"),
                (ServerRole.OUTGOING, "smtp.example.org:465 (SMTP, ssl)"),
            ):
                out += [
                    CheckStep(role, CheckStage.CONNECT, CheckOutcome.PASSED, "connected", server),
                    CheckStep(role, CheckStage.TLS, CheckOutcome.PASSED, "TLSv1.3", server),
                ]
                if pinned:
                    out += [
                        CheckStep(
                            role, CheckStage.CERTIFICATE, CheckOutcome.PASSED, "pinned", server
                        ),
                        CheckStep(role, CheckStage.LOGIN, CheckOutcome.PASSED, "logged in", server),
                    ]
                else:
                    out += [
                        CheckStep(
                            role,
                            CheckStage.CERTIFICATE,
                            CheckOutcome.FAILED,
                            f"The certificate of {server.split(':')[0]} is not signed by an "
                            "authority this account trusts (self-signed certificate).",
                            server,
                            error_code="tls.certificate",
                            fingerprint=fingerprint,
                        ),
                        CheckStep(role, CheckStage.LOGIN, CheckOutcome.SKIPPED, "", server),
                    ]
            for step in out:
                await asyncio.sleep(0.02)
                if progress is not None:
                    progress(step)
            return CheckReport(account.name, tuple(out))

    return Showcase.open(str(profile), credentials=credentials)  # type: ignore[arg-type]


def _wizard_shots(app, settle, save, engine) -> None:  # type: ignore[no-untyped-def]
    """The wizard's four pages, driven the way a person would, on a qasync loop."""
    import qasync
    from PySide6.QtWidgets import QWizard

    from mailapp.ui.account_wizard import AccountWizard

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    wizard = AccountWizard(engine)
    wizard.show()

    async def drive() -> None:
        identity = wizard.identity
        identity.display_name.setText("Ada Lovelace")
        identity.email.setText("ada@example.org")
        identity.password.setText("not-a-real-password")
        settle()
        save(wizard, "wizard-1-identity.png")
        wizard.button(QWizard.WizardButton.NextButton).click()
        while wizard.discovery.busy:
            await asyncio.sleep(0.05)
        settle()
        save(wizard, "wizard-2-discovery.png")
        wizard.button(QWizard.WizardButton.NextButton).click()
        wizard.servers.test_button.click()
        while wizard.servers.busy:
            await asyncio.sleep(0.05)
        settle()
        save(wizard, "wizard-3-settings.png")
        wizard.servers.results.trust_button.click()
        while wizard.servers.busy:
            await asyncio.sleep(0.05)
        wizard.button(QWizard.WizardButton.NextButton).click()
        settle()
        save(wizard, "wizard-4-summary.png")

    try:
        loop.run_until_complete(drive())
    finally:
        wizard.close()
        loop.close()
        asyncio.set_event_loop(None)


def shoot(variant: str, out_dir: Path) -> int:
    sys.path.insert(0, str(REPO))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from mailapp.app.gui import make_application
    from mailapp.engine.api import Engine
    from mailapp.secrets.memory import MemoryCredentialStore
    from mailapp.ui.main_window import MainWindow

    app = make_application(["mailapp"])

    def settle() -> None:
        # Let layouts, fonts and icons settle before grabbing.
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)

    def store() -> MemoryCredentialStore:
        # Shown as a desktop keyring would be, so the pictures match a usual desktop (without
        # one, the dialog adds a note that passwords last for this session only).
        return MemoryCredentialStore(description="GNOME Keyring", persistent=True)

    def window_for(profile: Path) -> MainWindow:
        engine = Engine.open(str(profile), credentials=store())
        settings = QSettings(str(profile / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(engine, settings)
        window.resize(*WINDOW_SIZE)
        window.show()
        settle()
        return window

    def save(widget: QApplication | object, name: str) -> None:
        pixmap = widget.grab()  # type: ignore[attr-defined]
        path = out_dir / name
        if not pixmap.save(str(path), "PNG"):
            raise SystemExit(f"regenerate.py: could not write {path}")
        print(f"wrote {path.relative_to(REPO)} ({pixmap.width()}x{pixmap.height()})")

    with tempfile.TemporaryDirectory(prefix="mailapp-shots-") as tmp:
        if variant == "light":
            empty = window_for(Path(tmp) / "empty")
            save(empty, "main-window-empty.png")
            empty.close()
            _wizard_shots(app, settle, save, _showcase_engine(Path(tmp) / "wizard", store()))

        profile = Path(tmp) / "with-account"
        engine = Engine.open(str(profile), credentials=store())
        asyncio.run(engine.add_account(_account("mail.example.org"), "not-a-real-password"))
        window = window_for(profile)
        save(window, "main-window.png" if variant == "light" else "main-window-dark.png")
        window.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoot", choices=("light", "dark"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.shoot:
        return shoot(args.shoot, args.out)
    return run_under_xvfb(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
