"""Password commands: a user's shell command that prints the password (mbsync's PassCmd).

Imports: the standard library and mailapp.core.errors.

The command is a string from the user's own account settings, run the way mbsync (PassCmd)
and aerc (source-cred-cmd) run theirs: `/bin/sh -c COMMAND` on POSIX, so configurations that
use pipes, `~` or `$VAR` (`gpg -dq ~/.mail.gpg | head -1`) work unchanged; on Windows the
string goes to CreateProcess as is. It never contains data from a server or a message, so the
shell is not an injection path.

The password is the first line of standard output, with only its line ending removed (spaces
are part of passwords). The command gets no standard input, its own session (so a timeout
kills everything it started) and a timeout; standard output never appears in an error or a
log, standard error does (it is where the command explains itself). Blocking: the engine
calls this through asyncio.to_thread.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess

from mailapp.core.errors import SecretCommandError

log = logging.getLogger("mailapp.secrets")

# Generous because the command may wait for a person: gpg-agent's pinentry, a vault unlock.
DEFAULT_TIMEOUT = 120.0
# How much of standard error goes into the message.
STDERR_LIMIT = 500

_POSIX = os.name == "posix"


def run_password_command(
    command: str, *, timeout: float = DEFAULT_TIMEOUT, account: str | None = None
) -> str:
    """Run `command` and return the first line it prints.

    Raises SecretCommandError when it cannot start, exits non-zero, is killed, runs longer
    than `timeout` seconds, prints no password, or prints something that is not UTF-8.
    `account` only names the account in messages.
    """
    whose = f"The password command of account {account!r}" if account else "The password command"
    if not command.strip():
        raise SecretCommandError(f"{whose} is empty.", hint="Set a command or remove it.")
    args: list[str] | str = ["/bin/sh", "-c", command] if _POSIX else command
    log.debug("running the password command%s", f" of {account!r}" if account else "")
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=_POSIX,
        )
    except OSError as exc:
        raise SecretCommandError(f"{whose} could not be started: {exc.strerror or exc}.") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise SecretCommandError(
            f"{whose} did not finish within {timeout:g} seconds and was stopped.",
            hint="Check that it runs on its own, without waiting for input.",
        ) from None

    if proc.returncode != 0:
        how = (
            f"was killed by signal {-proc.returncode}"
            if proc.returncode < 0
            else f"failed with exit status {proc.returncode}"
        )
        said = _stderr_text(stderr, stdout)
        raise SecretCommandError(f"{whose} {how}" + (f": {said}" if said else "."))

    first = stdout.split(b"\n", 1)[0]
    first = first.removesuffix(b"\r")
    if not first:
        said = _stderr_text(stderr, stdout)
        raise SecretCommandError(
            f"{whose} printed no password on its first line" + (f": {said}" if said else "."),
            hint="It must print the password on the first line of its output.",
        )
    try:
        return first.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretCommandError(f"{whose} printed a password that is not UTF-8 text.") from None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    # The command runs in its own session: kill the whole group so nothing it started lingers
    # (a `sh -c` child keeps running after its shell is killed otherwise).
    try:
        if _POSIX:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except ProcessLookupError:
        pass
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        # Something left the group and still holds our pipes: stop waiting for it.
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        proc.wait()


def _stderr_text(stderr: bytes, stdout: bytes) -> str:
    text = stderr.decode("utf-8", errors="replace").strip()
    # A command that fails may still have printed the password, and may echo it to stderr.
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        for printed in (line, line.strip()):
            if printed:
                text = text.replace(printed, "[output]")
    text = " ".join(text.split())
    if len(text) > STDERR_LIMIT:
        text = "…" + text[-STDERR_LIMIT:]
    return text
