"""The TLS policy: one ssl.SSLContext per account, certificate pins, and errors that explain.

Trust is the system's CAs plus the account's own CA file, or a SHA-256 pin of the server's
leaf certificate. There is no switch that turns verification off: the only non-verifying
context here either backs a pin (the leaf is compared before a single byte of the protocol
is sent over it) or reads a refused certificate's fingerprint on a connection that is closed
right after the handshake. Imports: core, ssl, hashlib, threading.

Verifying contexts are cached per (host, CA file): loading the system CA store costs about
17 ms, more than a whole no-change resync should. A cached context is only ever shared by
policies with the same host and the same CA file, so no account gains another's trust, and
it is rebuilt when the CA file changes (modification time, size or inode). Pinned contexts
are not cached: they load no CA and cost nothing to build.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import stat
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from mailapp.core.checks import CheckStage
from mailapp.core.errors import CertificateError, ConfigError, MailAppError, TLSError
from mailapp.core.model import TlsTrust

C = TypeVar("C")
# Called as each stage of a connection succeeds, with a plain sentence about it.
StageNotify = Callable[[CheckStage, str], None]

# OpenSSL verify codes (X509_V_ERR_*) that have a more precise reason than "untrusted".
_EXPIRED_CODES = frozenset({10})  # CERT_HAS_EXPIRED
_NOT_YET_VALID_CODES = frozenset({9})  # CERT_NOT_YET_VALID
_WRONG_HOST_CODES = frozenset({62, 63, 64})  # HOSTNAME/EMAIL/IP_ADDRESS_MISMATCH

_HEX_RE = re.compile(r"^[0-9A-Fa-f]{64}$")

# (host, CA file or None) -> (the CA file's stat stamp or None, context). Bounded: an entry
# per configured server, cleared whole if something creates policies without end.
_CACHE_LIMIT = 64
_cache: dict[tuple[str, str | None], tuple[tuple[int, int, int] | None, ssl.SSLContext]] = {}
_cache_lock = threading.Lock()


def clear_context_cache() -> None:
    """Forget every cached context (the next connections load their CAs again)."""
    with _cache_lock:
        _cache.clear()


def normalize_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as upper-case colon hex ("AB:CD:..."); accepts any case, with or
    without colons, spaces, and an optional "sha256:" prefix."""
    cleaned = text.strip()
    if cleaned.lower().startswith("sha256:"):
        cleaned = cleaned[len("sha256:") :]
    cleaned = cleaned.replace(":", "").replace(" ", "")
    if not _HEX_RE.match(cleaned):
        raise ConfigError(
            f"{text!r} is not a SHA-256 fingerprint.",
            hint="Give 64 hexadecimal digits, with or without colons "
            "(as `openssl x509 -noout -fingerprint -sha256` prints it).",
        )
    upper = cleaned.upper()
    return ":".join(upper[i : i + 2] for i in range(0, 64, 2))


def fingerprint_of(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER-encoded certificate, as upper-case colon hex."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def trust_hint(fingerprint: str | None) -> str:
    if fingerprint:
        return (
            "If you trust this server, add it with --fingerprint "
            f"{fingerprint} or --ca-file PEM (its certificate or CA)."
        )
    return "If you trust this server, add it with --fingerprint SHA256 or --ca-file PEM."


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    """What the handshake established: shown to the person as the TLS/certificate steps."""

    fingerprint: str
    version: str  # "TLSv1.3"
    cipher: str
    pinned: bool  # True: accepted by the account's pin; False: by a CA chain + host name


class TlsPolicy:
    """How one server of one account is verified.

    `context` is what every connection to that server uses; `check(ssl_object)` must be
    called after each handshake and before the first protocol byte is sent over TLS.
    """

    def __init__(self, host: str, trust: TlsTrust) -> None:
        self.host = host
        self.trust = trust
        self.pin = normalize_fingerprint(trust.fingerprint) if trust.fingerprint else None
        self.context = self._build_context()

    @property
    def server_hostname(self) -> str:
        # Sent as SNI even when pinned: the server may host several names.
        return self.host

    def _build_context(self) -> ssl.SSLContext:
        if self.pin is not None:
            # The pin replaces chain and host-name checks for this one certificate only;
            # check() compares the leaf before anything is sent.
            return _bare_client_context()
        ca_file = self.trust.ca_file or None
        stamp = _ca_stamp(ca_file) if ca_file else None
        key = (self.host, ca_file)
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        context = _verifying_context(ca_file)
        with _cache_lock:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            _cache[key] = (stamp, context)
        return context

    def check(self, ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> PeerCertificate:
        """Accept or refuse the peer of a finished handshake (raises CertificateError)."""
        if ssl_object is None:
            raise TLSError(f"The connection to {self.host} is not encrypted.", reason="handshake")
        der = ssl_object.getpeercert(binary_form=True)
        if not der:
            raise CertificateError(
                f"{self.host} sent no certificate.", reason="untrusted", hint=trust_hint(None)
            )
        fingerprint = fingerprint_of(der)
        if self.pin is not None and fingerprint != self.pin:
            raise CertificateError(
                f"The certificate of {self.host} does not match the pinned fingerprint: "
                f"the server sent {fingerprint}, the account expects {self.pin}.",
                reason="pin_mismatch",
                fingerprint=fingerprint,
                hint="If the server changed its certificate on purpose, pin the new one "
                f"with --fingerprint {fingerprint}; otherwise do not connect.",
            )
        cipher = ssl_object.cipher()
        return PeerCertificate(
            fingerprint=fingerprint,
            version=ssl_object.version() or "TLS",
            cipher=cipher[0] if cipher else "",
            pinned=self.pin is not None,
        )

    def refusal(
        self, exc: ssl.SSLCertVerificationError, fingerprint: str | None
    ) -> CertificateError:
        """The CertificateError for a handshake our context refused."""
        return certificate_error(self.host, exc, fingerprint)


def certificate_error(
    host: str, exc: ssl.SSLCertVerificationError, fingerprint: str | None
) -> CertificateError:
    code = getattr(exc, "verify_code", None)
    said = (getattr(exc, "verify_message", None) or str(exc)).rstrip(".")
    if code in _EXPIRED_CODES:
        reason, what = "expired", "has expired"
    elif code in _NOT_YET_VALID_CODES:
        reason, what = "expired", "is not valid yet"
    elif code in _WRONG_HOST_CODES:
        reason, what = "wrong_host", f"is not made out to {host}"
    else:
        reason, what = "untrusted", "is not signed by an authority this account trusts"
    shown = f" Its SHA-256 fingerprint is {fingerprint}." if fingerprint else ""
    return CertificateError(
        f"The certificate of {host} {what} ({said}).{shown}",
        reason=reason,
        fingerprint=fingerprint,
        hint=trust_hint(fingerprint),
    )


def find_verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate refusal somewhere in an exception's cause chain (libraries wrap it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def inspection_context() -> ssl.SSLContext:
    """A context that accepts any certificate, ONLY to read a refused server's fingerprint.

    Callers close the connection right after the handshake and send nothing over it.
    """
    return _bare_client_context()


def _ca_stamp(ca_file: str) -> tuple[int, int, int]:
    try:
        info = os.stat(ca_file)
    except OSError:
        info = None
    if info is None or not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"The CA file {ca_file} does not exist.",
            hint="Give the path of a PEM file with --ca-file.",
        )
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's CAs plus the account's CA file; chain and host name checked."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(
                f"The CA file {ca_file} cannot be used: {exc}.",
                hint="It must hold PEM certificates.",
            ) from exc
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _bare_client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def establish(
    policy: TlsPolicy,
    open_tls: Callable[[ssl.SSLContext, bool], Awaitable[C]],
    ssl_object_of: Callable[[C], ssl.SSLObject | None],
    close: Callable[[C], Awaitable[None]],
    notify: StageNotify | None = None,
) -> C:
    """Open a connection through `open_tls` and accept its certificate, or explain why not.

    `open_tls(context, primary)` connects and completes the TLS handshake (implicit TLS or
    STARTTLS) and must not send anything secret; `primary` is False for the second,
    fingerprint-only handshake done after a refusal. Returns the connection only once the
    certificate passed `policy.check`.
    """
    try:
        conn = await open_tls(policy.context, True)
    except ssl.SSLCertVerificationError as exc:
        fingerprint = await _peek_fingerprint(open_tls, ssl_object_of, close, notify)
        raise policy.refusal(exc, fingerprint) from None
    try:
        ssl_object = ssl_object_of(conn)
        if ssl_object is not None and notify is not None:
            notify(CheckStage.TLS, describe_tls(ssl_object))
        peer = policy.check(ssl_object)
    except BaseException:
        await close(conn)
        raise
    if notify is not None:
        notify(CheckStage.CERTIFICATE, describe_certificate(policy, peer))
    return conn


async def _peek_fingerprint(
    open_tls: Callable[[ssl.SSLContext, bool], Awaitable[C]],
    ssl_object_of: Callable[[C], ssl.SSLObject | None],
    close: Callable[[C], Awaitable[None]],
    notify: StageNotify | None,
) -> str | None:
    # A second handshake that accepts anything, only to show the person which certificate
    # was refused; it is closed at once and never carries a command after the handshake.
    try:
        conn = await open_tls(inspection_context(), False)
    except (MailAppError, OSError):
        return None
    try:
        ssl_object = ssl_object_of(conn)
        if ssl_object is None:
            return None
        if notify is not None:
            notify(CheckStage.TLS, describe_tls(ssl_object))
        der = ssl_object.getpeercert(binary_form=True)
        return fingerprint_of(der) if der else None
    finally:
        await close(conn)


def describe_tls(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> str:
    cipher = ssl_object.cipher()
    name = f" ({cipher[0]})" if cipher else ""
    return f"encrypted with {ssl_object.version() or 'TLS'}{name}"


def describe_certificate(policy: TlsPolicy, peer: PeerCertificate) -> str:
    if peer.pinned:
        return f"matches the pinned SHA-256 fingerprint {peer.fingerprint}"
    source = "the system's or the account's CA file" if policy.trust.ca_file else "the system"
    return f"trusted by {source} and valid for {policy.host} (SHA-256 {peer.fingerprint})"
