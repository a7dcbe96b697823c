"""The account wizard against the suite's real Postfix + Dovecot: manual settings typed in,
the untrusted certificate trusted for this account only, Test, Save; and a wrong password."""

from __future__ import annotations

import asyncio
import tomllib

from PySide6.QtWidgets import QWizard
from support.mailstack import MailStack
from test_gui_wizard import LEFT, fill_identity, open_wizard, type_port

from mailapp.core.model import Security
from mailapp.ui.account_wizard import AccountWizard, PageId
from mailapp.ui.main_window import MainWindow


def type_servers(qtbot, wizard: AccountWizard, stack: MailStack) -> None:
    servers = wizard.servers
    qtbot.keyClicks(servers.incoming.host, stack.host)
    type_port(qtbot, servers.incoming.port, stack.ports.imaps)
    qtbot.keyClicks(servers.outgoing.host, stack.host)
    servers.outgoing.security.setCurrentIndex(1)  # STARTTLS on the submission port
    type_port(qtbot, servers.outgoing.port, stack.ports.submission)


def run_test(qtbot, qloop, wizard: AccountWizard, button) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        qtbot.mouseClick(button, LEFT)
        task = wizard.servers.test_task.task
        assert task is not None and wizard.servers.busy
        await asyncio.wait({task}, timeout=120)

    qloop.run_until_complete(scenario())


def test_add_account_manually_against_the_real_servers(
    qtbot, window: MainWindow, engine, qloop, *, mailstack: MailStack, profile_dir
) -> None:
    user = mailstack.unique_user("wiz")
    wizard = open_wizard(qtbot, window)
    fill_identity(qtbot, wizard, user.address, user.password)
    qtbot.mouseClick(wizard.identity.manual_button, LEFT)
    assert wizard.currentId() == PageId.SERVERS
    type_servers(qtbot, wizard, mailstack)
    servers = wizard.servers
    results = servers.results

    # First test: the stack's own CA is not trusted, so both certificates are refused.
    run_test(qtbot, qloop, wizard, servers.test_button)
    rows = results.rows()
    assert rows[0] == f"Incoming · Connect: passed — connected to {mailstack.host}:" + str(
        mailstack.ports.imaps
    )
    assert any(r.startswith("Incoming · Certificate: failed") for r in rows)
    assert any(r.startswith("Outgoing · Certificate: failed") for r in rows)
    assert "The incoming server's certificate is not trusted" in results.status.text()
    assert results.certificate.isVisibleTo(wizard)
    assert results.fingerprint.text() == mailstack.server_fingerprint_sha256
    assert results.trust_button.isVisibleTo(wizard)

    # Trust it for this account: the fingerprint is pinned and the test runs again.
    run_test(qtbot, qloop, wizard, results.trust_button)
    assert servers.trust.fingerprint.text() == mailstack.server_fingerprint_sha256
    report = servers.last_report
    assert report is not None and report.ok, results.rows()
    assert [r.split(":")[0] for r in results.rows()] == [
        f"{role} · {stage}"
        for role in ("Incoming", "Outgoing")
        for stage in ("Connect", "Encryption", "Certificate", "Login")
    ]
    assert "Both servers accepted the login" in results.status.text()
    assert not results.certificate.isVisibleTo(wizard)

    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert wizard.currentId() == PageId.SUMMARY
    summary = wizard.summary
    assert summary.values["test"].text().startswith("passed")
    assert mailstack.server_fingerprint_sha256 in summary.values["certificate"].text()

    async def save() -> None:
        changed = asyncio.Event()
        window.accounts_changed.connect(changed.set)
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
        await asyncio.wait_for(changed.wait(), timeout=60)

    qloop.run_until_complete(save())
    qtbot.waitUntil(lambda: window.account_dialog is None)

    # In the window's folder pane, and in accounts.toml (without the password).
    model = window.folder_pane.folder_model
    index = model.account_index(user.address)
    assert index.isValid()
    assert model.index(0, 0, index).data() == "Inbox"
    text = (profile_dir / "accounts.toml").read_text(encoding="utf-8")
    assert user.password not in text
    [saved] = tomllib.loads(text)["account"]
    assert saved["email"] == user.address
    [account] = engine.list_accounts()
    assert account.incoming.port == mailstack.ports.imaps
    assert account.outgoing.security is Security.STARTTLS
    assert account.trust.fingerprint == mailstack.server_fingerprint_sha256
    assert engine.credentials.get_password(account.name, "incoming") == user.password

    # The saved account logs in as it is.
    report = qloop.run_until_complete(engine.test_account(account.name))
    assert report.ok, report.failures


def test_wrong_password_is_said_plainly(
    qtbot, window: MainWindow, qloop, mailstack: MailStack
) -> None:
    user = mailstack.unique_user("wizpw")
    wizard = open_wizard(qtbot, window)
    fill_identity(qtbot, wizard, user.address, user.password + "-wrong")
    qtbot.mouseClick(wizard.identity.manual_button, LEFT)
    type_servers(qtbot, wizard, mailstack)
    wizard.servers.trust.fingerprint.setText(mailstack.server_fingerprint_sha256)
    run_test(qtbot, qloop, wizard, wizard.servers.test_button)
    results = wizard.servers.results
    status = results.status.text()
    assert "Wrong user name or password: the incoming server refused the login" in status
    assert "Wrong user name or password: the outgoing server refused the login" in status
    assert any(r.startswith("Incoming · Login: failed") for r in results.rows())
    assert not results.certificate.isVisibleTo(wizard)
    assert window.showing_empty_state
    wizard.close()
