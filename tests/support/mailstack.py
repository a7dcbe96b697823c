"""A private Postfix + Dovecot mail stack on loopback for the integration tests.

Holds MailStack (start/stop, users, routes, small stdlib clients for assertions), Ports,
MailUser, the test certificate authority (generate_certificates, Certificates) and the errors
MailStackError / MailStackUnavailable. Imports only the standard library; code under mailapp/
must never import it.

Everything lives in one short directory under /tmp (unix socket paths must stay short), on a
random block of free high ports, so several test sessions can run side by side. Postfix only
runs as root; without root or the Debian packages, start() raises MailStackUnavailable.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import imaplib
import json
import os
import poplib
import pwd
import random
import re
import secrets
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import NamedTuple, Self

__all__ = [
    "DEFAULT_USERS",
    "PACKAGES",
    "Certificates",
    "MailStack",
    "MailStackError",
    "MailStackUnavailable",
    "MailUser",
    "Ports",
    "generate_certificates",
    "sha256_fingerprint",
]

PACKAGES = ("postfix", "dovecot-imapd", "dovecot-pop3d", "dovecot-lmtpd", "openssl")
DEFAULT_USERS: Mapping[str, str] = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw"}
HOST = "127.0.0.1"

# Executables (searched on PATH plus the sbin directories) and the package that ships each.
_PROGRAMS = {
    "postfix": "postfix",
    "postmap": "postfix",
    "postqueue": "postfix",
    "smtp-sink": "postfix",
    "dovecot": "dovecot-core",
    "doveadm": "dovecot-core",
    "openssl": "openssl",
}
# Dovecot's protocol binaries come in separate packages; the master only fails when a
# client first connects, so look for them up front.
_DOVECOT_LIBEXEC = Path("/usr/lib/dovecot")
_DOVECOT_PROTOCOLS = {"imap": "dovecot-imapd", "pop3": "dovecot-pop3d", "lmtp": "dovecot-lmtpd"}

_PORT_OFFSETS = {
    "pop3": 10,
    "submission": 25,
    "mx": 26,
    "sink": 27,
    "dead": 28,
    "imap": 43,
    "submissions": 65,
    "imaps": 93,
    "pop3s": 95,
}
_PORT_SPAN = 100
_PORT_LOW, _PORT_HIGH = 20000, 60000
# No "+": it is the recipient delimiter (address extensions) for Postfix and Dovecot.
_LOCAL_PART = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")


class MailStackError(RuntimeError):
    """The mail stack could not be started, driven or stopped."""


class MailStackUnavailable(MailStackError):
    """This machine cannot run the stack (not root, or packages missing)."""


class MailUser(NamedTuple):
    address: str
    password: str


@dataclass(frozen=True, slots=True)
class Ports:
    """The TCP ports of one stack, all on 127.0.0.1."""

    base: int
    submission: int
    submissions: int
    mx: int
    sink: int
    dead: int
    imap: int
    imaps: int
    pop3: int
    pop3s: int

    @classmethod
    def from_base(cls, base: int) -> Ports:
        return cls(base=base, **{name: base + off for name, off in _PORT_OFFSETS.items()})

    def all(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in _PORT_OFFSETS)


@dataclass(frozen=True, slots=True)
class Certificates:
    """A generated CA and a server certificate it signed (PEM files)."""

    ca_file: Path
    ca_key_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        """A server context presenting the signed certificate (for scripted fakes)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        return ctx

    @property
    def ca_fingerprint_sha256(self) -> str:
        return sha256_fingerprint(self.ca_file)

    @property
    def server_fingerprint_sha256(self) -> str:
        return sha256_fingerprint(self.cert_file)


def sha256_fingerprint(pem_file: Path | str) -> str:
    """SHA-256 of the first certificate's DER bytes, as upper-case colon hex (AB:CD:...)."""
    text = Path(pem_file).read_text(encoding="ascii")
    end = "-----END CERTIFICATE-----"
    first = text[: text.index(end) + len(end)] + "\n"
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def generate_certificates(
    directory: Path | str,
    *,
    common_name: str = "localhost",
    dns_names: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = (HOST,),
    ca_name: str = "mailapp test CA",
) -> Certificates:
    """Create ca.pem/ca.key and cert.pem/key.pem (P-256) in directory with the openssl CLI.

    The extensions satisfy strict X.509 verification (Python 3.13's default), so the files
    keep working when the interpreter is upgraded.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    san = ",".join([f"DNS:{n}" for n in dns_names] + [f"IP:{ip}" for ip in ip_addresses])
    config = out / "openssl.cnf"
    config.write_text(
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n"
        "[ca_ext]\nbasicConstraints = critical,CA:TRUE\n"
        "keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n"
        "[leaf_ext]\nbasicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\n"
        f"authorityKeyIdentifier = keyid:always\nsubjectAltName = {san}\n",
        encoding="ascii",
    )
    certs = Certificates(out / "ca.pem", out / "ca.key", out / "cert.pem", out / "key.pem")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl = _find_program("openssl") or "openssl"
    _run(
        [
            openssl,
            "req",
            "-x509",
            "-config",
            str(config),
            "-extensions",
            "ca_ext",
            *newkey,
            "-keyout",
            str(certs.ca_key_file),
            "-out",
            str(certs.ca_file),
            "-days",
            "3650",
            "-subj",
            f"/CN={ca_name}",
        ]
    )
    csr = out / "cert.csr"
    _run(
        [
            openssl,
            "req",
            "-new",
            "-config",
            str(config),
            *newkey,
            "-keyout",
            str(certs.key_file),
            "-out",
            str(csr),
            "-subj",
            f"/CN={common_name}",
        ]
    )
    _run(
        [
            openssl,
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(certs.ca_file),
            "-CAkey",
            str(certs.ca_key_file),
            "-set_serial",
            f"0x{secrets.token_hex(16)}",
            "-days",
            "825",
            "-extfile",
            str(config),
            "-extensions",
            "leaf_ext",
            "-out",
            str(certs.cert_file),
        ]
    )
    csr.unlink()
    for key in (certs.key_file, certs.ca_key_file):
        key.chmod(0o600)
    return certs


def _duration(value: int | float | str) -> str:
    """Postfix time values: plain numbers mean seconds here."""
    if isinstance(value, str):
        if not re.fullmatch(r"\d+[smhdw]?", value):
            raise ValueError(f"not a Postfix time value: {value!r}")
        return value
    return f"{int(value)}s"


def _search_path() -> str:
    extra = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    return os.pathsep.join([os.environ.get("PATH", ""), *extra])


def _find_program(name: str) -> str | None:
    return shutil.which(name, path=_search_path())


def _run(
    cmd: Sequence[str], *, timeout: float = 60.0, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            list(cmd),
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MailStackError(f"{' '.join(cmd)}: {exc}") from exc
    if done.returncode != 0:
        raise MailStackError(
            f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stdout}{done.stderr}".rstrip()
        )
    return done


def _tail_lines(path: Path, lines: int, *, start: int = 0) -> str:
    """The last `lines` lines of path, reading only bytes from offset `start` on."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            begin = max(start, size - 256 * 1024)
            fh.seek(begin)
            data = fh.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


def _listening_ports() -> set[int] | None:
    """TCP ports in LISTEN state on 127.0.0.1 or 0.0.0.0 (None without /proc)."""
    try:
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    ports = set()
    for row in rows:
        fields = row.split()
        addr, port = fields[1].split(":")
        if fields[3] == "0A" and addr in ("0100007F", "00000000"):
            ports.add(int(port, 16))
    return ports


def _tcp_port_free(port: int) -> bool:
    # No SO_REUSEADDR: a port with connections still in TIME_WAIT counts as taken, which only
    # makes the choice more conservative.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _claim_ports(rng: random.Random) -> tuple[Ports, list[socket.socket]]:
    """Pick a free port block and hold it against concurrent test sessions.

    Each port is claimed with an abstract unix socket named after it: the kernel releases the
    name when this process dies, so a crashed session leaves nothing behind. Bases below the
    kernel's ephemeral range are preferred so that client sockets and port-0 fake servers of
    other sessions cannot land on our ports (notably the "dead" one, which must stay silent).
    """
    high = _PORT_HIGH - _PORT_SPAN
    try:
        eph_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        eph_low = _PORT_HIGH
    if eph_low - _PORT_SPAN - _PORT_LOW >= 2000:
        high = min(high, eph_low - _PORT_SPAN)
    for _ in range(300):
        ports = Ports.from_base(rng.randrange(_PORT_LOW, high))
        claims: list[socket.socket] = []
        for port in ports.all():
            claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                claim.bind(f"\0mailapp-mailstack-port-{port}")
            except OSError:
                claim.close()
                break
            claims.append(claim)
            if not _tcp_port_free(port):
                break
        else:
            return ports, claims
        for claim in claims:
            claim.close()
    raise MailStackError("no free block of ports found between 20000 and 60000")


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _session_members(session_ids: set[int]) -> list[int]:
    """Live PIDs whose session id is one of session_ids (the daemons and their children).

    Zombies count as gone: the daemons are orphans whose parent is PID 1, and some container
    inits reap only every second or two.
    """
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 6 (session) follows the parenthesised command name, which may contain spaces.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[3]) in session_ids:
            members.append(int(entry.name))
    return members


class MailStack:
    """One private Postfix + Dovecot + smtp-sink instance; see tests/conftest.py for the fixture.

    Services (all on 127.0.0.1, numbers in `ports`):
      submission   STARTTLS required, AUTH (Dovecot SASL), accepts any recipient
      submissions  the same with implicit TLS
      mx           plain SMTP, no AUTH, local domain only; unknown user -> 550 at RCPT
      sink         smtp-sink -N, the default transport: other domains end here ("relayed")
      dead         nothing listens; domain delay.test goes here (delayed, later failed 4.4.1)
      imap/imaps, pop3/pop3s   Dovecot with STARTTLS/STLS and implicit TLS
    Domain fail.test bounces at once (error transport). Local deliveries go over LMTP with
    flags=X so success DSNs say "delivered".
    """

    host = HOST

    def __init__(
        self,
        domain: str = "example.test",
        *,
        users: Mapping[str, str] = DEFAULT_USERS,
        delay_warning_time: int | str = "5s",
        maximal_queue_lifetime: int | str = "20s",
        bounce_queue_lifetime: int | str | None = None,
        queue_run_delay: int | str = "1s",
        minimal_backoff_time: int | str = "2s",
        maximal_backoff_time: int | str = "4s",
        auth_failure_delay: int = 0,
        extra_transports: Iterable[str] = (),
        mail_user: str = "mail",
        parent_dir: Path | str = "/tmp",
        start_attempts: int = 3,
    ) -> None:
        self.domain = domain
        self._initial_users = dict(users)
        self._timings = {
            "delay_warning_time": _duration(delay_warning_time),
            "maximal_queue_lifetime": _duration(maximal_queue_lifetime),
            "bounce_queue_lifetime": _duration(
                maximal_queue_lifetime if bounce_queue_lifetime is None else bounce_queue_lifetime
            ),
            "queue_run_delay": _duration(queue_run_delay),
            "minimal_backoff_time": _duration(minimal_backoff_time),
            "maximal_backoff_time": _duration(maximal_backoff_time),
        }
        self._auth_failure_delay = int(auth_failure_delay)
        self._extra_transports = [line.strip() for line in extra_transports if line.strip()]
        self._mail_user = mail_user
        self._parent_dir = Path(parent_dir)
        self._start_attempts = start_attempts
        self._rng = random.Random()
        self._lock = threading.RLock()
        self._users: dict[str, str] = {}
        self._routes: dict[str, str] = {}
        self._claims: list[socket.socket] = []
        self._sink: subprocess.Popen[bytes] | None = None
        self._sessions: set[int] = set()
        self._programs: dict[str, str] = {}
        self._running = False
        self._directory: Path | None = None
        self._ports: Ports | None = None
        self._certs: Certificates | None = None
        self.start_seconds: float | None = None
        self.stop_seconds: float | None = None

    # --- description --------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        if self._directory is None:
            raise MailStackError("the mail stack has not been started")
        return self._directory

    @property
    def ports(self) -> Ports:
        if self._ports is None:
            raise MailStackError("the mail stack has not been started")
        return self._ports

    @property
    def certificates(self) -> Certificates:
        if self._certs is None:
            raise MailStackError("the mail stack has not been started")
        return self._certs

    @property
    def ca_file(self) -> Path:
        return self.certificates.ca_file

    @property
    def ca_fingerprint_sha256(self) -> str:
        return self.certificates.ca_fingerprint_sha256

    @property
    def server_fingerprint_sha256(self) -> str:
        return self.certificates.server_fingerprint_sha256

    @property
    def running(self) -> bool:
        return self._running

    @property
    def users(self) -> dict[str, str]:
        """Every account as address -> password."""
        with self._lock:
            return dict(self._users)

    @property
    def postfix_log(self) -> Path:
        return self.directory / "log" / "postfix.log"

    @property
    def dovecot_log(self) -> Path:
        return self.directory / "log" / "dovecot.log"

    def address(self, user: str) -> str:
        """'bob' or 'bob@example.test' -> 'bob@example.test' (must be a known account)."""
        address = user if "@" in user else f"{user}@{self.domain}"
        with self._lock:
            if address not in self._users:
                raise KeyError(f"no such mail stack user: {user}")
        return address

    def password(self, user: str) -> str:
        with self._lock:
            return self._users[self.address(user)]

    def as_env(self) -> dict[str, str]:
        """KEY=VALUE settings for subprocesses (the CLI under test, scripts)."""
        env = {
            "MAILSTACK_DIR": str(self.directory),
            "MAILSTACK_HOST": self.host,
            "MAILSTACK_DOMAIN": self.domain,
            "MAILSTACK_CA_FILE": str(self.ca_file),
        }
        for name in _PORT_OFFSETS:
            env[f"MAILSTACK_{name.upper()}_PORT"] = str(getattr(self.ports, name))
        return env

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop(keep=exc is not None)

    def start(self) -> Self:
        """Start the stack; raises MailStackUnavailable or MailStackError."""
        if self._running:
            return self
        self._check_host()
        began = time.monotonic()
        for attempt in range(1, self._start_attempts + 1):
            try:
                self._start_once()
            except MailStackError as exc:
                # Another process took a port between our check and the daemons' bind:
                # throw this attempt away and try another block.
                port_race = "Address already in use" in str(exc)
                directory = self._directory
                with contextlib.suppress(MailStackError):
                    self._shutdown(keep=not port_race)
                if port_race and attempt < self._start_attempts:
                    continue
                raise MailStackError(f"{exc}\n(stack directory kept: {directory})") from exc
            except BaseException:
                with contextlib.suppress(Exception):
                    self._shutdown(keep=True)
                raise
            break
        self.start_seconds = time.monotonic() - began
        return self

    def stop(self, *, keep: bool = False) -> None:
        """Stop every process of the stack; remove its directory unless keep."""
        began = time.monotonic()
        self._shutdown(keep=keep)
        self.stop_seconds = time.monotonic() - began

    def _check_host(self) -> None:
        problems = []
        missing: dict[str, list[str]] = {}
        for program, package in _PROGRAMS.items():
            path = _find_program(program)
            if path is None:
                missing.setdefault(package, []).append(program)
            else:
                self._programs[program] = path
        for proto, package in _DOVECOT_PROTOCOLS.items():
            if not (_DOVECOT_LIBEXEC / proto).exists():
                missing.setdefault(package, []).append(str(_DOVECOT_LIBEXEC / proto))
        if missing:
            names = ", ".join(f"{prog} ({pkg})" for pkg, progs in missing.items() for prog in progs)
            problems.append(f"missing programs: {names}")
        if os.geteuid() != 0:
            problems.append("not running as root (Postfix's master refuses to run otherwise)")
        try:
            pwd.getpwnam(self._mail_user)
            for user in ("postfix", "dovecot", "dovenull"):
                pwd.getpwnam(user)
        except KeyError as exc:
            problems.append(f"missing system user {exc} (created by the packages)")
        if problems:
            raise MailStackUnavailable(
                "the integration tests need a private Postfix + Dovecot, which needs root and "
                f"the Debian packages {' '.join(PACKAGES)}: " + "; ".join(problems) + ". "
                "Run the suite through tests/run.sh as root, or install them: "
                f"apt-get install --no-install-recommends {' '.join(PACKAGES)}"
            )

    def _start_once(self) -> None:
        self._ports, self._claims = _claim_ports(self._rng)
        self._parent_dir.mkdir(parents=True, exist_ok=True)
        self._directory = Path(tempfile.mkdtemp(prefix="mst.", dir=self._parent_dir))
        self._running = True  # from here on, _shutdown() has something to clean up
        atexit.register(self._atexit_stop)
        d = self._directory
        d.chmod(0o755)  # postfix, dovecot, dovenull and mail must traverse it
        mail = pwd.getpwnam(self._mail_user)
        postfix_uid = pwd.getpwnam("postfix").pw_uid
        for sub in (
            "postfix",
            "postfix-queue",
            "postfix-data",
            "dovecot/run",
            "dovecot/state",
            "tls",
            "log",
            "mail",
            "sink",
        ):
            (d / sub).mkdir(parents=True)
        os.chown(d / "postfix-data", postfix_uid, -1)
        os.chown(d / "sink", postfix_uid, -1)
        os.chown(d / "mail", mail.pw_uid, mail.pw_gid)
        (d / "mail").chmod(0o700)

        self._certs = generate_certificates(
            d / "tls",
            common_name=f"mx.{self.domain}",
            dns_names=("localhost", f"mx.{self.domain}"),
            ca_name=f"mailapp test CA {d.name}",
        )
        (d / "dovecot" / "dovecot.conf").write_text(self._dovecot_conf(mail.pw_uid, mail.pw_gid))
        (d / "postfix" / "main.cf").write_text(self._postfix_main_cf())
        (d / "postfix" / "master.cf").write_text(self._postfix_master_cf())
        (d / "postfix" / "bounce.cf").write_text(_BOUNCE_TEMPLATE)
        # Postfix re-reads main.cf until it is about a second old (it guards against reading a
        # file mid-edit), which would make every postmap and `postfix start` wait.
        past = time.time() - 5
        for name in ("main.cf", "master.cf", "bounce.cf"):
            os.utime(d / "postfix" / name, (past, past))
        with self._lock:  # postmap needs main.cf
            self._users = {}
            for local, pw in self._initial_users.items():
                self._users[f"{local}@{self.domain}"] = pw
                self._write_dovecot_user(f"{local}@{self.domain}", pw)
            self._write_postfix_map("vmailbox", self._vmailbox_lines())
            self._routes = {}
            self._write_postfix_map("transport", self._transport_lines())

        dovecot_conf = str(self._dovecot_conf_path)
        self._start_daemon("dovecot", [self._programs["dovecot"], "-c", dovecot_conf])
        self._start_daemon(
            "postfix", [self._programs["postfix"], "-c", str(d / "postfix"), "start"]
        )
        with (d / "log" / "smtp-sink.log").open("ab") as log:
            self._sink = subprocess.Popen(
                [
                    self._programs["smtp-sink"],
                    "-N",
                    "-u",
                    "postfix",
                    "-d",
                    str(d / "sink" / "msg."),
                    f"{HOST}:{self.ports.sink}",
                    "64",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        for pid_file in (d / "postfix-queue" / "pid" / "master.pid", d / "dovecot/run/master.pid"):
            pid = _read_pid(pid_file)
            if pid is not None:
                self._sessions.add(os.getsid(pid))

    def _start_daemon(self, name: str, cmd: list[str]) -> None:
        # The daemons inherit stdout/stderr: they must go to a file, never to a pipe, or
        # whoever reads the pipe waits forever (Dovecot's master keeps fd 2 open).
        log_path = self.directory / "log" / f"{name}-start.log"
        with log_path.open("ab") as log:
            rc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=60,
                check=False,
            ).returncode
        if rc != 0:
            raise MailStackError(
                f"{name} failed to start (exit {rc}) in {self.directory}:\n"
                f"{_tail_lines(log_path, 30)}\n{self.log_tail(30)}"
            )

    def _wait_ready(self, timeout: float = 20.0) -> None:
        wanted = set(self.ports.all()) - {self.ports.dead}
        sockets = [
            self.directory / "dovecot/run" / name for name in ("lmtp-postfix", "auth-postfix")
        ]
        deadline = time.monotonic() + timeout
        while True:
            listening = _listening_ports()
            if listening is None:
                listening = {p for p in wanted if not _tcp_port_free(p)}
            missing = sorted(wanted - listening)
            missing_sockets = [s.name for s in sockets if not s.is_socket()]
            if self._sink is not None and self._sink.poll() is not None:
                raise MailStackError(
                    f"smtp-sink exited with {self._sink.returncode}:\n"
                    f"{_tail_lines(self.directory / 'log' / 'smtp-sink.log', 20)}"
                )
            if not missing and not missing_sockets:
                return
            if time.monotonic() > deadline:
                raise MailStackError(
                    f"the mail stack in {self.directory} did not come up: ports {missing} "
                    f"and sockets {missing_sockets} not listening\n{self.log_tail(40)}"
                )
            time.sleep(0.05)

    def _atexit_stop(self) -> None:
        with contextlib.suppress(Exception):
            self._shutdown(keep=True)

    def _shutdown(self, *, keep: bool) -> None:
        if not self._running:
            return
        d = self.directory
        problems: list[str] = []
        if self._sink is not None:
            self._sink.terminate()
            try:
                self._sink.wait(5)
            except subprocess.TimeoutExpired:
                self._sink.kill()
                self._sink.wait(5)
            self._sink = None
        dovecot_pid = _read_pid(d / "dovecot" / "run" / "master.pid")
        if dovecot_pid is not None and self._is_our_dovecot(dovecot_pid):
            # What `doveadm stop` does, minus its wait (doveadm polls kill(pid, 0), which
            # succeeds on a zombie, so it waits for PID 1 to reap). Signalled first because its
            # master takes about a second to exit; Postfix stops meanwhile.
            self._sessions.add(dovecot_pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(dovecot_pid, signal.SIGTERM)
        postfix_pid = _read_pid(d / "postfix-queue" / "pid" / "master.pid")
        if postfix_pid is not None and (d / "postfix" / "main.cf").exists():
            self._sessions.add(postfix_pid)
            try:
                _run([self._programs["postfix"], "-c", str(d / "postfix"), "stop"], timeout=30)
            except MailStackError as exc:
                if "not running" not in str(exc):
                    problems.append(str(exc))
        self._reap(problems)
        for claim in self._claims:
            claim.close()
        self._claims = []
        self._sessions = set()
        self._running = False
        atexit.unregister(self._atexit_stop)
        if not keep:
            shutil.rmtree(d, ignore_errors=True)
        if problems:
            raise MailStackError("stopping the mail stack: " + "; ".join(problems))

    def _is_our_dovecot(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return str(self._dovecot_conf_path).encode() in cmdline

    def _reap(self, problems: list[str]) -> None:
        """Wait for every process of our daemons' sessions to exit; kill what lingers."""
        if not self._sessions:
            return
        deadline = time.monotonic() + 10
        while (left := _session_members(self._sessions)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if left:
            problems.append(f"killed lingering processes {left}")
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    # --- users and routes ---------------------------------------------------------------------

    def add_user(self, local_part: str, password: str | None = None) -> MailUser:
        """Create a mailbox account; usable as soon as this returns (no reload needed).

        Dovecot gets one passwd-file per user: a file it has not opened yet is read at once,
        whereas a changed file is re-read at most once per second. Postfix's map is a hash:
        table replaced atomically; smtpd restarts itself before accepting the next connection
        when it sees that its open table was replaced.
        """
        if not _LOCAL_PART.match(local_part):
            raise ValueError(f"unsupported local part for a test user: {local_part!r}")
        if password is None:
            password = secrets.token_urlsafe(12)
        if not password or any(c in password for c in ":\r\n\0"):
            raise ValueError("a test user's password must not contain ':' or line breaks")
        address = f"{local_part}@{self.domain}"
        with self._lock:
            if address in self._users:
                raise ValueError(f"user {address} already exists")
            self._users[address] = password
            self._write_dovecot_user(address, password)
            self._write_postfix_map("vmailbox", self._vmailbox_lines())
        return MailUser(address, password)

    def unique_user(self, prefix: str = "user") -> MailUser:
        """A fresh account with a unique name (prefix + random suffix) and a random password."""
        with self._lock:
            while True:
                local = f"{prefix.lower()}-{secrets.token_hex(4)}"
                if f"{local}@{self.domain}" not in self._users:
                    return self.add_user(local)

    def route_domain(self, domain: str, nexthop: str | int) -> None:
        """Send mail for domain to nexthop: a port on 127.0.0.1, or a transport like
        'smtp:[127.0.0.1]:2525' or 'error:5.7.1 go away'. Applies to mail queued from now on."""
        if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
            raise ValueError(f"bad domain: {domain!r}")
        transport = f"smtp:[{HOST}]:{nexthop}" if isinstance(nexthop, int) else nexthop.strip()
        if not transport or "\n" in transport:
            raise ValueError(f"bad transport: {nexthop!r}")
        with self._lock:
            self._routes[domain.lower()] = transport
            self._write_postfix_map("transport", self._transport_lines())
        # trivial-rewrite serves qmgr over a long-lived connection and would keep the old
        # table; a reload makes every daemon start over with the new one. `postfix reload`
        # only signals the master, so wait until the master says it has reloaded.
        before = self.log_positions()
        self._postfix_cmd("reload")
        deadline = time.monotonic() + 10
        while "reload -- version" not in self.logs_since(before)[self.postfix_log.name]:
            if time.monotonic() > deadline:
                raise MailStackError(f"postfix reload did not happen\n{self.log_tail(20)}")
            time.sleep(0.02)

    def _vmailbox_lines(self) -> list[str]:
        return [f"{address} OK" for address in self._users]

    def _transport_lines(self) -> list[str]:
        lines = [
            f"delay.test smtp:[{HOST}]:{self.ports.dead}",
            "fail.test error:5.1.2 fail.test is configured to bounce everything",
            *self._extra_transports,
        ]
        lines += [f"{domain} {transport}" for domain, transport in self._routes.items()]
        return lines

    def _write_dovecot_user(self, address: str, password: str) -> None:
        local, domain = address.split("@")
        folder = self.directory / "dovecot" / "users" / domain
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{local}.new"
        tmp.write_text(f"{address}:{{PLAIN}}{password}::::::\n")
        os.chown(tmp, 0, pwd.getpwnam("dovecot").pw_gid)  # read by the auth process
        tmp.chmod(0o640)
        os.replace(tmp, folder / local)

    def _write_postfix_map(self, name: str, lines: list[str]) -> None:
        # Build next to the live map and rename over it. Daemons holding the old file then see
        # it unlinked (st_nlink == 0) and restart, even within the same second.
        live = self.directory / "postfix" / name
        new = live.with_name(f"{name}.new")
        new.write_text("".join(f"{line}\n" for line in lines))
        _run([self._programs["postmap"], "-c", str(live.parent), f"hash:{new}"])
        os.replace(new, live)  # the source first, so the .db is never older than it
        os.replace(new.with_name(f"{name}.new.db"), live.with_name(f"{name}.db"))

    # --- queue, sink, logs --------------------------------------------------------------------

    def _postfix_cmd(self, *args: str) -> str:
        return _run(
            [self._programs["postfix"], "-c", str(self.directory / "postfix"), *args]
        ).stdout

    def _postqueue(self, option: str) -> str:
        cmd = [self._programs["postqueue"], "-c", str(self.directory / "postfix"), option]
        return _run(cmd).stdout

    def flush_queue(self) -> None:
        """Ask Postfix to retry every deferred message now."""
        self._postqueue("-f")

    def queue_listing(self) -> str:
        """`postqueue -p` output ('Mail queue is empty' when empty)."""
        return self._postqueue("-p")

    def queue_entries(self) -> list[dict[str, object]]:
        """`postqueue -j`: one dict per queued message (queue_id, recipients, ...)."""
        return [json.loads(line) for line in self._postqueue("-j").splitlines() if line.strip()]

    def sink_messages(self) -> list[bytes]:
        """Everything smtp-sink received, oldest first: a few X-* envelope lines, then the
        message as sent."""
        files = sorted((self.directory / "sink").glob("msg.*"), key=lambda p: p.stat().st_mtime_ns)
        return [f.read_bytes() for f in files]

    def log_positions(self) -> dict[str, int]:
        """Current sizes of the logs, to read later what a test caused (logs_since)."""
        out = {}
        for path in (self.postfix_log, self.dovecot_log):
            try:
                out[path.name] = path.stat().st_size
            except FileNotFoundError:
                out[path.name] = 0
        return out

    def logs_since(
        self, positions: Mapping[str, int] | None, max_lines: int = 200
    ) -> dict[str, str]:
        """Log lines written after positions (or the last max_lines lines), per log name."""
        out = {}
        for path in (self.postfix_log, self.dovecot_log):
            start = (positions or {}).get(path.name, 0)
            out[path.name] = _tail_lines(path, max_lines, start=start)
        return out

    def log_tail(self, n: int = 40) -> str:
        """The last n lines of postfix.log and of dovecot.log."""
        parts = []
        for path in (self.postfix_log, self.dovecot_log):
            parts.append(f"==> {path} <==\n{_tail_lines(path, n)}")
        return "\n".join(parts)

    # --- stdlib clients for assertions --------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the stack's CA (and nothing else)."""
        return self.certificates.client_context()

    def server_ssl_context(self) -> ssl.SSLContext:
        """A server context with the stack's certificate, for scripted fakes clients trust."""
        return self.certificates.server_context()

    def imap(self, user: str) -> imaplib.IMAP4:
        """A logged-in IMAP connection (STARTTLS on the imap port). Caller logs out."""
        client = imaplib.IMAP4(self.host, self.ports.imap, timeout=15)
        try:
            client.starttls(ssl_context=self.ssl_context())
            client.login(self.address(user), self.password(user))
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def inbox_messages(self, user: str, mailbox: str = "INBOX") -> list[bytes]:
        """Every message in the user's mailbox (oldest first), without setting \\Seen."""
        client = self.imap(user)
        try:
            client.select(mailbox, readonly=True)
            return [msg for _, msg in self._fetch_new(client, set())]
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def wait_for_inbox(
        self,
        user: str,
        predicate: Callable[[bytes], bool] | bytes | str,
        timeout: float = 30.0,
        mailbox: str = "INBOX",
    ) -> bytes:
        """Poll the mailbox until a message satisfies predicate (a callable, or a substring
        of the raw message) and return it; AssertionError with context after timeout."""
        if isinstance(predicate, str):
            predicate = predicate.encode()
        if isinstance(predicate, bytes):
            needle = predicate

            def matches(raw: bytes) -> bool:
                return needle in raw
        else:
            matches = predicate
        seen: set[bytes] = set()
        subjects: list[str] = []
        deadline = time.monotonic() + timeout
        client = self.imap(user)
        try:
            client.select(mailbox, readonly=True)
            while True:
                for _, raw in self._fetch_new(client, seen):
                    if matches(raw):
                        return raw
                    subjects.append(_subject(raw))
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            with contextlib.suppress(Exception):
                client.logout()
        try:
            queue = self.queue_listing()
        except MailStackError as exc:
            queue = str(exc)
        raise AssertionError(
            f"no matching message in {self.address(user)}'s {mailbox} after {timeout:.0f}s; "
            f"{len(subjects)} other message(s): {subjects[-10:]}\nqueue:\n{queue}"
            f"\n{self.log_tail(15)}"
        )

    @staticmethod
    def _fetch_new(client: imaplib.IMAP4, seen: set[bytes]) -> list[tuple[bytes, bytes]]:
        # NOOP makes Dovecot sync the mailbox fully; SEARCH alone only does a "fast" sync that
        # can miss a message delivered moments ago for several seconds.
        client.noop()
        typ, data = client.uid("SEARCH", "ALL")
        if typ != "OK":
            raise MailStackError(f"IMAP UID SEARCH failed: {data!r}")
        uids = [u for u in (data[0] or b"").split() if u not in seen]
        found = []
        for uid in uids:
            typ, parts = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            item = next((p for p in parts if isinstance(p, tuple)), None)
            if typ != "OK" or item is None:
                continue  # expunged meanwhile
            seen.add(uid)
            found.append((uid, bytes(item[1])))
        return found

    def pop3(self, user: str, *, implicit_tls: bool = True) -> poplib.POP3:
        """A logged-in POP3 connection (POP3S, or STLS on the plain port). Caller quits."""
        if implicit_tls:
            client: poplib.POP3 = poplib.POP3_SSL(
                self.host, self.ports.pop3s, context=self.ssl_context(), timeout=15
            )
        else:
            client = poplib.POP3(self.host, self.ports.pop3, timeout=15)
            client.stls(self.ssl_context())
        client.user(self.address(user))
        client.pass_(self.password(user))
        return client

    def deliver(
        self, raw: bytes, rcpt: str | Sequence[str], sender: str = "sender@outside.test"
    ) -> dict[str, tuple[int, bytes]]:
        """Inject a message through the MX port (plain SMTP, no AUTH), as another MTA would.
        Returns smtplib's refused-recipients dict; raises if all are refused."""
        rcpts = [rcpt] if isinstance(rcpt, str) else list(rcpt)
        with smtplib.SMTP(self.host, self.ports.mx, timeout=15) as smtp:
            return smtp.sendmail(sender, rcpts, raw)

    def submit(
        self,
        user: str,
        rcpt: str | Sequence[str],
        raw: bytes,
        *,
        sender: str | None = None,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
        implicit_tls: bool = False,
    ) -> dict[str, tuple[int, bytes]]:
        """Send as user through submission (STARTTLS + AUTH) or submissions (implicit TLS)."""
        rcpts = [rcpt] if isinstance(rcpt, str) else list(rcpt)
        ctx = self.ssl_context()
        smtp: smtplib.SMTP
        if implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.ports.submissions, context=ctx, timeout=15)
        else:
            smtp = smtplib.SMTP(self.host, self.ports.submission, timeout=15)
        with smtp:
            if not implicit_tls:
                smtp.starttls(context=ctx)
            smtp.login(self.address(user), self.password(user))
            return smtp.sendmail(
                sender or self.address(user),
                rcpts,
                raw,
                mail_options=list(mail_options),
                rcpt_options=list(rcpt_options),
            )

    # --- configuration ------------------------------------------------------------------------

    @property
    def _dovecot_conf_path(self) -> Path:
        return self.directory / "dovecot" / "dovecot.conf"

    def _dovecot_conf(self, uid: int, gid: int) -> str:
        d, p = self.directory, self.ports
        dh = Path("/usr/share/dovecot/dh.pem")
        mailboxes = "".join(
            f"  mailbox {name} {{\n    special_use = \\{name}\n    auto = subscribe\n  }}\n"
            for name in ("Sent", "Drafts", "Trash", "Junk")
        )
        # Blocks must span several lines: "x { a = b }" on one line is a syntax error.
        return f"""\
instance_name = mailstack-{d.name}
base_dir = {d}/dovecot/run
state_dir = {d}/dovecot/state
log_path = {d}/log/dovecot.log
protocols = imap pop3 lmtp
listen = {HOST}
ssl = yes
ssl_cert = <{self.certificates.cert_file}
ssl_key = <{self.certificates.key_file}
{f"ssl_dh = <{dh}" if dh.exists() else ""}
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = {self._auth_failure_delay} secs
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/dovecot/users/%d/%n
}}
userdb {{
  driver = passwd-file
  args = {d}/dovecot/users/%d/%n
  default_fields = uid={uid} gid={gid} home={d}/mail/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    port = {p.imap}
  }}
  inet_listener imaps {{
    port = {p.imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {p.pop3}
  }}
  inet_listener pop3s {{
    port = {p.pop3s}
    ssl = yes
  }}
}}
service lmtp {{
  unix_listener lmtp-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
# No per-IP auth penalty: every test connects from 127.0.0.1, and one wrong-password test
# would otherwise slow every later login by up to 15 s.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
namespace inbox {{
  inbox = yes
{mailboxes}}}
"""

    def _postfix_main_cf(self) -> str:
        d, p = self.directory, self.ports
        timings = "".join(f"{key} = {value}\n" for key, value in self._timings.items())
        return f"""\
compatibility_level = 3.6
queue_directory = {d}/postfix-queue
data_directory = {d}/postfix-data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {d}/log/postfix.log
maillog_file_prefixes = {d}/log
myhostname = mx.{self.domain}
mydomain = {self.domain}
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = {HOST}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
recipient_delimiter = +
virtual_mailbox_domains = {self.domain}
virtual_mailbox_maps = hash:{d}/postfix/vmailbox
virtual_transport = lmtp:unix:{d}/dovecot/run/lmtp-postfix
transport_maps = hash:{d}/postfix/transport
default_transport = smtp:[{HOST}]:{p.sink}
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
bounce_template_file = {d}/postfix/bounce.cf
smtpd_tls_chain_files = {self.certificates.key_file}, {self.certificates.cert_file}
smtpd_tls_security_level = may
smtp_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = {d}/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
{timings}smtp_connect_timeout = 5s
biff = no
"""

    def _postfix_master_cf(self) -> str:
        p = self.ports
        submission_opts = (
            "  -o smtpd_sasl_auth_enable=yes\n"
            "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n"
            "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
            # Unknown local users then get a bounce DSN instead of a 550 at RCPT.
            "  -o smtpd_reject_unlisted_recipient=no\n"
        )
        # chroot is "n" everywhere: chrooted daemons could not reach Dovecot's sockets.
        services = """\
pickup     unix n - n 1 1 pickup
cleanup    unix n - n - 0 cleanup
qmgr       unix n - n 300 1 qmgr
tlsmgr     unix - - n 1000? 1 tlsmgr
rewrite    unix - - n - - trivial-rewrite
bounce     unix - - n - 0 bounce
defer      unix - - n - 0 bounce
trace      unix - - n - 0 bounce
verify     unix - - n - 1 verify
flush      unix n - n 1000? 0 flush
proxymap   unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp       unix - - n - - smtp
relay      unix - - n - - smtp
showq      unix n - n - - showq
error      unix - - n - - error
retry      unix - - n - - error
discard    unix - - n - - discard
# flags=X: Dovecot's LMTP announces no DSN; X marks delivery as final -> "delivered"
lmtp       unix - - n - - lmtp flags=X
anvil      unix - - n - 1 anvil
scache     unix - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
"""
        return (
            f"{HOST}:{p.mx} inet n - n - - smtpd\n"
            "  -o syslog_name=postfix/mx\n"
            "  -o smtpd_relay_restrictions=reject_unauth_destination\n"
            f"{HOST}:{p.submission} inet n - n - - smtpd\n"
            "  -o syslog_name=postfix/submission\n"
            "  -o smtpd_tls_security_level=encrypt\n"
            "  -o smtpd_tls_auth_only=yes\n"
            f"{submission_opts}"
            f"{HOST}:{p.submissions} inet n - n - - smtpd\n"
            "  -o syslog_name=postfix/submissions\n"
            "  -o smtpd_tls_wrappermode=yes\n"
            f"{submission_opts}"
            f"{services}"
        )


def _subject(raw: bytes) -> str:
    match = re.search(rb"^Subject:[ \t]*(.*)$", raw, re.MULTILINE | re.IGNORECASE)
    return match.group(1).decode("utf-8", "replace").strip() if match else "(no subject)"


# The built-in delay template speaks of hours/days, which round to 0 with second-long test
# timings (and make bounce(8) log warnings); this one speaks of seconds.
_BOUNCE_TEMPLATE = """\
delay_template = <<EOD
Charset: us-ascii
From: Mail Delivery System <MAILER-DAEMON>
Subject: Delayed Mail (still being retried)
Postmaster-Subject: Postmaster Warning: Delayed Mail

This is the mail system at host $myhostname.

THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE.

Your message could not be delivered for more than $delay_warning_time_seconds second(s).
It will be retried until it is $maximal_queue_lifetime_seconds second(s) old.
EOD
"""
