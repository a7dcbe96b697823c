"""The TLS policy without a network: contexts, fingerprints, pins and the words of refusals."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from mailapp.core.errors import CertificateError, ConfigError
from mailapp.core.model import TlsTrust
from mailapp.transport.tls import (
    TlsPolicy,
    certificate_error,
    find_verification_error,
    fingerprint_of,
    normalize_fingerprint,
)

DER = b"not really a certificate, but hashing does not care"
FP = ":".join(f"{b:02X}" for b in hashlib.sha256(DER).digest())


class FakeSSLObject:
    """What TlsPolicy.check reads from a finished handshake."""

    def __init__(self, der: bytes | None) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False) -> bytes | None:
        assert binary_form
        return self.der

    def cipher(self) -> tuple[str, str, int]:
        return ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256)

    def version(self) -> str:
        return "TLSv1.3"


def verification_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"certificate verify failed: {message}")
    exc.verify_code = code
    exc.verify_message = message
    return exc


def test_fingerprint_of_is_colon_hex_sha256() -> None:
    assert fingerprint_of(DER) == FP
    assert len(FP) == 95


@pytest.mark.parametrize(
    "text",
    [FP, FP.lower(), FP.replace(":", ""), f"sha256:{FP}", f"  {FP.replace(':', ' ')}  "],
)
def test_normalize_fingerprint_accepts_common_spellings(text: str) -> None:
    assert normalize_fingerprint(text) == FP


@pytest.mark.parametrize("text", ["", "AB:CD", FP[:-1] + "G", FP + ":00"])
def test_normalize_fingerprint_refuses_garbage(text: str) -> None:
    with pytest.raises(ConfigError, match="not a SHA-256 fingerprint"):
        normalize_fingerprint(text)


def test_default_policy_verifies_chain_and_host_and_needs_tls12() -> None:
    policy = TlsPolicy("mail.example.test", TlsTrust())
    ctx = policy.context
    assert ctx.verify_mode is ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_2
    assert policy.server_hostname == "mail.example.test"


def test_ca_file_is_added_to_the_trust(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match="does not exist"):
        TlsPolicy("h", TlsTrust(ca_file=str(missing)))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    with pytest.raises(ConfigError, match="cannot be used"):
        TlsPolicy("h", TlsTrust(ca_file=str(garbage)))
    ca = ssl.get_default_verify_paths().cafile
    if ca:  # a real bundle on this machine: it loads, and verification stays on
        policy = TlsPolicy("h", TlsTrust(ca_file=ca))
        assert policy.context.verify_mode is ssl.CERT_REQUIRED


def test_pinned_policy_accepts_exactly_the_pinned_leaf() -> None:
    policy = TlsPolicy("mail.example.test", TlsTrust(fingerprint=FP.lower()))
    assert policy.pin == FP
    assert policy.context.minimum_version is ssl.TLSVersion.TLSv1_2
    peer = policy.check(FakeSSLObject(DER))  # type: ignore[arg-type]
    assert peer.pinned and peer.fingerprint == FP and peer.version == "TLSv1.3"
    with pytest.raises(CertificateError) as info:
        policy.check(FakeSSLObject(DER + b"x"))  # type: ignore[arg-type]
    assert info.value.reason == "pin_mismatch"
    assert info.value.fingerprint == fingerprint_of(DER + b"x")
    assert FP in info.value.message


def test_check_refuses_a_missing_certificate_or_no_tls() -> None:
    policy = TlsPolicy("h", TlsTrust(fingerprint=FP))
    with pytest.raises(CertificateError):
        policy.check(FakeSSLObject(None))  # type: ignore[arg-type]
    with pytest.raises(Exception, match="not encrypted"):
        policy.check(None)


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (10, "certificate has expired", "expired"),
        (62, "Hostname mismatch, certificate is not valid for 'vm'.", "wrong_host"),
        (64, "IP address mismatch", "wrong_host"),
        (19, "self-signed certificate in certificate chain", "untrusted"),
        (20, "unable to get local issuer certificate", "untrusted"),
    ],
)
def test_refusals_say_why_and_show_the_fingerprint(code: int, message: str, reason: str) -> None:
    error = certificate_error("vm", verification_error(code, message), FP)
    assert isinstance(error, CertificateError)
    assert error.reason == reason
    assert error.fingerprint == FP
    assert FP in error.message
    assert error.hint is not None
    assert f"--fingerprint {FP}" in error.hint and "--ca-file" in error.hint


def test_verification_error_is_found_in_wrapped_exceptions() -> None:
    inner = verification_error(20, "unable to get local issuer certificate")
    try:
        try:
            raise inner
        except ssl.SSLError as exc:
            raise ConnectionError("wrapped") from exc
    except ConnectionError as outer:
        assert find_verification_error(outer) is inner
    assert find_verification_error(ValueError("x")) is None
