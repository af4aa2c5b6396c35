"""The operating system's certificate trust store, which browsers and curl use and botocore ignores.

- Windows: `ssl.enum_certificates("ROOT")` and `("CA")` (the machine's and the user's stores, as
  Python's ssl module reads them), keeping certificates trusted for server authentication;
- macOS: `security find-certificate -a -p` on /Library/Keychains/System.keychain (where IT and MDM
  install a corporate root) and the SystemRootCertificates keychain, each time-boxed;
- elsewhere, or when the emulated OS is not the host's: not read (the Linux system bundle is a file,
  already searched by probes/tls.py).

Tests inject a store: `extra["os_trust_store"]` or SSO_DOCTOR_OS_TRUST_STORE names a PEM file whose
certificates stand for the OS store (with the run's platform telling which OS it pretends to be).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sso_doctor.platform import Platform

SECURITY_TIMEOUT = 3.0  # seconds per keychain
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
MACOS_KEYCHAINS = ("/Library/Keychains/System.keychain",
                   "/System/Library/Keychains/SystemRootCertificates.keychain")
WINDOWS_STORES = ("ROOT", "CA")


@dataclass(frozen=True)
class StoreCert:
    der: bytes
    where: str  # `ROOT` / `CA` (Windows), the keychain path (macOS), or the injected file

    @property
    def sha1(self) -> str:
        """The Windows thumbprint (certutil and Cert:\\ use it)."""
        return hashlib.sha1(self.der).hexdigest().upper()  # an identifier, not security

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()


@dataclass(frozen=True)
class OsTrustStore:
    platform: str  # win32 / darwin / other
    label: str  # "the Windows certificate store", "the macOS System keychain"
    certs: tuple[StoreCert, ...] = ()
    read: bool = False  # False: not read (see problem); no verdict about the OS's trust can be given
    problem: str | None = None


def issuer_in_store(store: OsTrustStore, top_pem: str, root_sha256: str | None = None) -> StoreCert | None:
    """The store's certificate that is `root_sha256`, or that issued (subject and signature) the top
    certificate of a chain, given as PEM. None when the store holds neither."""
    from cryptography import x509

    from sso_doctor.probes.tls import _issued_by  # one definition of "issued by"

    for c in store.certs:
        if root_sha256 and c.sha256 == root_sha256:
            return c
    try:
        top = x509.load_pem_x509_certificate(top_pem.encode())
    except ValueError:
        return None
    for c in store.certs:
        try:
            cert = x509.load_der_x509_certificate(c.der)
        except ValueError:
            continue
        if cert.subject == top.issuer and _issued_by(top, cert):
            return c
    return None


def _label(platform: str) -> str:
    if platform.startswith("win"):
        return "the Windows certificate store"
    if platform == "darwin":
        return "the macOS keychains"
    return "the operating system's store"


def _pem_blocks(data: bytes) -> list[bytes]:
    """DER bytes of each PEM certificate in `data`; damaged blocks are skipped."""
    import base64

    out = []
    for block in data.split(b"-----END CERTIFICATE-----"):
        start = block.find(b"-----BEGIN CERTIFICATE-----")
        if start < 0:
            continue
        body = block[start + len(b"-----BEGIN CERTIFICATE-----"):]
        try:
            out.append(base64.b64decode(b"".join(body.split()), validate=True))
        except ValueError:
            continue
    return out


def _from_file(path: str, platform: str) -> OsTrustStore:
    try:
        with open(path, "rb") as fh:
            data = fh.read(4 * 1024 * 1024)
    except OSError as e:
        return OsTrustStore(platform, _label(platform), problem=f"cannot read {path}: {e.strerror or e}")
    where = "ROOT" if platform.startswith("win") else MACOS_KEYCHAINS[0]
    return OsTrustStore(platform, _label(platform), tuple(StoreCert(d, where) for d in _pem_blocks(data)), True)


def _windows() -> OsTrustStore:
    import ssl

    certs: list[StoreCert] = []
    try:
        for store in WINDOWS_STORES:
            for der, encoding, trust in ssl.enum_certificates(store):  # type: ignore[attr-defined]
                if encoding != "x509_asn":
                    continue
                if trust is True or SERVER_AUTH in trust:
                    certs.append(StoreCert(der, store))
    except (OSError, AttributeError) as e:
        return OsTrustStore("win32", _label("win32"), problem=f"cannot enumerate it ({e})")
    return OsTrustStore("win32", _label("win32"), tuple(certs), True)


def _macos(run: Callable[..., subprocess.CompletedProcess]) -> OsTrustStore:
    certs: list[StoreCert] = []
    problems = []
    for keychain in MACOS_KEYCHAINS:
        try:
            done = run(["security", "find-certificate", "-a", "-p", keychain], capture_output=True,
                       timeout=SECURITY_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            problems.append(f"`security find-certificate` on {keychain}: {type(e).__name__}")
            continue
        if done.returncode != 0:
            problems.append(f"`security find-certificate` on {keychain} exited with {done.returncode}")
            continue
        certs.extend(StoreCert(d, keychain) for d in _pem_blocks(done.stdout))
    if problems and not certs:
        return OsTrustStore("darwin", _label("darwin"), problem="; ".join(problems))
    return OsTrustStore("darwin", _label("darwin"), tuple(certs), True)


def load(plat: Platform, injected: str | None = None,
         run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> OsTrustStore:
    """The OS trust store of the run's OS, read only when it is the host's own OS (or injected)."""
    platform = plat.name
    injected = injected or plat.env.get("SSO_DOCTOR_OS_TRUST_STORE")
    if injected:
        return _from_file(injected, platform)
    if platform.startswith("win") or platform == "darwin":
        if plat.emulated:
            return OsTrustStore(platform, _label(platform), problem=f"{plat.label} is emulated on another OS")
        return _windows() if platform.startswith("win") else _macos(run)
    return OsTrustStore(platform, _label(platform), problem="only Windows and macOS have an OS store apart from "
                        "the system bundle file")
