"""Discovery through the account wizard, against real peers on loopback: dnsmasq for DNS
(tests/support/dns_server.py), an HTTPS server with its own CA for the autoconfig files and
the ISPDB (tests/support/https_server.py), and the suite's Postfix + Dovecot for the login
test of what was found. Every name goes to the test's dnsmasq; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QWizard
from support.dns_server import DnsServer, DnsServerUnavailable
from support.https_server import HttpsServer
from support.mailstack import MailStack
from test_gui_wizard import LEFT, fill_identity

from mailapp.core.model import IncomingProtocol, Security
from mailapp.engine.api import DiscoveryConfig
from mailapp.ui.account_wizard import AccountWizard, PageId
from mailapp.ui.main_window import MainWindow

LOOPBACK = "127.0.0.1"
CONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"
WEB_NAMES = ["autoconfig.example.test", "wk.test", "ispdb.test"]


def server(tag: str, kind: str, host: str, port: int, *, socket: str, user: str) -> str:
    return (
        f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
        f"<socketType>{socket}</socketType><username>{user}</username>"
        f"<authentication>password-cleartext</authentication></{tag}>"
    )


def client_config(domain: str, servers: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">'
        f'<emailProvider id="{domain}"><domain>{domain}</domain>'
        f"<displayName>{domain} mail</displayName>{servers}</emailProvider></clientConfig>"
    )


@pytest.fixture(scope="module")
def loopback_net(mailstack: MailStack) -> Iterator[tuple[HttpsServer, DnsServer]]:
    web = HttpsServer(WEB_NAMES)
    web.start()
    # example.test (the stack's domain): autoconfig points at the real Dovecot and Postfix.
    web.add(
        "autoconfig.example.test",
        CONFIG_PATH,
        client_config(
            "example.test",
            server(
                "incomingServer",
                "imap",
                LOOPBACK,
                mailstack.ports.imaps,
                socket="SSL",
                user="%EMAILADDRESS%",
            )
            + server(
                "outgoingServer",
                "smtp",
                LOOPBACK,
                mailstack.ports.submission,
                socket="STARTTLS",
                user="%EMAILADDRESS%",
            ),
        ),
    )
    # wk.test: no autoconfig host, a well-known file with IMAP and POP3.
    web.add(
        "wk.test",
        WELL_KNOWN_PATH,
        client_config(
            "wk.test",
            server(
                "incomingServer", "imap", "imap.wk.test", 993, socket="SSL", user="%EMAILLOCALPART%"
            )
            + server(
                "incomingServer", "pop3", "pop.wk.test", 995, socket="SSL", user="%EMAILADDRESS%"
            )
            + server(
                "outgoingServer",
                "smtp",
                "smtp.wk.test",
                587,
                socket="STARTTLS",
                user="%EMAILADDRESS%",
            ),
        ),
    )
    dns = DnsServer(hosts=dict.fromkeys(WEB_NAMES, LOOPBACK))
    try:
        dns.start()
    except DnsServerUnavailable as exc:
        web.stop()
        pytest.fail(str(exc), pytrace=False)  # never a skip: CI must install dnsmasq-base
    try:
        yield web, dns
    finally:
        dns.stop()
        web.stop()


@pytest.fixture
def config(loopback_net: tuple[HttpsServer, DnsServer]) -> DiscoveryConfig:
    web, dns = loopback_net
    return DiscoveryConfig(
        nameserver=LOOPBACK,
        nameserver_port=dns.port,
        ca_files=(str(web.ca_file),),
        https_port=web.port,
        ispdb_base_url="https://ispdb.test/v1.1/",
        http_timeout=10,
        dns_timeout=5,
        probe_timeout=5,
    )


def discover(qtbot, qloop, window: MainWindow, config, email: str, password: str):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    wizard = AccountWizard(window.engine, window, discovery_config=config)
    qtbot.addWidget(wizard)
    wizard.account_added.connect(window._account_added)
    wizard.show()
    qtbot.waitExposed(wizard)
    fill_identity(qtbot, wizard, email, password)
    seen: list[list[str]] = []

    async def scenario() -> None:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
        assert wizard.currentId() == PageId.DISCOVERY
        assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
        view = wizard.discovery.view
        view.steps_model.dataChanged.connect(lambda *_: seen.append(view.lines()))
        task = wizard.discovery.task.task
        assert task is not None
        await asyncio.wait({task}, timeout=120)

    qloop.run_until_complete(scenario())
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    return wizard, seen


def test_autoconfig_fills_the_settings_and_the_account_works(
    qtbot, window: MainWindow, engine, qloop, *, config, mailstack: MailStack
) -> None:
    user = mailstack.unique_user("disc")
    wizard, seen = discover(qtbot, qloop, window, config, user.address, user.password)
    lines = wizard.discovery.view.lines()
    assert lines == [
        "Provider's autoconfig server: found",
        "Domain's well-known autoconfig file: skipped",
        "Thunderbird's provider database: skipped",
        "DNS service records (SRV): skipped",
        "Guess from the mail exchanger (MX): skipped",
        "Connecting to the standard ports: skipped",
    ]
    # Shown live: the first step was "checking" before it was "found".
    assert seen[0][0] == "Provider's autoconfig server: checking…"
    assert "Settings found (example.test mail)" in wizard.discovery.status.text()

    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    servers = wizard.servers
    assert servers.incoming.host.text() == LOOPBACK
    assert servers.incoming.port.value() == mailstack.ports.imaps
    assert servers.incoming.security_value() is Security.SSL
    assert servers.incoming.user.text() == user.address
    assert servers.outgoing.port.value() == mailstack.ports.submission
    assert servers.outgoing.security_value() is Security.STARTTLS
    assert "Provider's autoconfig server" in servers.incoming.note.text()
    assert not servers.incoming_choice.isVisibleTo(wizard)  # one suggestion only

    async def test(button) -> None:  # type: ignore[no-untyped-def]
        qtbot.mouseClick(button, LEFT)
        task = servers.test_task.task
        assert task is not None
        await asyncio.wait({task}, timeout=120)

    qloop.run_until_complete(test(servers.test_button))
    assert servers.results.fingerprint.text() == mailstack.server_fingerprint_sha256
    qloop.run_until_complete(test(servers.results.trust_button))
    assert servers.last_report is not None and servers.last_report.ok

    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)

    async def save() -> None:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
        task = wizard.save_task.task
        assert task is not None
        await asyncio.wait({task}, timeout=60)

    qloop.run_until_complete(save())
    assert not wizard.isVisible()
    assert window.folder_pane.folder_model.account_index(user.address).isValid()
    [account] = engine.list_accounts()
    assert account.trust.fingerprint == mailstack.server_fingerprint_sha256


def test_well_known_file_after_a_missing_autoconfig_host(
    qtbot, window: MainWindow, qloop, config
) -> None:
    wizard, _ = discover(qtbot, qloop, window, config, "me@wk.test", "pw")
    lines = wizard.discovery.view.lines()
    assert lines[:2] == [
        "Provider's autoconfig server: not found",
        "Domain's well-known autoconfig file: found",
    ]
    assert all(line.endswith(": skipped") for line in lines[2:])
    first = wizard.discovery.view.steps_model.index(0, 0).data()
    assert "autoconfig.wk.test does not exist" in first  # the detail under the title

    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    servers = wizard.servers
    assert (servers.incoming.host.text(), servers.incoming.user.text()) == ("imap.wk.test", "me")
    assert servers.protocol.currentData() == IncomingProtocol.IMAP
    assert servers.outgoing.host.text() == "smtp.wk.test"
    assert servers.outgoing.port.value() == 587
    # The other suggestion is one choice away, and the fields stay editable.
    choice = servers.incoming_choice
    assert choice.isVisibleTo(wizard)
    assert [choice.itemText(i) for i in range(choice.count())] == [
        "IMAP imap.wk.test:993 SSL/TLS",
        "POP3 pop.wk.test:995 SSL/TLS",
    ]
    choice.setCurrentIndex(1)
    choice.activated.emit(1)
    assert servers.protocol.currentData() == IncomingProtocol.POP3
    assert (servers.incoming.host.text(), servers.incoming.port.value()) == ("pop.wk.test", 995)
    servers.incoming.host.selectAll()
    qtbot.keyClicks(servers.incoming.host, "mail.wk.test")
    assert servers.account_from_fields().incoming.host == "mail.wk.test"
    # Back to the steps and forward again keeps what was typed.
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), LEFT)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    assert servers.incoming.host.text() == "mail.wk.test"
    wizard.close()


def test_nothing_found_leaves_manual_setup(qtbot, window: MainWindow, qloop, config) -> None:
    wizard, _ = discover(qtbot, qloop, window, config, "me@nothing.test", "pw")
    lines = wizard.discovery.view.lines()
    assert [line.rsplit(": ", 1)[1] for line in lines] == ["not found"] * 6
    assert "No settings were found" in wizard.discovery.status.text()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    servers = wizard.servers
    assert servers.incoming.host.text() == ""
    assert "Not found" in servers.incoming.note.text()
    wizard.close()
