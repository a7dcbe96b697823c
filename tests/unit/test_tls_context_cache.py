"""TlsPolicy's context cache: shared per host and CA file, rebuilt when the file changes,
never shared between different trusts."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.mailstack import generate_certificates

from mailapp.core.errors import ConfigError
from mailapp.core.model import TlsTrust
from mailapp.transport.tls import TlsPolicy, clear_context_cache

FP = "AB:" * 31 + "AB"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_context_cache()
    yield
    clear_context_cache()


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    # A CA of our own (openssl CLI), so the test never depends on the machine's CA bundle.
    return generate_certificates(tmp_path / "certs").ca_file


def test_same_host_and_trust_share_one_context() -> None:
    first = TlsPolicy("mail.example.test", TlsTrust())
    second = TlsPolicy("mail.example.test", TlsTrust())
    assert second.context is first.context
    assert second.context.verify_mode is ssl.CERT_REQUIRED and second.context.check_hostname


def test_different_hosts_or_trusts_never_share(ca_file: Path) -> None:
    plain = TlsPolicy("mail.example.test", TlsTrust())
    other_host = TlsPolicy("other.example.test", TlsTrust())
    with_ca = TlsPolicy("mail.example.test", TlsTrust(ca_file=str(ca_file)))
    pinned = TlsPolicy("mail.example.test", TlsTrust(fingerprint=FP))
    contexts = [plain.context, other_host.context, with_ca.context, pinned.context]
    assert len({id(c) for c in contexts}) == 4
    # A pinned context is never cached: each policy gets its own.
    assert TlsPolicy("mail.example.test", TlsTrust(fingerprint=FP)).context is not pinned.context
    assert plain.context.verify_mode is ssl.CERT_REQUIRED
    assert TlsPolicy("mail.example.test", TlsTrust()).context is plain.context


def test_a_changed_ca_file_is_loaded_again(ca_file: Path) -> None:
    trust = TlsTrust(ca_file=str(ca_file))
    first = TlsPolicy("h", trust).context
    assert TlsPolicy("h", trust).context is first
    ca_file.write_bytes(ca_file.read_bytes() + b"\n")
    stamp = ca_file.stat()
    os.utime(ca_file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    second = TlsPolicy("h", trust).context
    assert second is not first
    assert TlsPolicy("h", trust).context is second
    ca_file.write_text("not a certificate")
    with pytest.raises(ConfigError, match="cannot be used"):
        TlsPolicy("h", trust)
    ca_file.unlink()
    with pytest.raises(ConfigError, match="does not exist"):
        TlsPolicy("h", trust)
