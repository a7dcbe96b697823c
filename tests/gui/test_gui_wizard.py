"""The account wizard without mail servers: page flow, checks of what was typed, Cancel,
accessible names, the discovery steps model, and a timeout against a silent loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from test_gui_main_window import _unnamed_controls

from mailapp.core.model import IncomingProtocol, Security
from mailapp.engine.api import DiscoveryConfig, DiscoveryStep, StepName, StepOutcome
from mailapp.ui.account_dialog import AccountDialog
from mailapp.ui.account_wizard import AccountWizard, PageId
from mailapp.ui.discovery_view import OUTCOME_ROLE, DiscoveryStepsModel
from mailapp.ui.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton


def open_wizard(qtbot, window: MainWindow) -> AccountWizard:
    qtbot.mouseClick(window.empty_state.add_button, LEFT)
    wizard = window.account_dialog
    assert isinstance(wizard, AccountWizard)
    qtbot.waitExposed(wizard)
    return wizard


def fill_identity(qtbot, wizard: AccountWizard, email: str, password: str) -> None:
    page = wizard.identity
    qtbot.keyClicks(page.display_name, "Ada Lovelace")
    qtbot.keyClicks(page.email, email)
    qtbot.keyClicks(page.password, password)


def type_port(qtbot, spin, port: int) -> None:
    spin.selectAll()
    qtbot.keyClicks(spin, str(port))
    assert spin.value() == port


def test_the_add_account_entry_opens_the_wizard(qtbot, window: MainWindow) -> None:
    wizard = open_wizard(qtbot, window)
    assert AccountDialog is AccountWizard
    assert not wizard.isModal()
    assert wizard.currentId() == PageId.IDENTITY
    assert wizard.identity.email.accessibleName() == "Email address"
    back = wizard.button(QWizard.WizardButton.BackButton)
    assert not back.isVisible()
    wizard.close()
    qtbot.waitUntil(lambda: window.account_dialog is None)


def test_first_page_explains_what_is_missing(qtbot, window: MainWindow) -> None:
    wizard = open_wizard(qtbot, window)
    page = wizard.identity
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert wizard.currentId() == PageId.IDENTITY
    assert "email address" in page.problem.text()
    qtbot.keyClicks(page.email, "ada@example")  # no dot in the domain
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert wizard.currentId() == PageId.IDENTITY
    qtbot.keyClicks(page.email, ".org")
    qtbot.mouseClick(page.manual_button, LEFT)
    assert wizard.currentId() == PageId.IDENTITY
    assert "password" in page.problem.text()
    assert window.showing_empty_state


def test_manual_setup_skips_discovery_and_checks_the_fields(qtbot, window: MainWindow) -> None:
    wizard = open_wizard(qtbot, window)
    fill_identity(qtbot, wizard, "ada@example.org", "secret")
    qtbot.mouseClick(wizard.identity.manual_button, LEFT)
    assert wizard.currentId() == PageId.SERVERS
    assert not wizard.came_through_discovery
    servers = wizard.servers
    # Ports follow protocol and security until the person types one.
    assert servers.incoming.port.value() == 993
    servers.incoming.security.setCurrentIndex(1)
    assert servers.incoming.port.value() == 143
    servers.protocol.setCurrentIndex(1)
    assert servers.incoming.port.value() == 110
    type_port(qtbot, servers.incoming.port, 1143)
    servers.incoming.security.setCurrentIndex(0)
    assert servers.incoming.port.value() == 1143
    # Next refuses empty server names, in words, on the page.
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert wizard.currentId() == PageId.SERVERS
    assert "incoming server" in servers.results.status.text()
    qtbot.keyClicks(servers.incoming.host, "pop.example.org")
    qtbot.keyClicks(servers.outgoing.host, "smtp.example.org")
    servers.separate_password.setChecked(True)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert "outgoing server's password" in servers.results.status.text()
    qtbot.keyClicks(servers.smtp_password, "other")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert wizard.currentId() == PageId.SUMMARY
    summary = wizard.summary
    assert summary.account_name.text() == "ada@example.org"
    assert summary.values["incoming"].text() == (
        "POP3 pop.example.org:1143, SSL/TLS, user ada@example.org"
    )
    assert "its own password" in summary.values["outgoing"].text()
    assert "not run" in summary.values["test"].text()
    # The test fixture's memory store keeps passwords for the session only: said plainly.
    assert summary.warning.isVisibleTo(wizard)
    assert summary.values["passwords"].text() == "kept for this session only"
    # Back twice reaches page 1 directly: discovery never ran.
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), LEFT)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), LEFT)
    assert wizard.currentId() == PageId.IDENTITY


def test_save_without_test_adds_the_account(
    qtbot, window: MainWindow, engine, qloop, profile_dir
) -> None:
    wizard = open_wizard(qtbot, window)
    fill_identity(qtbot, wizard, "ada@example.org", "secret")
    qtbot.mouseClick(wizard.identity.manual_button, LEFT)
    servers = wizard.servers
    qtbot.keyClicks(servers.incoming.host, "imap.example.org")
    servers.incoming.security.setCurrentIndex(1)
    qtbot.keyClicks(servers.outgoing.host, "smtp.example.org")
    servers.outgoing.security.setCurrentIndex(1)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    wizard.summary.account_name.selectAll()
    qtbot.keyClicks(wizard.summary.account_name, "Work")

    async def scenario() -> None:
        changed = asyncio.Event()
        window.accounts_changed.connect(changed.set)
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
        await asyncio.wait_for(changed.wait(), timeout=60)

    qloop.run_until_complete(scenario())
    qtbot.waitUntil(lambda: window.account_dialog is None)
    [account] = engine.list_accounts()
    assert account.name == "Work"
    assert account.display_name == "Ada Lovelace"
    assert account.incoming_protocol is IncomingProtocol.IMAP
    assert (account.incoming.port, account.incoming.security) == (143, Security.STARTTLS)
    assert (account.outgoing.port, account.outgoing.user) == (587, "ada@example.org")
    assert engine.credentials.get_password("Work", "incoming") == "secret"
    assert "secret" not in (profile_dir / "accounts.toml").read_text(encoding="utf-8")
    assert window.folder_pane.folder_model.account_index("Work").isValid()


def test_saving_a_second_account_with_the_same_name_says_so(
    qtbot, window: MainWindow, engine, qloop
) -> None:
    for attempt in (1, 2):
        wizard = open_wizard(qtbot, window)
        fill_identity(qtbot, wizard, "ada@example.org", "secret")
        qtbot.mouseClick(wizard.identity.manual_button, LEFT)
        qtbot.keyClicks(wizard.servers.incoming.host, "imap.example.org")
        qtbot.keyClicks(wizard.servers.outgoing.host, "smtp.example.org")
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)

        async def save(w: AccountWizard = wizard) -> None:
            qtbot.mouseClick(w.button(QWizard.WizardButton.FinishButton), LEFT)
            task = w.save_task.task
            assert task is not None
            await asyncio.wait({task}, timeout=60)

        qloop.run_until_complete(save())
        if attempt == 1:
            qtbot.waitUntil(lambda: window.account_dialog is None)
    assert window.account_dialog is wizard  # still open, nothing lost
    assert "ada@example.org" in wizard.summary.status.text()
    assert len(engine.list_accounts()) == 1
    wizard.close()


def _silent_server() -> Iterator[int]:
    # Accepts connections and never says a word: the greeting never comes.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    yield from _silent_server()


def test_timeout_is_explained(qtbot, window: MainWindow, engine, qloop, silent_port) -> None:
    engine.network_timeout = 1.0
    wizard = open_wizard(qtbot, window)
    fill_identity(qtbot, wizard, "ada@example.org", "secret")
    qtbot.mouseClick(wizard.identity.manual_button, LEFT)
    servers = wizard.servers
    for box in (servers.incoming, servers.outgoing):
        qtbot.keyClicks(box.host, "127.0.0.1")
        box.security.setCurrentIndex(1)  # STARTTLS: the plain greeting is awaited
        type_port(qtbot, box.port, silent_port)

    async def scenario() -> None:
        qtbot.mouseClick(servers.test_button, LEFT)
        assert servers.busy
        assert servers.test_button.text().replace("&", "") == "Stop Test"
        assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
        task = servers.test_task.task
        assert task is not None
        await asyncio.wait({task}, timeout=60)

    qloop.run_until_complete(scenario())
    status = servers.results.status.text()
    assert "The incoming server did not answer in time" in status
    assert "The outgoing server did not answer in time" in status
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    rows = servers.results.rows()
    assert rows[0].startswith("Incoming · Connect: failed")  # the greeting never came
    assert "did not answer" in rows[0]
    assert any(r.startswith("Outgoing") and "failed" in r for r in rows)
    assert not servers.results.certificate.isVisibleTo(wizard)


def test_discovery_can_be_stopped_and_cancel_closes(
    qtbot, window: MainWindow, qloop, silent_port
) -> None:
    # A DNS "server" that never answers keeps the first step running until Stop.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dns:
        dns.bind(("127.0.0.1", 0))
        config = DiscoveryConfig(
            nameserver="127.0.0.1",
            nameserver_port=dns.getsockname()[1],
            dns_timeout=30,
            http_timeout=30,
            use_ispdb=False,
        )
        wizard = AccountWizard(window.engine, window, discovery_config=config)
        qtbot.addWidget(wizard)
        wizard.show()
        qtbot.waitExposed(wizard)
        fill_identity(qtbot, wizard, "ada@example.org", "secret")

        async def scenario() -> None:
            qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
            assert wizard.currentId() == PageId.DISCOVERY
            assert wizard.discovery.busy
            assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
            model = wizard.discovery.view.steps_model
            await asyncio.sleep(0)
            for _ in range(200):
                if model.outcome(StepName.AUTOCONFIG) is StepOutcome.RUNNING:
                    break
                await asyncio.sleep(0.05)
            assert model.outcome(StepName.AUTOCONFIG) is StepOutcome.RUNNING
            task = wizard.discovery.task.task
            assert task is not None
            qtbot.mouseClick(wizard.discovery.stop_button, LEFT)
            await asyncio.wait({task}, timeout=30)

        qloop.run_until_complete(scenario())
        assert "Stopped" in wizard.discovery.status.text()
        assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
        assert wizard.currentId() == PageId.SERVERS
        assert wizard.servers.incoming.host.text() == ""  # nothing found: manual
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), LEFT)
        assert not wizard.isVisible()


def test_discovery_steps_model(qtmodeltester) -> None:
    model = DiscoveryStepsModel()
    assert model.rowCount() == 6
    assert model.index(0, 0).data() == "Provider's autoconfig server: waiting"
    model.report(DiscoveryStep(StepName.SRV, StepOutcome.RUNNING, "Trying _imaps._tcp…"))
    model.report(
        DiscoveryStep(StepName.AUTOCONFIG, StepOutcome.NOT_FOUND, "No such host.", ("https://a/",))
    )
    # One tester stays connected and watches the changes below (the Python one), then Qt's.
    qtmodeltester.check(model, force_py=True)
    first = model.index(0, 0)
    assert first.data() == "Provider's autoconfig server: not found\nNo such host."
    assert first.data(OUTCOME_ROLE) == "not_found"
    assert first.data(Qt.ItemDataRole.ToolTipRole) == "Tried:\nhttps://a/"
    assert model.index(3, 0).data().startswith("DNS service records (SRV): checking…")
    model.reset_steps()
    qtmodeltester.check(model)
    assert model.index(0, 0).data(OUTCOME_ROLE) == ""


def test_every_page_names_its_controls(qtbot, window: MainWindow) -> None:
    wizard = open_wizard(qtbot, window)
    assert _unnamed_controls(wizard) == []
    fill_identity(qtbot, wizard, "ada@example.org", "secret")
    qtbot.mouseClick(wizard.identity.manual_button, LEFT)
    wizard.servers.trust_toggle.setChecked(True)
    assert _unnamed_controls(wizard) == []
    qtbot.keyClicks(wizard.servers.incoming.host, "imap.example.org")
    qtbot.keyClicks(wizard.servers.outgoing.host, "smtp.example.org")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert wizard.currentId() == PageId.SUMMARY
    assert _unnamed_controls(wizard) == []
    wizard.close()
