"""Why a TLS handshake failed: the chain the server presented, read without trusting it.

When verification fails we connect a second time with verification off, take the chain the server
sent, and work out who issued it: a public root (then the configured bundle is what lacks it) or a
private one (a TLS-intercepting proxy or firewall). For an intercepting issuer we look for its root
certificate: in the chain itself, or in the trust stores other tools on this machine use (where IT
departments install it), so the fix can build a bundle botocore accepts.
"""

from __future__ import annotations

import glob
import hashlib
import os
import ssl
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

# OpenSSL verify codes (x509_vfy.h)
_UNTRUSTED = {2, 18, 19, 20, 21}  # no issuer / self-signed / self-signed in chain / no local issuer / leaf sig
_EXPIRED = 10
_NOT_YET_VALID = 9
_HOSTNAME_MISMATCH = 62

# Trust stores of other tools and of the OS: where a corporate root usually is when browsers and
# curl work but botocore (which only reads its own bundle) does not.
_STORE_VARS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
               "AWS_CA_BUNDLE")
_OS_STORES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem",
              "/etc/ssl/ca-bundle.pem", "/usr/local/etc/openssl/cert.pem", "/opt/homebrew/etc/openssl@3/cert.pem")
_MAX_STORE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class CertInfo:
    """What a person needs to recognise a certificate. No private data: certificates are public."""

    subject: str
    issuer: str
    names: tuple[str, ...]  # the DNS names (SAN) a leaf is valid for
    self_signed: bool
    not_after: str
    sha256: str
    pem: str


@dataclass(frozen=True)
class TlsDiagnosis:
    """A failed TLS handshake, explained.

    kind: untrusted-issuer (interception: issuer not public), missing-public-root (the configured bundle
    lacks a public root), hostname-mismatch, expired, not-yet-valid, protocol, ca-bundle-unusable,
    other-verify.
    """

    kind: str
    openssl_message: str
    chain: tuple[CertInfo, ...] = ()
    issuer: str = ""  # the name of the root the chain leads to (subject CN / O)
    root: CertInfo | None = None  # that root's certificate, when we have it
    root_source: str | None = None  # "sent by the server" or "found in <where>"
    searched: tuple[str, ...] = ()

    @property
    def interception(self) -> bool:
        return self.kind == "untrusted-issuer"


def describe_name(name: object) -> str:
    """`CN (O)` of an x509 Name, the way people recognise a CA ("Zscaler Root CA (Zscaler Inc.)")."""
    from cryptography.x509.oid import NameOID

    def first(oid: object) -> str | None:
        attrs = name.get_attributes_for_oid(oid)  # type: ignore[attr-defined]
        return str(attrs[0].value) if attrs else None

    cn, org = first(NameOID.COMMON_NAME), first(NameOID.ORGANIZATION_NAME)
    if cn and org and org not in cn:
        return f"{cn} ({org})"
    return cn or org or name.rfc4514_string()  # type: ignore[attr-defined]


def _info(cert: object) -> CertInfo:
    from cryptography.hazmat.primitives import serialization

    der = cert.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined]
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()  # type: ignore[attr-defined]
    try:
        not_after = cert.not_valid_after_utc.strftime("%Y-%m-%d")  # type: ignore[attr-defined]
    except AttributeError:
        not_after = ""
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value  # type: ignore[attr-defined]
        names = tuple(san.get_values_for_type(x509.DNSName)) + tuple(
            str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except Exception:  # noqa: BLE001 - no SAN: fine
        names = ()
    return CertInfo(
        subject=describe_name(cert.subject),  # type: ignore[attr-defined]
        issuer=describe_name(cert.issuer),  # type: ignore[attr-defined]
        names=names,
        self_signed=cert.subject == cert.issuer and _issued_by(cert, cert),  # type: ignore[attr-defined]
        not_after=not_after,
        sha256=hashlib.sha256(der).hexdigest(),
        pem=pem,
    )


def _issued_by(child: object, parent: object) -> bool:
    try:
        child.verify_directly_issued_by(parent)  # type: ignore[attr-defined]
        return True
    except Exception:  # noqa: BLE001 - any failure means "not this parent"
        return False


def peer_chain_der(sock: ssl.SSLSocket) -> list[bytes]:
    """The chain as sent by the server (leaf first), read from an unverified handshake."""
    getter = getattr(sock, "get_unverified_chain", None)  # Python >= 3.13
    if getter is not None:
        chain = getter() or []
        der = ssl._ssl.ENCODING_DER  # type: ignore[attr-defined]
        return [c if isinstance(c, bytes) else c.public_bytes(der) for c in chain]
    sslobj = getattr(sock, "_sslobj", None)
    getter = getattr(sslobj, "get_unverified_chain", None)  # Python 3.10-3.12: private, same data
    if getter is not None:
        try:
            return [c.public_bytes(ssl._ssl.ENCODING_DER) for c in (getter() or [])]  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001, S110 - fall back to the leaf alone
            pass
    leaf = sock.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _load_pem_file(path: str) -> list[object]:
    with warnings.catch_warnings():  # old system roots trip cryptography's RFC 5280 deprecation warnings
        warnings.simplefilter("ignore")
        return _load_pem_file_quietly(path)


def _load_pem_file_quietly(path: str) -> list[object]:
    from cryptography import x509

    try:
        st = os.stat(path)
        if not os.path.isfile(path) or st.st_size > _MAX_STORE_BYTES:
            return []
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return []
    if b"-----BEGIN CERTIFICATE-----" not in data:
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            return []
    try:
        return list(x509.load_pem_x509_certificates(data))
    except ValueError:
        out = []
        for block in data.split(b"-----END CERTIFICATE-----"):
            start = block.find(b"-----BEGIN CERTIFICATE-----")
            if start < 0:
                continue
            try:
                out.append(x509.load_pem_x509_certificate(block[start:] + b"-----END CERTIFICATE-----\n"))
            except ValueError:
                continue
        return out


def _load_store(path: str) -> list[object]:
    if os.path.isdir(path):
        out: list[object] = []
        for f in sorted(glob.glob(os.path.join(path, "*")))[:2000]:
            out.extend(_load_pem_file(f))
        return out
    return _load_pem_file(path)


@lru_cache(maxsize=8)
def _public_subjects(public_bundle: str) -> tuple[object, ...]:
    return tuple(_load_store(public_bundle))


def _find_issuer(cert: object, pool: Iterable[object]) -> object | None:
    for candidate in pool:
        if candidate.subject == cert.issuer and _issued_by(cert, candidate):  # type: ignore[attr-defined]
            return candidate
    return None


def _stores(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, path) of every local trust store worth searching, first match wins."""
    out: list[tuple[str, str]] = []
    for var in _STORE_VARS:
        value = env.get(var)
        if value:
            out.append((f"${var} ({value})", value))
    paths = ssl.get_default_verify_paths()
    for p in (paths.cafile, paths.capath):
        if p:
            out.append((f"the system trust store ({p})", p))
    for p in _OS_STORES:
        out.append((f"the system trust store ({p})", p))
    seen: set[str] = set()
    unique = []
    for label, p in out:
        if p not in seen:
            seen.add(p)
            unique.append((label, p))
    return unique


def diagnose_verify_failure(err: ssl.SSLCertVerificationError, chain_der: list[bytes], public_bundle: str,
                            env: Mapping[str, str]) -> TlsDiagnosis:
    """Explain a certificate verification failure from the chain the server sent."""
    from cryptography import x509

    message = getattr(err, "verify_message", None) or str(err)
    code = getattr(err, "verify_code", None)
    certs = []
    for der in chain_der:
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            continue
    chain = tuple(_info(c) for c in certs)
    if code == _EXPIRED:
        return TlsDiagnosis("expired", message, chain)
    if code == _NOT_YET_VALID:
        return TlsDiagnosis("not-yet-valid", message, chain)
    if code == _HOSTNAME_MISMATCH:
        return TlsDiagnosis("hostname-mismatch", message, chain)
    if code not in _UNTRUSTED or not certs:
        return TlsDiagnosis("other-verify", message, chain)

    top = certs[-1]
    top_info = chain[-1]
    public = _public_subjects(public_bundle)
    if top_info.self_signed:
        root, root_info, source = top, top_info, "sent by the server"
    else:
        root = _find_issuer(top, public)
        root_info, source = (_info(root), "certifi's public roots") if root is not None else (None, None)
    issuer_name = root_info.subject if root_info else top_info.issuer
    if root is not None and any(root == p for p in public):
        return TlsDiagnosis("missing-public-root", message, chain, issuer_name, root_info, source)

    searched: list[str] = []
    if root is None:
        for label, path in _stores(env):
            if not os.path.exists(path):
                continue
            searched.append(label)
            found = _find_issuer(top, _load_store(path))
            if found is not None:
                root, root_info, source = found, _info(found), f"found in {label}"
                issuer_name = root_info.subject
                break
    return TlsDiagnosis("untrusted-issuer", message, chain, issuer_name, root_info, source, tuple(searched))


def diagnose_ssl_error(err: BaseException) -> TlsDiagnosis:
    """A handshake that failed for a reason other than the certificate (protocol, reset, bundle)."""
    reason = getattr(err, "reason", None) or type(err).__name__
    text = str(err) or reason
    return TlsDiagnosis("protocol", text)
