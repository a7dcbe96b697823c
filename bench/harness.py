"""What bench/sync.py and bench/search.py share: tool checks, the generated mailbox in the
suite's Dovecot, medians and the result table, and a whole-process CPU profile of our side.

Imports: the standard library, tests/support/mailstack.py (put on sys.path here) and
bench/mailgen.py. Never imported by mailapp or the test suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import imaplib
import io
import os
import pstats
import pwd
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mailgen import Mailbox, link_maildir
from support.mailstack import MailStack, MailStackUnavailable, MailUser

__all__ = [
    "MailStack",
    "MailStackUnavailable",
    "Results",
    "StackMailbox",
    "inline_threads",
    "median",
    "profile_call",
    "require_tools",
    "stack_mailbox",
]

_T = TypeVar("_T")


def require_tools(tools: dict[str, str], *, root: bool) -> None:
    """Exit with a clear message naming the Debian packages when a tool is missing."""
    missing = {pkg for tool, pkg in tools.items() if shutil.which(tool) is None}
    problems = []
    if missing:
        names = " ".join(sorted(missing))
        problems.append(
            f"missing tools; install them with:\n"
            f"    apt-get install -y --no-install-recommends {names}"
        )
    if root and os.geteuid() != 0:
        problems.append("this benchmark starts a private Postfix + Dovecot and must run as root")
    if problems:
        sys.exit("\n".join(problems))


def median(values: list[float]) -> float:
    return statistics.median(values)


@dataclass(slots=True)
class Results:
    """Rows of (case, ours, reference, ratio, target, PASS/MISS)."""

    rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    def ratio(
        self, case: str, ours: float, reference: float, max_ratio: float, ref_name: str
    ) -> None:
        ratio = ours / reference if reference else float("inf")
        verdict = "PASS" if ratio <= max_ratio else "MISS"
        self.rows.append(
            (
                case,
                _seconds(ours),
                f"{_seconds(reference)} {ref_name}",
                f"{ratio:.2f}x",
                f"<= {max_ratio:g}x",
                verdict,
            )
        )

    def both(
        self, case: str, ours: float, reference: float, max_ratio: float, limit: float
    ) -> None:
        """A ratio target and an absolute limit, both to be met."""
        ratio = ours / reference if reference else float("inf")
        verdict = "PASS" if ratio <= max_ratio and ours <= limit else "MISS"
        self.rows.append(
            (
                case,
                _seconds(ours),
                f"{_seconds(reference)} notmuch",
                f"{ratio:.2f}x",
                f"<= {limit * 1000:g} ms, <= {max_ratio:g}x",
                verdict,
            )
        )

    def absolute(self, case: str, ours: float, limit: float, *, unit: str = "ms") -> None:
        scale = 1000.0 if unit == "ms" else 1.0
        self.rows.append(
            (
                case,
                f"{ours * scale:.1f} {unit}",
                "-",
                "-",
                f"< {limit * scale:g} {unit}",
                "PASS" if ours < limit else "MISS",
            )
        )

    def info(self, case: str, ours: float, reference: float, ref_name: str) -> None:
        ratio = ours / reference if reference else float("inf")
        self.rows.append(
            (case, _seconds(ours), f"{_seconds(reference)} {ref_name}", f"{ratio:.2f}x", "-", "")
        )

    def print(self, title: str) -> None:
        header = ("case", "ours", "reference", "ratio", "target", "")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(6)]
        line = "  ".join("-" * w for w in widths)
        print(f"\n{title}")
        for row in [header, None, *self.rows]:
            if row is None:
                print(line)
                continue
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


# --- the mailbox in Dovecot -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StackMailbox:
    stack: MailStack
    user: MailUser
    mailbox: Mailbox

    def imaplib_login(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.stack.host, self.stack.ports.imap, timeout=600)
        client.starttls(ssl_context=self.stack.ssl_context())
        client.login(self.user.address, self.user.password)
        return client


@contextlib.contextmanager
def stack_mailbox(mailbox: Mailbox) -> Iterator[StackMailbox]:
    """A private Postfix + Dovecot whose user `bench-...` has the generated mailbox as INBOX.

    The fastest honest route in: the generated files are hard-linked into the user's Maildir
    (cur/, Dovecot-style names carrying S= and W= sizes and the flags; mtime = internal date),
    then one SELECT and one header FETCH let Dovecot build its index and cache, as it would
    have for mail it had delivered itself. No message passes through Python on the way.
    """
    stack = MailStack()
    try:
        stack.start()
    except MailStackUnavailable as exc:
        sys.exit(f"cannot start the mail stack: {exc}")
    try:
        user = stack.unique_user("bench")
        local, domain = user.address.split("@")
        mail = pwd.getpwnam("mail")
        home = stack.directory / "mail" / domain / local
        home.parent.mkdir(parents=True, exist_ok=True)
        home.mkdir(exist_ok=True)
        os.chown(home.parent, mail.pw_uid, mail.pw_gid)
        os.chown(home, mail.pw_uid, mail.pw_gid)
        started = time.perf_counter()
        link_maildir(mailbox.root, home / "Maildir", owner=(mail.pw_uid, mail.pw_gid))
        box = StackMailbox(stack, user, mailbox)
        client = box.imaplib_login()
        _, data = client.select("INBOX", readonly=True)
        exists = int(data[0] or b"0")
        if exists != mailbox.count:
            raise RuntimeError(f"Dovecot sees {exists} messages, expected {mailbox.count}")
        client.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)")
        client.logout()
        print(
            f"mailbox in Dovecot: {exists} messages, indexed in "
            f"{time.perf_counter() - started:.1f}s",
            flush=True,
        )
        yield box
    finally:
        stack.stop()


# --- profiling --------------------------------------------------------------------------------


@contextlib.contextmanager
def inline_threads() -> Iterator[None]:
    """Run asyncio.to_thread work inline, so one cProfile sees all of our CPU time (for
    --profile only: it changes scheduling, not the work done)."""
    original = asyncio.to_thread

    async def inline(func: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        return func(*args, **kwargs)

    asyncio.to_thread = inline  # type: ignore[assignment]
    try:
        yield
    finally:
        asyncio.to_thread = original


def profile_call(label: str, work: Callable[[], Awaitable[object] | object], top: int = 25) -> None:
    """Profile one run of `work` (a coroutine function or a plain one) and print the hot
    spots by own time and by cumulative time."""
    profiler = cProfile.Profile()
    with inline_threads():
        profiler.enable()
        result = work()
        if asyncio.iscoroutine(result):
            asyncio.run(result)
        profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        print(f"\n=== profile of {label}, by {order} ===")
        print(out.getvalue()[out.getvalue().find("   ncalls") :].rstrip())
