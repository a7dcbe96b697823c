"""Suite-wide fixtures: the session's private mail stack and what a failing test reports.

`mailstack` starts one Postfix + Dovecot for the whole session (tests/support/mailstack.py);
`mail_user` gives a test its own fresh mailbox on it. When a test using the stack fails, the
Postfix and Dovecot log lines written during that test are added to its report; when the
session had failures, the stack's directory is kept and its path printed.

May import the stdlib, pytest and tests/support (put on sys.path here, so it imports the same
way under every pytest import mode). Set MAILSTACK_KEEP=1 to keep the directory anyway.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from support.mailstack import MailStack, MailStackUnavailable, MailUser  # noqa: E402

# pytester: tests/integration/test_mailstack_fixture.py runs a nested, failing session.
pytest_plugins = ["pytester"]

_ACTIVE = pytest.StashKey[MailStack]()
_SUMMARY = pytest.StashKey[list[str]]()
_LOG_START = pytest.StashKey[dict[str, int]]()
_REPORT_LINES = 150


@pytest.fixture(scope="session")
def mailstack(request: pytest.FixtureRequest) -> Iterator[MailStack]:
    """One private Postfix + Dovecot for the session (see MailStack for the services)."""
    stack = MailStack()
    try:
        stack.start()
    except MailStackUnavailable as exc:
        # Never a skip: a CI run without the servers must fail loudly.
        pytest.fail(str(exc), pytrace=False)
    config = request.config
    config.stash[_ACTIVE] = stack
    restore_sigterm = _stop_on_sigterm()
    summary = config.stash.setdefault(_SUMMARY, [])
    try:
        yield stack
    finally:
        failed = request.session.testsfailed > 0
        keep = failed or os.environ.get("MAILSTACK_KEEP") == "1"
        directory = stack.directory
        try:
            stack.stop(keep=keep)
        finally:
            restore_sigterm()
            del config.stash[_ACTIVE]
            summary.append(
                f"mailstack: started in {stack.start_seconds or 0:.2f}s, "
                f"stopped in {stack.stop_seconds or 0:.2f}s"
            )
            if keep:
                why = "the session had failures" if failed else "MAILSTACK_KEEP=1"
                summary.append(f"mailstack: kept {directory} ({why}); logs in {directory}/log")


def _stop_on_sigterm() -> Callable[[], None]:
    """Turn SIGTERM (a cancelled CI job) into KeyboardInterrupt, so pytest tears the session
    down and the daemons stop, instead of dying with them still running."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        return lambda: None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)


@pytest.fixture
def mail_user(mailstack: MailStack) -> MailUser:
    """A fresh mailbox on the session's stack that no other test touches."""
    return mailstack.unique_user("t")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Whatever uses the stack carries the marker, so `-m "not mailstack"` deselects it.
    for item in items:
        if "mailstack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mailstack)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if "mailstack" not in getattr(item, "fixturenames", ()):
        return report
    stack = item.config.stash.get(_ACTIVE, None)
    if stack is None:
        return report
    if report.when == "setup" and report.passed:
        item.stash[_LOG_START] = stack.log_positions()
    elif report.failed:
        since = item.stash.get(_LOG_START, None)
        scope = "during this test" if since is not None else "last lines"
        for name, text in stack.logs_since(since, _REPORT_LINES).items():
            report.sections.append((f"mailstack {name} ({scope})", text or "(nothing)"))
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(_SUMMARY, []):
        terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _restore_mailapp_logging() -> Iterator[None]:
    """Commands run in-process configure the `mailapp` logger; undo that after each test so
    one test's level or handler never hides another test's log records."""
    import logging

    logger = logging.getLogger("mailapp")
    level, handlers, propagate = logger.level, list(logger.handlers), logger.propagate
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers
    logger.propagate = propagate
