"""`mailapp account add|list|show|edit|remove|test`: accounts from the command line.

Passwords come from stdin (never from an argument: those show up in `ps` and shell history)
or from a password command stored with the account. Imports: core, engine.api.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import sys
from dataclasses import replace
from typing import Any

from mailapp.core.checks import CheckOutcome, CheckReport, CheckStep, ServerRole
from mailapp.core.errors import ConfigError
from mailapp.core.model import (
    Account,
    IncomingProtocol,
    Security,
    ServerSettings,
    TlsTrust,
)
from mailapp.engine.accounts import account_to_tables
from mailapp.engine.api import Engine, normalize_fingerprint

# Security implied by the well-known ports, so `--imap host:993` needs no --incoming-security.
_PORT_SECURITY = {
    993: Security.SSL,
    995: Security.SSL,
    465: Security.SSL,
    143: Security.STARTTLS,
    110: Security.STARTTLS,
    587: Security.STARTTLS,
}
_HOST_PORT_RE = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\s\[\]]+)):(?P<port>\d+)$")

_SECRETS_EPILOG = """\
passwords:
  A password is never given as an argument (other users could read it in the process list).
  --password-stdin reads it from the first line of standard input (or asks, on a terminal).
  The SMTP server uses the same password unless --smtp-password-stdin is given: it reads
  the SMTP password from the next line (the first one when --password-command is used).
  --password-command CMD stores a command (not a secret) that prints the password, e.g.
  'pass show mail/work'; it runs each time the password is needed. Without a system keyring
  a password from stdin cannot be kept: use --password-command then.
"""


# --- parsing -------------------------------------------------------------------------------


def parse_host_port(text: str, option: str) -> tuple[str, int]:
    """'host:port' or '[v6]:port' -> (host, port), else ConfigError in plain words."""
    match = _HOST_PORT_RE.match(text.strip())
    if match is None:
        raise ConfigError(
            f"{option} {text!r} is not HOST:PORT.",
            hint=f"Write it like {option} mail.example.org:993 ([::1]:993 for IPv6).",
        )
    port = int(match.group("port"))
    if not 1 <= port <= 65535:
        raise ConfigError(f"{option} {text!r}: the port must be between 1 and 65535.")
    return match.group("v6") or match.group("host"), port


def parse_security(value: str | None, port: int, option: str) -> Security:
    if value is None:
        implied = _PORT_SECURITY.get(port)
        if implied is None:
            raise ConfigError(
                f"Port {port} is not a standard one, so {option} ssl|starttls is needed.",
                hint="ssl: TLS from the first byte (993, 995, 465); starttls: the upgrade "
                "command on the plain port (143, 110, 587).",
            )
        return implied
    try:
        return Security(value.strip().lower())
    except ValueError:
        raise ConfigError(
            f"{option} {value!r} is not one of: ssl, starttls.",
            hint="There is no plaintext option: passwords only travel encrypted.",
        ) from None


def _read_secret(prompt: str) -> str:
    if sys.stdin is None:
        raise ConfigError("No standard input to read the password from.")
    if sys.stdin.isatty():
        value = getpass.getpass(prompt)
    else:
        line = sys.stdin.readline()
        if not line:
            raise ConfigError(
                "Standard input ended before the password.",
                hint="Pipe one line per password, e.g. from a file: < password.txt",
            )
        value = line.rstrip("\r\n")
    if not value:
        raise ConfigError("The password read from standard input is empty.")
    return value


def _read_passwords(args: argparse.Namespace) -> tuple[str | None, str | None]:
    password = _read_secret("Password: ") if args.password_stdin else None
    smtp_password = _read_secret("SMTP password: ") if args.smtp_password_stdin else None
    return password, smtp_password


def _absolute_ca_file(value: str) -> str | None:
    if value == "":
        return None
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isfile(path):
        raise ConfigError(f"--ca-file {value!r}: there is no such file.")
    return path


# --- building accounts ---------------------------------------------------------------------


def _account_from_args(args: argparse.Namespace) -> Account:
    if args.imap is None and args.pop3 is None:
        raise ConfigError(
            "The incoming server is missing.", hint="Give --imap HOST:PORT or --pop3 HOST:PORT."
        )
    if args.password_command is None and not args.password_stdin:
        raise ConfigError(
            "The account needs a password source.",
            hint="Give --password-stdin (the password on standard input) or "
            "--password-command CMD (a command that prints it).",
        )
    protocol = IncomingProtocol.IMAP if args.imap is not None else IncomingProtocol.POP3
    option = f"--{protocol.value}"
    in_host, in_port = parse_host_port(args.imap or args.pop3, option)
    out_host, out_port = parse_host_port(args.smtp, "--smtp")
    return Account(
        name=args.name,
        email=args.email,
        display_name=args.display_name or "",
        incoming_protocol=protocol,
        incoming=ServerSettings(
            in_host,
            in_port,
            parse_security(args.incoming_security, in_port, "--incoming-security"),
            args.user,
        ),
        outgoing=ServerSettings(
            out_host,
            out_port,
            parse_security(args.smtp_security, out_port, "--smtp-security"),
            args.smtp_user or args.user,
        ),
        trust=TlsTrust(
            ca_file=_absolute_ca_file(args.ca_file) if args.ca_file else None,
            fingerprint=normalize_fingerprint(args.fingerprint) if args.fingerprint else None,
        ),
        password_command=args.password_command or None,
        separate_smtp_password=bool(args.smtp_password_stdin),
    )


def _edited(account: Account, args: argparse.Namespace) -> Account:
    new = account
    if args.new_name is not None:
        new = replace(new, name=args.new_name)
    if args.email is not None:
        new = replace(new, email=args.email)
    if args.display_name is not None:
        new = replace(new, display_name=args.display_name)
    incoming = new.incoming
    if args.imap is not None or args.pop3 is not None:
        protocol = IncomingProtocol.IMAP if args.imap is not None else IncomingProtocol.POP3
        host, port = parse_host_port(args.imap or args.pop3, f"--{protocol.value}")
        security = (
            parse_security(args.incoming_security, port, "--incoming-security")
            if args.incoming_security is not None or port in _PORT_SECURITY
            else incoming.security
        )
        incoming = replace(incoming, host=host, port=port, security=security)
        new = replace(new, incoming_protocol=protocol)
    elif args.incoming_security is not None:
        incoming = replace(
            incoming,
            security=parse_security(args.incoming_security, incoming.port, "--incoming-security"),
        )
    outgoing = new.outgoing
    if args.smtp is not None:
        host, port = parse_host_port(args.smtp, "--smtp")
        security = (
            parse_security(args.smtp_security, port, "--smtp-security")
            if args.smtp_security is not None or port in _PORT_SECURITY
            else outgoing.security
        )
        outgoing = replace(outgoing, host=host, port=port, security=security)
    elif args.smtp_security is not None:
        outgoing = replace(
            outgoing, security=parse_security(args.smtp_security, outgoing.port, "--smtp-security")
        )
    if args.user is not None:
        # The SMTP user follows unless it was set apart from the incoming one.
        if outgoing.user == incoming.user and args.smtp_user is None:
            outgoing = replace(outgoing, user=args.user)
        incoming = replace(incoming, user=args.user)
    if args.smtp_user is not None:
        outgoing = replace(outgoing, user=args.smtp_user)
    new = replace(new, incoming=incoming, outgoing=outgoing)
    trust = new.trust
    if args.ca_file is not None:
        trust = replace(trust, ca_file=_absolute_ca_file(args.ca_file))
    if args.fingerprint is not None:
        fingerprint = normalize_fingerprint(args.fingerprint) if args.fingerprint else None
        trust = replace(trust, fingerprint=fingerprint)
    new = replace(new, trust=trust)
    if args.password_command is not None:
        new = replace(new, password_command=args.password_command or None)
    elif args.password_stdin:
        new = replace(new, password_command=None)  # a stored password replaces the command
    if args.smtp_password_stdin:
        new = replace(new, separate_smtp_password=True)
    elif args.same_smtp_password:
        new = replace(new, separate_smtp_password=False)
    return new


# --- output --------------------------------------------------------------------------------


def _warn(engine: Engine) -> None:
    for warning in engine.account_warnings:
        print(f"mailapp: warning: {warning}", file=sys.stderr)


def _password_source(account: Account, engine: Engine) -> str:
    if account.password_command:
        return f"from the command {account.password_command!r}"
    return f"stored in {engine.credentials_description}"


def _account_json(account: Account, engine: Engine) -> dict[str, Any]:
    data = account_to_tables(account)
    data["password_source"] = "command" if account.password_command else "credential_store"
    data["credential_store"] = engine.credentials_description
    return data


def _show_lines(account: Account, engine: Engine) -> list[str]:
    a = account
    return [
        f"name:            {a.name}",
        f"email:           {a.email}",
        f"display name:    {a.display_name or '-'}",
        f"incoming:        {a.incoming_protocol.value.upper()} {a.incoming.address} "
        f"({a.incoming.security.value}), user {a.incoming.user}",
        f"outgoing:        SMTP {a.outgoing.address} ({a.outgoing.security.value}), "
        f"user {a.outgoing.user}",
        f"password:        {_password_source(a, engine)}",
        "SMTP password:   "
        + (
            f"its own, stored in {engine.credentials_description}"
            if a.separate_smtp_password
            else "the same as incoming"
        ),
        f"CA file:         {a.trust.ca_file or '-'}",
        f"pinned SHA-256:  {a.trust.fingerprint or '-'}",
    ]


_OUTCOME_WORD = {
    CheckOutcome.PASSED: "ok",
    CheckOutcome.FAILED: "FAILED",
    CheckOutcome.SKIPPED: "skipped",
}


def format_step(step: CheckStep) -> str:
    outcome = _OUTCOME_WORD[step.outcome]
    return f"{step.role.value:<9} {step.stage.value:<12} {outcome:<7} {step.detail}"


def _step_json(step: CheckStep) -> dict[str, Any]:
    return {
        "role": step.role.value,
        "stage": step.stage.value,
        "outcome": step.outcome.value,
        "detail": step.detail,
        "server": step.server,
        "error_code": step.error_code,
        "hint": step.hint,
        "fingerprint": step.fingerprint,
    }


def _print_summary(report: CheckReport) -> None:
    if report.ok:
        print("All checks passed: both servers accept this account.")
        return
    for step in report.failures:
        which = "incoming" if step.role is ServerRole.INCOMING else "outgoing"
        print(f"The {which} server {step.server} failed at the {step.stage.value} step.")
        if step.hint:
            print(f"  {step.hint}")


# --- handlers ------------------------------------------------------------------------------


def _refuse_unkept_password(engine: Engine) -> None:
    if not engine.credentials_persistent:
        raise ConfigError(
            "The password cannot be kept: passwords would last for "
            f"{engine.credentials_description}. Nothing was saved.",
            hint="Use --password-command CMD (a command that prints the password, like "
            "'pass show mail/work'), or start a system keyring and try again.",
        )


def _add(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    account = _account_from_args(args)
    if args.password_stdin or args.smtp_password_stdin:
        _refuse_unkept_password(engine)
    password, smtp_password = _read_passwords(args)
    saved = asyncio.run(engine.add_account(account, password, smtp_password))
    _warn(engine)
    print(f"Added account {saved.name!r} ({saved.email}).")
    print(f"Password: {_password_source(saved, engine)}.")
    if saved.separate_smtp_password:
        print(f"SMTP password: stored in {engine.credentials_description}.")
    print(f"Check it with: mailapp account test {saved.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    accounts = engine.list_accounts()
    _warn(engine)
    if args.json:
        print(json.dumps([_account_json(a, engine) for a in accounts], indent=2))
        return 0
    if not accounts:
        print("No accounts yet. Add one with: mailapp account add NAME --email ADDR ...")
        return 0
    rows = [
        (
            a.name,
            a.email,
            f"{a.incoming_protocol.value.upper()} {a.incoming.address}",
            f"SMTP {a.outgoing.address}",
        )
        for a in accounts
    ]
    headers = ("NAME", "EMAIL", "INCOMING", "OUTGOING")
    widths = [max(len(r[i]) for r in (*rows, headers)) for i in range(4)]
    for row in (headers, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _show(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    account = engine.get_account(args.name)
    _warn(engine)
    if args.json:
        print(json.dumps(_account_json(account, engine), indent=2))
    else:
        print("\n".join(_show_lines(account, engine)))
    return 0


def _edit(args: argparse.Namespace) -> int:
    if args.smtp_password_stdin and args.same_smtp_password:
        raise ConfigError("--smtp-password-stdin and --same-smtp-password contradict each other.")
    engine = Engine.open(args.profile)
    account = engine.get_account(args.name)
    new = _edited(account, args)
    if args.password_stdin or args.smtp_password_stdin:
        _refuse_unkept_password(engine)
    password, smtp_password = _read_passwords(args)
    saved = asyncio.run(engine.update_account(new, password, smtp_password, old_name=account.name))
    _warn(engine)
    print(f"Saved account {saved.name!r}.")
    return 0


def _remove(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    removed = asyncio.run(engine.remove_account(args.name))
    print(f"Removed account {removed.name!r} and its stored passwords.")
    return 0


def _test(args: argparse.Namespace) -> int:
    engine = Engine.open(args.profile)
    account = engine.get_account(args.name)
    _warn(engine)
    if not args.json:
        print(f"Testing account {account.name!r} ({account.email})")

    def progress(step: CheckStep) -> None:
        if not args.json:
            print(format_step(step), flush=True)

    report = asyncio.run(engine.test_account(account.name, progress))
    if args.json:
        print(
            json.dumps(
                {
                    "account": report.account,
                    "ok": report.ok,
                    "steps": [_step_json(s) for s in report.steps],
                },
                indent=2,
            )
        )
    else:
        _print_summary(report)
    return 0 if report.ok else 1


# --- argparse ------------------------------------------------------------------------------


def _server_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    incoming = parser.add_mutually_exclusive_group(required=False)
    incoming.add_argument("--imap", metavar="HOST:PORT", help="IMAP server (993 ssl, 143 starttls)")
    incoming.add_argument("--pop3", metavar="HOST:PORT", help="POP3 server (995 ssl, 110 starttls)")
    parser.add_argument(
        "--incoming-security",
        metavar="ssl|starttls",
        help="how the incoming connection is encrypted (implied by ports 993/995/143/110)",
    )
    parser.add_argument(
        "--smtp", metavar="HOST:PORT", required=adding, help="SMTP submission server"
    )
    parser.add_argument(
        "--smtp-security",
        metavar="ssl|starttls",
        help="how the SMTP connection is encrypted (implied by ports 465/587)",
    )
    parser.add_argument("--user", required=adding, help="user name for logging in")
    parser.add_argument("--smtp-user", help="SMTP user name, when it differs from --user")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (first line)",
    )
    source.add_argument(
        "--password-command",
        metavar="CMD",
        help="a command that prints the password (stored with the account; "
        + ("" if adding else "'' removes it; ")
        + "run when needed)",
    )
    parser.add_argument(
        "--smtp-password-stdin",
        action="store_true",
        help="the SMTP server has its own password: read it from the next line of stdin",
    )
    parser.add_argument(
        "--ca-file",
        metavar="PEM",
        help="extra trusted CA or server certificate for this account"
        + ("" if adding else " ('' removes it)"),
    )
    parser.add_argument(
        "--fingerprint",
        metavar="SHA256",
        help="pin the server certificate by its SHA-256 fingerprint"
        + ("" if adding else " ('' removes it)"),
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "account",
        help="add, list, show, edit, remove and test mail accounts",
        description="Manage the mail accounts of the profile.",
    )
    actions = parser.add_subparsers(dest="account_command", metavar="ACTION")
    formatter = argparse.RawDescriptionHelpFormatter

    add = actions.add_parser(
        "add",
        help="add an account",
        description="Add an account. Nothing is sent; check it with `mailapp account test`.",
        epilog=_SECRETS_EPILOG,
        formatter_class=formatter,
    )
    add.add_argument("name", metavar="NAME", help="a short name for the account, like work")
    add.add_argument("--email", required=True, metavar="ADDR", help="the address you send from")
    add.add_argument("--display-name", metavar="NAME", help="your name as recipients see it")
    _server_options(add, adding=True)
    add.set_defaults(handler=_add)

    lst = actions.add_parser("list", help="list the accounts")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(handler=_list)

    show = actions.add_parser("show", help="show one account's settings (never a password)")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=_show)

    edit = actions.add_parser(
        "edit",
        help="change an account",
        description="Change the given settings of an account; the others stay. --user also "
        "changes the SMTP user when it was the same. --password-stdin replaces a password "
        "command by a stored password.",
        epilog=_SECRETS_EPILOG,
        formatter_class=formatter,
    )
    edit.add_argument("name", metavar="NAME")
    edit.add_argument("--name", dest="new_name", metavar="NEW", help="rename the account")
    edit.add_argument("--email", metavar="ADDR")
    edit.add_argument("--display-name", metavar="NAME")
    _server_options(edit, adding=False)
    edit.add_argument(
        "--same-smtp-password",
        action="store_true",
        help="use the incoming password for SMTP again (deletes the separate one)",
    )
    edit.set_defaults(handler=_edit)

    remove = actions.add_parser("remove", help="remove an account and its stored passwords")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_remove)

    test = actions.add_parser(
        "test",
        help="log in to the account's servers and report each step",
        description="Connect to the incoming and the outgoing server, check TLS and the "
        "certificate, and log in. Nothing is sent or changed. Exit status 1 on failure.",
    )
    test.add_argument("name", metavar="NAME")
    test.add_argument("--json", action="store_true", help="machine-readable output")
    test.set_defaults(handler=_test)
